"""The CUDA kernels against the CPU path, run by Numba's CUDA simulator (no GPU needed).

Run them with ``NUMBA_ENABLE_CUDASIM=1 python -m pytest -m cudasim``. The simulator must be
switched on before ``numba.cuda`` is first imported, so a plain ``pytest`` run cannot turn
it on for these tests alone: without the variable they skip.

The simulator executes every CUDA thread as a Python thread, so shapes stay tiny and each
property runs on a handful of Hypothesis examples; the edge cases (odd sizes, padding,
stride larger than the kernel, dilation, output_padding, one channel) are pinned with
``@example`` so that they run every time.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tinygan.kernels import cpu, cuda_conv, cuda_norm

pytestmark = [
    pytest.mark.cudasim,
    pytest.mark.skipif(
        not numba.config.ENABLE_CUDASIM,
        reason="CUDA simulator tests: run with NUMBA_ENABLE_CUDASIM=1 pytest -m cudasim",
    ),
]

DTYPES = st.sampled_from([np.float32, np.float64])
FEW = settings(max_examples=12, deadline=None)


@st.composite
def conv_geometry(draw: Any) -> dict[str, Any]:
    """Channel-major image shape (C, N, H, W), kernel, stride, padding and dilation of a
    convolution with at least one output pixel."""
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    # the smallest input the dilated kernel fits into once padded, up to 4 pixels more
    low = [max(1, d * (k - 1) + 1 - 2 * p) for k, p, d in zip(kernel, padding, dilation)]
    size = (draw(st.integers(low[0], low[0] + 4)), draw(st.integers(low[1], low[1] + 4)))
    channels, batch = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    return dict(shape=(channels, batch, *size), kernel=kernel, stride=stride, padding=padding, dilation=dilation)


def geometry(shape, kernel, stride=(1, 1), padding=(0, 0), dilation=(1, 1)) -> dict[str, Any]:
    return dict(shape=shape, kernel=kernel, stride=stride, padding=padding, dilation=dilation)


def random_array(shape: tuple[int, ...], dtype: Any, seed: int = 0, offset: float = 0.0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(shape) + offset).astype(dtype)


def out_size(g: dict[str, Any]) -> tuple[int, int]:
    return tuple(
        (n + 2 * p - d * (k - 1) - 1) // s + 1
        for n, k, s, p, d in zip(g["shape"][2:], g["kernel"], g["stride"], g["padding"], g["dilation"])
    )


EDGE_CASES = [
    geometry((1, 1, 5, 7), (3, 3), padding=(1, 1)),  # one channel, odd sizes, "same" padding
    geometry((2, 2, 6, 6), (1, 1), stride=(3, 3)),  # stride larger than the kernel: pixels skipped
    geometry((2, 1, 4, 5), (2, 3), stride=(2, 1), padding=(2, 0)),  # padding as large as the kernel
    geometry((1, 1, 7, 5), (3, 2), dilation=(2, 2)),  # dilated kernel
    geometry((1, 2, 1, 1), (1, 1)),  # 1x1 images
]


# ----------------------------------------------------------------------------- im2col / col2im


@FEW
@given(g=conv_geometry(), dtype=DTYPES)
@example(g=EDGE_CASES[0], dtype=np.float32)
@example(g=EDGE_CASES[1], dtype=np.float64)
@example(g=EDGE_CASES[2], dtype=np.float32)
@example(g=EDGE_CASES[3], dtype=np.float32)
@example(g=EDGE_CASES[4], dtype=np.float64)
def test_im2col_matches_the_cpu_kernel(g, dtype):
    x = random_array(g["shape"], dtype)
    args = (g["kernel"], g["stride"], g["padding"], g["dilation"])
    cols = cuda_conv.im2col(x, *args)
    assert cols.dtype == dtype
    np.testing.assert_array_equal(cols, cpu.im2col(x, *args))  # a pure copy: exactly equal


@FEW
@given(g=conv_geometry(), dtype=DTYPES)
@example(g=EDGE_CASES[0], dtype=np.float32)
@example(g=EDGE_CASES[1], dtype=np.float64)
@example(g=EDGE_CASES[2], dtype=np.float32)
@example(g=EDGE_CASES[3], dtype=np.float32)
@example(g=EDGE_CASES[4], dtype=np.float64)
def test_col2im_matches_the_cpu_kernel(g, dtype):
    C, N, H, W = g["shape"]
    cols = random_array((C, *g["kernel"], N, *out_size(g)), dtype)
    args = ((H, W), g["stride"], g["padding"], g["dilation"])
    image = cuda_conv.col2im(cols, *args)
    assert image.dtype == dtype and image.shape == (C, N, H, W)
    tol = 1e-6 if dtype == np.float32 else 1e-13  # the sums may be added in another order
    np.testing.assert_allclose(image, cpu.col2im(cols, *args), rtol=tol, atol=tol)


@pytest.mark.parametrize("kernel, stride, padding", [(3, 2, 1), (1, 2, 0), (2, 3, 1)])
@pytest.mark.parametrize("output_padding", [0, 1])
def test_col2im_sizes_a_transposed_convolution_output(kernel, stride, padding, output_padding):
    # transposed convolution's image: H = (OH - 1) s - 2 p + k + output_padding, which can
    # hold pixels that no window covers (kernel < stride, or the output_padding row)
    OH, OW = 3, 2
    H = (OH - 1) * stride - 2 * padding + kernel + output_padding
    W = (OW - 1) * stride - 2 * padding + kernel + output_padding
    cols = random_array((2, kernel, kernel, 1, OH, OW), np.float32)
    args = ((H, W), (stride, stride), (padding, padding), (1, 1))
    image = cuda_conv.col2im(cols, *args)
    assert image.shape == (2, 1, H, W)
    np.testing.assert_allclose(image, cpu.col2im(cols, *args), rtol=1e-6, atol=1e-6)
    if (kernel, output_padding) == (1, 1):
        np.testing.assert_array_equal(image[:, :, -1, :], 0)  # the output_padding row lies under no window


def test_col2im_is_the_adjoint_of_im2col():
    # <im2col(x), c> = <x, col2im(c)>: the identity that makes col2im im2col's gradient
    args = ((2, 2), (2, 1), (1, 1), (1, 2))  # kernel, stride, padding, dilation
    x = random_array((2, 2, 5, 4), np.float64, seed=1)
    cols = cuda_conv.im2col(x, *args)
    c = random_array(cols.shape, np.float64, seed=2)
    back = cuda_conv.col2im(c, x.shape[2:], *args[1:])
    assert np.isclose((cols * c).sum(), (x * back).sum(), rtol=1e-12)


# ----------------------------------------------------------------------------- batch norm

NORM_SHAPES = st.sampled_from([(4, 3), (2, 1, 5), (3, 2, 2, 3), (1, 2, 3, 1), (5, 1)])


@FEW
@given(shape=NORM_SHAPES, dtype=DTYPES, offset=st.sampled_from([0.0, 1e3]))
def test_batch_norm_stats_match_the_cpu_kernel(shape, dtype, offset):
    # offset: a mean far larger than the spread, where sum(x^2)/m - mean^2 would cancel
    x = random_array(shape, dtype, offset=offset)
    mean, var = cuda_norm.batch_norm_stats(x)
    expected_mean, expected_var = cpu.batch_norm_stats(x)
    assert mean.shape == var.shape == (shape[1],) and mean.dtype == var.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(mean, expected_mean, rtol=tol)
    np.testing.assert_allclose(var, expected_var, rtol=tol * 10, atol=tol)


def test_batch_norm_stats_of_a_constant_channel_are_exact():
    x = np.full((3, 2, 2, 2), 7.25, dtype=np.float32)
    mean, var = cuda_norm.batch_norm_stats(x)
    np.testing.assert_array_equal(mean, 7.25)
    np.testing.assert_array_equal(var, 0)  # never a tiny negative from rounding


@FEW
@given(shape=NORM_SHAPES, dtype=DTYPES, seed=st.integers(0, 2**16))
def test_batch_norm_backward_matches_the_cpu_kernel(shape, dtype, seed):
    x = random_array(shape, dtype, seed)
    dy = random_array(shape, dtype, seed + 1)
    weight = random_array(shape[1:2], dtype, seed + 2)
    mean, var = cpu.batch_norm_stats(x)
    invstd = (1 / np.sqrt(var + 1e-5)).astype(dtype)
    got = cuda_norm.batch_norm_backward(x, dy, mean, invstd, weight)
    expected = cpu.batch_norm_backward(x, dy, mean, invstd, weight)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for name, a, b in zip(("dx", "dw", "db"), got, expected):
        assert a.shape == b.shape and a.dtype == dtype, name
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=name)


def test_batch_norm_backward_matches_its_formula():
    # an independent NumPy reference, written from dx = (w / sigma)(dy - mean(dy) - x_hat mean(dy x_hat))
    x, dy = random_array((3, 2, 2, 2), np.float64, 1), random_array((3, 2, 2, 2), np.float64, 2)
    weight = np.array([0.5, -2.0])
    axes = (0, 2, 3)
    mean, invstd = x.mean(axes), 1 / np.sqrt(x.var(axes) + 1e-5)
    per_channel = (1, 2, 1, 1)
    x_hat = (x - mean.reshape(per_channel)) * invstd.reshape(per_channel)
    dx, dw, db = cuda_norm.batch_norm_backward(x, dy, mean, invstd, weight)
    np.testing.assert_allclose(db, dy.sum(axes), rtol=1e-12)
    np.testing.assert_allclose(dw, (dy * x_hat).sum(axes), rtol=1e-12)
    expected = (weight * invstd).reshape(per_channel) * (
        dy - dy.mean(axes, keepdims=True) - x_hat * (dy * x_hat).mean(axes, keepdims=True)
    )
    np.testing.assert_allclose(dx, expected, rtol=1e-12, atol=1e-14)
