"""Graph semantics of Tensor and backward(): accumulation, shared inputs, deep graphs, grad modes,
freeing, dtypes, conversions, and the error messages users see for their mistakes."""

from __future__ import annotations

import numpy as np
import pytest
from strategies import check_grads

import tinygan
from tinygan import Function, nn, optim
from tinygan import functional as F


def leaf(values, dtype=np.float64):
    return tinygan.tensor(np.array(values, dtype=dtype), requires_grad=True)


# ------------------------------------------------------------------------------ accumulation


def test_broadcast_gradients_are_summed_back_to_each_shape():
    a = leaf([[1.0], [2.0], [3.0]])  # (3, 1)
    b = leaf([10.0, 20.0, 30.0, 40.0])  # (4,) -> broadcast to (3, 4)
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,)
    np.testing.assert_array_equal(a.grad.numpy(), [[100], [100], [100]])
    np.testing.assert_array_equal(b.grad.numpy(), [6, 6, 6, 6])


def test_a_tensor_used_twice_by_one_op_gets_both_gradients():
    a = leaf([1.0, -2.0])
    b = a + a
    c = b * b  # c = 4 a^2, dc/da = 8 a
    c.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [8, -16])


def test_diamond_graph_adds_the_gradients_of_every_path():
    x = leaf([0.5, -1.0, 2.0])
    shared = x * 3  # consumed by three ops below
    y = shared.exp() * shared + shared.tanh()
    y.sum().backward()
    s = 3 * x.numpy()
    expected = 3 * (np.exp(s) * s + np.exp(s) + 1 - np.tanh(s) ** 2)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)


def test_backward_calls_each_function_once_with_the_summed_gradient():
    calls = []

    class Identity(Function):
        def forward(self, x):
            return x

        def backward(self, g):
            calls.append(g.copy())
            return g

    x = leaf([1.0, 2.0])
    shared = Identity()(x)
    ((shared * 2 + shared * 3) * shared).sum().backward()  # three consumers of one output
    assert len(calls) == 1
    np.testing.assert_array_equal(calls[0], 10 * x.numpy())  # d(5 s^2)/ds


def test_gradients_accumulate_over_two_backward_calls_on_leaves():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2 + 3, 4 + 3])


def test_backward_on_a_leaf_accumulates_into_its_own_grad():
    x = leaf([1.0, 2.0])
    x.backward(np.array([3.0, 4.0]))
    x.backward(np.array([1.0, 1.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [4, 5])


def test_leaf_gradients_share_no_memory_with_each_other_or_the_caller():
    a, b, c = leaf(np.ones((2, 2))), leaf(np.ones((2, 2))), leaf(np.ones(4))
    grad = np.ones((2, 2))
    # Add hands its incoming gradient to both inputs, and reshape's backward returns a view of it
    (a + b + c.reshape(2, 2)).backward(grad)
    for x, y in [(a, b), (a, c), (b, c)]:
        assert not np.shares_memory(x.grad.data, y.grad.data)
    assert not any(np.shares_memory(x.grad.data, grad) for x in (a, b, c))


def test_a_leaf_used_many_times_accumulates_in_place_without_touching_other_arrays():
    """A weight used by several ops (D on real and on fake data) gets one gradient array that
    later gradients are added into; nothing else may see that array change."""
    w, b = leaf(np.arange(6.0).reshape(2, 3)), leaf(np.ones(3))
    xs = [np.full((4, 2), k + 1.0) for k in range(3)]
    kept = []  # arrays the user holds from an earlier backward must not change under them
    w.backward(np.ones((2, 3)))
    kept.append((w.grad, w.grad.data.copy()))
    loss = sum(((tinygan.tensor(x) @ w) + b).sum() for x in xs)
    loss.backward()
    expected = np.ones((2, 3)) + sum(x.sum(axis=0)[:, None] * np.ones((1, 3)) for x in xs)
    np.testing.assert_allclose(w.grad.numpy(), expected)
    np.testing.assert_allclose(b.grad.numpy(), np.full(3, 3 * 4.0))
    for tensor, values in kept:
        np.testing.assert_array_equal(tensor.data, values)
    # the same array returned for two inputs (Add) or a view of one (Reshape) is copied before any in-place add
    p, q = leaf(np.zeros(4)), leaf(np.zeros(4))
    (p + q + p + q.reshape(2, 2).reshape(4)).sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), 2)
    np.testing.assert_array_equal(q.grad.numpy(), 2)
    assert not np.shares_memory(p.grad.data, q.grad.data)


