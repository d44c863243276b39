"""The GAN family: objectives, models and training loops."""

from tinygan.gan.losses import (
    GENERATOR_LOSSES,
    discriminator_loss,
    generator_loss_minimax,
    generator_loss_non_saturating,
)
from tinygan.gan.mlp import MLPDiscriminator, MLPGenerator
from tinygan.gan.trainer import GANTrainer, RandomBatches, gaussian_noise

__all__ = [
    "GENERATOR_LOSSES", "GANTrainer", "MLPDiscriminator", "MLPGenerator", "RandomBatches", "discriminator_loss",
    "gaussian_noise", "generator_loss_minimax", "generator_loss_non_saturating",
]  # fmt: skip
