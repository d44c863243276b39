"""What the kernel tests draw: convolution geometries (with the edge cases pinned), batch-norm
shapes, and random arrays. Shared by ``test_kernels`` (NumPy reference and Numba CPU loops) and
``test_kernels_cudasim`` (the CUDA kernels under Numba's simulator, on smaller shapes)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from tinygan.kernels import conv_output_size

DTYPES = st.sampled_from([np.float32, np.float64])


@st.composite
def conv_geometry(draw: Any, max_kernel: int = 3, max_extra: int = 4, max_images: int = 2) -> dict[str, Any]:
    """Channel-major image shape (C, N, H, W), kernel, stride, padding and dilation of a
    convolution with at least one output pixel: kernel 1..max_kernel, stride 1-3 (also larger
    than the kernel), padding 0-2, dilation 1-2, and images from the smallest the padded,
    dilated kernel fits to ``max_extra`` pixels more."""
    kernel = (draw(st.integers(1, max_kernel)), draw(st.integers(1, max_kernel)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    low = [max(1, d * (k - 1) + 1 - 2 * p) for k, p, d in zip(kernel, padding, dilation)]
    size = (draw(st.integers(low[0], low[0] + max_extra)), draw(st.integers(low[1], low[1] + max_extra)))
    channels, batch = draw(st.integers(1, max_images)), draw(st.integers(1, max_images))
    return geometry((channels, batch, *size), kernel, stride, padding, dilation)


def geometry(shape, kernel, stride=(1, 1), padding=(0, 0), dilation=(1, 1)) -> dict[str, Any]:
    return dict(shape=shape, kernel=kernel, stride=stride, padding=padding, dilation=dilation)


EDGE_CASES = [
    geometry((1, 1, 5, 7), (3, 3), padding=(1, 1)),  # one channel, odd sizes, "same" padding
    geometry((2, 2, 6, 6), (1, 1), stride=(3, 3)),  # stride larger than the kernel: pixels skipped
    geometry((2, 1, 4, 5), (2, 3), stride=(2, 1), padding=(2, 0)),  # padding as large as the kernel
    geometry((1, 1, 7, 5), (3, 2), dilation=(2, 2)),  # dilated kernel
    geometry((1, 2, 1, 1), (1, 1)),  # 1x1 images
    geometry((2, 2, 8, 8), (4, 4), stride=(2, 2), padding=(1, 1)),  # DCGAN's k4 s2 p1
    # the CPU's stride-2 im2col loop with another vertical stride and dilation, and horizontal
    # padding as wide as the window (output column 0 is all padding)
    geometry((2, 2, 7, 9), (3, 2), stride=(3, 2), padding=(1, 2), dilation=(2, 1)),
    geometry((1, 1, 1, 1), (1, 1), stride=(3, 2), padding=(2, 2)),  # ... and both output rows in the padding
    # stride-2 rows either side of the CPU loops' thresholds, with padding on both sides: 7 and 8
    # values (the first group of eight), 17 and 18, 23 and 24 (groups and a rest), 31 and 32 (the
    # plain loop from 32 on)
    geometry((1, 1, 1, 15), (1, 2), stride=(1, 2), padding=(0, 1)),
    geometry((1, 2, 3, 36), (1, 4), stride=(1, 2), padding=(0, 1)),
    geometry((1, 1, 1, 47), (1, 2), stride=(1, 2), padding=(0, 1)),
    geometry((1, 1, 2, 63), (2, 2), stride=(2, 2), padding=(1, 1)),
]


def im2col_args(g: dict[str, Any]) -> tuple[Any, ...]:
    return g["kernel"], g["stride"], g["padding"], g["dilation"]


def col2im_args(g: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(g["shape"][2:]), g["stride"], g["padding"], g["dilation"]


def cols_shape(g: dict[str, Any]) -> tuple[int, ...]:
    """The shape (C, KH, KW, N, OH, OW) of ``im2col``'s columns for geometry ``g``."""
    C, N, H, W = g["shape"]
    settings = zip(g["kernel"], g["stride"], g["padding"], g["dilation"])
    grid = (conv_output_size(n, *setting) for n, setting in zip((H, W), settings))
    return (C, *g["kernel"], N, *grid)


