"""Convolution and transposed convolution: im2col + one GEMM, and one GEMM + col2im.

Shapes are PyTorch's. ``conv2d``: input (N, C, H, W), weight (OC, C, KH, KW), output
(N, OC, OH, OW) with OH = ``conv_output_size(H, KH, sh, ph, dh)``. ``conv_transpose2d``:
input (N, C, H, W), weight (C, OC, KH, KW), output (N, OC, OH, OW) with
OH = ``conv_transpose_output_size(H, KH, sh, ph, output_padding, dh)``.

How. ``im2col`` copies every receptive field of a batch out as one column, so that
convolution is one matrix product (GEMM) for the whole batch; ``col2im`` adds columns back
onto the pixels they came from (layouts in ``tinygan.kernels.cpu``)::

    conv2d:            Y = W2 @ unfold(X)          W2 = weight as (OC, C*KH*KW)
    conv_transpose2d:  Y = fold(W2^T @ X)          W2 = weight as (C, OC*KH*KW)

Transposed convolution is the adjoint of convolution with the same weight,
<conv2d(x, W), y> = <x, conv_transpose2d(y, W)>, so each op's input gradient is the other
op's forward, and both weight gradients are one GEMM against the unfolded larger image::

    conv2d backward:            dX = fold(W2^T @ dY)      dW = dY @ unfold(X)^T
    conv_transpose2d backward:  dX = W2 @ unfold(dY)      dW = X @ unfold(dY)^T

Here X, Y, dX, dY are *channel-major* images, (C, N*H*W) matrices: the GEMMs want them so,
and the kernels stream through them. ``_channel_major`` and ``_batch_major`` are the one
transposing copy at each end (activation-sized; the columns are KH*KW/stride^2 times bigger).
The columns are never kept between forward and backward: backward unfolds its input again,
which costs a fraction of a GEMM, and the graph holds only the input and the weight, as in
PyTorch (the largest columns, DCGAN's 16 MB, would otherwise stay alive per layer and pass).

When the window is the whole unpadded image (the output is 1x1, as in DCGAN's last
discriminator layer, or, for the transposed op, the input is 1x1, as in its first generator
layer), unfolding is only a reshape, and the op is computed as the matrix product it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygan import kernels
from tinygan.backend import get_array_module
from tinygan.functional.elementwise import add
from tinygan.functional.linalg import linear, matmul
from tinygan.functional.shape import reshape
from tinygan.kernels import conv_output_size
from tinygan.tensor import Function, Tensor

Pair = tuple[int, int]


def _pair(value: int | Sequence[int], name: str, op: str, minimum: int) -> Pair:
    """An int or a pair of ints as a validated (height, width) pair."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and v >= minimum for v in pair):
        raise ValueError(f"{op}: {name} must be an int >= {minimum} or a pair of them, got {value!r}")
    return int(pair[0]), int(pair[1])


