"""Load MNIST from the files users already have on disk.

Two layouts are understood:

* a directory with the four IDX files from Yann LeCun's site, each optionally
  gzipped (``train-images-idx3-ubyte[.gz]`` ...), either directly inside it or
  in ``MNIST/raw/`` below it, where torchvision puts them;
* a ``mnist.npz`` file as Keras ships it (``x_train, y_train, x_test, y_test``).

Fashion-MNIST uses the same file names and format, so it loads the same way.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from tinygan._npz import read_npz

IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension

_SPLIT_PREFIX = {"train": "train", "test": "t10k"}
_NPZ_KEYS = {"train": ("x_train", "y_train"), "test": ("x_test", "y_test")}

# IDX type codes (third magic byte) -> big-endian numpy dtypes.
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def _read_bytes(path: Path) -> bytes:
    """File contents, gunzipped when the file starts with the gzip magic."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as err:  # a bad header, a truncation, damaged deflate data
            raise ValueError(f"{path}: corrupt gzip data ({type(err).__name__}: {err})") from err
    return data


def read_idx(path: str | Path) -> np.ndarray:
    """Parse one IDX file (plain or gzipped) into an array of its stored shape.

    The header is a 4-byte magic number ``0 0 type ndim`` (MNIST images: 2051,
    labels: 2049) followed by ``ndim`` big-endian uint32 sizes, then the data
    in row-major order. Returns a native-endian array, e.g. uint8 (n, 28, 28)
    for an MNIST image file.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: bad magic number, unknown type code, or a file whose
            length does not match its header.
    """
    return _parse_idx(Path(path))[1]


def _parse_idx(path: Path) -> tuple[int, np.ndarray]:
    """(magic number, array) of an IDX file; see :func:`read_idx`."""
    if not path.is_file():
        raise FileNotFoundError(f"IDX file not found: {path}")
    data = _read_bytes(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path}: not an IDX file (bad magic number {data[:4]!r})")
    type_code, ndim = data[2], data[3]
    if type_code not in _IDX_DTYPES:
        raise ValueError(f"{path}: unknown IDX type code 0x{type_code:02x}")
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise ValueError(f"{path}: truncated header ({len(data)} bytes)")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = _IDX_DTYPES[type_code]
    expected = header_len + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise ValueError(
            f"{path}: header promises shape {shape} ({expected} bytes in all) but the file holds {len(data)} bytes"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header_len).reshape(shape)
    return int.from_bytes(data[:4], "big"), array.astype(dtype.newbyteorder("="))


def _find(directory: Path, stem: str) -> tuple[Path | None, list[Path]]:
    """First existing candidate for an IDX stem, and every path tried."""
    tried = [folder / (stem + suffix) for folder in (directory, directory / "MNIST" / "raw") for suffix in ("", ".gz")]
    return next((p for p in tried if p.is_file()), None), tried


def _read_checked(path: Path, magic: int) -> np.ndarray:
    """``read_idx`` that also insists on the given MNIST magic number."""
    found, array = _parse_idx(path)
    if found != magic:
        raise ValueError(f"{path}: magic number {found}, expected {magic}")
    return array


def _load_idx_dir(directory: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    prefix = _SPLIT_PREFIX[split]
    images_path, tried_images = _find(directory, f"{prefix}-images-idx3-ubyte")
    labels_path, tried_labels = _find(directory, f"{prefix}-labels-idx1-ubyte")
    missing = [tried for path, tried in ((images_path, tried_images), (labels_path, tried_labels)) if path is None]
    if missing:
        # Keras users often point at their cache folder, which holds mnist.npz.
        if (directory / "mnist.npz").is_file():
            return _load_npz(directory / "mnist.npz", split)
        looked = ", ".join(str(p) for tried in missing for p in tried)
        raise FileNotFoundError(f"MNIST {split} split not found; looked for {looked}")
    images = _read_checked(images_path, IMAGES_MAGIC)
    labels = _read_checked(labels_path, LABELS_MAGIC)
    if len(images) != len(labels):
        raise ValueError(f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels")
    return images, labels


def _read_npz(path: Path, keys: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Two arrays of an .npz, with every way the file can be damaged reported as ValueError
    naming the file (np.load alone raises zipfile's or zlib's errors, or suggests allow_pickle)."""
    arrays = read_npz(path, "MNIST file")
    absent = [k for k in keys if k not in arrays]
    if absent:
        raise ValueError(f"{path}: missing keys {absent}; has {sorted(arrays)}")
    return arrays[keys[0]], arrays[keys[1]]


def _check_labels(path: Path, labels: np.ndarray) -> np.ndarray:
    """Class labels as int64; float labels must be whole numbers (3.7 is not truncated to 3)."""
    if labels.dtype.kind == "f":
        fractional = ~np.isfinite(labels) | (labels != np.round(labels))
        if fractional.any():
            raise ValueError(
                f"{path}: labels must be whole numbers, got {labels[fractional][0]} among the {labels.dtype} labels"
            )
    elif labels.dtype.kind not in "iu":
        raise ValueError(f"{path}: labels must be integers, got dtype {labels.dtype}")
    return labels.astype(np.int64)


def _load_npz(path: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    x_key, y_key = _NPZ_KEYS[split]
    images, labels = _read_npz(path, (x_key, y_key))
    if images.dtype != np.uint8:
        raise ValueError(f"{path}: expected uint8 pixels in {x_key}, got {images.dtype}")
    if images.ndim != 3 or labels.ndim != 1:
        raise ValueError(
            f"{path}: expected {x_key} of shape (n, rows, cols) and {y_key} of "
            f"shape (n,), got {images.shape} and {labels.shape}"
        )
    if len(images) != len(labels):
        raise ValueError(f"{path}: {x_key} has {len(images)} images but {y_key} has {len(labels)} labels")
    return images, _check_labels(path, labels)


def load_mnist(path: str | Path, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Load one MNIST split from an IDX directory or a Keras ``mnist.npz``.

    Args:
        path: a directory holding the IDX files (see module docstring) or an
            ``.npz`` file.
        split: ``"train"`` or ``"test"``.

    Returns:
        images: float32 (n, 1, rows, cols) in [0, 1] (rows = cols = 28 for MNIST).
        labels: int64 (n,).
    """
    if split not in _SPLIT_PREFIX:
        raise ValueError(f"unknown split {split!r}; expected 'train' or 'test'")
    path = Path(path)
    if path.is_dir():
        images, labels = _load_idx_dir(path, split)
    elif path.suffix == ".npz" and path.is_file():
        images, labels = _load_npz(path, split)
    elif path.exists():
        raise ValueError(f"{path}: expected a directory of IDX files or an .npz file")
    else:
        raise FileNotFoundError(f"MNIST path not found: {path}")
    # Raw pixels are 0..255 bytes; scale to the [0, 1] range make_digits uses.
    images = (images.astype(np.float32) / 255.0)[:, None]
    return images, labels.astype(np.int64)
