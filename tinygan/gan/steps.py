"""One training step of each GAN, written out in the paper's order.

Every step is a plain function: it takes the two networks, their optimizers and the data, does
D's update, then G's update, and returns the numbers worth logging. Nothing is hidden behind
hooks, so each reads like the loop of PyTorch's DCGAN example or ``optimize_parameters`` of
pytorch-CycleGAN-and-pix2pix. The losses are called by their names in ``tinygan.gan.losses``.

    gan_step       the original GAN: Algorithm 1 of Goodfellow et al. (2014)
    cgan_step      the conditional GAN (Mirza & Osindero 2014): G and D both see the label y
    pix2pix_step   Pix2Pix (Isola et al. 2017): a conditional GAN on image pairs, plus L1
    l1_step        the baseline Pix2Pix is measured against: G trained on L1 alone, no D

``tinygan.gan.Trainer`` is only the loop around a step (history, schedules, checkpoints); the
examples, the CLI, the benchmarks and the GPU tests all call these functions.

The numbers returned are those the PyTorch examples print:

    loss_d   D's loss on its last update          loss_g   G's loss
    d_x      mean D(x) on real data, before D's update                  (-> 1 when D wins)
    d_g_z1   mean D(G(z)) on the fakes D was trained on, before its update  (-> 0 when D wins)
    d_g_z2   mean D(G(z)) on G's batch, after D's update
"""

from __future__ import annotations

import contextlib
import numbers
from collections.abc import Callable, Iterator
from typing import Any

from tinygan import functional as F
from tinygan.gan.losses import GENERATOR_LOSSES, discriminator_loss, generator_loss_non_saturating
from tinygan.nn import Module
from tinygan.optim import Optimizer
from tinygan.tensor import Tensor, no_grad


def gan_step(
    G: Module,
    D: Module,
    g_optimizer: Optimizer,
    d_optimizer: Optimizer,
    real_batch: Callable[[], Tensor],
    noise: Callable[[int], Tensor],
    k: int = 1,
    g_loss: str = "non-saturating",
) -> dict[str, float]:
    """Algorithm 1 of Goodfellow et al. (2014): k updates of D, then one update of G.

    Args:
        G, D: the generator (z -> x) and the discriminator (x -> logits).
        g_optimizer, d_optimizer: optimizers over G's and D's parameters.
        real_batch: ``real_batch()`` returns m real examples (m, ...), e.g. ``RandomBatches(x, m)``.
        noise: ``noise(m)`` returns m noise vectors z, e.g. ``gaussian_noise(latent_dim)``.
        k: discriminator updates per generator update (the paper used k = 1).
        g_loss: ``"non-saturating"`` (descend -log D(G(z)), what practice uses) or
            ``"minimax"`` (descend log(1 - D(G(z))), the game as written).
    """
    _check_step_options(k, g_loss)
    G.train()
    D.train()
    for _ in range(k):
        # (1) D: ascend log D(x) + log(1 - D(G(z))) on a fresh real batch and fresh noise
        real = real_batch()
        with no_grad():  # G is not updated here, so its forward pass records no graph
            fake = G(noise(real.shape[0]))
        real_logits, fake_logits = D(real), D(fake)
        loss_d = discriminator_loss(real_logits, fake_logits)
        d_optimizer.zero_grad()
        loss_d.backward()
        d_optimizer.step()

    # (2) G: descend its loss on fresh noise, through the just-updated D
    fake = G(noise(real.shape[0]))
    with frozen(D):  # the gradient flows through D to G, but D's weights need none
        fake_logits_g = D(fake)
    loss = GENERATOR_LOSSES[g_loss](fake_logits_g)
    g_optimizer.zero_grad()
    loss.backward()
    g_optimizer.step()
    return _gan_metrics(loss_d, loss, real_logits, fake_logits, fake_logits_g)


def cgan_step(
    G: Module,
    D: Module,
    g_optimizer: Optimizer,
    d_optimizer: Optimizer,
    real_batch: Callable[[], tuple[Tensor, Tensor]],
    noise: Callable[[int], Tensor],
    k: int = 1,
    g_loss: str = "non-saturating",
) -> dict[str, float]:
    """The conditional GAN's step: Algorithm 1 with the condition y given to both networks.

    G(z, y) learns p(x | y); D(x, y) judges whether x is a real example *of class y*.

    Args:
        real_batch: ``real_batch()`` returns (x, y): m real examples and their conditions
            (one-hot labels, say), e.g. ``RandomBatches(x, m, condition=one_hot_labels)``.
        The other arguments are ``gan_step``'s.
    """
    _check_step_options(k, g_loss)
    G.train()
    D.train()
    for _ in range(k):
        # (1) D: real pairs (x, y) against fakes (G(z, y), y) drawn for the same labels
        real, y = real_batch()
        with no_grad():
            fake = G(noise(real.shape[0]), y)
        real_logits, fake_logits = D(real, y), D(fake, y)
        loss_d = discriminator_loss(real_logits, fake_logits)
        d_optimizer.zero_grad()
        loss_d.backward()
        d_optimizer.step()

    # (2) G: fresh noise for the last real batch's labels, through the updated D
    fake = G(noise(real.shape[0]), y)
    with frozen(D):
        fake_logits_g = D(fake, y)
    loss = GENERATOR_LOSSES[g_loss](fake_logits_g)
    g_optimizer.zero_grad()
    loss.backward()
    g_optimizer.step()
    return _gan_metrics(loss_d, loss, real_logits, fake_logits, fake_logits_g)


