"""Real medical file formats: DICOM slices in and out, NIfTI volumes, 16-bit PNG/TIFF in HU.

The optional libraries are imported inside the functions that need them, so ``import
tinygan.data.medical`` works without them: pydicom for DICOM and nibabel for NIfTI
(``pip install "tinygan[medical]"``), Pillow for PNG/TIFF.

**DICOM.** :func:`read_dicom` reads one 2-D grayscale slice and converts the stored values to
modality units with the linear rescale, ``hu = stored * RescaleSlope + RescaleIntercept``
(slope 1 and intercept 0 when the tags are absent; for CT that is Hounsfield units, for MR the
scanner's arbitrary units). The stored values are kept too, at their full bit depth.
:func:`write_dicom` writes a derived slice (a denoised or translated image) back as DICOM on
the metadata of the slice it came from. Anything :func:`read_dicom` cannot turn into one
grayscale slice raises :class:`MedicalFormatError` naming the file and the problem: not DICOM
or corrupt, no Pixel Data (a structured report, an RT plan), compressed pixel data with no
installed decoder (which transfer syntax, which plugins would read it), multi-frame data, or
colour.

**Folders.** :func:`read_dicom_folder` reads the slices of one series. Files that are not DICOM
(a README, a thumbnail) and DICOM objects that hold no image (a dose report, a DICOMDIR) are
skipped with one warning, because they are not slices; an image file that cannot be read
(compressed without a decoder, colour, multi-frame, corrupt) raises, because leaving out a
slice would silently corrupt the volume. Hidden files (names starting with ``.``, such as an
interrupted write's temporary file) and sub-folders are ignored.

**NIfTI.** :func:`read_nifti` and :func:`nifti_slices` return the slices along one voxel axis as
``(n_slices, H, W)`` float32, with ``scl_slope``/``scl_inter`` applied as nibabel's
``get_fdata`` does; the voxel axes are not reoriented (use ``nibabel.as_closest_canonical``
first for RAS order).

**16-bit PNG/TIFF.** :func:`write_hu_png` stores ``HU + offset`` as unsigned 16-bit gray, the
common convention for CT in image files (offset 1024 puts air, -1000 HU, at 24 and water at
1024); values are rounded and clipped to [0, 65535], i.e. HU in [-offset, 65535 - offset].
:func:`read_hu_png` undoes it. Both take ``.png``, ``.tif`` and ``.tiff`` paths.

Every writer is atomic: the file goes to a temporary file next to the target, which is renamed
over it with ``os.replace``; a failed write leaves no partial file and the previous file intact.
"""

from __future__ import annotations

import copy
import math
import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from tinygan._files import atomic_write
from tinygan.data.images import write_image

__all__ = [
    "DicomSlice",
    "MedicalFormatError",
    "NoPixelDataError",
    "NotDicomError",
    "nifti_slices",
    "read_dicom",
    "read_dicom_folder",
    "read_hu_png",
    "read_nifti",
    "write_dicom",
    "write_hu_png",
]

_INSTALL_MEDICAL = 'pip install "tinygan[medical]"'
_HU_IMAGE_SUFFIXES = {".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF"}
# Value representations whose bytes depend on the byte order (raw in pydicom, not converted)
_BYTE_ORDER_VRS = ("OW", "OF", "OD", "OL", "OV", "UN")
# Elements whose values are stored pixel values or describe the old pixel data; rewritten or dropped
_STALE_PIXEL_TAGS = (
    "SmallestImagePixelValue",
    "LargestImagePixelValue",
    "SmallestPixelValueInSeries",
    "LargestPixelValueInSeries",
    "PixelPaddingValue",
    "PixelPaddingRangeLimit",
    "ExtendedOffsetTable",
    "ExtendedOffsetTableLengths",
    "NumberOfFrames",
    "PlanarConfiguration",
)
_DESCRIPTION_MAX = 64  # SeriesDescription is an LO: at most 64 characters