@pytest.mark.parametrize("retain_graph", [False, True])
def test_backward_through_a_10000_op_chain_needs_no_recursion(retain_graph):
    x = leaf([1.0, 2.0])
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward(retain_graph=retain_graph)
    np.testing.assert_allclose(x.grad.numpy(), 1.0001**10_000, rtol=1e-9)
    del y  # dropping the whole chain must not overflow the stack either


# ------------------------------------------------------------------------------ grad modes


def test_no_grad_records_nothing_and_enable_grad_restores_recording():
    x = leaf([1.0, 2.0])
    with tinygan.no_grad():
        assert not tinygan.is_grad_enabled()
        y = x * 2
        with tinygan.enable_grad():
            z = x * 2
    assert tinygan.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    assert z.requires_grad and z.grad_fn is not None


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(KeyError), tinygan.no_grad():
        raise KeyError("raised inside no_grad")
    assert tinygan.is_grad_enabled()


def test_detach_cuts_the_graph_and_shares_memory():
    x = leaf([1.0, 2.0])
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None
    assert np.shares_memory(d.data, y.data)
    (d * 3 + y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2, 2])  # only the path through y


def test_requires_grad_propagates_from_any_input():
    x, c = leaf([1.0]), tinygan.tensor(np.array([2.0]))
    assert (x * c).requires_grad and (c * x).requires_grad
    assert not (c * c).requires_grad
    assert x.is_leaf and not (x * c).is_leaf
    with pytest.raises(RuntimeError, match="leaf"):
        (x * c).requires_grad_()
    c.requires_grad_()
    assert c.requires_grad and (c * 2).requires_grad


def test_only_floating_point_tensors_can_require_grad():
    with pytest.raises(TypeError, match="floating-point.*int64"):
        tinygan.tensor(np.array([1, 2]), requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        tinygan.tensor(np.array([1, 2])).requires_grad_()


def test_zero_grad_on_a_module_and_on_an_optimizer():
    model = nn.Linear(3, 2)
    model(tinygan.ones(4, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    opt = optim.SGD(model.parameters(), lr=0.1)
    model(tinygan.ones(4, 3)).sum().backward()
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())


# ------------------------------------------------------------------------------ freeing and retaining


def test_second_backward_through_a_freed_graph_raises_a_clear_error():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"second time.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4, 8])


def test_backward_on_a_non_scalar_needs_a_gradient_naming_the_shape():
    y = leaf(np.ones((2, 3))) * 2
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\)"):
        y.backward()
    with pytest.raises(ValueError, match=r"got shape \(3,\) for a tensor of shape \(2, 3\)"):
        y.backward(np.ones(3))
    y.backward(np.ones((2, 3)))  # with a matching gradient it works


def test_backward_on_a_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tinygan.tensor([1.0]).sum().backward()


def test_retain_grad_keeps_an_intermediate_gradient():
    x = leaf([1.0, 2.0])
    y = x * 3
    z = y * y
    y.retain_grad()
    z.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), 2 * y.numpy())
    assert z.grad is None  # not retained: only leaves and retained tensors keep .grad


# ------------------------------------------------------------------------------ dtypes


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_survives_a_whole_forward_and_backward(dtype):
    rng = np.random.default_rng(0)
    x = tinygan.tensor(rng.standard_normal((4, 3)).astype(dtype), requires_grad=True)
    w = tinygan.tensor(rng.standard_normal((2, 3)).astype(dtype), requires_grad=True)
    h = F.leaky_relu(F.linear(x, w) * 0.5 + 1, 0.2)
    loss = F.binary_cross_entropy_with_logits(h, 1.0) + F.mse_loss(h.tanh(), 0.25) + (h**2).mean() / 3
    loss = loss + F.sigmoid(1 - h).var() + F.cat([h, h], 1).sum() * 1e-3
    assert loss.dtype == dtype
    loss.backward()
    assert x.grad.dtype == w.grad.dtype == dtype


