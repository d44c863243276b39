"""Tests for paired-image data: image files, pix2pix's folder layouts, PairedBatches, facades."""

from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

import tinygan
from tinygan import random
from tinygan.data import DATASETS, load_dataset
from tinygan.data.facades import CLASSES, PALETTE, colour_labels, make_facades
from tinygan.data.images import ImageFileError, read_image, resize_image, write_image
from tinygan.data.paired import (
    PairedBatches,
    PairedImages,
    load_aligned_folder,
    load_paired,
    load_paired_folders,
)

Image = pytest.importorskip("PIL.Image")


# ---------------------------------------------------------------- helpers: files written with Pillow


def _save(path: Path, array: np.ndarray) -> Path:
    """Write ``array`` with Pillow directly (not write_image): uint16 as mode I;16."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if array.dtype == np.uint16:
        Image.frombytes("I;16", (array.shape[1], array.shape[0]), array.astype("<u2").tobytes()).save(path)
    else:
        Image.fromarray(array).save(path)
    return path


def _pixels(rng, shape, dtype=np.uint8):
    return rng.integers(0, np.iinfo(dtype).max + 1, shape).astype(dtype)


def _aligned(folder: Path, count: int, rng, shape=(8, 12, 3), dtype=np.uint8, suffix=".png"):
    """``count`` A|B files; returns {stem: (A half, B half)}."""
    halves = {}
    for i in range(count):
        a, b = _pixels(rng, shape, dtype), _pixels(rng, shape, dtype)
        _save(folder / f"{i:03d}{suffix}", np.concatenate([a, b], axis=1))
        halves[f"{i:03d}"] = (a, b)
    return halves


def _raw(x: np.ndarray, top: float = 255.0) -> np.ndarray:
    """(C, H, W) in [-1, 1] back to stored pixel values, (H, W) or (H, W, C)."""
    values = np.rint((x + 1) / 2 * top)
    return values[0] if len(values) == 1 else values.transpose(1, 2, 0)


def _png16_rgb(path: Path, array: np.ndarray) -> None:
    """A 16-bit RGB PNG, which Pillow cannot write, assembled by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    h, w, _ = array.shape
    rows = b"".join(b"\x00" + array[y].astype(">u2").tobytes() for y in range(h))
    header = struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    )


# ---------------------------------------------------------------- image files


@pytest.mark.parametrize("suffix", [".png", ".tif"])
@pytest.mark.parametrize("shape", [(6, 9), (6, 9, 3)])
def test_write_read_round_trip_8_bit(tmp_path, rng, suffix, shape):
    image = _pixels(rng, shape)
    write_image(tmp_path / f"x{suffix}", image)
    back = read_image(tmp_path / f"x{suffix}")
    assert back.dtype == np.uint8 and back.shape == shape
    np.testing.assert_array_equal(back, image)


@pytest.mark.parametrize("suffix", [".png", ".tif", ".tiff", ".PNG"])
def test_write_read_round_trip_16_bit_grayscale_is_exact(tmp_path, rng, suffix):
    image = _pixels(rng, (7, 5), np.uint16)
    image[0, :3] = [0, 256, 65535]
    write_image(tmp_path / f"x{suffix}", image)
    back = read_image(tmp_path / f"x{suffix}")
    assert back.dtype == np.uint16
    np.testing.assert_array_equal(back, image)
    assert Image.open(tmp_path / f"x{suffix}").mode.startswith("I;16")  # a real 16-bit file


def test_write_image_jpeg_and_single_channel_axis(tmp_path, rng):
    smooth = np.tile(np.linspace(0, 255, 16).astype(np.uint8), (16, 1))
    write_image(tmp_path / "x.jpg", np.stack([smooth] * 3, axis=-1))
    assert np.abs(read_image(tmp_path / "x.jpg").astype(int) - smooth[..., None]).max() < 12
    write_image(tmp_path / "g.png", smooth[..., None])
    assert read_image(tmp_path / "g.png").shape == (16, 16)