class MedicalFormatError(ValueError):
    """A medical image file that exists but cannot be read as what was asked for.

    ``path`` is the file (or folder) concerned; the message names it and the problem.
    """

    def __init__(self, path: str | os.PathLike[str] | None, message: str) -> None:
        self.path = None if path is None else Path(path)
        super().__init__(f"{path}: {message}" if path is not None else message)


class NotDicomError(MedicalFormatError):
    """The file is not DICOM at all (no DICM prefix and nothing DICOM-like when parsed)."""


class NoPixelDataError(MedicalFormatError):
    """A valid DICOM object that holds no image: an SR, RT plan/structure set, waveform, DICOMDIR."""


@dataclass(frozen=True, eq=False, repr=False)
class DicomSlice:
    """One 2-D grayscale DICOM slice.

    ``hu``: ``(H, W)`` float32, ``stored * slope + intercept`` (Hounsfield units for CT).
    ``stored``: the stored values as decoded, native byte order, full bit depth (int16/uint16 for
    16-bit data). ``slope``/``intercept``: the rescale used (1 and 0 when the file has none).
    ``bits_allocated``/``bits_stored``/``signed``: the stored values' encoding
    (``signed`` is PixelRepresentation 1). ``dataset``: the pydicom Dataset, header only (its
    Pixel Data element removed: the values are in ``stored``), which :func:`write_dicom` uses as
    the template. ``path``: where it was read from.
    """

    hu: np.ndarray
    stored: np.ndarray
    slope: float
    intercept: float
    bits_allocated: int
    bits_stored: int
    signed: bool
    dataset: Any
    path: Path | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return self.hu.shape  # type: ignore[return-value]

    @property
    def stored_dtype(self) -> np.dtype:
        return self.stored.dtype

    @property
    def instance_number(self) -> int | None:
        value = self.dataset.get("InstanceNumber")
        try:
            return None if value is None or value == "" else int(value)
        except (TypeError, ValueError):
            return None

    @property
    def position(self) -> tuple[float, float, float] | None:
        """ImagePositionPatient (x, y, z) in mm, or None when absent."""
        value = self.dataset.get("ImagePositionPatient")
        try:
            return None if not value or len(value) != 3 else tuple(float(v) for v in value)  # type: ignore[return-value]
        except (TypeError, ValueError):
            return None

    @property
    def modality(self) -> str | None:
        return self.dataset.get("Modality")

    @property
    def sop_instance_uid(self) -> str | None:
        value = self.dataset.get("SOPInstanceUID")
        return None if value is None else str(value)

    @property
    def series_instance_uid(self) -> str | None:
        value = self.dataset.get("SeriesInstanceUID")
        return None if value is None else str(value)

    def __repr__(self) -> str:
        return (
            f"DicomSlice(shape={self.shape}, modality={self.modality!r}, stored={self.stored.dtype} "
            f"({self.bits_stored} of {self.bits_allocated} bits), slope={self.slope:g}, "
            f"intercept={self.intercept:g}, path={str(self.path) if self.path else None!r})"
        )


# --------------------------------------------------------------------------------------------
# optional dependencies


def _import_pydicom() -> Any:
    try:
        import pydicom
        import pydicom.uid  # noqa: F401
    except ImportError as exc:
        raise ImportError(f"reading and writing DICOM needs pydicom: {_INSTALL_MEDICAL}") from exc
    return pydicom


def _import_nibabel() -> Any:
    try:
        import nibabel
    except ImportError as exc:
        raise ImportError(f"reading NIfTI needs nibabel: {_INSTALL_MEDICAL}") from exc
    return nibabel


def _import_pillow() -> Any:
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError(f"16-bit PNG/TIFF needs Pillow: pip install pillow (or {_INSTALL_MEDICAL})") from exc
    return Image


def _existing_file(path: str | os.PathLike[str], what: str) -> Path:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{what} file not found: {path}")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not a {what} file")
    return path


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# --------------------------------------------------------------------------------------------
# DICOM reading


