"""Read and write image files (PNG, JPEG, TIFF, BMP) through Pillow, keeping 16 bits.

Arrays are laid out as NumPy and Pillow lay them out, (H, W) for grayscale and (H, W, 3)
for RGB, with the stored integer type kept: uint8 for 8-bit files, uint16 for 16-bit
grayscale PNG/TIFF (Pillow's ``"I;16"`` modes), so values above 255 survive a round trip
exactly. Colour images Pillow cannot hold at 16 bits (it has no 48-bit mode) are read at
8 bits with a warning. Alpha channels and palettes are dropped the way
pytorch-CycleGAN-and-pix2pix drops them (``convert("RGB")``): RGBA and palette images
become RGB, LA becomes L.

Pillow is an optional dependency (``pip install "tinygan[examples]"``), imported only when
an image is read or written.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from tinygan._files import atomic_write

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".ppm", ".pgm"})

# Pillow modes read as they are (array dtype in the comment) or converted first.
_AS_STORED = {"L", "RGB", "I;16", "I;16L", "I;16B", "I;16N", "F"}  # uint8, uint8, uint16 x4, float32
_CONVERT = {"1": "L", "LA": "L", "La": "L", "P": "RGB", "PA": "RGB", "RGBA": "RGB", "RGBa": "RGB",
            "RGBX": "RGB", "CMYK": "RGB", "YCbCr": "RGB", "LAB": "RGB", "HSV": "RGB"}  # fmt: skip


class ImageFileError(ValueError):
    """A file that exists but cannot be read as an image (corrupt, truncated, unsupported)."""


def _pillow() -> Any:
    try:
        from PIL import Image
    except ImportError as err:
        raise ImportError('reading and writing image files needs Pillow: pip install "tinygan[examples]"') from err
    return Image


def is_image_file(path: str | Path) -> bool:
    """Whether ``path`` has one of the suffixes in :data:`IMAGE_SUFFIXES` (any case)."""
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def read_image(path: str | Path) -> np.ndarray:
    """Read one image file into an array of its stored type.

    Returns:
        uint8 (H, W) or (H, W, 3) for 8-bit files; uint16 (H, W) for 16-bit grayscale;
        float32 (H, W) for 32-bit float TIFFs. 32-bit integer images (Pillow mode ``"I"``)
        come back as uint16 when their values fit in 0..65535.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ImageFileError: the file is not a readable image (it names the file and the reason).
    """
    Image = _pillow()
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image file not found: {path}")
    try:
        with Image.open(path) as image:
            if getattr(image, "n_frames", 1) > 1:
                raise ImageFileError(f"{path}: holds {image.n_frames} frames; read_image reads single images")
            wide_colour = image.mode in ("RGB", "RGBA") and any(";16" in str(t.args) for t in image.tile)
            image.load()
            mode = image.mode
            if mode in _CONVERT:
                image = image.convert(_CONVERT[mode])
            elif mode not in _AS_STORED and mode != "I":
                raise ImageFileError(f"{path}: unsupported Pillow image mode {mode!r}")
            array = np.asarray(image)
    except ImageFileError:
        raise
    except Exception as err:  # Pillow raises OSError, SyntaxError, ValueError, ... for bad files
        raise ImageFileError(f"{path}: cannot read image ({type(err).__name__}: {err})") from err
    if wide_colour:
        warnings.warn(f"{path}: 16-bit colour image read at 8 bits (Pillow has no 48-bit mode)", stacklevel=2)
    if mode == "I":
        if array.size and (array.min() < 0 or array.max() > 65535):
            raise ImageFileError(
                f"{path}: 32-bit integer image with values in [{array.min()}, {array.max()}], outside 0..65535"
            )
        array = array.astype(np.uint16)
    if array.dtype.byteorder not in "=|":  # I;16B comes back big-endian
        array = array.astype(array.dtype.newbyteorder("="))
    return np.ascontiguousarray(array)


def write_image(path: str | Path, array: np.ndarray) -> None:
    """Write a uint8/uint16 grayscale or uint8 RGB image atomically.

    The format follows the suffix (``.png``, ``.jpg``, ``.tif``, ...). 16-bit grayscale goes
    to PNG or TIFF at full precision (Pillow mode ``"I;16"``); JPEG holds 8 bits only. The
    image is written to a temporary file next to ``path`` and renamed over it, so a failed
    write leaves nothing half-written.

    Args:
        path: the file to write; its directory must exist.
        array: uint8 (H, W), (H, W, 1) or (H, W, 3), or uint16 (H, W) or (H, W, 1).
    """
    Image = _pillow()
    path = Path(path)
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.dtype not in (np.uint8, np.uint16):
        raise TypeError(f"write_image needs uint8 or uint16 pixels, got {array.dtype} (scale and cast first)")
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] == 3)) or 0 in array.shape:
        raise ValueError(f"write_image needs an (H, W) or (H, W, 3) array, got shape {array.shape}")
    if array.dtype == np.uint16 and array.ndim == 3:
        raise ValueError(f"{path}: Pillow cannot write 16-bit RGB; got uint16 of shape {array.shape}")
    fmt = Image.registered_extensions().get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path}: unknown image suffix {path.suffix!r}; use one of {sorted(IMAGE_SUFFIXES)}")
    if array.dtype == np.uint16 and fmt not in ("PNG", "TIFF"):
        raise ValueError(f"{path}: 16-bit images need PNG or TIFF, not {fmt}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write image {path}: directory {path.parent} does not exist")
    if array.dtype == np.uint16:
        array = array.astype("<u2")
        image = Image.frombytes("I;16", (array.shape[1], array.shape[0]), array.tobytes())
    else:
        image = Image.fromarray(np.ascontiguousarray(array))
    atomic_write(path, lambda f: image.save(f, format=fmt))


def resize_image(array: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bicubic resize to ``size = (height, width)``, as the pix2pix reference resizes.

    Each channel is resized in Pillow's 32-bit float mode, so 16-bit images keep their
    precision and nothing is rounded; bicubic overshoots at edges, so the result is clipped
    to the input dtype's range (0..255 for uint8, as the reference's 8-bit images clip) or,
    for float input, to the input's min and max.

    Args:
        array: (H, W) or (H, W, C) of any real dtype.

    Returns:
        float32 (height, width) or (height, width, C).
    """
    Image = _pillow()
    height, width = size
    if height < 1 or width < 1:
        raise ValueError(f"resize needs a positive size, got {size}")
    planes = array[:, :, None] if array.ndim == 2 else array
    out = np.empty((height, width, planes.shape[2]), dtype=np.float32)
    for c in range(planes.shape[2]):
        plane = Image.fromarray(np.ascontiguousarray(planes[:, :, c], dtype=np.float32))  # mode "F"
        out[:, :, c] = np.asarray(plane.resize((width, height), Image.BICUBIC))
    if np.issubdtype(array.dtype, np.integer):
        info = np.iinfo(array.dtype)
        np.clip(out, info.min, info.max, out=out)
    else:
        np.clip(out, float(planes.min()), float(planes.max()), out=out)
    return out[:, :, 0] if array.ndim == 2 else out
