"""CPU kernels, compiled by Numba: im2col / col2im for convolution, per-channel batch-norm sums.

The second of the three ways (see the package docstring): ``reference`` says the same in a
few lines of NumPy, and the tests hold these loops to it. The loops do what NumPy cannot
without temporaries or slow strided iteration. Each public function takes arrays and returns
new arrays; ``cuda_conv`` and ``cuda_norm`` mirror them for CuPy with the same signatures
and layouts.

Layouts
-------
The convolution kernels work on *channel-major* images ``(C, N, H, W)``: the batch is just
more pictures of each channel. ``im2col`` turns such images into ``cols`` of shape
``(C, KH, KW, N, OH, OW)``:

    cols[c, i, j, n, oy, ox] = img[c, n, oy * sh - ph + i * dh, ox * sw - pw + j * dw]   (0 outside img)

Read as a matrix, ``cols`` is ``(C*KH*KW, N*OH*OW)`` (a free reshape): one row per weight
position (c, i, j), one column per output pixel of the whole batch. So a convolution of the
whole batch is one GEMM, ``W.reshape(OC, C*KH*KW) @ cols``, whose result ``(OC, N*OH*OW)`` is
again a channel-major image; the weight gradient is one GEMM, ``dY (OC, N*OH*OW) @ cols.T``
(BLAS reads ``cols`` transposed in place). ``col2im`` is the adjoint of ``im2col``: it adds
every column entry back onto the pixel it was copied from.

Why this layout (all measured on the DCGAN layer shapes):

- Per-sample columns ``(N, C*KH*KW, OH*OW)`` would make the forward N small GEMMs: a 4x4
  output gives GEMMs 16 columns wide, which took 1.6x as long as the one whole-batch GEMM
  at DCGAN's 4x4 layers. The weight gradient would be a sum of N GEMMs, or need a
  transposed copy of ``cols``, the largest array of the layer.
- Channel-major images make every kernel stream through memory: channel c of the image is
  one contiguous block, and so is row block c of ``cols``. With ``(N, C, H, W)`` images the
  same loops jump between N planes 2^k bytes apart, which all land in the same cache sets;
  that made im2col and col2im 1.4-6x slower.
- The price is one transposing copy of the layer's input and output at the GEMM boundary,
  ``(N, C, H, W) <-> (C, N, H, W)``: activation-sized, KH*KW/(sh*sw) times smaller than
  ``cols``.

Batch norm views its input ``(N, C, *spatial)`` as ``(N, C, M)`` and reduces each channel
over its N * M values, accumulating in float64.

Performance notes
-----------------
Inner-loop indices are unsigned (``np.uint64``): Numba then skips the negative-index
wraparound test, which made these copy loops up to 2x slower. Every index computed is
non-negative (the loops start at the first output whose window reaches the image); one past
the end belongs to an empty range and is never read. The loops run on one thread: the GEMMs
around them, the bulk of the work, already use every core through BLAS, and Numba's
``parallel=True`` measured slower on the shared 2-core machine (a parallel region waits for
its slowest thread, and any thread that the OS parks stalls it) while more than doubling the
compile time. Sample groups on Python threads, each with a one-thread GEMM, were 42% slower
beside two-thread GEMMs elsewhere, whose idle OpenBLAS thread spin-waits for about 0.1 s
after each. Only with NumPy's BLAS held at one thread for the whole process, which is not a
library's call, did they gain, and then at most 10%, within noise (BENCHMARKS.md). Only
float32 and float64 are used, so each kernel compiles twice, once per dtype; ``cache=True``
keeps the machine code on disk between runs.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tinygan.kernels import conv_output_size


@njit(cache=True, inline="always")
def _valid_outputs(offset: int, stride: int, in_size: int, out_size: int) -> tuple[int, int]:
    """The range [lo, hi) of output positions o whose input position o * stride + offset is in [0, in_size)."""
    lo = max(0, -(offset // stride))  # ceil(-offset / stride)
    hi = min(out_size, -((offset - in_size) // stride))  # ceil((in_size - offset) / stride)
    return lo, max(lo, hi)


@njit(cache=True)
def _im2col(img, cols, sh, sw, ph, pw, dh, dw):
    C, N, H, W = img.shape
    _, KH, KW, _, OH, OW = cols.shape
    source, target = img.reshape(-1), cols.reshape(-1)
    step = np.uint64(sw)
    for row in range(C * KH * KW):  # one row of the cols matrix: weight position (c, i, j)
        c, i, j = row // (KH * KW), (row // KW) % KH, row % KW
        y0, y1 = _valid_outputs(i * dh - ph, sh, H, OH)  # output rows whose kernel row i hits the image
        x0, x1 = _valid_outputs(j * dw - pw, sw, W, OW)
        for n in range(N):
            for oy in range(OH):
                out = np.uint64(((row * N + n) * OH + oy) * OW)
                if oy < y0 or oy >= y1:  # kernel row i lies in the padding for this output row
                    for ox in range(np.uint64(OW)):
                        target[out + ox] = 0
                    continue
                for ox in range(np.uint64(x0)):  # left padding
                    target[out + ox] = 0
                # the first pixel that output (oy, x0) reads, then every sw-th pixel of that image row
                src = np.uint64(((c * N + n) * H + oy * sh - ph + i * dh) * W + x0 * sw - pw + j * dw)
                dst = out + np.uint64(x0)
                for k in range(np.uint64(x1 - x0)):
                    target[dst + k] = source[src + k * step]
                for ox in range(np.uint64(x1), np.uint64(OW)):  # right padding
                    target[out + ox] = 0


@njit(cache=True)
def _im2col_stride2(img, cols, sh, ph, pw, dh, dw):
    """``_im2col`` for a horizontal stride of 2 (the stride of every strided layer in the GANs).
    Their output rows are short (8 wide in DCGAN's middle layers), and per row the tests for the
    padding cost as much as the copy. So each row of cols that meets the padding is zeroed in
    one streaming pass first, and only the rectangle of outputs on the image is copied over it,
    with a constant stride that LLVM vectorises: 1.2-1.8x faster than ``_im2col`` on the DCGAN
    and Pix2Pix shapes. At stride 1, where the rows are long, zeroing first and then copying
    measured 1.3-1.7x slower than ``_im2col``, which stays for every other stride."""
    C, N, H, W = img.shape
    _, KH, KW, _, OH, OW = cols.shape
    source, target = img.reshape(-1), cols.reshape(-1)
    two = np.uint64(2)
    for row in range(C * KH * KW):
        c, i, j = row // (KH * KW), (row // KW) % KH, row % KW
        y0, y1 = _valid_outputs(i * dh - ph, sh, H, OH)  # the rectangle of outputs whose window
        x0, x1 = _valid_outputs(j * dw - pw, 2, W, OW)  # puts kernel position (i, j) on the image
        start = np.uint64(row * N * OH * OW)
        if y0 > 0 or y1 < OH or x0 > 0 or x1 < OW:
            for k in range(np.uint64(N * OH * OW)):
                target[start + k] = 0
        width = np.uint64(x1 - x0)
        for n in range(N):
            # output (y0, x0) reads this pixel; each later output row reads sh image rows further down
            first = np.uint64(((c * N + n) * H + y0 * sh - ph + i * dh) * W + x0 * 2 - pw + j * dw)
            for oy in range(np.uint64(y1 - y0)):
                src = first + oy * np.uint64(sh * W)
                dst = start + np.uint64((n * OH + y0) * OW + x0) + oy * np.uint64(OW)
                for k in range(width):
                    target[dst + k] = source[src + k * two]


@njit(cache=True)
def _col2im(cols, img, sh, sw, ph, pw, dh, dw):
    C, N, H, W = img.shape
    _, KH, KW, _, OH, OW = cols.shape
    source, target = cols.reshape(-1), img.reshape(-1)
    step = np.uint64(sw)
    two = np.uint64(2)
    for c in range(C):  # channel c of the image receives rows (c, i, j) of cols: add them while it is in cache
        target[c * N * H * W : (c + 1) * N * H * W] = 0
        for i in range(KH):
            y0, y1 = _valid_outputs(i * dh - ph, sh, H, OH)
            for j in range(KW):
                x0, x1 = _valid_outputs(j * dw - pw, sw, W, OW)
                row = (c * KH + i) * KW + j
                for n in range(N):
                    for oy in range(y0, y1):
                        src = np.uint64(((row * N + n) * OH + oy) * OW + x0)
                        dst = np.uint64(((c * N + n) * H + oy * sh - ph + i * dh) * W + x0 * sw - pw + j * dw)
                        if sw == 2:  # the GANs' stride: a constant stride lets LLVM vectorise the adds (20-45% faster)
                            for k in range(np.uint64(x1 - x0)):
                                target[dst + k * two] += source[src + k]
                        else:
                            for k in range(np.uint64(x1 - x0)):
                                target[dst + k * step] += source[src + k]


def im2col(
    img: np.ndarray,
    kernel_size: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    dilation: tuple[int, int],
) -> np.ndarray:
    """Columns ``(C, KH, KW, N, OH, OW)`` of channel-major images ``img`` ``(C, N, H, W)``.

    OH = (H + 2 ph - dh (KH - 1) - 1) // sh + 1, and likewise OW; the caller checks OH, OW >= 1.
    """
    C, N, H, W = img.shape
    OH = conv_output_size(H, kernel_size[0], stride[0], padding[0], dilation[0])
    OW = conv_output_size(W, kernel_size[1], stride[1], padding[1], dilation[1])
    cols = np.empty((C, *kernel_size, N, OH, OW), dtype=img.dtype)
    img = np.ascontiguousarray(img)
    if stride[1] == 2:
        _im2col_stride2(img, cols, stride[0], *padding, *dilation)
    else:
        _im2col(img, cols, *stride, *padding, *dilation)
    return cols


def col2im(
    cols: np.ndarray,
    image_size: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    dilation: tuple[int, int],
) -> np.ndarray:
    """Channel-major images ``(C, N, H, W)``, ``image_size = (H, W)``, each pixel the sum of the
    entries of ``cols`` ``(C, KH, KW, N, OH, OW)`` copied from it by ``im2col`` (its adjoint)."""
    C, _, _, N, _, _ = cols.shape
    img = np.empty((C, N, *image_size), dtype=cols.dtype)
    _col2im(np.ascontiguousarray(cols), img, *stride, *padding, *dilation)
    return img


# ----------------------------------------------------------------------------- batch norm

# Let LLVM reassociate the per-channel sums, so that it can keep several partial sums in
# vector registers instead of waiting on one scalar add per element (4x faster statistics). Unlike
# fastmath=True this keeps NaN and inf semantics: a NaN in the input still shows in the output.
_REORDER_SUMS = {"reassoc", "contract"}


@njit(cache=True, fastmath=_REORDER_SUMS)
def _batch_norm_stats(x, mean, var):
    N, C, M = x.shape
    count = N * M
    for c in range(C):
        # two passes over the channel: the squares are summed around the mean itself, so
        # nothing cancels (one pass of sum and sum of squares loses digits when mean >> std)
        total = 0.0
        for n in range(N):
            for k in range(M):
                total += x[n, c, k]
        mu = total / count
        squares = 0.0
        for n in range(N):
            for k in range(M):
                d = x[n, c, k] - mu
                squares += d * d
        mean[c] = mu
        var[c] = squares / count


@njit(cache=True, fastmath=_REORDER_SUMS)
def _batch_norm_backward(x, dy, mean, invstd, weight, dx, dw, db):
    N, C, M = x.shape
    count = N * M
    for c in range(C):
        mu, s = mean[c], invstd[c]
        sum_dy = 0.0
        sum_dy_xhat = 0.0
        for n in range(N):
            for k in range(M):
                g = dy[n, c, k]
                sum_dy += g
                sum_dy_xhat += g * (x[n, c, k] - mu) * s
        db[c] = sum_dy
        dw[c] = sum_dy_xhat
        # dx = (w / sigma) (dy - mean(dy) - x_hat mean(dy x_hat)); x_hat is recomputed, never stored
        scale = weight[c] * s
        mean_dy = sum_dy / count
        mean_dy_xhat = sum_dy_xhat / count
        for n in range(N):
            for k in range(M):
                x_hat = (x[n, c, k] - mu) * s
                dx[n, c, k] = scale * (dy[n, c, k] - mean_dy - x_hat * mean_dy_xhat)


def _as_ncm(a: np.ndarray) -> np.ndarray:
    """View ``(N, C, *spatial)`` as ``(N, C, M)``."""
    return np.ascontiguousarray(a).reshape(a.shape[0], a.shape[1], -1)


def batch_norm_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and biased variance of ``x`` ``(N, C, *spatial)``, each of shape ``(C,)``."""
    C = x.shape[1]
    mean = np.empty(C, dtype=x.dtype)
    var = np.empty(C, dtype=x.dtype)
    _batch_norm_stats(_as_ncm(x), mean, var)
    return mean, var


def batch_norm_backward(
    x: np.ndarray, dy: np.ndarray, mean: np.ndarray, invstd: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients ``(dx, dw, db)`` of training-mode batch norm ``y = w (x - mean) * invstd + b``.

    ``x``, ``dy``: ``(N, C, *spatial)``; ``mean``, ``invstd`` (1 / sigma), ``weight``: ``(C,)``.
    """
    C = x.shape[1]
    dx = np.empty(x.shape, dtype=x.dtype)
    dw = np.empty(C, dtype=x.dtype)
    db = np.empty(C, dtype=x.dtype)
    _batch_norm_backward(_as_ncm(x), _as_ncm(dy), mean, invstd, weight, _as_ncm(dx), dw, db)
    return dx, dw, db