def _dcmread(pydicom: Any, path: Path) -> Any:
    """pydicom.dcmread with clear errors; files without the 'DICM' preamble are accepted if they parse
    to something DICOM-like (a SOP Class UID or Pixel Data), since old scanners write such files."""
    from pydicom.errors import InvalidDicomError

    try:
        return pydicom.dcmread(path)
    except InvalidDicomError:
        pass
    except Exception as exc:  # a DICM file that breaks the parser: truncated or corrupt
        raise MedicalFormatError(path, f"corrupt DICOM file, pydicom could not parse it ({_first_line(exc)})") from exc
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # force-parsing garbage warns about every odd element
            ds = pydicom.dcmread(path, force=True)
            dicom_like = "SOPClassUID" in ds or "PixelData" in ds
    except Exception:
        dicom_like = False
    if not dicom_like:
        raise NotDicomError(path, "not a DICOM file (no 'DICM' prefix and no DICOM elements found)")
    return ds


def _transfer_syntax(pydicom: Any, ds: Any) -> Any:
    """The dataset's Transfer Syntax UID; for files without one (no file meta), the encoding read."""
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

    meta = getattr(ds, "file_meta", None)
    ts = meta.get("TransferSyntaxUID") if meta is not None else None
    if ts:
        return ts
    encoding = getattr(ds, "original_encoding", (None, None))
    guessed = {
        (True, True): ImplicitVRLittleEndian,
        (False, True): ExplicitVRLittleEndian,
        (False, False): ExplicitVRBigEndian,
    }.get(tuple(encoding))
    if guessed is not None:
        if meta is None:
            ds.file_meta = meta = FileMetaDataset()
        meta.TransferSyntaxUID = guessed
    return guessed


def _decode_hint(ts: Any) -> str:
    name = ts.name if ts is not None else "unknown"
    if "JPEG-LS" in name:
        return "pip install pylibjpeg pylibjpeg-libjpeg (or pyjpegls, or python-gdcm)"
    if "2000" in name or "HTJ2K" in name or "High-Throughput" in name:
        return "pip install pylibjpeg pylibjpeg-openjpeg (or python-gdcm)"
    return "pip install pylibjpeg pylibjpeg-libjpeg pylibjpeg-openjpeg (or python-gdcm)"


def _rescale(path: Path, ds: Any) -> tuple[float, float]:
    from pydicom.multival import MultiValue

    def number(keyword: str, default: float) -> float:
        value = ds.get(keyword)
        if value is None or value == "":
            return default
        if isinstance(value, MultiValue):
            raise MedicalFormatError(path, f"{keyword} has several values ({value!r}); expected one number")
        try:
            out = float(value)
        except (TypeError, ValueError) as exc:
            raise MedicalFormatError(path, f"{keyword} is not a number: {value!r}") from exc
        if not math.isfinite(out):
            raise MedicalFormatError(path, f"{keyword} is not finite: {value!r}")
        return out

    slope, intercept = number("RescaleSlope", 1.0), number("RescaleIntercept", 0.0)
    if slope == 0.0:
        raise MedicalFormatError(path, "RescaleSlope is 0, so the stored values carry no information")
    return slope, intercept


