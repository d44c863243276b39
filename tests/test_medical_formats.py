"""Medical file formats: DICOM (pydicom's bundled sample files and files written here), NIfTI, 16-bit PNG/TIFF."""

from __future__ import annotations

import os
import shutil
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from tinygan.data.medical.formats import (
    DicomSlice,
    MedicalFormatError,
    NoPixelDataError,
    NotDicomError,
    nifti_slices,
    read_dicom,
    read_dicom_folder,
    read_hu_png,
    read_nifti,
    write_dicom,
    write_hu_png,
)

# --------------------------------------------------------------------------------------------
# helpers


@pytest.fixture
def pydicom():
    return pytest.importorskip("pydicom")


@pytest.fixture
def nib():
    return pytest.importorskip("nibabel")


@pytest.fixture
def Image():
    return pytest.importorskip("PIL.Image")


def sample(name: str) -> Path:
    """One of the files pydicom ships, offline; skip if this pydicom does not bundle it."""
    data = pytest.importorskip("pydicom.data")
    path = data.get_testdata_file(name, download=False)
    if path is None:
        pytest.skip(f"pydicom does not bundle {name} offline")
    return Path(path)


def make_dicom(
    path: Path,
    stored: np.ndarray,
    *,
    slope: float | None = None,
    intercept: float | None = None,
    instance: int | None = None,
    z: float | None = None,
    series_uid: str = "1.2.826.0.1.3680043.8.498.1",
    description: str = "phantom series",
) -> Path:
    """A minimal CT slice written with pydicom itself (not with the code under test)."""
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    uid = generate_uid()
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = uid
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = uid
    ds.Modality = "CT"
    ds.PatientName = "Phantom^Test"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.0"
    ds.SeriesInstanceUID = series_uid
    ds.SeriesDescription = description
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.PixelSpacing = [0.7, 0.7]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    if instance is not None:
        ds.InstanceNumber = instance
    if z is not None:
        ds.ImagePositionPatient = [-100.0, -100.0, z]
    ds.set_pixel_data(stored, "MONOCHROME2", 16, generate_instance_uid=False)
    if slope is not None:
        ds.RescaleSlope = slope
        ds.RescaleIntercept = intercept
        ds.RescaleType = "HU"
    pydicom.dcmwrite(path, ds, enforce_file_format=True)
    return path


def stored_values(rng: np.random.Generator, dtype, shape=(16, 12)) -> np.ndarray:
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -4000), min(info.max, 60000), size=shape, endpoint=True).astype(dtype)


# --------------------------------------------------------------------------------------------
# reading pydicom's sample files


def test_ct_small_hu_is_stored_times_slope_plus_intercept(pydicom):
    path = sample("CT_small.dcm")
    ds = pydicom.dcmread(path)
    raw = ds.pixel_array
    expected = raw.astype(np.float64) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)

    s = read_dicom(path)
    assert isinstance(s, DicomSlice)
    assert (s.slope, s.intercept) == (1.0, -1024.0)
    assert s.hu.dtype == np.float32 and s.hu.shape == (128, 128) == s.shape
    np.testing.assert_array_equal(s.hu, expected)
    # all 16 bits are kept: the raw values, not a truncated 8-bit copy
    assert s.stored.dtype == np.int16 and s.bits_allocated == 16 and s.signed
    np.testing.assert_array_equal(s.stored, raw)
    assert s.stored.max() > 255
    assert s.modality == "CT" and s.instance_number == 1 and s.position is not None
    assert "PixelData" not in s.dataset and s.dataset.SOPInstanceUID == ds.SOPInstanceUID
    assert "CT_small.dcm" in repr(s)


def test_mr_without_rescale_tags_defaults_to_slope_1_intercept_0():
    s = read_dicom(sample("MR_small.dcm"))
    assert (s.slope, s.intercept) == (1.0, 0.0)
    np.testing.assert_array_equal(s.hu, s.stored.astype(np.float32))


def test_big_endian_and_rle_files_read_like_the_little_endian_original():
    reference = read_dicom(sample("MR_small.dcm"))
    for name in ("MR_small_bigendian.dcm", "MR_small_implicit.dcm", "MR_small_RLE.dcm"):
        s = read_dicom(sample(name))
        assert s.stored.dtype.isnative
        np.testing.assert_array_equal(s.hu, reference.hu)