def pix2pix_step(
    G: Module,
    D: Module,
    g_optimizer: Optimizer,
    d_optimizer: Optimizer,
    real_A: Tensor,
    real_B: Tensor,
    lambda_l1: float = 100.0,
) -> dict[str, float]:
    """Pix2Pix (Isola et al. 2017): G translates A into B; D tells real pairs (A, B) from fake
    pairs (A, G(A)), patch by patch.

        D minimises  1/2 [BCE(D(A, B), real) + BCE(D(A, G(A)), fake)]   (halved: D learns slower than G)
        G minimises  BCE(D(A, G(A)), real) + lambda_l1 * |G(A) - B|_1

    L1 gets the low frequencies right (the blurry mean of the plausible outputs); the
    adversarial term, judged on patches, supplies the high frequencies. G runs once per step:
    with dropout in G, D and G must both see the same ``fake_B``.

    Args:
        G: the generator, (N, C_A, H, W) -> (N, C_B, H, W), e.g. ``UNetGenerator``.
        D: the discriminator on the pair concatenated along channels, (N, C_A + C_B, H, W) ->
            logits (N, 1, H', W'), e.g. ``PatchGANDiscriminator``.
        real_A, real_B: a batch of input images and their targets, in [-1, 1].
        lambda_l1: the weight of the L1 term (the paper's lambda = 100; 0 drops it).

    Returns:
        ``loss_d`` (halved, as optimised), ``loss_d_real``, ``loss_d_fake``, ``loss_g`` (the total),
        ``loss_g_gan``, ``loss_g_l1`` (unweighted), ``d_real`` and ``d_fake`` (mean D on the real
        and fake pairs, before D's update), as floats.
    """
    if real_A.shape[0] != real_B.shape[0] or real_A.shape[2:] != real_B.shape[2:]:
        raise ValueError(f"pix2pix_step: A {real_A.shape} and B {real_B.shape} must be as many images of one size")
    if not lambda_l1 >= 0:
        raise ValueError(f"pix2pix_step: lambda_l1 must be >= 0, got {lambda_l1}")
    G.train()
    D.train()
    fake_B = G(real_A)  # once: D's and G's halves see the same output (and the same dropout)

    # (1) D: fake pairs -> 0, real pairs -> 1; fake_B is detached so no gradient reaches G. (The
    #     reference's order: with batch norm in D it decides the running statistics.)
    fake_logits = D(F.cat([real_A, fake_B.detach()], dim=1))
    real_logits = D(F.cat([real_A, real_B], dim=1))
    loss_d_real = F.mean(F.softplus(-real_logits))  # BCE(D(A, B), 1) = -log D(A, B)
    loss_d_fake = F.mean(F.softplus(fake_logits))  # BCE(D(A, G(A)), 0) = -log(1 - D(A, G(A)))
    loss_d = 0.5 * (loss_d_real + loss_d_fake)  # = discriminator_loss(real_logits, fake_logits) / 2
    d_optimizer.zero_grad()
    loss_d.backward()
    d_optimizer.step()

    # (2) G: fool the updated D, and stay close to B in L1
    with frozen(D):
        fake_logits_g = D(F.cat([real_A, fake_B], dim=1))
    loss_g_gan = generator_loss_non_saturating(fake_logits_g)
    loss_g_l1 = F.l1_loss(fake_B, real_B)
    loss_g = loss_g_gan + lambda_l1 * loss_g_l1
    g_optimizer.zero_grad()
    loss_g.backward()
    g_optimizer.step()
    return {
        "loss_d": loss_d.item(),
        "loss_d_real": loss_d_real.item(),
        "loss_d_fake": loss_d_fake.item(),
        "loss_g": loss_g.item(),
        "loss_g_gan": loss_g_gan.item(),
        "loss_g_l1": loss_g_l1.item(),
        "d_real": _mean_probability(real_logits),
        "d_fake": _mean_probability(fake_logits),
    }


def l1_step(G: Module, g_optimizer: Optimizer, real_A: Tensor, real_B: Tensor) -> dict[str, float]:
    """Plain regression, the "L1" row of the Pix2Pix paper's ablation: G minimises |G(A) - B|_1.

    Without the adversarial term G predicts the median of the plausible outputs: the structure
    right, the texture and the noise averaged away (blurry).
    """
    G.train()
    loss = F.l1_loss(G(real_A), real_B)
    g_optimizer.zero_grad()
    loss.backward()
    g_optimizer.step()
    return {"loss_g_l1": loss.item()}


@contextlib.contextmanager
def frozen(module: Module) -> Iterator[None]:
    """Ops run inside record no gradient for ``module``'s parameters (pix2pix's
    ``set_requires_grad(D, False)``): G's update needs D's input gradient, not D's weights'."""
    params = [p for p in module.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad = False
    try:
        yield
    finally:
        for p in params:
            p.requires_grad = True


def _check_step_options(k: Any, g_loss: str) -> None:
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"k (discriminator steps per generator step) must be an integer >= 1, got {k!r}")
    if g_loss not in GENERATOR_LOSSES:
        raise ValueError(f"unknown generator loss {g_loss!r}; choose one of {', '.join(GENERATOR_LOSSES)}")


def _gan_metrics(loss_d: Tensor, loss_g: Tensor, real: Tensor, fake: Tensor, fake_g: Tensor) -> dict[str, float]:
    return {
        "loss_d": loss_d.item(),
        "loss_g": loss_g.item(),
        "d_x": _mean_probability(real),
        "d_g_z1": _mean_probability(fake),
        "d_g_z2": _mean_probability(fake_g),
    }


def _mean_probability(logits: Tensor) -> float:
    """Mean of sigmoid(logits): D's average belief that the batch is real."""
    with no_grad():
        return F.sigmoid(logits.detach()).mean().item()


__all__ = ["cgan_step", "frozen", "gan_step", "l1_step", "pix2pix_step"]