def _slice_from_dataset(pydicom: Any, ds: Any, path: Path) -> DicomSlice:
    if "PixelData" not in ds:
        kind = _sop_class_name(ds)
        if "FloatPixelData" in ds or "DoubleFloatPixelData" in ds:
            raise MedicalFormatError(
                path, f"the file ({kind}) holds float pixel data (a parametric map), which is not supported"
            )
        raise NoPixelDataError(path, f"DICOM file holds no image (no Pixel Data element); it is {kind}")
    try:
        samples = int(ds.get("SamplesPerPixel", 1) or 1)
        photometric = str(ds.get("PhotometricInterpretation", "") or "")
        frames_value = ds.get("NumberOfFrames", 1)
        frames = int(frames_value) if frames_value not in (None, "") else 1
    except (TypeError, ValueError) as exc:
        raise MedicalFormatError(path, f"corrupt image pixel module ({_first_line(exc)})") from exc
    if samples != 1 or photometric == "PALETTE COLOR":
        what = f"{samples} samples per pixel" if samples != 1 else "palette indices"
        raise MedicalFormatError(
            path,
            f"colour image ({what}, PhotometricInterpretation {photometric or '?'}); "
            "only grayscale slices (SamplesPerPixel 1, MONOCHROME1/2) can be read",
        )
    if frames > 1:
        raise MedicalFormatError(
            path,
            f"multi-frame DICOM ({frames} frames, e.g. an enhanced CT/MR volume or a cine loop) where one "
            "2-D slice was expected; read its frames with pydicom (dataset.pixel_array)",
        )
    if "ModalityLUTSequence" in ds:
        raise MedicalFormatError(
            path, "uses a Modality LUT Sequence; only a linear RescaleSlope/Intercept is supported"
        )
    ts = _transfer_syntax(pydicom, ds)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            stored = ds.pixel_array
    except Exception as exc:
        reason = str(exc).strip().replace("\n", "\n    ")
        if ts is not None and ts.is_compressed:
            if "missing" in reason or "No plugins" in reason or "not installed" in reason:
                problem = "no installed decoder can read it"
            else:
                problem = "the installed decoders failed on it (the data may be corrupt or need another decoder)"
            raise MedicalFormatError(
                path,
                f"pixel data compressed with transfer syntax '{ts.name}' ({ts}): {problem}; a decoder plugin is "
                f"needed: {_decode_hint(ts)}\n  pydicom said: {reason}",
            ) from exc
        if isinstance(exc, (AttributeError, KeyError)):
            raise MedicalFormatError(
                path, f"has Pixel Data but no usable pixel array, the image pixel module is incomplete: {reason}"
            ) from exc
        raise MedicalFormatError(path, f"corrupt pixel data: {reason}") from exc
    if stored.ndim != 2:
        raise MedicalFormatError(
            path,
            f"pixel array has shape {stored.shape} (a 3-D volume or multi-sample data) where one 2-D slice "
            "was expected",
        )
    if stored.size == 0:
        raise MedicalFormatError(path, f"empty pixel array of shape {stored.shape}")
    if not stored.dtype.isnative:
        stored = stored.astype(stored.dtype.newbyteorder("="))
    slope, intercept = _rescale(path, ds)
    hu = (stored.astype(np.float64) * slope + intercept).astype(np.float32)
    bits_allocated = int(ds.get("BitsAllocated", stored.dtype.itemsize * 8))
    bits_stored = int(ds.get("BitsStored", bits_allocated) or bits_allocated)
    signed = int(ds.get("PixelRepresentation", 0) or 0) == 1
    del ds.PixelData  # the values live in `stored`; the header is the template for write_dicom
    return DicomSlice(
        hu=hu,
        stored=stored,
        slope=slope,
        intercept=intercept,
        bits_allocated=bits_allocated,
        bits_stored=bits_stored,
        signed=signed,
        dataset=ds,
        path=path,
    )


def _sop_class_name(ds: Any) -> str:
    sop = ds.get("SOPClassUID")
    kind = f"SOP class '{getattr(sop, 'name', None) or sop!s}'" if sop else "of unknown SOP class"
    modality = ds.get("Modality")
    return kind + (f" (Modality {modality})" if modality else "")


def read_dicom(path: str | os.PathLike[str]) -> DicomSlice:
    """Read one 2-D grayscale DICOM slice; see :class:`DicomSlice` and the module notes.

    Raises FileNotFoundError for a missing file, :class:`NotDicomError` for a file that is not
    DICOM, :class:`NoPixelDataError` for a DICOM object without an image, and
    :class:`MedicalFormatError` for corrupt, undecodable, multi-frame or colour pixel data.
    """
    pydicom = _import_pydicom()
    path = _existing_file(path, "DICOM")
    ds = _dcmread(pydicom, path)
    return _slice_from_dataset(pydicom, ds, path)


