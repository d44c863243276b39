"""Offline medical data made by the physics: phantoms, low-dose CT, MR renderings, organ masks, paired loaders."""

from __future__ import annotations

import importlib.util
import sys
import warnings

import numpy as np
import pytest

from tinygan.data.medical import ct, datasets, mr, phantoms, segmentation
from tinygan.data.paired import PairedImages

needs_skimage = pytest.mark.skipif(importlib.util.find_spec("skimage") is None, reason="needs scikit-image")

SIZE = 48


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    """Never write to the home directory."""
    monkeypatch.setenv("TINYGAN_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def labels() -> np.ndarray:
    return phantoms.make_phantoms(32, SIZE, np.random.default_rng(0))


def _disk(size: int, radius_cm: float, hu: float = 0.0) -> np.ndarray:
    """A uniform disk of ``hu`` in air, centred where radon's rotation centre is."""
    r = (np.arange(size) - size // 2) * ct.pixel_size_cm(size)
    inside = r[:, None] ** 2 + r[None, :] ** 2 <= radius_cm**2
    return np.where(inside, hu, -1000.0).astype(np.float32)


def _central(size: int, radius_px: float) -> np.ndarray:
    r = np.arange(size) - size // 2
    return r[:, None] ** 2 + r[None, :] ** 2 <= radius_px**2


def _erode(mask: np.ndarray, steps: int) -> np.ndarray:
    """4-neighbour erosion of (..., H, W) boolean masks."""
    for _ in range(steps):
        m = np.pad(mask, [(0, 0)] * (mask.ndim - 2) + [(1, 1), (1, 1)])
        mask = m[..., 1:-1, 1:-1] & m[..., :-2, 1:-1] & m[..., 2:, 1:-1] & m[..., 1:-1, :-2] & m[..., 1:-1, 2:]
    return mask


# ----------------------------------------------------------------------------- phantoms


def test_tissue_table_has_realistic_ct_numbers():
    hu = {t.name: t.hu for t in phantoms.TISSUES}
    assert [t.id for t in phantoms.TISSUES] == list(range(len(phantoms.TISSUES)))
    assert hu["air"] == -1000 and hu["bowel_gas"] == -1000
    assert -900 <= hu["lung"] <= -700
    assert -120 <= hu["fat"] <= -80
    assert 20 <= hu["soft_tissue"] <= 60 and 50 <= hu["liver"] <= 70
    assert 20 <= hu["kidney"] <= 40 and 35 <= hu["spleen"] <= 55
    assert 10 <= hu["liver"] - hu["lesion"] <= 20  # a low-contrast lesion
    assert 150 <= hu["vessel"] <= 200 and hu["hepatic_vessel"] == hu["vessel"]  # iodine-enhanced blood
    assert 300 <= hu["trabecular_bone"] < hu["cortical_bone"] <= 1500 and hu["cortical_bone"] >= 700
    assert phantoms.tissue_id("liver") == phantoms.LIVER
    with pytest.raises(ValueError, match="unknown tissue 'brain'"):
        phantoms.tissue_id("brain")


def test_phantoms_shape_dtype_and_anatomy(labels):
    assert labels.shape == (32, SIZE, SIZE) and labels.dtype == np.uint8
    present = np.stack([(labels == k).any(axis=(1, 2)) for k in range(phantoms.N_TISSUES)], 1)
    always = [phantoms.AIR, phantoms.FAT, phantoms.SOFT_TISSUE, phantoms.LIVER, phantoms.VESSEL,
              phantoms.TRABECULAR_BONE, phantoms.CORTICAL_BONE]  # fmt: skip
    assert present[:, always].all()
    assert present.any(axis=0).all(), "every tissue class appears somewhere in 32 slices"
    # the body lies inside the inscribed circle that a circle=True scan sees, with air around it
    assert (labels[:, ~_central(SIZE, SIZE // 2 - 1)] == phantoms.AIR).all()
    # radiological convention: liver on the image's left, spine in the posterior (lower) half
    cols = np.arange(SIZE)
    for k, left in ((phantoms.LIVER, True), (phantoms.SPLEEN, False)):
        m = labels == k
        centroid = (m.sum(1) * cols).sum(-1)[m.any((1, 2))] / m.sum((1, 2))[m.any((1, 2))]
        assert ((centroid < SIZE / 2) == left).all()
    rows = np.nonzero((labels == phantoms.TRABECULAR_BONE).any(axis=(0, 2)))[0]
    assert rows.min() > SIZE / 2


def test_phantoms_deterministic_by_seed():
    a = phantoms.make_phantoms(4, 32, np.random.default_rng(5))
    b = phantoms.make_phantoms(4, 32, np.random.default_rng(5))
    c = phantoms.make_phantoms(4, 32, np.random.default_rng(6))
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()
    assert phantoms.make_phantom(32, np.random.default_rng(1)).shape == (32, 32)
    assert phantoms.make_phantoms(0, 32, np.random.default_rng(1)).shape == (0, 32, 32)


def test_phantom_chunking_does_not_change_the_anatomy(monkeypatch):
    whole = phantoms.make_phantoms(5, 32, np.random.default_rng(2))
    monkeypatch.setattr(phantoms, "_CHUNK_ELEMENTS", 32 * 32 * 2)  # 2 slices a chunk
    np.testing.assert_array_equal(phantoms.make_phantoms(5, 32, np.random.default_rng(2)), whole)


def test_labels_to_hu_values_and_texture(labels):
    hu = phantoms.labels_to_hu(labels)
    assert hu.dtype == np.float32 and hu.shape == labels.shape
    np.testing.assert_array_equal(hu, phantoms.HU_TABLE[labels])
    textured = phantoms.labels_to_hu(labels, np.random.default_rng(0))
    assert (textured[labels == phantoms.AIR] == -1000).all()  # no texture in air
    for k in (phantoms.FAT, phantoms.SOFT_TISSUE, phantoms.LIVER):
        t = phantoms.TISSUES[k]
        diff = textured[labels == k] - t.hu
        assert abs(diff.mean()) < 0.5 * t.texture_hu
        assert 0.5 * t.texture_hu < diff.std() < 1.5 * t.texture_hu
    np.testing.assert_array_equal(textured, phantoms.labels_to_hu(labels, np.random.default_rng(0)))


def test_smooth_noise_unit_variance():
    field = phantoms.smooth_noise((8, 64, 64), 2.0, np.random.default_rng(0))
    assert field.dtype == np.float32 and 0.85 < field.std() < 1.15
    # correlated: neighbours are alike, unlike white noise
    assert np.corrcoef(field[..., :-1].ravel(), field[..., 1:].ravel())[0, 1] > 0.8


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: phantoms.make_phantoms(2, 8, np.random.default_rng(0)), "size must be an integer >= 16"),
        (lambda: phantoms.make_phantoms(-1, 32, np.random.default_rng(0)), "n must be a non-negative integer"),
        (lambda: phantoms.labels_to_hu(np.zeros((4, 4), dtype=np.float32)), "integer array"),
        (lambda: phantoms.labels_to_hu(np.full((4, 4), 99)), r"0\.\.12"),
        (lambda: phantoms.labels_to_hu(np.zeros(4, dtype=int)), r"\(H, W\)"),
        (lambda: phantoms.labels_to_hu(np.zeros((4, 4), int), np.random.default_rng(0), -1.0), "texture"),
    ],
)
def test_phantom_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ----------------------------------------------------------------------------- CT physics


def test_mu_conversion():
    hu = np.array([-1000.0, 0.0, 1000.0, -2000.0])
    np.testing.assert_allclose(ct.hu_to_mu(hu), [0.0, ct.MU_WATER, 2 * ct.MU_WATER, 0.0])
    np.testing.assert_allclose(ct.mu_to_hu(ct.hu_to_mu(hu[:3])), hu[:3])
    assert ct.pixel_size_cm(64) == pytest.approx(38.0 / 64)
    assert ct.default_n_angles(64) == 101 and ct.default_n_angles(128) == 202


@needs_skimage
def test_line_integrals_are_physical():
    size = 48
    p = ct.project(_disk(size, 10.0), n_angles=8, blur_px=0.0)
    assert p.shape == (size, 8) and p.dtype == np.float64
    # the central ray crosses 20 cm of water: p = 0.2 /cm * 20 cm = 4
    assert p[size // 2].mean() == pytest.approx(ct.MU_WATER * 20.0, rel=0.05)
    assert p.min() >= 0
    batch = ct.project(np.stack([_disk(size, 10.0), _disk(size, 5.0)]), n_angles=8)
    assert batch.shape == (2, size, 8)


@needs_skimage
def test_noiseless_fbp_reproduces_the_phantom(labels):
    hu = phantoms.labels_to_hu(labels[:4])
    recon = ct.reconstruct(ct.project(hu))
    assert recon.shape == hu.shape and recon.dtype == np.float32
    for k in (phantoms.LIVER, phantoms.SOFT_TISSUE):  # the fat ring is too thin at 48 px
        roi = _erode(labels[:4] == k, 2)
        assert roi.sum() > 50
        assert abs(recon[roi].mean() - phantoms.TISSUES[k].hu) < 8.0
    # against the phantom at the scanner's resolution, everywhere in the scanned circle
    seen = ct.mu_to_hu(ct.gaussian_blur(ct.hu_to_mu(hu), ct.SYSTEM_BLUR_PX))
    circle = _central(48, 48 // 2 - 1)
    assert np.median(np.abs(recon - seen)[:, circle]) < 10.0
    # a water disk comes back as water, outside the circle as air
    disk = ct.reconstruct(ct.project(_disk(48, 12.0)))
    assert abs(disk[_central(48, 8)].mean()) < 3.0 and disk[_central(48, 8)].std() < 10.0
    assert (disk[~_central(48, 48 // 2)] == -1000).all()


def _noise_std(clean_p, i0, sigma, filter_name, roi, repeats, rng):
    clean = ct.reconstruct(clean_p, filter_name)
    noisy = ct.reconstruct(
        np.stack([ct.add_poisson_noise(clean_p, i0, sigma, rng) for _ in range(repeats)]), filter_name
    )
    return float((noisy - clean)[:, roi].std()), float((noisy - clean)[:, roi].mean())


@needs_skimage
def test_poisson_noise_scales_as_one_over_sqrt_dose():
    rng = np.random.default_rng(0)
    p = ct.project(_disk(SIZE, 12.0))
    roi = _central(SIZE, 9)
    full, _ = _noise_std(p, 1e5, 0.0, "ramp", roi, 6, rng)
    low, bias = _noise_std(p, 1e4, 0.0, "ramp", roi, 6, rng)
    assert 2.8 < low / full < 3.6  # sqrt(10) = 3.16
    assert 5.0 < full < 100.0  # realistic: tens of HU at most
    # with the default electronic noise the low-dose mean stays put in a large uniform region
    _, bias = _noise_std(p, 1e4, ct.DEFAULT_ELECTRONIC_SIGMA, "ramp", roi, 6, rng)
    assert abs(bias) < 5.0


@needs_skimage
def test_hann_filter_reduces_noise():
    rng = np.random.default_rng(1)
    p = ct.project(_disk(SIZE, 12.0))
    roi = _central(SIZE, 9)
    ramp, _ = _noise_std(p, 1e4, 3.0, "ramp", roi, 4, rng)
    hann, _ = _noise_std(p, 1e4, 3.0, "hann", roi, 4, rng)
    assert hann < 0.6 * ramp


def test_add_poisson_noise_clips_counts_and_is_seeded():
    p = np.array([[0.0, 2.0, 60.0]])
    a = ct.add_poisson_noise(p, 1e4, 10.0, np.random.default_rng(3))
    np.testing.assert_array_equal(a, ct.add_poisson_noise(p, 1e4, 10.0, np.random.default_rng(3)))
    assert np.isfinite(a).all()
    assert a[0, 2] <= np.log(1e4) + 1e-12  # no photons through: clipped at one count
    assert abs(a[0, 0]) < 0.05


@needs_skimage
def test_simulate_ct_end_to_end():
    hu = _disk(32, 8.0)
    out = ct.simulate_ct(hu, i0=1e5, n_angles=40, rng=np.random.default_rng(0))
    assert out.shape == (32, 32) and out.dtype == np.float32
    assert abs(out[_central(32, 5)].mean()) < 15.0
    np.testing.assert_array_equal(out, ct.simulate_ct(hu, i0=1e5, n_angles=40, rng=np.random.default_rng(0)))


@needs_skimage
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ct.simulate_ct(_disk(32, 8.0), i0=0.0), "i0 .* must be positive"),
        (lambda: ct.simulate_ct(_disk(32, 8.0), electronic_sigma=-1.0), "electronic_sigma"),
        (lambda: ct.simulate_ct(_disk(32, 8.0), filter_name="sinc"), "unknown FBP filter 'sinc'"),
        (lambda: ct.project(_disk(32, 8.0), n_angles=1), "n_angles must be an integer >= 2"),
        (lambda: ct.project(np.zeros((32, 40))), "square slices"),
        (lambda: ct.project(np.zeros((8, 8))), "at least 16 pixels"),
        (lambda: ct.project(np.full((32, 32), np.nan)), "NaN"),
        (lambda: ct.project(_disk(32, 8.0), blur_px=-1.0), "blur_px"),
        (lambda: ct.reconstruct(np.zeros(5)), "sinograms"),
        (lambda: ct.add_poisson_noise(np.zeros(3), 1e4, 0.0, np.random.default_rng(0), min_counts=0), "min_counts"),
    ],
)
def test_ct_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_missing_scikit_image_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "skimage", None)
    with pytest.raises(ImportError, match=r'pip install "tinygan\[medical\]"'):
        ct.project(_disk(32, 8.0))


# ----------------------------------------------------------------------------- MR


def test_render_mr_contrast_range_and_dtype(labels):
    clean = mr.render_mr(labels, np.random.default_rng(0), noise=0.0, bias=0.0, texture=0.0)
    assert clean.dtype == np.float32 and clean.shape == labels.shape
    np.testing.assert_allclose(clean, phantoms.T1_TABLE[labels])
    t1 = {t.name: t.t1 for t in phantoms.TISSUES}
    assert t1["fat"] > t1["trabecular_bone"] > t1["liver"] > t1["soft_tissue"] > t1["cortical_bone"] > t1["air"]
    t2 = mr.render_mr(labels, np.random.default_rng(0), noise=0.0, bias=0.0, weighting="t2", texture=0.0)
    assert t2[labels == phantoms.LESION].mean() > t2[labels == phantoms.LIVER].mean()
    noisy = mr.render_mr(labels, np.random.default_rng(0))
    assert noisy.min() >= 0.0 and noisy.max() <= 1.0
    np.testing.assert_array_equal(noisy, mr.render_mr(labels, np.random.default_rng(0)))


def test_rician_noise_is_non_negative_with_a_rayleigh_floor():
    air = np.zeros((4, 64, 64), dtype=np.uint8)
    out = mr.render_mr(air, np.random.default_rng(0), noise=0.05, bias=0.0)
    assert out.min() >= 0.0
    assert out.mean() == pytest.approx(0.05 * np.sqrt(np.pi / 2), rel=0.05)


def test_bias_field_is_smooth_and_bounded():
    amplitude = 0.4
    field = mr.bias_field((6, 64, 64), amplitude, np.random.default_rng(0))
    assert field.dtype == np.float32 and field.shape == (6, 64, 64)
    log = np.log(field.astype(np.float64))
    np.testing.assert_allclose(log.max(axis=(1, 2)), 0.0, atol=1e-6)
    np.testing.assert_allclose(log.min(axis=(1, 2)), -amplitude, atol=1e-5)
    # smooth: a pixel step changes the log-field by a small fraction of its range
    steps = max(np.abs(np.diff(log, axis=1)).max(), np.abs(np.diff(log, axis=2)).max())
    assert steps < amplitude * 0.15
    assert (mr.bias_field((2, 8, 8), 0.0, np.random.default_rng(0)) == 1).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"weighting": "pd"}, "unknown MR weighting 'pd'"), ({"noise": -0.1}, "noise"), ({"bias": -1.0}, "bias")],
)
def test_mr_errors(labels, kwargs, match):
    with pytest.raises(ValueError, match=match):
        mr.render_mr(labels[:1], np.random.default_rng(0), **kwargs)


