"""Procedurally drawn 28x28 handwritten-style digits, no download needed.

Each digit class has one or more stroke templates in a unit box (x right, y
down, the digit spanning y in [0, 1]). A sample picks a template, jitters its
control points, runs each stroke through a Catmull-Rom spline, applies a random
affine map (rotation, scale, aspect, shear, shift) and renders the resulting
polyline with an anti-aliased pen of random width. Like MNIST the digit fills
about a 20 px box centred in the 28x28 frame, ink is 1 and background 0.
"""

from __future__ import annotations

import numpy as np

SIZE = 28
# Unit-box height in pixels: at the largest scale (1.1) a digit is ~20 px tall,
# the size of MNIST's normalisation box.
_BOX_PX = 18.0
_JITTER = 0.035  # control-point noise, in unit-box coordinates
_MAX_ROTATION = np.deg2rad(15.0)
_SCALE = (0.8, 1.1)
_ASPECT = (0.85, 1.15)  # extra horizontal scale: narrow and wide writers
_SHEAR = 0.25
_SHIFT_PX = 2.0
_PEN_PX = (1.5, 3.0)
_SPLINE_STEPS = 4  # polyline segments per spline interval; ~1-2 px each
# Elements per rasterisation chunk: big enough to amortise numpy call
# overhead, small enough that the temporaries stay in cache.
_CHUNK_ELEMENTS = 1 << 17


def _ellipse(cx, cy, rx, ry, start_deg, end_deg, n):
    """``n`` points on an elliptic arc; angles grow clockwise (y is down)."""
    a = np.deg2rad(np.linspace(start_deg, end_deg, n))
    return list(zip(cx + rx * np.cos(a), cy + ry * np.sin(a)))


# _STROKES[digit] is a list of variants; a variant is a list of strokes; a
# stroke is a list of (x, y) control points. A stroke with two points is a
# straight line, longer ones are splines through all points. Points repeated
# across strokes (corners, closed loops) are jittered together so they stay
# joined.
# fmt: off
_STROKES = [
    [  # 0: an upright oval, closed with a small overlap to hide the seam
        [_ellipse(0.5, 0.5, 0.3, 0.48, -90, 285, 12)],
    ],
    [  # 1: a plain bar, with a flag, or with a flag and a foot
        [[(0.5, 0.0), (0.5, 1.0)]],
        [[(0.28, 0.22), (0.55, 0.0)], [(0.55, 0.0), (0.55, 1.0)]],
        [[(0.3, 0.2), (0.55, 0.0)], [(0.55, 0.0), (0.55, 1.0)], [(0.32, 1.0), (0.78, 1.0)]],
    ],
    [  # 2: hook, diagonal, flat base
        [
            [(0.18, 0.25), (0.3, 0.07), (0.5, 0.0), (0.72, 0.07), (0.8, 0.27),
             (0.7, 0.5), (0.45, 0.73), (0.15, 1.0)],
            [(0.15, 1.0), (0.88, 1.0)],
        ],
    ],
    [  # 3: two bumps meeting at a point left of the middle
        [
            [(0.18, 0.12), (0.45, 0.0), (0.72, 0.08), (0.75, 0.27), (0.45, 0.47)],
            [(0.45, 0.47), (0.78, 0.62), (0.8, 0.85), (0.52, 1.0), (0.18, 0.9)],
        ],
    ],
    [  # 4: closed (triangle) top or open top
        [[(0.62, 0.0), (0.12, 0.68)], [(0.12, 0.68), (0.9, 0.68)], [(0.62, 0.0), (0.62, 1.0)]],
        [[(0.25, 0.0), (0.15, 0.6)], [(0.15, 0.6), (0.88, 0.6)], [(0.7, 0.0), (0.7, 1.0)]],
    ],
    [  # 5: top bar, short stem, round belly
        [
            [(0.8, 0.0), (0.3, 0.0)],
            [(0.3, 0.0), (0.24, 0.45)],
            [(0.24, 0.45), (0.5, 0.37), (0.76, 0.48), (0.8, 0.75), (0.58, 0.97),
             (0.3, 0.98), (0.15, 0.85)],
        ],
    ],
    [  # 6: a sweep from the top right into a low loop
        [
            [(0.7, 0.0), (0.45, 0.15), (0.27, 0.45), (0.24, 0.75), (0.4, 0.97),
             (0.62, 0.97), (0.76, 0.78), (0.68, 0.55), (0.46, 0.5), (0.27, 0.62)],
        ],
    ],
    [  # 7: bar and stem, optionally crossed
        [[(0.15, 0.0), (0.85, 0.0)], [(0.85, 0.0), (0.6, 0.45), (0.42, 1.0)]],
        [[(0.15, 0.0), (0.85, 0.0)], [(0.85, 0.0), (0.6, 0.45), (0.42, 1.0)], [(0.38, 0.52), (0.8, 0.52)]],
    ],
    [  # 8: one stroke, two loops crossing in the middle
        [
            [(0.5, 0.48), (0.27, 0.33), (0.28, 0.1), (0.5, 0.0), (0.72, 0.1), (0.73, 0.33),
             (0.5, 0.48), (0.24, 0.68), (0.25, 0.92), (0.5, 1.0), (0.75, 0.92), (0.76, 0.68),
             (0.5, 0.48)],
        ],
    ],
    [  # 9: a high loop with a curved or straight tail
        [
            [(0.78, 0.22), (0.55, 0.4), (0.28, 0.35), (0.24, 0.15), (0.48, 0.0),
             (0.72, 0.06), (0.78, 0.22), (0.76, 0.6), (0.7, 1.0)],
        ],
        [_ellipse(0.5, 0.24, 0.27, 0.24, 0, 375, 10), [(0.77, 0.24), (0.72, 1.0)]],
    ],
]
# fmt: on