def conv_transpose_output_size(
    size: int, kernel_size: int, stride: int = 1, padding: int = 0, output_padding: int = 0, dilation: int = 1
) -> int:
    """Output length of a transposed convolution along one axis: (size - 1) s - 2p + d(k - 1) + output_padding + 1.

    It inverts ``conv_output_size``: a convolution with the same settings maps this length
    back to ``size`` (output_padding picks among the lengths that a stride > 1 rounds alike).
    """
    return (size - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1


# ----------------------------------------------------------------------------- layout helpers


def _channel_major(a: Any) -> Any:
    """(N, C, H, W) -> contiguous (C, N, H, W): the layout the GEMMs and kernels use."""
    return get_array_module(a).ascontiguousarray(a.transpose(1, 0, 2, 3))


def _batch_major(a: Any, bias: Any = None) -> Any:
    """(C, N, H, W) -> contiguous (N, C, H, W), adding a per-channel bias in the same copy."""
    xp = get_array_module(a)
    view = a.transpose(1, 0, 2, 3)
    out = xp.empty(view.shape, dtype=a.dtype)
    if bias is None:
        out[...] = view
    else:
        xp.add(view, bias.reshape(1, -1, 1, 1), out=out)
    return out


@dataclass(frozen=True)
class ConvGeometry:
    """Kernel size, stride, padding and dilation of one convolution, each a (height, width) pair."""

    kernel_size: Pair
    stride: Pair
    padding: Pair
    dilation: Pair

    def output_size(self, size: Pair) -> Pair:
        """The convolution's output (OH, OW) for an input of ``size`` (H, W)."""
        oh, ow = (
            conv_output_size(*args) for args in zip(size, self.kernel_size, self.stride, self.padding, self.dilation)
        )
        return oh, ow

    def covers(self, image_size: Pair) -> bool:
        """Whether the window is the whole unpadded image, so the output is 1x1 and im2col is a mere reshape."""
        return self.padding == (0, 0) and self.dilation == (1, 1) and tuple(image_size) == self.kernel_size

    def unfold(self, image: Any) -> Any:
        """Channel-major images (C, N, H, W) -> their columns as a matrix (C*KH*KW, N*OH*OW)."""
        cols = kernels.for_array(image).im2col(image, self.kernel_size, self.stride, self.padding, self.dilation)
        C, KH, KW = cols.shape[:3]
        return cols.reshape(C * KH * KW, -1)

    def fold(self, cols: Any, channels: int, batch: int, grid: Pair, image_size: Pair) -> Any:
        """Columns (channels*KH*KW, batch*GH*GW) -> channel-major images (channels, batch, *image_size).

        ``grid`` (GH, GW) is the grid of window positions: the output size of a convolution of
        an image of ``image_size``.
        """
        cols = cols.reshape(channels, *self.kernel_size, batch, *grid)
        return kernels.for_array(cols).col2im(cols, image_size, self.stride, self.padding, self.dilation)


# ----------------------------------------------------------------------------- conv2d


class Conv2d(Function):
    """Y = W2 @ unfold(X) + b; backward: dX = fold(W2^T @ dY), dW = dY @ unfold(X)^T, db = sum(dY)."""

    def __init__(self, geometry: ConvGeometry) -> None:
        self.geometry = geometry

    def forward(self, x, weight, bias=None):
        N, _, H, W = x.shape
        OC = weight.shape[0]
        OH, OW = self.geometry.output_size((H, W))
        y = weight.reshape(OC, -1) @ self.geometry.unfold(_channel_major(x))  # (OC, N*OH*OW)
        # keep only what backward will use: X for dW, W for dX
        self.input_shape = x.shape
        self.x = x if self.needs_input_grad[1] else None
        self.weight = weight if self.needs_input_grad[0] else None
        return _batch_major(y.reshape(OC, N, OH, OW), bias)

    def backward(self, g):
        N, C, H, W = self.input_shape
        OC, OH, OW = g.shape[1:]
        dy = _channel_major(g).reshape(OC, -1)  # (OC, N*OH*OW)
        gx = gw = gb = None
        if self.needs_input_grad[1]:
            gw = (dy @ self.geometry.unfold(_channel_major(self.x)).T).reshape(OC, C, *self.geometry.kernel_size)
        if self.needs_input_grad[0]:
            # conv_transpose2d(dY, W)'s forward: one GEMM, then fold the columns back onto the image
            cols = self.weight.reshape(OC, -1).T @ dy  # (C*KH*KW, N*OH*OW)
            gx = _batch_major(self.geometry.fold(cols, C, N, (OH, OW), (H, W)))
        if len(self.needs_input_grad) == 3 and self.needs_input_grad[2]:
            gb = dy.sum(axis=1)
        return gx, gw, gb


# ----------------------------------------------------------------------------- conv_transpose2d


class ConvTranspose2d(Function):
    """Y = fold(W2^T @ X) + b; backward: dX = W2 @ unfold(dY), dW = X @ unfold(dY)^T, db = sum(dY)."""

    def __init__(self, geometry: ConvGeometry, output_size: Pair) -> None:
        self.geometry = geometry
        self.output_size = output_size

    def forward(self, x, weight, bias=None):
        N, C, H, W = x.shape
        OC = weight.shape[1]
        cols = weight.reshape(C, -1).T @ _channel_major(x).reshape(C, -1)  # (OC*KH*KW, N*H*W)
        y = self.geometry.fold(cols, OC, N, (H, W), self.output_size)
        self.input_shape = x.shape
        self.x = x if self.needs_input_grad[1] else None
        self.weight = weight if self.needs_input_grad[0] else None
        return _batch_major(y, bias)

    def backward(self, g):
        N, C, H, W = self.input_shape
        OC = g.shape[1]
        dy = _channel_major(g)
        gx = gw = gb = None
        if self.needs_input_grad[0] or self.needs_input_grad[1]:
            cols = self.geometry.unfold(dy)  # (OC*KH*KW, N*H*W), shared by both gradients
            grid = self.geometry.output_size(dy.shape[2:])
            if grid != (H, W):
                # output_padding >= stride (allowed below the dilation) leaves windows past the input's edge
                cols = cols.reshape(-1, N, *grid)[:, :, :H, :W].reshape(cols.shape[0], -1)
            if self.needs_input_grad[1]:
                gw = (_channel_major(self.x).reshape(C, -1) @ cols.T).reshape(C, OC, *self.geometry.kernel_size)
            if self.needs_input_grad[0]:
                # conv2d(dY, W)'s forward: one GEMM against the unfolded image
                gx = _batch_major((self.weight.reshape(C, -1) @ cols).reshape(C, N, H, W))
        if len(self.needs_input_grad) == 3 and self.needs_input_grad[2]:
            gb = dy.reshape(OC, -1).sum(axis=1)
        return gx, gw, gb


# ----------------------------------------------------------------------------- the ops


def _check_inputs(op: str, input: Tensor, weight: Tensor, bias: Tensor | None, groups: int, layout: str) -> None:  # noqa: A002
    """The checks both ops share; ``layout`` names the weight's dimensions for the messages."""
    if groups != 1:
        raise ValueError(f"{op}: groups={groups} is not supported (tinygan has no grouped convolution)")
    if input.ndim != 4:
        raise ValueError(f"{op} expects a 4-D input (N, C, H, W), got shape {input.shape}")
    if weight.ndim != 4:
        raise ValueError(f"{op} expects a 4-D weight {layout}, got shape {weight.shape}")
    in_channels = weight.shape[0] if op == "conv_transpose2d" else weight.shape[1]
    if input.shape[1] != in_channels:
        raise ValueError(
            f"{op}: input of shape {input.shape} has {input.shape[1]} channels, "
            f"but weight {layout} of shape {weight.shape} expects {in_channels}"
        )
    out_channels = weight.shape[1] if op == "conv_transpose2d" else weight.shape[0]
    if bias is not None and bias.shape != (out_channels,):
        raise ValueError(f"{op}: bias of shape {bias.shape} does not match weight of shape {weight.shape}")
    if input.dtype != weight.dtype or (bias is not None and bias.dtype != weight.dtype):
        dtypes = f"input {input.dtype}, weight {weight.dtype}" + (f", bias {bias.dtype}" if bias is not None else "")
        raise TypeError(f"{op}: input, weight and bias must have the same dtype, got {dtypes}")


def conv2d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation, as ``torch.nn.functional.conv2d``.

    Args:
        input: (N, C, H, W).
        weight: (OC, C, KH, KW).
        bias: (OC,) or None.
        stride, padding, dilation: an int or an (height, width) pair.
        groups: only 1 (tinygan has no grouped convolution); here for PyTorch's argument order.

    Returns (N, OC, OH, OW), OH = ``conv_output_size(H, KH, stride, padding, dilation)``.
    """
    op = "conv2d"
    _check_inputs(op, input, weight, bias, groups, "(out_channels, in_channels, KH, KW)")
    stride, padding, dilation = (
        _pair(stride, "stride", op, 1),
        _pair(padding, "padding", op, 0),
        _pair(dilation, "dilation", op, 1),
    )
    geometry = ConvGeometry(weight.shape[2:], stride, padding, dilation)
    N, _, H, W = input.shape
    OC, _, KH, KW = weight.shape
    span = (dilation[0] * (KH - 1) + 1, dilation[1] * (KW - 1) + 1)
    padded = (H + 2 * padding[0], W + 2 * padding[1])
    if span[0] > padded[0] or span[1] > padded[1]:
        raise ValueError(
            f"{op}: the kernel, {span[0]}x{span[1]} with dilation {dilation} (weight {weight.shape}), is larger "
            f"than the padded input, {padded[0]}x{padded[1]} (input {input.shape}, padding {padding})"
        )
    if geometry.covers((H, W)):
        # DCGAN's last discriminator layer: a fully connected layer on the flattened image
        return reshape(linear(reshape(input, (N, -1)), reshape(weight, (OC, -1)), bias), (N, OC, 1, 1))
    inputs = (input, weight) if bias is None else (input, weight, bias)
    return Conv2d(geometry)(*inputs)


def conv_transpose2d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    output_padding: int | Sequence[int] = 0,
    groups: int = 1,
    dilation: int | Sequence[int] = 1,
) -> Tensor:
    """2-D transposed convolution (the adjoint of ``conv2d``), as ``torch.nn.functional.conv_transpose2d``.

    Args:
        input: (N, C, H, W).
        weight: (C, OC, KH, KW) (PyTorch's layout: in_channels first).
        bias: (OC,) or None.
        stride, padding, output_padding, dilation: an int or an (height, width) pair;
            output_padding adds rows/columns at the bottom/right and must be smaller than the
            stride or the dilation.
        groups: only 1; here for PyTorch's argument order.

    Returns (N, OC, OH, OW), OH = ``conv_transpose_output_size(H, KH, stride, padding, output_padding, dilation)``.
    """
    op = "conv_transpose2d"
    _check_inputs(op, input, weight, bias, groups, "(in_channels, out_channels, KH, KW)")
    stride, padding, dilation = (
        _pair(stride, "stride", op, 1),
        _pair(padding, "padding", op, 0),
        _pair(dilation, "dilation", op, 1),
    )
    output_padding = _pair(output_padding, "output_padding", op, 0)
    geometry = ConvGeometry(weight.shape[2:], stride, padding, dilation)
    N, C, H, W = input.shape
    _, OC, KH, KW = weight.shape
    if any(extra >= s and extra >= d for extra, s, d in zip(output_padding, stride, dilation)):
        raise ValueError(
            f"{op}: output_padding {output_padding} must be smaller than the stride {stride} or the dilation {dilation}"
        )
    output_size = tuple(
        conv_transpose_output_size(*args) for args in zip((H, W), (KH, KW), stride, padding, output_padding, dilation)
    )
    if min(output_size) < 1:
        raise ValueError(
            f"{op}: input of shape {input.shape} with weight {weight.shape}, stride {stride}, padding {padding} "
            f"and output_padding {output_padding} gives an empty output {output_size}"
        )
    if geometry.covers(output_size):
        # the input is 1x1 and each pixel stamps the whole kernel (DCGAN's first generator layer): one GEMM
        y = reshape(matmul(reshape(input, (N, C)), reshape(weight, (C, -1))), (N, OC, KH, KW))
        return y if bias is None else add(y, reshape(bias, (1, OC, 1, 1)))
    inputs = (input, weight) if bias is None else (input, weight, bias)
    return ConvTranspose2d(geometry, output_size)(*inputs)
