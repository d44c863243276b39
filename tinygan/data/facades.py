"""Procedural building facades, label map -> photo, the offline stand-in for pix2pix's
CMP Facades (labels -> photo) that needs no download.

Input A is a semantic label map in five flat colours (:data:`CLASSES`, :data:`PALETTE`):
sky, roof, wall, window and door of one building whose size, roof shape, number of floors
and window columns vary. Target B is a "photo" rendered from the same labels: a sky with
a gradient and clouds, a tiled roof, a brick wall with mortar lines and per-brick colour,
glass windows with light frames, sill shadows, a diagonal reflection and now and then a
lit window, a planked wooden door, sideways light across the building, sensor noise and
softened edges.

It shows what each half of Pix2Pix's loss does. The STRUCTURE of B (which class is where,
window frames, sill shadows) is a function of A, so the L1 term alone learns it. The
DETAIL is not: the bricks' and tiles' phase, each brick's colour, the clouds, the
reflection and which windows are lit are drawn at random for every image, so the best an
L1-only generator can do is their mean (flat, blurry walls and skies), while the
adversarial term pushes it to produce a plausible brick texture, crisp and in phase with
itself. The classes are large and high-contrast, so a small U-Net gets the structure
right at 64x64 in a few hundred steps on a CPU.
"""

from __future__ import annotations

import numpy as np

CLASSES = ("sky", "roof", "wall", "window", "door")
# Label colours of A, uint8 RGB per class (distinct in every channel).
PALETTE = np.array([[20, 40, 160], [160, 30, 160], [240, 120, 20], [40, 220, 240], [240, 230, 40]], dtype=np.uint8)
MIN_SIZE = 32
_CHUNK = 256  # images generated at once; bounds memory for large n

SKY, ROOF, WALL, WINDOW, DOOR = range(5)
# Base colours of the photo, RGB in [0, 1]; each image picks one per class and jitters it.
_WALLS = np.array([[0.62, 0.28, 0.20], [0.78, 0.64, 0.42], [0.55, 0.53, 0.50]])  # red, yellow, grey brick
_ROOFS = np.array([[0.55, 0.22, 0.15], [0.26, 0.28, 0.32]])  # terracotta, slate
_MORTAR = np.array([0.80, 0.78, 0.72])
_GLASS = np.array([0.12, 0.16, 0.24])
_FRAME = np.array([0.92, 0.92, 0.88])
_LIT = np.array([0.95, 0.80, 0.40])
_WOODS = np.array([[0.40, 0.24, 0.12], [0.30, 0.16, 0.10]])  # oak, dark stain
_SKY_TOP, _SKY_HORIZON = np.array([0.22, 0.42, 0.80]), np.array([0.70, 0.82, 0.95])


def _uniform(rng, low, high, n):
    return rng.uniform(low, high, n)[:, None, None]  # (n, 1, 1): broadcasts over (n, H, W)