def _sort_slices(slices: list[DicomSlice]) -> list[DicomSlice]:
    """By InstanceNumber when every slice has a distinct one, else by position along the slice
    normal (ImagePositionPatient and ImageOrientationPatient; z when the orientation is missing),
    else by file name; ties by file name."""
    names = [s.path.name if s.path else "" for s in slices]
    numbers = [s.instance_number for s in slices]
    if all(n is not None for n in numbers) and len(set(numbers)) == len(numbers):
        keys: list[float] = [float(n) for n in numbers]  # type: ignore[arg-type]
    else:
        positions = [s.position for s in slices]
        if all(p is not None for p in positions):
            normal = np.array([0.0, 0.0, 1.0])
            orientation = slices[0].dataset.get("ImageOrientationPatient")
            try:
                if orientation and len(orientation) == 6:
                    row, col = np.array(orientation[:3], float), np.array(orientation[3:], float)
                    cross = np.cross(row, col)
                    if np.linalg.norm(cross) > 0:
                        normal = cross / np.linalg.norm(cross)
            except (TypeError, ValueError):
                pass
            keys = [float(np.dot(p, normal)) for p in positions]  # type: ignore[arg-type]
        else:
            keys = [0.0] * len(slices)
    order = sorted(range(len(slices)), key=lambda i: (keys[i], names[i]))
    return [slices[i] for i in order]


def read_dicom_folder(folder: str | os.PathLike[str], series_uid: str | None = None) -> list[DicomSlice]:
    """Read the slices of one series from a folder (not its sub-folders), in slice order.

    Order: InstanceNumber when every slice has a distinct one, else position along the slice
    normal, else file name. Files that are not DICOM and DICOM objects without an image are
    skipped with one warning; image files that cannot be read raise. Hidden files are ignored.
    A folder holding several series raises unless ``series_uid`` picks one; a folder with no
    readable slice raises :class:`MedicalFormatError`.
    """
    pydicom = _import_pydicom()
    folder = Path(folder)
    if not folder.exists():
        raise FileNotFoundError(f"DICOM folder not found: {folder}")
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} is a file, not a folder; use read_dicom for one file")
    slices: list[DicomSlice] = []
    skipped: list[str] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        try:
            ds = _dcmread(pydicom, path)
            slices.append(_slice_from_dataset(pydicom, ds, path))
        except NotDicomError:
            skipped.append(f"{path.name} (not DICOM)")
        except NoPixelDataError:
            skipped.append(f"{path.name} ({_sop_class_name(ds)}, no image)")
    if skipped:
        shown = ", ".join(skipped[:5]) + (f" and {len(skipped) - 5} more" if len(skipped) > 5 else "")
        warnings.warn(f"read_dicom_folder: skipped {len(skipped)} file(s) in {folder}: {shown}", stacklevel=2)
    if not slices:
        detail = f"; skipped {len(skipped)} file(s) that are not DICOM images" if skipped else " (the folder is empty)"
        raise MedicalFormatError(folder, f"no DICOM image slices found{detail}")
    series: dict[str | None, list[DicomSlice]] = {}
    for s in slices:
        series.setdefault(s.series_instance_uid, []).append(s)
    if series_uid is not None:
        if series_uid not in series:
            held = sorted(map(str, series))
            raise MedicalFormatError(folder, f"no slices of series {series_uid}; the folder holds {held}")
        slices = series[series_uid]
    elif len(series) > 1:
        listing = "; ".join(
            f"{uid} ({len(group)} slices, {group[0].dataset.get('SeriesDescription', 'no description')!r})"
            for uid, group in series.items()
        )
        raise MedicalFormatError(folder, f"holds {len(series)} series, pass series_uid= to pick one: {listing}")
    return _sort_slices(slices)


# --------------------------------------------------------------------------------------------
# DICOM writing


def _as_ds(value: float) -> tuple[str, float]:
    """A number as DICOM decimal string text (at most 16 characters) and the float that text means."""
    from pydicom.valuerep import format_number_as_ds

    text = format_number_as_ds(float(value))
    return text, float(text)


def _drop_byte_order_dependent(ds: Any) -> None:
    """For a big-endian template: drop binary elements pydicom would copy byte for byte (overlays,
    private data), since they would be wrong in the little-endian output."""
    for elem in list(ds):
        if elem.VR == "SQ":
            for item in elem.value:
                _drop_byte_order_dependent(item)
        elif elem.VR in _BYTE_ORDER_VRS and elem.tag != 0x7FE00010:
            del ds[elem.tag]


