"""The kernels in plain NumPy: the math, read first, and the oracle the tests hold the others to.

Same functions, signatures and layouts as ``cpu`` (Numba loops) and ``cuda_conv``,
``cuda_norm``, ``cuda_activation`` (Numba-CUDA); see the package docstring for the list.

im2col copies, for each position (i, j) of the kernel window, one strided slice of the padded
images: the pixels that window position sees from every output position at once. col2im adds
the same slices back. So both are a loop over the KH * KW window positions, as in Chainer's
``im2col_cpu`` and ``col2im_cpu`` (Chainer's layout is ``(N, C, KH, KW, OH, OW)``; here the
images are channel-major, ``(C, N, H, W)``, and the columns ``(C, KH, KW, N, OH, OW)``).

LeakyReLU (and ReLU, its slope-0 case) is one ``where`` each way.

Batch norm is written as its formulas, as in DeZero, on ``x`` ``(N, C, *spatial)``, every sum
over the m values of one channel:

    mean = sum(x) / m         var = sum((x - mean)^2) / m            (biased)
    x_hat = (x - mean) * invstd,  invstd = 1 / sqrt(var + eps)
    db = sum(dy)              dw = sum(dy * x_hat)
    dx = w * invstd * (dy - db / m - x_hat * dw / m)
"""

from __future__ import annotations

import numpy as np

from tinygan.kernels import conv_output_size

Pair = tuple[int, int]


def im2col(img: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair) -> np.ndarray:
    """Columns ``(C, KH, KW, N, OH, OW)`` of channel-major images ``img`` ``(C, N, H, W)``."""
    C, N, H, W = img.shape
    (KH, KW), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    OH, OW = conv_output_size(H, KH, sh, ph, dh), conv_output_size(W, KW, sw, pw, dw)
    padded = np.pad(img, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = np.empty((C, KH, KW, N, OH, OW), dtype=img.dtype)
    for i in range(KH):
        for j in range(KW):  # window position (i, j) sees every sh-th row from i*dh, every sw-th column from j*dw
            cols[:, i, j] = padded[:, :, i * dh : i * dh + sh * OH : sh, j * dw : j * dw + sw * OW : sw]
    return cols


def col2im(
    cols: np.ndarray, image_size: Pair, stride: Pair, padding: Pair, dilation: Pair, out: np.ndarray | None = None
) -> np.ndarray:
    """Images ``(C, N, *image_size)``, each pixel the sum of the entries of ``cols`` copied from it
    (written into ``out`` if given).

    ``cols`` ``(C, KH, KW, N, OH, OW)`` may hold fewer window positions than ``im2col`` of such
    an image makes (OH, OW at most ``conv_output_size`` of the image), as transposed convolution's do.
    """
    C, KH, KW, N, OH, OW = cols.shape
    (H, W), (sh, sw), (ph, pw), (dh, dw) = image_size, stride, padding, dilation
    padded = np.zeros((C, N, H + 2 * ph, W + 2 * pw), dtype=cols.dtype)
    for i in range(KH):
        for j in range(KW):  # the same slices as im2col's, added back
            padded[:, :, i * dh : i * dh + sh * OH : sh, j * dw : j * dw + sw * OW : sw] += cols[:, i, j]
    img = padded[:, :, ph : ph + H, pw : pw + W]
    if out is None:
        return img.copy()
    out[...] = img
    return out


def leaky_relu(x: np.ndarray, negative_slope: float) -> np.ndarray:
    """x where x > 0, negative_slope * x elsewhere (ReLU is slope 0)."""
    return np.where(x > 0, x, x * x.dtype.type(negative_slope))


def leaky_relu_backward(g: np.ndarray, sign: np.ndarray, negative_slope: float) -> np.ndarray:
    """LeakyReLU's input gradient: g where ``sign`` > 0, negative_slope * g elsewhere (``sign``:
    the input, or the output, which is positive where the input is when the slope is >= 0)."""
    return np.where(sign > 0, g, g * g.dtype.type(negative_slope))


def _per_channel(v: np.ndarray, ndim: int) -> np.ndarray:
    """A ``(C,)`` array shaped ``(1, C, 1, ...)`` to broadcast against ``(N, C, *spatial)``."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def batch_norm_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and biased variance of ``x`` ``(N, C, *spatial)``, each of shape ``(C,)``."""
    axes = (0, *range(2, x.ndim))  # every axis but the channels
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return mean.reshape(-1), var.reshape(-1)


def batch_norm_backward(
    x: np.ndarray, dy: np.ndarray, mean: np.ndarray, invstd: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients ``(dx, dw, db)`` of training-mode batch norm ``y = w (x - mean) * invstd + b``.

    ``x``, ``dy``: ``(N, C, *spatial)``; ``mean``, ``invstd`` (1 / sigma), ``weight``: ``(C,)``.
    """
    axes, m = (0, *range(2, x.ndim)), x.size // x.shape[1]
    x_hat = (x - _per_channel(mean, x.ndim)) * _per_channel(invstd, x.ndim)
    db = dy.sum(axis=axes, keepdims=True)
    dw = (dy * x_hat).sum(axis=axes, keepdims=True)
    dx = _per_channel(weight * invstd, x.ndim) * (dy - db / m - x_hat * dw / m)
    return dx, dw.reshape(-1), db.reshape(-1)
