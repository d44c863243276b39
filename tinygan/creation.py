"""Making tensors: from data, filled with constants, or random (PyTorch's names and defaults)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygan import _checks, backend, random
from tinygan.tensor import Tensor, _as_array, _shape_args, check_tensor, numeric_dtype

float32 = np.float32
float64 = np.float64


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, device: str = "cpu") -> Tensor:
    """A new tensor holding a copy of ``data``.

    NumPy arrays keep their dtype (as ``torch.tensor`` does); Python numbers and lists
    become float32. Differs from PyTorch: integer lists also become float32.
    """
    array = _as_array(data, dtype)
    xp = backend.array_module(device)
    array = xp.array(array, copy=True) if xp is backend.get_array_module(array) else backend.to_device(array, device)
    return Tensor(array, requires_grad=requires_grad)


def _size(op: str, shape: Any) -> tuple[int, ...]:
    """``zeros(2, 3)`` and ``zeros((2, 3))`` alike: a tuple of ints >= 0, or a clear error."""
    size = _shape_args(shape)
    for n in size:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"{op}(): size must be ints, got {type(n).__name__} {n!r} in {size}")
        if n < 0:
            raise ValueError(f"{op}(): size must be non-negative, got {size}")
    return tuple(int(n) for n in size)


def _dtype(op: str, dtype: Any) -> np.dtype:
    return numeric_dtype(f"{op}()", dtype or np.float32)


def _filled(fill: Any, shape: Any, dtype: Any, device: str, requires_grad: bool, op: str = "full") -> Tensor:
    _checks.number_like(f"{op}()", "fill_value", fill)
    xp = backend.array_module(device)
    return Tensor(xp.full(_size(op, shape), fill, dtype=_dtype(op, dtype)), requires_grad=requires_grad)


def zeros(*shape: Any, dtype: Any = None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    return _filled(0, shape, dtype, device, requires_grad, "zeros")


def ones(*shape: Any, dtype: Any = None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    return _filled(1, shape, dtype, device, requires_grad, "ones")


def full(shape: Any, fill_value: float, dtype: Any = None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    return _filled(fill_value, (shape,), dtype, device, requires_grad)


def zeros_like(x: Tensor, requires_grad: bool = False) -> Tensor:
    check_tensor("zeros_like", x)
    return _filled(0, x.shape, x.dtype, x.device, requires_grad, "zeros_like")


def ones_like(x: Tensor, requires_grad: bool = False) -> Tensor:
    check_tensor("ones_like", x)
    return _filled(1, x.shape, x.dtype, x.device, requires_grad, "ones_like")


def randn(*shape: Any, dtype: Any = None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """Standard normal samples from tinygan's seeded generator (see ``manual_seed``)."""
    dtype = _dtype("randn", dtype)
    if dtype.kind != "f":
        raise TypeError(f"randn(): samples of a normal distribution need a floating-point dtype, got {dtype}")
    data = random.random_array("normal", _size("randn", shape), dtype, device)
    return Tensor(data, requires_grad=requires_grad)


def rand(*shape: Any, dtype: Any = None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """Uniform [0, 1) samples from tinygan's seeded generator."""
    dtype = _dtype("rand", dtype)
    if dtype.kind != "f":
        raise TypeError(f"rand(): uniform samples in [0, 1) need a floating-point dtype, got {dtype}")
    data = random.random_array("uniform", _size("rand", shape), dtype, device)
    return Tensor(data, requires_grad=requires_grad)
