"""Weight initialisers (in place, like ``torch.nn.init``), drawing from tinygan's seeded generator.

fan_in / fan_out follow PyTorch: for a weight of shape (out, in, *kernel), fan_in is
in * prod(kernel) and fan_out is out * prod(kernel).
"""

from __future__ import annotations

import math

import numpy as np

from tinygan import _checks, backend, random
from tinygan.tensor import Tensor, check_tensor


def _fans(t: Tensor, op: str = "init") -> tuple[int, int]:
    check_tensor(op, t, "tensor")
    if t.ndim < 2:
        raise ValueError(f"fan in/out needs a weight with at least 2 dimensions, got shape {t.shape}")
    receptive = int(np.prod(t.shape[2:])) if t.ndim > 2 else 1
    return t.shape[1] * receptive, t.shape[0] * receptive


def _fill(t: Tensor, kind: str, scale: float, shift: float = 0.0) -> Tensor:
    if t.dtype.kind != "f":
        raise TypeError(f"init: random initialisation needs a floating-point tensor, got {t.dtype}")
    values = random.random_array(kind, t.shape, t.dtype, "cpu")
    t.data = backend.to_device(values * t.dtype.type(scale) + t.dtype.type(shift), t.device)
    return t


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """N(mean, std^2); DCGAN uses normal_(w, 0, 0.02) and normal_(bn.weight, 1, 0.02)."""
    check_tensor("normal_", t, "tensor")
    mean, std = _checks.real("normal_", "mean", mean), _checks.real("normal_", "std", std, 0)
    return _fill(t, "normal", std, mean)


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    check_tensor("uniform_", t, "tensor")
    a, b = _checks.real("uniform_", "a", a), _checks.real("uniform_", "b", b)
    if a > b:
        raise ValueError(f"uniform_: needs a <= b, got a={a}, b={b}")
    return _fill(t, "uniform", b - a, a)


def constant_(t: Tensor, value: float) -> Tensor:
    check_tensor("constant_", t, "tensor")
    _checks.number_like("constant_", "value", value)
    xp = backend.get_array_module(t.data)
    t.data = xp.full(t.shape, value, dtype=t.dtype)
    return t


def zeros_(t: Tensor) -> Tensor:
    return constant_(t, 0.0)


def ones_(t: Tensor) -> Tensor:
    return constant_(t, 1.0)


def _fan(t: Tensor, mode: str, op: str) -> int:
    """fan_in or fan_out; 0 only for a tensor with no elements, which the initialisers leave
    alone (PyTorch's no-op) rather than divide by."""
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{op}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    return _fans(t, op)[0 if mode == "fan_in" else 1]


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps activations' variance steady through a layer (PyTorch's table)."""
    if nonlinearity in ("linear", "sigmoid", "conv2d", "conv_transpose2d"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else _checks.real("calculate_gain", "param", param)
        return math.sqrt(2.0 / (1 + slope**2))
    raise ValueError(f"unknown nonlinearity {nonlinearity!r}")


def xavier_uniform_(t: Tensor, gain: float = 1.0) -> Tensor:
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010)."""
    fan_in, fan_out = _fan(t, "fan_in", "xavier_uniform_"), _fan(t, "fan_out", "xavier_uniform_")
    if t.numel() == 0:
        return t
    a = _checks.real("xavier_uniform_", "gain", gain, 0) * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -a, a)


def xavier_normal_(t: Tensor, gain: float = 1.0) -> Tensor:
    fan_in, fan_out = _fan(t, "fan_in", "xavier_normal_"), _fan(t, "fan_out", "xavier_normal_")
    if t.numel() == 0:
        return t
    return normal_(t, 0.0, _checks.real("xavier_normal_", "gain", gain, 0) * math.sqrt(2.0 / (fan_in + fan_out)))


def kaiming_uniform_(t: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    """U(-b, b) with b = gain * sqrt(3 / fan) (He et al. 2015)."""
    fan = _fan(t, mode, "kaiming_uniform_")
    if t.numel() == 0:
        return t
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(t, -bound, bound)


def kaiming_normal_(t: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    fan = _fan(t, mode, "kaiming_normal_")
    if t.numel() == 0:
        return t
    return normal_(t, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan))
