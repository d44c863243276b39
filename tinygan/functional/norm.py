"""Batch norm and instance norm.

Batch norm normalises each channel c of x (N, C, *spatial) over its m = N * prod(spatial)
values and then scales and shifts it:

    x_hat = (x - mean_c) / sqrt(var_c + eps)        y = w_c * x_hat + b_c

In training, mean_c and var_c are the batch's own statistics (var biased: divided by m),
and the running statistics are updated in place with the *unbiased* variance (divided by
m - 1), as PyTorch does:

    running_mean = (1 - momentum) running_mean + momentum mean_c
    running_var  = (1 - momentum) running_var  + momentum var_c * m / (m - 1)

In evaluation, the running statistics take their place, and y is a fixed affine map of x.

Training-mode backward, with sigma = sqrt(var + eps); mean and var depend on x, which gives
the two extra terms:

    db = sum(dy)      dw = sum(dy * x_hat)
    dx = (w / sigma) * (dy - db / m - x_hat * dw / m)

The statistics and this backward are one kernel each (``tinygan.kernels``, whose ``reference``
writes them as these formulas in NumPy): two passes over the channel's values for the
statistics, two for the backward, and x_hat is never stored. Only float32 and float64 inputs
are accepted (what the kernels are compiled for).

Instance norm is batch norm of each (sample, channel) plane on its own: the same op on x
viewed as (1, N * C, *spatial).
"""

from __future__ import annotations

from typing import Any

from tinygan import kernels
from tinygan.backend import get_array_module
from tinygan.functional.shape import broadcast_to, reshape
from tinygan.tensor import Function, Tensor


def _per_channel(v: Any, ndim: int) -> Any:
    """A (C,) array shaped (1, C, 1, ...) to broadcast against an input of ``ndim`` dimensions."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def _channel_sums(a: Any) -> Any:
    """Sum over every dimension but the channel dimension 1."""
    return a.sum(axis=(0, *range(2, a.ndim)))


class BatchNormTraining(Function):
    """Normalise with the batch's statistics; update the running statistics (arrays) in place."""

    def __init__(self, running_mean: Any, running_var: Any, momentum: float, eps: float) -> None:
        self.running_mean, self.running_var = running_mean, running_var
        self.momentum, self.eps = momentum, eps

    def forward(self, x, weight, bias):
        xp = get_array_module(x)
        mean, var = kernels.for_array(x).batch_norm_stats(x)
        invstd = 1 / xp.sqrt(var + x.dtype.type(self.eps))
        scale = weight * invstd  # y = x * scale + shift folds the normalisation and the affine map
        shift = bias - mean * scale
        y = x * _per_channel(scale, x.ndim)
        y += _per_channel(shift, x.ndim)
        if self.running_mean is not None:
            count = x.size // x.shape[1]
            m = self.momentum
            self.running_mean *= 1 - m
            self.running_mean += (m * mean).astype(self.running_mean.dtype, copy=False)
            self.running_var *= 1 - m
            self.running_var += (m * count / (count - 1) * var).astype(self.running_var.dtype, copy=False)
        self.x, self.mean, self.invstd, self.weight = x, mean, invstd, weight
        return y

    def backward(self, g):
        dx, dw, db = kernels.for_array(g).batch_norm_backward(self.x, g, self.mean, self.invstd, self.weight)
        return dx, dw, db


class BatchNormEval(Function):
    """y = w * (x - running_mean) / sqrt(running_var + eps) + b: a fixed per-channel affine map of x."""

    def __init__(self, running_mean: Any, running_var: Any, eps: float) -> None:
        self.running_mean, self.running_var, self.eps = running_mean, running_var, eps

    def forward(self, x, weight, bias):
        xp = get_array_module(x)
        mean = self.running_mean.astype(x.dtype, copy=False)
        invstd = 1 / xp.sqrt(self.running_var.astype(x.dtype, copy=False) + x.dtype.type(self.eps))
        scale = weight * invstd
        y = x * _per_channel(scale, x.ndim)
        y += _per_channel(bias - mean * scale, x.ndim)
        self.x, self.mean, self.invstd, self.scale = x, mean, invstd, scale
        return y

    def backward(self, g):
        gx = g * _per_channel(self.scale, g.ndim) if self.needs_input_grad[0] else None
        gw = None
        if self.needs_input_grad[1]:
            x_hat = (self.x - _per_channel(self.mean, g.ndim)) * _per_channel(self.invstd, g.ndim)
            gw = _channel_sums(g * x_hat)
        gb = _channel_sums(g) if self.needs_input_grad[2] else None
        return gx, gw, gb


