"""Saving and loading checkpoints: nested dicts of arrays and plain values, in one ``.npz`` file.

The file is a NumPy ``.npz`` archive (a zip of ``.npy`` arrays) and holds no pickles, so
loading a checkpoint cannot run code. Every array is stored under its path in the tree
(``"generator/main.0.weight"``), so ``np.load(path)`` shows what is inside; the rest of the
tree (numbers, strings, lists, the structure itself) is one JSON document stored as bytes
under ``"__tree__"``, with ``{"__array__": name}`` where an array was.

Writes are atomic: the archive goes to a temporary file next to the target, which is then
renamed over it with ``os.replace``. A crash mid-write leaves the previous checkpoint intact.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from tinygan import backend
from tinygan.tensor import Tensor

FORMAT = "tinygan-checkpoint"
VERSION = 1
_TREE_KEY = "__tree__"
_MARKERS = ("__array__", "__tuple__", "__items__")


class CheckpointError(ValueError):
    """A checkpoint file that exists but cannot be read as a tinygan checkpoint."""


def _encode(value: Any, path: str, arrays: dict[str, np.ndarray]) -> Any:
    """Turn ``value`` into JSON-able data, moving every array into ``arrays``."""
    if isinstance(value, Tensor):
        value = value.numpy()
    if isinstance(value, np.ndarray) or backend.get_array_module(value) is not np:
        array = backend.to_device(value, "cpu")
        if array.dtype.hasobject:
            raise TypeError(f"checkpoint: {path} is an object array, which would need pickle")
        name = path or "array"
        while name in arrays or name == _TREE_KEY:  # "a/b" as one key and as a nested path
            name += "'"
        arrays[name] = array
        return {"__array__": name}
    if isinstance(value, np.generic):  # a NumPy scalar such as np.float32(1.5)
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, f"{path}/{i}", arrays) for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(v, f"{path}/{i}", arrays) for i, v in enumerate(value)]
    if isinstance(value, dict):
        if any(marker in value for marker in _MARKERS):
            raise ValueError(f"checkpoint: {path or 'the root'} uses a reserved key, one of {_MARKERS}")
        if all(isinstance(k, str) for k in value):
            return {k: _encode(v, f"{path}/{k}" if path else k, arrays) for k, v in value.items()}
        # JSON objects only have string keys; keep other keys (an optimizer's int indices) as pairs
        if not all(isinstance(k, (str, int, float, bool)) for k in value):
            raise TypeError(f"checkpoint: {path} has a dict key that is not a str, int, float or bool")
        return {"__items__": [[k, _encode(v, f"{path}/{k}", arrays)] for k, v in value.items()]}
    raise TypeError(f"checkpoint: cannot store {path or 'the root'} of type {type(value).__name__}")


def _decode(value: Any, arrays: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    if not isinstance(value, dict):
        return value
    if "__array__" in value:
        return arrays[value["__array__"]]
    if "__tuple__" in value:
        return tuple(_decode(v, arrays) for v in value["__tuple__"])
    if "__items__" in value:
        return {k: _decode(v, arrays) for k, v in value["__items__"]}
    return {k: _decode(v, arrays) for k, v in value.items()}


def save_checkpoint(path: str | Path, tree: dict[str, Any]) -> None:
    """Write ``tree`` to ``path`` atomically.

    Args:
        path: the file to write (conventionally ``*.npz``); its directory must exist.
        tree: a dict whose values are arrays (NumPy, CuPy or tinygan Tensors, copied to the
            host), numbers, strings, booleans, None, or lists, tuples and dicts of these.
            Dict keys are strings, or ints/floats/bools (kept as such).
    """
    path = Path(path)
    if not isinstance(tree, dict):
        raise TypeError(f"save_checkpoint needs a dict, got {type(tree).__name__}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write checkpoint {path}: directory {path.parent} does not exist")
    arrays: dict[str, np.ndarray] = {}
    document = {"format": FORMAT, "version": VERSION, "tree": _encode(tree, "", arrays)}
    arrays[_TREE_KEY] = np.frombuffer(json.dumps(document).encode("utf-8"), dtype=np.uint8)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())  # the bytes are on disk before the rename makes them visible
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint`; arrays come back as NumPy arrays.

    Raises:
        FileNotFoundError: no file at ``path``.
        CheckpointError: the file is truncated, corrupt, or not a tinygan checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):  # a bare .npy file loads as one array
            raise CheckpointError(f"{path} is a single .npy array, not a tinygan checkpoint archive")
        with archive:
            if _TREE_KEY not in archive.files:
                raise CheckpointError(f"{path} is an .npz archive but not a tinygan checkpoint (no {_TREE_KEY})")
            document = json.loads(archive[_TREE_KEY].tobytes().decode("utf-8"))
            if not isinstance(document, dict) or document.get("format") != FORMAT:
                raise CheckpointError(f"{path} is not a tinygan checkpoint")
            if document.get("version") != VERSION:
                raise CheckpointError(f"{path} has checkpoint version {document.get('version')}, expected {VERSION}")
            arrays = {name: archive[name] for name in archive.files if name != _TREE_KEY}
            return _decode(document["tree"], arrays)
    except CheckpointError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, UnicodeDecodeError) as e:
        raise CheckpointError(f"checkpoint {path} is corrupt or truncated: {type(e).__name__}: {e}") from e
