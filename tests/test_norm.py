"""batch_norm and instance_norm: float64 finite-difference gradients, the normalisation
identities, running statistics against PyTorch's update rule, training vs evaluation, the
modules' buffers and state dicts, and the errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygan
from tinygan import functional as F
from tinygan import nn
from tinygan.gradcheck import gradcheck

SETTINGS = settings(max_examples=30, deadline=None)


@st.composite
def norm_inputs(draw, instance=False):
    """(N, C, *spatial) float64 inputs with at least 2 values to normalise over, weight and bias.

    Batch norm normalises over N and the spatial dimensions; instance norm (``instance=True``)
    over the spatial dimensions only.
    """
    spatial = draw(st.lists(st.integers(1, 3), min_size=1 if instance else 0, max_size=2))
    batch = draw(st.integers(1, 3))
    if instance and np.prod(spatial) < 2:
        spatial[-1] = 2
    if not instance and batch * np.prod(spatial) < 2:
        batch = 2
    channels = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((batch, channels, *spatial)) * draw(st.sampled_from([0.5, 1.0, 3.0])) + 1.0
    return x, rng.standard_normal(channels), rng.standard_normal(channels)


def _per_channel(v, ndim):
    return v.reshape((1, -1) + (1,) * (ndim - 2))


# ----------------------------------------------------------------------------- batch_norm


@SETTINGS
@given(inputs=norm_inputs())
def test_batch_norm_training_values_and_gradients(inputs):
    x, w, b = inputs
    axes = (0, *range(2, x.ndim))
    mean, var = x.mean(axis=axes), x.var(axis=axes)  # biased variance normalises
    expected = (x - _per_channel(mean, x.ndim)) / np.sqrt(_per_channel(var, x.ndim) + 1e-5)
    expected = expected * _per_channel(w, x.ndim) + _per_channel(b, x.ndim)
    tensors = [tinygan.tensor(a, requires_grad=True) for a in (x, w, b)]
    out = F.batch_norm(tensors[0], None, None, tensors[1], tensors[2], training=True)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-10)

    gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), tensors, atol=1e-6, rtol=1e-5)


@SETTINGS
@given(inputs=norm_inputs())
def test_batch_norm_eval_values_and_gradients(inputs):
    x, w, b = inputs
    C = x.shape[1]
    rng = np.random.default_rng(C)
    running_mean, running_var = rng.standard_normal(C), rng.uniform(0.5, 2.0, C)
    expected = (x - _per_channel(running_mean, x.ndim)) / np.sqrt(_per_channel(running_var, x.ndim) + 1e-3)
    expected = expected * _per_channel(w, x.ndim) + _per_channel(b, x.ndim)
    stats = tinygan.tensor(running_mean), tinygan.tensor(running_var)
    tensors = [tinygan.tensor(a, requires_grad=True) for a in (x, w, b)]
    out = F.batch_norm(tensors[0], *stats, tensors[1], tensors[2], training=False, eps=1e-3)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-10)

    gradcheck(lambda x, w, b: F.batch_norm(x, *stats, w, b, eps=1e-3), tensors, atol=1e-6, rtol=1e-5)
    np.testing.assert_array_equal(stats[0].numpy(), running_mean)  # evaluation leaves them alone


@pytest.mark.parametrize("shape", [(64, 8, 4, 4), (5, 3), (4, 6, 7)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_training_output_has_zero_mean_and_unit_variance(shape, dtype):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 5 + 3).astype(dtype)
    out = F.batch_norm(tinygan.tensor(x), None, None, training=True, eps=0.0).numpy()
    assert out.dtype == dtype
    axes = (0, *range(2, len(shape)))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out.mean(axis=axes), 0, atol=tol)
    np.testing.assert_allclose(out.var(axis=axes), 1, atol=10 * tol)


def test_batch_norm_statistics_survive_a_large_mean_in_float32():
    """The variance is summed around the mean, so an offset of 1e4 does not swamp a spread of 1e-1."""
    rng = np.random.default_rng(1)
    x = (1e4 + 0.1 * rng.standard_normal((32, 4, 8, 8))).astype(np.float32)
    out = F.batch_norm(tinygan.tensor(x), None, None, training=True, eps=0.0).numpy()
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), 1, rtol=1e-3)


def test_batch_norm_propagates_nan():
    x = np.ones((4, 2, 3), dtype=np.float32)
    x[1, 0, 2] = np.nan
    out = F.batch_norm(tinygan.tensor(x), None, None, training=True).numpy()
    assert np.isnan(out[:, 0]).all() and not np.isnan(out[:, 1]).any()


def test_running_statistics_follow_pytorchs_rule_over_several_steps():
    rng = np.random.default_rng(2)
    bn = nn.BatchNorm2d(3, momentum=0.2)
    mean, var = np.zeros(3), np.ones(3)
    for step in range(1, 5):
        x = rng.standard_normal((4, 3, 5, 5)) * step + step
        bn(tinygan.tensor(x.astype(np.float32)))
        m = x.size // 3
        mean = 0.8 * mean + 0.2 * x.mean(axis=(0, 2, 3))
        var = 0.8 * var + 0.2 * x.var(axis=(0, 2, 3)) * m / (m - 1)  # unbiased in the running average
        np.testing.assert_allclose(bn.running_mean.numpy(), mean, rtol=1e-5)
        np.testing.assert_allclose(bn.running_var.numpy(), var, rtol=1e-5)
        assert bn.num_batches_tracked.item() == step


def test_momentum_none_is_a_cumulative_average():
    rng = np.random.default_rng(3)
    bn = nn.BatchNorm1d(2, momentum=None)
    batches = [rng.standard_normal((6, 2)) * (k + 1) + k for k in range(3)]
    for x in batches:
        bn(tinygan.tensor(x.astype(np.float32)))
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([x.mean(axis=0) for x in batches], axis=0), rtol=1e-5)
    unbiased = np.mean([x.var(axis=0, ddof=1) for x in batches], axis=0)
    np.testing.assert_allclose(bn.running_var.numpy(), unbiased, rtol=1e-5)


def test_eval_uses_running_statistics_and_training_the_batch():
    rng = np.random.default_rng(4)
    bn = nn.BatchNorm2d(2)
    bn.running_mean.data[:] = [1.0, -1.0]
    bn.running_var.data[:] = [4.0, 0.25]
    x = rng.standard_normal((3, 2, 2, 2)).astype(np.float32)

    bn.eval()
    out = bn(tinygan.tensor(x)).numpy()
    expected = (x - np.array([1.0, -1.0]).reshape(1, 2, 1, 1)) / np.sqrt(np.array([4.0, 0.25]) + 1e-5).reshape(
        1, 2, 1, 1
    )
    np.testing.assert_allclose(out, expected, rtol=1e-5)
    assert bn.num_batches_tracked.item() == 0  # evaluation does not count or update
    np.testing.assert_array_equal(bn.running_mean.numpy(), [1.0, -1.0])

    bn.train()
    out = bn(tinygan.tensor(x)).numpy()
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    assert bn.num_batches_tracked.item() == 1


def test_without_running_statistics_batch_statistics_are_used_in_eval_too():
    bn = nn.BatchNorm2d(3, track_running_stats=False)
    assert bn.running_mean is None and list(bn.state_dict()) == ["weight", "bias"]
    bn.eval()
    out = bn(tinygan.randn(4, 3, 2, 2) * 3 + 1).numpy()
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-5)


def test_batch_norm_module_parameters_buffers_and_state_dict():
    bn = nn.BatchNorm2d(4)
    state = bn.state_dict()
    assert list(state) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    np.testing.assert_array_equal(state["weight"].numpy(), 1)
    np.testing.assert_array_equal(state["bias"].numpy(), 0)
    np.testing.assert_array_equal(state["running_var"].numpy(), 1)
    assert state["num_batches_tracked"].dtype == np.int64 and state["num_batches_tracked"].shape == ()
    assert [name for name, _ in bn.named_parameters()] == ["weight", "bias"]
    assert list(nn.BatchNorm2d(4, affine=False).state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]

    bn(tinygan.randn(8, 4, 3, 3) + 2)
    copy = nn.BatchNorm2d(4)
    copy.load_state_dict(bn.state_dict())
    np.testing.assert_array_equal(copy.running_mean.numpy(), bn.running_mean.numpy())
    assert copy.num_batches_tracked.item() == 1 and copy.num_batches_tracked.dtype == np.int64


def test_batch_norm_gradients_reach_weight_and_bias_in_float32():
    bn = nn.BatchNorm2d(3)
    x = tinygan.randn(4, 3, 5, 5, requires_grad=True)
    (bn(x) * tinygan.randn(4, 3, 5, 5)).sum().backward()
    assert bn.weight.grad.dtype == bn.bias.grad.dtype == x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy().sum(axis=(0, 2, 3)), 0, atol=1e-4)  # the mean is removed


def test_batch_norm_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"BatchNorm2d expects a 4-D \(N, C, H, W\) input, got shape \(4, 3\)"):
        nn.BatchNorm2d(3)(tinygan.randn(4, 3))
    with pytest.raises(ValueError, match=r"BatchNorm1d expects a 2-D .* got shape \(2, 3, 4, 4\)"):
        nn.BatchNorm1d(3)(tinygan.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\) got an input with 5 channels"):
        nn.BatchNorm2d(3)(tinygan.randn(2, 5, 4, 4))
    with pytest.raises(ValueError, match=r"more than 1 value per channel.*\(1, 3\)"):
        nn.BatchNorm1d(3)(tinygan.randn(1, 3))
    with pytest.raises(ValueError, match="required in evaluation mode"):
        F.batch_norm(tinygan.randn(2, 3), None, None)
    with pytest.raises(ValueError, match=r"weight has shape \(2,\), expected \(3,\)"):
        F.batch_norm(tinygan.randn(2, 3), None, None, weight=tinygan.ones(2), training=True)
    with pytest.raises(TypeError, match="weight has dtype float32, but the input has dtype float64"):
        F.batch_norm(tinygan.randn(2, 3).double(), None, None, weight=tinygan.ones(3), training=True)


# ----------------------------------------------------------------------------- instance_norm


@SETTINGS
@given(inputs=norm_inputs(instance=True))
def test_instance_norm_values_and_gradients(inputs):
    x, w, b = inputs
    axes = tuple(range(2, x.ndim))
    expected = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + 1e-5)
    expected = expected * _per_channel(w, x.ndim) + _per_channel(b, x.ndim)
    tensors = [tinygan.tensor(a, requires_grad=True) for a in (x, w, b)]
    np.testing.assert_allclose(F.instance_norm(*tensors).numpy(), expected, rtol=1e-10, atol=1e-10)

    gradcheck(F.instance_norm, tensors, atol=1e-6, rtol=1e-5)


def test_instance_norm_module_normalises_each_plane_in_train_and_eval():
    norm = nn.InstanceNorm2d(3)
    assert list(norm.state_dict()) == []
    assert list(nn.InstanceNorm2d(3, affine=True).state_dict()) == ["weight", "bias"]
    x = tinygan.randn(2, 3, 6, 6) * 4 + 2
    for mode in (norm.train, norm.eval):
        mode()
        out = norm(x).numpy()
        np.testing.assert_allclose(out.mean(axis=(2, 3)), 0, atol=1e-5)
        np.testing.assert_allclose(out.var(axis=(2, 3)), 1, atol=1e-3)


def test_instance_norm_errors():
    with pytest.raises(ValueError, match=r"more than 1 spatial element.*\(2, 3, 1, 1\)"):
        F.instance_norm(tinygan.randn(2, 3, 1, 1))
    with pytest.raises(ValueError, match=r"InstanceNorm2d expects a 4-D .* got shape \(3, 6, 6\)"):
        nn.InstanceNorm2d(3)(tinygan.randn(3, 6, 6))
    with pytest.raises(ValueError, match="track_running_stats=True is not supported"):
        nn.InstanceNorm2d(3, track_running_stats=True)


@pytest.mark.parametrize("dtype", [np.float16, np.int64, np.int32, np.bool_])
def test_unsupported_dtypes_are_named_before_any_work(dtype):
    # integers used to normalise to NaN, float16 failed inside Numba: now a TypeError up front
    x = tinygan.tensor(np.arange(24).reshape(2, 3, 4).astype(dtype))
    message = rf"input has dtype {np.dtype(dtype).name}, but only float32 and float64 are supported"
    bn = nn.BatchNorm1d(3)
    with pytest.raises(TypeError, match="batch_norm: " + message):
        bn(x)
    np.testing.assert_array_equal(bn.running_mean.numpy(), 0)  # the statistics are left alone
    assert bn.num_batches_tracked.numpy() == 0  # and the refused batch is not counted
    with pytest.raises(TypeError, match="batch_norm: " + message):
        F.batch_norm(x, None, None, training=True)
    with pytest.raises(TypeError, match="instance_norm: " + message):
        F.instance_norm(x)
