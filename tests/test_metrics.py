"""tinygan.metrics: PSNR / SSIM / RMSE / Dice / power spectra, SSIM checked against scikit-image."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygan
from tinygan import metrics as M

skm = pytest.importorskip("skimage.metrics")

# the settings that reproduce Wang et al. 2004 in scikit-image
WANG = {"gaussian_weights": True, "sigma": 1.5, "use_sample_covariance": False}
SSIM_TOL = 1e-10  # observed differences are ~1e-15 (float64 rounding)


def _smooth(rng: np.random.Generator, shape: tuple[int, ...], passes: int = 2) -> np.ndarray:
    """A smooth random field in [0, 1] (Gaussian-filtered white noise, rescaled)."""
    a = rng.standard_normal(shape)
    for _ in range(passes):
        a = M.gaussian_filter2d(a, 11, 3.0)
    return (a - a.min()) / (a.max() - a.min())


# --------------------------------------------------------------------------- window / psnr / rmse


def test_window_clips_and_validates():
    x = np.array([-1000.0, -160.0, 0.0, 240.0, 1500.0])
    np.testing.assert_array_equal(M.window(x, -160, 240), [-160, -160, 0, 240, 240])
    assert M.window(x.astype(np.int16), -160, 240).dtype == np.float64
    with pytest.raises(ValueError, match="lo < hi"):
        M.window(x, 240, -160)
    with pytest.raises(ValueError, match="lo < hi"):
        M.window(x, 0, 0)


def test_psnr_known_values():
    x = np.zeros((8, 8))
    assert M.psnr(x, x + 1, data_range=255) == pytest.approx(48.1308036, abs=1e-6)
    assert M.psnr(x, x + 1, data_range=255) == pytest.approx(20 * math.log10(255))
    assert M.psnr(x, x + 0.1, data_range=1.0) == pytest.approx(20.0)
    # one wrong pixel in 100: MSE = 1/100 * 10^2 = 1, range 10 -> 20 dB
    y = np.zeros(100)
    y[3] = 10
    assert M.psnr(np.zeros(100), y, data_range=10) == pytest.approx(20.0)
    assert M.psnr(x, x, data_range=1) == math.inf


def test_psnr_data_range_scales_as_20log10():
    rng = np.random.default_rng(0)
    x, y = rng.random((16, 16)), rng.random((16, 16))
    assert M.psnr(x, y, 5.0) - M.psnr(x, y, 1.0) == pytest.approx(20 * math.log10(5))


def test_psnr_window_changes_the_result_as_expected():
    # soft tissue identical, bone wrong by 300 HU: outside the [-160, 240] window the error vanishes
    target = np.zeros((10, 10))
    target[:2] = 1000.0
    output = target.copy()
    output[:2] = 1300.0
    assert M.psnr(output, target, 400) == pytest.approx(10 * math.log10(400**2 / (0.2 * 300**2)))
    assert M.psnr(M.window(output, -160, 240), M.window(target, -160, 240), 400) == math.inf
    # an error inside the window is kept by clipping
    output[5, 5] = 40.0
    windowed = M.psnr(M.window(output, -160, 240), M.window(target, -160, 240), 400)
    assert windowed == pytest.approx(10 * math.log10(400**2 / (40**2 / 100)))


@pytest.mark.parametrize("bad", [0, -1, -0.5, math.nan, math.inf])
def test_psnr_rejects_bad_data_range(bad):
    with pytest.raises(ValueError, match="data_range"):
        M.psnr(np.zeros(4), np.ones(4), data_range=bad)


def test_psnr_requires_data_range_and_checks_shapes():
    with pytest.raises(TypeError):
        M.psnr(np.zeros(4), np.ones(4))  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="data_range"):
        M.psnr(np.zeros(4), np.ones(4), data_range=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="same shape"):
        M.psnr(np.zeros((4, 4)), np.zeros((4, 5)), 1.0)
    with pytest.raises(ValueError, match="empty"):
        M.psnr(np.zeros((0, 4)), np.zeros((0, 4)), 1.0)


def test_rmse_and_mse():
    x = np.zeros((5, 7))
    assert M.rmse(x, x + 3) == pytest.approx(3.0)
    assert M.mse(x, x - 2) == pytest.approx(4.0)
    assert M.rmse([0.0, 0.0], [3.0, 4.0]) == pytest.approx(math.sqrt(12.5))
    with pytest.raises(ValueError, match="same shape"):
        M.rmse(np.zeros(3), np.zeros(4))


def test_tinygan_tensors_are_accepted():
    rng = np.random.default_rng(1)
    a, b = rng.random((16, 16)), rng.random((16, 16))
    ta, tb = tinygan.tensor(a, dtype=np.float64), tinygan.tensor(b, dtype=np.float64)
    assert M.psnr(ta, tb, 1.0) == pytest.approx(M.psnr(a, b, 1.0))
    assert M.ssim(ta, tb, 1.0) == pytest.approx(M.ssim(a, b, 1.0))
    assert M.rmse(ta, b) == pytest.approx(M.rmse(a, b))


# --------------------------------------------------------------------------- SSIM vs scikit-image


def test_gaussian_kernel_and_filter():
    w = M.gaussian_kernel1d(11, 1.5)
    assert w.shape == (11,)
    assert w.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(w, w[::-1])
    assert w.argmax() == 5
    # a constant image is unchanged (normalised weights, reflecting borders)
    np.testing.assert_allclose(M.gaussian_filter2d(np.full((3, 12, 13), 7.0)), 7.0)
    # separable: filtering an impulse gives the outer product of the kernels
    imp = np.zeros((21, 21))
    imp[10, 10] = 1.0
    np.testing.assert_allclose(M.gaussian_filter2d(imp), np.pad(np.outer(w, w), 5), atol=1e-15)
    with pytest.raises(ValueError, match="odd"):
        M.gaussian_kernel1d(10, 1.5)
    with pytest.raises(ValueError, match="sigma"):
        M.gaussian_kernel1d(11, 0.0)


SIZES = [(11, 11), (11, 16), (12, 40), (33, 21), (64, 64)]


@pytest.mark.parametrize("shape", SIZES)
@pytest.mark.parametrize("data_range", [1.0, 255.0, 400.0])
def test_ssim_matches_skimage_random(shape, data_range):
    rng = np.random.default_rng(int(data_range) + 1000 * shape[0] + shape[1])
    x = rng.random(shape) * data_range
    y = rng.random(shape) * data_range
    ours = M.ssim(x, y, data_range=data_range)
    ref = skm.structural_similarity(x, y, data_range=data_range, **WANG)
    assert abs(ours - ref) < SSIM_TOL


@pytest.mark.parametrize("shape", SIZES)
@pytest.mark.parametrize("noise", [0.01, 0.1])
def test_ssim_matches_skimage_smooth_plus_noise(shape, noise):
    rng = np.random.default_rng(7)
    x = _smooth(rng, shape) * 400 - 160  # HU-like in [-160, 240]
    y = x + rng.normal(0, noise * 400, shape)
    ours, smap = M.ssim(x, y, data_range=400, full=True)
    ref, ref_map = skm.structural_similarity(x, y, data_range=400, full=True, **WANG)
    assert abs(ours - ref) < SSIM_TOL
    assert smap.shape == shape
    np.testing.assert_allclose(smap, ref_map, rtol=0, atol=SSIM_TOL)
    assert 0 < ours < 1


@pytest.mark.parametrize(("win_size", "sigma"), [(7, 0.8), (9, 1.0), (15, 2.0)])
def test_ssim_other_windows_match_skimage_when_sizes_agree(win_size, sigma):
    # scikit-image truncates at 3.5 sigma: 2 * int(3.5 sigma + 0.5) + 1 taps
    assert 2 * int(3.5 * sigma + 0.5) + 1 == win_size
    rng = np.random.default_rng(3)
    x = _smooth(rng, (30, 34))
    y = np.clip(x + rng.normal(0, 0.05, x.shape), 0, 1)
    ours = M.ssim(x, y, 1.0, win_size=win_size, sigma=sigma)
    ref = skm.structural_similarity(
        x, y, data_range=1.0, gaussian_weights=True, sigma=sigma, use_sample_covariance=False
    )
    assert abs(ours - ref) < SSIM_TOL


def test_ssim_k_constants_match_skimage():
    rng = np.random.default_rng(4)
    x, y = rng.random((20, 20)), rng.random((20, 20))
    ours = M.ssim(x, y, 1.0, k1=0.05, k2=0.1)
    ref = skm.structural_similarity(x, y, data_range=1.0, K1=0.05, K2=0.1, **WANG)
    assert abs(ours - ref) < SSIM_TOL


def test_ssim_float32_input_and_identical_images():
    rng = np.random.default_rng(5)
    x = rng.random((24, 24)).astype(np.float32)
    assert M.ssim(x, x, 1.0) == pytest.approx(1.0, abs=1e-12)
    const = np.full((16, 16), 3.0)
    assert M.ssim(const, const, 1.0) == pytest.approx(1.0, abs=1e-12)
    ref = skm.structural_similarity(x.astype(np.float64), (x + 0.1).astype(np.float64), data_range=1.0, **WANG)
    assert abs(M.ssim(x, x + np.float32(0.1), 1.0) - ref) < 1e-6


def test_ssim_errors():
    x = np.zeros((16, 16))
    with pytest.raises(ValueError, match="2-D"):
        M.ssim(np.zeros((2, 16, 16)), np.zeros((2, 16, 16)), 1.0)
    with pytest.raises(ValueError, match="win_size"):
        M.ssim(np.zeros((10, 16)), np.zeros((10, 16)), 1.0)
    with pytest.raises(ValueError, match="odd"):
        M.ssim(x, x, 1.0, win_size=10)
    with pytest.raises(ValueError, match="data_range"):
        M.ssim(x, x, 0.0)
    with pytest.raises(ValueError, match="same shape"):
        M.ssim(x, np.zeros((16, 17)), 1.0)
    with pytest.raises(ValueError, match="k1 and k2"):
        M.ssim(x, x, 1.0, k1=0.0)
    with pytest.raises(ValueError, match="empty"):
        M.ssim(np.zeros((0, 0)), np.zeros((0, 0)), 1.0)


def test_ssim_batch_is_the_mean_of_per_image_ssim():
    rng = np.random.default_rng(6)
    x = rng.random((3, 2, 14, 15))
    y = np.clip(x + rng.normal(0, 0.1, x.shape), 0, 1)
    per = M.ssim_batch(x, y, 1.0, reduce=False)
    assert per.shape == (3, 2)
    for i in range(3):
        for c in range(2):
            assert per[i, c] == pytest.approx(M.ssim(x[i, c], y[i, c], 1.0), abs=1e-14)
    assert M.ssim_batch(x, y, 1.0) == pytest.approx(per.mean())
    # (C, H, W) is scikit-image's channel_axis=0 result
    ref = skm.structural_similarity(x[0], y[0], data_range=1.0, channel_axis=0, **WANG)
    assert abs(M.ssim_batch(x[0], y[0], 1.0) - ref) < SSIM_TOL
    assert M.ssim_batch(x[0, 0], y[0, 0], 1.0) == pytest.approx(M.ssim(x[0, 0], y[0, 0], 1.0))


# --------------------------------------------------------------------------- properties

images = st.tuples(st.integers(11, 14), st.integers(11, 14)).flatmap(
    lambda s: st.tuples(
        hnp.arrays(np.float64, s, elements=st.floats(0, 1)), hnp.arrays(np.float64, s, elements=st.floats(0, 1))
    )
)


@settings(max_examples=25)
@given(images)
def test_ssim_symmetric_and_bounded(pair):
    x, y = pair
    s_xy, s_yx = M.ssim(x, y, 1.0), M.ssim(y, x, 1.0)
    assert s_xy == pytest.approx(s_yx, abs=1e-12)
    assert -1 - 1e-12 <= s_xy <= 1 + 1e-12
    assert M.ssim(x, x, 1.0) == pytest.approx(1.0, abs=1e-9)


@settings(max_examples=25)
@given(
    hnp.arrays(np.float64, (8, 8), elements=st.floats(-1, 1)),
    st.integers(0, 2**31 - 1),
    st.floats(0.01, 1.0),
    st.floats(1.1, 10.0),
)
def test_psnr_decreases_with_more_noise(x, seed, scale, factor):
    noise = np.random.default_rng(seed).standard_normal(x.shape)
    low = M.psnr(x, x + scale * noise, 2.0)
    high = M.psnr(x, x + factor * scale * noise, 2.0)
    assert high < low
    assert low - high == pytest.approx(20 * math.log10(factor), rel=1e-6)


# --------------------------------------------------------------------------- hu_metrics


def test_hu_metrics_windowed_psnr_ssim_and_unclipped_rmse():
    rng = np.random.default_rng(8)
    target = _smooth(rng, (32, 32)) * 600 - 300  # some pixels outside [-160, 240]
    output = target + rng.normal(0, 20, target.shape)
    out = M.hu_metrics(output, target)
    assert out["window"] == (-160.0, 240.0)
    assert out["data_range"] == 400.0
    assert out["n_images"] == 1
    ow, tw = M.window(output, -160, 240), M.window(target, -160, 240)
    assert out["psnr"] == pytest.approx(M.psnr(ow, tw, 400))
    assert out["ssim"] == pytest.approx(M.ssim(ow, tw, 400))
    assert abs(out["ssim"] - skm.structural_similarity(ow, tw, data_range=400, **WANG)) < SSIM_TOL
    assert out["rmse"] == pytest.approx(M.rmse(output, target))  # unclipped HU
    assert out["rmse"] > M.rmse(ow, tw)


def test_hu_metrics_batch_averages_per_image_and_custom_window():
    rng = np.random.default_rng(9)
    target = rng.normal(40, 100, (3, 16, 16))
    output = target + rng.normal(0, 10, target.shape) * np.array([1, 2, 3])[:, None, None]
    out = M.hu_metrics(output, target, window=(-1000, 1000))
    assert out["window"] == (-1000.0, 1000.0)
    assert out["n_images"] == 3
    ow, tw = np.clip(output, -1000, 1000), np.clip(target, -1000, 1000)
    assert out["psnr"] == pytest.approx(np.mean([M.psnr(o, t, 2000) for o, t in zip(ow, tw)]))
    assert out["ssim"] == pytest.approx(np.mean([M.ssim(o, t, 2000) for o, t in zip(ow, tw)]))
    assert out["rmse"] == pytest.approx(np.mean([M.rmse(o, t) for o, t in zip(output, target)]))
    with pytest.raises(ValueError, match="lo < hi"):
        M.hu_metrics(output, target, window=(240, -160))


# --------------------------------------------------------------------------- dice


def test_dice_hand_made_masks():
    pred = np.array([[0, 1, 1], [2, 2, 0]])
    target = np.array([[0, 1, 0], [2, 2, 2]])
    d = M.dice(pred, target)
    assert list(d) == [1, 2]
    assert d[1] == pytest.approx(2 * 1 / (2 + 1))
    assert d[2] == pytest.approx(2 * 2 / (2 + 3))
    d = M.dice(pred, target, labels=[3, 0, 1])
    assert list(d) == [0, 1, 3]
    assert d[0] == pytest.approx(2 * 1 / (2 + 2))
    assert math.isnan(d[3])  # absent from both: undefined by default
    assert M.dice(pred, target, labels=[3], empty=1.0) == {3: 1.0}
    # predicted but absent from the target: 0 whatever the empty convention
    assert M.dice(np.array([5, 0]), np.array([0, 0]), empty=1.0) == {5: 0.0}
    assert M.dice(target, target) == {1: 1.0, 2: 1.0}


def test_dice_binary_and_float_masks_and_errors():
    p = np.array([[True, True], [False, False]])
    t = np.array([[True, False], [True, False]])
    assert M.dice(p, t) == {1: pytest.approx(0.5)}
    assert M.dice(p.astype(np.float32), t.astype(np.float64)) == {1: pytest.approx(0.5)}
    assert M.dice(tinygan.tensor(p.astype(np.float32)), t) == {1: pytest.approx(0.5)}
    assert M.dice(np.zeros(4, int), np.zeros(4, int)) == {}
    with pytest.raises(ValueError, match="label mask"):
        M.dice(np.array([0.5, 1.0]), np.array([0, 1]))
    with pytest.raises(ValueError, match="same shape"):
        M.dice(np.zeros(3, int), np.zeros(4, int))


# --------------------------------------------------------------------------- power spectra


def test_nps_of_white_noise_is_flat_at_the_variance():
    rng = np.random.default_rng(10)
    s = 3.0
    f, nps = M.noise_power_spectrum(rng.normal(5.0, s, (200, 32, 32)))
    assert nps[0] == pytest.approx(0.0, abs=1e-9)  # the mean is subtracted
    np.testing.assert_allclose(nps[1:], s**2, rtol=0.15)
    assert nps[1:].mean() == pytest.approx(s**2, rel=0.03)
    # pixel size d: NPS scales with d^2 (HU^2 mm^2), frequencies with 1/d (cycles/mm)
    f2, nps2 = M.noise_power_spectrum(rng.normal(0, s, (200, 32, 32)), pixel_size=0.5)
    np.testing.assert_allclose(f2, 2 * f)
    assert nps2[1:].mean() == pytest.approx(s**2 * 0.25, rel=0.03)


def test_nps_parseval_on_the_full_2d_spectrum():
    # the radial average drops the corners beyond the Nyquist circle, so check Parseval on a
    # band-limited field whose power is all inside it: sum NPS * df^2 over the plane = variance
    rng = np.random.default_rng(11)
    x = M.gaussian_filter2d(rng.standard_normal((64, 64, 64)), 7, 1.0)
    x = x - x.mean(axis=(-2, -1), keepdims=True)
    f, nps = M.noise_power_spectrum(x)
    df = f[1] - f[0]
    # integrate the radial NPS over rings of area 2 pi f df (DC bin: a disc of radius df/2); the
    # rings only approximate the DFT lattice, hence the 2 % tolerance
    rings = np.r_[np.pi * (df / 2) ** 2, 2 * np.pi * f[1:] * df]
    assert np.sum(nps * rings) == pytest.approx(np.mean(x**2), rel=0.02)


def test_smoothed_noise_has_less_high_frequency_power():
    rng = np.random.default_rng(12)
    noise = rng.standard_normal((40, 48, 48))
    f, white = M.noise_power_spectrum(noise)
    _, smooth = M.noise_power_spectrum(M.gaussian_filter2d(noise, 7, 1.0))
    high = f > 0.25
    assert np.all(smooth[high] < 0.2 * white[high])
    assert M.spectrum_centroid(f, smooth) < 0.5 * M.spectrum_centroid(f, white)
    # the (smoothed - original) residual keeps the high frequencies: what an over-smoothing L1 model removes
    _, resid = M.noise_power_spectrum(M.gaussian_filter2d(noise, 7, 1.0) - noise)
    assert M.spectrum_centroid(f, resid) > M.spectrum_centroid(f, white)


@pytest.mark.parametrize(
    ("shape", "n", "last"),
    [((64, 64), 33, 0.5), ((32, 48), 17, 0.5), ((33, 33), 17, 16 / 33), ((2, 16, 20), 9, 0.5)],
)
def test_radial_bins_count_and_frequency_units(shape, n, last):
    f, p = M.radial_power_spectrum(np.random.default_rng(0).random(shape))
    assert f.shape == p.shape == (n,)
    assert f[0] == 0.0
    assert f[-1] == pytest.approx(last)
    np.testing.assert_allclose(np.diff(f), 1 / min(shape[-2:]))
    assert np.all(np.isfinite(p))
    f5, p5 = M.noise_power_spectrum(np.random.default_rng(0).random(shape), n_bins=5)
    np.testing.assert_allclose(f5, np.linspace(0, last, 5))


def test_radial_power_spectrum_finds_a_cosine_and_keeps_dc():
    yy, xx = np.mgrid[0:64, 0:64]
    img = 10 + np.cos(2 * np.pi * 8 * xx / 64)  # 8 / 64 = 0.125 cycles per pixel
    f, p = M.radial_power_spectrum(img)
    assert f[np.argmax(p[1:]) + 1] == pytest.approx(0.125)
    assert p[0] > p[8] > 0  # the mean stays in the DC bin
    _, q = M.radial_power_spectrum(img, subtract_mean=True)
    assert q[0] == pytest.approx(0.0, abs=1e-9)
    _, nps = M.noise_power_spectrum(img)
    np.testing.assert_allclose(q, nps)
    # anisotropic pixels: frequencies in cycles per unit along the coarser sampling
    f2, _ = M.radial_power_spectrum(img, pixel_size=(2.0, 1.0))
    assert f2[-1] == pytest.approx(0.25)


def test_spectrum_errors():
    with pytest.raises(ValueError, match="shape"):
        M.noise_power_spectrum(np.zeros(16))
    with pytest.raises(ValueError, match="pixel_size"):
        M.noise_power_spectrum(np.zeros((8, 8)), pixel_size=0)
    with pytest.raises(ValueError, match="n_bins"):
        M.noise_power_spectrum(np.zeros((8, 8)), n_bins=1)
    with pytest.raises(ValueError, match="positive power"):
        M.spectrum_centroid(np.array([0.0, 0.5]), np.array([1.0, 0.0]))