# ----------------------------------------------------------------------------- segmentation


def test_organ_mask_and_onehot_are_consistent(labels):
    mask = segmentation.organ_mask(labels)
    assert mask.shape == labels.shape and mask.dtype == np.uint8
    assert mask.max() < len(segmentation.ORGAN_CLASSES)
    liver = np.isin(labels, [phantoms.LIVER, phantoms.LESION, phantoms.HEPATIC_VESSEL])
    np.testing.assert_array_equal(mask == segmentation.LIVER, liver)
    np.testing.assert_array_equal(mask == segmentation.BACKGROUND, labels == phantoms.AIR)
    np.testing.assert_array_equal(
        mask == segmentation.BONE, np.isin(labels, [phantoms.TRABECULAR_BONE, phantoms.CORTICAL_BONE])
    )
    assert (mask[labels == phantoms.BOWEL_GAS] == segmentation.BODY).all()
    onehot = segmentation.to_onehot(mask)
    assert onehot.shape == (32, 6, SIZE, SIZE) and onehot.dtype == np.float32
    assert set(np.unique(onehot)) == {-1.0, 1.0}
    assert ((onehot == 1).sum(axis=1) == 1).all()
    np.testing.assert_array_equal(segmentation.labels_from_onehot(onehot), mask)
    np.testing.assert_array_equal(segmentation.labels_from_onehot(onehot[0]), mask[0])
    with pytest.raises(ValueError, match=r"0\.\.5"):
        segmentation.to_onehot(np.full((1, 2, 2), 6))
    with pytest.raises(ValueError, match=r"\(n, H, W\)"):
        segmentation.to_onehot(mask[0])


