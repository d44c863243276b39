"""The optimal discriminator (Goodfellow et al. 2014, Proposition 1).

For a fixed generator G, D maximises the value of the game

    V(D, G) = E_{x ~ p_data}[log D(x)] + E_{x ~ p_g}[log(1 - D(x))]
            = integral [ p_data(x) log D(x) + p_g(x) log(1 - D(x)) ] dx.

At each x the integrand a log y + b log(1 - y) (a = p_data(x), b = p_g(x)) is maximised over
y in (0, 1) by y = a / (a + b), so the best discriminator is

    D*(x) = p_data(x) / (p_data(x) + p_g(x)).

A real D never sees the densities, only samples. Here a small tinygan MLP is trained on
samples with the ordinary discriminator loss and compared with D*: where both densities put
samples, it converges to the formula.
"""

from __future__ import annotations

import numpy as np

import tinygan
from tinygan import optim
from tinygan.gan.losses import discriminator_loss
from tinygan.gan.mlp import MLPDiscriminator
from tinygan.lab.densities import Mixture1D


def optimal_discriminator(p_data: np.ndarray, p_g: np.ndarray) -> np.ndarray:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)), from the two densities' values (any equal shapes).

    Where both densities are 0 every D is equally good; 1/2 is returned there.
    """
    p_data, p_g = np.asarray(p_data, dtype=np.float64), np.asarray(p_g, dtype=np.float64)
    if p_data.shape != p_g.shape:
        raise ValueError(f"p_data {p_data.shape} and p_g {p_g.shape} must have the same shape")
    total = p_data + p_g
    return np.divide(p_data, total, out=np.full_like(total, 0.5), where=total > 0)


def train_discriminator(
    data: Mixture1D,
    generated: Mixture1D,
    steps: int = 1500,
    batch_size: int = 256,
    lr: float = 1e-2,
    hidden: tuple[int, ...] = (32, 32),
    seed: int = 0,
) -> MLPDiscriminator:
    """Train an MLP discriminator (1 -> hidden -> 1 logit) to tell p_data's samples from p_g's.

    Each step draws a fresh batch from both densities and takes one Adam step on
    -[mean log D(x_real) + mean log(1 - D(x_fake))]: a Monte-Carlo estimate of -V(D, G). The
    learning rate decays linearly to 0, so the last steps average out the sampling noise and D
    settles near the maximiser of V, i.e. near D*.

    Returns the trained discriminator; :func:`discriminator_probability` evaluates it.
    """
    if steps < 1 or batch_size < 1:
        raise ValueError(f"steps and batch_size must be positive, got {steps} and {batch_size}")
    tinygan.manual_seed(seed)
    rng = np.random.default_rng(seed)
    D = MLPDiscriminator((1,), hidden)
    optimizer = optim.Adam(D.parameters(), lr=lr)
    schedule = optim.LambdaLR(optimizer, lambda step: 1 - step / steps)
    for _ in range(steps):
        real = tinygan.tensor(data.sample(batch_size, rng)[:, None].astype(np.float32))
        fake = tinygan.tensor(generated.sample(batch_size, rng)[:, None].astype(np.float32))
        loss = discriminator_loss(D(real), D(fake))  # -V(D, G) on this batch
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    return D


def discriminator_probability(D: MLPDiscriminator, x: np.ndarray) -> np.ndarray:
    """D(x) = sigmoid(logit) on the points x (n,); float64 (n,)."""
    with tinygan.no_grad():
        logits = D(tinygan.tensor(np.asarray(x, dtype=np.float32)[:, None])).numpy()[:, 0]
    return 1 / (1 + np.exp(-logits.astype(np.float64)))


def discriminator_gap(d: np.ndarray, d_star: np.ndarray, x: np.ndarray, interval: tuple[float, float]) -> float:
    """max |D(x) - D*(x)| over the grid points x (n,) that lie in interval = (a, b)."""
    inside = (x >= interval[0]) & (x <= interval[1])
    if not inside.any():
        raise ValueError(f"no grid point lies in the interval {interval}")
    return float(np.abs(np.asarray(d) - np.asarray(d_star))[inside].max())
