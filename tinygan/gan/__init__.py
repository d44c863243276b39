"""The GAN family: the objectives, each GAN's training step, and the loop around a step."""

from tinygan.gan.losses import (
    GENERATOR_LOSSES,
    discriminator_loss,
    generator_loss_minimax,
    generator_loss_non_saturating,
)
from tinygan.gan.mlp import MLPDiscriminator, MLPGenerator
from tinygan.gan.steps import cgan_step, frozen, gan_step, l1_step, pix2pix_step
from tinygan.gan.trainer import RandomBatches, Trainer, gaussian_noise, sample

__all__ = [
    "GENERATOR_LOSSES", "MLPDiscriminator", "MLPGenerator", "RandomBatches", "Trainer", "cgan_step",
    "discriminator_loss", "frozen", "gan_step", "gaussian_noise", "generator_loss_minimax",
    "generator_loss_non_saturating", "l1_step", "pix2pix_step", "sample",
]  # fmt: skip
