"""Paired images for image-to-image translation (Pix2Pix), loaded the way
pytorch-CycleGAN-and-pix2pix loads them.

Two layouts on disk are understood:

* aligned (the reference's ``--dataset_mode aligned``): ``root/train/*.jpg`` (also
  ``val/``, ``test/``), each file holding A and B side by side, A the left half;
* paired folders (what the reference's ``combine_A_and_B.py`` starts from): ``root/A/``
  and ``root/B/``, or ``root/A/train/`` and ``root/B/train/``, or ``root/trainA/`` and
  ``root/trainB/``. Files pair up by stem, so ``A/0001.png`` pairs with ``B/0001.tif``;
  two files with one stem in the same folder are an error.

Files are read non-recursively in sorted order. 8-bit images stand for 0..255 and 16-bit
ones for 0..65535 (kept in ``a_range``/``b_range``), mapped linearly to [-1, 1] to match a
Tanh generator. Every problem with the files (a missing folder, unmatched names, an
unreadable file, A and B of different sizes, ...) raises a clear error before any
training starts. Augmentation happens per batch in :class:`PairedBatches`: the
reference's random crop and horizontal flip, the same for A and B.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tinygan import backend, random
from tinygan.tensor import Tensor

from .images import IMAGE_SUFFIXES, is_image_file, read_image, resize_image

DIRECTIONS = ("AtoB", "BtoA")
_FEW = 5  # how many example names an error message lists
_RANGES = {np.dtype(np.uint8): (0.0, 255.0), np.dtype(np.uint16): (0.0, 65535.0)}
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R 601, Pillow's convert("L")


def to_unit(values: Any, value_range: tuple[float, float]) -> np.ndarray:
    """Physical values to float32 [-1, 1] through the linear map sending ``value_range = (lo, hi)``
    to (-1, 1), clipping what lies outside: how networks see images (8-bit, 16-bit, HU)."""
    lo, hi = value_range
    v = np.asarray(values, dtype=np.float64)
    return np.clip((v - lo) * (2 / (hi - lo)) - 1, -1.0, 1.0).astype(np.float32)


def from_unit(x: Any, value_range: tuple[float, float]) -> np.ndarray:
    """The inverse of :func:`to_unit` (without the clip): [-1, 1] back to physical values, in
    ``x``'s float precision (float32 at least)."""
    lo, hi = value_range
    x = np.asarray(x)
    x = x.astype(np.result_type(x.dtype, np.float32), copy=False)
    return (x + 1) * ((hi - lo) / 2) + lo


