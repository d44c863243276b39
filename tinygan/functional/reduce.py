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
from tinygan.tensor import Function, Tensor


def normalize_dims(dim: Any, ndim: int) -> tuple[int, ...]:
    """``dim`` (None, an int or a sequence, negatives allowed) as a sorted tuple of axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    for d in dims:
        if not -builtins.max(ndim, 1) <= d < builtins.max(ndim, 1):
            raise IndexError(f"dimension {d} is out of range for a tensor with {ndim} dimensions")
    return tuple(sorted({d % ndim for d in dims})) if ndim else ()


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
    return Sum(normalize_dims(dim, x.ndim), keepdim)(x)


def mean(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return Mean(normalize_dims(dim, x.ndim), keepdim)(x)


def amax(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    if x.numel() == 0:
        raise ValueError("max of an empty tensor is undefined")
    return Amax(normalize_dims(dim, x.ndim), keepdim)(x)


MaxResult = namedtuple("MaxResult", ["values", "indices"])


def max(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:  # noqa: A001
    """Like ``torch.max``: the largest value, or with ``dim`` a ``(values, indices)`` pair."""
    if dim is None:
        return amax(x)
    values = amax(x, dim, keepdim)
    indices = x.data.argmax(axis=dim)
    if keepdim:
        indices = get_array_module(indices).expand_dims(indices, dim)
    return MaxResult(values, Tensor(indices))


def var(x: Tensor, dim: Any = None, unbiased: bool = True, keepdim: bool = False) -> Tensor:
    """Variance over ``dim``; ``unbiased=True`` divides by n - 1 (Bessel), else by n."""
    return Var(normalize_dims(dim, x.ndim), int(unbiased), keepdim)(x)