def test_write_image_is_atomic(tmp_path, rng, monkeypatch):
    target = tmp_path / "x.png"
    write_image(target, _pixels(rng, (4, 4)))
    write_image(target, _pixels(rng, (4, 4)))  # overwrite
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]
    before = target.read_bytes()

    def broken_save(self, fp, *args, **kwargs):
        fp.write(b"\x89PNG half")
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        write_image(target, _pixels(rng, (4, 4)))
    with pytest.raises(OSError, match="disk full"):
        write_image(tmp_path / "new.png", _pixels(rng, (4, 4)))
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]  # no temp file, no half-written new.png
    assert target.read_bytes() == before


@pytest.mark.parametrize(
    ("name", "array", "error", "match"),
    [
        ("x.png", np.zeros((4, 4), np.float32), TypeError, "uint8 or uint16.*float32"),
        ("x.png", np.zeros((4, 4, 4), np.uint8), ValueError, r"\(4, 4, 4\)"),
        ("x.png", np.zeros((4, 4, 3), np.uint16), ValueError, "16-bit RGB"),
        ("x.jpg", np.zeros((4, 4), np.uint16), ValueError, "16-bit images need PNG or TIFF"),
        ("x.xyz", np.zeros((4, 4), np.uint8), ValueError, "unknown image suffix '.xyz'"),
        ("missing/x.png", np.zeros((4, 4), np.uint8), FileNotFoundError, "directory .*missing does not exist"),
    ],
)
def test_write_image_errors(tmp_path, name, array, error, match):
    with pytest.raises(error, match=match):
        write_image(tmp_path / name, array)
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.parametrize(
    ("mode", "expected_shape"),
    [("RGBA", (5, 6, 3)), ("P", (5, 6, 3)), ("LA", (5, 6)), ("1", (5, 6)), ("L", (5, 6))],
)
def test_read_image_converts_alpha_palette_and_bilevel(tmp_path, mode, expected_shape):
    Image.new(mode, (6, 5), 1).save(tmp_path / "x.png")
    image = read_image(tmp_path / "x.png")
    assert image.shape == expected_shape and image.dtype == np.uint8


def test_read_image_16_bit_variants(tmp_path, rng):
    values = _pixels(rng, (5, 6), np.uint16)
    Image.frombytes("I;16B", (6, 5), values.astype(">u2").tobytes()).save(tmp_path / "be.tif")
    Image.fromarray(values.astype(np.int32)).save(tmp_path / "i32.tif")  # Pillow mode "I"
    for name in ("be.tif", "i32.tif"):
        back = read_image(tmp_path / name)
        assert back.dtype == np.uint16 and back.dtype.isnative
        np.testing.assert_array_equal(back, values)
    Image.fromarray(np.full((2, 2), 70000, np.int32)).save(tmp_path / "big.tif")
    with pytest.raises(ImageFileError, match="big.tif.*outside 0..65535"):
        read_image(tmp_path / "big.tif")


def test_read_image_warns_on_16_bit_colour(tmp_path, rng):
    _png16_rgb(tmp_path / "rgb16.png", _pixels(rng, (3, 4, 3), np.uint16))
    with pytest.warns(UserWarning, match="rgb16.png.*8 bits"):
        image = read_image(tmp_path / "rgb16.png")
    assert image.shape == (3, 4, 3) and image.dtype == np.uint8


def test_read_image_errors(tmp_path, rng):
    with pytest.raises(FileNotFoundError, match="nothing.png"):
        read_image(tmp_path / "nothing.png")
    (tmp_path / "junk.png").write_bytes(b"not an image at all")
    with pytest.raises(ImageFileError, match="junk.png: cannot read image"):
        read_image(tmp_path / "junk.png")
    _save(tmp_path / "whole.png", _pixels(rng, (32, 32, 3)))
    (tmp_path / "cut.png").write_bytes((tmp_path / "whole.png").read_bytes()[:200])
    with pytest.raises(ImageFileError, match="cut.png"):
        read_image(tmp_path / "cut.png")
    assert issubclass(ImageFileError, ValueError)


