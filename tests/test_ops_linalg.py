"""matmul (2-D, batched with broadcast batch dims, 1-D operands) and linear (with/without bias,
(..., in) inputs): values against NumPy, gradients against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import arrays, broadcastable_shapes, check_grads

import tinygan
from tinygan import functional as F

FAST = settings(max_examples=25, deadline=None)
sides = st.integers(1, 4)


@FAST
@given(data=st.data(), batch=broadcastable_shapes(max_dims=2), n=sides, k=sides, m=sides)
def test_matmul_batched_with_broadcast_batch_dims(data, batch, n, k, m):
    a = data.draw(arrays(batch[0] + (n, k)))
    b = data.draw(arrays(batch[1] + (k, m)))
    out = tinygan.tensor(a) @ tinygan.tensor(b)
    np.testing.assert_allclose(out.numpy(), np.matmul(a, b), rtol=1e-12, atol=1e-14)
    check_grads(F.matmul, a, b)


@FAST
@given(data=st.data(), batch=st.sampled_from([(), (2,), (3, 1)]), n=sides, k=sides)
def test_matmul_with_one_dimensional_operands(data, batch, n, k):
    vector, other = data.draw(arrays((k,))), data.draw(arrays((k,)))
    matrix_left, matrix_right = data.draw(arrays(batch + (n, k))), data.draw(arrays(batch + (k, n)))
    for a, b in [(vector, other), (vector, matrix_right), (matrix_left, vector)]:
        out = F.matmul(tinygan.tensor(a), tinygan.tensor(b))
        expected = np.matmul(a, b)
        assert out.shape == expected.shape
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-14)
        check_grads(F.matmul, a, b)


@FAST
@given(data=st.data(), lead=st.sampled_from([(), (3,), (2, 3)]), n_in=sides, n_out=sides, bias=st.booleans())
def test_linear(data, lead, n_in, n_out, bias):
    x, w = data.draw(arrays(lead + (n_in,))), data.draw(arrays((n_out, n_in)))
    arrays_in = [x, w]
    if bias:
        arrays_in.append(data.draw(arrays((n_out,))))
    out = F.linear(*(tinygan.tensor(a) for a in arrays_in))
    expected = x @ w.T + (arrays_in[2] if bias else 0)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-14)
    check_grads(F.linear, *arrays_in)


def test_linear_gives_gradients_only_where_asked():
    x = tinygan.tensor(np.ones((2, 3)))
    w = tinygan.tensor(np.ones((4, 3)), requires_grad=True)
    b = tinygan.tensor(np.zeros(4))
    F.linear(x, w, b).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), 2)
    assert x.grad is None and b.grad is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linalg_keeps_the_dtype(dtype):
    x = tinygan.tensor(np.ones((2, 3), dtype=dtype), requires_grad=True)
    w = tinygan.tensor(np.ones((4, 3), dtype=dtype), requires_grad=True)
    b = tinygan.tensor(np.ones(4, dtype=dtype), requires_grad=True)
    y = F.linear(x, w, b).sum() + (x @ w.T).sum() + (x[0] @ x[1])
    assert y.dtype == dtype
    y.backward()
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == dtype
