"""The value of the game at the optimal discriminator is a Jensen-Shannon divergence
(Goodfellow et al. 2014, Theorem 1).

With m = (p_data + p_g) / 2, put D*(x) = p_data / (p_data + p_g) = p_data / (2m) into V:

    V(D*, G) = E_{p_data}[log p_data / (2m)] + E_{p_g}[log p_g / (2m)]
             = KL(p_data || m) + KL(p_g || m) - 2 log 2
             = -log 4 + 2 JSD(p_data || p_g),

where KL(p || q) = integral p log(p / q) dx and JSD(p || q) = (KL(p || m) + KL(q || m)) / 2.
Since 0 <= JSD <= log 2, the game's value lies in [-log 4, 0], and the generator reaches the
bottom, -log 4, exactly when p_g = p_data.

Every function here integrates densities given by their values on a grid x (see
``tinygan.lab.densities``), so the identities hold to quadrature precision.
"""

from __future__ import annotations

import math

import numpy as np

from tinygan.lab.densities import integrate
from tinygan.lab.optimal_discriminator import optimal_discriminator


def _xlogy(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a log b elementwise, with 0 log(anything) = 0: points where a density vanishes add nothing.

    Where a > 0 but b = 0 the result is -inf, as it should be (e.g. KL(p || q) is infinite when q
    misses part of p's support).
    """
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    out = np.zeros(a.shape)
    mask = a > 0
    with np.errstate(divide="ignore"):
        out[mask] = a[mask] * np.log(b[mask])
    return out


def kl_divergence(p: np.ndarray, q: np.ndarray, x: np.ndarray) -> float:
    """KL(p || q) = integral p log(p / q) dx, for densities p, q given on the grid x (all (n,))."""
    return integrate(_xlogy(p, p) - _xlogy(p, q), x)


def js_divergence(p: np.ndarray, q: np.ndarray, x: np.ndarray) -> float:
    """JSD(p || q) = KL(p || m) / 2 + KL(q || m) / 2 with m = (p + q) / 2; between 0 and log 2."""
    m = 0.5 * (np.asarray(p, dtype=np.float64) + np.asarray(q, dtype=np.float64))
    return 0.5 * kl_divergence(p, m, x) + 0.5 * kl_divergence(q, m, x)


def game_value(p_data: np.ndarray, p_g: np.ndarray, d: np.ndarray, x: np.ndarray) -> float:
    """V(D, G) = integral [p_data log D + p_g log(1 - D)] dx for a discriminator D given by its
    values d in [0, 1] on the grid x (all (n,))."""
    d = np.asarray(d, dtype=np.float64)
    if d.min() < 0 or d.max() > 1:
        raise ValueError(f"discriminator values must lie in [0, 1], got range [{d.min()}, {d.max()}]")
    return integrate(_xlogy(p_data, d) + _xlogy(p_g, 1 - d), x)


def optimal_game_value(p_data: np.ndarray, p_g: np.ndarray, x: np.ndarray) -> float:
    """V(D*, G) = integral [p_data log(p_data / (p_data + p_g)) + p_g log(p_g / (p_data + p_g))] dx.

    This is ``game_value`` at D = D*, with 1 - D* written as p_g / (p_data + p_g) rather than
    computed as 1 - D*: far from p_data, D* rounds to 0 or 1 in floating point while the
    ratio stays accurate.
    """
    d_star, one_minus_d_star = optimal_discriminator(p_data, p_g), optimal_discriminator(p_g, p_data)
    return integrate(_xlogy(p_data, d_star) + _xlogy(p_g, one_minus_d_star), x)


def jsd_prediction(p_data: np.ndarray, p_g: np.ndarray, x: np.ndarray) -> float:
    """-log 4 + 2 JSD(p_data || p_g): what Theorem 1 says V(D*, G) equals."""
    return -math.log(4) + 2 * js_divergence(p_data, p_g, x)
