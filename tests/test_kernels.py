"""The kernels' NumPy reference against the definitions, and the Numba CPU loops against the reference.

``tinygan.kernels.reference`` is the oracle: here it is checked against the layout's defining
formula, element by element, and against finite differences; then ``tinygan.kernels.cpu`` is
held to it on hypothesis-drawn geometries (``test_kernels_cudasim`` does the same for the CUDA
kernels, on smaller shapes).
"""

from __future__ import annotations

import inspect

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

from tinygan import kernels
from tinygan.kernels import cpu, reference

MANY = settings(max_examples=100, deadline=None)


def with_edge_cases(test):
    """Also run a hypothesis test on every geometry of ``EDGE_CASES``, on every run."""
    for g in EDGE_CASES:
        test = example(g=g, dtype=np.float32)(test)
    return test


@pytest.mark.parametrize("name", kernels.KERNEL_NAMES)
def test_the_three_ways_share_one_signature(name):
    from tinygan.kernels import cuda_activation, cuda_conv, cuda_norm

    cuda = next(m for m in (cuda_conv, cuda_norm, cuda_activation) if hasattr(m, name))
    signatures = [list(inspect.signature(getattr(m, name)).parameters) for m in (reference, cpu, cuda)]
    assert signatures[0] == signatures[1] == signatures[2], name


# ----------------------------------------------------------------------------- the reference


@settings(max_examples=30, deadline=None)
@given(g=conv_geometry(), dtype=DTYPES)
@with_edge_cases
def test_reference_im2col_is_the_layouts_formula(g, dtype):
    """cols[c, i, j, n, oy, ox] = img[c, n, oy*sh - ph + i*dh, ox*sw - pw + j*dw], 0 outside the image."""
    img = random_array(g["shape"], dtype)
    (sh, sw), (ph, pw), (dh, dw) = g["stride"], g["padding"], g["dilation"]
    H, W = img.shape[2:]
    cols = reference.im2col(img, *im2col_args(g))
    assert cols.shape == cols_shape(g) and cols.dtype == dtype
    for c, i, j, n, oy, ox in np.ndindex(*cols.shape):
        y, x = oy * sh - ph + i * dh, ox * sw - pw + j * dw
        assert cols[c, i, j, n, oy, ox] == (img[c, n, y, x] if 0 <= y < H and 0 <= x < W else 0)


