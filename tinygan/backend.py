"""The device switch: NumPy arrays on the CPU, CuPy arrays on a CUDA GPU.

Every op body asks ``get_array_module(array)`` for its ``xp`` and writes ``xp.exp``,
``xp.matmul`` and so on, so one body serves both devices. CuPy is optional: tinygan imports
and runs without it, and only asking for ``"cuda"`` needs it.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

try:  # the GPU backend is an optional extra: pip install "tinygan[cuda]"
    import cupy as _cupy
except ImportError:  # pragma: no cover - depends on the machine
    _cupy = None

DEVICES = ("cpu", "cuda")


def cuda_is_available() -> bool:
    """True when CuPy is installed and sees at least one CUDA device."""
    if _cupy is None:
        return False
    try:
        return _cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # CuPy installed but no driver/GPU
        return False


def get_array_module(*arrays: Any) -> ModuleType:
    """``cupy`` if any argument is a CuPy array, else ``numpy`` (like ``cupy.get_array_module``)."""
    if _cupy is not None:
        for a in arrays:
            if isinstance(a, _cupy.ndarray):
                return _cupy
    return np


def device_of(array: Any) -> str:
    """``"cuda"`` for a CuPy array, ``"cpu"`` otherwise."""
    return "cuda" if get_array_module(array) is not np else "cpu"


def check_device(device: str) -> str:
    """Validate a device name (``"cpu"``, ``"cuda"``, ``"cuda:0"``) and return its kind."""
    kind = str(device).split(":")[0]
    if kind not in DEVICES:
        raise ValueError(f"unknown device {device!r}; expected one of {DEVICES}")
    if kind == "cuda" and not cuda_is_available():
        reason = "CuPy is not installed" if _cupy is None else "no CUDA GPU is visible to CuPy"
        raise RuntimeError(
            f"device 'cuda' was requested but {reason}; "
            'install the GPU extra with pip install "tinygan[cuda]" on a machine with a GPU'
        )
    return kind


def array_module(device: str) -> ModuleType:
    """The array module that holds arrays on ``device``."""
    return _cupy if check_device(device) == "cuda" else np


def to_device(array: Any, device: str) -> Any:
    """Copy ``array`` to ``device`` (no copy when it is already there)."""
    kind = check_device(device)
    if kind == device_of(array):
        return array
    if kind == "cuda":
        return _cupy.asarray(array)
    return _cupy.asnumpy(array)
