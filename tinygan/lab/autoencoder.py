"""The autoencoder: where the GAN story starts.

An encoder E squeezes an image x into a short code z = E(x); a decoder G maps the code back,
and both are trained together to reconstruct their input:

    min_{E, G}  E_x || G(E(x)) - x ||^2        (mean squared error per pixel)

The decoder is a generator in form (a network from a small z to an image) but not in
training: it only ever sees the codes E produced, so nothing says what it makes of any other
z. Decoding random latent vectors shows that: the codes of real digits fill an irregular
region, and points drawn from a simple distribution land mostly between or outside the
digits. A GAN trains its generator on exactly the z it will later be sampled with, z ~ p(z),
and grades the result by a discriminator instead of a pixel distance to one target.

Images are (N, 1, 28, 28) in [-1, 1], as ``tinygan.data.load_dataset("digits", ...)`` gives them.
"""

from __future__ import annotations

import math

import numpy as np

import tinygan
from tinygan import functional as F
from tinygan import nn, optim
from tinygan.data import iterate_minibatches
from tinygan.tensor import Tensor


class Autoencoder(nn.Module):
    """x (N, *image_shape) -> encoder -> z (N, latent_dim) -> decoder -> x_hat (N, *image_shape).

    encoder: flatten, Linear(D, hidden), LeakyReLU(0.2), Linear(hidden, latent_dim)
    decoder: Linear(latent_dim, hidden), LeakyReLU(0.2), Linear(hidden, D), Tanh  (D = prod(image_shape))
    """

    def __init__(self, latent_dim: int = 16, hidden: int = 256, image_shape: tuple[int, ...] = (1, 28, 28)) -> None:
        super().__init__()
        if latent_dim < 1 or hidden < 1:
            raise ValueError(f"latent_dim and hidden must be positive, got {latent_dim} and {hidden}")
        self.latent_dim, self.image_shape = latent_dim, tuple(image_shape)
        pixels = math.prod(self.image_shape)
        self.encoder = nn.Sequential(
            nn.Flatten(), nn.Linear(pixels, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, latent_dim)
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, pixels), nn.Tanh()
        )

    def encode(self, x: Tensor) -> Tensor:
        """(N, *image_shape) -> (N, latent_dim)."""
        if tuple(x.shape[1:]) != self.image_shape:
            raise ValueError(f"Autoencoder expects images of shape (N, {self.image_shape}), got {x.shape}")
        return self.encoder(x)

    def decode(self, z: Tensor) -> Tensor:
        """(N, latent_dim) -> (N, *image_shape), values in [-1, 1]."""
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"Autoencoder expects codes of shape (N, {self.latent_dim}), got {z.shape}")
        return self.decoder(z).reshape((z.shape[0], *self.image_shape))

    def forward(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x))


def train_autoencoder(
    model: Autoencoder, images: np.ndarray, epochs: int = 10, batch_size: int = 64, lr: float = 1e-3, seed: int = 0
) -> list[float]:
    """Minimise mean ||G(E(x)) - x||^2 over ``images`` (n, *image_shape) with Adam; returns each epoch's mean loss."""
    rng = np.random.default_rng(seed)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    model.train()
    losses = []
    for _ in range(epochs):
        epoch = []
        for batch in iterate_minibatches(images, batch_size, rng):
            x = tinygan.tensor(batch)
            loss = F.mse_loss(model(x), x)  # the reconstruction error, per pixel
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            epoch.append(loss.item())
        losses.append(float(np.mean(epoch)))
    return losses


def encode(model: Autoencoder, images: np.ndarray) -> np.ndarray:
    """Codes E(x) of ``images`` (n, *image_shape): float32 (n, latent_dim)."""
    with tinygan.no_grad():
        return model.eval().encode(tinygan.tensor(images)).numpy()


def decode(model: Autoencoder, codes: np.ndarray) -> np.ndarray:
    """Images G(z) of ``codes`` (n, latent_dim): float32 (n, *image_shape) in [-1, 1]."""
    with tinygan.no_grad():
        return model.eval().decode(tinygan.tensor(np.asarray(codes, dtype=np.float32))).numpy()


def reconstruction_mse(model: Autoencoder, images: np.ndarray) -> float:
    """mean (G(E(x)) - x)^2 over every pixel of ``images`` (n, *image_shape)."""
    return float(np.mean((decode(model, encode(model, images)) - images) ** 2))


def mean_image_mse(train_images: np.ndarray, test_images: np.ndarray) -> float:
    """The baseline: the error of predicting the mean training image for every test image."""
    return float(np.mean((train_images.mean(axis=0) - test_images) ** 2))


def interpolate(model: Autoencoder, a: np.ndarray, b: np.ndarray, n: int = 8) -> np.ndarray:
    """Decode z_t = (1 - t) E(a) + t E(b) for n values of t from 0 to 1, for images a, b (*image_shape).

    Returns (n, *image_shape).
    """
    z_a, z_b = encode(model, np.stack([a, b]))
    t = np.linspace(0.0, 1.0, n)[:, None]
    return decode(model, (1 - t) * z_a + t * z_b)
