"""Image-quality metrics for image-to-image translation (low-dose CT denoising and the like).

Everything that measures a result lives here, in NumPy only (no SciPy, no scikit-image), so the
numbers in a report mean the same thing everywhere:

* :func:`window` clips to an intensity window, e.g. the abdominal CT window [-160, 240] HU.
* :func:`psnr`, :func:`rmse`: pixel-wise errors. ``psnr`` needs an explicit ``data_range``.
* :func:`ssim` (one 2-D image) and :func:`ssim_batch` (N, H, W) or (N, C, H, W): Wang et al.
  (2004) with an 11x11 Gaussian window, sigma 1.5, K1 = 0.01, K2 = 0.03. It reproduces
  ``skimage.metrics.structural_similarity(x, y, data_range=R, gaussian_weights=True, sigma=1.5,
  use_sample_covariance=False)`` (to about 1e-15 on float64 images).
* :func:`hu_metrics`: PSNR / SSIM in a CT window and RMSE in HU, with the window in the result.
* :func:`dice`: per-label Dice of integer label masks.
* :func:`noise_power_spectrum` and :func:`radial_power_spectrum`: radially averaged 2-D power
  spectra (one core, :func:`_radial_spectrum`), and :func:`spectrum_centroid` to sum one up in a
  number. They show where in frequency an output differs from its target: L1-trained outputs are
  over-smooth (too little power at high frequencies), adversarial ones restore texture.

Inputs may be NumPy arrays, anything ``np.asarray`` takes, or tinygan Tensors (anything with a
``.numpy()`` method); all arithmetic is done in float64.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# The usual abdominal window for low-dose CT denoising (e.g. the AAPM / Mayo LDCT challenge
# papers): [-160, 240] HU, so data_range = 400.
ABDOMEN_WINDOW_HU: tuple[float, float] = (-160.0, 240.0)


def _to_numpy(x: Any, name: str = "x") -> np.ndarray:
    """A float64 NumPy array from an array, an array-like or a tinygan Tensor (``.numpy()``)."""
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        x = x.numpy()
    arr = np.asarray(x)
    if arr.dtype == object:
        raise TypeError(f"{name} must be numeric, got an object array")
    return arr.astype(np.float64, copy=False)


def _pair(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Both inputs as float64 arrays of the same, non-empty shape."""
    a, b = _to_numpy(x, "x"), _to_numpy(y, "y")
    if a.shape != b.shape:
        raise ValueError(f"x and y must have the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        raise ValueError(f"x and y must not be empty, got shape {a.shape}")
    return a, b


def _check_range(data_range: float) -> float:
    try:
        r = float(data_range)
    except (TypeError, ValueError):
        raise TypeError(f"data_range must be a positive number, got {data_range!r}") from None
    if not (r > 0 and math.isfinite(r)):
        raise ValueError(f"data_range must be positive and finite, got {data_range!r}")
    return r


def _check_window(lo: float, hi: float) -> tuple[float, float]:
    lo, hi = float(lo), float(hi)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"the window needs finite lo < hi, got ({lo}, {hi})")
    return lo, hi


# --------------------------------------------------------------------------- pixel-wise errors


def window(x: Any, lo: float, hi: float) -> np.ndarray:
    """Clip to the intensity window [lo, hi], e.g. ``window(ct_hu, -160, 240)``.

    Any shape; returns float64 of the same shape, ``min(max(x, lo), hi)``. The data range of the
    result is ``hi - lo``, the value to pass to :func:`psnr` / :func:`ssim`.
    """
    lo, hi = _check_window(lo, hi)
    return np.clip(_to_numpy(x), lo, hi)


def mse(x: Any, y: Any) -> float:
    """Mean squared error ``mean((x - y)^2)`` over all elements; x and y of the same shape."""
    a, b = _pair(x, y)
    return float(np.mean((a - b) ** 2))


def rmse(x: Any, y: Any) -> float:
    """Root mean squared error ``sqrt(mean((x - y)^2))`` over all elements, in the inputs' units (e.g. HU)."""
    return math.sqrt(mse(x, y))


