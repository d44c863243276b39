"""Elementwise arithmetic: forward values against NumPy, gradients against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import arrays, broadcastable_shapes, check_grads, distinct_arrays, shapes

import tinygan
from tinygan import functional as F

FAST = settings(max_examples=25, deadline=None)

# name -> (tinygan op, NumPy formula, whether the second operand must stay away from 0)
BINARY = {
    "add": (F.add, lambda a, b: a + b, False),
    "sub": (F.sub, lambda a, b: a - b, False),
    "mul": (F.mul, lambda a, b: a * b, False),
    "div": (F.div, lambda a, b: a / b, True),
}


@pytest.mark.parametrize("name", BINARY)
@FAST
@given(data=st.data(), pair=broadcastable_shapes())
def test_binary_ops_broadcast(name, data, pair):
    op, formula, nonzero_b = BINARY[name]
    a = data.draw(arrays(pair[0]))
    b = data.draw(arrays(pair[1], margin=0.5 if nonzero_b else 0.0))
    out = op(tinygan.tensor(a), tinygan.tensor(b))
    np.testing.assert_allclose(out.numpy(), formula(a, b), rtol=1e-12)
    check_grads(op, a, b)


def test_operators_accept_python_numbers_on_either_side():
    x = tinygan.tensor(np.array([1.0, 2.0, 4.0]))
    cases = [
        (x + 1, [2, 3, 5]), (1 + x, [2, 3, 5]), (x - 1, [0, 1, 3]), (1 - x, [0, -1, -3]),
        (x * 2, [2, 4, 8]), (2 * x, [2, 4, 8]), (x / 2, [0.5, 1, 2]), (2 / x, [2, 1, 0.5]),
        (-x, [-1, -2, -4]), (x**2, [1, 4, 16]), (2**x, [2, 4, 16]),
    ]  # fmt: skip
    for out, expected in cases:
        np.testing.assert_allclose(out.numpy(), expected)


@FAST
@given(x=arrays(shapes(), -3, 3))
def test_neg_and_exp(x):
    np.testing.assert_allclose(F.neg(tinygan.tensor(x)).numpy(), -x)
    np.testing.assert_allclose(F.exp(tinygan.tensor(x)).numpy(), np.exp(x), rtol=1e-12)
    check_grads(F.neg, x)
    check_grads(F.exp, x)


@FAST
@given(x=arrays(shapes(), 0.2, 4))
def test_log_and_sqrt_on_positive_inputs(x):
    np.testing.assert_allclose(F.log(tinygan.tensor(x)).numpy(), np.log(x), rtol=1e-12)
    np.testing.assert_allclose(F.sqrt(tinygan.tensor(x)).numpy(), np.sqrt(x), rtol=1e-12)
    check_grads(F.log, x)
    check_grads(F.sqrt, x)


@FAST
@given(x=arrays(shapes(), 0.2, 3), exponent=st.sampled_from([-2.0, -0.5, 0.0, 1.0, 2.0, 3.0, 1.7]))
def test_pow_tensor_to_scalar(x, exponent):
    np.testing.assert_allclose((tinygan.tensor(x) ** exponent).numpy(), x**exponent, rtol=1e-12)
    check_grads(lambda t: t**exponent, x)


@FAST
@given(data=st.data(), pair=broadcastable_shapes())
def test_pow_tensor_to_tensor_with_positive_base(data, pair):
    base, exponent = data.draw(arrays(pair[0], 0.2, 3)), data.draw(arrays(pair[1], -2, 2))
    np.testing.assert_allclose(F.pow(tinygan.tensor(base), tinygan.tensor(exponent)).numpy(), base**exponent)
    check_grads(F.pow, base, exponent)


@FAST
@given(x=arrays(shapes(), -2, 2))
def test_pow_scalar_to_tensor(x):
    np.testing.assert_allclose((2.5 ** tinygan.tensor(x)).numpy(), 2.5**x, rtol=1e-12)
    check_grads(lambda t: 2.5**t, x)


@FAST
@given(x=arrays(shapes(), -3, 3, margin=0.05))
def test_abs_away_from_zero(x):
    np.testing.assert_array_equal(F.abs(tinygan.tensor(x)).numpy(), np.abs(x))
    check_grads(F.abs, x)


def test_abs_gradient_at_zero_is_zero():
    x = tinygan.tensor(np.array([-2.0, 0.0, 3.0]), requires_grad=True)
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [-1, 0, 1])


@FAST
@given(
    x=arrays(shapes(), -2, 2).filter(lambda a: np.all(np.abs(np.abs(a) - 0.5) > 0.01)),
    bounds=st.sampled_from([(-0.5, 0.5), (-0.5, None), (None, 0.5)]),
)
def test_clamp_away_from_its_bounds(x, bounds):
    low, high = bounds
    np.testing.assert_array_equal(F.clamp(tinygan.tensor(x), low, high).numpy(), np.clip(x, low, high))
    check_grads(lambda t: t.clamp(low, high), x)


def test_clamp_needs_a_bound():
    with pytest.raises(ValueError, match="at least one of min and max"):
        F.clamp(tinygan.tensor([1.0]))


@FAST
@given(data=st.data(), pair=broadcastable_shapes())
def test_maximum_without_ties(data, pair):
    sizes = [int(np.prod(s)) for s in pair]
    values = data.draw(distinct_arrays((sum(sizes),)))
    a, b = values[: sizes[0]].reshape(pair[0]), values[sizes[0] :].reshape(pair[1])
    np.testing.assert_array_equal(F.maximum(tinygan.tensor(a), tinygan.tensor(b)).numpy(), np.maximum(a, b))
    check_grads(F.maximum, a, b)


def test_maximum_splits_the_gradient_at_ties():
    a = tinygan.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    b = tinygan.tensor(np.array([2.0, 2.0, 2.0]), requires_grad=True)
    F.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0, 0.5, 1])
    np.testing.assert_array_equal(b.grad.numpy(), [1, 0.5, 0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ops_with_python_numbers_keep_the_dtype(dtype):
    x = tinygan.tensor(np.array([0.5, 1.5], dtype=dtype), requires_grad=True)
    outputs = [x + 1.5, 2.0 - x, x * 0.1, 3 / x, x**2.5, 2.0**x, x.clamp(0.0, 1.0), F.maximum(x, 1.0), x.abs()]
    for y in outputs:
        assert y.dtype == dtype
    sum(y.sum() for y in outputs).backward()
    assert x.grad.dtype == dtype
