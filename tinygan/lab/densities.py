"""1-D Gaussian mixtures with known densities, and integrals over a grid.

GAN theory is stated with densities: p_data for the data, p_g for what the generator makes.
On the line we can write both down exactly,

    p(x) = sum_k w_k N(x; mu_k, sigma_k^2),    N(x; mu, sigma^2) = exp(-(x - mu)^2 / (2 sigma^2)) / (sigma sqrt(2 pi)),

and compute every expectation E_p[f(x)] = integral p(x) f(x) dx by quadrature on a fine grid.
The trapezoidal rule is used: for smooth integrands that vanish at both ends of the grid it is
accurate far beyond its textbook O(h^2) (the error falls off like exp(-c / h)), which is what
lets the tests check identities such as V(D*, G) = -log 4 + 2 JSD to 1e-9.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, init=False)
class Mixture1D:
    """A mixture of 1-D Gaussians: p(x) = sum_k w_k N(x; mu_k, sigma_k^2).

    A single Gaussian is a mixture of one; use :func:`gaussian` to make it.

    Args:
        means: mu_k, one per component.
        stds: sigma_k > 0, one per component.
        weights: w_k >= 0 (normalised to sum to 1); equal weights when None.
    """

    means: tuple[float, ...]
    stds: tuple[float, ...]
    weights: tuple[float, ...]

    def __init__(self, means: Sequence[float], stds: Sequence[float], weights: Sequence[float] | None = None) -> None:
        means, stds = tuple(float(m) for m in means), tuple(float(s) for s in stds)
        weights = (1.0,) * len(means) if weights is None else tuple(float(w) for w in weights)
        if not means or len(stds) != len(means) or len(weights) != len(means):
            raise ValueError(
                f"need one mean, std and weight per component, got {len(means)} means, "
                f"{len(stds)} stds and {len(weights)} weights"
            )
        if min(stds) <= 0:
            raise ValueError(f"stds must be positive, got {stds}")
        if min(weights) < 0 or sum(weights) <= 0:
            raise ValueError(f"weights must be non-negative with a positive sum, got {weights}")
        total = sum(weights)
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "stds", stds)
        object.__setattr__(self, "weights", tuple(w / total for w in weights))

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """p(x), evaluated elementwise; float64 of x's shape."""
        x = np.asarray(x, dtype=np.float64)
        density = np.zeros_like(x)
        for w, mu, sigma in zip(self.weights, self.means, self.stds):
            density += w * np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
        return density

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n draws from p: pick component k with probability w_k, then x = mu_k + sigma_k z, z ~ N(0, 1).

        That second step is a generator in miniature: an affine map of Gaussian noise.
        Returns float64 of shape (n,).
        """
        k = rng.choice(len(self.means), size=n, p=self.weights)
        return np.asarray(self.means)[k] + np.asarray(self.stds)[k] * rng.standard_normal(n)


def gaussian(mean: float, std: float) -> Mixture1D:
    """N(mean, std^2) as a one-component mixture."""
    return Mixture1D([mean], [std])


def grid(lo: float = -12.0, hi: float = 12.0, n: int = 4001) -> np.ndarray:
    """n evenly spaced points from lo to hi (float64): the quadrature grid.

    The defaults suit densities with means within a few units of 0 and stds of 0.3 or more: the
    densities are negligible at the ends and the spacing (0.006) resolves every bump.
    """
    if not hi > lo or n < 3:
        raise ValueError(f"need hi > lo and n >= 3, got lo={lo}, hi={hi}, n={n}")
    return np.linspace(lo, hi, n)


def integrate(values: np.ndarray, x: np.ndarray) -> float:
    """integral f(x) dx by the trapezoidal rule, from f's values (n,) on the grid x (n,)."""
    values, x = np.asarray(values, dtype=np.float64), np.asarray(x, dtype=np.float64)
    if values.shape != x.shape or x.ndim != 1:
        raise ValueError(f"values {values.shape} and grid {x.shape} must be the same 1-D shape")
    # each interval [x_i, x_i+1] contributes its width times the mean of its two end values
    return float(np.sum(0.5 * (values[1:] + values[:-1]) * np.diff(x)))


def central_interval(density: np.ndarray, x: np.ndarray, mass: float = 0.95) -> tuple[float, float]:
    """The interval [a, b] holding the central ``mass`` of a density given on the grid x.

    a and b are the (1 - mass)/2 and (1 + mass)/2 quantiles, read off the cumulative trapezoid
    integral. Used to say where a discriminator has seen enough samples to be judged.
    """
    if not 0 < mass < 1:
        raise ValueError(f"mass must be in (0, 1), got {mass}")
    if np.shape(density) != np.shape(x) or np.ndim(x) != 1:
        raise ValueError(f"density {np.shape(density)} and grid {np.shape(x)} must be the same 1-D shape")
    steps = 0.5 * (density[1:] + density[:-1]) * np.diff(x)
    cdf = np.concatenate([[0.0], np.cumsum(steps)])
    cdf /= cdf[-1]
    a, b = np.interp([(1 - mass) / 2, (1 + mass) / 2], cdf, x)
    return float(a), float(b)
