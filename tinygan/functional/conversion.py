"""Moving a tensor between devices and dtypes, differentiably (the gradient moves back)."""

from __future__ import annotations

from typing import Any

from tinygan import backend
from tinygan.tensor import Function, Tensor, check_tensor, numeric_dtype


class ToDevice(Function):
    def __init__(self, device: str) -> None:
        self.device = device

    def forward(self, x):
        self.source = backend.device_of(x)
        return backend.to_device(x, self.device)

    def backward(self, g):
        return backend.to_device(g, self.source)


class Cast(Function):
    def __init__(self, dtype: Any) -> None:
        self.dtype = dtype

    def forward(self, x):
        self.source = x.dtype
        return x.astype(self.dtype, copy=False)

    def backward(self, g):
        return g.astype(self.source, copy=False)


def to_device(x: Tensor, device: str) -> Tensor:
    check_tensor("to_device", x)
    backend.check_device(device)
    return x if x.device == backend.check_device(device) else ToDevice(device)(x)


def cast(x: Tensor, dtype: Any) -> Tensor:
    check_tensor("cast", x)
    dtype = numeric_dtype("cast", dtype)
    return x if x.dtype == dtype else Cast(dtype)(x)