@dataclass
class PairedImages:
    """In-memory image pairs for image-to-image translation (A -> B).

    Attributes:
        a: float32 (n, C_a, H, W) inputs in [-1, 1].
        b: float32 (n, C_b, H, W) targets in [-1, 1], the same H and W as ``a``.
        names: one per pair (the file stem, or e.g. ``"facade_0007"``).
        a_range, b_range: the physical values that -1 and +1 stand for (a linear map), e.g.
            (0, 255) for 8-bit images, (0, 65535) for 16-bit, an HU window for CT.
        description: one line saying what the pairs are.
        kind: ``"paired"``, so code handling registry datasets can tell it from
            :class:`~tinygan.data.registry.Dataset` (``"points"``/``"images"``).
    """

    a: np.ndarray
    b: np.ndarray
    names: list[str]
    a_range: tuple[float, float] = (0.0, 255.0)
    b_range: tuple[float, float] = (0.0, 255.0)
    description: str = ""
    kind: str = "paired"

    def __post_init__(self) -> None:
        self.a = np.asarray(self.a, dtype=np.float32)
        self.b = np.asarray(self.b, dtype=np.float32)
        self.names = list(self.names)
        if self.a.ndim != 4 or self.b.ndim != 4:
            raise ValueError(f"PairedImages needs a and b of shape (n, C, H, W), got {self.a.shape} and {self.b.shape}")
        if len(self.a) != len(self.b) or len(self.names) != len(self.a):
            raise ValueError(
                f"PairedImages needs one a, b and name per pair, got {len(self.a)}, {len(self.b)} and {len(self.names)}"
            )
        if self.a.shape[2:] != self.b.shape[2:]:
            raise ValueError(f"A and B images differ in size: a {self.a.shape}, b {self.b.shape}")
        for side, (lo, hi) in (("a", self.a_range), ("b", self.b_range)):
            if not lo < hi:
                raise ValueError(f"{side}_range must be (low, high) with low < high, got {(lo, hi)}")
        self.a_range = (float(self.a_range[0]), float(self.a_range[1]))
        self.b_range = (float(self.b_range[0]), float(self.b_range[1]))

    def __len__(self) -> int:
        return len(self.a)

    def _range(self, side: str) -> tuple[float, float]:
        if side not in ("a", "b"):
            raise ValueError(f"side must be 'a' or 'b', got {side!r}")
        return self.a_range if side == "a" else self.b_range

    def to_physical(self, x: Any, side: str = "b") -> np.ndarray:
        """Map [-1, 1] values (an array or Tensor, e.g. G's output) to ``side``'s physical units.

        float32 in, float32 out (float64 stays float64); 16-bit values come back within a
        few thousandths of their integer, so ``np.rint`` recovers them exactly.
        """
        if isinstance(x, Tensor):
            x = x.numpy()
        elif backend.device_of(x) == "cuda":
            x = backend.to_device(x, "cpu")
        return from_unit(x, self._range(side))

    def from_physical(self, v: Any, side: str = "a") -> np.ndarray:
        """Map physical values of ``side`` to float32 [-1, 1], clipping what lies outside its range."""
        return to_unit(v, self._range(side))

    def subset(self, index: Any) -> PairedImages:
        """The pairs at ``index`` (int array, slice or boolean mask), e.g. a held-out split."""
        keep = np.atleast_1d(np.arange(len(self))[index])
        return PairedImages(
            self.a[keep], self.b[keep], [self.names[i] for i in keep],
            self.a_range, self.b_range, self.description, self.kind,
        )  # fmt: skip

    def reversed(self) -> PairedImages:
        """B -> A: the same pairs with a and b (and their ranges) swapped (``--direction BtoA``)."""
        return PairedImages(self.b, self.a, self.names, self.b_range, self.a_range, self.description, self.kind)


class PairedBatches:
    """Random (A, B) batches with pix2pix's augmentation, the same for A and B.

    Each call draws ``batch_size`` pairs uniformly with replacement from tinygan's seeded
    generator (like :class:`tinygan.gan.trainer.RandomBatches`, so a checkpointed RNG state
    resumes the same stream), then per pair one random ``crop_size`` x ``crop_size``
    window and, with ``flip``, a horizontal flip with probability 0.5, applied to A and B
    alike (the reference's ``get_params``/``get_transform``). Draw order per call: pair
    indices, crop tops, crop lefts, flips.

    Args:
        pairs: the images, already resized (the reference loads 286 and crops 256).
        batch_size: pairs per call (pix2pix uses 1).
        crop_size: side of the random square crop; None keeps whole images.
        flip: random horizontal flips.
        device: where the batches are placed.
    """

    def __init__(
        self,
        pairs: PairedImages,
        batch_size: int = 1,
        crop_size: int | None = None,
        flip: bool = False,
        device: str = "cpu",
    ) -> None:
        if len(pairs) == 0:
            raise ValueError("PairedBatches needs at least one pair")
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        height, width = pairs.a.shape[2:]
        if pairs.b.shape[2:] != (height, width):
            raise ValueError(f"A images are {height}x{width} but B images are {pairs.b.shape[2]}x{pairs.b.shape[3]}")
        if crop_size is not None:
            if crop_size < 1:
                raise ValueError(f"crop_size must be positive, got {crop_size}")
            if crop_size > min(height, width):
                raise ValueError(
                    f"crop_size {crop_size} is larger than the images, which are {height}x{width} (height x width)"
                )
        self.batch_size = batch_size
        self.crop_size = crop_size
        self.flip = flip
        self.device = backend.check_device(device)
        self.a = backend.to_device(np.ascontiguousarray(pairs.a), self.device)
        self.b = backend.to_device(np.ascontiguousarray(pairs.b), self.device)

    def __len__(self) -> int:
        return len(self.a)

    def __call__(self, m: int | None = None) -> tuple[Tensor, Tensor]:
        """(A, B) tensors of ``m`` pairs (default ``batch_size``), each (m, C, crop, crop)."""
        m = self.batch_size if m is None else m
        gen = random.generator()
        index = gen.integers(len(self.a), size=m)
        if self.crop_size is None and not self.flip:  # whole images as they are: one plain gather
            index = backend.to_device(index, self.device)
            return Tensor(self.a[index]), Tensor(self.b[index])
        height, width = self.a.shape[2:]
        size_y, size_x = (height, width) if self.crop_size is None else (self.crop_size, self.crop_size)
        top = gen.integers(height - size_y + 1, size=m) if self.crop_size else np.zeros(m, dtype=np.int64)
        left = gen.integers(width - size_x + 1, size=m) if self.crop_size else np.zeros(m, dtype=np.int64)
        flipped = gen.random(m) < 0.5 if self.flip else np.zeros(m, dtype=bool)
        # One gather does crop and flip: a flipped pair reads its columns right to left.
        offsets = np.arange(size_x)
        cols = left[:, None] + np.where(flipped[:, None], size_x - 1 - offsets, offsets)
        rows = top[:, None] + np.arange(size_y)
        pair, rows, cols = (backend.to_device(i, self.device) for i in
                            (index[:, None, None, None], rows[:, None, :, None], cols[:, None, None, :]))  # fmt: skip

        def gather(images: Any) -> Tensor:  # A and B share the pairs, rows and columns; only the channels differ
            channels = backend.to_device(np.arange(images.shape[1])[None, :, None, None], self.device)
            return Tensor(images[pair, channels, rows, cols])

        return gather(self.a), gather(self.b)


