"""Activations and dropout: values against NumPy formulas, finite-difference gradients, and the
sigmoid family's stability at logits far beyond where a naive exp overflows."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import arrays, check_grads, shapes

import tinygan
from tinygan import functional as F
from tinygan.functional import activation

FAST = settings(max_examples=25, deadline=None)


def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


# name -> (tinygan op, NumPy formula valid for moderate x)
SMOOTH = {
    "sigmoid": (F.sigmoid, np_sigmoid),
    "tanh": (F.tanh, np.tanh),
    "softplus": (F.softplus, lambda x: np.log(1 + np.exp(x))),
    "log_sigmoid": (F.log_sigmoid, lambda x: np.log(np_sigmoid(x))),
}


@pytest.mark.parametrize("name", SMOOTH)
@FAST
@given(x=arrays(shapes(), -6, 6))
def test_smooth_activations(name, x):
    op, formula = SMOOTH[name]
    np.testing.assert_allclose(op(tinygan.tensor(x)).numpy(), formula(x), rtol=1e-10, atol=1e-14)
    check_grads(op, x)


@contextlib.contextmanager
def kernels_from(ndim):
    """ReLU and LeakyReLU take the kernels on arrays of ``ndim`` dimensions or more (0: always)."""
    original = activation.KERNEL_MIN_NDIM
    activation.KERNEL_MIN_NDIM = ndim
    try:
        yield
    finally:
        activation.KERNEL_MIN_NDIM = original


@FAST
@given(x=arrays(shapes(), -3, 3, margin=0.05), slope=st.sampled_from([0.0, 0.01, 0.2, 1.5, -0.5]),
       kernel=st.booleans())  # fmt: skip
def test_relu_and_leaky_relu_away_from_zero(x, slope, kernel):
    """NumPy's expressions (flat features) and the kernels (feature maps) alike."""
    with kernels_from(0 if kernel else 99):
        np.testing.assert_array_equal(F.relu(tinygan.tensor(x)).numpy(), np.maximum(x, 0))
        np.testing.assert_allclose(F.leaky_relu(tinygan.tensor(x), slope).numpy(), np.where(x > 0, x, slope * x))
        check_grads(F.relu, x)
        check_grads(lambda t: F.leaky_relu(t, slope), x)


@FAST
@given(shape=shapes(min_dims=2), slope=st.sampled_from([0.0, 0.2, 1.5, -0.5]),
       dtype=st.sampled_from(["float32", "float64"]), channel_major=st.booleans())  # fmt: skip
def test_kernels_and_numpy_expressions_agree_to_the_bit(shape, slope, dtype, channel_major):
    """Values and gradients, infinities, zeros and signs of zero included, on batch- and channel-major input."""
    rng = np.random.default_rng(0)
    x = np.round(rng.standard_normal(shape), 1).astype(dtype)  # rounding makes exact zeros, of both signs
    x[x == 0] *= rng.choice([-1, 1], size=int((x == 0).sum()))
    x.reshape(-1)[:2] = [np.inf, -np.inf][: x.size]
    if channel_major:
        x = np.ascontiguousarray(x.swapaxes(0, 1)).swapaxes(0, 1)
    g = rng.standard_normal(shape).astype(dtype)
    results = []
    for ndim in (0, 99):
        with kernels_from(ndim), np.errstate(invalid="ignore"):  # -inf * 0 is NaN either way
            outputs = []
            for op in (F.relu, lambda t: F.leaky_relu(t, slope)):
                t = tinygan.tensor(x, requires_grad=True)
                y = op(t)
                y.backward(tinygan.tensor(g))
                outputs += [y.numpy(), t.grad.numpy()]
            results.append(outputs)
    for kernel, expression in zip(*results):
        np.testing.assert_array_equal(kernel, expression)
        assert np.array_equal(np.signbit(kernel), np.signbit(expression))


def test_feature_maps_of_dtypes_the_kernels_lack_take_numpys_expressions():
    x = np.array([-2.0, 0.5, 3.0]).reshape(1, 1, 3)
    for dtype in (np.float16, np.int64):
        y = F.leaky_relu(tinygan.tensor(x.astype(dtype)), 0.25)
        assert y.dtype == dtype
        np.testing.assert_array_equal(y.numpy(), np.where(x > 0, x, 0.25 * x).astype(dtype))


def test_leaky_relu_default_slope_is_pytorchs():
    np.testing.assert_allclose(F.leaky_relu(tinygan.tensor(np.array([-2.0, 3.0]))).numpy(), [-0.02, 3.0])


STABLE = [F.sigmoid, F.tanh, F.softplus, F.log_sigmoid]
# exact limits at x = -1e4 and x = +1e4: value, then derivative
LIMITS = {
    F.sigmoid: ([0, 1], [0, 0]),
    F.tanh: ([-1, 1], [0, 0]),
    F.softplus: ([0, 1e4], [0, 1]),
    F.log_sigmoid: ([-1e4, 0], [1, 0]),
}


@pytest.mark.parametrize("op", STABLE, ids=lambda op: op.__name__)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_family_is_finite_at_huge_logits(op, dtype):
    x = tinygan.tensor(np.array([-1e4, 1e4], dtype=dtype), requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # no overflow even in a discarded branch
        y = op(x)
        y.sum().backward()
    assert y.dtype == dtype and x.grad.dtype == dtype
    values, slopes = LIMITS[op]
    np.testing.assert_allclose(y.numpy(), values)
    np.testing.assert_allclose(x.grad.numpy(), slopes)


def test_dropout_with_a_fixed_seed_uses_a_fixed_mask():
    x = np.random.default_rng(1).uniform(0.5, 2.0, (8, 16))
    outputs = []
    for _ in range(2):
        tinygan.manual_seed(123)
        t = tinygan.tensor(x, requires_grad=True)
        y = F.dropout(t, p=0.25)
        y.backward(np.ones(x.shape))
        outputs.append(y.numpy())
        kept = y.numpy() != 0  # x has no zeros, so the output is zero exactly where dropped
        np.testing.assert_allclose(y.numpy(), x * kept / 0.75)
        np.testing.assert_allclose(t.grad.numpy(), kept / 0.75)  # d out / d x = mask * scale
        assert 0 < kept.sum() < kept.size
    np.testing.assert_array_equal(outputs[0], outputs[1])
    tinygan.manual_seed(124)
    assert not np.array_equal(F.dropout(tinygan.tensor(x), p=0.25).numpy(), outputs[0])


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_keeps_the_expectation(p):
    x = tinygan.ones(200_000, dtype=np.float64)
    y = F.dropout(x, p).numpy()
    # each output is 0 or 1 / (1 - p): mean 1, standard deviation sqrt(p / (1 - p)); allow 5 standard errors
    tolerance = 5 * np.sqrt(p / (1 - p) / x.numel())
    assert abs(y.mean() - 1) < tolerance
    assert abs((y == 0).mean() - p) < 5 * np.sqrt(p * (1 - p) / x.numel())


def test_dropout_edge_cases():
    x = tinygan.tensor(np.arange(1.0, 5.0))
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), 0)
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match="dropout probability"):
            F.dropout(x, p)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activations_keep_the_dtype(dtype):
    x = tinygan.tensor(np.array([-1.0, 0.5], dtype=dtype), requires_grad=True)
    outputs = [F.relu(x), F.leaky_relu(x, 0.2), F.sigmoid(x), F.tanh(x), F.softplus(x), F.log_sigmoid(x)]
    outputs.append(F.dropout(x, 0.5))
    for y in outputs:
        assert y.dtype == dtype
    sum(y.sum() for y in outputs).backward()
    assert x.grad.dtype == dtype