def psnr(x: Any, y: Any, data_range: float) -> float:
    """Peak signal-to-noise ratio in dB: ``10 log10(data_range^2 / MSE)``.

    Args:
        x, y: arrays of the same non-empty shape; the MSE is taken over all elements (for a
            per-image average over a batch, call this per image).
        data_range: the width of the intensity range, e.g. 255 for 8-bit images, 1 for [0, 1],
            ``hi - lo`` for a window (400 for [-160, 240] HU). Required: guessing it from the
            dtype or the data makes numbers incomparable.

    Returns:
        PSNR in dB; ``inf`` when x == y. MSE 1 with range 255 gives 48.13 dB.

    Raises:
        ValueError: for a non-positive or non-finite data_range, mismatched or empty inputs.
    """
    r = _check_range(data_range)
    err = mse(x, y)
    if err == 0:
        return math.inf
    return 10.0 * math.log10(r * r / err)


# --------------------------------------------------------------------------- SSIM


def gaussian_kernel1d(win_size: int = 11, sigma: float = 1.5) -> np.ndarray:
    """Normalised 1-D Gaussian of ``win_size`` taps (odd): ``w_k ∝ exp(-k^2 / (2 sigma^2))``, k = -r..r.

    ``r = (win_size - 1) // 2``; the weights sum to 1 over the truncated support, as in
    ``scipy.ndimage.gaussian_filter``. Returns float64 of shape (win_size,).
    """
    if int(win_size) != win_size or win_size < 1 or win_size % 2 == 0:
        raise ValueError(f"win_size must be a positive odd integer, got {win_size}")
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    r = (int(win_size) - 1) // 2
    k = np.arange(-r, r + 1, dtype=np.float64)
    w = np.exp(-0.5 * (k / sigma) ** 2)
    return w / w.sum()


def gaussian_filter2d(x: Any, win_size: int = 11, sigma: float = 1.5) -> np.ndarray:
    """Separable Gaussian filter over the last two axes, with half-sample symmetric borders.

    ``x`` has shape (..., H, W); the leading axes are filtered independently. The border mode
    reflects about the pixel edge (``d c b a | a b c d | d c b a``), which is
    ``scipy.ndimage``'s ``mode='reflect'`` and NumPy's ``np.pad(mode='symmetric')``. Each axis is
    a correlation with :func:`gaussian_kernel1d` (symmetric, so also a convolution). Returns
    float64 of the same shape.
    """
    w = gaussian_kernel1d(win_size, sigma)
    a = _to_numpy(x)
    if a.ndim < 2:
        raise ValueError(f"x must have at least 2 dimensions (..., H, W), got shape {a.shape}")
    r = len(w) // 2
    for axis in (-2, -1):
        n = a.shape[axis]
        pad = [(0, 0)] * a.ndim
        pad[axis] = (r, r)
        p = np.pad(a, pad, mode="symmetric")
        out = np.zeros_like(a)
        for k, wk in enumerate(w):
            out += wk * (p[..., k : k + n, :] if axis == -2 else p[..., k : k + n])
        a = out
    return a


def _ssim_map(
    a: np.ndarray, b: np.ndarray, data_range: float, win_size: int, sigma: float, k1: float, k2: float
) -> np.ndarray:
    """The SSIM map of (..., H, W) float64 arrays, uncropped, same shape as the inputs."""
    r = _check_range(data_range)
    if not (k1 > 0 and k2 > 0):
        raise ValueError(f"k1 and k2 must be positive, got {k1} and {k2}")
    if int(win_size) != win_size or win_size < 3 or win_size % 2 == 0:
        raise ValueError(f"win_size must be an odd integer >= 3, got {win_size}")
    if a.ndim < 2 or min(a.shape[-2:]) < win_size:
        raise ValueError(f"images of shape (..., H, W) need H, W >= win_size = {win_size}, got shape {a.shape}")

    def filt(v: np.ndarray) -> np.ndarray:
        return gaussian_filter2d(v, win_size, sigma)

    ux, uy = filt(a), filt(b)
    # population (biased) weighted (co)variances, as in Wang et al. 2004
    vx = filt(a * a) - ux * ux
    vy = filt(b * b) - uy * uy
    vxy = filt(a * b) - ux * uy
    c1, c2 = (k1 * r) ** 2, (k2 * r) ** 2
    num = (2 * ux * uy + c1) * (2 * vxy + c2)
    den = (ux * ux + uy * uy + c1) * (vx + vy + c2)
    return num / den


