"""The original GAN's networks (Goodfellow et al. 2014): a generator and a discriminator made of
fully connected layers.

    G: z (N, latent_dim) -> Linear -> LeakyReLU(0.2) -> ... -> Linear -> Tanh or nothing -> (N, *out_shape)
    D: x (N, *in_shape) -> flatten -> Linear -> LeakyReLU(0.2) [-> Dropout] -> ... -> Linear -> logit (N, 1)

Images in [-1, 1] want a Tanh at G's output; 2-D points (which may lie anywhere) want a linear
output. D returns a logit, not a probability: the losses in ``tinygan.gan.losses`` take logits
because log(sigmoid(a)) computed from the logit never underflows to -inf.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from tinygan import nn
from tinygan.tensor import Tensor

OUTPUTS = ("tanh", "linear")


def _check_sizes(name: str, sizes: Sequence[int]) -> tuple[int, ...]:
    sizes = tuple(int(s) for s in sizes)
    if any(s < 1 for s in sizes):
        raise ValueError(f"{name} must be positive integers, got {sizes}")
    return sizes


def _mlp(in_features: int, hidden: tuple[int, ...], out_features: int, dropout: float = 0.0) -> list[nn.Module]:
    """Linear + LeakyReLU(0.2) (+ Dropout) for each hidden size, then a final Linear."""
    layers: list[nn.Module] = []
    for width in hidden:
        layers += [nn.Linear(in_features, width), nn.LeakyReLU(0.2)]
        if dropout:
            layers.append(nn.Dropout(dropout))
        in_features = width
    layers.append(nn.Linear(in_features, out_features))
    return layers


class MLPGenerator(nn.Module):
    """Maps noise z of shape (N, latent_dim) to samples of shape (N, *out_shape).

    Args:
        latent_dim: size of the noise vector z.
        out_shape: shape of one sample, e.g. (2,) for points or (1, 28, 28) for images.
        hidden: widths of the hidden layers.
        output: ``"tanh"`` (samples in [-1, 1], for images) or ``"linear"`` (for points).
    """

    def __init__(
        self,
        latent_dim: int,
        out_shape: Sequence[int],
        hidden: Sequence[int] = (256, 256),
        output: str = "tanh",
    ) -> None:
        super().__init__()
        (latent_dim,) = _check_sizes("latent_dim", (latent_dim,))
        self.latent_dim = latent_dim
        self.out_shape = _check_sizes("out_shape", out_shape)
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
        layers = _mlp(latent_dim, _check_sizes("hidden sizes", hidden), math.prod(self.out_shape))
        if output == "tanh":
            layers.append(nn.Tanh())
        self.main = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"MLPGenerator expects noise of shape (N, {self.latent_dim}), got {z.shape}")
        return self.main(z).reshape((z.shape[0], *self.out_shape))


class MLPDiscriminator(nn.Module):
    """Maps samples of shape (N, *in_shape) to one logit each, shape (N, 1).

    sigmoid(logit) is D's probability that the sample is real.

    Args:
        in_shape: shape of one sample, e.g. (2,) or (1, 28, 28); it is flattened.
        hidden: widths of the hidden layers.
        dropout: probability of dropping each hidden unit in training mode. Goodfellow et al.
            trained D with dropout; it keeps D from fitting the current fakes too sharply, so
            its gradient still leads G towards modes G has neglected (on the ring of 8
            Gaussians it turns 7-of-8 runs into 8-of-8 ones).
    """

    def __init__(self, in_shape: Sequence[int], hidden: Sequence[int] = (256, 256), dropout: float = 0.0) -> None:
        super().__init__()
        self.in_shape = _check_sizes("in_shape", in_shape)
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        hidden = _check_sizes("hidden sizes", hidden)
        self.main = nn.Sequential(*_mlp(math.prod(self.in_shape), hidden, 1, dropout))

    def forward(self, x: Tensor) -> Tensor:
        if tuple(x.shape[1:]) != self.in_shape:
            raise ValueError(f"MLPDiscriminator expects input of shape (N, {', '.join(map(str, self.in_shape))}), "
                             f"got {x.shape}")  # fmt: skip
        return self.main(x.reshape(x.shape[0], -1))
