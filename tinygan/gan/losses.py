"""The GAN objectives of Goodfellow et al. (2014), written from their formulas.

The discriminator D outputs a logit a; D(x) = sigmoid(a) is its belief that x is real.
Every loss here takes logits and uses log sigmoid(a) = -softplus(-a) and
log(1 - sigmoid(a)) = -softplus(a), which stay finite for logits of any size (a naive
log(sigmoid(a)) returns -inf once sigmoid(a) rounds to 0, at a < -88 in float32).

The value of the game is V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))]; D ascends it,
G descends it.
"""

from __future__ import annotations

from tinygan import functional as F
from tinygan.tensor import Tensor


def discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """-[log D(x) + log(1 - D(G(z)))], averaged over each batch: D's side of the game.

    This is binary cross-entropy with target 1 for real samples and 0 for fakes; it is
    -V(D, G), so minimising it maximises the value of the game.

    Args:
        real_logits: D's logits on real data, any shape (e.g. (N, 1) or a PatchGAN map).
        fake_logits: D's logits on generated data.
    """
    return F.mean(F.softplus(-real_logits)) + F.mean(F.softplus(fake_logits))


def generator_loss_minimax(fake_logits: Tensor) -> Tensor:
    """log(1 - D(G(z))), averaged: G's side of the original minimax game.

    It saturates: when D confidently rejects fakes early in training, D(G(z)) ~ 0 and the
    gradient of log(1 - D(G(z))) with respect to the logit, -D(G(z)), vanishes.
    """
    return F.mean(-F.softplus(fake_logits))


def generator_loss_non_saturating(fake_logits: Tensor) -> Tensor:
    """-log D(G(z)), averaged: the "non-saturating" generator loss Goodfellow et al. recommend.

    It has the same fixed point as the minimax loss but its gradient with respect to the
    logit, -(1 - D(G(z))), is large exactly when D rejects the fakes.
    """
    return F.mean(F.softplus(-fake_logits))


GENERATOR_LOSSES = {
    "minimax": generator_loss_minimax,
    "non-saturating": generator_loss_non_saturating,
}
