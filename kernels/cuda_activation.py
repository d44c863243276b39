"""LeakyReLU (and ReLU, its slope-0 case) as CUDA kernels (Numba-CUDA), one thread per value.

The third of the three ways, beside ``reference`` (NumPy) and ``cpu`` (Numba loops), tested
against the reference under Numba's CUDA simulator. Like ``cpu``'s, the kernels run over the
values in memory order and write the result in the input's layout (``layout``).
"""

from __future__ import annotations

from typing import Any

from numba import cuda

from tinygan.kernels.launch import launch
from tinygan.kernels.layout import dense, empty_like, flat, like


@cuda.jit
def _leaky_relu_kernel(x, slope, y):
    for k in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        v = x[k]
        y[k] = v if v > 0 else v * slope


@cuda.jit
def _leaky_relu_backward_kernel(g, sign, slope, gx):
    for k in range(cuda.grid(1), g.size, cuda.gridsize(1)):
        gx[k] = g[k] if sign[k] > 0 else g[k] * slope


def leaky_relu(x: Any, negative_slope: float) -> Any:
    """x where x > 0, negative_slope * x elsewhere, in x's layout."""
    x = dense(x)
    y = empty_like(x)
    launch(_leaky_relu_kernel, x.size, flat(x), x.dtype.type(negative_slope), flat(y))
    return y


def leaky_relu_backward(g: Any, sign: Any, negative_slope: float) -> Any:
    """g where ``sign`` > 0, negative_slope * g elsewhere, in the layout of ``sign``."""
    sign = dense(sign)
    g = like(g, sign)
    gx = empty_like(sign)
    launch(_leaky_relu_backward_kernel, g.size, flat(g), flat(sign), g.dtype.type(negative_slope), flat(gx))
    return gx
