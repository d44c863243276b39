"""Datasets for tinygan: 2-D Gaussian mixtures, procedural digits, MNIST, and paired
images for Pix2Pix (pix2pix's folder layouts and procedural facades).

Only numpy and the standard library are needed; image files are read through Pillow,
imported when first used.
"""

from .digits import make_digits
from .facades import make_facades
from .images import ImageFileError, read_image, write_image
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
from .paired import PairedBatches, PairedImages, load_aligned_folder, load_paired, load_paired_folders
from .registry import DATASETS, Dataset, DatasetInfo, iterate_minibatches, load_dataset

__all__ = [
    "DATASETS",
    "DEFAULT_MIN_SHARE",
    "Dataset",
    "DatasetInfo",
    "ImageFileError",
    "PairedBatches",
    "PairedImages",
    "grid_centers",
    "iterate_minibatches",
    "load_aligned_folder",
    "load_dataset",
    "load_mnist",
    "load_paired",
    "load_paired_folders",
    "make_digits",
    "make_facades",
    "mode_coverage",
    "read_idx",
    "read_image",
    "ring_centers",
    "sample_grid",
    "sample_mixture",
    "sample_ring",
    "write_image",
]