def test_missing_pillow_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r'pip install "tinygan\[examples\]"'):
        read_image(tmp_path / "x.png")


def test_resize_image_keeps_16_bit_precision():
    flat = np.full((10, 14), 40001, np.uint16)
    out = resize_image(flat, (6, 8))
    assert out.shape == (6, 8) and out.dtype == np.float32
    np.testing.assert_array_equal(out, 40001)
    edge = np.zeros((8, 8, 3), np.uint8)
    edge[:, 4:] = 255
    out = resize_image(edge, (16, 16))
    assert out.shape == (16, 16, 3) and out.min() >= 0 and out.max() <= 255  # overshoot clipped


# ---------------------------------------------------------------- PairedImages


def _pairs(n=4, c_a=1, c_b=3, h=6, w=10, seed=0):
    rng = np.random.default_rng(seed)
    return PairedImages(
        rng.uniform(-1, 1, (n, c_a, h, w)).astype(np.float32),
        rng.uniform(-1, 1, (n, c_b, h, w)).astype(np.float32),
        [f"p{i}" for i in range(n)],
        a_range=(-160.0, 240.0),
        b_range=(0.0, 65535.0),
    )


def test_paired_images_physical_maps_are_inverse():
    pairs = _pairs()
    assert len(pairs) == 4 and pairs.kind == "paired"
    np.testing.assert_allclose(pairs.to_physical(np.array([-1.0, 0.0, 1.0]), side="a"), [-160, 40, 240])
    np.testing.assert_allclose(pairs.from_physical([-160, 40, 240, 1000, -1000], side="a"), [-1, 0, 1, 1, -1])
    assert pairs.from_physical([0.0]).dtype == np.float32
    assert pairs.to_physical(pairs.b).dtype == np.float32
    np.testing.assert_allclose(pairs.from_physical(pairs.to_physical(pairs.b), side="b"), pairs.b, atol=1e-6)
    np.testing.assert_allclose(pairs.to_physical(tinygan.tensor(pairs.b)), pairs.to_physical(pairs.b))
    with pytest.raises(ValueError, match="side must be 'a' or 'b'"):
        pairs.to_physical(pairs.b, side="c")


def test_paired_images_subset_and_reversed():
    pairs = _pairs()
    part = pairs.subset([2, 0])
    assert part.names == ["p2", "p0"] and part.a_range == pairs.a_range
    np.testing.assert_array_equal(part.b, pairs.b[[2, 0]])
    assert pairs.subset(slice(1, 3)).names == ["p1", "p2"]
    assert pairs.subset(np.array([True, False, False, True])).names == ["p0", "p3"]
    assert pairs.subset(1).names == ["p1"] and pairs.subset(1).a.shape == (1, 1, 6, 10)
    back = pairs.reversed()
    assert back.a is pairs.b and back.b is pairs.a
    assert (back.a_range, back.b_range) == (pairs.b_range, pairs.a_range)


def test_paired_images_validation():
    a = np.zeros((2, 1, 4, 4), np.float32)
    with pytest.raises(ValueError, match=r"\(n, C, H, W\)"):
        PairedImages(a[0], a, ["x", "y"])
    with pytest.raises(ValueError, match="one a, b and name per pair, got 2, 2 and 1"):
        PairedImages(a, a, ["x"])
    with pytest.raises(ValueError, match="differ in size"):
        PairedImages(a, np.zeros((2, 3, 4, 5), np.float32), ["x", "y"])
    with pytest.raises(ValueError, match="low < high"):
        PairedImages(a, a, ["x", "y"], a_range=(1.0, 1.0))


