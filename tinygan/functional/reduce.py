"""Reductions over dimensions: sum, mean, max, var.

Their backward spreads the output gradient back over the reduced dimensions: reshape it
as if ``keepdim=True`` had been used, then broadcast it to the input's shape.
"""

from __future__ import annotations

import builtins
from collections import namedtuple
from typing import Any

import numpy as np

from tinygan.backend import get_array_module
from tinygan.tensor import Function, Tensor, check_tensor, wrap_dim


def normalize_dims(dim: Any, ndim: int, op: str = "reduction") -> tuple[int, ...]:
    """``dim`` (None, an int or a sequence, negatives allowed) as a sorted tuple of axes.

    Raises:
        IndexError: a dim out of range (never wrapped around).
        ValueError: the same dim named twice.
    """
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim) if isinstance(dim, (tuple, list)) else None
    if dims is None:
        raise TypeError(f"{op}: dim must be an int or a tuple of ints, got {type(dim).__name__} {dim!r}")
    axes = [wrap_dim(op, d, ndim) for d in dims]
    if len(set(axes)) < len(axes):
        raise ValueError(f"{op}: dim {tuple(dims)} names the same dimension more than once")
    return tuple(sorted(axes)) if ndim else ()


def _keepdim_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    def __init__(self, axes: tuple[int, ...], keepdim: bool) -> None:
        self.axes, self.keepdim = axes, keepdim

    def forward(self, x):
        self.shape = x.shape
        return x.sum(axis=self.axes, keepdims=self.keepdim)

    def backward(self, g):
        g = g.reshape(_keepdim_shape(self.shape, self.axes))
        return get_array_module(g).broadcast_to(g, self.shape)


class Mean(Sum):
    def forward(self, x):
        self.count = int(np.prod([x.shape[a] for a in self.axes]))
        return super().forward(x) / x.dtype.type(self.count)

    def backward(self, g):
        return super().backward(g / g.dtype.type(self.count))


class Amax(Function):
    """Max over ``axes``; ties share the gradient evenly (PyTorch's ``amax`` rule)."""

    def __init__(self, axes: tuple[int, ...], keepdim: bool) -> None:
        self.axes, self.keepdim = axes, keepdim

    def forward(self, x):
        y = x.max(axis=self.axes, keepdims=True)
        self.is_max = x == y
        return y if self.keepdim else y.reshape([n for i, n in enumerate(y.shape) if i not in self.axes])

    def backward(self, g):
        g = g.reshape(_keepdim_shape(self.is_max.shape, self.axes))
        ties = self.is_max.sum(axis=self.axes, keepdims=True)
        return g * self.is_max / ties.astype(g.dtype)


class Var(Function):
    """Variance sum((x - mean)^2) / (n - correction); d/dx = 2 (x - mean) / (n - correction).

    (The mean's own dependence on x drops out: the deviations sum to zero.)
    """

    def __init__(self, axes: tuple[int, ...], correction: int, keepdim: bool) -> None:
        self.axes, self.correction, self.keepdim = axes, correction, keepdim

    def forward(self, x):
        n = int(np.prod([x.shape[a] for a in self.axes]))
        self.divisor = x.dtype.type(builtins.max(n - self.correction, 0))
        self.centered = x - x.mean(axis=self.axes, keepdims=True)
        return (self.centered * self.centered).sum(axis=self.axes, keepdims=self.keepdim) / self.divisor

    def backward(self, g):
        g = g.reshape(_keepdim_shape(self.centered.shape, self.axes))
        return g * (2 / self.divisor) * self.centered


def sum(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    return Sum(normalize_dims(dim, check_tensor("sum", x).ndim, "sum"), keepdim)(x)


def mean(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return Mean(normalize_dims(dim, check_tensor("mean", x).ndim, "mean"), keepdim)(x)


def amax(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    axes = normalize_dims(dim, check_tensor("amax", x).ndim, "amax")
    if x.numel() == 0:
        raise ValueError("max of an empty tensor is undefined")
    return Amax(axes, keepdim)(x)


MaxResult = namedtuple("MaxResult", ["values", "indices"])


def max(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:  # noqa: A001
    """Like ``torch.max``: the largest value, or with ``dim`` a ``(values, indices)`` pair."""
    check_tensor("max", x)
    if dim is None:
        return amax(x)
    dim = wrap_dim("max", dim, x.ndim)  # one int, as in torch.max
    values = amax(x, dim, keepdim)
    indices = x.data.argmax(axis=dim) if x.ndim else x.data.argmax()
    if keepdim and x.ndim:
        indices = get_array_module(indices).expand_dims(indices, dim)
    return MaxResult(values, Tensor(indices))


def var(x: Tensor, dim: Any = None, unbiased: bool = True, keepdim: bool = False) -> Tensor:
    """Variance over ``dim``; ``unbiased=True`` divides by n - 1 (Bessel), else by n."""
    return Var(normalize_dims(dim, check_tensor("var", x).ndim, "var"), int(unbiased), keepdim)(x)
