"""MR-like renderings of the phantoms' label maps: tissue contrast, bias field, Rician noise.

Not a Bloch simulation: each tissue gets a fixed intensity in [0, 1] from
:data:`~tinygan.data.medical.phantoms.TISSUES` (``t1``: fat bright, fatty marrow
bright-ish, muscle and organs grey with the liver brighter than the spleen, cortical
bone, air, gas and flowing blood dark; ``t2``: fluid-like lesions, spleen and kidneys
bright). On top come, in the order a scanner applies them:

* optional within-tissue texture (smooth, a few percent of the intensity);
* a smooth multiplicative bias field (receive-coil inhomogeneity), ``exp`` of a random
  cubic polynomial in the image coordinates scaled so that the log-field spans
  ``bias`` from its lowest to its highest point and peaks at 1 (the field only darkens);
* Rician noise: the magnitude of the complex signal plus complex Gaussian noise of std
  ``noise`` per channel, ``|s + n_re + i n_im|``, which is never negative and lifts the
  dark background to a Rayleigh floor of mean ``noise * sqrt(pi / 2)``.

The result is clipped to [0, 1].
"""

from __future__ import annotations

import numpy as np

from .phantoms import T1_TABLE, T2_TABLE, _check_labels, smooth_noise, texture_sigma_px

WEIGHTINGS = ("t1", "t2")
_POLY_DEGREE = 3
TEXTURE_FRACTION = 0.03  # texture std relative to the tissue intensity, at texture=1


def bias_field(shape: tuple[int, ...], amplitude: float, rng: np.random.Generator) -> np.ndarray:
    """Smooth multiplicative fields, float32 ``shape`` (..., H, W), with values in
    ``[exp(-amplitude), 1]``: ``exp`` of a random polynomial of degree 3 in (x, y) whose
    range over each image is exactly ``amplitude`` (0 gives a field of ones)."""
    if not np.isfinite(amplitude) or amplitude < 0:
        raise ValueError(f"bias amplitude must be non-negative, got {amplitude}")
    h, w = shape[-2:]
    lead = tuple(shape[:-2])
    if amplitude == 0:
        return np.ones(shape, dtype=np.float32)
    y = np.linspace(-1.0, 1.0, h)[:, None]
    x = np.linspace(-1.0, 1.0, w)[None, :]
    terms = [x**i * y**j for i in range(_POLY_DEGREE + 1) for j in range(_POLY_DEGREE + 1 - i) if i + j > 0]
    basis = np.stack([np.broadcast_to(t, (h, w)) for t in terms])  # (T, H, W)
    # Higher orders get smaller coefficients, so the field is dominated by gentle ramps.
    order = np.array([i + j for i in range(_POLY_DEGREE + 1) for j in range(_POLY_DEGREE + 1 - i) if i + j > 0])
    coef = rng.standard_normal((*lead, len(terms))) / order
    poly = np.tensordot(coef, basis, axes=1)  # (..., H, W)
    lo = poly.min(axis=(-2, -1), keepdims=True)
    hi = poly.max(axis=(-2, -1), keepdims=True)
    log_field = amplitude * ((poly - lo) / np.maximum(hi - lo, 1e-12) - 1.0)
    return np.exp(log_field).astype(np.float32)


def render_mr(
    labels: np.ndarray,
    rng: np.random.Generator,
    noise: float = 0.03,
    bias: float = 0.4,
    weighting: str = "t1",
    texture: float = 1.0,
) -> np.ndarray:
    """MR-like images of label maps.

    Args:
        labels: (H, W) or (n, H, W) tissue ids (see :data:`~tinygan.data.medical.phantoms.TISSUES`).
        rng: draws the texture, bias fields and noise.
        noise: Rician noise std per complex channel, in units of the [0, 1] intensity.
        bias: range of the log bias field (0.4: the darkest spot is ``exp(-0.4)`` = 67%
            of the brightest); 0 turns it off.
        weighting: ``"t1"`` or ``"t2"``, which intensity column of the tissue table.
        texture: scale of the within-tissue texture (0 for flat tissues).

    Returns:
        float32 of ``labels``'s shape, in [0, 1].
    """
    labels = _check_labels(labels)
    if weighting not in WEIGHTINGS:
        raise ValueError(f"unknown MR weighting {weighting!r}; known: {', '.join(WEIGHTINGS)}")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be non-negative, got {noise}")
    if not np.isfinite(texture) or texture < 0:
        raise ValueError(f"texture must be non-negative, got {texture}")
    table = T1_TABLE if weighting == "t1" else T2_TABLE
    signal = table[labels]
    if texture > 0:
        noise_field = smooth_noise(labels.shape, texture_sigma_px(labels.shape[-1]), rng)
        signal = signal * (1.0 + texture * TEXTURE_FRACTION * noise_field)
    signal = signal * bias_field(labels.shape, bias, rng)
    if noise > 0:
        real = signal + rng.normal(0.0, noise, signal.shape).astype(np.float32)
        imag = rng.normal(0.0, noise, signal.shape).astype(np.float32)
        signal = np.hypot(real, imag)
    return np.clip(signal, 0.0, 1.0).astype(np.float32)