# ----------------------------------------------------------------------------- datasets and cache


def _check_contract(pairs, n, c_a, c_b, a_range, b_range):
    assert isinstance(pairs, PairedImages) and pairs.kind == "paired"
    assert pairs.a.shape == (n, c_a, 32, 32) and pairs.b.shape == (n, c_b, 32, 32)
    assert pairs.a.dtype == np.float32 and pairs.b.dtype == np.float32
    for x in (pairs.a, pairs.b):
        assert np.isfinite(x).all() and x.min() >= -1.0 and x.max() <= 1.0
    assert pairs.a_range == a_range and pairs.b_range == b_range
    assert len(pairs.names) == n == len(set(pairs.names))
    assert pairs.description


@needs_skimage
def test_loaders_return_the_paired_contract():
    hu = datasets.HU_RANGE
    ldct = datasets.load_ldct(3, 0, None, size=32)
    _check_contract(ldct, 3, 1, 1, hu, hu)
    _check_contract(datasets.load_mr2ct(3, 0, None, size=32), 3, 1, 1, datasets.MR_RANGE, hu)
    seg = datasets.load_ctseg(3, 0, None, size=32)
    _check_contract(seg, 3, 1, 6, hu, datasets.ONEHOT_RANGE)
    np.testing.assert_array_equal(seg.a, ldct.b)  # ctseg's CT is ldct's full-dose target
    # A is the noisier scan of the same anatomy
    low, full = datasets.unit_to_hu(ldct.a), datasets.unit_to_hu(ldct.b)
    body = full > -500
    assert np.abs(low - full)[body].mean() > 10.0
    assert abs(low[body].mean() - full[body].mean()) < 20.0


