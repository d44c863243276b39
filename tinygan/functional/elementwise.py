"""Elementwise arithmetic: each op's forward and backward side by side.

Binary ops broadcast like NumPy; their backward sums the gradient back to each input's
shape (``unbroadcast``), since an input repeated along a dimension receives the sum of
the gradients of all its copies.

Dtypes: a binary op on two tensors of different dtypes promotes, as in PyTorch (float32 and
float64 give float64; each input's gradient comes back in its own dtype). A Python number,
list or array combined with a tensor is a constant of the tensor's dtype (a float with an
integer tensor stays float32).
"""

from __future__ import annotations

import contextlib
import math
from typing import Any

import numpy as np

from tinygan.backend import get_array_module
from tinygan.functional.shape import unbroadcast
from tinygan.tensor import Function, Tensor, check_tensor


def _binary(op: str, a: Any, b: Any) -> None:
    """At least one operand must be a Tensor (the other may be a number, list or array)."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"{op}(): expected at least one Tensor operand, got {type(a).__name__} and {type(b).__name__}")


def _check_broadcast(op: str, a: Any, b: Any) -> None:
    try:
        get_array_module(a).broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast together") from None


class Add(Function):
    def forward(self, a, b):
        _check_broadcast("add", a, b)
        self.shapes = a.shape, b.shape
        return a + b

    def backward(self, g):
        return unbroadcast(g, self.shapes[0]), unbroadcast(g, self.shapes[1])


class Sub(Function):
    def forward(self, a, b):
        _check_broadcast("sub", a, b)
        self.shapes = a.shape, b.shape
        return a - b

    def backward(self, g):
        gb = -unbroadcast(g, self.shapes[1]) if self.needs_input_grad[1] else None
        return unbroadcast(g, self.shapes[0]), gb


class Mul(Function):
    def forward(self, a, b):
        _check_broadcast("mul", a, b)
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        a, b = self.a, self.b
        ga = unbroadcast(g * b, a.shape) if self.needs_input_grad[0] else None
        gb = unbroadcast(g * a, b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    def forward(self, a, b):
        _check_broadcast("div", a, b)
        self.a, self.b = a, b
        return a / b

    def backward(self, g):
        a, b = self.a, self.b
        ga = unbroadcast(g / b, a.shape) if self.needs_input_grad[0] else None
        gb = unbroadcast(-g * a / (b * b), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, g):
        return -g


class Pow(Function):
    """a ** b; d/da = b a^(b-1), d/db = a^b log a (only computed when b needs it).

    At a = 0 both follow PyTorch: d/da of a^0 is 0 (not 0 * 0^-1 = NaN), and d/db is 0 where
    b >= 0 (a^b is 0 or 1 there, flat in b) instead of 0 * log 0 = NaN.
    """

    def forward(self, a, b):
        _check_broadcast("pow", a, b)
        self.a, self.b = a, b
        self.y = a**b
        return self.y

    def backward(self, g):
        xp = get_array_module(g)
        a, b = self.a, self.b
        ga = gb = None
        with np.errstate(divide="ignore", invalid="ignore") if xp is np else contextlib.nullcontext():
            if self.needs_input_grad[0]:
                da = b * a ** (b - 1)
                if (b == 0).any():
                    da = xp.where(b == 0, xp.zeros((), da.dtype), da)
                ga = unbroadcast(g * da, a.shape)
            if self.needs_input_grad[1]:
                db = self.y * xp.log(a)
                zero = (a == 0) & (b >= 0)
                if zero.any():
                    db = xp.where(zero, xp.zeros((), db.dtype), db)
                gb = unbroadcast(g * db, b.shape)
        return ga, gb


class Exp(Function):
    def forward(self, x):
        self.y = get_array_module(x).exp(x)
        return self.y

    def backward(self, g):
        return g * self.y


class Log(Function):
    def forward(self, x):
        self.x = x
        return get_array_module(x).log(x)

    def backward(self, g):
        return g / self.x


class Sqrt(Function):
    def forward(self, x):
        self.y = get_array_module(x).sqrt(x)
        return self.y

    def backward(self, g):
        return g / (2 * self.y)


class Abs(Function):
    def forward(self, x):
        self.x = x
        return get_array_module(x).abs(x)  # not abs(): this module's abs() is the Tensor op

    def backward(self, g):
        return g * get_array_module(g).sign(self.x)  # sign(0) = 0: the subgradient PyTorch picks


class Clamp(Function):
    def __init__(self, low: float | None, high: float | None) -> None:
        self.low, self.high = low, high

    def forward(self, x):
        xp = get_array_module(x)
        self.inside = xp.ones(x.shape, dtype=bool)
        if self.low is not None:
            self.inside &= x >= self.low
        if self.high is not None:
            self.inside &= x <= self.high
        return xp.clip(x, self.low, self.high)

    def backward(self, g):
        return g * self.inside


class Maximum(Function):
    """Elementwise max; at ties the gradient is split evenly, as in PyTorch."""

    def forward(self, a, b):
        _check_broadcast("maximum", a, b)
        xp = get_array_module(a)
        self.shapes = a.shape, b.shape
        # cast: the float64 0.5 would otherwise silently upcast float32 gradients
        self.share_a = ((a > b) + 0.5 * (a == b)).astype(xp.result_type(a, b))
        return xp.maximum(a, b)

    def backward(self, g):
        ga = g * self.share_a
        return unbroadcast(ga, self.shapes[0]), unbroadcast(g - ga, self.shapes[1])


def add(a: Any, b: Any) -> Tensor:
    _binary("add", a, b)
    return Add()(a, b)


def sub(a: Any, b: Any) -> Tensor:
    _binary("sub", a, b)
    return Sub()(a, b)


def mul(a: Any, b: Any) -> Tensor:
    _binary("mul", a, b)
    return Mul()(a, b)


def div(a: Any, b: Any) -> Tensor:
    _binary("div", a, b)
    return Div()(a, b)


def neg(x: Tensor) -> Tensor:
    return Neg()(check_tensor("neg", x))


def pow(a: Any, b: Any) -> Tensor:  # noqa: A001 - PyTorch's name
    _binary("pow", a, b)
    return Pow()(a, b)


def exp(x: Tensor) -> Tensor:
    return Exp()(check_tensor("exp", x))


def log(x: Tensor) -> Tensor:
    return Log()(check_tensor("log", x))


def sqrt(x: Tensor) -> Tensor:
    return Sqrt()(check_tensor("sqrt", x))


def abs(x: Tensor) -> Tensor:  # noqa: A001 - PyTorch's name
    return Abs()(check_tensor("abs", x))


def clamp(x: Tensor, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
    """Limit values to [min, max]; the gradient is zero where a bound is active."""
    check_tensor("clamp", x)
    if min is None and max is None:
        raise ValueError("clamp needs at least one of min and max")
    for name, bound in (("min", min), ("max", max)):
        if bound is not None and (
            isinstance(bound, bool) or not isinstance(bound, (int, float, np.integer, np.floating)) or math.isnan(bound)
        ):
            raise ValueError(f"clamp: {name} must be a number (not NaN) or None, got {bound!r}")
    return Clamp(min, max)(x)


def maximum(a: Any, b: Any) -> Tensor:
    _binary("maximum", a, b)
    return Maximum()(a, b)