# ---------------------------------------------------------------- PairedBatches


def _coordinates(n=3, h=10, w=14):
    """A encodes (pair, row, column) in its values, B = A: shows where every pixel came from."""
    idx = np.arange(n * h * w, dtype=np.float32).reshape(n, 1, h, w)
    a = np.concatenate([idx, -idx], axis=1) / idx.max()
    return PairedImages(a, a.copy(), [str(i) for i in range(n)])


def test_paired_batches_same_crop_and_flip_for_a_and_b():
    pairs = _coordinates()
    batches = PairedBatches(pairs, batch_size=4, crop_size=6, flip=True)
    assert len(batches) == 3
    offsets, flips = set(), []
    for _ in range(40):
        a, b = batches()
        assert a.shape == (4, 2, 6, 6) and b.shape == (4, 2, 6, 6)
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        flat = np.rint(a.numpy()[:, 0] * (3 * 10 * 14 - 1)).astype(int)  # pair*140 + row*14 + column
        row, col = flat % 140 // 14, flat % 14
        for r, c in zip(row, col):
            assert (np.diff(r, axis=0) == 1).all() and (np.diff(r, axis=1) == 0).all()  # contiguous rows
            step = np.diff(c, axis=1)
            assert (step == 1).all() or (step == -1).all()  # columns in order, or mirrored
            flips.append(step[0, 0] == -1)
            offsets.add((r.min(), c.min()))
    assert 0.3 < np.mean(flips) < 0.7
    assert len(offsets) > 10  # crops vary over the whole (5 x 9) range of positions
    assert {r for r, _ in offsets} == set(range(5)) and {c for _, c in offsets} == set(range(9))


def test_paired_batches_without_augmentation_returns_whole_images():
    pairs = _pairs(n=3)
    a, b = PairedBatches(pairs, batch_size=2)()
    assert a.shape == (2, 1, 6, 10) and b.shape == (2, 3, 6, 10)
    a1, b1 = PairedBatches(pairs)(5)  # like RandomBatches: m pairs
    assert a1.shape[0] == 5
    for x, y in zip(a1.numpy(), b1.numpy()):  # each A still with its own B
        i = next(i for i in range(3) if np.array_equal(pairs.a[i], x))
        np.testing.assert_array_equal(pairs.b[i], y)


def test_paired_batches_are_reproducible_from_the_seed_and_rng_state():
    pairs = _coordinates()
    batches = PairedBatches(pairs, batch_size=2, crop_size=5, flip=True)
    tinygan.manual_seed(7)
    first = [batches()[0].numpy() for _ in range(3)]
    tinygan.manual_seed(7)
    np.testing.assert_array_equal(first, [batches()[0].numpy() for _ in range(3)])
    state = random.get_state()
    later = batches()[1].numpy()
    random.set_state(state)
    np.testing.assert_array_equal(later, batches()[1].numpy())


def test_paired_batches_errors():
    pairs = _pairs(h=6, w=10)
    with pytest.raises(ValueError, match="crop_size 8 is larger than the images, which are 6x10"):
        PairedBatches(pairs, crop_size=8)
    with pytest.raises(ValueError, match="batch_size must be positive"):
        PairedBatches(pairs, batch_size=0)
    with pytest.raises(ValueError, match="at least one pair"):
        PairedBatches(pairs.subset([]))
    with pytest.raises(ValueError, match="unknown device"):
        PairedBatches(pairs, device="tpu")
    pairs.b = pairs.b[:, :, :5]  # mutated after construction
    with pytest.raises(ValueError, match="A images are 6x10 but B images are 5x10"):
        PairedBatches(pairs)


# ---------------------------------------------------------------- the aligned A|B format