def random_array(shape: tuple[int, ...], dtype: Any, seed: int = 0, offset: float = 0.0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(shape) + offset).astype(dtype)


def special_values(shape: tuple[int, ...], dtype: Any, seed: int) -> np.ndarray:
    """Random values with NaN, +-inf, +-0 and the smallest subnormal mixed in."""
    x = random_array(shape, dtype, seed).reshape(-1)
    specials = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, np.finfo(dtype).smallest_subnormal], dtype)
    x[: min(x.size, specials.size)] = specials[: x.size]
    return np.random.default_rng(seed).permutation(x).reshape(shape)


SLOPES = st.sampled_from([0.0, 0.2, 1.0, -0.5, 1.5])  # LeakyReLU's: ReLU, DCGAN's, identity, sign-flipping, steep

# (N, C, *spatial): BatchNorm1d's (N, C), 1-D and 2-D images, a single value per sample, one channel
NORM_SHAPES = st.sampled_from([(4, 3), (2, 1, 5), (3, 2, 2, 3), (1, 2, 3, 1), (5, 1)])


def batch_norm_backward_inputs(shape: tuple[int, ...], dtype: Any, seed: int, stats: Any) -> tuple[np.ndarray, ...]:
    """``(x, dy, mean, invstd, weight)`` for ``batch_norm_backward``, the statistics from ``stats``."""
    x = random_array(shape, dtype, seed)
    dy = random_array(shape, dtype, seed + 1)
    weight = random_array(shape[1:2], dtype, seed + 2)
    mean, var = stats(x)
    invstd = (1 / np.sqrt(var + 1e-5)).astype(dtype)
    return x, dy, mean, invstd, weight


# How an array can reach the kernels: laid out as its shape says; with its sample and channel
# axes swapped in memory (a convolution's output is the batch-major view of a channel-major
# array); a few samples of a channel-major array (one group of a convolution's samples: the
# channels lie apart); every other channel of a bigger array (half of a concatenation); or
# flipped (negative strides, which the kernels copy first).
LAYOUTS = st.sampled_from(["contiguous", "swapped", "samples", "channels", "flipped"])


def laid_out(a: np.ndarray, layout: str, channel_axis: int) -> np.ndarray:
    """An array equal to ``a`` (its axes 0 and 1 are samples and channels, in either order) in
    ``layout`` (see ``LAYOUTS``); the rest of any bigger array it is cut from is NaN."""
    sample_axis = 1 - channel_axis

    def stored(b: np.ndarray, order: tuple[int, int]) -> np.ndarray:  # b with its axes 0, 1 in memory as order
        return np.ascontiguousarray(b.transpose(*order, *range(2, b.ndim))).transpose(*order, *range(2, b.ndim))

    def cut(wide_shape_axis: int, index: slice) -> tuple[np.ndarray, tuple[slice, ...]]:
        shape = list(a.shape)
        shape[wide_shape_axis] = 3 * a.shape[wide_shape_axis]
        wide = np.full(shape, np.nan, dtype=a.dtype)
        where = (slice(None),) * wide_shape_axis + (index,)
        wide[where] = a
        return wide, where

    if layout == "contiguous":
        return a.copy()
    if layout == "swapped":
        return stored(a, (1, 0))
    if layout == "samples":  # the middle samples of a channel-major array three times the batch
        wide, where = cut(sample_axis, slice(a.shape[sample_axis], 2 * a.shape[sample_axis]))
        return stored(wide, (channel_axis, sample_axis))[where]
    if layout == "channels":
        wide, where = cut(channel_axis, slice(1, None, 3))
        return wide[where]
    return np.flip(np.flip(a, 0).copy(), 0)
