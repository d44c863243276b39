"""Conditional GAN (Mirza & Osindero 2014): both networks see the class label y.

G(z, y) learns p(x | y) and D(x, y) judges whether x is a real example *of class y*, so a
generator that ignores y is caught by D. The label enters as a one-hot vector: concatenated
to the input of an MLP, or to a convolutional network's input as extra constant channels.
"""

from __future__ import annotations

from tinygan import functional as F
from tinygan import nn
from tinygan.models.dcgan import DCGANDiscriminator, DCGANGenerator
from tinygan.tensor import Tensor


def _check_labels(onehot: Tensor, batch: int, n_classes: int, who: str) -> None:
    if onehot.shape != (batch, n_classes):
        raise ValueError(f"{who} expects one-hot labels of shape ({batch}, {n_classes}), got {onehot.shape}")


class ConditionalMLPGenerator(nn.Module):
    """The paper's MNIST generator: z -> 200 ReLU and y -> 1000 ReLU, joined -> 1200 ReLU -> 784.

    Differs from the paper: Tanh output (data scaled to [-1, 1]) instead of a sigmoid.
    Input z (N, nz), y one-hot (N, n_classes); output (N, 1, 28, 28).
    """

    def __init__(self, nz: int = 100, n_classes: int = 10, image_shape: tuple[int, int, int] = (1, 28, 28)) -> None:
        super().__init__()
        self.nz, self.n_classes, self.image_shape = nz, n_classes, image_shape
        out = image_shape[0] * image_shape[1] * image_shape[2]
        self.noise_branch = nn.Sequential(nn.Linear(nz, 200), nn.ReLU())
        self.label_branch = nn.Sequential(nn.Linear(n_classes, 1000), nn.ReLU())
        self.joint = nn.Sequential(nn.Linear(1200, 1200), nn.ReLU(), nn.Linear(1200, out), nn.Tanh())

    def forward(self, z: Tensor, y: Tensor) -> Tensor:
        _check_labels(y, z.shape[0], self.n_classes, "ConditionalMLPGenerator")
        h = F.cat([self.noise_branch(z), self.label_branch(y)], dim=1)
        return self.joint(h).reshape(z.shape[0], *self.image_shape)


class ConditionalMLPDiscriminator(nn.Module):
    """The paper's MNIST discriminator: x -> 240 and y -> 50, joined -> 240 -> one logit.

    Differs from the paper: LeakyReLU(0.2) in place of maxout units (same widths), and the
    output is a logit (the sigmoid lives in the loss). Dropout 0.5 as in the paper.
    """

    def __init__(self, n_classes: int = 10, image_shape: tuple[int, int, int] = (1, 28, 28)) -> None:
        super().__init__()
        self.n_classes = n_classes
        size = image_shape[0] * image_shape[1] * image_shape[2]
        self.image_branch = nn.Sequential(nn.Linear(size, 240), nn.LeakyReLU(0.2), nn.Dropout(0.5))
        self.label_branch = nn.Sequential(nn.Linear(n_classes, 50), nn.LeakyReLU(0.2), nn.Dropout(0.5))
        self.joint = nn.Sequential(nn.Linear(290, 240), nn.LeakyReLU(0.2), nn.Dropout(0.5), nn.Linear(240, 1))

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        _check_labels(y, x.shape[0], self.n_classes, "ConditionalMLPDiscriminator")
        h = F.cat([self.image_branch(F.flatten(x, 1)), self.label_branch(y)], dim=1)
        return self.joint(h).reshape(-1)


class ConditionalDCGANGenerator(nn.Module):
    """DCGAN generator whose input is the noise with the one-hot label appended:
    z (N, nz), y (N, n_classes) -> images (N, nc, image_size, image_size)."""

    def __init__(self, nz: int = 100, n_classes: int = 10, ngf: int = 64, nc: int = 1, image_size: int = 32) -> None:
        super().__init__()
        self.nz, self.n_classes = nz, n_classes
        self.net = DCGANGenerator(nz + n_classes, ngf, nc, image_size)

    def forward(self, z: Tensor, y: Tensor) -> Tensor:
        _check_labels(y, z.shape[0], self.n_classes, "ConditionalDCGANGenerator")
        return self.net(F.cat([z.reshape(z.shape[0], -1), y], dim=1))


class ConditionalDCGANDiscriminator(nn.Module):
    """DCGAN discriminator that sees the label as n_classes constant image channels:
    x (N, nc, S, S), y (N, n_classes) -> logits (N,)."""

    def __init__(self, n_classes: int = 10, ndf: int = 64, nc: int = 1, image_size: int = 32) -> None:
        super().__init__()
        self.n_classes, self.image_size = n_classes, image_size
        self.net = DCGANDiscriminator(nc + n_classes, ndf, image_size)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        _check_labels(y, x.shape[0], self.n_classes, "ConditionalDCGANDiscriminator")
        n, s = x.shape[0], self.image_size
        label_maps = F.broadcast_to(y.reshape(n, self.n_classes, 1, 1), (n, self.n_classes, s, s))
        return self.net(F.cat([x, label_maps], dim=1))
