"""im2col and col2im as CUDA kernels (Numba-CUDA), one thread per output element.

The third of the three ways: the same functions as ``reference`` (NumPy, the math) and
``cpu`` (Numba loops), tested against the reference under Numba's CUDA simulator.

Convolution is a GEMM once every receptive field is copied out as a column (im2col); the
gradient of that copy, and transposed convolution, add the columns back into an image
(col2im). The layouts are exactly those of ``cpu`` (whose docstring says why):
channel-major images ``(C, N, H, W)`` and columns ``(C, KH, KW, N, OH, OW)``,

    cols[c, i, j, n, oy, ox] = img[c, n, oy * sh - ph + i * dh, ox * sw - pw + j * dw]   (0 outside img)

col2im is written as a *gather*: each thread owns one image pixel and sums the column
entries that were copied from it. A scatter (one thread per column entry, adding into its
pixel) would need atomic adds, because overlapping windows hit the same pixel; the gather
writes every pixel exactly once, so it needs no atomics and its sums are deterministic.

The wrappers take and return arrays of the caller's module (CuPy on a GPU, NumPy under the
simulator); see ``launch``.
"""

from __future__ import annotations

from typing import Any

from numba import cuda

from tinygan.backend import get_array_module
from tinygan.kernels import conv_output_size
from tinygan.kernels.launch import launch
from tinygan.kernels.layout import checked_out


@cuda.jit
def _im2col_kernel(img, cols, sh, sw, ph, pw, dh, dw):
    C, KH, KW, N, OH, OW = cols.shape
    H, W = img.shape[2], img.shape[3]
    for index in range(cuda.grid(1), cols.size, cuda.gridsize(1)):
        # unravel the flat index, last axis fastest (so neighbouring threads write neighbours)
        ox = index % OW
        rest = index // OW
        oy = rest % OH
        rest //= OH
        n = rest % N
        rest //= N
        j = rest % KW
        rest //= KW
        i = rest % KH
        c = rest // KH
        y = oy * sh - ph + i * dh
        xx = ox * sw - pw + j * dw
        if 0 <= y < H and 0 <= xx < W:
            cols[c, i, j, n, oy, ox] = img[c, n, y, xx]
        else:
            cols[c, i, j, n, oy, ox] = 0


@cuda.jit
def _col2im_kernel(cols, img, sh, sw, ph, pw, dh, dw):
    C, KH, KW, N, OH, OW = cols.shape
    H, W = img.shape[2], img.shape[3]
    for index in range(cuda.grid(1), img.size, cuda.gridsize(1)):
        xx = index % W
        rest = index // W
        y = rest % H
        rest //= H
        n = rest % N
        c = rest // N
        # Pixel row y was copied by kernel row i of output row oy exactly when
        # oy * sh = y + ph - i * dh; likewise for columns. Visit only those (i, j).
        total = 0.0  # float64 accumulator: a few extra bits for free in a memory-bound kernel
        for i in range(KH):
            row = y + ph - i * dh
            if row < 0 or row % sh != 0 or row // sh >= OH:
                continue
            oy = row // sh
            for j in range(KW):
                col = xx + pw - j * dw
                if col >= 0 and col % sw == 0 and col // sw < OW:
                    total += cols[c, i, j, n, oy, col // sw]
        img[c, n, y, xx] = total


def im2col(
    img: Any,
    kernel_size: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    dilation: tuple[int, int],
) -> Any:
    """Columns ``(C, KH, KW, N, OH, OW)`` of channel-major images ``img`` ``(C, N, H, W)``.

    OH = (H + 2 ph - dh (KH - 1) - 1) // sh + 1, and likewise OW; the caller checks OH, OW >= 1.
    """
    C, N, H, W = img.shape
    OH = conv_output_size(H, kernel_size[0], stride[0], padding[0], dilation[0])
    OW = conv_output_size(W, kernel_size[1], stride[1], padding[1], dilation[1])
    cols = get_array_module(img).empty((C, *kernel_size, N, OH, OW), dtype=img.dtype)
    launch(_im2col_kernel, cols.size, get_array_module(img).ascontiguousarray(img), cols, *stride, *padding, *dilation)
    return cols


def col2im(
    cols: Any,
    image_size: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    dilation: tuple[int, int],
    out: Any = None,
) -> Any:
    """Channel-major images ``(C, N, H, W)``, ``image_size = (H, W)``, each pixel the sum of the
    entries of ``cols`` ``(C, KH, KW, N, OH, OW)`` copied from it by ``im2col`` (its adjoint);
    written into ``out`` (that shape and dtype, channels apart, any strides) if given, through a contiguous
    array where ``out`` is not one (the kernel gets contiguous arrays, as the simulator requires)."""
    xp = get_array_module(cols)
    C, N = cols.shape[0], cols.shape[3]
    shape = (C, N, *image_size)
    if out is not None:
        checked_out("col2im", out, shape, cols.dtype)
    img = out if out is not None and out.flags.c_contiguous else xp.empty(shape, dtype=cols.dtype)
    launch(_col2im_kernel, img.size, xp.ascontiguousarray(cols), img, *stride, *padding, *dilation)
    if out is not None and img is not out:
        out[...] = img
        return out
    return img
