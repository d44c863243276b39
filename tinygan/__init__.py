"""tinygan: a from-scratch reverse-mode autodiff engine and the GAN family built on it."""

from tinygan import functional, nn, optim, random
from tinygan.backend import cuda_is_available
from tinygan.creation import float32, float64, full, ones, ones_like, rand, randn, tensor, zeros, zeros_like
from tinygan.functional import cat, stack
from tinygan.random import manual_seed
from tinygan.tensor import Function, Tensor, enable_grad, is_grad_enabled, no_grad

__version__ = "0.1.0"

__all__ = [
    "Function", "Tensor", "cat", "cuda_is_available", "enable_grad", "float32", "float64", "full",
    "functional", "is_grad_enabled", "manual_seed", "nn", "no_grad", "ones", "ones_like", "optim", "rand", "randn",
    "random", "stack", "tensor", "zeros", "zeros_like",
]  # fmt: skip