def _compile(variant):
    """Turn strokes into (unique points (U, 2), one index array per stroke)."""
    flat = np.array([p for stroke in variant for p in stroke], dtype=np.float64)
    points, inverse = np.unique(flat.round(6), axis=0, return_inverse=True)
    splits = np.cumsum([len(stroke) for stroke in variant])[:-1]
    return points, np.split(inverse.ravel(), splits)


_TEMPLATES = [[_compile(v) for v in variants] for variants in _STROKES]


def _catmull_rom_weights(steps):
    """(steps, 4) weights of P[i-1], P[i], P[i+1], P[i+2] for t in [0, 1)."""
    t = np.arange(steps)[:, None] / steps
    t2, t3 = t * t, t * t * t
    return 0.5 * np.hstack([-t + 2 * t2 - t3, 2 - 5 * t2 + 3 * t3, t + 4 * t2 - 3 * t3, t3 - t2])


_WEIGHTS = _catmull_rom_weights(_SPLINE_STEPS)


def _spline(ctrl):
    """Polyline through control points ``ctrl`` (m, C, 2); (m, L, 2) out."""
    if ctrl.shape[1] == 2:
        return ctrl
    # Mirror the end points so the curve leaves and enters along its chords.
    first = 2 * ctrl[:, :1] - ctrl[:, 1:2]
    last = 2 * ctrl[:, -1:] - ctrl[:, -2:-1]
    padded = np.concatenate([first, ctrl, last], axis=1)
    n_intervals = ctrl.shape[1] - 1
    windows = np.stack([padded[:, k : k + n_intervals] for k in range(4)], axis=2)
    curve = np.einsum("sk,mikd->misd", _WEIGHTS, windows)
    curve = curve.reshape(len(ctrl), n_intervals * _SPLINE_STEPS, 2)
    return np.concatenate([curve, ctrl[:, -1:]], axis=1)