def test_file_without_preamble_and_file_meta_is_read_and_written_back(pydicom, tmp_path):
    # old scanners write bare datasets: no 128-byte preamble, no 'DICM', no transfer syntax
    ds = pydicom.dcmread(sample("CT_small.dcm"))
    del ds.file_meta
    ds.preamble = None
    bare = tmp_path / "bare.dcm"
    pydicom.dcmwrite(bare, ds, implicit_vr=True, little_endian=True)
    assert bare.read_bytes()[128:132] != b"DICM"
    s = read_dicom(bare)
    np.testing.assert_array_equal(s.hu, read_dicom(sample("CT_small.dcm")).hu)
    out = write_dicom(tmp_path / "out.dcm", s.hu, s)
    assert out.read_bytes()[128:132] == b"DICM"
    np.testing.assert_array_equal(read_dicom(out).hu, s.hu)


def _needs_plugin(pydicom, path: Path) -> bool:
    try:
        _ = pydicom.dcmread(path).pixel_array
    except Exception:
        return True
    return False


@pytest.mark.parametrize(
    ("name", "error", "pattern"),
    [
        ("rtplan.dcm", NoPixelDataError, r"no image \(no Pixel Data.*RT Plan Storage"),
        ("test-SR.dcm", NoPixelDataError, r"no image.*SR Storage.*Modality SR"),
        ("waveform_ecg.dcm", NoPixelDataError, r"no image.*Waveform"),
        ("rtdose.dcm", MedicalFormatError, r"multi-frame DICOM \(15 frames"),
        ("SC_rgb_small_odd.dcm", MedicalFormatError, r"colour image \(3 samples per pixel.*RGB"),
        ("SC_rgb_jpeg_dcmtk.dcm", MedicalFormatError, r"colour image \(3 samples per pixel"),
        ("examples_palette.dcm", MedicalFormatError, r"colour image \(palette indices"),
        ("MR_truncated.dcm", MedicalFormatError, r"corrupt pixel data.*less than expected"),
        ("nested_priv_SQ.dcm", MedicalFormatError, r"no usable pixel array.*Bits Allocated"),
    ],
)
def test_sample_files_that_are_not_one_grayscale_slice_raise(name, error, pattern):
    path = sample(name)
    with pytest.raises(error, match=pattern) as info:
        read_dicom(path)
    assert name in str(info.value) and info.value.path == path
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("name", "syntax"),
    [
        ("MR_small_jpeg_ls_lossless.dcm", "JPEG-LS Lossless Image Compression"),
        ("JPEGLSNearLossless_16.dcm", "JPEG-LS Lossy"),
        ("JPGExtended.dcm", "JPEG Extended"),
    ],
)
def test_compressed_pixel_data_without_a_decoder_names_the_transfer_syntax(pydicom, name, syntax):
    path = sample(name)
    if not _needs_plugin(pydicom, path):
        pytest.skip(f"a decoder plugin for {name} is installed here")
    with pytest.raises(MedicalFormatError, match="decoder plugin") as info:
        read_dicom(path)
    message = str(info.value)
    assert name in message and syntax in message and "pylibjpeg" in message


@pytest.mark.parametrize("content", [b"", b"hello, this is not DICOM\n" * 40, None])
def test_a_file_named_dcm_that_is_not_dicom_raises(tmp_path, rng, content):
    path = tmp_path / "slice_001.dcm"
    path.write_bytes(rng.bytes(4096) if content is None else content)
    with pytest.raises(NotDicomError, match="not a DICOM file") as info:
        read_dicom(path)
    assert "slice_001.dcm" in str(info.value)


def test_missing_file_and_folder_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.dcm"):
        read_dicom(tmp_path / "nope.dcm")
    with pytest.raises(IsADirectoryError, match="folder"):
        read_dicom(tmp_path)


def test_missing_optional_dependency_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pydicom", None)
    with pytest.raises(ImportError, match=r"tinygan\[medical\]"):
        read_dicom(tmp_path / "x.dcm")
    monkeypatch.setitem(sys.modules, "nibabel", None)
    with pytest.raises(ImportError, match=r"tinygan\[medical\]"):
        read_nifti(tmp_path / "x.nii")


