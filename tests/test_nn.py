"""tinygan.nn: Module registration and PyTorch-style names, state dicts, modes, layers, init."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygan
from tinygan import nn
from tinygan.nn import init


class Block(nn.Module):
    """A nested module: a Sequential, a bare Parameter, a buffer and a submodule."""

    def __init__(self) -> None:
        super().__init__()
        self.main = nn.Sequential(nn.Linear(3, 4), nn.LeakyReLU(0.2), nn.Dropout(0.5), nn.Linear(4, 2))
        self.scale = nn.Parameter(np.ones(2, dtype=np.float32))
        self.register_buffer("steps", tinygan.zeros(1))
        self.head = nn.Linear(2, 1, bias=False)
        self.plain = tinygan.zeros(3)  # a plain tensor attribute is not a parameter

    def forward(self, x):
        return self.head(self.main(x) * self.scale)


# PyTorch's order (checked against torch): a module's own parameters, then its children's
PARAMETER_NAMES = ["scale", "main.0.weight", "main.0.bias", "main.3.weight", "main.3.bias", "head.weight"]


def test_sequential_of_linears_uses_pytorchs_keys():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert model.state_dict()["0.weight"].shape == (4, 3)  # Linear weight is (out, in)


def test_nested_modules_register_parameters_and_buffers():
    model = Block()
    assert [name for name, _ in model.named_parameters()] == PARAMETER_NAMES
    assert list(model.state_dict()) == ["scale", "steps"] + PARAMETER_NAMES[1:]
    assert [name for name, _ in model.named_buffers()] == ["steps"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in model.parameters())
    assert [name for name, _ in model.named_modules()][:3] == ["", "main", "main.0"]
    assert [name for name, _ in model.named_children()] == ["main", "head"]
    state = model.state_dict()
    assert not any(t.requires_grad for t in state.values())  # detached, like PyTorch's


def test_reassigning_an_attribute_updates_the_registry():
    model = Block()
    model.head = nn.Identity()
    model.scale = None
    assert [name for name, _ in model.named_parameters()] == PARAMETER_NAMES[1:5]


def test_a_shared_parameter_is_listed_once():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, nn.Tanh(), layer)
    assert len(list(model.parameters())) == 2


def test_assigning_before_init_is_a_clear_error():
    class Forgetful(nn.Module):
        def __init__(self) -> None:
            self.layer = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"call Module.__init__\(\) in Forgetful.__init__"):
        Forgetful()


def snapshot(model):
    return {key: t.numpy().copy() for key, t in model.state_dict().items()}


def test_load_state_dict_round_trip():
    source = Block()
    tinygan.manual_seed(1)
    target = Block()
    x = tinygan.randn(5, 3)
    source.eval(), target.eval()
    assert not np.allclose(source(x).numpy(), target(x).numpy())
    params_before = list(target.parameters())
    target.load_state_dict(snapshot(source))  # plain NumPy arrays are accepted too
    np.testing.assert_array_equal(target(x).numpy(), source(x).numpy())
    assert list(target.parameters()) == params_before  # same objects: an optimizer keeps working
    assert all(p.dtype == np.float32 for p in target.parameters())
    target.load_state_dict(source.state_dict())  # and tensors
    np.testing.assert_array_equal(target(x).numpy(), source(x).numpy())


def test_loaded_values_are_copies():
    source, target = nn.Linear(2, 2), nn.Linear(2, 2)
    target.load_state_dict(source.state_dict())
    source.weight.data += 1
    assert not np.allclose(source.weight.numpy(), target.weight.numpy())


def test_strict_loading_names_missing_and_unexpected_keys():
    model = Block()
    before = snapshot(model)
    state = snapshot(Block())
    del state["head.weight"]
    state["tail.weight"] = np.zeros((1, 2))
    with pytest.raises(KeyError, match=r"missing keys \['head.weight'\], unexpected keys \['tail.weight'\]"):
        model.load_state_dict(state)
    for key, value in snapshot(model).items():  # nothing was loaded
        np.testing.assert_array_equal(value, before[key])
    model.load_state_dict(state, strict=False)  # loads what matches, skips the rest
    np.testing.assert_array_equal(model.main[0].weight.numpy(), state["main.0.weight"])
    np.testing.assert_array_equal(model.head.weight.numpy(), before["head.weight"])


def test_a_shape_mismatch_fails_before_anything_is_loaded():
    model = Block()
    before = snapshot(model)
    state = snapshot(Block())
    state["main.3.weight"] = np.zeros((2, 5))  # main.0.* come first and would load fine
    for strict in (True, False):
        with pytest.raises(ValueError, match=r"main.3.weight has shape \(2, 5\), the module expects \(2, 4\)"):
            model.load_state_dict(state, strict=strict)
        for key, value in snapshot(model).items():
            np.testing.assert_array_equal(value, before[key])


def test_train_and_eval_reach_every_submodule():
    model = Block()
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_dropout_is_the_identity_in_eval_mode():
    drop = nn.Dropout(0.5)
    x = tinygan.ones(1000)
    assert (drop(x).numpy() == 0).any()
    drop.eval()
    np.testing.assert_array_equal(drop(x).numpy(), x.numpy())
    with pytest.raises(ValueError, match="probability"):
        nn.Dropout(1.5)


def test_layers_compute_what_their_names_say():
    x = tinygan.tensor(np.array([[-1.0, 0.5], [2.0, -3.0]], dtype=np.float32))
    xs = x.numpy()
    np.testing.assert_allclose(nn.ReLU()(x).numpy(), np.maximum(xs, 0))
    np.testing.assert_allclose(nn.LeakyReLU(0.2)(x).numpy(), np.where(xs > 0, xs, 0.2 * xs))
    np.testing.assert_allclose(nn.Tanh()(x).numpy(), np.tanh(xs), rtol=1e-6)
    np.testing.assert_allclose(nn.Sigmoid()(x).numpy(), 1 / (1 + np.exp(-xs)), rtol=1e-6)
    np.testing.assert_allclose(nn.Softplus()(x).numpy(), np.log1p(np.exp(xs)), rtol=1e-6)
    assert nn.Identity()(x) is x
    assert nn.Flatten()(tinygan.zeros(2, 3, 4)).shape == (2, 12)
    linear = nn.Linear(2, 3)
    expected = xs @ linear.weight.numpy().T + linear.bias.numpy()
    np.testing.assert_allclose(linear(x).numpy(), expected, rtol=1e-6)
    assert linear(x).dtype == np.float32


def test_sequential_container():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    model.append(nn.Linear(3, 1))
    assert len(model) == 3 and isinstance(model[-1], nn.Linear) and [type(m) for m in model][1] is nn.ReLU
    assert model(tinygan.zeros(4, 2)).shape == (4, 1)
    assert "(2): Linear(in_features=3, out_features=1, bias=True)" in repr(model)


def test_apply_visits_every_module_children_first():
    model = Block()
    visited = []
    model.apply(lambda m: visited.append(type(m).__name__))
    assert visited[-1] == "Block" and visited.count("Linear") == 3


def test_to_cpu_keeps_the_same_parameter_objects():
    model = Block()
    params = list(model.parameters())
    assert model.to("cpu") is model and list(model.parameters()) == params


# ------------------------------------------------------------------------------ initialisation


@pytest.mark.parametrize("n_in, n_out", [(1, 3), (64, 32), (300, 10)])
def test_linear_default_init_is_uniform_within_one_over_sqrt_in(n_in, n_out):
    layer = nn.Linear(n_in, n_out)
    bound = 1 / math.sqrt(n_in)
    for p in (layer.weight, layer.bias):
        assert p.dtype == np.float32
        assert np.abs(p.numpy()).max() <= bound
    if n_in * n_out >= 1000:  # enough samples to see the whole range and the uniform variance
        w = layer.weight.numpy()
        assert np.abs(w).max() > 0.98 * bound
        np.testing.assert_allclose(w.std(), bound / math.sqrt(3), rtol=0.05)
    assert nn.Linear(3, 2, bias=False).bias is None


def fresh(*shape):
    return nn.Parameter(np.zeros(shape, dtype=np.float32))


def test_normal_init_statistics():
    w = init.normal_(fresh(256, 256), 0.0, 0.02)
    assert w.dtype == np.float32
    assert abs(w.numpy().mean()) < 0.02 * 5 / 256
    np.testing.assert_allclose(w.numpy().std(), 0.02, rtol=0.02)
    b = init.normal_(fresh(256, 256), 1.0, 0.02)  # DCGAN's batch-norm weight
    np.testing.assert_allclose(b.numpy().mean(), 1.0, atol=1e-3)


# weight shape -> (fan_in, fan_out) as PyTorch computes them
FANS = {(40, 60): (60, 40), (16, 8, 4, 4): (8 * 16, 16 * 16)}


@pytest.mark.parametrize("shape", list(FANS))
@pytest.mark.parametrize("gain", [1.0, init.calculate_gain("relu")])
def test_xavier_bounds_and_std(shape, gain):
    fan_in, fan_out = FANS[shape]
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    w = init.xavier_uniform_(fresh(*shape), gain).numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.97 * bound
    np.testing.assert_allclose(w.std(), bound / math.sqrt(3), rtol=0.05)
    w = init.xavier_normal_(fresh(*shape), gain).numpy()
    np.testing.assert_allclose(w.std(), gain * math.sqrt(2.0 / (fan_in + fan_out)), rtol=0.05)


@pytest.mark.parametrize("shape", list(FANS))
@pytest.mark.parametrize(
    "a, mode, nonlinearity", [(0, "fan_in", "leaky_relu"), (0.2, "fan_out", "leaky_relu"), (0, "fan_in", "relu")]
)
def test_kaiming_bounds_and_std(shape, a, mode, nonlinearity):
    fan = FANS[shape][0 if mode == "fan_in" else 1]
    gain = math.sqrt(2.0) if nonlinearity == "relu" else math.sqrt(2.0 / (1 + a**2))
    bound = gain * math.sqrt(3.0 / fan)
    w = init.kaiming_uniform_(fresh(*shape), a=a, mode=mode, nonlinearity=nonlinearity).numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.97 * bound
    w = init.kaiming_normal_(fresh(*shape), a=a, mode=mode, nonlinearity=nonlinearity).numpy()
    np.testing.assert_allclose(w.std(), gain / math.sqrt(fan), rtol=0.05)


def test_calculate_gain_matches_pytorchs_table():
    assert init.calculate_gain("linear") == init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    with pytest.raises(ValueError, match="unknown nonlinearity 'swish'"):
        init.calculate_gain("swish")


def test_constant_inits_and_fans_of_vectors():
    w = fresh(2, 3)
    np.testing.assert_array_equal(init.constant_(w, 0.5).numpy(), 0.5)
    np.testing.assert_array_equal(init.ones_(w).numpy(), 1)
    np.testing.assert_array_equal(init.zeros_(w).numpy(), 0)
    assert w.dtype == np.float32
    u = init.uniform_(fresh(1000), -2.0, 3.0).numpy()
    assert u.min() >= -2.0 and u.max() < 3.0
    with pytest.raises(ValueError, match=r"at least 2 dimensions, got shape \(5,\)"):
        init.xavier_uniform_(fresh(5))


def test_init_is_reproducible_under_manual_seed():
    tinygan.manual_seed(7)
    first = nn.Linear(4, 4).weight.numpy()
    tinygan.manual_seed(7)
    np.testing.assert_array_equal(nn.Linear(4, 4).weight.numpy(), first)
