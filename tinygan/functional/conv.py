"""Convolution and transposed convolution: im2col + one GEMM, and one GEMM + col2im.

Shapes are PyTorch's. ``conv2d``: input (N, C, H, W), weight (OC, C, KH, KW), output
(N, OC, OH, OW) with OH = ``conv_output_size(H, KH, sh, ph, dh)``. ``conv_transpose2d``:
input (N, C, H, W), weight (C, OC, KH, KW), output (N, OC, OH, OW) with
OH = ``conv_transpose_output_size(H, KH, sh, ph, output_padding, dh)``. Input, weight and
bias share one dtype, float32 or float64 (what the kernels are compiled for).

How. ``im2col`` copies every receptive field of a batch out as one column, so that
convolution is one matrix product (GEMM) for the whole batch; ``col2im`` adds columns back
onto the pixels they came from (layouts in ``tinygan.kernels``; its ``reference`` is the
NumPy to read)::

    conv2d:            Y = W2 @ unfold(X)          W2 = weight as (OC, C*KH*KW)
    conv_transpose2d:  Y = fold(W2^T @ X)          W2 = weight as (C, OC*KH*KW)

Transposed convolution is the adjoint of convolution with the same weight,
<conv2d(x, W), y> = <x, conv_transpose2d(y, W)>, so each op's input gradient *is* the other
op's forward, and the code says so: the two forwards are written once, on arrays
(``_conv2d``, ``_conv_transpose2d``), and each backward calls the other's. Both weight
gradients are one GEMM against the unfolded larger image (``_weight_gradient``)::

    conv2d backward:            dX = conv_transpose2d(dY, W) = fold(W2^T @ dY)    dW = dY @ unfold(X)^T
    conv_transpose2d backward:  dX = conv2d(dY, W)           = W2 @ unfold(dY)    dW = X @ unfold(dY)^T

Here X, Y, dX, dY are *channel-major* images, (C, N*H*W) matrices: the GEMMs want them so,
and the kernels stream through them. Both ops write Y (and dX) channel-major and hand it on as
its batch-major (N, C, H, W) view (``_batch_major``), which batch norm, the activations and the
next convolution read where it lies, so a stack of layers passes channel-major arrays along
without copying them (on a GPU, batch norm's kernels take a contiguous copy).
``_channel_major`` copies only what arrives batch-major (the real images, a concatenation):
one transposing copy, activation-sized (the columns are KH*KW/stride^2 times bigger). The
columns are never kept between forward and backward: backward unfolds its input again, which
costs a fraction of a GEMM, and the graph holds only the input and the weight, as in PyTorch.
Nor do they exist for the whole batch at once: both ops unfold a few samples, or a few
channels, at a time (``COLUMN_BUDGET_BYTES``).

When the window is the whole unpadded image (the output is 1x1, as in DCGAN's last
discriminator layer, or, for the transposed op, the input is 1x1, as in its first generator
layer), unfolding is only a reshape, and the op is computed as the matrix product it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygan import _checks, kernels
from tinygan.backend import device_of, get_array_module
from tinygan.functional.elementwise import add
from tinygan.functional.linalg import linear, matmul
from tinygan.functional.shape import reshape
from tinygan.kernels import conv_output_size  # the formula lives in kernels; re-exported beside its transpose
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
    """(N, C, H, W) -> (C, N, H, W), the layout the GEMMs and kernels use: a view where each
    channel's N*H*W values already lie together (a convolution's output, or a slice of its
    samples, or a single sample), else a contiguous copy."""
    t = a.transpose(1, 0, 2, 3)
    return t if t.size and t[0].flags.c_contiguous else get_array_module(a).ascontiguousarray(t)


def _batch_major(y: Any, bias: Any = None) -> Any:
    """The (N, C, H, W) view of a channel-major result ``y`` (C, N, H, W), after adding a
    per-channel ``bias`` to it in place. No copy: every op reads either layout, and the next
    convolution's ``_channel_major`` takes it back for free."""
    if bias is not None:
        y += bias.reshape(-1, 1, 1, 1)
    return y.transpose(1, 0, 2, 3)


def _matrix(a: Any) -> Any:
    """Channel-major images (C, n, H, W) as the (C, n*H*W) matrix the GEMMs read or write: a
    view, since each channel's values lie together (the rows may lie apart, as BLAS allows)."""
    return a.reshape(a.shape[0], -1)