# --------------------------------------------------------------------------------------------
# files written here: rescale on read, write_dicom round trips


@pytest.mark.parametrize(
    ("slope", "intercept", "dtype"),
    [
        (1, -1024, np.int16),
        (0.5, -1024, np.int16),
        (1, -1024, np.uint16),
        (2.5, 0.25, np.uint16),
        (None, None, np.int16),
    ],
)
def test_read_applies_slope_and_intercept(pydicom, tmp_path, rng, slope, intercept, dtype):
    stored = stored_values(rng, dtype)
    path = make_dicom(tmp_path / "a.dcm", stored, slope=slope, intercept=intercept)
    s = read_dicom(path)
    m, b = (1.0, 0.0) if slope is None else (slope, intercept)
    np.testing.assert_array_equal(s.stored, stored)
    assert s.stored.dtype == dtype and s.signed == (dtype == np.int16)
    np.testing.assert_array_equal(s.hu, (stored.astype(np.float64) * m + b).astype(np.float32))


@pytest.mark.parametrize(
    ("slope", "intercept", "dtype"), [(1, -1024, np.int16), (0.5, -1024, np.int16), (1, -1024, np.uint16)]
)
def test_write_dicom_round_trips_hu(pydicom, tmp_path, rng, slope, intercept, dtype):
    template = read_dicom(make_dicom(tmp_path / "t.dcm", stored_values(rng, dtype), slope=slope, intercept=intercept))
    integer_hu = rng.integers(-1024, 3071, size=template.shape, endpoint=True).astype(np.float32)
    out = write_dicom(tmp_path / "integer.dcm", integer_hu, template, description="tinygan denoised")
    back = read_dicom(out)
    np.testing.assert_array_equal(back.hu, integer_hu)  # exact: integer HU are on the slope grid
    assert back.stored.dtype == dtype and (back.slope, back.intercept) == (slope, intercept)

    float_hu = rng.uniform(-1000, 3000, size=template.shape)
    back = read_dicom(write_dicom(tmp_path / "float.dcm", float_hu, template))
    assert np.abs(back.hu - float_hu).max() <= slope / 2 + 1e-3


def test_write_dicom_marks_the_slice_derived_with_new_uids(pydicom, tmp_path, rng):
    template = read_dicom(make_dicom(tmp_path / "t.dcm", stored_values(rng, np.int16), slope=1, intercept=-1024))
    hu = template.hu + 3
    a = read_dicom(write_dicom(tmp_path / "a.dcm", hu, template, description="tinygan denoised"))
    b = read_dicom(write_dicom(tmp_path / "b.dcm", hu, template, description="tinygan denoised"))
    ds, old = a.dataset, template.dataset
    assert ds.SOPInstanceUID != old.SOPInstanceUID and ds.SOPInstanceUID != b.dataset.SOPInstanceUID
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert pydicom.uid.UID(ds.SOPInstanceUID).is_valid
    # one new series per (source series, description): the slices of a volume stay together
    assert ds.SeriesInstanceUID != old.SeriesInstanceUID and ds.SeriesInstanceUID == b.dataset.SeriesInstanceUID
    assert ds.SeriesDescription == "phantom series (tinygan denoised)"
    assert ds.DerivationDescription == "tinygan denoised"
    assert list(ds.ImageType) == ["DERIVED", "SECONDARY", "AXIAL"]
    assert ds.SourceImageSequence[0].ReferencedSOPInstanceUID == old.SOPInstanceUID
    assert ds.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    assert (ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation) == (16, 16, 15, 1)
    assert ds.PatientName == "Phantom^Test" and list(ds.PixelSpacing) == [0.7, 0.7]
    # the template itself is untouched
    assert list(old.ImageType) == ["ORIGINAL", "PRIMARY", "AXIAL"] and old.SeriesDescription == "phantom series"
    np.testing.assert_array_equal(a.hu, hu)


def test_write_dicom_on_real_sample_templates(pydicom, tmp_path, rng):
    # CT_small: explicit little endian; MR_small_bigendian: big endian; MR_small_RLE: compressed (RLE, built in)
    for name in ("CT_small.dcm", "MR_small_bigendian.dcm", "MR_small_RLE.dcm"):
        template = read_dicom(sample(name))
        hu = template.hu + rng.normal(0, 5, size=template.shape)
        out = write_dicom(tmp_path / name, hu, template)
        back = read_dicom(out)
        assert np.abs(back.hu - hu).max() <= 0.5 + 1e-3
        assert pydicom.dcmread(out).file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
        assert back.dataset.Modality == template.dataset.Modality