@needs_skimage
def test_loader_n_none_uses_the_default(monkeypatch):
    monkeypatch.setattr(datasets, "DEFAULT_N", 2)
    assert len(datasets.load_mr2ct(None, 0, None, size=32)) == 2
    assert len(datasets.load_ldct(None, 0, None, size=32)) == 2


def test_hu_window_round_trip():
    hu = np.array([-1024.0, -160.0, 0.0, 40.0, 240.0, 1200.0, 2048.0], dtype=np.float32)
    unit = datasets.hu_to_unit(hu)
    assert unit.dtype == np.float32 and unit[0] == -1 and unit[-1] == 1
    np.testing.assert_allclose(datasets.unit_to_hu(unit), hu, atol=1e-3)
    assert datasets.hu_to_unit(np.array([-3000.0, 5000.0])).tolist() == [-1.0, 1.0]
    pairs = datasets.load_mr2ct(1, 0, None, size=32)
    np.testing.assert_allclose(pairs.to_physical(pairs.b), datasets.unit_to_hu(pairs.b), atol=1e-3)


@needs_skimage
def test_make_ldct_arrays_and_shared_anatomy():
    s = datasets.make_ldct(3, 32, 4, texture=0.0)
    assert len(s) == 3
    for name in ("phantom_hu", "full_hu", "low_hu", "low_hann_hu"):
        a = getattr(s, name)
        assert a.shape == (3, 32, 32) and a.dtype == np.float32
    assert s.labels.dtype == np.uint8
    np.testing.assert_array_equal(s.phantom_hu, phantoms.labels_to_hu(s.labels))
    assert s.params["n_angles"] == ct.default_n_angles(32) and s.params["i0_low"] == 1e4
    body = _erode(s.labels > phantoms.AIR, 3)
    err = {k: np.abs(getattr(s, k) - s.phantom_hu)[body].mean() for k in ("full_hu", "low_hu", "low_hann_hu")}
    assert err["full_hu"] < err["low_hann_hu"] < err["low_hu"]
    _, _, mr_labels = datasets.make_mr2ct(3, 32, 4)
    np.testing.assert_array_equal(mr_labels, s.labels)