def write_dicom(
    path: str | os.PathLike[str],
    hu: np.ndarray,
    template: DicomSlice,
    *,
    description: str = "tinygan derived",
    slope: float | None = None,
    intercept: float | None = None,
) -> Path:
    """Write the 2-D slice ``hu`` (modality units, HU for CT) as DICOM on ``template``'s metadata.

    The output is the template's header with: a new SOPInstanceUID; a SeriesInstanceUID derived
    from the template's series and ``description`` (so every slice written from one series with
    one description lands in the same new series); SeriesDescription ``"<original> (description)"``
    and DerivationDescription ``description``; ImageType DERIVED\\SECONDARY; a SourceImageSequence
    pointing at the template; and pixel data uncompressed in Explicit VR Little Endian, 16 bits,
    signed (int16) or unsigned (uint16) as the template's PixelRepresentation.

    Stored values are ``round((hu - intercept) / slope)`` with the template's RescaleSlope and
    RescaleIntercept (or the ``slope``/``intercept`` given), so HU round-trip to within ``slope / 2``
    (exactly, for integer HU and slope 1). Values outside the stored type's range are clipped,
    with a warning saying how many. The write is atomic. ``hu`` must have the template's shape
    (resample back first: the geometry tags describe the template's grid). Returns the path.
    """
    pydicom = _import_pydicom()
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence as DicomSequence
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    if not isinstance(template, DicomSlice):
        raise TypeError(f"write_dicom: template must be a DicomSlice from read_dicom, got {type(template).__name__}")
    path = Path(path)
    hu = np.asarray(hu)
    if hu.dtype.kind not in "biuf":
        raise TypeError(f"write_dicom: hu must be a real numeric array, got dtype {hu.dtype}")
    if hu.ndim != 2:
        raise ValueError(f"write_dicom: hu must be one 2-D slice (H, W), got shape {hu.shape}")
    if hu.shape != template.shape:
        raise ValueError(
            f"write_dicom: hu has shape {hu.shape} but the template slice is {template.shape}; resample to the "
            "template's grid first (its PixelSpacing and position describe that grid)"
        )
    if not np.isfinite(hu).all():
        bad = int(np.size(hu) - np.count_nonzero(np.isfinite(hu)))
        raise ValueError(f"write_dicom: hu has {bad} NaN or infinite value(s); nothing written to {path}")
    slope_text, slope_value = _as_ds(template.slope if slope is None else slope)
    intercept_text, intercept_value = _as_ds(template.intercept if intercept is None else intercept)
    if slope_value == 0 or not math.isfinite(slope_value) or not math.isfinite(intercept_value):
        raise ValueError(
            f"write_dicom: need a finite non-zero slope and finite intercept, got {slope_value}, {intercept_value}"
        )

    dtype = np.dtype(np.int16 if template.signed else np.uint16)
    info = np.iinfo(dtype)
    values = np.rint((hu.astype(np.float64) - intercept_value) / slope_value)
    clipped = int(np.count_nonzero((values < info.min) | (values > info.max)))
    if clipped:
        lo, hi = info.min * slope_value + intercept_value, info.max * slope_value + intercept_value
        warnings.warn(
            f"write_dicom: {clipped} pixel(s) outside the range {dtype} can store with slope {slope_value:g} and "
            f"intercept {intercept_value:g} ([{min(lo, hi):g}, {max(lo, hi):g}]) were clipped in {path}",
            stacklevel=2,
        )
    stored = np.clip(values, info.min, info.max).astype(dtype)

    ds = copy.deepcopy(template.dataset)  # the template stays as read
    old_ts = _transfer_syntax(pydicom, ds)
    if old_ts is not None and not old_ts.is_little_endian:
        _drop_byte_order_dependent(ds)
    for keyword in _STALE_PIXEL_TAGS:
        if keyword in ds:
            delattr(ds, keyword)
    if "PixelData" in ds:
        del ds.PixelData
    if getattr(ds, "file_meta", None) is None:
        ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2") or "MONOCHROME2")
    ds.set_pixel_data(stored, photometric, 16, generate_instance_uid=False)

    had_rescale = "RescaleSlope" in template.dataset or "RescaleIntercept" in template.dataset
    if had_rescale or (slope_value, intercept_value) != (1.0, 0.0):
        ds.RescaleSlope = slope_text
        ds.RescaleIntercept = intercept_text

    old_sop_uid, old_series_uid = ds.get("SOPInstanceUID"), ds.get("SeriesInstanceUID")
    new_uid = generate_uid()
    ds.SOPInstanceUID = new_uid
    ds.file_meta.MediaStorageSOPInstanceUID = new_uid
    if "SOPClassUID" in ds:
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.SeriesInstanceUID = (
        generate_uid(entropy_srcs=[str(old_series_uid), description]) if old_series_uid else generate_uid()
    )
    original = str(ds.get("SeriesDescription", "") or "").strip()
    suffix = f" ({description})" if original else description
    ds.SeriesDescription = (original[: max(0, _DESCRIPTION_MAX - len(suffix))] + suffix)[:_DESCRIPTION_MAX]
    ds.DerivationDescription = description
    image_type = ds.get("ImageType")
    rest = [] if image_type is None else ([image_type] if isinstance(image_type, str) else list(image_type))
    ds.ImageType = ["DERIVED", "SECONDARY", *rest[2:]]
    if old_sop_uid and "SOPClassUID" in ds:
        source = Dataset()
        source.ReferencedSOPClassUID = ds.SOPClassUID
        source.ReferencedSOPInstanceUID = old_sop_uid
        ds.SourceImageSequence = DicomSequence([source])

    def write(f: BinaryIO) -> None:
        pydicom.dcmwrite(f, ds, enforce_file_format=True)

    return atomic_write(path, write)