def ssim(
    x: Any,
    y: Any,
    data_range: float,
    win_size: int = 11,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
    full: bool = False,
) -> float | tuple[float, np.ndarray]:
    """Mean structural similarity of two 2-D images (Wang et al., IEEE TIP 2004).

    With Gaussian-weighted local statistics (window ``win_size`` x ``win_size``, std ``sigma``)
    ``mu_x = G * x``, ``sigma_x^2 = G * x^2 - mu_x^2``, ``sigma_xy = G * (x y) - mu_x mu_y``::

        SSIM = (2 mu_x mu_y + C1) (2 sigma_xy + C2) / ((mu_x^2 + mu_y^2 + C1) (sigma_x^2 + sigma_y^2 + C2))

    with ``C1 = (k1 * data_range)^2``, ``C2 = (k2 * data_range)^2``. The filter reflects at the
    borders (half-sample symmetric) and the map's mean is taken after cropping
    ``(win_size - 1) // 2`` pixels from every border.

    This reproduces ``skimage.metrics.structural_similarity(x, y, data_range=data_range,
    gaussian_weights=True, sigma=1.5, use_sample_covariance=False)`` for float64 images (scikit-image
    truncates its Gaussian at 3.5 sigma, i.e. 11 taps for sigma 1.5, so other sigmas match it when
    ``win_size == 2 * int(3.5 * sigma + 0.5) + 1``). Integer images are not rescaled here, whereas
    scikit-image's filter would rescale them; pass floats to it when comparing.

    Args:
        x, y: 2-D images of the same shape (H, W), H and W >= win_size. For batches use
            :func:`ssim_batch`.
        data_range: width of the intensity range (required, positive), e.g. 400 for [-160, 240] HU.
        win_size: odd Gaussian window size (default 11); sigma: its std (default 1.5).
        k1, k2: stabilising constants (defaults 0.01, 0.03).
        full: also return the full (uncropped) SSIM map, float64 (H, W).

    Returns:
        The mean SSIM (float, <= 1; 1 for identical images), or ``(mean, map)`` with ``full``.
    """
    a, b = _pair(x, y)
    if a.ndim != 2:
        raise ValueError(f"ssim takes 2-D images (H, W), got shape {a.shape}; use ssim_batch for batches")
    s = _ssim_map(a, b, data_range, win_size, sigma, k1, k2)
    p = (win_size - 1) // 2
    m = float(s[p : s.shape[0] - p, p : s.shape[1] - p].mean())
    return (m, s) if full else m


def ssim_batch(
    x: Any,
    y: Any,
    data_range: float,
    win_size: int = 11,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
    reduce: bool = True,
) -> float | np.ndarray:
    """SSIM of every 2-D image of a batch, and their mean.

    Args:
        x, y: arrays of the same shape (H, W), (N, H, W) or (N, C, H, W) (any leading axes);
            each (H, W) slice is scored on its own with :func:`ssim`'s settings.
        data_range, win_size, sigma, k1, k2: as in :func:`ssim`.
        reduce: return the mean over all images and channels (default) instead of the per-image
            values.

    Returns:
        A float (mean over the leading axes; for (C, H, W) that is scikit-image's
        ``channel_axis=0`` result), or with ``reduce=False`` float64 of shape ``x.shape[:-2]``.
    """
    a, b = _pair(x, y)
    if a.ndim < 2:
        raise ValueError(f"ssim_batch takes (..., H, W), got shape {a.shape}")
    s = _ssim_map(a, b, data_range, win_size, sigma, k1, k2)
    p = (win_size - 1) // 2
    per_image = s[..., p : s.shape[-2] - p, p : s.shape[-1] - p].mean(axis=(-2, -1))
    return float(per_image.mean()) if reduce else per_image


# --------------------------------------------------------------------------- CT convenience


def hu_metrics(output_hu: Any, target_hu: Any, window: tuple[float, float] = ABDOMEN_WINDOW_HU) -> dict[str, Any]:
    """PSNR and SSIM in a CT display window, and RMSE in HU, for a denoised image vs its target.

    PSNR and SSIM are computed after clipping both images to ``window = (lo, hi)`` with
    ``data_range = hi - lo`` (the usual abdominal LDCT window [-160, 240] HU, range 400). RMSE is
    computed on the **unclipped** HU values (it is the physical error; for a windowed RMSE use
    ``rmse(window(a, lo, hi), window(b, lo, hi))``).

    Args:
        output_hu, target_hu: images in HU, shape (H, W) or a batch (N, H, W) / (N, C, H, W). For
            a batch every metric is computed per (H, W) image and then averaged (the per-slice
            mean that LDCT papers report), so PSNR is the mean of per-image PSNRs.
        window: (lo, hi) in HU.

    Returns:
        ``{"psnr": dB, "ssim": float, "rmse": HU, "window": (lo, hi), "data_range": hi - lo,
        "n_images": int}``.
    """
    lo, hi = _check_window(*window)
    a, b = _pair(output_hu, target_hu)
    if a.ndim < 2:
        raise ValueError(f"hu_metrics takes images (..., H, W), got shape {a.shape}")
    r = hi - lo
    a2 = a.reshape(-1, *a.shape[-2:])
    b2 = b.reshape(-1, *b.shape[-2:])
    aw, bw = np.clip(a2, lo, hi), np.clip(b2, lo, hi)
    psnrs = [psnr(u, v, r) for u, v in zip(aw, bw)]
    rmses = [rmse(u, v) for u, v in zip(a2, b2)]
    return {
        "psnr": float(np.mean(psnrs)),
        "ssim": ssim_batch(aw, bw, data_range=r),
        "rmse": float(np.mean(rmses)),
        "window": (lo, hi),
        "data_range": r,
        "n_images": len(a2),
    }


