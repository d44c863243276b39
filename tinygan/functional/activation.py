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
# DCGAN gets the same effect from in-place activations. Both are one kernel each way
# (``tinygan.kernels``: one pass, in the layout the input comes in; ``reference`` is the NumPy).


class ReLU(Function):
    """LeakyReLU with slope 0: y = x where x > 0, else 0 x; dx = dy where y > 0, else 0 dy."""

    def forward(self, x):
        self.y = kernels.for_array(x).leaky_relu(x, 0.0)
        return self.y

    def backward(self, g):
        return kernels.for_array(g).leaky_relu_backward(g, self.y, 0.0)


class LeakyReLU(Function):
    """y = x where x > 0, else slope x; dx = dy where x > 0, else slope dy."""

    def __init__(self, negative_slope: float) -> None:
        self.negative_slope = negative_slope

    def forward(self, x):
        y = kernels.for_array(x).leaky_relu(x, self.negative_slope)
        # with a slope >= 0, y > 0 exactly where x > 0, so the output serves (a negative slope flips signs)
        self.sign = y if self.negative_slope >= 0 else x
        return y

    def backward(self, g):
        return kernels.for_array(g).leaky_relu_backward(g, self.sign, self.negative_slope)


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
