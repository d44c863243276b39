"""Loss functions, each written from its formula.

Binary cross-entropy of a probability p = sigmoid(x) against a target t is

    BCE = -[t log p + (1 - t) log(1 - p)].

Written on the logit x it becomes  max(x, 0) - x t + log(1 + exp(-|x|)),  which never
takes the log of 0 nor the exp of a large number, so it stays finite for logits of any size.
Its gradient with respect to x is simply sigmoid(x) - t.

Every loss takes a target of the input's exact shape (or a number); the BCE losses also need
targets in [0, 1], and ``binary_cross_entropy`` probabilities in [0, 1] (NaN is neither).
"""

from __future__ import annotations

import contextlib
import numbers
from typing import Any

import numpy as np

from tinygan.backend import get_array_module
from tinygan.functional.activation import stable_sigmoid, stable_softplus
from tinygan.functional.elementwise import abs, sub
from tinygan.functional.reduce import mean, sum
from tinygan.tensor import Function, Tensor, _as_array, check_tensor

REDUCTIONS = ("mean", "sum", "none")


def _check(name: str, input: Tensor, target: Any, reduction: str) -> None:  # noqa: A002
    """The input is a Tensor; the target a Tensor, array or nested list of the input's shape (never
    broadcast: an (N, 1) input against an (N,) target would silently become an (N, N) loss), or a
    number that stands for that value everywhere."""
    check_tensor(name, input)
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if isinstance(target, numbers.Real) and not isinstance(target, bool):
        return
    if not isinstance(target, Tensor):
        if not (hasattr(target, "shape") or isinstance(target, (list, tuple))):
            raise TypeError(f"{name}(): argument 'target' must be a Tensor or a number, not {type(target).__name__}")
        target = Tensor(_as_array(target, what=name))
    if target.shape != input.shape:
        raise ValueError(
            f"{name}: target shape {target.shape} differs from input shape {input.shape}; tinygan does not "
            "broadcast a loss's input and target (reshape one so that they match)"
        )


def _values(data: Any) -> str:
    """'values in [-0.5, 1]', or 'NaN values' when there are any."""
    xp = get_array_module(data)
    if bool(xp.isnan(data).any()):
        return "NaN values"
    return f"values in [{float(data.min()):.4g}, {float(data.max()):.4g}]"


def _check_unit_interval(name: str, what: str, value: Any, hint: str = "") -> None:
    """Every element in [0, 1] (NaN fails: it compares false to both bounds)."""
    data = value.data if isinstance(value, Tensor) else value
    if isinstance(data, numbers.Real):
        data = np.asarray(data, dtype=np.float64)
    elif not hasattr(data, "dtype"):
        data = _as_array(data, what=name)
    # two reductions and no temporaries; min and max propagate NaN, which then fails both tests
    if data.size and not (float(data.min()) >= 0 and float(data.max()) <= 1):
        raise ValueError(f"{name} needs {what} in [0, 1], got {_values(data)}{hint}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return mean(loss)
    if reduction == "sum":
        return sum(loss)
    return loss


class BCEWithLogits(Function):
    """Elementwise BCE on logits; d/dx = sigmoid(x) - t, d/dt = -x."""

    def forward(self, x, t):
        self.x, self.t = x, t
        return stable_softplus(x) - x * t  # softplus(x) = max(x, 0) + log(1 + exp(-|x|))

    def backward(self, g):
        gx = g * (stable_sigmoid(self.x) - self.t) if self.needs_input_grad[0] else None
        gt = -g * self.x if self.needs_input_grad[1] else None
        return gx, gt


class BCE(Function):
    """Elementwise BCE on probabilities, with each log clamped at -100 as PyTorch does, so that
    p = 0 or 1 gives a large finite loss instead of inf."""

    def forward(self, p, t):
        xp = get_array_module(p)
        self.p, self.t = p, t
        with np.errstate(divide="ignore") if xp is np else contextlib.nullcontext():  # log(0) = -inf, clamped
            log_p = xp.maximum(xp.log(p), -100)
            log_1mp = xp.maximum(xp.log1p(-p), -100)
        if self.needs_input_grad[1]:  # d/dt = log(1 - p) - log p, from the same clamped logs
            self.log_ratio = log_1mp - log_p
        return -(t * log_p + (1 - t) * log_1mp)

    def backward(self, g):
        xp = get_array_module(g)
        p, t = self.p, self.t
        # d/dp = (p - t) / (p (1 - p)), with the denominator kept off zero (PyTorch's eps 1e-12)
        gp = g * (p - t) / xp.maximum(p * (1 - p), 1e-12) if self.needs_input_grad[0] else None
        gt = g * self.log_ratio if self.needs_input_grad[1] else None
        return gp, gt


def binary_cross_entropy_with_logits(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """-[t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))], stable for any logit x."""
    _check("binary_cross_entropy_with_logits", input, target, reduction)
    _check_unit_interval("binary_cross_entropy_with_logits", "targets", target)
    return _reduce(BCEWithLogits()(input, target), reduction)


def binary_cross_entropy(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """-[t log p + (1 - t) log(1 - p)] for probabilities p in [0, 1] (logs clamped at -100)."""
    _check("binary_cross_entropy", input, target, reduction)
    hint = "; for logits use binary_cross_entropy_with_logits"
    _check_unit_interval("binary_cross_entropy", "probabilities", input, hint)
    _check_unit_interval("binary_cross_entropy", "targets", target)
    return _reduce(BCE()(input, target), reduction)


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """|x - y|, averaged (or summed) over all elements: Pix2Pix's reconstruction term."""
    _check("l1_loss", input, target, reduction)
    return _reduce(abs(sub(input, target)), reduction)


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """(x - y)^2, averaged (or summed) over all elements."""
    _check("mse_loss", input, target, reduction)
    diff = sub(input, target)
    return _reduce(diff * diff, reduction)
