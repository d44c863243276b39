"""Neural-network building blocks: Module, Parameter, layers and initialisers."""

from tinygan.nn import functional, init
from tinygan.nn.conv import Conv2d, ConvTranspose2d
from tinygan.nn.layers import Dropout, Flatten, Identity, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Softplus, Tanh
from tinygan.nn.module import Module, Parameter
from tinygan.nn.norm import BatchNorm1d, BatchNorm2d, InstanceNorm2d

__all__ = [
    "Dropout", "Flatten", "Identity", "LeakyReLU", "Linear", "Module", "Parameter", "ReLU", "Sequential",
    "Sigmoid", "Softplus", "Tanh", "functional", "init",
    "BatchNorm1d", "BatchNorm2d", "Conv2d", "ConvTranspose2d", "InstanceNorm2d",
]  # fmt: skip
