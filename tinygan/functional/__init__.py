"""Differentiable ops, grouped by kind; each op's forward and backward sit side by side.

Also importable as ``tinygan.nn.functional`` (``import tinygan.nn.functional as F``).
"""

from tinygan.functional.activation import dropout, leaky_relu, log_sigmoid, relu, sigmoid, softplus, tanh
from tinygan.functional.conv import conv2d, conv_output_size, conv_transpose2d, conv_transpose_output_size
from tinygan.functional.conversion import cast, to_device
from tinygan.functional.elementwise import abs, add, clamp, div, exp, log, maximum, mul, neg, pow, sqrt, sub
from tinygan.functional.linalg import linear, matmul
from tinygan.functional.loss import binary_cross_entropy, binary_cross_entropy_with_logits, l1_loss, mse_loss
from tinygan.functional.norm import batch_norm, instance_norm
from tinygan.functional.reduce import amax, max, mean, sum, var
from tinygan.functional.shape import (
    broadcast_to,
    cat,
    flatten,
    getitem,
    one_hot,
    pad,
    permute,
    reshape,
    squeeze,
    stack,
    transpose,
    unsqueeze,
)

__all__ = [
    "abs", "add", "amax", "binary_cross_entropy", "binary_cross_entropy_with_logits", "broadcast_to",
    "cast", "cat", "clamp", "div", "dropout", "exp", "flatten", "getitem", "l1_loss", "leaky_relu",
    "linear", "log", "log_sigmoid", "matmul", "max", "maximum", "mean", "mse_loss", "mul", "neg",
    "one_hot", "pad", "permute", "pow", "relu", "reshape", "sigmoid", "softplus", "sqrt", "squeeze",
    "stack", "sub", "sum", "tanh", "to_device", "transpose", "unsqueeze", "var",
    "batch_norm", "conv2d", "conv_output_size", "conv_transpose2d", "conv_transpose_output_size", "instance_norm",
]  # fmt: skip
