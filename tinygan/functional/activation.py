"""Activations and dropout: each op's forward and backward side by side.

The sigmoid family is written to stay finite for any input: ``exp`` is only ever taken of
``-|x|`` (which lies in (0, 1]), never of a large positive number.
"""

from __future__ import annotations

from typing import Any

from tinygan import _checks, kernels, random
from tinygan.backend import device_of, get_array_module
from tinygan.tensor import Function, Tensor, check_tensor


def stable_sigmoid(x: Any) -> Any:
    """1 / (1 + exp(-x)) without overflow: for x < 0 use exp(x) / (1 + exp(x))."""
    xp = get_array_module(x)
    e = xp.exp(-abs(x))  # in (0, 1]
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


def stable_softplus(x: Any) -> Any:
    """log(1 + exp(x)) = max(x, 0) + log(1 + exp(-|x|))."""
    xp = get_array_module(x)
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-abs(x)))


# ReLU and LeakyReLU save their output, not their input: y > 0 exactly where x > 0, and the
# output is usually saved anyway by the next layer (a convolution keeps its input for its
# weight gradient), so the input can be freed as soon as the forward pass moves on. PyTorch's
# DCGAN gets the same effect from in-place activations.
#
# On feature maps, (N, C, H, W) batches, both run as kernels (``tinygan.kernels``: one pass
# each way, in the layout the input comes in, so a convolution's channel-major output stays
# channel-major for the next convolution). NumPy's expressions below make two passes forward
# and five backward, each with an activation-sized temporary: 2-24x slower on a DCGAN's maps.
# Flat features, (N, features), keep the expressions: the MLP GANs' are small, and their demo
# starts without loading Numba, which costs about 1 s (as Adam's fused loop, see
# ``optim._FUSED_MIN_SIZE``); a convolutional GAN has loaded it for its convolutions anyway.
KERNEL_MIN_NDIM = 3


def _kernels(x: Any) -> Any:
    """The kernel set for ``x``, or None where NumPy's expressions serve (flat features, and
    dtypes the kernels are not compiled for, such as float16)."""
    return kernels.for_array(x) if x.ndim >= KERNEL_MIN_NDIM and str(x.dtype) in kernels.SUPPORTED_DTYPES else None


class ReLU(Function):
    """LeakyReLU with slope 0: y = x where x > 0, else 0 x; dx = dy where y > 0, else 0 dy."""

    def forward(self, x):
        k = _kernels(x)
        self.y = k.leaky_relu(x, 0.0) if k else x * (x > 0)
        return self.y

    def backward(self, g):
        k = _kernels(g)
        return k.leaky_relu_backward(g, self.y, 0.0) if k else g * (self.y > 0)


class LeakyReLU(Function):
    """y = x where x > 0, else slope x; dx = dy where x > 0, else slope dy."""

    def __init__(self, negative_slope: float) -> None:
        self.negative_slope = negative_slope

    def _multiplier(self, a):
        # 1 where a > 0, the slope elsewhere, built as (a > 0) * (1 - slope) + slope (exactly 1
        # and the slope for slopes in [0, 2]): about 5x faster than xp.where, whose branches on
        # the sign mispredict
        slope = a.dtype.type(self.negative_slope)
        m = (a > 0).astype(a.dtype)
        m *= 1 - slope
        m += slope
        return m

    def forward(self, x):
        k = _kernels(x)
        if k:
            y = k.leaky_relu(x, self.negative_slope)
        elif 0 < self.negative_slope <= 1:  # then y = max(x, slope x): two passes instead of five
            # (not at slope 0: max(0 * inf, inf) is NaN)
            xp = get_array_module(x)
            y = xp.multiply(x, x.dtype.type(self.negative_slope), out=xp.empty_like(x))
            xp.maximum(y, x, out=y)
        else:
            y = x * self._multiplier(x)
        # with a slope >= 0, y > 0 exactly where x > 0, so the output serves (a negative slope flips signs)
        self.sign = y if self.negative_slope >= 0 else x
        return y

    def backward(self, g):
        k = _kernels(g)
        return k.leaky_relu_backward(g, self.sign, self.negative_slope) if k else g * self._multiplier(self.sign)


class Sigmoid(Function):
    def forward(self, x):
        self.y = stable_sigmoid(x)
        return self.y

    def backward(self, g):
        return g * self.y * (1 - self.y)


class Tanh(Function):
    def forward(self, x):
        self.y = get_array_module(x).tanh(x)
        return self.y

    def backward(self, g):
        return g * (1 - self.y * self.y)


class Softplus(Function):
    """log(1 + e^x); its derivative is sigmoid(x)."""

    def forward(self, x):
        self.x = x
        return stable_softplus(x)

    def backward(self, g):
        return g * stable_sigmoid(self.x)


class LogSigmoid(Function):
    """log sigmoid(x) = -softplus(-x); its derivative is 1 - sigmoid(x) = sigmoid(-x)."""

    def forward(self, x):
        self.x = x
        return -stable_softplus(-x)

    def backward(self, g):
        return g * stable_sigmoid(-self.x)


class Dropout(Function):
    """Zero each element with probability p and scale the rest by 1/(1-p) ("inverted" dropout,
    so evaluation needs no rescaling)."""

    def __init__(self, p: float) -> None:
        self.p = p

    def forward(self, x):
        self.keep = random.random_array("uniform", x.shape, x.dtype, device_of(x)) >= self.p  # a byte a value
        self.scale = x.dtype.type(1 / (1 - self.p))
        y = x * self.keep
        y *= self.scale
        return y

    def backward(self, g):
        dx = g * self.keep
        dx *= self.scale
        return dx


def relu(x: Tensor) -> Tensor:
    return ReLU()(check_tensor("relu", x))


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    check_tensor("leaky_relu", x)
    return LeakyReLU(_checks.real("leaky_relu", "negative_slope", negative_slope))(x)


def sigmoid(x: Tensor) -> Tensor:
    return Sigmoid()(check_tensor("sigmoid", x))


def tanh(x: Tensor) -> Tensor:
    return Tanh()(check_tensor("tanh", x))


def softplus(x: Tensor) -> Tensor:
    return Softplus()(check_tensor("softplus", x))


def log_sigmoid(x: Tensor) -> Tensor:
    return LogSigmoid()(check_tensor("log_sigmoid", x))


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Randomly zero elements with probability ``p`` while training; identity otherwise."""
    check_tensor("dropout", x)
    p = _checks.real("dropout", "p (the dropout probability)", p, 0, 1)
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0
    return Dropout(p)(x)
