"""The kernels behind convolution and batch norm, one set per device.

- ``tinygan.kernels.cpu``: Numba ``@njit`` loops on NumPy arrays.
- ``tinygan.kernels.cuda_conv`` and ``cuda_norm``: Numba-CUDA kernels on CuPy arrays.

Both sets offer the same functions with the same signatures and array layouts (documented
in ``cpu``): ``im2col``, ``col2im``, ``batch_norm_stats``, ``batch_norm_backward``. An op
asks ``for_array(x)`` for the set that matches its input's device, so one op body serves
both. The modules are imported on first use: importing tinygan does not compile or load
any kernel.
"""

from __future__ import annotations

import functools
from types import ModuleType, SimpleNamespace
from typing import Any

from tinygan.backend import device_of

KERNEL_NAMES = ("im2col", "col2im", "batch_norm_stats", "batch_norm_backward")


@functools.cache
def _cpu() -> ModuleType:
    from tinygan.kernels import cpu

    return cpu


@functools.cache
def _cuda() -> SimpleNamespace:
    from tinygan.kernels import cuda_conv, cuda_norm

    return SimpleNamespace(
        im2col=cuda_conv.im2col,
        col2im=cuda_conv.col2im,
        batch_norm_stats=cuda_norm.batch_norm_stats,
        batch_norm_backward=cuda_norm.batch_norm_backward,
    )


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length of a convolution along one axis: floor((size + 2p - d(k - 1) - 1) / s) + 1.

    The one place this formula lives: the kernels size their columns with it, and
    ``tinygan.functional.conv`` re-exports it for users.
    """
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1


def for_array(array: Any) -> Any:
    """The kernel set for ``array``'s device (an object with the functions in ``KERNEL_NAMES``)."""
    return _cpu() if device_of(array) == "cpu" else _cuda()