def test_aligned_folder_rgb_splits_and_values(tmp_path, rng):
    expected = {split: _aligned(tmp_path / split, n, rng) for split, n in (("train", 3), ("val", 2), ("test", 1))}
    for split, halves in expected.items():
        pairs = load_aligned_folder(tmp_path, split=split)
        assert pairs.names == sorted(halves) and pairs.kind == "paired"
        assert pairs.a.shape == (len(halves), 3, 8, 12) and pairs.a.dtype == np.float32
        assert pairs.a_range == pairs.b_range == (0.0, 255.0)
        for i, name in enumerate(pairs.names):
            np.testing.assert_array_equal(_raw(pairs.a[i]), halves[name][0])
            np.testing.assert_allclose(pairs.to_physical(pairs.b[i]), halves[name][1].transpose(2, 0, 1), atol=1e-3)
            np.testing.assert_array_equal(_raw(pairs.b[i]), halves[name][1])
    assert "3 pairs of 8x12" in load_aligned_folder(tmp_path).description
    # the split folder itself, or split=None
    assert load_aligned_folder(tmp_path / "val").names == ["000", "001"]
    assert len(load_aligned_folder(tmp_path / "test", split=None)) == 1


def test_aligned_folder_16_bit_grayscale_keeps_full_precision(tmp_path, rng):
    halves = _aligned(tmp_path / "train", 2, rng, shape=(5, 7), dtype=np.uint16, suffix=".tif")
    pairs = load_aligned_folder(tmp_path)
    assert pairs.a.shape == (2, 1, 5, 7)
    assert pairs.a_range == pairs.b_range == (0.0, 65535.0)
    physical = pairs.to_physical(pairs.a[:, 0], side="a")
    assert np.abs(physical - np.stack([halves[n][0] for n in pairs.names])).max() < 0.01
    assert (np.stack([halves[n][0] for n in pairs.names]) > 255).any()
    np.testing.assert_array_equal(np.rint(pairs.to_physical(pairs.b[:, 0])), np.stack([h[1] for h in halves.values()]))


def test_aligned_folder_8_bit_grayscale_non_square_btoa_and_channels(tmp_path, rng):
    halves = _aligned(tmp_path / "train", 2, rng, shape=(6, 11))
    pairs = load_aligned_folder(tmp_path, direction="BtoA")
    assert pairs.a.shape == (2, 1, 6, 11)
    np.testing.assert_array_equal(_raw(pairs.a[0]), halves["000"][1])  # B's half is the input now
    np.testing.assert_array_equal(_raw(pairs.b[0]), halves["000"][0])
    rgb = load_aligned_folder(tmp_path, channels=3)
    assert rgb.a.shape == (2, 3, 6, 11)
    np.testing.assert_array_equal(rgb.a[:, 0], rgb.a[:, 2])
    assert load_aligned_folder(tmp_path, channels=(3, 1)).a.shape[1] == 3


def test_aligned_folder_load_size_resizes_both_halves(tmp_path, rng):
    _aligned(tmp_path / "train", 2, rng, shape=(9, 13, 3))
    _save(tmp_path / "train" / "other_size.jpg", _pixels(rng, (20, 40, 3)))
    pairs = load_aligned_folder(tmp_path, load_size=16)
    assert pairs.a.shape == pairs.b.shape == (3, 3, 16, 16)
    assert pairs.a.min() >= -1 and pairs.a.max() <= 1
    flat = np.full((4, 8), 40000, np.uint16)
    _save(tmp_path / "flat" / "x.png", flat)
    pairs16 = load_aligned_folder(tmp_path / "flat", load_size=6)
    np.testing.assert_allclose(pairs16.to_physical(pairs16.a), 40000, atol=0.01)