# --------------------------------------------------------------------------- segmentation


def _labels_array(x: Any, name: str) -> np.ndarray:
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        x = x.numpy()
    arr = np.asarray(x)
    if arr.dtype == bool:
        return arr.astype(np.int64)
    if np.issubdtype(arr.dtype, np.integer):
        return arr
    if np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr)):
        return arr.astype(np.int64)
    raise ValueError(f"{name} must be an integer (or boolean) label mask, got dtype {arr.dtype}")


def dice(pred: Any, target: Any, labels: Any = None, empty: float = math.nan) -> dict[int, float]:
    """Per-label Dice coefficient of two integer label masks.

    ``Dice_l = 2 |P_l ∩ T_l| / (|P_l| + |T_l|)`` with ``P_l = {pred == l}``, ``T_l = {target == l}``.

    Args:
        pred, target: integer (or boolean, or integer-valued float) masks of the same shape.
        labels: the labels to score. By default every label present in either mask except 0
            (background); pass e.g. ``[0, 1, 2]`` to score the background as well.
        empty: the value when a label is absent from both masks (0 / 0). Conventions differ:
            the default ``nan`` matches MONAI's ``DiceMetric(ignore_empty=True)`` (the case is
            undefined and ``np.nanmean`` skips it); ``empty=1.0`` matches MONAI's
            ``ignore_empty=False`` and torchmetrics-style "both empty is a perfect match". A
            label absent from the target but predicted gets 0 either way.

    Returns:
        ``{label: dice}`` with Python ints as keys, in ascending label order.
    """
    p, t = _labels_array(pred, "pred"), _labels_array(target, "target")
    if p.shape != t.shape:
        raise ValueError(f"pred and target must have the same shape, got {p.shape} and {t.shape}")
    if labels is None:
        labels = np.union1d(np.unique(p), np.unique(t))
        labels = labels[labels != 0]
    out: dict[int, float] = {}
    for lab in sorted(int(v) for v in np.atleast_1d(labels)):
        pm, tm = p == lab, t == lab
        denom = int(pm.sum()) + int(tm.sum())
        out[lab] = float(empty) if denom == 0 else 2.0 * int(np.logical_and(pm, tm).sum()) / denom
    return out


# --------------------------------------------------------------------------- power spectra


def _pixel_pair(pixel_size: float | tuple[float, float]) -> tuple[float, float]:
    dy, dx = (pixel_size, pixel_size) if np.isscalar(pixel_size) else tuple(pixel_size)
    dy, dx = float(dy), float(dx)
    if not (dy > 0 and dx > 0 and math.isfinite(dy) and math.isfinite(dx)):
        raise ValueError(f"pixel_size must be positive, got {pixel_size}")
    return dy, dx


