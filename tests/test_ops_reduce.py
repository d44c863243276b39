"""Reductions (sum, mean, amax/max, var) over dims: None, one dim, negative dims, tuples, keepdim."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import arrays, check_grads, distinct_arrays, shapes

import tinygan
from tinygan import functional as F

FAST = settings(max_examples=25, deadline=None)


@st.composite
def reduction_dims(draw, ndim):
    """None, one dim or a tuple of distinct dims, each written as either d or d - ndim."""
    if ndim == 0 or draw(st.booleans()):
        return None
    chosen = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    signed = [d - ndim if draw(st.booleans()) else d for d in chosen]
    return signed[0] if len(signed) == 1 and draw(st.booleans()) else tuple(signed)


def np_axis(dim):
    return tuple(dim) if isinstance(dim, tuple) else dim


# name -> (tinygan op, NumPy formula)
REDUCTIONS = {
    "sum": (F.sum, lambda x, axis, keepdims: x.sum(axis=axis, keepdims=keepdims)),
    "mean": (F.mean, lambda x, axis, keepdims: x.mean(axis=axis, keepdims=keepdims)),
    "amax": (F.amax, lambda x, axis, keepdims: x.max(axis=axis, keepdims=keepdims)),
}


@pytest.mark.parametrize("name", REDUCTIONS)
@FAST
@given(data=st.data(), shape=shapes(), keepdim=st.booleans())
def test_reductions(name, data, shape, keepdim):
    op, formula = REDUCTIONS[name]
    # distinct values: amax's gradient is only defined away from ties
    x = data.draw(distinct_arrays(shape) if name == "amax" else arrays(shape))
    dim = data.draw(reduction_dims(len(shape)))
    out = op(tinygan.tensor(x), dim, keepdim)
    expected = formula(x, np_axis(dim), keepdim)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-15)
    check_grads(lambda t: op(t, dim, keepdim), x)


@FAST
@given(data=st.data(), shape=shapes(min_dims=1), keepdim=st.booleans(), unbiased=st.booleans())
def test_var(data, shape, keepdim, unbiased):
    x = data.draw(arrays(shape))
    dim = data.draw(reduction_dims(len(shape)))
    count = x.size if dim is None else int(np.prod([shape[d] for d in np.atleast_1d(dim)]))
    if unbiased and count == 1:
        unbiased = False  # n - 1 = 0: the unbiased variance of one sample is undefined
    out = tinygan.tensor(x).var(dim, unbiased=unbiased, keepdim=keepdim)
    expected = x.var(axis=np_axis(dim), ddof=int(unbiased), keepdims=keepdim)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-14)
    check_grads(lambda t: F.var(t, dim, unbiased, keepdim), x)


def test_amax_shares_the_gradient_between_ties():
    x = tinygan.tensor(np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]]), requires_grad=True)
    x.max(dim=1).values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0.5, 0.5], [1, 0, 0]])


def test_max_returns_values_and_indices_like_torch():
    x = tinygan.tensor(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]))
    assert x.max().item() == 7.0
    values, indices = x.max(dim=1)
    np.testing.assert_array_equal(values.numpy(), [5, 7])
    np.testing.assert_array_equal(indices.numpy(), [1, 0])
    values, indices = F.max(x, dim=0, keepdim=True)
    assert values.shape == indices.shape == (1, 3)
    np.testing.assert_array_equal(indices.numpy(), [[1, 0, 1]])


def test_reductions_reject_bad_dims():
    x = tinygan.zeros(2, 3)
    for op in (F.sum, F.mean, F.amax, F.var):
        with pytest.raises(IndexError, match="dimension 2 is out of range for a tensor with 2 dimensions"):
            op(x, 2)
        with pytest.raises(IndexError, match="dimension -3"):
            op(x, (0, -3))
    with pytest.raises(ValueError, match="empty"):
        F.amax(tinygan.zeros(0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_reductions_keep_the_dtype(dtype):
    x = tinygan.tensor(np.arange(6.0, dtype=dtype).reshape(2, 3), requires_grad=True)
    outputs = [x.sum(), x.mean(1), F.amax(x, 0), x.var(), x.var(1, unbiased=False, keepdim=True)]
    for y in outputs:
        assert y.dtype == dtype
    sum(y.sum() for y in outputs).backward()
    assert x.grad.dtype == dtype
