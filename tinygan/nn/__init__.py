"""Neural-network building blocks: Module, Parameter, layers and initialisers."""

from tinygan.nn import functional, init
from tinygan.nn.layers import Dropout, Flatten, Identity, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Softplus, Tanh
from tinygan.nn.module import Module, Parameter

__all__ = [
    "Dropout", "Flatten", "Identity", "LeakyReLU", "Linear", "Module", "Parameter", "ReLU", "Sequential",
    "Sigmoid", "Softplus", "Tanh", "functional", "init",
]  # fmt: skip
