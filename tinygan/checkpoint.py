"""Saving and loading checkpoints: nested dicts of arrays and plain values, in one ``.npz`` file.

The file is a NumPy ``.npz`` archive (a zip of ``.npy`` arrays) and holds no pickles, so
loading a checkpoint cannot run code. Every array is stored under its path in the tree
(``"generator/main.0.weight"``), so ``np.load(path)`` shows what is inside; the rest of the
tree (numbers, strings, lists, the structure itself) is one JSON document stored as bytes
under ``"__tree__"``, with ``{"__array__": name}`` where an array was.

Writes are atomic: the archive goes to a temporary file next to the target
(``.checkpoint.npz.XXXXXXXX.tmp``), which is then renamed over it with ``os.replace``. A crash
mid-write leaves the previous checkpoint intact; the temporary file it leaves behind is removed
by the next save or load of that checkpoint (a writer holds a lock on its temporary file, so a
file still being written by another process is left alone).

Loading never trusts the file: every member's CRC is checked, every array must fill its member
exactly, and any damage (a flipped byte, a truncation, foreign zip contents) raises
:class:`CheckpointError` naming the file, never an error from inside zipfile, zlib or JSON.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from tinygan import backend
from tinygan._npz import one_line, read_npz
from tinygan.tensor import Tensor

try:  # a writer locks its temporary file, so that a cleaner can tell a live write from debris
    import fcntl
except ImportError:  # Windows: an open file cannot be deleted there, which protects a live write
    fcntl = None  # type: ignore[assignment]

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


def _temporary_name_pattern(path: Path) -> re.Pattern[str]:
    """The names ``tempfile.mkstemp(prefix=".NAME.", suffix=".tmp")`` gives next to ``path``."""
    return re.compile(re.escape(f".{path.name}.") + r"[A-Za-z0-9_]{8}\.tmp")


def remove_stale_temporaries(path: str | Path) -> list[Path]:
    """Delete the temporary files that interrupted saves of ``path`` left in its directory.

    A save in progress (in this or another process) holds a lock on its temporary file and is
    left alone, and so is a file created in the last few seconds that is still empty (a writer
    between creating and locking it). Returns the files removed.
    """
    path = Path(path)
    pattern = _temporary_name_pattern(path)
    removed = []
    try:
        candidates = [p for p in path.parent.iterdir() if pattern.fullmatch(p.name)]
    except OSError:  # no directory (yet), or not readable: nothing to clean
        return removed
    for tmp in candidates:
        try:
            with open(tmp, "rb") as f:
                if fcntl is not None:
                    try:
                        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except OSError:  # locked: a save is writing it right now
                        continue
                info = os.fstat(f.fileno())
                if info.st_size == 0 and time.time() - info.st_mtime < 10:
                    continue  # just created by a writer that has not locked it yet
                tmp.unlink()
                removed.append(tmp)
        except OSError:  # gone already, or in use (Windows), or not ours to delete
            continue
    return removed


def save_checkpoint(path: str | Path, tree: dict[str, Any]) -> None:
    """Write ``tree`` to ``path`` atomically, and remove debris of earlier interrupted saves.

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
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            if fcntl is not None:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX)  # released when the file is closed
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())  # the bytes are on disk before the rename makes them visible
            if fcntl is not None:
                os.replace(tmp, path)  # still locked, so no cleaner can take it first
        if fcntl is None:
            os.replace(tmp, path)  # Windows renames no open file
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint`; arrays come back as NumPy arrays.

    Also removes the temporary files that interrupted saves of ``path`` left behind.

    Raises:
        FileNotFoundError: no file at ``path``.
        CheckpointError: the file is truncated, corrupt, or not a tinygan checkpoint (the
            message names the file and says what is wrong, on one line).
    """
    path = Path(path)
    remove_stale_temporaries(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        arrays = read_npz(path, "checkpoint", CheckpointError)
        if _TREE_KEY not in arrays:
            raise CheckpointError(f"{path} is an .npz archive but not a tinygan checkpoint (no {_TREE_KEY})")
        tree = arrays.pop(_TREE_KEY)
        if tree.dtype != np.uint8 or tree.ndim != 1:
            raise CheckpointError(f"checkpoint {path} is corrupt: {_TREE_KEY} is not a byte string")
        document = json.loads(tree.tobytes().decode("utf-8"))
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise CheckpointError(f"{path} is not a tinygan checkpoint")
        if document.get("version") != VERSION:
            raise CheckpointError(f"{path} has checkpoint version {document.get('version')}, expected {VERSION}")
        result = _decode(document.get("tree"), arrays)
        if not isinstance(result, dict):
            raise CheckpointError(f"checkpoint {path} is corrupt: its tree is not a dict")
        return result
    except CheckpointError:
        raise
    except PermissionError:
        raise
    except Exception as e:  # any failure to parse the bytes means a damaged file
        # (read_npz has reported the archive's damage; what is left: JSON, UTF-8, the tree's markers)
        raise CheckpointError(f"checkpoint {path} is corrupt or truncated ({one_line(e)})") from e