def test_write_dicom_clips_to_the_stored_range_with_a_warning(pydicom, tmp_path, rng):
    template = read_dicom(make_dicom(tmp_path / "t.dcm", stored_values(rng, np.uint16), slope=1, intercept=-1024))
    hu = np.full(template.shape, 40.0)
    hu[0, :3] = -2000  # below what uint16 with intercept -1024 can hold
    with pytest.warns(UserWarning, match=r"3 pixel\(s\).*clipped"):
        out = write_dicom(tmp_path / "c.dcm", hu, template)
    back = read_dicom(out)
    np.testing.assert_array_equal(back.hu[0, :3], -1024)
    np.testing.assert_array_equal(back.hu[1:], 40)


def test_write_dicom_is_atomic(pydicom, tmp_path, rng, monkeypatch):
    template = read_dicom(make_dicom(tmp_path / "t.dcm", stored_values(rng, np.int16), slope=1, intercept=-1024))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "slice.dcm"
    write_dicom(target, template.hu, template)
    assert os.listdir(out_dir) == ["slice.dcm"]  # no temporary file left behind
    before = target.read_bytes()

    def half_write(fp, ds, **kwargs):
        fp.write(b"\0" * 200)
        raise OSError("disk full")

    monkeypatch.setattr(pydicom, "dcmwrite", half_write)
    with pytest.raises(OSError, match="disk full"):
        write_dicom(target, template.hu + 1, template)
    with pytest.raises(OSError, match="disk full"):
        write_dicom(out_dir / "new.dcm", template.hu, template)
    assert os.listdir(out_dir) == ["slice.dcm"] and target.read_bytes() == before
    monkeypatch.undo()

    bad = template.hu.copy()
    bad[2, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        write_dicom(out_dir / "nan.dcm", bad, template)
    with pytest.raises(ValueError, match=r"shape \(8, 8\).*template"):
        write_dicom(out_dir / "small.dcm", np.zeros((8, 8)), template)
    with pytest.raises(TypeError, match="DicomSlice"):
        write_dicom(out_dir / "x.dcm", template.hu, template.dataset)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_dicom(tmp_path / "missing" / "x.dcm", template.hu, template)
    assert os.listdir(out_dir) == ["slice.dcm"]


# --------------------------------------------------------------------------------------------
# folders


def test_read_dicom_folder_orders_by_instance_number(pydicom, tmp_path, rng):
    numbers = [3, 1, 4, 2, 5]
    for i, n in enumerate(numbers):  # file names in a different order than the instance numbers
        stored = np.full((8, 8), 1024 + 10 * n, np.int16)
        make_dicom(tmp_path / f"img{i}.dcm", stored, slope=1, intercept=-1024, instance=n, z=-5.0 * n)
    (tmp_path / "README.txt").write_text("exported by the scanner\n")
    (tmp_path / ".DS_Store").write_bytes(b"\0\1\2")
    shutil.copy(sample("test-SR.dcm"), tmp_path / "dose_report.dcm")
    (tmp_path / "sub").mkdir()
    with pytest.warns(UserWarning, match=r"skipped 2 file\(s\).*README.txt \(not DICOM\).*dose_report.dcm"):
        slices = read_dicom_folder(tmp_path)
    assert [s.instance_number for s in slices] == [1, 2, 3, 4, 5]
    assert [float(s.hu[0, 0]) for s in slices] == [10, 20, 30, 40, 50]


def test_read_dicom_folder_falls_back_to_position_then_name(pydicom, tmp_path):
    for name, z in [("a.dcm", 30.0), ("b.dcm", -10.0), ("c.dcm", 10.0)]:
        make_dicom(tmp_path / name, np.full((4, 4), int(z) + 100, np.int16), z=z)
    slices = read_dicom_folder(tmp_path)
    assert [s.path.name for s in slices] == ["b.dcm", "c.dcm", "a.dcm"]

    names = tmp_path / "names"
    names.mkdir()
    for name in ("z.dcm", "m.dcm", "a.dcm"):
        make_dicom(names / name, np.zeros((4, 4), np.int16))
    assert [s.path.name for s in read_dicom_folder(names)] == ["a.dcm", "m.dcm", "z.dcm"]


def test_read_dicom_folder_errors(pydicom, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(MedicalFormatError, match="no DICOM image slices.*empty"):
        read_dicom_folder(empty)
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.txt").write_text("hi")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(MedicalFormatError, match=r"no DICOM image slices.*skipped 1"):
            read_dicom_folder(junk)
    with pytest.raises(FileNotFoundError):
        read_dicom_folder(tmp_path / "nowhere")
    with pytest.raises(NotADirectoryError):
        read_dicom_folder(junk / "notes.txt")

    # an image that cannot be read is an error, not a silently missing slice
    broken = tmp_path / "broken"
    broken.mkdir()
    make_dicom(broken / "ok.dcm", np.zeros((4, 4), np.int16), instance=1)
    shutil.copy(sample("rtdose.dcm"), broken / "volume.dcm")
    with pytest.raises(MedicalFormatError, match="volume.dcm: multi-frame"):
        read_dicom_folder(broken)

    mixed = tmp_path / "mixed"
    mixed.mkdir()
    make_dicom(mixed / "a.dcm", np.zeros((4, 4), np.int16), instance=1, series_uid="1.2.3.1", description="soft")
    make_dicom(mixed / "b.dcm", np.zeros((4, 4), np.int16), instance=2, series_uid="1.2.3.2", description="bone")
    with pytest.raises(MedicalFormatError, match=r"holds 2 series.*series_uid=.*'soft'.*'bone'"):
        read_dicom_folder(mixed)
    assert [s.path.name for s in read_dicom_folder(mixed, series_uid="1.2.3.2")] == ["b.dcm"]
    with pytest.raises(MedicalFormatError, match="no slices of series 9.9"):
        read_dicom_folder(mixed, series_uid="9.9")


# --------------------------------------------------------------------------------------------
# NIfTI


def write_nifti(nib, path: Path, raw: np.ndarray, slope: float = 0.5, inter: float = -100.0) -> np.ndarray:
    img = nib.Nifti1Image(raw, np.diag([0.8, 0.8, 2.0, 1.0]))
    img.header.set_slope_inter(slope, inter)
    nib.save(img, path)
    return raw.astype(np.float64) * slope + inter


@pytest.mark.parametrize("suffix", [".nii", ".nii.gz"])
def test_read_nifti_along_each_axis_applies_scaling(nib, tmp_path, rng, suffix):
    raw = rng.integers(-2000, 3000, size=(4, 5, 6)).astype(np.int16)
    path = tmp_path / f"vol{suffix}"
    expected = write_nifti(nib, path, raw)
    # the scaling really is in the file: the stored values are the raw ones
    proxy = nib.load(path).dataobj
    assert (proxy.slope, proxy.inter) == (0.5, -100.0)
    np.testing.assert_array_equal(np.asarray(proxy.get_unscaled()), raw)
    for axis in (0, 1, 2, -1):
        got = read_nifti(path, axis=axis)
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, np.moveaxis(expected, axis, 0))
        np.testing.assert_array_equal(nifti_slices(path, axis, [0, -1]), np.moveaxis(expected, axis, 0)[[0, -1]])
    assert read_nifti(path).shape == (6, 4, 5)
    np.testing.assert_array_equal(nifti_slices(path, 1, range(1, 3)), np.moveaxis(expected, 1, 0)[1:3])


def test_nifti_errors(nib, tmp_path, rng):
    flat = tmp_path / "flat.nii"
    nib.save(nib.Nifti1Image(np.zeros((4, 5), np.float32), np.eye(4)), flat)
    with pytest.raises(MedicalFormatError, match=r"flat.nii.*shape \(4, 5\).*2-D.*3-D volume was expected"):
        read_nifti(flat)
    series = tmp_path / "series.nii"
    nib.save(nib.Nifti1Image(np.zeros((4, 5, 6, 2), np.float32), np.eye(4)), series)
    with pytest.raises(MedicalFormatError, match=r"shape \(4, 5, 6, 2\).*4-D"):
        read_nifti(series)
    single = tmp_path / "single.nii"  # (X, Y, Z, 1) is a 3-D volume
    data = rng.normal(size=(4, 5, 6, 1)).astype(np.float32)
    nib.save(nib.Nifti1Image(data, np.eye(4)), single)
    np.testing.assert_array_equal(read_nifti(single, axis=0), data[..., 0])
    np.testing.assert_array_equal(nifti_slices(single, 2, [5]), np.moveaxis(data[..., 0], 2, 0)[[5]])

    with pytest.raises(ValueError, match="axis must be 0, 1 or 2"):
        read_nifti(single, axis=3)
    with pytest.raises(ValueError, match="axis must be 0, 1 or 2"):
        read_nifti(single, axis="z")
    with pytest.raises(IndexError, match=r"\[6\] out of range for 6 slices"):
        nifti_slices(single, 2, [0, 6])
    with pytest.raises(FileNotFoundError, match="missing.nii"):
        read_nifti(tmp_path / "missing.nii")
    garbage = tmp_path / "garbage.nii"
    garbage.write_bytes(rng.bytes(1000))
    with pytest.raises(MedicalFormatError, match="garbage.nii: not a readable NIfTI"):
        read_nifti(garbage)


# --------------------------------------------------------------------------------------------
# 16-bit PNG/TIFF in HU


@pytest.mark.parametrize("suffix", [".png", ".tif", ".tiff"])
def test_hu_png_tiff_round_trip_is_exact(Image, tmp_path, suffix):
    hu = np.arange(-1024, 3072, dtype=np.float32).reshape(64, 64)  # every integer HU in [-1024, 3071]
    path = write_hu_png(tmp_path / f"slice{suffix}", hu)
    assert os.listdir(tmp_path) == [path.name]
    np.testing.assert_array_equal(read_hu_png(path), hu)
    with Image.open(path) as image:  # on disk: HU + 1024 as 16-bit gray
        assert image.mode.startswith("I;16")
        raw = np.asarray(image).astype(np.int64)
    np.testing.assert_array_equal(raw, hu + 1024)

    # the whole 16-bit range survives, not just values up to 255
    full = np.arange(0, 65536, dtype=np.int64).reshape(256, 256)
    path = write_hu_png(tmp_path / f"full{suffix}", full, offset=0)
    np.testing.assert_array_equal(read_hu_png(path, offset=0), full)
    assert read_hu_png(path, offset=0).max() == 65535
    np.testing.assert_array_equal(read_hu_png(path, offset=1024), full - 1024)


def test_hu_png_rounds_clips_and_rejects(Image, tmp_path):
    hu = np.array([[-3000.0, -1024.4, 0.6], [64511.0, 70000.0, 12.0]])
    with pytest.warns(UserWarning, match=r"2 pixel\(s\) outside \[-1024, 64511\] HU"):
        path = write_hu_png(tmp_path / "c.png", hu)
    np.testing.assert_array_equal(read_hu_png(path), [[-1024, -1024, 1], [64511, 64511, 12]])

    Image.fromarray(np.full((4, 4), 200, np.uint8)).save(tmp_path / "eight.png")
    with pytest.raises(MedicalFormatError, match=r"eight.png: image mode 'L'.*not 16-bit"):
        read_hu_png(tmp_path / "eight.png")
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "rgb.png")
    with pytest.raises(MedicalFormatError, match="mode 'RGB'"):
        read_hu_png(tmp_path / "rgb.png")
    (tmp_path / "junk.png").write_bytes(b"not a png")
    with pytest.raises(MedicalFormatError, match="junk.png: not a readable image"):
        read_hu_png(tmp_path / "junk.png")
    with pytest.raises(FileNotFoundError):
        read_hu_png(tmp_path / "none.png")
    with pytest.raises(ValueError, match=r"\.png, \.tif or \.tiff"):
        write_hu_png(tmp_path / "x.jpg", np.zeros((2, 2)))
    with pytest.raises(ValueError, match="NaN"):
        write_hu_png(tmp_path / "nan.png", np.full((2, 2), np.nan))
    with pytest.raises(ValueError, match="2-D"):
        write_hu_png(tmp_path / "vol.png", np.zeros((2, 2, 2)))
    assert not (tmp_path / "nan.png").exists() and not (tmp_path / "vol.png").exists()