def test_aligned_folder_errors(tmp_path, rng):
    with pytest.raises(FileNotFoundError, match="folder not found: .*nowhere"):
        load_aligned_folder(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="empty: expected a train/ folder or A|B image files; it is empty"):
        load_aligned_folder(tmp_path / "empty")
    (tmp_path / "notes" / "train").mkdir(parents=True)
    (tmp_path / "notes" / "train" / "readme.txt").write_text("hi")
    with pytest.raises(FileNotFoundError, match=r"no image files \(.*\) in .*train; it holds readme.txt"):
        load_aligned_folder(tmp_path / "notes")
    _save(tmp_path / "odd" / "x.png", _pixels(rng, (4, 9)))
    with pytest.raises(ValueError, match="x.png: width 9 is odd"):
        load_aligned_folder(tmp_path / "odd")
    _save(tmp_path / "sizes" / "a.png", _pixels(rng, (4, 8)))
    _save(tmp_path / "sizes" / "b.png", _pixels(rng, (6, 8)))
    with pytest.raises(ValueError, match="a.png is 4x4 but .*b.png is 6x4 .*load_size"):
        load_aligned_folder(tmp_path / "sizes")
    _save(tmp_path / "mixed" / "a.png", _pixels(rng, (4, 8)))
    _save(tmp_path / "mixed" / "b.png", _pixels(rng, (4, 8, 3)))
    with pytest.raises(ValueError, match="A images mix grayscale and RGB: .*a.png has 1 channel but .*b.png"):
        load_aligned_folder(tmp_path / "mixed")
    _save(tmp_path / "depth" / "a.png", _pixels(rng, (4, 8)))
    _save(tmp_path / "depth" / "b.png", _pixels(rng, (4, 8), np.uint16))
    with pytest.raises(ValueError, match="mix bit depths: .*a.png is uint8 but .*b.png is uint16"):
        load_aligned_folder(tmp_path / "depth")
    _save(tmp_path / "broken" / "a.png", _pixels(rng, (4, 8)))
    (tmp_path / "broken" / "b.png").write_bytes(b"garbage")
    with pytest.raises(ImageFileError, match="b.png: cannot read image"):
        load_aligned_folder(tmp_path / "broken")
    for kwargs, match in (
        ({"direction": "AB"}, "direction must be 'AtoB' or 'BtoA'"),
        ({"load_size": 0}, "load_size must be positive"),
        ({"channels": 2}, "channels must be None, 1, 3"),
    ):
        with pytest.raises(ValueError, match=match):
            load_aligned_folder(tmp_path / "odd", **kwargs)


# ---------------------------------------------------------------- paired folders A/ and B/


def test_paired_folders_match_by_stem(tmp_path, rng):
    images = {}
    for name in ("b", "a", "c"):
        flat_colour = np.broadcast_to(_pixels(rng, 3), (6, 5, 3)).copy()  # what JPEG keeps well
        images[name] = (flat_colour, _pixels(rng, (6, 5), np.uint16))
        _save(tmp_path / "A" / f"{name}.jpg", images[name][0])
        _save(tmp_path / "B" / f"{name}.tif", images[name][1])
    pairs = load_paired_folders(tmp_path)
    assert pairs.names == ["a", "b", "c"]
    assert pairs.a.shape == (3, 3, 6, 5) and pairs.b.shape == (3, 1, 6, 5)
    assert pairs.a_range == (0.0, 255.0) and pairs.b_range == (0.0, 65535.0)
    for i, name in enumerate(pairs.names):
        np.testing.assert_array_equal(np.rint(pairs.to_physical(pairs.b[i, 0])), images[name][1])
        assert np.abs(_raw(pairs.a[i]) - images[name][0]).max() < 8  # JPEG is lossy
    back = load_paired_folders(tmp_path, direction="BtoA")
    assert back.a.shape == (3, 1, 6, 5) and back.a_range == (0.0, 65535.0)
    assert load_paired_folders(tmp_path, channels=1).a.shape == (3, 1, 6, 5)
    assert load_paired_folders(tmp_path, load_size=4).b.shape == (3, 1, 4, 4)


