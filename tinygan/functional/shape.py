"""Ops that move values around without changing them: reshape, transpose, index, join, pad.

Their backward moves the gradient back the same way: reshape it back, transpose it back,
scatter it into the indexed places, split it, crop it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygan import _checks
from tinygan.backend import get_array_module
from tinygan.tensor import Function, Tensor, _as_array, check_tensor, wrap_dim


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
    """``x.transpose(dims)``; ``dims`` is a checked, non-negative permutation (see ``permute``)."""

    def __init__(self, dims: tuple[int, ...]) -> None:
        self.dims = dims

    def forward(self, x):
        return x.transpose(self.dims)

    def backward(self, g):
        return g.transpose(tuple(np.argsort(self.dims).tolist()))  # the inverse permutation; CuPy wants ints


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


def _ints(op: str, values: Any, name: str = "shape") -> tuple[int, ...]:
    """A tuple or list of ints (no bools) as a tuple, or a TypeError naming ``name``."""
    if not isinstance(values, (tuple, list)) or not all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in values
    ):
        raise TypeError(f"{op}: {name} must be a sequence of ints, got {values!r}")
    return tuple(int(n) for n in values)


def reshape(x: Tensor, shape: Sequence[int]) -> Tensor:
    return Reshape(_ints("reshape", shape))(check_tensor("reshape", x))


def flatten(x: Tensor, start_dim: int = 0) -> Tensor:
    """Merge dimensions ``start_dim`` and after into one (``torch.flatten`` with end_dim=-1)."""
    start = wrap_dim("flatten", start_dim, check_tensor("flatten", x).ndim)
    return reshape(x, x.shape[:start] + (-1,))


def permute(x: Tensor, dims: Sequence[int]) -> Tensor:
    check_tensor("permute", x)
    if not isinstance(dims, (tuple, list)):
        raise TypeError(f"permute: dims must be a sequence of ints, got {dims!r}")
    if len(dims) != x.ndim:
        raise ValueError(f"permute got {len(dims)} dims for a tensor with {x.ndim} dimensions")
    axes = tuple(wrap_dim("permute", d, x.ndim) for d in dims)
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"permute dims {tuple(dims)} are not a permutation of {x.ndim} dimensions")
    return Permute(axes)(x)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    ndim = check_tensor("transpose", x).ndim
    dim0, dim1 = wrap_dim("transpose", dim0, ndim), wrap_dim("transpose", dim1, ndim)
    if ndim == 0:
        return x
    dims = list(range(ndim))
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return Permute(tuple(dims))(x)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    ndim = check_tensor("unsqueeze", x).ndim
    dim = wrap_dim("unsqueeze", dim, ndim + 1, f"a tensor with {ndim} dimensions")
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


def squeeze(x: Tensor, dim: int | None = None) -> Tensor:
    check_tensor("squeeze", x)
    if dim is None:
        return reshape(x, tuple(n for n in x.shape if n != 1))
    dim = wrap_dim("squeeze", dim, x.ndim)
    if x.ndim == 0 or x.shape[dim] != 1:
        return x
    return reshape(x, x.shape[:dim] + x.shape[dim + 1 :])


def getitem(x: Tensor, index: Any) -> Tensor:
    check_tensor("getitem", x)
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return GetItem(index)(x)


def broadcast_to(x: Tensor, shape: Sequence[int]) -> Tensor:
    shape = _ints("broadcast_to", shape)
    # each of x's dims, matched from the right, must equal the target's or be 1
    if len(shape) < check_tensor("broadcast_to", x).ndim or any(
        n not in (1, m) for n, m in zip(x.shape[::-1], shape[::-1])
    ):
        raise ValueError(f"broadcast_to: cannot broadcast a tensor of shape {x.shape} to shape {shape}")
    return BroadcastTo(shape)(x)


def _check_join(op: str, tensors: Sequence[Tensor], dim: int, same_shape: bool) -> int:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (tuple, list)):
        raise TypeError(f"{op}(): argument 'tensors' must be a sequence of Tensors, not {type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{op} needs a non-empty sequence of tensors")
    for i, t in enumerate(tensors):
        check_tensor(op, t, f"tensors[{i}]")
    ndim = tensors[0].ndim
    for t in tensors:
        shapes = [tuple(t.shape) for t in tensors]
        if t.ndim != ndim:
            raise ValueError(f"{op}: all tensors need the same number of dimensions, got shapes {shapes}")
        if same_shape and t.shape != tensors[0].shape:
            raise ValueError(f"{op}: all tensors need the same shape, got {shapes}")
    rank = ndim + 1 if same_shape else ndim
    if rank == 0:
        raise ValueError(f"{op}: zero-dimensional tensors cannot be concatenated; use stack")
    dim = wrap_dim(op, dim, rank, f"stacking {ndim}-D tensors (the result has {rank})" if same_shape else None)
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
    check_tensor("pad", x)
    if mode != "constant":
        raise ValueError(f"pad mode {mode!r} is not supported; tinygan pads with a constant")
    pad = _ints("pad", pad, "pad")
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
    data = labels.data if isinstance(labels, Tensor) else _as_array(labels, what="one_hot")
    if isinstance(labels, (list, tuple, int)) and data.dtype == np.float32:  # _as_array makes lists float32
        data = np.asarray(labels)
    xp = get_array_module(data)
    if data.dtype.kind == "f":  # whole numbers stored as floats are fine; 2.5 is not a class label
        fractional = ~xp.isfinite(data) | (data != xp.round(data))
        if bool(fractional.any()):
            raise TypeError(
                f"one_hot needs integer class labels, got dtype {data.dtype} with non-integer values such as "
                f"{data[fractional].ravel()[0].item()}"
            )
    elif data.dtype.kind not in "iu":
        raise TypeError(f"one_hot needs integer class labels, got dtype {data.dtype}")
    data = data.astype(np.int64)
    _checks.integer("one_hot", "num_classes", num_classes, minimum=None)
    if not data.size and num_classes < 0:
        raise ValueError("one_hot of no labels needs num_classes")
    if num_classes < 0:
        num_classes = int(data.max()) + 1
    if data.size and (data.min() < 0 or data.max() >= num_classes):
        raise ValueError(f"one_hot labels must lie in [0, {num_classes}), got range [{data.min()}, {data.max()}]")
    flat = data.reshape(-1)
    out = xp.zeros((flat.size, num_classes), dtype=np.float32)
    out[xp.arange(flat.size), flat] = 1  # not eye(num_classes)[data]: that is num_classes squared
    return Tensor(out.reshape(data.shape + (num_classes,)))