# The columns are KH*KW/stride^2 times bigger than the image they come from: a DCGAN batch unfolds
# into 16 MB at its widest layer, Pix2Pix's last 70x70 discriminator layer into 28 MB for one
# 256x256 image. So the ops unfold a few samples at a time (the Functions' sample groups) and,
# where one sample is still too big, a few channels at a time (the array ops below): every
# block of columns stays within this many bytes, a transient that also stays in the CPU's cache
# from im2col to the GEMM that reads it. The CPU's 4 MiB is the most that keeps a DCGAN
# iteration's working memory below PyTorch's (W3: 27.8 MiB against 28.2). It splits W2's batch
# of 16 into 4 + 4 + 4 + 4 samples at its widest layers, where 3 MiB made 3+3+3+3+3+1 and
# that iteration 4-12% slower (BENCHMARKS.md). A GPU
# has the memory and prefers fewer, bigger launches. Every loop over blocks drops its block
# before the next is made: a Python loop variable would keep the last one alive meanwhile,
# doubling the transient.
COLUMN_BUDGET_BYTES = {"cpu": 4 * 2**20, "cuda": 1024 * 2**20}


def _blocks(count: int, column_bytes_each: int, device: str) -> list[slice]:
    """Consecutive slices of ``range(count)`` (samples or channels) whose columns each fit
    ``COLUMN_BUDGET_BYTES`` (at least one item each)."""
    size = max(1, COLUMN_BUDGET_BYTES[device] // max(1, column_bytes_each))
    return [slice(start, min(start + size, count)) for start in range(0, count, size)]


def _add(total: Any, part: Any) -> Any:
    """Sum the parts of a product computed block by block: ``part`` itself when it is the first."""
    if total is None:
        return part
    total += part
    return total


@dataclass(frozen=True)
class ConvGeometry:
    """Kernel size, stride, padding and dilation of one convolution, each a (height, width) pair."""

    kernel_size: Pair
    stride: Pair
    padding: Pair
    dilation: Pair

    def covers(self, image_size: Pair) -> bool:
        """Whether the window is the whole unpadded image, so the output is 1x1 and im2col is a mere reshape."""
        return self.padding == (0, 0) and self.dilation == (1, 1) and tuple(image_size) == self.kernel_size

    def output_size(self, image_size: Pair) -> Pair:
        """The grid of windows over an image of ``image_size``: the convolution's output (OH, OW)."""
        return tuple(conv_output_size(*args) for args in zip(image_size, self.kernel_size, self.stride,
                                                              self.padding, self.dilation))  # fmt: skip

    def unfold(self, image: Any) -> Any:
        """im2col: channel-major images (C, N, H, W) -> their columns (C, KH, KW, N, OH, OW)."""
        return kernels.for_array(image).im2col(image, self.kernel_size, self.stride, self.padding, self.dilation)

    def unfold_blocks(self, image: Any, grid: Pair | None = None) -> Iterator[tuple[slice, Any]]:
        """im2col a block of channels at a time: (channels, their columns (c, KH, KW, N, GH, GW))
        pairs covering ``image`` (C, N, H, W). ``grid`` (GH, GW) keeps only the first windows: the
        grid of a transposed convolution's input, which can be smaller than the one its output
        allows where an output_padding >= stride (allowed below the dilation) leaves windows past it.
        An image of no channels gives one empty block, so that a GEMM summed over the blocks still
        writes its output (zeros)."""
        C, N, H, W = image.shape
        GH, GW = grid or self.output_size((H, W))
        KH, KW = self.kernel_size
        for block in _blocks(C, KH * KW * N * GH * GW * image.itemsize, device_of(image)) or [slice(0, 0)]:
            cols = self.unfold(image[block])[..., :GH, :GW]
            if not cols.flags.c_contiguous:  # the crop cut something: copy once, not once per use
                cols = get_array_module(cols).ascontiguousarray(cols)
            yield block, cols
            del cols  # see COLUMN_BUDGET_BYTES

    def fold(self, cols: Any, out: Any) -> Any:
        """col2im: columns (C, KH, KW, N, GH, GW) -> channel-major images ``out`` (C, N, H, W)."""
        return kernels.for_array(cols).col2im(cols, out.shape[2:], self.stride, self.padding, self.dilation, out=out)


# ----------------------------------------------------------------------------- the two ops on arrays
# Channel-major arrays in and out, no bias: what both Functions' forwards and backwards call.
# Read each with one block: the loops over blocks only bound the memory (see COLUMN_BUDGET_BYTES).


def _conv2d_block(weight: Any, block: slice, cols: Any, out: Any) -> None:
    """Add what input channels ``block`` contribute to conv2d, W2[:, block] @ their columns, to
    ``out`` (OC, N*OH*OW); weight (OC, C, KH, KW), cols (c, KH, KW, N, OH, OW). The first block
    writes ``out``: the GEMM puts its product straight there."""
    w2, c2 = weight[:, block].reshape(weight.shape[0], -1), cols.reshape(-1, out.shape[1])
    if block.start == 0:
        get_array_module(out).matmul(w2, c2, out=out)
    else:
        out += w2 @ c2


def _conv2d(x: Any, weight: Any, geometry: ConvGeometry, out: Any) -> Any:
    """conv2d: x (C, N, H, W), weight (OC, C, KH, KW) -> ``out`` (OC, N, OH, OW), returned.

    One GEMM, W2 (OC, C*KH*KW) @ unfold(x) (C*KH*KW, N*OH*OW), summed over blocks of input channels.
    """
    for block, cols in geometry.unfold_blocks(x):
        _conv2d_block(weight, block, cols, _matrix(out))
        del cols  # see COLUMN_BUDGET_BYTES
    return out


def _conv_transpose2d(x: Any, weight: Any, geometry: ConvGeometry, out: Any) -> Any:
    """conv_transpose2d: x (C, N, H, W), weight (C, OC, KH, KW) -> ``out`` (OC, N, OH, OW), returned.

    One GEMM, W2^T (OC*KH*KW, C) @ x (C, N*H*W), whose columns are folded back onto the image,
    a block of output channels at a time.
    """
    C, N, H, W = x.shape
    OC, KH, KW = weight.shape[1:]
    for block in _blocks(OC, KH * KW * N * H * W * x.itemsize, device_of(x)):
        cols = weight[:, block].reshape(C, -1).T @ _matrix(x)
        geometry.fold(cols.reshape(-1, KH, KW, N, H, W), out[block])
        del cols  # see COLUMN_BUDGET_BYTES
    return out


def _weight_gradient_block(image: Any, cols: Any, out: Any) -> None:
    """``out`` (A, b, KH, KW) = ``image`` (A, N, GH, GW) @ ``cols`` (b, KH, KW, N, GH, GW)^T: the
    weight gradient of the b channels whose columns these are, one GEMM written straight into ``out``."""
    A = image.shape[0]
    rows = image.reshape(A, -1)
    get_array_module(image).matmul(rows, cols.reshape(-1, rows.shape[1]).T, out=out.reshape(A, -1))  # a view


def _weight_gradient(image: Any, blocks: Iterable[tuple[slice, Any]], weight_shape: tuple[int, ...]) -> Any:
    """Both ops' weight gradient: ``image`` (A, N, GH, GW) against the columns of the other image
    on the same grid of windows, in (channels, cols) blocks of its B channels -> ``weight_shape``
    (A, B, KH, KW)."""
    gw = get_array_module(image).empty(weight_shape, dtype=image.dtype)
    for block, cols in blocks:
        _weight_gradient_block(image, cols, gw[:, block])
        del cols  # see COLUMN_BUDGET_BYTES
    return gw


# ----------------------------------------------------------------------------- the two Functions


class _Convolution(Function):
    """What Conv2d and ConvTranspose2d share: forward saves ``input_shape``, ``weight_shape`` and
    the sample ``groups`` and returns its channel-major result as a batch-major view; backward
    runs the groups through the op's ``_group_gradients``, which write dX into its channel-major
    array, sums dW over the groups, and db = sum(dY)."""

    groups: list[slice]
    input_shape: tuple[int, ...]

    def backward(self, g):
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            N, C, H, W = self.input_shape
            gx = get_array_module(g).empty((C, N, H, W), dtype=g.dtype)
        for group in self.groups if self.needs_input_grad[0] or self.needs_input_grad[1] else ():
            gw = _add(gw, self._group_gradients(g[group], group, None if gx is None else gx[:, group]))
        if gw is None and self.needs_input_grad[1]:  # an empty batch has no groups: dW sums nothing
            gw = get_array_module(g).zeros(self.weight_shape, dtype=g.dtype)
        if len(self.needs_input_grad) == 3 and self.needs_input_grad[2]:
            gb = g.sum(axis=(0, 2, 3))
        return (None if gx is None else _batch_major(gx)), gw, gb

    def _group_gradients(self, g: Any, group: slice, gx: Any) -> Any:
        """Write dX of one sample group into ``gx`` (channel-major, (C, n, H, W); None when not
        needed) and return its dW (or None), from its dY ``g``."""
        raise NotImplementedError


# ----------------------------------------------------------------------------- conv2d


class Conv2d(_Convolution):
    """Y = conv2d(X, W) + b; backward: dX = conv_transpose2d(dY, W), dW = dY @ unfold(X)^T, db = sum(dY).

    Each runs over the batch in groups of samples (see ``COLUMN_BUDGET_BYTES``); dW sums over them.
    """

    def __init__(self, geometry: ConvGeometry) -> None:
        self.geometry = geometry

    def forward(self, x, weight, bias=None):
        # keep only what backward will use: X for dW, W for dX
        self.input_shape, self.weight_shape = x.shape, weight.shape
        self.x = x if self.needs_input_grad[1] else None
        self.weight = weight if self.needs_input_grad[0] else None
        N, C, H, W = x.shape
        OH, OW = self.geometry.output_size((H, W))
        KH, KW = self.geometry.kernel_size
        self.groups = _blocks(N, C * KH * KW * OH * OW * x.itemsize, device_of(x))
        y = get_array_module(x).empty((weight.shape[0], N, OH, OW), dtype=x.dtype)
        for group in self.groups:
            _conv2d(_channel_major(x[group]), weight, self.geometry, out=y[:, group])
        return _batch_major(y, bias)

    def _group_gradients(self, g: Any, group: slice, gx: Any) -> Any:
        dy = _channel_major(g)  # (OC, n, OH, OW)
        if gx is not None:
            # the input gradient of a convolution is the transposed convolution of dY with the same weight
            _conv_transpose2d(dy, self.weight, self.geometry, out=gx)
        if self.needs_input_grad[1]:
            return _weight_gradient(dy, self.geometry.unfold_blocks(_channel_major(self.x[group])), self.weight_shape)
        return None


# ----------------------------------------------------------------------------- conv_transpose2d


class ConvTranspose2d(_Convolution):
    """Y = conv_transpose2d(X, W) + b; backward: dX = conv2d(dY, W), dW = X @ unfold(dY)^T, db = sum(dY).

    Each runs over the batch in groups of samples (see ``COLUMN_BUDGET_BYTES``); dW sums over them.
    """

    def __init__(self, geometry: ConvGeometry, output_size: Pair) -> None:
        self.geometry = geometry
        self.output_size = output_size

    def forward(self, x, weight, bias=None):
        self.input_shape, self.weight_shape = x.shape, weight.shape
        self.x = x if self.needs_input_grad[1] else None
        self.weight = weight if self.needs_input_grad[0] else None
        N, _, H, W = x.shape
        OC, KH, KW = weight.shape[1:]
        self.groups = _blocks(N, OC * KH * KW * H * W * x.itemsize, device_of(x))
        y = get_array_module(x).empty((OC, N, *self.output_size), dtype=x.dtype)
        for group in self.groups:
            _conv_transpose2d(_channel_major(x[group]), weight, self.geometry, out=y[:, group])
        return _batch_major(y, bias)

    def _group_gradients(self, g: Any, group: slice, gx: Any) -> Any:
        """unfold(dY) a block of channels at a time, each block serving both gradients."""
        H, W = self.input_shape[2:]
        dy = _channel_major(g)  # (OC, n, OH, OW)
        x = _channel_major(self.x[group]) if self.needs_input_grad[1] else None
        gw = get_array_module(g).empty(self.weight_shape, dtype=g.dtype) if self.needs_input_grad[1] else None
        for block, cols in self.geometry.unfold_blocks(dy, grid=(H, W)):
            if gx is not None:
                # the input gradient of a transposed convolution is the convolution of dY with the same weight
                _conv2d_block(self.weight, block, cols, _matrix(gx))
            if gw is not None:
                _weight_gradient_block(x, cols, gw[:, block])
            del cols  # see COLUMN_BUDGET_BYTES
        return gw


# ----------------------------------------------------------------------------- the ops


def _check_inputs(op: str, input: Tensor, weight: Tensor, bias: Tensor | None, groups: int, layout: str) -> None:  # noqa: A002
    """The checks both ops share; ``layout`` names the weight's dimensions for the messages."""
    if groups != 1:
        raise ValueError(f"{op}: groups={groups} is not supported (tinygan has no grouped convolution)")
    if input.ndim != 4:
        raise ValueError(f"{op} expects a 4-D input (N, C, H, W), got shape {input.shape}")
    if weight.ndim != 4:
        raise ValueError(f"{op} expects a 4-D weight {layout}, got shape {weight.shape}")
    kernels.check_dtype(op, "input", input.dtype)
    in_channels = weight.shape[0] if op == "conv_transpose2d" else weight.shape[1]
    if input.shape[1] != in_channels:
        raise ValueError(
            f"{op}: input of shape {input.shape} has {input.shape[1]} channels, "
            f"but weight {layout} of shape {weight.shape} expects {in_channels}"
        )
    out_channels = weight.shape[1] if op == "conv_transpose2d" else weight.shape[0]
    if bias is not None and bias.shape != (out_channels,):
        raise ValueError(f"{op}: bias of shape {bias.shape} does not match weight of shape {weight.shape}")
    _checks.same_dtype(op, input, weight, bias)


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
    N, C, H, W = input.shape
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
        return reshape(linear(reshape(input, (N, C * H * W)), reshape(weight, (OC, -1)), bias), (N, OC, 1, 1))
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
