"""Reading ``.npz`` archives without trusting them: every member is read whole (so zipfile checks
its CRC), every array must fill its member exactly (a damaged header that promises a smaller
array is caught, not read as one), object arrays are refused without NumPy's advice to allow
pickles, and every failure is one ``error`` (a ValueError subclass) that names the file.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header; an empty archive's end record


def one_line(error: BaseException, limit: int = 160) -> str:
    """``Type: message`` on one line, cut short (zipfile quotes damaged names at length)."""
    text = " ".join(str(error).split())
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class NpzError(ValueError):
    """A damaged or unexpected ``.npz`` file (the default ``error`` of ``read_npz``)."""


def read_npz(path: Path, what: str, error: type[ValueError] = NpzError) -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` at ``path`` by name; ``what`` names the file in messages
    ("checkpoint", "MNIST file"). ``error`` must be a ValueError subclass of its own, not
    ValueError itself: NumPy's and zipfile's own ValueErrors are then told apart from the
    ones raised here and reported as damage to the file, with its name."""
    with open(path, "rb") as f:
        head = f.read(4)
    if head not in ZIP_MAGIC:
        if not head:
            raise error(f"{what} {path} is corrupt: the file is empty")
        if head == b"\x93NUM":
            raise error(f"{what} {path} is a single .npy array, not an .npz archive")
        raise error(f"{what} {path} is corrupt or of another kind: not an .npz (zip) archive")
    try:
        arrays: dict[str, np.ndarray] = {}
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                name = info.filename
                if not name.endswith(".npy") or name[:-4] in arrays:
                    raise error(f"{what} {path} is corrupt: unexpected archive member {name!r}")
                data = archive.read(info)  # raises on a CRC mismatch
                buffer = io.BytesIO(data)
                try:
                    array = np.lib.format.read_array(buffer, allow_pickle=False)
                except ValueError as e:
                    if "pickle" in str(e):  # an object array
                        raise error(f"{what} {path} holds Python objects in {name}, not arrays of numbers") from None
                    raise  # a damaged header: reported below
                if buffer.tell() != len(data):  # a damaged header that promises less than the member holds
                    raise error(f"{what} {path} is corrupt: {name} does not match its header")
                arrays[name[:-4]] = array
        return arrays
    except error:
        raise
    except PermissionError:
        raise
    except Exception as e:  # any failure to parse the bytes means a damaged file
        # zipfile alone raises BadZipFile, NotImplementedError (a flipped compression method),
        # RuntimeError (a flipped encryption flag), zlib.error, EOFError, OverflowError ...;
        # NumPy's header parser ValueError or SyntaxError
        raise error(f"{what} {path} is corrupt or truncated ({one_line(e)})") from e