def _check_channel_vector(op: str, name: str, v: Tensor | None, input: Tensor) -> None:  # noqa: A002
    """A per-channel weight, bias or running statistic must be (C,); weight and bias of the input's dtype."""
    if v is None:
        return
    channels = input.shape[1]
    if v.shape != (channels,):
        raise ValueError(f"{op}: {name} has shape {v.shape}, expected ({channels},) for input of shape {input.shape}")
    if name in ("weight", "bias") and v.dtype != input.dtype:
        raise TypeError(f"{op}: {name} has dtype {v.dtype}, but the input has dtype {input.dtype}")


def _affine_defaults(input: Tensor, weight: Tensor | None, bias: Tensor | None) -> tuple[Tensor, Tensor]:  # noqa: A002
    """weight 1 and bias 0 (constants) where they are not given."""
    xp = get_array_module(input.data)
    C = input.shape[1]
    weight = weight if weight is not None else Tensor(xp.ones(C, dtype=input.dtype))
    bias = bias if bias is not None else Tensor(xp.zeros(C, dtype=input.dtype))
    return weight, bias


def batch_norm(
    input: Tensor,  # noqa: A002 - PyTorch's name
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation of ``input`` (N, C, *spatial) per channel, as ``torch.nn.functional.batch_norm``.

    Args:
        running_mean, running_var: (C,) tensors, updated in place when ``training``; may be
            None in training (no running statistics), required in evaluation.
        weight, bias: (C,) scale and shift, or None for 1 and 0.
        training: normalise with the batch's statistics (True) or the running ones (False).
        momentum: weight of the new batch in the running averages.
        eps: added to the variance before the square root.
    """
    op = "batch_norm"
    if input.ndim < 2:
        raise ValueError(f"{op} expects an input (N, C, *spatial) with at least 2 dimensions, got shape {input.shape}")
    kernels.check_dtype(op, "input", input.dtype)
    C = input.shape[1]
    for name, v in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        _check_channel_vector(op, name, v, input)
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{op}: give both running_mean and running_var, or neither")
    weight, bias = _affine_defaults(input, weight, bias)
    if training:
        if input.numel() // max(C, 1) <= 1:
            raise ValueError(f"{op}: expected more than 1 value per channel when training, got shape {input.shape}")
        stats = (None, None) if running_mean is None else (running_mean.data, running_var.data)
        return BatchNormTraining(*stats, momentum, eps)(input, weight, bias)
    if running_mean is None:
        raise ValueError(f"{op}: running_mean and running_var are required in evaluation mode (training=False)")
    return BatchNormEval(running_mean.data, running_var.data, eps)(input, weight, bias)


def instance_norm(
    input: Tensor,  # noqa: A002 - PyTorch's name
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise every (sample, channel) plane of ``input`` (N, C, *spatial) over its own values.

    ``weight``, ``bias``: (C,) or None. Differs from ``torch.nn.functional.instance_norm``:
    no running statistics (instance norm uses each input's own statistics, in training and
    evaluation alike, which is PyTorch's default too).
    """
    op = "instance_norm"
    if input.ndim < 3:
        raise ValueError(f"{op} expects an input (N, C, *spatial) with spatial dimensions, got shape {input.shape}")
    kernels.check_dtype(op, "input", input.dtype)
    N, C = input.shape[:2]
    for name, v in (("weight", weight), ("bias", bias)):
        _check_channel_vector(op, name, v, input)
    if input.numel() // max(N * C, 1) <= 1:
        raise ValueError(f"{op}: expected more than 1 spatial element per plane, got input of shape {input.shape}")
    weight, bias = _affine_defaults(input, weight, bias)
    # the (n, c) planes become the channels of one sample; each channel's weight is repeated for every n
    planes = reshape(input, (1, N * C, -1))
    weight = reshape(broadcast_to(reshape(weight, (1, C)), (N, C)), (N * C,))
    bias = reshape(broadcast_to(reshape(bias, (1, C)), (N, C)), (N * C,))
    return reshape(BatchNormTraining(None, None, 0.0, eps)(planes, weight, bias), input.shape)
