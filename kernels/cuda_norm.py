"""Batch normalisation as CUDA kernels (Numba-CUDA): per-channel statistics and a fused backward.

The third of the three ways: the same functions as ``reference`` (NumPy, the formulas) and
``cpu`` (Numba loops), tested against the reference under Numba's CUDA simulator.

Inputs are viewed as ``(N, C, M)``: M = H * W for images, 1 for BatchNorm1d on ``(N, C)``.
Every per-channel quantity is a sum over the m = N * M values of one channel, computed by
one block per channel: each thread adds up a strided share of the channel in a register,
then the block adds its threads' partial sums in shared memory by halving (a tree
reduction), and thread 0 writes the result.

Forward statistics. mean = S1 / m and the biased variance var = S2 / m - mean^2 from the
sums S1, S2 of x and x^2, accumulated in float64. Subtracting the channel's first value
before squaring keeps S2 / m - mean^2 from cancelling catastrophically when the mean is
large compared with the spread (the "shifted data" variance algorithm).

Fused backward. With x_hat = (x - mean) / sigma and y = w x_hat + b:

    db = sum(dy)      dw = sum(dy * x_hat)
    dx = (w / sigma) * (dy - db / m - x_hat * dw / m)

One reduction kernel computes db and dw in a single pass over x and dy (x_hat is recomputed
on the fly, never stored); one elementwise kernel then writes dx.
"""

from __future__ import annotations

from typing import Any

from numba import cuda, float64

from tinygan.backend import get_array_module
from tinygan.kernels.launch import THREADS_PER_BLOCK, launch


@cuda.jit(device=True)
def _block_sums(first, second, tid):
    """Tree reduction of two shared arrays of THREADS_PER_BLOCK partial sums, in place: the first
    half of the threads add in the second half, then a quarter, ...; first[0] and second[0]
    end up holding the block's totals (every thread must call this)."""
    cuda.syncthreads()
    half = THREADS_PER_BLOCK // 2
    while half > 0:
        if tid < half:
            first[tid] += first[tid + half]
            second[tid] += second[tid + half]
        cuda.syncthreads()
        half //= 2


@cuda.jit
def _stats_kernel(x, mean, var):
    N, C, M = x.shape
    c = cuda.blockIdx.x
    tid = cuda.threadIdx.x
    shift = x[0, c, 0]
    s1 = 0.0
    s2 = 0.0
    for k in range(tid, N * M, cuda.blockDim.x):
        d = x[k // M, c, k % M] - shift
        s1 += d
        s2 += d * d
    sums = cuda.shared.array(THREADS_PER_BLOCK, float64)
    squares = cuda.shared.array(THREADS_PER_BLOCK, float64)
    sums[tid] = s1
    squares[tid] = s2
    _block_sums(sums, squares, tid)
    if tid == 0:
        m = N * M
        shifted_mean = sums[0] / m
        mean[c] = shift + shifted_mean
        variance = squares[0] / m - shifted_mean * shifted_mean
        var[c] = variance if variance > 0.0 else 0.0  # rounding can leave a tiny negative


@cuda.jit
def _backward_sums_kernel(x, dy, mean, invstd, dw, db):
    N, C, M = x.shape
    c = cuda.blockIdx.x
    tid = cuda.threadIdx.x
    s_dy = 0.0
    s_dy_xhat = 0.0
    for k in range(tid, N * M, cuda.blockDim.x):
        n, j = k // M, k % M
        g = dy[n, c, j]
        s_dy += g
        s_dy_xhat += g * (x[n, c, j] - mean[c]) * invstd[c]
    sums = cuda.shared.array(THREADS_PER_BLOCK, float64)
    products = cuda.shared.array(THREADS_PER_BLOCK, float64)
    sums[tid] = s_dy
    products[tid] = s_dy_xhat
    _block_sums(sums, products, tid)
    if tid == 0:
        db[c] = sums[0]
        dw[c] = products[0]


@cuda.jit
def _backward_dx_kernel(x, dy, mean, invstd, weight, dw, db, dx):
    N, C, M = x.shape
    m = N * M
    for index in range(cuda.grid(1), dx.size, cuda.gridsize(1)):
        j = index % M
        c = (index // M) % C
        n = index // (M * C)
        x_hat = (x[n, c, j] - mean[c]) * invstd[c]
        dx[n, c, j] = weight[c] * invstd[c] * (dy[n, c, j] - db[c] / m - x_hat * dw[c] / m)


def _as_ncm(a: Any) -> Any:
    """View ``(N, C, *spatial)`` as contiguous ``(N, C, M)``: a copy where ``a`` is strided, as
    a convolution's channel-major output (batch-major view) and the gradient of one half of a
    channel concatenation are. Unlike ``cpu``'s kernels, these read one layout only."""
    return get_array_module(a).ascontiguousarray(a).reshape(a.shape[0], a.shape[1], -1)


def batch_norm_stats(x: Any) -> tuple[Any, Any]:
    """Per-channel mean and biased variance of ``x`` ``(N, C, *spatial)``, each of shape ``(C,)``."""
    x3 = _as_ncm(x)
    xp = get_array_module(x)
    mean = xp.empty(x3.shape[1], dtype=x.dtype)
    var = xp.empty(x3.shape[1], dtype=x.dtype)
    launch(_stats_kernel, x3.size, x3, mean, var, blocks=x3.shape[1])
    return mean, var


def batch_norm_backward(x: Any, dy: Any, mean: Any, invstd: Any, weight: Any) -> tuple[Any, Any, Any]:
    """Gradients ``(dx, dw, db)`` of training-mode batch norm ``y = w (x - mean) * invstd + b``.

    ``x``, ``dy``: ``(N, C, *spatial)``; ``mean``, ``invstd`` (1 / sigma), ``weight``: ``(C,)``.
    """
    x3, dy3 = _as_ncm(x), _as_ncm(dy)
    xp = get_array_module(x)
    C = x3.shape[1]
    dw = xp.empty(C, dtype=x.dtype)
    db = xp.empty(C, dtype=x.dtype)
    launch(_backward_sums_kernel, x3.size, x3, dy3, mean, invstd, dw, db, blocks=C)
    dx = xp.empty(x3.shape, dtype=x.dtype)
    launch(_backward_dx_kernel, dx.size, x3, dy3, mean, invstd, weight, dw, db, dx)
    return dx.reshape(x.shape), dw, db