@needs_skimage
def test_second_load_reads_the_cache(monkeypatch, tmp_path):
    first = datasets.make_ldct(2, 32, 1)
    files = list((tmp_path / "cache").iterdir())
    assert len(files) == 1 and files[0].suffix == ".npz"

    def fail(params):
        raise AssertionError("simulated again instead of reading the cache")

    monkeypatch.setattr(datasets, "simulate_ldct", fail)
    second = datasets.make_ldct(2, 32, 1)
    for name in ("phantom_hu", "full_hu", "low_hu", "low_hann_hu", "labels"):
        np.testing.assert_array_equal(getattr(second, name), getattr(first, name))
    assert second.params == first.params
    datasets.load_ctseg(2, 1, None, size=32)  # the same build
    with pytest.raises(AssertionError, match="simulated again"):
        datasets.make_ldct(2, 32, 1, i0_low=5e3)  # other parameters, another file


@needs_skimage
def test_corrupt_cache_is_rebuilt(tmp_path):
    first = datasets.make_ldct(2, 32, 2)
    (path,) = (tmp_path / "cache").iterdir()
    path.write_bytes(b"not a zip file")
    with pytest.warns(RuntimeWarning, match="rebuilding"):
        again = datasets.make_ldct(2, 32, 2)
    np.testing.assert_array_equal(again.low_hu, first.low_hu)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        datasets.make_ldct(2, 32, 2)  # the rebuilt file reads cleanly
    # a file holding other parameters under this name is not trusted either
    other = tmp_path / "cache" / "other.npz"
    datasets.make_ldct(3, 32, 2)
    (new,) = set((tmp_path / "cache").iterdir()) - {path}
    new.replace(other)
    other.replace(path)
    with pytest.warns(RuntimeWarning, match="parameters stored"):
        np.testing.assert_array_equal(datasets.make_ldct(2, 32, 2).low_hu, first.low_hu)
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [path.name]  # no temporary files left


