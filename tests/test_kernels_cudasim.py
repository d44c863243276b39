"""The CUDA kernels against the NumPy reference, run by Numba's CUDA simulator (no GPU needed).

Run them with ``NUMBA_ENABLE_CUDASIM=1 python -m pytest -m cudasim`` (tests/conftest.py sets
the variable where CuPy is absent). The simulator must be switched on before ``numba.cuda``
is first imported, so a plain ``pytest`` run cannot turn it on for these tests alone: without
the variable they skip.

The simulator executes every CUDA thread as a Python thread, so shapes stay tiny and each
property runs on a handful of Hypothesis examples; the edge cases (odd sizes, padding,
stride larger than the kernel, dilation, output_padding, one channel) are pinned with
``@example`` so that they run every time. ``test_kernels`` holds the Numba CPU loops to the
same reference on larger shapes.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from kernel_cases import (
    DTYPES,
    EDGE_CASES,
    LAYOUTS,
    NORM_SHAPES,
    SLOPES,
    batch_norm_backward_inputs,
    col2im_args,
    cols_shape,
    conv_geometry,
    im2col_args,
    laid_out,
    random_array,
    special_values,
)

from tinygan.kernels import cuda_activation, cuda_conv, cuda_norm, reference

pytestmark = [
    pytest.mark.cudasim,
    pytest.mark.skipif(
        not numba.config.ENABLE_CUDASIM,
        reason="CUDA simulator tests: run with NUMBA_ENABLE_CUDASIM=1 pytest -m cudasim",
    ),
]

FEW = settings(max_examples=12, deadline=None)


def with_edge_cases(test):
    """Also run a hypothesis test on every geometry of ``EDGE_CASES``, on every run."""
    for k, g in enumerate(EDGE_CASES):
        test = example(g=g, dtype=np.float64 if k % 2 else np.float32)(test)
    return test


# ----------------------------------------------------------------------------- im2col / col2im


@FEW
@given(g=conv_geometry(), dtype=DTYPES)
@with_edge_cases
def test_im2col_matches_the_reference(g, dtype):
    x = random_array(g["shape"], dtype)
    cols = cuda_conv.im2col(x, *im2col_args(g))
    assert cols.dtype == dtype
    np.testing.assert_array_equal(cols, reference.im2col(x, *im2col_args(g)))  # a pure copy: exactly equal


@FEW
@given(g=conv_geometry(), dtype=DTYPES)
@with_edge_cases
def test_col2im_matches_the_reference(g, dtype):
    cols = random_array(cols_shape(g), dtype)
    image = cuda_conv.col2im(cols, *col2im_args(g))
    assert image.dtype == dtype and image.shape == g["shape"]
    tol = 1e-6 if dtype == np.float32 else 1e-13  # the sums may be added in another order
    np.testing.assert_allclose(image, reference.col2im(cols, *col2im_args(g)), rtol=tol, atol=tol)


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
    np.testing.assert_allclose(image, reference.col2im(cols, *args), rtol=1e-6, atol=1e-6)
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


@FEW
@given(shape=NORM_SHAPES, dtype=DTYPES, offset=st.sampled_from([0.0, 1e3]))
def test_batch_norm_stats_match_the_reference(shape, dtype, offset):
    # offset: a mean far larger than the spread, where sum(x^2)/m - mean^2 would cancel
    x = random_array(shape, dtype, offset=offset)
    mean, var = cuda_norm.batch_norm_stats(x)
    expected_mean, expected_var = reference.batch_norm_stats(x)
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
def test_batch_norm_backward_matches_the_reference(shape, dtype, seed):
    inputs = batch_norm_backward_inputs(shape, dtype, seed, reference.batch_norm_stats)
    got, expected = cuda_norm.batch_norm_backward(*inputs), reference.batch_norm_backward(*inputs)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for name, a, b in zip(("dx", "dw", "db"), got, expected):
        assert a.shape == b.shape and a.dtype == dtype, name
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=name)


def test_strided_inputs_are_taken_as_the_cpu_kernels_take_them():
    # e.g. the gradient of one half of a channel concatenation (U-Net skips) reaches batch norm strided
    x, dy = random_array((2, 6, 3, 3), np.float32, 1)[:, ::2], random_array((2, 6, 3, 3), np.float32, 2)[:, 1::2]
    assert not x.flags.c_contiguous and not dy.flags.c_contiguous
    mean, var = cuda_norm.batch_norm_stats(x)
    np.testing.assert_allclose(np.stack([mean, var]), np.stack(reference.batch_norm_stats(x)), rtol=1e-5, atol=1e-6)
    inputs = (x, dy, mean, 1 / np.sqrt(var + 1e-5), np.ones(3, np.float32))
    for got, expected in zip(cuda_norm.batch_norm_backward(*inputs), reference.batch_norm_backward(*inputs)):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    args = ((2, 2), (1, 1), (1, 1), (1, 1))
    image = random_array((2, 2, 4, 6), np.float32)[:, :, :, ::2]
    np.testing.assert_array_equal(cuda_conv.im2col(image, *args), reference.im2col(image, *args))
    cols = random_array((2, 2, 2, 3, 4, 3), np.float32)[:, :, :, 1:]
    np.testing.assert_allclose(cuda_conv.col2im(cols, (3, 2), *args[1:]), reference.col2im(cols, (3, 2), *args[1:]),
                               rtol=1e-6, atol=1e-6)  # fmt: skip


def test_col2im_writes_into_a_slice_of_samples():
    # a convolution's channel-major output, one group of its samples at a time
    args = ((4, 4), (2, 2), (1, 1), (1, 1))
    cols = random_array((2, 4, 4, 2, 3, 3), np.float32, seed=3)
    expected = reference.col2im(cols, (6, 6), *args[1:])
    whole = np.full((2, 5, 6, 6), np.nan, np.float32)
    out = whole[:, 1:3]
    assert cuda_conv.col2im(cols, (6, 6), *args[1:], out=out) is out
    np.testing.assert_allclose(whole[:, 1:3], expected, rtol=1e-6, atol=1e-6)
    assert np.isnan(whole[:, [0, 3, 4]]).all()
    out = np.full((2, 2, 6, 6), np.nan, np.float32)  # a contiguous out is written directly
    assert cuda_conv.col2im(cols, (6, 6), *args[1:], out=out) is out
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="col2im: out must be"):
        cuda_conv.col2im(cols, (6, 6), *args[1:], out=whole[:, :1])


# ----------------------------------------------------------------------------- LeakyReLU


@FEW
@given(shape=NORM_SHAPES, dtype=DTYPES, seed=st.integers(0, 2**16), slope=SLOPES, layout=LAYOUTS)
# -inf * 0 is NaN, in every way; the simulator's threads do not see the errstate below
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_leaky_relu_matches_the_reference(shape, dtype, seed, slope, layout):
    x, g = laid_out(special_values(shape, dtype, seed), layout, 1), random_array(shape, dtype, seed + 1)
    with np.errstate(invalid="ignore"):
        expected_y, expected_gx = reference.leaky_relu(x, slope), reference.leaky_relu_backward(g, x, slope)
    y, gx = cuda_activation.leaky_relu(x, slope), cuda_activation.leaky_relu_backward(g, x, slope)
    np.testing.assert_array_equal(y, expected_y)
    np.testing.assert_array_equal(gx, expected_gx)