def test_mixed_precision_gradients_keep_each_inputs_dtype():
    a = leaf([1.0, 2.0], np.float32)
    b = leaf([3.0, 4.0], np.float64)
    y = a * b
    assert y.dtype == np.float64  # NumPy's promotion, as in PyTorch
    y.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_tensor_dtype_rules():
    assert tinygan.tensor([1, 2]).dtype == np.float32  # lists (ints too) become float32
    assert tinygan.tensor(3.5).dtype == np.float32
    assert tinygan.tensor([True, False]).dtype == np.float32
    for dtype in (np.float64, np.float16, np.int64, np.bool_):
        assert tinygan.tensor(np.zeros(2, dtype=dtype)).dtype == dtype  # arrays keep theirs
    assert tinygan.tensor(np.float64(1.5)).dtype == np.float64
    assert tinygan.tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert tinygan.zeros(2).dtype == tinygan.randn(2).dtype == tinygan.rand(2).dtype == np.float32
    with pytest.raises(TypeError, match="dtype"):
        tinygan.tensor(["a"])


def test_tensor_copies_its_data():
    source = np.array([1.0, 2.0])
    t = tinygan.tensor(source)
    source[0] = 100
    assert t.numpy()[0] == 1.0


def test_comparisons_give_boolean_tensors_without_grad():
    x = leaf([1.0, 2.0, 3.0])
    other = tinygan.tensor(np.array([2.0, 2.0, 2.0]))
    cases = [
        (x < 2, [1, 0, 0]), (x <= 2, [1, 1, 0]), (x > 2, [0, 0, 1]), (x >= 2, [0, 1, 1]),
        (x < other, [1, 0, 0]), (x >= other, [0, 1, 1]),
        (2 < x, [0, 0, 1]),  # noqa: SIM300 - the reflected form, answered by Tensor.__gt__
    ]  # fmt: skip
    for result, expected in cases:
        assert result.dtype == np.bool_ and not result.requires_grad
        np.testing.assert_array_equal(result.numpy(), expected)


# ------------------------------------------------------------------------------ conversions


def test_cast_is_differentiable_and_gradients_come_back_in_the_source_dtype():
    x = leaf([1.0, 2.0], np.float32)
    y = x.to(np.float64)
    assert y.dtype == np.float64 and x.double().dtype == np.float64 and y.float().dtype == np.float32
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [2, 4])
    assert x.to(np.float32) is x  # no-op casts record nothing
    # through float32 and back: finite differences need a coarse step to see past float32 rounding
    check_grads(lambda t: F.cast(F.cast(t, np.float32), np.float64) * 3, np.array([0.5, -1.25]), eps=1e-2, atol=1e-4)


def test_to_cpu_is_the_identity_on_cpu():
    x = leaf([1.0, 2.0])
    assert x.to("cpu") is x and x.cpu() is x and x.device == "cpu"
    check_grads(lambda t: F.to_device(t, "cpu") * 2, np.array([0.5, -1.25]))


def test_unknown_or_missing_devices_are_clear_errors():
    x = tinygan.tensor([1.0])
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        x.to("tpu")
    if not tinygan.cuda_is_available():
        with pytest.raises(RuntimeError, match="device 'cuda' was requested"):
            x.to("cuda")


@pytest.mark.cuda
@pytest.mark.skipif(not tinygan.cuda_is_available(), reason="needs a CUDA GPU with CuPy")
def test_gradients_flow_back_across_devices():
    x = leaf([1.0, 2.0], np.float32)
    y = x.to("cuda")
    assert y.device == "cuda"
    (y * y).sum().to("cpu").backward()
    assert x.grad.device == "cpu"
    np.testing.assert_array_equal(x.grad.numpy(), [2, 4])


# ------------------------------------------------------------------------------ user errors


