"""Ops that move values around without changing them: reshape, transpose, index, join, pad.

Their backward moves the gradient back the same way: reshape it back, transpose it back,
scatter it into the indexed places, split it, crop it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygan.backend import get_array_module
from tinygan.tensor import Function, Tensor


def unbroadcast(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``grad`` over the dimensions that broadcasting added or stretched to reach ``shape``."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    stretched = tuple(i + extra for i, n in enumerate(shape) if n == 1 and grad.shape[i + extra] != 1)
    grad = grad.sum(axis=tuple(range(extra)) + stretched, keepdims=True)
    return grad.reshape(shape)


class Reshape(Function):
    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x):
        self.input_shape = x.shape
        try:
            return x.reshape(self.shape)
        except ValueError:
            raise ValueError(f"cannot reshape a tensor of shape {x.shape} to {self.shape}") from None

    def backward(self, g):
        return g.reshape(self.input_shape)


class Permute(Function):
    def __init__(self, dims: tuple[int, ...]) -> None:
        self.dims = dims

    def forward(self, x):
        if sorted(d % max(x.ndim, 1) for d in self.dims) != list(range(x.ndim)):
            raise ValueError(f"permute dims {self.dims} are not a permutation of {x.ndim} dimensions")
        return x.transpose(self.dims)

    def backward(self, g):
        return g.transpose(tuple(np.argsort([d % g.ndim for d in self.dims]).tolist()))  # CuPy wants ints


class GetItem(Function):
    """``x[index]``; backward scatters the gradient into a zero array (adding repeats)."""

    def __init__(self, index: Any) -> None:
        self.index = index

    def forward(self, x):
        self.input_shape, self.dtype = x.shape, x.dtype
        return x[self.index]

    def backward(self, g):
        xp = get_array_module(g)
        grad = xp.zeros(self.input_shape, dtype=g.dtype)
        if _is_basic_index(self.index):
            grad[self.index] = g  # each element picked at most once
        else:
            xp.add.at(grad, self.index, g)  # integer-array indices may pick one element twice
        return grad


def _is_basic_index(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)


class Cat(Function):
    def __init__(self, dim: int) -> None:
        self.dim = dim

    def forward(self, *xs):
        xp = get_array_module(*xs)
        self.sizes = [x.shape[self.dim] for x in xs]
        return xp.concatenate(xs, axis=self.dim)

    def backward(self, g):
        xp = get_array_module(g)
        return tuple(xp.split(g, np.cumsum(self.sizes)[:-1].tolist(), axis=self.dim))


class Stack(Function):
    def __init__(self, dim: int) -> None:
        self.dim = dim

    def forward(self, *xs):
        return get_array_module(*xs).stack(xs, axis=self.dim)

    def backward(self, g):
        xp = get_array_module(g)
        return tuple(xp.take(g, i, axis=self.dim) for i in range(g.shape[self.dim]))


class BroadcastTo(Function):
    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x):
        self.input_shape = x.shape
        return get_array_module(x).broadcast_to(x, self.shape)

    def backward(self, g):
        return unbroadcast(g, self.input_shape)


class Pad(Function):
    def __init__(self, widths: tuple[tuple[int, int], ...], value: float) -> None:
        self.widths, self.value = widths, value

    def forward(self, x):
        return get_array_module(x).pad(x, self.widths, constant_values=self.value)

    def backward(self, g):
        return g[tuple(slice(lo, g.shape[i] - hi) for i, (lo, hi) in enumerate(self.widths))]


def reshape(x: Tensor, shape: Sequence[int]) -> Tensor:
    return Reshape(tuple(shape))(x)


def flatten(x: Tensor, start_dim: int = 0) -> Tensor:
    """Merge dimensions ``start_dim`` and after into one (``torch.flatten`` with end_dim=-1)."""
    start = start_dim % max(x.ndim, 1)
    return reshape(x, x.shape[:start] + (-1,))


def permute(x: Tensor, dims: Sequence[int]) -> Tensor:
    if len(dims) != x.ndim:
        raise ValueError(f"permute got {len(dims)} dims for a tensor with {x.ndim} dimensions")
    return Permute(tuple(dims))(x)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    dims = list(range(x.ndim))
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return Permute(tuple(dims))(x)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    dim = dim % (x.ndim + 1)
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


def squeeze(x: Tensor, dim: int | None = None) -> Tensor:
    if dim is None:
        return reshape(x, tuple(n for n in x.shape if n != 1))
    dim = dim % max(x.ndim, 1)
    if x.shape[dim] != 1:
        return x
    return reshape(x, x.shape[:dim] + x.shape[dim + 1 :])


def getitem(x: Tensor, index: Any) -> Tensor:
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return GetItem(index)(x)


def broadcast_to(x: Tensor, shape: Sequence[int]) -> Tensor:
    shape = tuple(shape)
    # each of x's dims, matched from the right, must equal the target's or be 1
    if len(shape) < x.ndim or any(n not in (1, m) for n, m in zip(x.shape[::-1], shape[::-1])):
        raise ValueError(f"broadcast_to: cannot broadcast a tensor of shape {x.shape} to shape {shape}")
    return BroadcastTo(shape)(x)


def _check_join(op: str, tensors: Sequence[Tensor], dim: int, same_shape: bool) -> int:
    if not tensors:
        raise ValueError(f"{op} needs a non-empty sequence of tensors")
    ndim = tensors[0].ndim
    for t in tensors:
        shapes = [tuple(t.shape) for t in tensors]
        if t.ndim != ndim:
            raise ValueError(f"{op}: all tensors need the same number of dimensions, got shapes {shapes}")
        if same_shape and t.shape != tensors[0].shape:
            raise ValueError(f"{op}: all tensors need the same shape, got {shapes}")
    rank = ndim + 1 if same_shape else ndim
    if not -rank <= dim < rank:
        raise IndexError(f"{op}: dim {dim} is out of range for {rank} dimensions")
    dim %= rank
    if not same_shape:
        for t in tensors:
            if t.shape[:dim] + t.shape[dim + 1 :] != tensors[0].shape[:dim] + tensors[0].shape[dim + 1 :]:
                shapes = [tuple(t.shape) for t in tensors]
                raise ValueError(f"cat: shapes {shapes} differ outside dimension {dim}")
    return dim


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension."""
    return Cat(_check_join("cat", tensors, dim, same_shape=False))(*tensors)


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dimension."""
    return Stack(_check_join("stack", tensors, dim, same_shape=True))(*tensors)


def pad(x: Tensor, pad: Sequence[int], mode: str = "constant", value: float = 0.0) -> Tensor:
    """Pad with a constant, PyTorch style: ``pad`` lists (before, after) pairs starting from the
    last dimension, so ``(1, 1, 2, 2)`` pads the last dimension by 1 and the one before by 2."""
    if mode != "constant":
        raise ValueError(f"pad mode {mode!r} is not supported; tinygan pads with a constant")
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad needs pairs for at most {x.ndim} dimensions, got {tuple(pad)}")
    if any(p < 0 for p in pad):
        raise ValueError(f"pad widths must be non-negative, got {tuple(pad)}")
    pairs = [(pad[i], pad[i + 1]) for i in range(0, len(pad), 2)]
    widths = [(0, 0)] * (x.ndim - len(pairs)) + pairs[::-1]
    return Pad(tuple(widths), value)(x)


def one_hot(labels: Any, num_classes: int = -1) -> Tensor:
    """Integer labels (any shape) as one-hot vectors in a new last dimension.

    Differs from PyTorch: the result is float32 (ready to feed a network as a condition), not int64.
    """
    data = labels.data if isinstance(labels, Tensor) else np.asarray(labels)
    xp = get_array_module(data)
    if data.dtype.kind not in "iu" and not (data.dtype.kind == "f" and (data == data.astype(np.int64)).all()):
        raise TypeError(f"one_hot needs integer class labels, got dtype {data.dtype}")
    data = data.astype(np.int64)
    if num_classes < 0:
        num_classes = int(data.max()) + 1
    if data.size and (data.min() < 0 or data.max() >= num_classes):
        raise ValueError(f"one_hot labels must lie in [0, {num_classes}), got range [{data.min()}, {data.max()}]")
    return Tensor(xp.eye(num_classes, dtype=np.float32)[data])