def _radial_spectrum(
    images: Any, pixel_size: float | tuple[float, float], subtract_mean: bool, n_bins: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Core of :func:`noise_power_spectrum` and :func:`radial_power_spectrum`."""
    a = _to_numpy(images, "images")
    if a.ndim < 2 or a.size == 0:
        raise ValueError(f"images must have shape (H, W) or (N, H, W), got {a.shape}")
    H, W = a.shape[-2:]
    if min(H, W) < 2:
        raise ValueError(f"images need H, W >= 2, got {(H, W)}")
    a = a.reshape(-1, H, W)
    dy, dx = _pixel_pair(pixel_size)
    if subtract_mean:
        a = a - a.mean(axis=(-2, -1), keepdims=True)
    # 2-D power spectrum, averaged over the images: |DFT|^2 * (dx dy) / (Nx Ny)
    power = (np.abs(np.fft.fft2(a)) ** 2).mean(axis=0) * (dx * dy) / (H * W)
    fy = np.fft.fftfreq(H, d=dy)
    fx = np.fft.fftfreq(W, d=dx)
    fr = np.hypot(fy[:, None], fx[None, :])
    # bins centred on multiples of the coarser axis' frequency step, from 0 up to the Nyquist
    # frequency of the coarser sampling (0.5 / pixel_size); the corners beyond it are dropped
    df = max(1.0 / (H * dy), 1.0 / (W * dx))
    nyquist = min(0.5 / dy, 0.5 / dx)
    k_max = int(math.floor(nyquist / df + 1e-9))
    if n_bins is None:
        n_bins = k_max + 1
    if int(n_bins) != n_bins or n_bins < 2:
        raise ValueError(f"n_bins must be an integer >= 2, got {n_bins}")
    n_bins = int(n_bins)
    width = k_max * df / (n_bins - 1)
    idx = np.rint(fr / width).astype(np.int64).ravel()
    keep = idx < n_bins
    sums = np.bincount(idx[keep], weights=power.ravel()[keep], minlength=n_bins)
    counts = np.bincount(idx[keep], minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        spectrum = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return np.arange(n_bins) * width, spectrum


def noise_power_spectrum(
    noise: Any, pixel_size: float | tuple[float, float] = 1.0, n_bins: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Radially averaged noise power spectrum (NPS) of noise images.

    Each image has its own mean subtracted, then::

        NPS(u, v) = |DFT(noise - mean)|^2 * (dx * dy) / (Nx * Ny)

    averaged over the images, and averaged over rings ``|f| = sqrt(u^2 + v^2)``. The units are
    (image units)^2 x (pixel_size units)^2, e.g. HU^2 mm^2; the 2-D NPS integrates to the variance
    (Parseval), so white noise of variance s^2 with pixel size 1 has a flat NPS of s^2.

    To see L1 over-smoothing, compare the NPS of ``output - full_dose`` with that of the full-dose
    (or low-dose) noise: a smoothing network removes the high-frequency part.

    Args:
        noise: (H, W) or (N, H, W) (any leading axes are averaged over), H, W >= 2.
        pixel_size: the spacing, scalar or (dy, dx) (e.g. mm); 1 gives cycles per pixel.
        n_bins: number of radial bins; by default ``min(H, W) // 2 + 1`` for square pixels, one
            per frequency step ``df = 1 / (min(H, W) * pixel_size)``.

    Returns:
        ``(frequencies, nps)``, float64 of shape (n_bins,): bin centres evenly spaced from 0 to
        (at most) the Nyquist frequency 0.5 / pixel_size (cycles per pixel_size unit; with
        pixel_size 1, cycles per pixel up to 0.5), and the mean power in each ring (a bin ring
        ``|f| in [f_k - w/2, f_k + w/2)``; NaN for a bin with no DFT sample).
    """
    return _radial_spectrum(noise, pixel_size, subtract_mean=True, n_bins=n_bins)


def radial_power_spectrum(
    images: Any,
    pixel_size: float | tuple[float, float] = 1.0,
    n_bins: int | None = None,
    subtract_mean: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Radially averaged power spectrum of images (not noise), same binning and normalisation as
    :func:`noise_power_spectrum` but by default without subtracting the mean.

    Comparing the spectra of outputs and targets shows which frequencies a model reproduces
    ("L1 takes the low frequencies, the PatchGAN the high ones"); ``spectrum_centroid`` or the
    ratio ``P_output / P_target`` per bin sums it up.

    Returns:
        ``(frequencies, power)``, float64 of shape (n_bins,).
    """
    return _radial_spectrum(images, pixel_size, subtract_mean=subtract_mean, n_bins=n_bins)


def spectrum_centroid(frequencies: Any, power: Any, exclude_dc: bool = True) -> float:
    """Power-weighted mean frequency ``sum f_k P_k / sum P_k`` of a radial spectrum.

    Bins with NaN power are skipped and, by default, the DC bin (f = 0) too. A smoother image
    (or noise) has a lower centroid. Returns a float in the units of ``frequencies``.
    """
    f, p = _to_numpy(frequencies, "frequencies"), _to_numpy(power, "power")
    if f.shape != p.shape or f.ndim != 1:
        raise ValueError(f"frequencies and power must be 1-D of the same length, got {f.shape} and {p.shape}")
    ok = np.isfinite(p)
    if exclude_dc:
        ok &= f > 0
    total = p[ok].sum()
    if not total > 0:
        raise ValueError("the spectrum has no positive power to average over")
    return float((f[ok] * p[ok]).sum() / total)