# --------------------------------------------------------------------------------------------
# NIfTI


def _load_nifti_volume(path: str | os.PathLike[str], axis: int) -> tuple[Any, Path, int, tuple[int, int, int]]:
    nibabel = _import_nibabel()
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or not -3 <= axis <= 2:
        raise ValueError(f"axis must be 0, 1 or 2 (or -3..-1), the voxel axis to slice along; got {axis!r}")
    path = _existing_file(path, "NIfTI")
    try:
        img = nibabel.load(path)
    except Exception as exc:
        raise MedicalFormatError(path, f"not a readable NIfTI/nibabel image ({_first_line(exc)})") from exc
    shape = tuple(int(n) for n in img.shape)
    while len(shape) > 3 and shape[-1] == 1:  # (X, Y, Z, 1): a 3-D volume stored as 4-D
        shape = shape[:-1]
    if len(shape) != 3:
        kind = "4-D (a time series or multi-volume file)" if len(shape) > 3 else f"{len(shape)}-D"
        raise MedicalFormatError(path, f"volume has shape {tuple(img.shape)}: {kind}, where a 3-D volume was expected")
    return img, path, int(axis) % 3, shape  # type: ignore[return-value]


def nifti_slices(path: str | os.PathLike[str], axis: int = 2, indices: Iterable[int] | None = None) -> np.ndarray:
    """Slices ``indices`` (all when None; negative indices count from the end) along voxel ``axis``
    as ``(len(indices), H, W)`` float32, scaled by scl_slope/scl_inter. Only the slices asked for
    are read from an uncompressed file (nibabel's array proxy)."""
    img, path, axis, shape = _load_nifti_volume(path, axis)
    n = shape[axis]
    picked: list[int] = []
    if indices is not None:
        picked = [int(i) for i in np.asarray(list(indices), dtype=np.int64).reshape(-1)]
        bad = [i for i in picked if not -n <= i < n]
        if bad:
            raise IndexError(
                f"{path}: slice indices {bad[:5]} out of range for {n} slices along axis {axis} (shape {shape})"
            )
        picked = [i % n for i in picked]
    try:
        proxy = img.dataobj
        if indices is None:
            data = np.asarray(img.get_fdata(dtype=np.float32)).reshape(shape)
            out = np.moveaxis(data, axis, 0)
        else:
            out_shape = (len(picked),) + tuple(s for k, s in enumerate(shape) if k != axis)
            out = np.empty(out_shape, dtype=np.float32)
            for j, i in enumerate(picked):
                index: list[Any] = [slice(None)] * len(img.shape)
                index[axis] = i
                for k in range(3, len(img.shape)):
                    index[k] = 0
                out[j] = np.asarray(proxy[tuple(index)], dtype=np.float32)
    except MedicalFormatError:
        raise
    except Exception as exc:
        raise MedicalFormatError(path, f"could not read the voxel data ({_first_line(exc)})") from exc
    return np.ascontiguousarray(out, dtype=np.float32)