@settings(max_examples=30, deadline=None)
@given(g=conv_geometry(), dtype=DTYPES)
@with_edge_cases
def test_reference_col2im_is_the_adjoint_of_im2col(g, dtype):
    """<im2col(x), c> = <x, col2im(c)>: the identity that makes col2im the gradient of im2col."""
    x = random_array(g["shape"], np.float64, seed=1)
    c = random_array(cols_shape(g), np.float64, seed=2)
    back = reference.col2im(c.astype(dtype), *col2im_args(g))
    assert back.shape == x.shape and back.dtype == dtype
    lhs = (reference.im2col(x, *im2col_args(g)) * c).sum()
    np.testing.assert_allclose(lhs, (x * back.astype(np.float64)).sum(), rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_reference_batch_norm_backward_matches_finite_differences():
    """dx and dw of L = sum(dy * y), y = w (x - mean) / sqrt(var + eps), by central differences."""
    x, dy, _, _, weight = batch_norm_backward_inputs((3, 2, 2), np.float64, 5, reference.batch_norm_stats)
    eps = 1e-5

    def loss(x, weight):
        mean, var = reference.batch_norm_stats(x)
        y = weight.reshape(1, -1, 1) * (x - mean.reshape(1, -1, 1)) / np.sqrt(var.reshape(1, -1, 1) + eps)
        return (dy * y).sum()

    mean, var = reference.batch_norm_stats(x)
    dx, dw, db = reference.batch_norm_backward(x, dy, mean, 1 / np.sqrt(var + eps), weight)
    h = 1e-6
    for array, grad in ((x, dx), (weight, dw)):
        numeric = np.zeros_like(array)
        for index in np.ndindex(*array.shape):
            saved = array[index]
            array[index] = saved + h
            up = loss(x, weight)
            array[index] = saved - h
            numeric[index] = (up - loss(x, weight)) / (2 * h)
            array[index] = saved
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(db, dy.sum(axis=(0, 2)))


# ----------------------------------------------------------------------------- Numba CPU against the reference


@pytest.mark.parametrize("length", range(41))
def test_cpu_stride2_row_loops_touch_exactly_their_row(length):
    """``_copy_every_other`` and ``_add_every_other`` on every row length up to 40: either side
    of their groups of eight and of the plain loop from 32 on, with guard values around the row."""
    guard, src = 3, 1
    source = np.arange(2 * length + 4, dtype=np.float64)
    target = np.full(length + 2 * guard, -7.0)
    cpu._copy_every_other(target, np.uint64(guard), source, np.uint64(src), np.uint64(length))
    np.testing.assert_array_equal(target[guard : guard + length], source[src : src + 2 * length : 2])
    assert (target[:guard] == -7).all() and (target[guard + length :] == -7).all()

    image = np.full(2 * length + 2 * guard, -7.0)
    cpu._add_every_other(image, np.uint64(guard), source, np.uint64(src), np.uint64(length))
    expected = np.full_like(image, -7.0)
    expected[guard : guard + 2 * length : 2] += source[src : src + length]
    np.testing.assert_array_equal(image, expected)  # the odd places between and the guards untouched


@MANY
@given(g=conv_geometry(max_kernel=4, max_extra=6, max_images=3), dtype=DTYPES)
@with_edge_cases
def test_cpu_im2col_matches_the_reference(g, dtype):
    x = random_array(g["shape"], dtype)
    cols = cpu.im2col(x, *im2col_args(g))
    assert cols.dtype == dtype
    np.testing.assert_array_equal(cols, reference.im2col(x, *im2col_args(g)))  # a pure copy: exactly equal


@MANY
@given(g=conv_geometry(max_kernel=4, max_extra=6, max_images=3), dtype=DTYPES)
@with_edge_cases
def test_cpu_col2im_matches_the_reference(g, dtype):
    cols = random_array(cols_shape(g), dtype)
    image = cpu.col2im(cols, *col2im_args(g))
    assert image.dtype == dtype and image.shape == g["shape"]
    tol = 1e-6 if dtype == np.float32 else 1e-13  # the same sums, added in another order
    np.testing.assert_allclose(image, reference.col2im(cols, *col2im_args(g)), rtol=tol, atol=tol)


@MANY
@given(g=conv_geometry(max_kernel=4, max_extra=6, max_images=3), dtype=DTYPES, layout=LAYOUTS)
def test_cpu_im2col_reads_images_in_any_layout(g, dtype, layout):
    """A few samples of a channel-major batch, every other channel of a bigger one: read in
    place, at their channel step; other layouts (swapped, flipped) are copied first."""
    x = random_array(g["shape"], dtype)
    cols = cpu.im2col(laid_out(x, layout, 0), *im2col_args(g))
    np.testing.assert_array_equal(cols, reference.im2col(x, *im2col_args(g)))


def _root(a: np.ndarray) -> np.ndarray:
    while a.base is not None:
        a = a.base
    return a


@MANY
@given(g=conv_geometry(max_kernel=4, max_extra=6, max_images=3), dtype=DTYPES, layout=LAYOUTS)
def test_cpu_col2im_writes_into_out_whose_channels_are_contiguous(g, dtype, layout):
    cols = random_array(cols_shape(g), dtype)
    out = laid_out(np.zeros(g["shape"], dtype), layout, 0)
    C, N = g["shape"][:2]
    if layout == "flipped" and C > 1 or layout == "swapped" and C > 1 and N > 1:  # channels that are not each one block
        with pytest.raises(ValueError, match="col2im: out must be"):
            cpu.col2im(cols, *col2im_args(g), out=out)
        return
    assert cpu.col2im(cols, *col2im_args(g), out=out) is out
    tol = 1e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(out, reference.col2im(cols, *col2im_args(g)), rtol=tol, atol=tol)
    assert np.isnan(_root(out)).sum() == _root(out).size - out.size  # nothing written outside out


@pytest.mark.parametrize("kernel, stride, padding", [(3, 2, 1), (1, 2, 0), (2, 3, 1), (4, 2, 1)])
@pytest.mark.parametrize("output_padding", [0, 1])
def test_cpu_col2im_sizes_a_transposed_convolution_output(kernel, stride, padding, output_padding):
    # transposed convolution's image: H = (OH - 1) s - 2 p + k + output_padding, which can hold
    # pixels that no window covers (kernel < stride, or the output_padding row)
    OH, OW = 3, 2
    size = ((OH - 1) * stride - 2 * padding + kernel + output_padding, (OW - 1) * stride - 2 * padding + kernel)
    cols = random_array((2, kernel, kernel, 2, OH, OW), np.float64)
    args = (size, (stride, stride), (padding, padding), (1, 1))
    np.testing.assert_allclose(cpu.col2im(cols, *args), reference.col2im(cols, *args), rtol=1e-13, atol=1e-13)


@MANY
@given(shape=NORM_SHAPES, dtype=DTYPES, offset=st.sampled_from([0.0, 1e3]), seed=st.integers(0, 2**16))
def test_cpu_batch_norm_stats_match_the_reference(shape, dtype, offset, seed):
    # offset: a mean far larger than the spread, where sum(x^2)/m - mean^2 would cancel
    x = random_array(shape, dtype, seed, offset=offset)
    mean, var = cpu.batch_norm_stats(x)
    expected_mean, expected_var = reference.batch_norm_stats(x)
    assert mean.shape == var.shape == (shape[1],) and mean.dtype == var.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(mean, expected_mean, rtol=tol)
    np.testing.assert_allclose(var, expected_var, rtol=tol * 10, atol=tol)


@MANY
@given(shape=NORM_SHAPES, dtype=DTYPES, seed=st.integers(0, 2**16))
def test_cpu_batch_norm_backward_matches_the_reference(shape, dtype, seed):
    inputs = batch_norm_backward_inputs(shape, dtype, seed, reference.batch_norm_stats)
    got, expected = cpu.batch_norm_backward(*inputs), reference.batch_norm_backward(*inputs)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for name, a, b in zip(("dx", "dw", "db"), got, expected):
        assert a.shape == b.shape and a.dtype == dtype, name
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=name)


