"""Making tensors: from data, filled with constants, or random (PyTorch's names and defaults)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygan import backend, random
from tinygan.tensor import Tensor, _as_array, _shape_args

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


def _filled(fill: Any, shape: Any, dtype: Any, device: str, requires_grad: bool) -> Tensor:
    xp = backend.array_module(device)
    return Tensor(xp.full(_shape_args(shape), fill, dtype=dtype or np.float32), requires_grad=requires_grad)


def zeros(*shape: Any, dtype: Any = None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    return _filled(0, shape, dtype, device, requires_grad)


def ones(*shape: Any, dtype: Any = None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    return _filled(1, shape, dtype, device, requires_grad)


def full(shape: Any, fill_value: float, dtype: Any = None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    return _filled(fill_value, (shape,), dtype, device, requires_grad)


def zeros_like(x: Tensor, requires_grad: bool = False) -> Tensor:
    return _filled(0, x.shape, x.dtype, x.device, requires_grad)


def ones_like(x: Tensor, requires_grad: bool = False) -> Tensor:
    return _filled(1, x.shape, x.dtype, x.device, requires_grad)


def randn(*shape: Any, dtype: Any = None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """Standard normal samples from tinygan's seeded generator (see ``manual_seed``)."""
    data = random.random_array("normal", _shape_args(shape), dtype or np.float32, device)
    return Tensor(data, requires_grad=requires_grad)


def rand(*shape: Any, dtype: Any = None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """Uniform [0, 1) samples from tinygan's seeded generator."""
    data = random.random_array("uniform", _shape_args(shape), dtype or np.float32, device)
    return Tensor(data, requires_grad=requires_grad)
