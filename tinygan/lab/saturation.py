"""Why the generator's minimax loss saturates (Goodfellow et al. 2014, section 3).

D outputs a logit a and D = sigmoid(a). The two generator losses, per fake sample, and their
derivatives with respect to the logit (d sigmoid(a) / da = D (1 - D)):

    minimax         L = log(1 - D(G(z)))    dL/da = -D(G(z))
    non-saturating  L = -log D(G(z))        dL/da = -(1 - D(G(z)))

Everything upstream of the logit (D's layers, then G's) multiplies both by the same Jacobian
da/dtheta_G. Early in training D rejects the fakes easily, D(G(z)) ~ 0: the minimax gradient
reaching G's parameters is then about D(G(z)) / (1 - D(G(z))) times the non-saturating one,
~1/99 at D(G(z)) = 0.01, while both losses share the same fixed point.

``saturation_curve`` makes that situation happen: it trains D alone against a frozen G (so D
learns to reject G's samples) and after every D step measures, for a fixed batch of noise, the
gradient norm ||dL/dtheta_G|| under each loss as a function of mean D(G(z)).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from tinygan import functional as F
from tinygan import optim
from tinygan.gan.losses import GENERATOR_LOSSES, discriminator_loss
from tinygan.nn import Module
from tinygan.tensor import Tensor, no_grad


def generator_gradient_norm(G: Module, D: Module, z: Tensor, g_loss: str) -> float:
    """||dL/dtheta_G||_2 over all of G's parameters, for L = GENERATOR_LOSSES[g_loss](D(G(z))).

    Leaves no gradients behind on G or D.
    """
    if g_loss not in GENERATOR_LOSSES:
        raise ValueError(f"unknown generator loss {g_loss!r}; choose one of {', '.join(GENERATOR_LOSSES)}")
    G.zero_grad()
    D.zero_grad()
    GENERATOR_LOSSES[g_loss](D(G(z))).backward()
    norm = math.sqrt(sum(float((p.grad.data.astype(np.float64) ** 2).sum()) for p in G.parameters()))
    G.zero_grad()
    D.zero_grad()
    return norm


def saturation_curve(
    G: Module,
    D: Module,
    real_batch: Callable[[], Tensor],
    noise: Callable[[int], Tensor],
    z: Tensor,
    d_steps: int = 200,
    lr: float = 1e-3,
) -> dict[str, np.ndarray]:
    """Train D against the frozen G for ``d_steps`` Adam steps; before the first step and after
    each one, measure G's gradient norm under both generator losses on the fixed noise z (m, latent).

    Args:
        real_batch: ``real_batch()`` returns a batch of real samples, a tensor of G's output
            shape, as for ``gan_step`` (e.g. ``RandomBatches(x, 256)``).
        noise: ``noise(m)`` returns m noise vectors for D's batches of fakes (as many as real ones).
        z: the fixed noise batch the measurements are taken on.

    Returns:
        dict of float64 arrays of length d_steps + 1: ``d_g_z`` (mean D(G(z)) on z),
        ``minimax`` and ``non-saturating`` (the gradient norms reaching G's parameters).
    """
    if d_steps < 0:
        raise ValueError(f"need d_steps >= 0, got {d_steps}")
    optimizer = optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
    curve: dict[str, list[float]] = {"d_g_z": [], **{name: [] for name in GENERATOR_LOSSES}}
    for step in range(d_steps + 1):
        with no_grad():
            curve["d_g_z"].append(F.sigmoid(D(G(z))).mean().item())
        for name in GENERATOR_LOSSES:
            curve[name].append(generator_gradient_norm(G, D, z, name))
        if step == d_steps:
            break
        # D's half of gan_step alone: G is frozen, only D learns here
        real = real_batch()
        with no_grad():
            fake = G(noise(real.shape[0]))
        loss = discriminator_loss(D(real), D(fake))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return {name: np.asarray(values) for name, values in curve.items()}