def _rasterise(start, end, pen):
    """Anti-aliased ink of segments ``start``->``end`` (m, S, 2) in pixels.

    A pixel's ink falls linearly from 1 to 0 as its distance to the nearest
    segment goes from ``pen/2 - 0.5`` to ``pen/2 + 0.5``, a one-pixel box
    filter of a pen of width ``pen`` (m,). Returns float32 (m, 28, 28).
    """
    coord = np.arange(SIZE, dtype=np.float32)
    direction = end - start
    length2 = (direction**2).sum(-1) + 1e-6  # guard zero-length segments
    m, s = start.shape[:2]
    chunk = max(1, _CHUNK_ELEMENTS // (s * SIZE * SIZE))
    dist2 = np.empty((m, SIZE, SIZE), dtype=np.float32)
    for lo in range(0, m, chunk):
        a, d = start[lo : lo + chunk], direction[lo : lo + chunk]
        l2 = length2[lo : lo + chunk, :, None, None]
        # Pixel offsets from each segment start, separable in x and y; the
        # (row, column) grids are formed by broadcasting outer sums.
        rx = coord - a[..., 0, None]  # (c, S, 28) over columns
        ry = coord - a[..., 1, None]  # (c, S, 28) over rows
        r2 = ry[..., :, None] ** 2 + rx[..., None, :] ** 2
        along = (ry * d[..., 1, None])[..., :, None] + (rx * d[..., 0, None])[..., None, :]
        t = np.clip(along / l2, 0.0, 1.0)
        # |r - t d|^2 = |r|^2 + t (t |d|^2 - 2 r.d), cheaper than forming r - t d
        seg_d2 = r2 + t * (t * l2 - 2 * along)
        dist2[lo : lo + chunk] = seg_d2.min(axis=1)
    dist = np.sqrt(np.maximum(dist2, 0.0))
    return np.clip(pen[:, None, None] / 2 + 0.5 - dist, 0.0, 1.0)


def _render(points, strokes, m, rng):
    """Draw ``m`` random instances of one template; float32 (m, 28, 28)."""
    ctrl = points + _JITTER * rng.standard_normal((m, *points.shape)) - 0.5
    angle = rng.uniform(-_MAX_ROTATION, _MAX_ROTATION, m)
    scale = rng.uniform(*_SCALE, m) * _BOX_PX
    aspect = rng.uniform(*_ASPECT, m)
    shear = rng.uniform(-_SHEAR, _SHEAR, m)
    cos, sin = np.cos(angle), np.sin(angle)
    # rotation @ shear @ diag(scale * aspect, scale), written out per sample
    matrix = np.stack(
        [
            np.stack([cos * scale * aspect, (cos * shear - sin) * scale], -1),
            np.stack([sin * scale * aspect, (sin * shear + cos) * scale], -1),
        ],
        axis=1,
    )
    pen = rng.uniform(*_PEN_PX, m).astype(np.float32)
    # Affine maps commute with Catmull-Rom splines, so transform the controls.
    ctrl = np.einsum("mij,muj->mui", matrix, ctrl)
    # Centre the control points' bounding box, then shift it at random but
    # only as far as keeps the ink inside the frame (MNIST digits never touch
    # the border); digits too big to fit stay centred.
    low, high = ctrl.min(axis=1, keepdims=True), ctrl.max(axis=1, keepdims=True)
    ink_extent = high - low + pen[:, None, None] + 1.0  # pen + anti-alias fringe
    room = np.maximum((SIZE - 1) - ink_extent, 0.0) / 2
    limit = np.minimum(room, _SHIFT_PX)
    shift = rng.uniform(-1.0, 1.0, (m, 1, 2)) * limit
    ctrl += (SIZE - 1) / 2 - (low + high) / 2 + shift
    polylines = [_spline(ctrl[:, idx]) for idx in strokes]
    start = np.concatenate([p[:, :-1] for p in polylines], axis=1)
    end = np.concatenate([p[:, 1:] for p in polylines], axis=1)
    return _rasterise(start.astype(np.float32), end.astype(np.float32), pen)


def make_digits(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Generate ``n`` random digit images with balanced labels.

    Classes are as balanced as ``n`` allows (counts differ by at most one) and
    shuffled; the output is a deterministic function of ``(n, seed)``.

    Returns:
        images: float32 (n, 1, 28, 28) in [0, 1], background 0, ink 1.
        labels: int64 (n,) in 0..9.
    """
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % 10).astype(np.int64)
    n_variants = np.array([len(v) for v in _TEMPLATES])
    variant = (rng.random(n) * n_variants[labels]).astype(np.int64)
    images = np.zeros((n, 1, SIZE, SIZE), dtype=np.float32)
    for digit, templates in enumerate(_TEMPLATES):
        for v, (points, strokes) in enumerate(templates):
            idx = np.flatnonzero((labels == digit) & (variant == v))
            if idx.size:
                images[idx, 0] = _render(points, strokes, idx.size, rng)
    return images, labels
