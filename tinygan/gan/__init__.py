"""The GAN family: objectives, models and training loops."""

from tinygan.gan.losses import (
    GENERATOR_LOSSES,
    discriminator_loss,
    generator_loss_minimax,
    generator_loss_non_saturating,
)

__all__ = ["GENERATOR_LOSSES", "discriminator_loss", "generator_loss_minimax", "generator_loss_non_saturating"]
