"""The kernels behind convolution, batch norm and LeakyReLU, each written three ways with one signature.

This folder sits at the top of the repository and installs as ``tinygan.kernels`` (the
``package-dir`` mapping in pyproject.toml). Read it in this order:

1. ``reference``: plain NumPy, a few lines per kernel: im2col and col2im as a loop over the
   kernel window of strided slices (as Chainer's ``im2col_cpu``), the batch-norm statistics and
   backward as their formulas (as DeZero's). The math, and what the tests hold the other two
   against.
2. ``cpu``: the same functions as Numba ``@njit`` loops on NumPy arrays, what the CPU runs
   (no temporaries, one pass through memory; the layouts and why are documented there).
3. ``cuda_conv``, ``cuda_norm``, ``cuda_activation``: the same functions as Numba-CUDA kernels
   on CuPy arrays, what a GPU runs (``launch`` puts them on CuPy's stream). Under Numba's CUDA simulator
   (``NUMBA_ENABLE_CUDASIM=1``) they run on NumPy arrays, which is how CI tests them.

The functions, in each of the three (``KERNEL_NAMES``):

- ``im2col(img, kernel_size, stride, padding, dilation)``: channel-major images ``(C, N, H, W)``
  -> columns ``(C, KH, KW, N, OH, OW)``, ``cols[c, i, j, n, oy, ox] = img[c, n, oy*sh - ph + i*dh,
  ox*sw - pw + j*dw]`` (0 outside the image);
- ``col2im(cols, image_size, stride, padding, dilation, out=None)``: its adjoint, columns ->
  images ``(C, N, *image_size)`` (into ``out`` if given), every pixel the sum of the column
  entries copied from it;
- ``batch_norm_stats(x)``: per-channel mean and biased variance of ``x`` ``(N, C, *spatial)``;
- ``batch_norm_backward(x, dy, mean, invstd, weight)``: training-mode batch norm's ``(dx, dw, db)``;
- ``leaky_relu(x, negative_slope)``: x where x > 0, negative_slope * x elsewhere (ReLU: slope 0);
- ``leaky_relu_backward(g, sign, negative_slope)``: g where sign > 0, negative_slope * g elsewhere.

An op asks ``for_array(x)`` for the set that matches its input's device, so one op body
serves both. The modules are imported on first use: importing tinygan compiles and loads no
kernel.
"""

from __future__ import annotations

import functools
from types import ModuleType, SimpleNamespace
from typing import Any

from tinygan.backend import device_of

KERNEL_NAMES = ("im2col", "col2im", "batch_norm_stats", "batch_norm_backward", "leaky_relu", "leaky_relu_backward")
# what the kernels are compiled and tested for; the ops that call them refuse anything else
SUPPORTED_DTYPES = ("float32", "float64")


def check_dtype(op: str, name: str, dtype: Any) -> None:
    """Raise a TypeError naming ``op``, its argument ``name`` and ``dtype`` unless the kernels support it."""
    if str(dtype) not in SUPPORTED_DTYPES:
        raise TypeError(
            f"{op}: {name} has dtype {dtype}, but only float32 and float64 are supported "
            "(convert it with .float() or .double())"
        )


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length of a convolution along one axis: floor((size + 2p - d(k - 1) - 1) / s) + 1.

    The one place this formula lives: the kernels size their columns with it, and
    ``tinygan.functional.conv`` re-exports it for users.
    """
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1


@functools.cache
def _cpu() -> ModuleType:
    from tinygan.kernels import cpu

    return cpu


@functools.cache
def _cuda() -> SimpleNamespace:
    from tinygan.kernels import cuda_activation, cuda_conv, cuda_norm

    return SimpleNamespace(
        im2col=cuda_conv.im2col,
        col2im=cuda_conv.col2im,
        batch_norm_stats=cuda_norm.batch_norm_stats,
        batch_norm_backward=cuda_norm.batch_norm_backward,
        leaky_relu=cuda_activation.leaky_relu,
        leaky_relu_backward=cuda_activation.leaky_relu_backward,
    )


def for_array(array: Any) -> Any:
    """The kernel set for ``array``'s device (an object with the functions in ``KERNEL_NAMES``)."""
    return _cpu() if device_of(array) == "cpu" else _cuda()
