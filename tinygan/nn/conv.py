"""Convolution layers: Conv2d and ConvTranspose2d, with PyTorch's weight layouts and default init.

Weights are (out_channels, in_channels, KH, KW) for Conv2d and (in_channels, out_channels,
KH, KW) for ConvTranspose2d, so state dicts translate one to one. Default init is
PyTorch's: weight kaiming_uniform with a = sqrt(5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = weight.shape[1] * KH * KW (for
ConvTranspose2d that is out_channels * KH * KW, as in PyTorch).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tinygan import _checks, random
from tinygan import functional as F
from tinygan.functional.conv import _pair
from tinygan.nn import init
from tinygan.nn.module import Module, Parameter
from tinygan.tensor import Tensor


class _ConvNd(Module):
    """What Conv2d and ConvTranspose2d share: the geometry, the parameters and their init."""

    def __init__(
        self,
        name: str,
        in_channels: int,
        out_channels: int,
        weight_shape: tuple[int, int],
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int],
        padding: int | Sequence[int],
        dilation: int | Sequence[int],
        groups: int,
        bias: bool,
    ) -> None:
        super().__init__()
        if groups != 1:
            raise ValueError(f"{name}: groups={groups} is not supported (tinygan has no grouped convolution)")
        for arg, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            _checks.integer(name, arg, value, minimum=None)
        if in_channels < 1 or out_channels < 1:
            raise ValueError(f"{name}: channel counts must be positive, got in={in_channels}, out={out_channels}")
        _checks.flag(name, "bias", bias)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _pair(kernel_size, "kernel_size", name, 1)
        self.stride = _pair(stride, "stride", name, 1)
        self.padding = _pair(padding, "padding", name, 0)
        self.dilation = _pair(dilation, "dilation", name, 1)
        self.output_padding = (0, 0)  # ConvTranspose2d sets its own
        self.weight = Parameter(np.empty((*weight_shape, *self.kernel_size), dtype=np.float32))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        fan_in = weight_shape[1] * self.kernel_size[0] * self.kernel_size[1]
        bound = 1 / math.sqrt(fan_in)
        self.bias = Parameter(random.random_array("uniform", (out_channels,)) * (2 * bound) - bound) if bias else None

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.output_padding != (0, 0):
            text += f", output_padding={self.output_padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        return text + ("" if self.bias is not None else ", bias=False")


class Conv2d(_ConvNd):
    """2-D convolution: (N, in_channels, H, W) -> (N, out_channels, OH, OW); weight (out, in, KH, KW).

    ``groups`` is accepted for PyTorch's argument order and must be 1.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        padding: int | Sequence[int] = 0,
        dilation: int | Sequence[int] = 1,
        groups: int = 1,
        bias: bool = True,
    ) -> None:
        weight_shape = (out_channels, in_channels)
        super().__init__(
            "Conv2d", in_channels, out_channels, weight_shape, kernel_size, stride, padding, dilation, groups, bias
        )

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)


class ConvTranspose2d(_ConvNd):
    """2-D transposed convolution: (N, in_channels, H, W) -> (N, out_channels, OH, OW); weight (in, out, KH, KW).

    OH = (H - 1) stride - 2 padding + dilation (KH - 1) + output_padding + 1. ``groups`` is
    accepted for PyTorch's argument order and must be 1.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        padding: int | Sequence[int] = 0,
        output_padding: int | Sequence[int] = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: int | Sequence[int] = 1,
    ) -> None:
        weight_shape = (in_channels, out_channels)
        super().__init__(
            "ConvTranspose2d",
            in_channels,
            out_channels,
            weight_shape,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
        )
        self.output_padding = _pair(output_padding, "output_padding", "ConvTranspose2d", 0)

    def forward(self, x: Tensor) -> Tensor:
        return F.conv_transpose2d(
            x, self.weight, self.bias, self.stride, self.padding, self.output_padding, 1, self.dilation
        )
