"""Shape ops (reshape, permute, indexing, cat/stack, pad, broadcast_to, (un)squeeze, flatten):
values against NumPy, gradients against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import arrays, check_grads, permutations, shapes, slices

import tinygan
from tinygan import functional as F

FAST = settings(max_examples=25, deadline=None)


def signed(dim, ndim, negative):
    """``dim`` written as a negative index when ``negative``."""
    return dim - ndim if negative else dim


@FAST
@given(data=st.data(), shape=shapes())
def test_reshape_and_view(data, shape):
    x = data.draw(arrays(shape))
    n = x.size
    target = data.draw(st.sampled_from([(n,), (-1,), (1, n), (n, 1, -1), tuple(reversed(shape)), (-1, *shape[1:])]))
    out = tinygan.tensor(x).reshape(target)
    np.testing.assert_array_equal(out.numpy(), x.reshape(target))
    np.testing.assert_array_equal(tinygan.tensor(x).view(*target).numpy(), x.reshape(target))
    check_grads(lambda t: t.reshape(target), x)


@FAST
@given(data=st.data(), shape=shapes(min_dims=1))
def test_permute_and_transpose(data, shape):
    x = data.draw(arrays(shape))
    ndim = len(shape)
    dims = tuple(signed(d, ndim, data.draw(st.booleans())) for d in data.draw(permutations(ndim)))
    np.testing.assert_array_equal(tinygan.tensor(x).permute(*dims).numpy(), x.transpose(dims))
    check_grads(lambda t: t.permute(dims), x)
    d0, d1 = data.draw(st.integers(-ndim, ndim - 1)), data.draw(st.integers(-ndim, ndim - 1))
    np.testing.assert_array_equal(F.transpose(tinygan.tensor(x), d0, d1).numpy(), np.swapaxes(x, d0, d1))
    check_grads(lambda t: t.transpose(d0, d1), x)


def test_T_reverses_the_dimensions():
    x = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(tinygan.tensor(x).T.numpy(), x.T)


@FAST
@given(data=st.data(), shape=shapes(min_dims=1))
def test_getitem_basic_slicing(data, shape):
    x = data.draw(arrays(shape))
    index = [data.draw(slices(n)) for n in shape[: data.draw(st.integers(1, len(shape)))]]
    if data.draw(st.booleans()):  # an integer drops a dimension
        axis = data.draw(st.integers(0, len(index) - 1))
        index[axis] = data.draw(st.integers(-shape[axis], shape[axis] - 1))
    index = tuple(index)
    np.testing.assert_array_equal(tinygan.tensor(x)[index].numpy(), x[index])
    check_grads(lambda t: t[index], x)


@FAST
@given(data=st.data(), shape=shapes(min_dims=1))
def test_getitem_integer_arrays_with_repeats(data, shape):
    x = data.draw(arrays(shape))
    rows = np.array(data.draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=6)))
    index = rows
    if len(shape) > 1 and data.draw(st.booleans()):  # pick (row, column) pairs, some twice
        cols = np.array(data.draw(st.lists(st.integers(0, shape[1] - 1), min_size=len(rows), max_size=len(rows))))
        index = (rows, cols)
    np.testing.assert_array_equal(tinygan.tensor(x)[index].numpy(), x[index])
    check_grads(lambda t: t[index], x)


def test_getitem_repeated_rows_accumulate_their_gradients():
    x = tinygan.tensor(np.zeros((3, 2)), requires_grad=True)
    x[np.array([0, 2, 0, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[3, 3], [0, 0], [1, 1]])


@FAST
@given(data=st.data(), shape=shapes(min_dims=1))
def test_getitem_boolean_masks(data, shape):
    x = data.draw(arrays(shape))
    mask = data.draw(hnp.arrays(bool, shape[: data.draw(st.integers(1, len(shape)))]))
    np.testing.assert_array_equal(tinygan.tensor(x)[mask].numpy(), x[mask])
    np.testing.assert_array_equal(tinygan.tensor(x)[tinygan.tensor(mask)].numpy(), x[mask])  # a bool Tensor too
    check_grads(lambda t: t[mask], x)


@FAST
@given(data=st.data(), shape=shapes(min_dims=1), count=st.integers(1, 3))
def test_cat(data, shape, count):
    ndim = len(shape)
    dim = data.draw(st.integers(0, ndim - 1))
    parts = [data.draw(arrays(shape[:dim] + (data.draw(st.integers(1, 3)),) + shape[dim + 1 :])) for _ in range(count)]
    dim = signed(dim, ndim, data.draw(st.booleans()))
    out = tinygan.cat([tinygan.tensor(p) for p in parts], dim)
    np.testing.assert_array_equal(out.numpy(), np.concatenate(parts, axis=dim))
    check_grads(lambda *ts: F.cat(ts, dim), *parts)


@FAST
@given(data=st.data(), shape=shapes(), count=st.integers(1, 3))
def test_stack(data, shape, count):
    parts = [data.draw(arrays(shape)) for _ in range(count)]
    dim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    out = tinygan.stack([tinygan.tensor(p) for p in parts], dim)
    np.testing.assert_array_equal(out.numpy(), np.stack(parts, axis=dim))
    check_grads(lambda *ts: F.stack(ts, dim), *parts)


def test_cat_passes_gradients_only_to_inputs_that_need_them():
    a = tinygan.tensor(np.ones((2, 2)), requires_grad=True)
    b = tinygan.tensor(np.ones((1, 2)))
    (tinygan.cat([a, b]) * 3).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), 3)
    assert b.grad is None


@FAST
@given(data=st.data(), shape=shapes(min_dims=1), value=st.sampled_from([0.0, -1.5]))
def test_pad(data, shape, value):
    x = data.draw(arrays(shape))
    padded_dims = data.draw(st.integers(1, len(shape)))
    pad = tuple(data.draw(st.lists(st.integers(0, 2), min_size=2 * padded_dims, max_size=2 * padded_dims)))
    # PyTorch's order: (before, after) pairs from the last dimension backwards
    widths = [(0, 0)] * (len(shape) - padded_dims) + [(pad[i], pad[i + 1]) for i in range(0, len(pad), 2)][::-1]
    out = F.pad(tinygan.tensor(x), pad, value=value)
    np.testing.assert_array_equal(out.numpy(), np.pad(x, widths, constant_values=value))
    check_grads(lambda t: F.pad(t, pad, value=value), x)


def test_pad_rejects_bad_widths():
    x = tinygan.zeros(2, 3)
    with pytest.raises(ValueError, match=r"pairs for at most 2 dimensions, got \(1, 1, 1\)"):
        F.pad(x, (1, 1, 1))
    with pytest.raises(ValueError, match="non-negative"):
        F.pad(x, (1, -1))
    with pytest.raises(ValueError, match="mode 'reflect'"):
        F.pad(x, (1, 1), mode="reflect")


@FAST
@given(data=st.data(), target=shapes(min_dims=1))
def test_broadcast_to_and_expand(data, target):
    kept = data.draw(st.integers(0, len(target)))  # the source has the last `kept` dims, some of size 1
    source = tuple(1 if data.draw(st.booleans()) else n for n in target[len(target) - kept :])
    x = data.draw(arrays(source))
    np.testing.assert_array_equal(F.broadcast_to(tinygan.tensor(x), target).numpy(), np.broadcast_to(x, target))
    np.testing.assert_array_equal(tinygan.tensor(x).expand(*target).numpy(), np.broadcast_to(x, target))
    check_grads(lambda t: F.broadcast_to(t, target), x)


@FAST
@given(data=st.data(), shape=shapes())
def test_unsqueeze_squeeze_flatten(data, shape):
    x = data.draw(arrays(shape))
    ndim = len(shape)
    dim = data.draw(st.integers(-ndim - 1, ndim))
    np.testing.assert_array_equal(tinygan.tensor(x).unsqueeze(dim).numpy(), np.expand_dims(x, dim))
    check_grads(lambda t: t.unsqueeze(dim), x)

    np.testing.assert_array_equal(tinygan.tensor(x).squeeze().numpy(), np.squeeze(x))
    check_grads(lambda t: t.squeeze(), x)
    if ndim:
        dim = data.draw(st.integers(-ndim, ndim - 1))
        expected = np.squeeze(x, dim) if shape[dim] == 1 else x  # like torch: only a size-1 dim goes
        np.testing.assert_array_equal(tinygan.tensor(x).squeeze(dim).numpy(), expected)
        check_grads(lambda t: t.squeeze(dim), x)

    start = data.draw(st.integers(0, max(ndim - 1, 0)))
    expected = x.reshape(shape[:start] + (-1,))
    np.testing.assert_array_equal(tinygan.tensor(x).flatten(start).numpy(), expected)
    check_grads(lambda t: t.flatten(start), x)


def test_one_hot():
    out = F.one_hot(np.array([[0, 2], [1, 2]]), 4)
    assert out.shape == (2, 2, 4) and out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy()[1, 0], [0, 1, 0, 0])
    np.testing.assert_array_equal(F.one_hot(np.array([1, 0])).numpy(), [[0, 1], [1, 0]])  # classes from the data
    with pytest.raises(ValueError, match=r"lie in \[0, 3\)"):
        F.one_hot(np.array([0, 3]), 3)
    with pytest.raises(TypeError, match="integer class labels"):
        F.one_hot(np.array([0.5]))


def test_permute_rejects_a_non_permutation():
    x = tinygan.zeros(2, 3)
    with pytest.raises(ValueError, match=r"permute dims \(0, 0\)"):
        x.permute(0, 0)
    with pytest.raises(ValueError, match="3 dims for a tensor with 2 dimensions"):
        x.permute(0, 1, 2)
