"""Datasets by name, in the form the training code consumes them.

Images come back scaled to [-1, 1] so they match a Tanh generator's output;
2-D mixtures come back as raw points together with their centers and std so
that :func:`tinygan.data.mixtures.mode_coverage` can score samples. Paired
datasets (image-to-image translation, ``DatasetInfo.kind == "paired"``) come
back as :class:`tinygan.data.paired.PairedImages`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .digits import make_digits
from .facades import colour_labels, make_facades
from .medical.datasets import load_ctseg, load_ldct, load_mr2ct
from .mixtures import grid_centers, ring_centers, sample_mixture
from .mnist import load_mnist
from .paired import PairedImages

RING_STD = 0.02
GRID_STD = 0.05


@dataclass
class Dataset:
    """A loaded dataset.

    Attributes:
        x: float32 data, (n, 2) points or (n, 1, 28, 28) images in [-1, 1].
        y: int64 (n,) class labels, or None for unlabelled data.
        kind: ``"points"`` or ``"images"``.
        n_classes: number of label classes, or None when ``y`` is None.
        centers: (k, 2) mixture means for point datasets, else None.
        std: the mixture's per-axis std for point datasets, else None.
    """

    x: np.ndarray
    y: np.ndarray | None
    kind: str
    n_classes: int | None = None
    centers: np.ndarray | None = None
    std: float | None = None

    def __len__(self) -> int:
        return len(self.x)


@dataclass(frozen=True)
class DatasetInfo:
    """Registry entry: a one-line description, ``loader(n, seed, path)`` and what it returns.

    ``kind`` is ``"points"`` or ``"images"`` for loaders returning a :class:`Dataset` of
    that kind, ``"paired"`` for loaders returning :class:`~tinygan.data.paired.PairedImages`.
    """

    description: str
    loader: Callable[[int | None, int, Path | None], Dataset | PairedImages]
    kind: str = "images"


def _to_tanh_range(images: np.ndarray) -> np.ndarray:
    return images * 2.0 - 1.0


def _mixture(centers: np.ndarray, std: float) -> Callable[..., Dataset]:
    def load(n: int | None, seed: int, path: Path | None) -> Dataset:
        if n is None:
            raise ValueError("synthetic datasets need a sample count n")
        x = sample_mixture(n, np.random.default_rng(seed), centers, std)
        return Dataset(x=x, y=None, kind="points", centers=centers, std=std)

    return load


def _load_digits(n: int | None, seed: int, path: Path | None) -> Dataset:
    if n is None:
        raise ValueError("synthetic datasets need a sample count n")
    images, labels = make_digits(n, seed)
    return Dataset(x=_to_tanh_range(images), y=labels, kind="images", n_classes=10)


def _load_facades(n: int | None, seed: int, path: Path | None) -> PairedImages:
    if n is None:
        raise ValueError("synthetic datasets need a sample count n")
    labels, photos = make_facades(n, seed)
    return PairedImages(
        a=colour_labels(labels).astype(np.float32) * (2 / 255) - 1,
        b=_to_tanh_range(photos),
        names=[f"facade_{i:05d}" for i in range(n)],
        description="procedural facades: label map (sky, roof, wall, window, door) -> photo, 64x64 RGB",
    )


def _load_mnist(n: int | None, seed: int, path: Path | None) -> Dataset:
    if path is None:
        raise ValueError(
            "the 'mnist' dataset is read from disk: pass path= a directory of IDX files or a mnist.npz file"
        )
    images, labels = load_mnist(path, split="train")
    if n is not None:
        if n > len(images):
            raise ValueError(f"asked for n={n} images but {path} holds {len(images)}")
        # A seeded random subset, so small runs still see every class.
        keep = np.random.default_rng(seed).choice(len(images), size=n, replace=False)
        images, labels = images[keep], labels[keep]
    return Dataset(x=_to_tanh_range(images), y=labels, kind="images", n_classes=10)


DATASETS: dict[str, DatasetInfo] = {
    "ring": DatasetInfo(
        f"8 Gaussians on a circle of radius 2, std {RING_STD}",
        _mixture(ring_centers(8, 2.0), RING_STD),
        kind="points",
    ),
    "grid": DatasetInfo(
        f"25 Gaussians on a 5x5 grid with spacing 2, std {GRID_STD}",
        _mixture(grid_centers(5, 2.0), GRID_STD),
        kind="points",
    ),
    "digits": DatasetInfo(
        "procedurally drawn 28x28 digits 0-9, labelled, in [-1, 1]",
        _load_digits,
    ),
    "mnist": DatasetInfo(
        "MNIST training set from disk (needs path), labelled, in [-1, 1]",
        _load_mnist,
    ),
    "facades-synth": DatasetInfo(
        "procedural building facades, label map -> photo (paired, pix2pix), 64x64 RGB, in [-1, 1]",
        _load_facades,
        kind="paired",
    ),
    "ldct": DatasetInfo(
        "simulated abdominal CT, low-dose FBP (I0 1e4) -> full-dose FBP (I0 1e5), 64x64, HU (paired, cached)",
        load_ldct,
        kind="paired",
    ),
    "mr2ct": DatasetInfo(
        "the same phantoms as T1-like MR (bias field, Rician noise) -> CT in HU, 64x64 (paired, cached)",
        load_mr2ct,
        kind="paired",
    ),
    "ctseg": DatasetInfo(
        "full-dose CT -> organ mask (background, body, liver, kidney, spleen, bone), 64x64 (paired, cached)",
        load_ctseg,
        kind="paired",
    ),
}


def load_dataset(name: str, n: int | None, seed: int = 0, path: str | Path | None = None) -> Dataset | PairedImages:
    """Load a registered dataset by name.

    Returns a :class:`Dataset`, or :class:`~tinygan.data.paired.PairedImages` for the
    datasets whose ``DATASETS[name].kind`` is ``"paired"``.

    Args:
        name: a key of :data:`DATASETS`.
        n: number of examples; for ``mnist`` None means the whole training set.
        seed: seeds the sampling, so equal arguments give equal data.
        path: where ``mnist`` lives on disk; ignored by synthetic datasets.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    if n is not None and n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    return DATASETS[name].loader(n, seed, None if path is None else Path(path))


def iterate_minibatches(
    x: np.ndarray,
    batch_size: int,
    rng: np.random.Generator,
    y: np.ndarray | None = None,
) -> Iterator[np.ndarray] | Iterator[tuple[np.ndarray, np.ndarray]]:
    """One epoch of shuffled minibatches, dropping the last incomplete one.

    Dropping it keeps every batch the same size, which GAN losses averaged
    over the batch (and batch statistics) rely on. Arguments are checked
    when called, not when the first batch is drawn.

    Yields:
        ``x[idx]`` of shape (batch_size, ...) or, when ``y`` is given, the
        pair ``(x[idx], y[idx])``.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if batch_size > len(x):
        raise ValueError(f"batch_size {batch_size} exceeds the {len(x)} examples, so an epoch would yield no batch")
    if y is not None and len(y) != len(x):
        raise ValueError(f"x has {len(x)} examples but y has {len(y)} labels")
    order = rng.permutation(len(x))
    batches = (order[start : start + batch_size] for start in range(0, len(x) - batch_size + 1, batch_size))
    if y is None:
        return (x[idx] for idx in batches)
    return ((x[idx], y[idx]) for idx in batches)