ERRORS = {
    "add": (lambda: tinygan.zeros(2, 3) + tinygan.zeros(4), ValueError, r"add: shapes \(2, 3\) and \(4,\)"),
    "mul": (lambda: tinygan.zeros(2) * tinygan.zeros(3), ValueError, r"mul: shapes \(2,\) and \(3,\)"),
    "matmul": (lambda: tinygan.zeros(2, 3) @ tinygan.zeros(4, 5), ValueError, r"\(2, 3\) and \(4, 5\)"),
    "matmul batch": (lambda: tinygan.zeros(2, 1, 3) @ tinygan.zeros(3, 3, 4), ValueError, r"\(2, 1, 3\).*\(3, 3, 4\)"),
    "matmul 0-d": (lambda: F.matmul(tinygan.tensor(1.0), tinygan.zeros(2)), ValueError, r"shapes \(\) and \(2,\)"),
    "linear": (lambda: F.linear(tinygan.zeros(4, 3), tinygan.zeros(5, 2)), ValueError, r"\(4, 3\).*\(5, 2\)"),
    "linear bias": (
        lambda: F.linear(tinygan.zeros(4, 3), tinygan.zeros(5, 3), tinygan.zeros(4)),
        ValueError,
        r"bias of shape \(4,\).*\(5, 3\)",
    ),
    "broadcast_to": (lambda: F.broadcast_to(tinygan.zeros(3), (2, 4)), ValueError, r"\(3,\).*\(2, 4\)"),
    "cat": (lambda: tinygan.cat([tinygan.zeros(2, 3), tinygan.zeros(2, 4)]), ValueError, r"\(2, 3\), \(2, 4\)"),
    "cat ndim": (lambda: tinygan.cat([tinygan.zeros(2, 3), tinygan.zeros(3)]), ValueError, r"\(2, 3\), \(3,\)"),
    "cat empty": (lambda: tinygan.cat([]), ValueError, "non-empty"),
    "stack": (lambda: tinygan.stack([tinygan.zeros(2, 3), tinygan.zeros(3, 2)]), ValueError, r"\(2, 3\), \(3, 2\)"),
    "stack dim": (
        lambda: tinygan.stack([tinygan.zeros(2)], dim=3),
        IndexError,
        r"dimension 3 is out of range for stacking 1-D tensors \(the result has 2\)",
    ),
    "reshape": (lambda: tinygan.zeros(2, 3).reshape(4, 2), ValueError, r"shape \(2, 3\) to \(4, 2\)"),
    "reduction": (
        lambda: F.mse_loss(tinygan.zeros(2), tinygan.zeros(2), reduction="avg"),
        ValueError,
        r"reduction must be one of \('mean', 'sum', 'none'\), got 'avg'",
    ),
    "target shape": (
        lambda: F.l1_loss(tinygan.zeros(2, 1), tinygan.zeros(2)),
        ValueError,
        r"target shape \(2,\) differs from input shape \(2, 1\)",
    ),
    "item": (lambda: tinygan.zeros(2).item(), ValueError, r"shape \(2,\)"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_user_errors_name_the_shapes(name):
    make, error, message = ERRORS[name]
    with pytest.raises(error, match=message):
        make()


def test_a_function_returning_a_wrongly_shaped_gradient_is_named():
    class Broken(Function):
        def forward(self, x):
            return x * 2

        def backward(self, g):
            return g.sum()

    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"Broken.backward returned a gradient of shape \(\) for an input of shape"):
        Broken()(x).sum().backward()


def test_a_function_skips_gradients_its_inputs_do_not_need():
    class Recorder(Function):
        def forward(self, a, b):
            return a * b

        def backward(self, g):
            self.seen = self.needs_input_grad
            return g, None

    fn = Recorder()
    fn(leaf([1.0]), tinygan.tensor(np.array([2.0]))).sum().backward(retain_graph=True)
    assert fn.seen == (True, False)


# ------------------------------------------------------------------------------ small conveniences


def test_tensor_introspection():
    x = tinygan.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.shape == x.size() == (2, 3) and x.size(1) == 3
    assert x.ndim == x.dim() == 2 and x.numel() == 6 and len(x) == 2
    assert x.numpy().tolist() == x.tolist() == [[0, 1, 2], [3, 4, 5]]  # numpy() works while requiring grad
    assert x.sum().item() == 15.0
    assert repr(x).startswith("tensor([[0., 1., 2.],") and "requires_grad=True" in repr(x)
    assert "grad_fn=<Mul>" in repr(x * 2)
    np.testing.assert_array_equal(x.argmax(1).numpy(), [2, 2])