@MANY
@given(shape=NORM_SHAPES, dtype=DTYPES, seed=st.integers(0, 2**16), x_layout=LAYOUTS, dy_layout=LAYOUTS)
def test_cpu_batch_norm_reads_any_layout_and_keeps_a_channel_major_one(shape, dtype, seed, x_layout, dy_layout):
    """A convolution's channel-major output and its gradient, in any mix of layouts; dx comes
    channel-major when x is, for the convolution before batch norm."""
    x, dy, mean, invstd, weight = batch_norm_backward_inputs(shape, dtype, seed, reference.batch_norm_stats)
    x_in, dy_in = laid_out(x, x_layout, 1), laid_out(dy, dy_layout, 1)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for got, expected in zip(cpu.batch_norm_stats(x_in), reference.batch_norm_stats(x)):
        np.testing.assert_allclose(got, expected, rtol=tol * 10, atol=tol)
    got = cpu.batch_norm_backward(x_in, dy_in, mean, invstd, weight)
    for name, a, b in zip(("dx", "dw", "db"), got, reference.batch_norm_backward(x, dy, mean, invstd, weight)):
        np.testing.assert_allclose(a, b, rtol=tol * 10, atol=tol, err_msg=name)
    if x_layout in ("swapped", "samples"):
        assert got[0].swapaxes(0, 1).flags.c_contiguous


# ----------------------------------------------------------------------------- LeakyReLU

@MANY
@given(shape=NORM_SHAPES, dtype=DTYPES, seed=st.integers(0, 2**16), slope=SLOPES, layout=LAYOUTS,
       g_layout=LAYOUTS)  # fmt: skip
def test_cpu_leaky_relu_matches_the_reference_in_any_layout(shape, dtype, seed, slope, layout, g_layout):
    """Bit for bit, special values included; the output keeps a dense input's layout
    (a convolution's channel-major output stays channel-major)."""
    x, g = special_values(shape, dtype, seed), random_array(shape, dtype, seed + 1)
    x_in, g_in = laid_out(x, layout, 1), laid_out(g, g_layout, 1)
    y, gx = cpu.leaky_relu(x_in, slope), cpu.leaky_relu_backward(g_in, x_in, slope)
    with np.errstate(invalid="ignore"):  # -inf * 0 is NaN, in every way
        expected_y, expected_gx = reference.leaky_relu(x, slope), reference.leaky_relu_backward(g, x, slope)
    assert y.dtype == gx.dtype == dtype
    np.testing.assert_array_equal(y, expected_y)
    assert np.array_equal(np.signbit(y), np.signbit(expected_y))  # -0 stays -0
    np.testing.assert_array_equal(gx, expected_gx)
    if layout in ("contiguous", "swapped"):
        assert y.strides == gx.strides == x_in.strides