@needs_skimage
def test_cache_off_and_unwritable_cache(monkeypatch, tmp_path):
    datasets.make_ldct(2, 32, 3, cache=False)
    assert not (tmp_path / "cache").exists()
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    monkeypatch.setenv("TINYGAN_CACHE", str(blocker / "sub"))
    with pytest.warns(RuntimeWarning, match="could not write"):
        s = datasets.make_ldct(2, 32, 3)
    assert len(s) == 2
    assert datasets.cache_dir() == blocker / "sub"


def test_cache_dir_default(monkeypatch, tmp_path):
    monkeypatch.delenv("TINYGAN_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert datasets.cache_dir() == tmp_path / ".cache" / "tinygan"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 0}, "n must be a positive integer"),
        ({"size": 8}, "size must be an integer >= 16"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"i0_low": 0.0}, "i0_low .* must be positive"),
        ({"i0_full": -1.0}, "i0_full"),
        ({"electronic_sigma": -1.0}, "electronic_sigma"),
        ({"n_angles": 1}, "n_angles"),
        ({"texture": -1.0}, "texture"),
    ],
)
def test_make_ldct_errors(kwargs, match):
    args = {"n": 2, "size": 32, "seed": 0} | kwargs
    with pytest.raises(ValueError, match=match):
        datasets.make_ldct(**args)


def test_loader_errors():
    with pytest.raises(ValueError, match="n must be a positive integer"):
        datasets.load_mr2ct(0, 0, None, size=32)
    with pytest.raises(ValueError, match="unknown MR weighting"):
        datasets.load_mr2ct(1, 0, None, size=32, weighting="flair")
    with pytest.raises(ValueError, match="size must be"):
        datasets.load_ctseg(1, 0, None, size=4)
