"""2-D Gaussian mixtures: the GAN literature's standard mode-collapse benchmark.

The ring of 8 Gaussians and the 5x5 grid of 25 Gaussians come from Metz et al.
(Unrolled GANs, 2017) and Srivastava et al. (VEEGAN, 2017). Every mode has the
same weight and an isotropic standard deviation ``std``, so a generator that
collapses onto a few modes is easy to detect with :func:`mode_coverage`.
"""

from __future__ import annotations

import math

import numpy as np

# A mode counts as covered when it gets at least 20 high-quality samples out of
# 2500 (0.8 %), the rule used by PacGAN (Lin et al., 2018) on these benchmarks.
# Scaling it with n keeps the verdict independent of how many samples are drawn.
DEFAULT_MIN_SHARE = 20 / 2500


def ring_centers(n_modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """Centers evenly spaced on a circle, the first one at angle 0.

    Returns a float64 array of shape (n_modes, 2).
    """
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def grid_centers(side: int = 5, spacing: float = 2.0) -> np.ndarray:
    """Centers on a ``side x side`` square grid centred at the origin.

    For the defaults the coordinates are -4, -2, 0, 2, 4 on both axes.
    Returns a float64 array of shape (side * side, 2).
    """
    offsets = (np.arange(side) - (side - 1) / 2) * spacing
    xx, yy = np.meshgrid(offsets, offsets, indexing="ij")
    return np.stack([xx.ravel(), yy.ravel()], axis=1)


def sample_mixture(n: int, rng: np.random.Generator, centers: np.ndarray, std: float) -> np.ndarray:
    """Draw ``n`` points from an equal-weight isotropic mixture.

    ``centers`` has shape (k, d); returns float32 of shape (n, d).
    """
    centers = np.asarray(centers, dtype=np.float64)
    modes = rng.integers(len(centers), size=n)
    noise = rng.standard_normal((n, centers.shape[1]))
    return (centers[modes] + std * noise).astype(np.float32)


def sample_ring(
    n: int,
    rng: np.random.Generator,
    n_modes: int = 8,
    radius: float = 2.0,
    std: float = 0.02,
) -> np.ndarray:
    """``n`` points from the ring mixture; float32 of shape (n, 2)."""
    return sample_mixture(n, rng, ring_centers(n_modes, radius), std)


def sample_grid(
    n: int,
    rng: np.random.Generator,
    side: int = 5,
    spacing: float = 2.0,
    std: float = 0.05,
) -> np.ndarray:
    """``n`` points from the grid mixture; float32 of shape (n, 2)."""
    return sample_mixture(n, rng, grid_centers(side, spacing), std)


def mode_coverage(
    samples: np.ndarray,
    centers: np.ndarray,
    std: float,
    threshold_sigmas: float = 3.0,
    min_share: float | None = None,
) -> dict:
    """Score generated points the way VEEGAN / PacGAN do.

    A sample is *high quality* if it lies within ``threshold_sigmas * std`` of
    its nearest center (for 2-D real data that holds for 1 - exp(-4.5) ≈ 98.9 %
    of samples). A mode is *covered* if it is the nearest center of at least
    ``max(1, ceil(min_share * n))`` high-quality samples; ``min_share`` defaults
    to :data:`DEFAULT_MIN_SHARE` (20 per 2500 samples).

    Args:
        samples: generated points, shape (n, d).
        centers: mixture means, shape (k, d).
        std: the mixture's per-axis standard deviation.

    Returns:
        dict with ``modes_covered`` (int), ``n_modes`` (k),
        ``high_quality_share`` (float in [0, 1]), ``counts`` (int64 (k,):
        high-quality samples per mode), ``covered`` (bool (k,)) and
        ``min_count`` (the per-mode count needed to be covered).
    """
    samples = np.asarray(samples, dtype=np.float64)
    centers = np.asarray(centers, dtype=np.float64)
    if samples.ndim != 2 or len(samples) == 0:
        raise ValueError(f"samples must have shape (n, d) with n >= 1, got {samples.shape}")
    if centers.ndim != 2 or len(centers) == 0:
        raise ValueError(f"centers must have shape (k, d) with k >= 1, got {centers.shape}")
    if samples.shape[1] != centers.shape[1]:
        raise ValueError(f"samples {samples.shape} and centers {centers.shape} disagree on the point dimension d")
    if not std > 0:
        raise ValueError(f"std must be positive, got {std}")
    share = DEFAULT_MIN_SHARE if min_share is None else min_share
    if not 0 <= share <= 1:
        raise ValueError(f"min_share must be in [0, 1], got {min_share}")

    dist = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=-1)
    nearest = dist.argmin(axis=1)
    high_quality = dist[np.arange(len(samples)), nearest] <= threshold_sigmas * std
    counts = np.bincount(nearest[high_quality], minlength=len(centers))
    min_count = max(1, math.ceil(share * len(samples)))
    covered = counts >= min_count
    return {
        "modes_covered": int(covered.sum()),
        "n_modes": len(centers),
        "high_quality_share": float(high_quality.mean()),
        "counts": counts,
        "covered": covered,
        "min_count": min_count,
    }
