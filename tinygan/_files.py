"""Writing a file so that it is either all there or not there at all.

Every writer of user-visible files (images, DICOM, the dataset cache) goes through
``atomic_write``: the bytes go to a temporary file next to the target, reach the disk, and are
renamed over it, so a crash or an error mid-write leaves the previous file (or none) and no
half-written one. Checkpoints use their own variant in ``tinygan.checkpoint``, which also
locks the temporary file so that a later save can tell a killed writer's debris from a live one.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def atomic_write(path: str | Path, write: Callable[[BinaryIO], None]) -> Path:
    """Write through ``write(fileobj)`` to a temporary file next to ``path``, then rename it over.

    Raises FileNotFoundError when ``path``'s folder does not exist; whatever ``write`` raises
    propagates, with the temporary file removed.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: folder {path.parent} does not exist")
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    # os.open rather than mkstemp: the file gets the usual umask permissions, not 0600.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())  # on disk before the rename makes it visible
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
