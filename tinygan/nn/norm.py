"""Normalisation layers: BatchNorm1d, BatchNorm2d and InstanceNorm2d, as PyTorch defines them.

BatchNorm keeps ``weight`` (1) and ``bias`` (0) when ``affine``, and, when
``track_running_stats``, the buffers ``running_mean`` (0), ``running_var`` (1) and
``num_batches_tracked`` (an int64 count): the state-dict keys PyTorch uses. In training mode
it normalises with the batch's statistics and updates the running ones; in evaluation mode it
uses the running statistics (see ``tinygan.functional.norm``). ``momentum=None`` makes the
running statistics a cumulative average over every batch seen so far.
"""

from __future__ import annotations

import numpy as np

from tinygan import _checks
from tinygan import functional as F
from tinygan.nn.module import Module, Parameter
from tinygan.tensor import Tensor


class _BatchNorm(Module):
    expected_dims: tuple[int, ...] = ()
    input_description = ""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        num_features = _checks.integer(name, "num_features", num_features, 1)
        eps = _checks.real(name, "eps", eps, 0)
        momentum = None if momentum is None else _checks.real(name, "momentum", momentum, 0, 1)
        _checks.flag(name, "affine", affine), _checks.flag(name, "track_running_stats", track_running_stats)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = Parameter(np.ones(num_features, dtype=np.float32)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype=np.float32)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=np.float32)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=np.float32)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def forward(self, x: Tensor) -> Tensor:
        name = type(self).__name__
        if x.ndim not in self.expected_dims:
            raise ValueError(f"{name} expects {self.input_description}, got shape {x.shape}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{name}({self.num_features}) got an input with {x.shape[1]} channels (shape {x.shape})")
        momentum = 0.0 if self.momentum is None else self.momentum
        counting = self.training and self.track_running_stats
        if counting and self.momentum is None:  # cumulative moving average: the k-th batch gets weight 1/k
            momentum = 1.0 / (float(self.num_batches_tracked.data) + 1)
        # batch statistics in training, and in evaluation when there are no running statistics
        use_batch_stats = self.training or self.running_mean is None
        running = (self.running_mean, self.running_var) if self.track_running_stats else (None, None)
        out = F.batch_norm(x, *running, self.weight, self.bias, use_batch_stats, momentum, self.eps)
        if counting:  # only a batch F.batch_norm accepted counts
            self.num_batches_tracked.data += 1
        return out

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) inputs, per feature C."""

    expected_dims = (2, 3)
    input_description = "a 2-D (N, C) or 3-D (N, C, L) input"


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) inputs, per channel C."""

    expected_dims = (4,)
    input_description = "a 4-D (N, C, H, W) input"


class InstanceNorm2d(Module):
    """Normalise every (sample, channel) plane of (N, C, H, W) over its own H * W values.

    ``affine`` adds a per-channel ``weight`` (1) and ``bias`` (0), as in PyTorch (default off).
    Differs from PyTorch: no running statistics (``track_running_stats`` must stay False, its
    PyTorch default), so training and evaluation behave the same.
    """

    def __init__(
        self, num_features: int, eps: float = 1e-5, *, affine: bool = False, track_running_stats: bool = False
    ) -> None:
        super().__init__()
        if track_running_stats:
            raise ValueError("InstanceNorm2d: track_running_stats=True is not supported (no running statistics)")
        num_features = _checks.integer("InstanceNorm2d", "num_features", num_features, 1)
        eps = _checks.real("InstanceNorm2d", "eps", eps, 0)
        _checks.flag("InstanceNorm2d", "affine", affine)
        self.num_features, self.eps, self.affine = num_features, eps, affine
        self.weight = Parameter(np.ones(num_features, dtype=np.float32)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype=np.float32)) if affine else None

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4:
            raise ValueError(f"InstanceNorm2d expects a 4-D (N, C, H, W) input, got shape {x.shape}")
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"InstanceNorm2d({self.num_features}) got an input with {x.shape[1]} channels (shape {x.shape})"
            )
        return F.instance_norm(x, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, affine={self.affine}"
