"""The GAN lab: the standard claims of GAN theory as small functions that compute their numbers.

One idea per module, each with its formula in the docstring:

    densities              1-D Gaussian mixtures with known p(x), sampling, integrals on a grid
    optimal_discriminator  D*(x) = p_data / (p_data + p_g), and a tinygan D trained towards it
    divergence             KL, JSD and V(D*, G) = -log 4 + 2 JSD(p_data || p_g) by quadrature
    saturation             the gradient reaching G under log(1 - D(G(z))) and -log D(G(z))
    mode_collapse          modes of the ring/grid mixtures covered as a GAN trains
    autoencoder            the encoder-decoder the GAN story starts from

The scripts in ``examples/lab/`` turn each into a figure; ``docs/lab.md`` walks through them.
"""

from tinygan.lab.autoencoder import Autoencoder, interpolate, mean_image_mse, reconstruction_mse, train_autoencoder
from tinygan.lab.densities import Mixture1D, central_interval, gaussian, grid, integrate
from tinygan.lab.divergence import game_value, js_divergence, jsd_prediction, kl_divergence, optimal_game_value
from tinygan.lab.mode_collapse import point_gan, track_coverage
from tinygan.lab.optimal_discriminator import (
    discriminator_gap,
    discriminator_probability,
    optimal_discriminator,
    train_discriminator,
)
from tinygan.lab.saturation import generator_gradient_norm, saturation_curve

__all__ = [
    "Autoencoder", "Mixture1D", "central_interval", "discriminator_gap", "discriminator_probability",
    "game_value", "gaussian", "generator_gradient_norm", "grid", "integrate", "interpolate", "js_divergence",
    "jsd_prediction", "kl_divergence", "mean_image_mse", "optimal_discriminator", "optimal_game_value",
    "point_gan", "reconstruction_mse", "saturation_curve", "track_coverage", "train_autoencoder",
    "train_discriminator",
]  # fmt: skip