@pytest.mark.parametrize("layout", [("A/train", "B/train"), ("trainA", "trainB")])
def test_paired_folders_with_splits(tmp_path, rng, layout):
    for folder in layout:
        _save(tmp_path / folder / "x.png", _pixels(rng, (4, 4)))
        _save(tmp_path / folder.replace("train", "test") / "y.png", _pixels(rng, (4, 4)))
    assert load_paired_folders(tmp_path, split="train").names == ["x"]
    assert load_paired_folders(tmp_path, split="test").names == ["y"]


def test_paired_folders_errors(tmp_path, rng):
    with pytest.raises(FileNotFoundError, match="folder not found"):
        load_paired_folders(tmp_path / "nowhere")
    _save(tmp_path / "half" / "A" / "x.png", _pixels(rng, (4, 4)))
    with pytest.raises(FileNotFoundError, match=r"folders A/ and B/ .*\(found A/ but no B/\)"):
        load_paired_folders(tmp_path / "half")
    (tmp_path / "half" / "B").mkdir()
    with pytest.raises(FileNotFoundError, match="no image files .* in .*B; it is empty"):
        load_paired_folders(tmp_path / "half")
    for i in range(8):
        _save(tmp_path / "names" / "A" / f"a{i}.png", _pixels(rng, (4, 4)))
        _save(tmp_path / "names" / "B" / f"{'a' if i < 1 else 'b'}{i}.png", _pixels(rng, (4, 4)))
    expected = r"do not pair up by file name: 7 only in A \(a1, a2, a3, a4, a5, \.\.\.\), 7 only in B \(b1, b2"
    with pytest.raises(ValueError, match=expected):
        load_paired_folders(tmp_path / "names")
    _save(tmp_path / "dup" / "A" / "x.png", _pixels(rng, (4, 4)))
    _save(tmp_path / "dup" / "A" / "x.tif", _pixels(rng, (4, 4)))
    _save(tmp_path / "dup" / "B" / "x.png", _pixels(rng, (4, 4)))
    with pytest.raises(ValueError, match="two files share the name 'x'"):
        load_paired_folders(tmp_path / "dup")
    _save(tmp_path / "size" / "A" / "x.png", _pixels(rng, (4, 6)))
    _save(tmp_path / "size" / "B" / "x.png", _pixels(rng, (4, 5)))
    with pytest.raises(ValueError, match="A.x.png is 4x6 but .*B.x.png is 4x5 .*same size"):
        load_paired_folders(tmp_path / "size", load_size=8)
    _save(tmp_path / "bad" / "A" / "x.png", _pixels(rng, (4, 4)))
    (tmp_path / "bad" / "B").mkdir()
    (tmp_path / "bad" / "B" / "x.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    with pytest.raises(ImageFileError, match="B.x.png: cannot read image"):
        load_paired_folders(tmp_path / "bad")


# ---------------------------------------------------------------- load_paired: the layout from the contents


def test_load_paired_detects_the_layout(tmp_path, rng):
    _aligned(tmp_path / "aligned" / "train", 2, rng, shape=(4, 4))
    _save(tmp_path / "folders" / "A" / "x.png", _pixels(rng, (4, 4)))
    _save(tmp_path / "folders" / "B" / "x.png", _pixels(rng, (4, 4, 3)))
    assert load_paired(tmp_path / "aligned").description.startswith("pix2pix aligned")
    assert load_paired(str(tmp_path / "aligned" / "train")).names == ["000", "001"]
    folders = load_paired(tmp_path / "folders", split="train")  # no A/train: A/ itself
    assert folders.description.startswith("paired folders") and folders.b.shape == (1, 3, 4, 4)
    assert load_paired(tmp_path / "aligned", direction="BtoA", load_size=2).a.shape == (2, 1, 2, 2)


def test_load_paired_errors(tmp_path, rng):
    with pytest.raises(FileNotFoundError, match="folder not found"):
        load_paired(tmp_path / "nowhere")
    (tmp_path / "other" / "A").mkdir(parents=True)
    (tmp_path / "other" / "notes.txt").write_text("")
    expected = (
        r"not a pix2pix dataset: expected folders A/ and B/ \(paired\) or a train/ folder of A\|B images "
        r"\(aligned\) \(found A/ but no B/\); it holds A/, notes.txt"
    )
    with pytest.raises(ValueError, match=expected):
        load_paired(tmp_path / "other")


# ---------------------------------------------------------------- procedural facades


def _class_of(a: np.ndarray) -> np.ndarray:
    """Class indices (n, H, W) decoded from A's label colours in [-1, 1]."""
    rgb = np.rint((a + 1) / 2 * 255).astype(int).transpose(0, 2, 3, 1)
    match = (rgb[..., None, :] == PALETTE.astype(int)).all(-1)
    assert match.any(-1).all(), "A holds only palette colours"
    return match.argmax(-1)


def test_facades_shapes_range_and_determinism():
    labels, photos = make_facades(6, seed=3)
    assert labels.shape == (6, 64, 64) and labels.dtype == np.uint8 and labels.max() < len(CLASSES)
    assert photos.shape == (6, 3, 64, 64) and photos.dtype == np.float32
    assert photos.min() >= 0 and photos.max() <= 1
    again = make_facades(6, seed=3)
    np.testing.assert_array_equal(labels, again[0])
    np.testing.assert_array_equal(photos, again[1])
    assert not np.array_equal(photos, make_facades(6, seed=4)[1])
    assert make_facades(2, size=40)[1].shape == (2, 3, 40, 40)
    assert make_facades(0)[0].shape == (0, 64, 64)
    np.testing.assert_array_equal(colour_labels(labels)[:, :, 0, 0], PALETTE[labels[:, 0, 0]])
    with pytest.raises(ValueError, match="size >= 32"):
        make_facades(1, size=16)
    with pytest.raises(ValueError, match="non-negative"):
        make_facades(-1)


def test_facades_registered_as_paired_dataset():
    assert DATASETS["facades-synth"].kind == "paired"
    assert DATASETS["ring"].kind == "points" and DATASETS["digits"].kind == "images"
    pairs = load_dataset("facades-synth", 200, seed=0)
    assert isinstance(pairs, PairedImages) and pairs.kind == "paired"
    assert pairs.a.shape == pairs.b.shape == (200, 3, 64, 64)
    assert pairs.a.min() >= -1 and pairs.a.max() <= 1 and pairs.b.min() >= -1 and pairs.b.max() <= 1
    assert pairs.names[7] == "facade_00007" and pairs.a_range == pairs.b_range == (0.0, 255.0)
    np.testing.assert_array_equal(pairs.b, load_dataset("facades-synth", 200, seed=0).b)
    with pytest.raises(ValueError, match="sample count"):
        load_dataset("facades-synth", None)

    # A fixes B's structure: every class has its own look...
    classes = _class_of(pairs.a)
    photo = pairs.to_physical(pairs.b).transpose(0, 2, 3, 1) / 255  # (n, H, W, 3) in [0, 1]
    means = np.array([photo[classes == k].mean(0) for k in range(len(CLASSES))])
    gaps = np.linalg.norm(means[:, None] - means[None], axis=-1)
    assert gaps[~np.eye(len(CLASSES), dtype=bool)].min() > 0.1, gaps
    counts = np.array([(classes == k).mean(axis=(1, 2)) > 0 for k in range(len(CLASSES))])
    assert counts.all(), "every facade shows all five classes"
    # ...and B has texture that A does not determine: spread within a class in one image.
    within = [photo[i][classes[i] == k].std(0).mean() for i in range(20) for k in (0, 2, 1)]
    assert min(within) > 0.02
    wall = [photo[i][classes[i] == 2] for i in range(20)]
    assert np.mean([w.std(0).mean() for w in wall]) > 0.05  # bricks and mortar
