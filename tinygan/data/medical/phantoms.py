"""Random 2-D abdominal phantoms: integer tissue label maps with CT numbers.

A phantom is an axial slice through the upper abdomen, drawn as painted
ellipses in radiological convention: the patient's anterior is at the top of
the image (row 0), the patient's right on the image's left. Each slice draws a
body outline (an ellipse) whose outer shell is subcutaneous fat, a muscle wall,
and inside it a cavity of soft tissue holding visceral fat, optional bowel gas
and lung bases, the liver (with low-contrast lesions and small vessels), the
spleen, the kidneys in perirenal fat, a vertebra (cortical shell, trabecular
marrow, spinal canal, posterior arch), the aorta and vena cava, and rib
cross-sections in the wall. Positions, sizes and rotations are random per
slice and organs are placed relative to the body, so they scale with it.

The image spans :data:`FOV_CM` centimetres across (a 38 cm reconstruction
field of view), so a ``size``-pixel slice has pixels of ``FOV_CM / size`` cm.
Everything outside the body is air (-1000 HU, zero attenuation), and the body
stays inside the image's inscribed circle, as a parallel-beam CT scan with
``circle=True`` requires.

:data:`TISSUES` lists the classes with their CT number (HU at ~70 keV), the
standard deviation of the optional within-tissue texture, and T1- and T2-like
MR intensities used by :mod:`tinygan.data.medical.mr`. Vessels hold
iodine-enhanced blood (portal-venous phase, 160 HU) so they stand out from soft
tissue; the parenchyma keeps its unenhanced value, a stylised choice rather
than one contrast phase. Vessels inside the liver have their own class
(``hepatic_vessel``, the same values) so that organ masks can count them as liver.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

FOV_CM = 38.0  # width of the image in centimetres
MIN_SIZE = 16  # smaller slices cannot hold the anatomy


class Tissue(NamedTuple):
    """One tissue class: label id, name, CT number, texture std and MR intensities."""

    id: int
    name: str
    hu: float  # CT number in Hounsfield units
    texture_hu: float  # std of the smooth within-tissue texture, HU
    t1: float  # T1-weighted-like intensity in [0, 1]
    t2: float  # T2-weighted-like intensity in [0, 1]


# fmt: off
TISSUES: tuple[Tissue, ...] = (
    Tissue(0,  "air",             -1000.0,  0.0, 0.00, 0.00),
    Tissue(1,  "lung",             -850.0, 30.0, 0.03, 0.05),
    Tissue(2,  "fat",              -100.0,  8.0, 0.95, 0.80),
    Tissue(3,  "soft_tissue",        40.0,  6.0, 0.35, 0.25),  # muscle, bowel, mesentery
    Tissue(4,  "liver",              60.0,  5.0, 0.55, 0.22),
    Tissue(5,  "spleen",             45.0,  5.0, 0.42, 0.55),
    Tissue(6,  "kidney",             30.0,  6.0, 0.45, 0.60),
    Tissue(7,  "vessel",            160.0,  4.0, 0.08, 0.10),  # enhanced blood; flow void on MR
    Tissue(8,  "lesion",             45.0,  5.0, 0.38, 0.80),  # 15 HU below liver, T2-bright
    Tissue(9,  "trabecular_bone",   400.0, 40.0, 0.70, 0.50),  # fatty marrow, bright-ish on T1
    Tissue(10, "cortical_bone",    1200.0, 60.0, 0.05, 0.03),
    Tissue(11, "bowel_gas",        -1000.0,  0.0, 0.00, 0.00),
    Tissue(12, "hepatic_vessel",    160.0,  4.0, 0.08, 0.10),  # a vessel, but inside the liver
)
# fmt: on

(
    AIR,
    LUNG,
    FAT,
    SOFT_TISSUE,
    LIVER,
    SPLEEN,
    KIDNEY,
    VESSEL,
    LESION,
    TRABECULAR_BONE,
    CORTICAL_BONE,
    BOWEL_GAS,
    HEPATIC_VESSEL,
) = range(len(TISSUES))
N_TISSUES = len(TISSUES)
TISSUE_NAMES: tuple[str, ...] = tuple(t.name for t in TISSUES)
HU_TABLE = np.array([t.hu for t in TISSUES], dtype=np.float32)
TEXTURE_TABLE = np.array([t.texture_hu for t in TISSUES], dtype=np.float32)
T1_TABLE = np.array([t.t1 for t in TISSUES], dtype=np.float32)
T2_TABLE = np.array([t.t2 for t in TISSUES], dtype=np.float32)

# Texture correlation length (Gaussian sigma) in centimetres.
TEXTURE_CORR_CM = 0.4
# Elements per painting chunk: large enough to amortise numpy call overhead.
_CHUNK_ELEMENTS = 1 << 20
_RIBS_PER_SIDE = 4
_MAX_LESIONS = 3
_MAX_HEPATIC_VESSELS = 3
_MAX_FAT_BLOBS = 5
_MAX_GAS = 3


def _check_size(size: int) -> None:
    if int(size) != size or size < MIN_SIZE:
        raise ValueError(f"phantom size must be an integer >= {MIN_SIZE} pixels, got {size!r}")


def _grid(size: int) -> np.ndarray:
    """Pixel-centre coordinates in [-1, 1], (size,) float32; the same for rows and columns."""
    return ((np.arange(size, dtype=np.float32) + 0.5) / size * 2.0 - 1.0).astype(np.float32)


def _quadratic(coord, cx, cy, ax, ay, angle):
    """Ellipse form ``(u/ax)^2 + (v/ay)^2`` over the grid, (m, H, W) float32.

    ``(u, v)`` are pixel offsets from the centre ``(cx, cy)`` rotated by
    ``-angle``; all parameters are (m,) arrays. The form is expanded as
    ``P dx^2 + Q dx dy + R dy^2`` so that only one product is formed on the
    full grid.
    """
    cx, cy, ax, ay, angle = (np.asarray(v, dtype=np.float32)[:, None] for v in (cx, cy, ax, ay, angle))
    c, s = np.cos(angle), np.sin(angle)
    ia, ib = 1.0 / ax**2, 1.0 / ay**2
    P = c * c * ia + s * s * ib
    Q = 2.0 * c * s * (ia - ib)
    R = s * s * ia + c * c * ib
    dx = coord[None, :] - cx  # (m, W)
    dy = coord[None, :] - cy  # (m, H)
    return (P * dx * dx)[:, None, :] + dy[:, :, None] * (Q * dx)[:, None, :] + (R * dy * dy)[:, :, None]


class _Frame(NamedTuple):
    """An ellipse (centre, semi-axes, rotation), each an (m,) array, used to place organs."""

    cx: np.ndarray
    cy: np.ndarray
    ax: np.ndarray
    ay: np.ndarray
    angle: np.ndarray

    def point(self, u, v):
        """World coordinates of frame coordinates ``(u, v)`` (in semi-axis units)."""
        c, s = np.cos(self.angle), np.sin(self.angle)
        x, y = u * self.ax, v * self.ay
        return self.cx + c * x - s * y, self.cy + s * x + c * y


def _draw_parameters(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """All random numbers of ``n`` slices, drawn up front so chunking cannot change them."""
    u = rng.uniform

    def flag(p, shape):
        return rng.random(shape) < p

    return {
        # body outline (normalised image coordinates, the image spans [-1, 1])
        "body_cx": u(-0.03, 0.03, n),
        "body_cy": u(-0.03, 0.03, n),
        "body_ax": u(0.72, 0.86, n),
        "body_aspect": u(0.68, 0.82, n),
        "body_angle": np.deg2rad(u(-6.0, 6.0, n)),
        "fat_thickness": u(0.04, 0.12, n),
        "muscle_thickness": u(0.03, 0.05, n),
        # in cavity frame coordinates below
        "fat_blob": np.stack(
            [
                u(-0.5, 0.5, (n, _MAX_FAT_BLOBS)),
                u(-0.7, 0.1, (n, _MAX_FAT_BLOBS)),
                u(0.08, 0.2, (n, _MAX_FAT_BLOBS)),
                u(0.08, 0.2, (n, _MAX_FAT_BLOBS)),
                u(0.0, np.pi, (n, _MAX_FAT_BLOBS)),
            ],
            -1,
        ),
        "fat_blob_on": flag(0.6, (n, _MAX_FAT_BLOBS)),
        "lung_on": flag(0.35, n),
        "lung": np.stack([u(0.5, 0.62, n), u(0.45, 0.6, n), u(0.25, 0.35, n), u(0.3, 0.45, n)], -1),
        "gas": np.stack(
            [
                u(-0.2, 0.6, (n, _MAX_GAS)),
                u(-0.75, 0.0, (n, _MAX_GAS)),
                u(0.03, 0.07, (n, _MAX_GAS)),
                u(0.6, 1.0, (n, _MAX_GAS)),
                u(0.0, np.pi, (n, _MAX_GAS)),
            ],
            -1,
        ),
        "gas_on": flag(0.5, (n, _MAX_GAS)),
        "liver": np.stack(
            [u(-0.55, -0.38, n), u(-0.2, 0.05, n), u(0.42, 0.55, n), u(0.5, 0.7, n), np.deg2rad(u(-25.0, 25.0, n))], -1
        ),
        "spleen_on": flag(0.85, n),
        "spleen": np.stack(
            [u(0.55, 0.7, n), u(0.1, 0.35, n), u(0.16, 0.25, n), u(0.25, 0.35, n), np.deg2rad(u(20.0, 60.0, n))], -1
        ),
        "kidneys_on": flag(0.8, (n, 2)),
        "kidney": np.stack(
            [
                u(0.3, 0.42, (n, 2)),
                u(0.35, 0.5, (n, 2)),
                u(0.11, 0.15, (n, 2)),
                u(0.17, 0.25, (n, 2)),
                np.deg2rad(u(15.0, 35.0, (n, 2))),
            ],
            -1,
        ),
        "perirenal": u(1.25, 1.5, (n, 2)),
        "lesions_on": flag(0.4, (n, _MAX_LESIONS)),
        # lesions in liver frame: radius fraction, angle; size in image units
        "lesion": np.stack(
            [
                np.sqrt(u(0.0, 1.0, (n, _MAX_LESIONS))) * 0.65,
                u(0.0, 2 * np.pi, (n, _MAX_LESIONS)),
                u(0.04, 0.09, (n, _MAX_LESIONS)),
                u(0.75, 1.0, (n, _MAX_LESIONS)),
                u(0.0, np.pi, (n, _MAX_LESIONS)),
            ],
            -1,
        ),
        "hepatic_on": flag(0.6, (n, _MAX_HEPATIC_VESSELS)),
        "hepatic": np.stack(
            [
                np.sqrt(u(0.0, 1.0, (n, _MAX_HEPATIC_VESSELS))) * 0.7,
                u(0.0, 2 * np.pi, (n, _MAX_HEPATIC_VESSELS)),
                u(0.015, 0.03, (n, _MAX_HEPATIC_VESSELS)),
            ],
            -1,
        ),
        # spine: vertebral body centre (cavity frame), radius in units of cavity ax
        "spine": np.stack([u(-0.04, 0.04, n), u(0.42, 0.52, n), u(0.13, 0.16, n)], -1),
        "aorta": np.stack([u(0.4, 0.7, n), u(0.35, 0.5, n)], -1),
        "ivc": np.stack([u(0.8, 1.1, n), u(0.4, 0.55, n), u(0.3, 0.4, n)], -1),
        # ribs: angle from the lateral direction (positive = posterior), per side
        "ribs_on": flag(0.6, (n, 2 * _RIBS_PER_SIDE)),
        "rib_angle": np.deg2rad(u(-35.0, 65.0, (n, 2 * _RIBS_PER_SIDE))),
        "rib_size": np.stack([u(0.03, 0.045, (n, 2 * _RIBS_PER_SIDE)), u(0.018, 0.026, (n, 2 * _RIBS_PER_SIDE))], -1),
    }


def _paint(labels, mask, value):
    np.putmask(labels, mask, np.uint8(value))


def _paint_chunk(coord: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    """Paint the slices whose parameters are ``p``; (m, H, W) uint8 labels."""
    m, size = len(p["body_cx"]), len(coord)
    labels = np.zeros((m, size, size), dtype=np.uint8)
    ones = np.ones(m, dtype=np.float32)

    def ellipse(cx, cy, ax, ay, angle):
        return _quadratic(coord, cx, cy, ax, ay, angle) <= 1.0

    body = _Frame(p["body_cx"], p["body_cy"], p["body_ax"], p["body_ax"] * p["body_aspect"], p["body_angle"])
    _paint(labels, ellipse(*body), FAT)
    inner_shrink = p["fat_thickness"]
    wall = body._replace(ax=body.ax - inner_shrink, ay=body.ay - inner_shrink)
    _paint(labels, ellipse(*wall), SOFT_TISSUE)
    shrink = inner_shrink + p["muscle_thickness"]
    cav = body._replace(ax=body.ax - shrink, ay=body.ay - shrink)
    cavity = ellipse(*cav)

    def organ(params, on=None, clip=cavity):
        """Paint-ready mask of an ellipse given in cavity-frame units (u, v, au, av, angle)."""
        cx, cy = cav.point(params[..., 0], params[..., 1])
        mask = ellipse(cx, cy, params[..., 2] * cav.ax, params[..., 3] * cav.ay, cav.angle + params[..., 4])
        if on is not None:
            mask &= on[:, None, None]
        return mask & clip

    for k in range(_MAX_FAT_BLOBS):
        _paint(labels, organ(p["fat_blob"][:, k], p["fat_blob_on"][:, k]), FAT)
    for side in (-1.0, 1.0):
        lung = p["lung"]
        params = np.stack([side * lung[:, 0], lung[:, 1], lung[:, 2], lung[:, 3], 0 * ones], -1)
        _paint(labels, organ(params, p["lung_on"]), LUNG)
    for k in range(_MAX_GAS):
        g = p["gas"][:, k]
        cx, cy = cav.point(g[:, 0], g[:, 1])
        mask = ellipse(cx, cy, g[:, 2], g[:, 2] * g[:, 3], g[:, 4]) & p["gas_on"][:, k, None, None] & cavity
        _paint(labels, mask, BOWEL_GAS)
    # kidneys sit in perirenal fat; the patient's left kidney is on the image's right (u > 0)
    for j, side in enumerate((-1.0, 1.0)):
        kd = p["kidney"][:, j]
        params = np.stack([side * kd[:, 0], kd[:, 1], kd[:, 2], kd[:, 3], -side * kd[:, 4]], -1)
        fat = params.copy()
        fat[:, 2:4] *= p["perirenal"][:, j, None]
        _paint(labels, organ(fat, p["kidneys_on"][:, j]), FAT)
        _paint(labels, organ(params, p["kidneys_on"][:, j]), KIDNEY)
    _paint(labels, organ(p["liver"]), LIVER)
    _paint(labels, organ(p["spleen"], p["spleen_on"]), SPLEEN)

    # lesions and small vessels inside the liver, in the liver's own frame
    lv = p["liver"]
    lcx, lcy = cav.point(lv[:, 0], lv[:, 1])
    liver = _Frame(lcx, lcy, lv[:, 2] * cav.ax, lv[:, 3] * cav.ay, cav.angle + lv[:, 4])
    for k in range(_MAX_LESIONS):
        les = p["lesion"][:, k]
        cx, cy = liver.point(les[:, 0] * np.cos(les[:, 1]), les[:, 0] * np.sin(les[:, 1]))
        mask = ellipse(cx, cy, les[:, 2], les[:, 2] * les[:, 3], les[:, 4])
        _paint(labels, mask & (labels == LIVER) & p["lesions_on"][:, k, None, None], LESION)
    for k in range(_MAX_HEPATIC_VESSELS):
        hv = p["hepatic"][:, k]
        cx, cy = liver.point(hv[:, 0] * np.cos(hv[:, 1]), hv[:, 0] * np.sin(hv[:, 1]))
        in_liver = (labels == LIVER) | (labels == LESION)
        mask = ellipse(cx, cy, hv[:, 2], hv[:, 2], 0 * ones) & in_liver & p["hepatic_on"][:, k, None, None]
        _paint(labels, mask, HEPATIC_VESSEL)

    # vertebra: cortical shell around trabecular bone, canal and arch behind it
    sp = p["spine"]
    vx, vy = cav.point(sp[:, 0], sp[:, 1])
    r = sp[:, 2] * cav.ax
    c, s = np.cos(cav.angle), np.sin(cav.angle)  # the body's posterior direction is (-s, c)
    kx, ky = vx - s * 1.45 * r, vy + c * 1.45 * r  # spinal canal centre
    _paint(labels, ellipse(kx, ky, 0.9 * r, 0.75 * r, cav.angle), CORTICAL_BONE)  # arch (laminae, pedicles)
    _paint(labels, ellipse(kx - s * 0.95 * r, ky + c * 0.95 * r, 0.18 * r, 0.55 * r, cav.angle), CORTICAL_BONE)
    _paint(labels, ellipse(kx, ky, 0.48 * r, 0.42 * r, cav.angle), SOFT_TISSUE)  # canal: cord and CSF
    q = _quadratic(coord, vx, vy, r, 0.85 * r, cav.angle)  # the vertebral body, over the arch's front
    _paint(labels, q <= 1.0, CORTICAL_BONE)
    _paint(labels, q <= 0.72**2, TRABECULAR_BONE)

    # aorta left-anterior of the vertebra (image right), vena cava right-anterior
    ao = p["aorta"]
    ra = ao[:, 1] * r
    ax_, ay_ = vx + c * ao[:, 0] * r + s * 1.35 * r, vy + s * ao[:, 0] * r - c * 1.35 * r
    _paint(labels, ellipse(ax_, ay_, ra, ra, 0 * ones), VESSEL)
    iv = p["ivc"]
    ix, iy = vx - c * iv[:, 0] * r + s * 1.4 * r, vy - s * iv[:, 0] * r - c * 1.4 * r
    _paint(labels, ellipse(ix, iy, iv[:, 1] * 1.3 * r, iv[:, 2] * r, cav.angle), VESSEL)

    # ribs: small cortical ellipses in the muscle wall, lateral and posterior
    mid = body._replace(
        ax=body.ax - inner_shrink - 0.5 * p["muscle_thickness"], ay=body.ay - inner_shrink - 0.5 * p["muscle_thickness"]
    )
    for k in range(2 * _RIBS_PER_SIDE):
        side = -1.0 if k < _RIBS_PER_SIDE else 1.0
        t = p["rib_angle"][:, k]
        cx, cy = mid.point(side * np.cos(t), np.sin(t))
        # long axis along the wall: the frame tangent of (side cos t, sin t) is (-side ax sin t, ay cos t)
        tang = body.angle + np.arctan2(mid.ay * np.cos(t), -side * mid.ax * np.sin(t))
        rs = p["rib_size"][:, k]
        mask = ellipse(cx, cy, rs[:, 0], rs[:, 1], tang) & p["ribs_on"][:, k, None, None]
        _paint(labels, mask, CORTICAL_BONE)
    return labels


def make_phantoms(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` random abdominal slices of ``size`` x ``size`` pixels.

    The output is a deterministic function of ``(n, size)`` and the state of
    ``rng``; every slice's parameters are drawn before any painting, in one
    batch, so the same ``rng`` state always gives the same anatomy.

    Returns:
        labels: uint8 (n, size, size) tissue ids, indices into :data:`TISSUES`.
    """
    if int(n) != n or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    _check_size(size)
    n, size = int(n), int(size)
    p = _draw_parameters(n, rng)
    coord = _grid(size)
    labels = np.empty((n, size, size), dtype=np.uint8)
    chunk = max(1, _CHUNK_ELEMENTS // (size * size))
    for lo in range(0, n, chunk):
        labels[lo : lo + chunk] = _paint_chunk(coord, {k: v[lo : lo + chunk] for k, v in p.items()})
    return labels


def make_phantom(size: int, rng: np.random.Generator) -> np.ndarray:
    """One random slice, uint8 (size, size) tissue ids; see :func:`make_phantoms`."""
    return make_phantoms(1, size, rng)[0]


def _check_labels(labels: np.ndarray) -> np.ndarray:
    labels = np.asarray(labels)
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be an integer array of tissue ids, got dtype {labels.dtype}")
    if labels.ndim < 2:
        raise ValueError(f"labels must be (H, W) or (n, H, W), got shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= N_TISSUES):
        raise ValueError(f"labels must lie in 0..{N_TISSUES - 1}, got values {labels.min()}..{labels.max()}")
    return labels


def smooth_noise(shape: tuple[int, ...], sigma_px: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian random field with unit variance, correlated over ``sigma_px`` pixels.

    White noise low-pass filtered by a Gaussian of std ``sigma_px`` (periodic,
    through the FFT) over the last two axes and rescaled to unit std.
    Returns float32 of ``shape`` (..., H, W).
    """
    h, w = shape[-2:]
    white = rng.standard_normal(shape, dtype=np.float32)
    if sigma_px <= 0:
        return white
    field = fft_gaussian(white, sigma_px)
    ky = np.fft.fftfreq(h)[:, None]
    # Parseval: the filtered variance is the mean squared transfer over all frequencies.
    full = np.exp(-2.0 * (np.pi * sigma_px) ** 2 * (np.fft.fftfreq(w)[None, :] ** 2 + ky**2))
    return (field / np.sqrt(np.mean(full**2))).astype(np.float32)


def fft_gaussian(x: np.ndarray, sigma_px: float) -> np.ndarray:
    """``x`` blurred by a Gaussian of std ``sigma_px`` > 0 over its last two axes, through the FFT
    (periodic: the borders wrap around), in ``x``'s precision (NumPy's FFT keeps float32)."""
    h, w = x.shape[-2:]
    ky = np.fft.fftfreq(h)[:, None]
    kx = np.fft.rfftfreq(w)[None, :]
    transfer = np.exp(-2.0 * (np.pi * sigma_px) ** 2 * (kx**2 + ky**2))
    return np.fft.irfft2(np.fft.rfft2(x) * transfer, s=(h, w))


def texture_sigma_px(size: int) -> float:
    """The texture's correlation length :data:`TEXTURE_CORR_CM` in pixels of a ``size``-pixel slice."""
    return TEXTURE_CORR_CM / (FOV_CM / size)


def labels_to_hu(labels: np.ndarray, rng: np.random.Generator | None = None, texture: float = 1.0) -> np.ndarray:
    """CT numbers of a label map, float32 of the same shape, in HU.

    Without ``rng`` every tissue is uniform at its :data:`TISSUES` value. With
    ``rng`` a smooth texture (correlation :data:`TEXTURE_CORR_CM`) is added,
    each tissue scaled by its ``texture_hu`` times ``texture``; air and gas get
    none, so everything outside the body stays exactly -1000 HU.
    """
    labels = _check_labels(labels)
    if not np.isfinite(texture) or texture < 0:
        raise ValueError(f"texture must be non-negative, got {texture}")
    hu = HU_TABLE[labels]
    if rng is not None and texture != 0:
        hu += (texture * TEXTURE_TABLE[labels]) * smooth_noise(labels.shape, texture_sigma_px(labels.shape[-1]), rng)
    return hu


def tissue_id(name: str) -> int:
    """Label id of a tissue name in :data:`TISSUES`."""
    if name not in TISSUE_NAMES:
        raise ValueError(f"unknown tissue {name!r}; known: {', '.join(TISSUE_NAMES)}")
    return TISSUE_NAMES.index(name)
