"""Datasets for tinygan: 2-D Gaussian mixtures, procedural digits and MNIST.

Only numpy and the standard library are needed.
"""

from .digits import make_digits
from .mixtures import (
    DEFAULT_MIN_SHARE,
    grid_centers,
    mode_coverage,
    ring_centers,
    sample_grid,
    sample_mixture,
    sample_ring,
)
from .mnist import load_mnist, read_idx
from .registry import DATASETS, Dataset, DatasetInfo, iterate_minibatches, load_dataset

__all__ = [
    "DATASETS",
    "DEFAULT_MIN_SHARE",
    "Dataset",
    "DatasetInfo",
    "grid_centers",
    "iterate_minibatches",
    "load_dataset",
    "load_mnist",
    "make_digits",
    "mode_coverage",
    "read_idx",
    "ring_centers",
    "sample_grid",
    "sample_mixture",
    "sample_ring",
]
