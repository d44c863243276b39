"""DCGAN (Radford, Metz & Chintala 2015), layer for layer as in PyTorch's DCGAN example.

The generator turns a noise vector, seen as a 1x1 image with ``nz`` channels, into an image by
transposed convolutions that double the size each time (kernel 4, stride 2, padding 1), with
batch norm and ReLU between them and Tanh at the end. The discriminator mirrors it with
strided convolutions, batch norm and LeakyReLU(0.2), and ends in one logit per image (the
PyTorch example ends in a Sigmoid; tinygan keeps the logit and puts the sigmoid inside the
numerically stable loss). No layer has a bias: batch norm's shift would cancel it.

    image_size 64:  z (nz,1,1) -> 4x4 (ngf*8) -> 8x8 (ngf*4) -> 16x16 (ngf*2) -> 32x32 (ngf) -> 64x64 (nc)
    image_size 32:  z (nz,1,1) -> 4x4 (ngf*4) -> 8x8 (ngf*2) -> 16x16 (ngf) -> 32x32 (nc)
"""

from __future__ import annotations

from tinygan import nn
from tinygan.tensor import Tensor

IMAGE_SIZES = (32, 64)


def _upsamplings(image_size: int) -> int:
    if image_size not in IMAGE_SIZES:
        raise ValueError(f"DCGAN image_size must be one of {IMAGE_SIZES}, got {image_size}")
    return {32: 3, 64: 4}[image_size]


def dcgan_weights_init(module: nn.Module) -> None:
    """The paper's init: conv weights ~ N(0, 0.02); batch-norm scale ~ N(1, 0.02), shift 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class DCGANGenerator(nn.Module):
    """z of shape (N, nz, 1, 1) (or (N, nz)) -> images (N, nc, image_size, image_size) in [-1, 1]."""

    def __init__(self, nz: int = 100, ngf: int = 64, nc: int = 3, image_size: int = 64) -> None:
        super().__init__()
        self.nz = nz
        n_up = _upsamplings(image_size)
        width = ngf * 2 ** (n_up - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(nz, width, 4, 1, 0, bias=False),  # 1x1 -> 4x4
            nn.BatchNorm2d(width),
            nn.ReLU(),
        ]
        for _ in range(n_up - 1):  # each block doubles the size and halves the width
            layers += [
                nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(width // 2),
                nn.ReLU(),
            ]
            width //= 2
        layers += [nn.ConvTranspose2d(width, nc, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)
        self.apply(dcgan_weights_init)

    def forward(self, z: Tensor) -> Tensor:
        if z.shape[1:] not in ((self.nz,), (self.nz, 1, 1)):
            raise ValueError(
                f"DCGANGenerator expects noise of shape (N, {self.nz}, 1, 1) or (N, {self.nz}), got {z.shape}"
            )
        return self.main(z.reshape(z.shape[0], self.nz, 1, 1))


class DCGANDiscriminator(nn.Module):
    """images (N, nc, image_size, image_size) -> logits (N,) (D(x) = sigmoid(logit))."""

    def __init__(self, nc: int = 3, ndf: int = 64, image_size: int = 64) -> None:
        super().__init__()
        self.nc, self.image_size = nc, image_size
        n_down = _upsamplings(image_size)
        layers: list[nn.Module] = [nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2)]  # no BN on the input
        width = ndf
        for _ in range(n_down - 1):  # each block halves the size and doubles the width
            layers += [nn.Conv2d(width, width * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(width * 2), nn.LeakyReLU(0.2)]
            width *= 2
        layers += [nn.Conv2d(width, 1, 4, 1, 0, bias=False)]  # 4x4 -> 1x1: one logit
        self.main = nn.Sequential(*layers)
        self.apply(dcgan_weights_init)

    def forward(self, x: Tensor) -> Tensor:
        expected = (self.nc, self.image_size, self.image_size)
        if x.ndim != 4 or x.shape[1:] != expected:
            shape = ", ".join(map(str, expected))
            raise ValueError(f"DCGANDiscriminator expects images of shape (N, {shape}), got {x.shape}")
        return self.main(x).reshape(-1)