def _layout(rng, n, size):
    """Label maps (n, H, W) int, and the geometry the renderer reuses."""
    y = (np.arange(size) + 0.5)[None, :, None] / size  # (1, H, 1), pixel centres in [0, 1]
    x = (np.arange(size) + 0.5)[None, None, :] / size  # (1, 1, W)
    left, right = _uniform(rng, 0.0, 0.12, n), 1 - _uniform(rng, 0.0, 0.12, n)
    roof_top = _uniform(rng, 0.06, 0.2, n)
    wall_top = roof_top + _uniform(rng, 0.07, 0.13, n)
    overhang, taper = _uniform(rng, 0.0, 0.04, n), _uniform(rng, 0.0, 0.25, n)
    floors = rng.integers(3, 6, n)[:, None, None]  # including the ground floor
    cols = rng.integers(2, 6, n)[:, None, None]
    win_w, win_h = _uniform(rng, 0.4, 0.6, n), _uniform(rng, 0.45, 0.65, n)
    door_col = (rng.random(n) * cols[:, 0, 0]).astype(np.int64)[:, None, None]
    door_w, door_h = _uniform(rng, 0.5, 0.7, n), _uniform(rng, 0.65, 0.85, n)

    # Roof: a trapezoid from roof_top to wall_top, wider at the bottom (eaves).
    inset = taper * (wall_top - y) / (wall_top - roof_top)
    roof = (y >= roof_top) & (y < wall_top) & (x >= left - overhang + inset) & (x < right + overhang - inset)
    wall = (y >= wall_top) & (x >= left) & (x < right)
    # Cells: floor i, column j; (u, v) the position inside a cell, in [0, 1).
    fx = (x - left) / ((right - left) / cols)
    fy = (y - wall_top) / ((1 - wall_top) / floors)
    col, floor = np.floor(fx), np.floor(fy)
    u, v = fx - col, fy - floor
    in_cell = wall & (col >= 0) & (col < cols) & (floor >= 0) & (floor < floors)
    door_cell = in_cell & (floor == floors - 1) & (col == door_col)
    window = in_cell & ~door_cell & (np.abs(u - 0.5) < win_w / 2) & (np.abs(v - 0.45) < win_h / 2)
    door = door_cell & (np.abs(u - 0.5) < door_w / 2) & (v > 1 - door_h)
    # Just below each window the sill casts a shadow on the wall.
    sill = in_cell & ~door_cell & (np.abs(u - 0.5) < win_w / 2 + 0.05) & (v >= 0.45 + win_h / 2)
    sill &= v < 0.45 + win_h / 2 + 1.5 / size * floors / (1 - wall_top)

    labels = np.full((n, size, size), SKY, dtype=np.uint8)
    labels[roof] = ROOF
    labels[wall] = WALL
    labels[window] = WINDOW
    labels[door] = DOOR
    geometry = {"u": u, "v": v, "col": col, "floor": floor, "win_w": win_w, "win_h": win_h, "sill": sill & wall}
    return labels, geometry


def _pick(rng, palette, n, jitter):
    """(n, 3, 1, 1) colours: one palette row per image, jittered."""
    colour = palette[rng.integers(len(palette), size=n)] + jitter * rng.standard_normal((n, 3))
    return colour[:, :, None, None]


def _smooth_noise(rng, n, size, cells):
    """(n, H, W) bilinear-upsampled noise from a (cells x cells) grid of U(0, 1)."""
    grid = rng.random((n, cells, cells))
    at = (np.arange(size) + 0.5) / size * (cells - 1)
    weights = np.maximum(0, 1 - np.abs(at[:, None] - np.arange(cells)[None]))  # (H, cells) hat functions
    return weights @ grid @ weights.T