# ---------------------------------------------------------------- loading from disk


def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and is_image_file(p) and not p.name.startswith("."))


def _contents(folder: Path) -> str:
    """A few of a folder's entries, for error messages."""
    entries = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir())
    if not entries:
        return "it is empty"
    more = f", ... ({len(entries)} in all)" if len(entries) > 10 else ""
    return "it holds " + ", ".join(entries[:10]) + more


def _few(names: list[str]) -> str:
    more = ", ..." if len(names) > _FEW else ""
    return ", ".join(names[:_FEW]) + more


def _require_images(folder: Path) -> list[Path]:
    files = _image_files(folder)
    if not files:
        suffixes = ", ".join(sorted(IMAGE_SUFFIXES))
        raise FileNotFoundError(f"no image files ({suffixes}) in {folder}; {_contents(folder)}")
    return files


def _check_direction(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be 'AtoB' or 'BtoA', got {direction!r}")


def _channel_counts(channels: int | tuple[int, int] | None) -> tuple[int | None, int | None]:
    counts = channels if isinstance(channels, tuple) else (channels, channels)
    if len(counts) != 2 or any(c not in (None, 1, 3) for c in counts):
        raise ValueError(f"channels must be None, 1, 3 or an (A, B) pair of these, got {channels!r}")
    return counts


def _to_channels(image: np.ndarray, channels: int | None) -> np.ndarray:
    """(H, W) or (H, W, 3) raw pixels -> float32 (C, H, W), converted to ``channels``."""
    planes = image.astype(np.float32)[None] if image.ndim == 2 else image.astype(np.float32).transpose(2, 0, 1)
    if channels == 1 and len(planes) == 3:
        planes = np.tensordot(_LUMA, planes, axes=1)[None]
    elif channels == 3 and len(planes) == 1:
        planes = np.repeat(planes, 3, axis=0)
    return planes


def _stack_side(images: list[np.ndarray], files: list[Path], side: str, channels: int | None, load_size: int | None):
    """Raw images of one side -> (float32 (n, C, H, W) in [-1, 1], physical range)."""
    dtypes: dict[np.dtype, Path] = {}
    counts: dict[int, Path] = {}
    for image, path in zip(images, files):
        dtypes.setdefault(image.dtype, path)
        counts.setdefault(1 if image.ndim == 2 else image.shape[2], path)
    floats = [d for d in dtypes if d not in _RANGES]
    if floats:
        raise ValueError(
            f"{dtypes[floats[0]]}: {floats[0]} pixels have no fixed range; paired images must be 8- or 16-bit"
        )
    if len(dtypes) > 1:
        (d1, p1), (d2, p2) = list(dtypes.items())[:2]
        raise ValueError(f"{side} images mix bit depths: {p1} is {d1} but {p2} is {d2}")
    if channels is None and len(counts) > 1:
        raise ValueError(
            f"{side} images mix grayscale and RGB: {counts[1]} has 1 channel but {counts[3]} has 3; "
            "pass channels=1 or channels=3"
        )
    lo, hi = _RANGES[next(iter(dtypes))]
    if load_size is not None:
        images = [resize_image(image, (load_size, load_size)) for image in images]
    stacked = np.stack([_to_channels(image, channels) for image in images])
    stacked *= 2 / hi
    stacked -= 1
    return stacked, (lo, hi)


def _assemble(
    pairs: list[tuple[np.ndarray, np.ndarray]],
    files: list[tuple[Path, Path]],
    names: list[str],
    load_size: int | None,
    channels: int | tuple[int, int] | None,
    direction: str,
    description: str,
) -> PairedImages:
    if load_size is None:
        shape0 = pairs[0][0].shape[:2]
        for (image, _), (path, _) in zip(pairs, files):
            if image.shape[:2] != shape0:
                raise ValueError(
                    f"images differ in size: {files[0][0]} is {shape0[0]}x{shape0[1]} but {path} is "
                    f"{image.shape[0]}x{image.shape[1]} (height x width); pass load_size= to resize them all"
                )
    ch_a, ch_b = _channel_counts(channels)
    a, a_range = _stack_side([p[0] for p in pairs], [f[0] for f in files], "A", ch_a, load_size)
    b, b_range = _stack_side([p[1] for p in pairs], [f[1] for f in files], "B", ch_b, load_size)
    height, width = a.shape[2:]
    bits = {255.0: 8, 65535.0: 16}
    description = (
        f"{description}: {len(a)} pairs of {height}x{width}, A {a.shape[1]}-channel {bits[a_range[1]]}-bit, "
        f"B {b.shape[1]}-channel {bits[b_range[1]]}-bit"
    )
    result = PairedImages(a, b, names, a_range, b_range, description)
    return result.reversed() if direction == "BtoA" else result


def _check_load_size(load_size: int | None) -> None:
    if load_size is not None and load_size < 1:
        raise ValueError(f"load_size must be positive, got {load_size}")


def _aligned_split_folder(root: Path, split: str | None) -> Path:
    if not root.is_dir():
        raise FileNotFoundError(f"paired dataset folder not found: {root}")
    if split is not None and (root / split).is_dir():
        return root / split
    if _image_files(root):
        return root
    wanted = f"a {split}/ folder or " if split is not None else ""
    raise FileNotFoundError(f"{root}: expected {wanted}A|B image files; {_contents(root)}")


def load_aligned_folder(
    root: str | Path,
    split: str | None = "train",
    direction: str = "AtoB",
    load_size: int | None = None,
    channels: int | tuple[int, int] | None = None,
) -> PairedImages:
    """Load pix2pix's aligned format: each image is A|B side by side, A on the left.

    Args:
        root: the dataset folder holding ``train/``, ``val/``, ``test/``, or a split folder
            itself (a folder of images is used as it is).
        split: the subfolder to read; None reads ``root``.
        direction: ``"AtoB"`` or ``"BtoA"`` (swap the halves' roles).
        load_size: resize both halves to load_size x load_size (bicubic, as the reference's
            ``--load_size``); None keeps the native size, which may be non-square but must
            be the same for every file.
        channels: None keeps the stored channels (1 for grayscale, 3 for RGB); 1 or 3
            converts (luma / repeated gray); an (A, B) tuple sets each side.

    Returns:
        :class:`PairedImages` with a, b of shape (n, C, H, W) in [-1, 1].
    """
    _check_direction(direction)
    _check_load_size(load_size)
    _channel_counts(channels)
    folder = _aligned_split_folder(Path(root), split)
    files = _require_images(folder)
    pairs = []
    for path in files:
        image = read_image(path)
        width = image.shape[1]
        if width % 2:
            raise ValueError(f"{path}: width {width} is odd, so the image cannot be split into A|B halves")
        pairs.append((image[:, : width // 2], image[:, width // 2 :]))
    return _assemble(
        pairs, [(p, p) for p in files], [p.stem for p in files], load_size, channels, direction,
        f"pix2pix aligned A|B images from {folder}",
    )  # fmt: skip


def _ab_folders(root: Path, split: str | None) -> tuple[Path, Path] | None:
    """The (A, B) folder pair of a paired-folders layout, or None when there is none."""
    candidates = [(root / "A" / split, root / "B" / split), (root / f"{split}A", root / f"{split}B")] if split else []
    candidates.append((root / "A", root / "B"))
    return next(((a, b) for a, b in candidates if a.is_dir() and b.is_dir()), None)


def _half_missing(root: Path, split: str | None) -> str:
    """' (found A/ but no B/)' when one folder of a pair is there without the other, else ''."""
    prefixes = ["", split] if split else [""]
    for prefix in prefixes:
        a, b = root / f"{prefix}A", root / f"{prefix}B"
        if a.is_dir() != b.is_dir():
            found, lacking = (a, b) if a.is_dir() else (b, a)
            return f" (found {found.name}/ but no {lacking.name}/)"
    return ""


def _by_stem(files: list[Path]) -> dict[str, Path]:
    stems: dict[str, Path] = {}
    for path in files:
        if path.stem in stems:
            raise ValueError(f"two files share the name {path.stem!r}: {stems[path.stem]} and {path}")
        stems[path.stem] = path
    return stems


def load_paired_folders(
    root: str | Path,
    split: str | None = None,
    direction: str = "AtoB",
    load_size: int | None = None,
    channels: int | tuple[int, int] | None = None,
) -> PairedImages:
    """Load pairs from two folders ``A/`` and ``B/`` whose files match by stem.

    Args:
        root: holds ``A/`` and ``B/``; with ``split``, ``A/<split>/`` and ``B/<split>/`` or
            ``<split>A/`` and ``<split>B/`` are used where they exist.
        split, direction, load_size, channels: as for :func:`load_aligned_folder`.

    Each A image and its B image must have the same size. Returns :class:`PairedImages`
    with the pairs sorted by name.
    """
    _check_direction(direction)
    _check_load_size(load_size)
    _channel_counts(channels)
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"paired dataset folder not found: {root}")
    folders = _ab_folders(root, split)
    if folders is None:
        raise FileNotFoundError(
            f"{root}: expected folders A/ and B/ of images with matching names{_half_missing(root, split)}; "
            f"{_contents(root)}"
        )
    a_dir, b_dir = folders
    a_files, b_files = _by_stem(_require_images(a_dir)), _by_stem(_require_images(b_dir))
    only_a, only_b = sorted(a_files.keys() - b_files.keys()), sorted(b_files.keys() - a_files.keys())
    if only_a or only_b:
        raise ValueError(
            f"{a_dir} and {b_dir} do not pair up by file name: {len(only_a)} only in A ({_few(only_a)}), "
            f"{len(only_b)} only in B ({_few(only_b)})"
        )
    names = sorted(a_files)
    files = [(a_files[name], b_files[name]) for name in names]
    pairs = []
    for a_path, b_path in files:
        a, b = read_image(a_path), read_image(b_path)
        if a.shape[:2] != b.shape[:2]:
            raise ValueError(
                f"{a_path} is {a.shape[0]}x{a.shape[1]} but {b_path} is {b.shape[0]}x{b.shape[1]} (height x width); "
                "the two images of a pair must have the same size"
            )
        pairs.append((a, b))
    return _assemble(pairs, files, names, load_size, channels, direction, f"paired folders {a_dir} and {b_dir}")


def load_paired(
    source: str | Path,
    split: str | None = "train",
    direction: str = "AtoB",
    load_size: int | None = None,
    channels: int | tuple[int, int] | None = None,
) -> PairedImages:
    """Load a pix2pix dataset from disk, telling the layout from the folder's contents.

    Folders ``A/`` and ``B/`` (or ``<split>A/`` and ``<split>B/``) mean paired folders
    (:func:`load_paired_folders`); a ``<split>/`` folder or image files directly in
    ``source`` mean the aligned format (:func:`load_aligned_folder`). The arguments are
    theirs.
    """
    root = Path(source)
    if not root.is_dir():
        raise FileNotFoundError(f"paired dataset folder not found: {root}")
    if _ab_folders(root, split) is not None:
        return load_paired_folders(root, split, direction, load_size, channels)
    if (split is not None and (root / split).is_dir()) or _image_files(root):
        return load_aligned_folder(root, split, direction, load_size, channels)
    wanted = f"a {split}/ folder of A|B images" if split is not None else "A|B image files"
    raise ValueError(
        f"{root} is not a pix2pix dataset: expected folders A/ and B/ (paired) or {wanted} (aligned)"
        f"{_half_missing(root, split)}; {_contents(root)}"
    )