def read_nifti(path: str | os.PathLike[str], axis: int = 2) -> np.ndarray:
    """All slices of a 3-D NIfTI volume along voxel ``axis``: ``(n_slices, H, W)`` float32, with
    scl_slope/scl_inter applied (nibabel's get_fdata). ``(X, Y, Z, 1)`` files count as 3-D; 2-D
    and true 4-D files raise :class:`MedicalFormatError`."""
    return nifti_slices(path, axis, None)


# --------------------------------------------------------------------------------------------
# 16-bit PNG/TIFF in HU


def _hu_image_format(path: Path) -> str:
    fmt = _HU_IMAGE_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path}: 16-bit HU images need a .png, .tif or .tiff name, not {path.suffix!r}")
    return fmt


def write_hu_png(path: str | os.PathLike[str], hu: np.ndarray, offset: int = 1024) -> Path:
    """Store the 2-D slice ``hu`` as 16-bit gray PNG or TIFF holding ``round(HU + offset)``, clipped
    to [0, 65535] (a warning says how many pixels were clipped). Atomic. Returns the path."""
    path = Path(path)
    _hu_image_format(path)  # PNG or TIFF, checked before any work
    hu = np.asarray(hu)
    if hu.dtype.kind not in "biuf":
        raise TypeError(f"write_hu_png: hu must be a real numeric array, got dtype {hu.dtype}")
    if hu.ndim != 2 or hu.size == 0:
        raise ValueError(f"write_hu_png: hu must be one non-empty 2-D slice (H, W), got shape {hu.shape}")
    if not np.isfinite(hu).all():
        raise ValueError(f"write_hu_png: hu has NaN or infinite values; nothing written to {path}")
    values = np.rint(hu.astype(np.float64) + offset)
    clipped = int(np.count_nonzero((values < 0) | (values > 65535)))
    if clipped:
        warnings.warn(
            f"write_hu_png: {clipped} pixel(s) outside [{-offset}, {65535 - offset}] HU were clipped in {path}",
            stacklevel=2,
        )
    write_image(path, np.clip(values, 0, 65535).astype(np.uint16))  # 16-bit gray, atomically
    return path


def read_hu_png(path: str | os.PathLike[str], offset: int = 1024) -> np.ndarray:
    """Read a 16-bit gray PNG/TIFF written by :func:`write_hu_png`: ``(H, W)`` float32 HU, the stored
    value minus ``offset``. 8-bit, colour and float images raise :class:`MedicalFormatError` (they
    do not hold HU by this convention)."""
    Image = _import_pillow()
    path = _existing_file(path, "image")
    try:
        with Image.open(path) as image:
            image.load()
            mode, frames = image.mode, getattr(image, "n_frames", 1)
            array = np.asarray(image)
    except Exception as exc:
        raise MedicalFormatError(path, f"not a readable image ({_first_line(exc)})") from exc
    if frames != 1:
        raise MedicalFormatError(path, f"multi-page image ({frames} pages) where one 2-D slice was expected")
    if mode.startswith("I;16"):
        values = array.astype(np.int64)
    elif mode == "I":
        values = array.astype(np.int64)
        if values.size and (values.min() < 0 or values.max() > 65535):
            raise MedicalFormatError(
                path, f"32-bit integer image with values in [{values.min()}, {values.max()}], outside 16-bit [0, 65535]"
            )
    else:
        raise MedicalFormatError(
            path,
            f"image mode {mode!r} (shape {array.shape}) is not 16-bit grayscale; HU images hold HU + offset "
            "as 16-bit gray (Pillow mode I;16)",
        )
    return (values - offset).astype(np.float32)