def _render(rng, labels, g, size):
    """Photos (n, 3, H, W) in [0, 1] for label maps (n, H, W)."""
    n = len(labels)
    y = np.arange(size, dtype=np.float64)[None, :, None]
    x = np.arange(size, dtype=np.float64)[None, None, :]
    line = max(1.0, size / 64)  # mortar / groove width in pixels
    photo = np.zeros((n, 3, size, size))

    # Sky: a vertical gradient towards a pale horizon, with soft clouds.
    t = (y / size)[:, None]
    sky = (1 - t) * _SKY_TOP[None, :, None, None] + t * _SKY_HORIZON[None, :, None, None]
    sky = sky * _uniform(rng, 0.8, 1.1, n)[:, None]
    clouds = np.clip((_smooth_noise(rng, n, size, 6) - 0.45) * 2.5, 0, 1)[:, None] * _uniform(rng, 0.3, 0.9, n)[:, None]
    sky = sky + (0.95 - sky) * clouds

    # Wall: running-bond bricks of random phase and per-brick colour, mortar between.
    brick_h = size / 21
    brick_w = 2 * brick_h
    yy = y + _uniform(rng, 0, brick_h, n)
    row = np.floor(yy / brick_h)
    xx = x + _uniform(rng, 0, brick_w, n) + (row % 2) * (brick_w / 2)
    column = np.floor(xx / brick_w)
    per_brick = rng.standard_normal((n, int(size / brick_h) + 3, int(size / brick_w) + 4))
    brick = per_brick[np.arange(n)[:, None, None], row.astype(np.int64), column.astype(np.int64)]
    mortar = ((yy % brick_h) < line) | ((xx % brick_w) < line)
    base = _pick(rng, _WALLS, n, 0.04)
    wall = base * (1 + 0.12 * brick[:, None])
    wall = np.where(mortar[:, None], _MORTAR[None, :, None, None] * _uniform(rng, 0.85, 1.05, n)[:, None], wall)
    wall = wall * np.where(g["sill"], 0.55, 1.0)[:, None]

    # Roof: staggered tiles, dark lines along the rows and between tiles.
    tile = size / 24
    ty = y + _uniform(rng, 0, tile, n)
    tx = x + _uniform(rng, 0, 2 * tile, n) + (np.floor(ty / tile) % 2) * tile
    groove = ((ty % tile) < line) | ((tx % (2 * tile)) < line)
    roof = _pick(rng, _ROOFS, n, 0.04) * np.where(groove, 0.65, 1.0)[:, None]

    # Windows: light frame on the label's edge pixels, glass with a diagonal reflection,
    # some windows lit from inside.
    win = labels == WINDOW
    inner = win.copy()
    inner[:, 1:] &= win[:, :-1]
    inner[:, :-1] &= win[:, 1:]
    inner[:, :, 1:] &= win[:, :, :-1]
    inner[:, :, :-1] &= win[:, :, 1:]
    across = (g["u"] - 0.5) / g["win_w"] + (g["v"] - 0.45) / g["win_h"]  # -1..1 over a window
    shine = 0.35 * np.exp(-(((across - _uniform(rng, -0.8, 0.8, n)) / 0.3) ** 2))
    lit_table = rng.random((n, 6, 6)) < 0.15
    cell = np.clip(g["floor"], 0, 5).astype(np.int64), np.clip(g["col"], 0, 5).astype(np.int64)
    lit = lit_table[(np.arange(n)[:, None, None], *cell)]
    glass = np.where(lit[:, None], _LIT[None, :, None, None], _GLASS[None, :, None, None]) + shine[:, None]
    window = np.where(inner[:, None], glass, _FRAME[None, :, None, None])

    # Door: vertical planks with random phase and wood grain.
    plank = size / 32
    grooves = ((x + _uniform(rng, 0, plank, n)) % plank) < line * 0.6
    grain = 0.08 * rng.standard_normal((n, 1, 1, size))
    door = _pick(rng, _WOODS, n, 0.03) * _uniform(rng, 0.7, 1.2, n)[:, None] * (1 + grain)
    door = door * np.where(grooves, 0.6, 1.0)[:, None]

    for label, layer in ((SKY, sky), (ROOF, roof), (WALL, wall), (WINDOW, window), (DOOR, door)):
        photo = np.where((labels == label)[:, None], layer, photo)
    # Light falls from one side across the building (not the sky).
    light = 1 + _uniform(rng, -0.3, 0.3, n) * (x / size - 0.5)
    photo = np.where((labels != SKY)[:, None], photo * light[:, None], photo)
    photo = photo + 0.025 * rng.standard_normal(photo.shape)
    # Soft edges: a little of a 3x3 box blur.
    padded = np.pad(photo, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="edge")
    box = sum(padded[:, :, i : i + size, j : j + size] for i in range(3) for j in range(3)) / 9
    return np.clip(0.7 * photo + 0.3 * box, 0, 1).astype(np.float32)


def make_facades(n: int, seed: int = 0, size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Generate ``n`` random facades, a deterministic function of ``(n, seed, size)``.

    Returns:
        labels: uint8 (n, size, size) class indices into :data:`CLASSES`.
        photos: float32 (n, 3, size, size) in [0, 1].
    """
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    if size < MIN_SIZE:
        raise ValueError(f"facades need size >= {MIN_SIZE} pixels to draw windows, got {size}")
    rng = np.random.default_rng(seed)
    labels = np.empty((n, size, size), dtype=np.uint8)
    photos = np.empty((n, 3, size, size), dtype=np.float32)
    for lo in range(0, n, _CHUNK):
        hi = min(n, lo + _CHUNK)
        labels[lo:hi], geometry = _layout(rng, hi - lo, size)
        photos[lo:hi] = _render(rng, labels[lo:hi], geometry, size)
    return labels, photos


def colour_labels(labels: np.ndarray) -> np.ndarray:
    """Label maps (n, H, W) -> uint8 (n, 3, H, W) images in the flat colours of :data:`PALETTE`."""
    return PALETTE[labels].transpose(0, 3, 1, 2)
