"""Tests for tinygan.viz (PNG grids, scatter plots, loss curves) and tinygan.progress."""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest

import tinygan
from tinygan import viz
from tinygan.data import ring_centers
from tinygan.progress import ProgressBar

matplotlib_image = pytest.importorskip("matplotlib.image")


def test_make_grid_tiles_images_and_maps_tanh_range_to_unit_range():
    images = -np.ones((5, 1, 3, 4), dtype=np.float32)  # black in [-1, 1]
    images[1] = 1.0  # white
    grid = viz.make_grid(images, nrow=3, padding=1)
    assert grid.shape == (2 * (3 + 1) + 1, 3 * (4 + 1) + 1, 1)
    assert grid[1:4, 1:5].max() == 0.0  # image 0: black
    assert grid[1:4, 6:10].min() == 1.0  # image 1: white, right of image 0
    assert grid[5:8, 1:5].max() == 0.0  # image 3 starts the second row
    assert grid[5:8, 11:15].max() == 0.0  # the sixth slot is empty padding


def test_make_grid_keeps_unit_range_images_and_accepts_tensors():
    images = tinygan.tensor(np.full((2, 3, 2, 2), 0.25, dtype=np.float32))
    grid = viz.make_grid(images, nrow=2, padding=0)
    assert grid.shape == (2, 4, 3)
    np.testing.assert_allclose(grid, 0.25)


@pytest.mark.parametrize("shape", [(4, 28, 28), (2, 2, 8, 8), (0, 1, 4, 4)])
def test_make_grid_rejects_other_shapes(shape):
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        viz.make_grid(np.zeros(shape))


def test_save_image_grid_writes_a_png_of_the_grid_size(tmp_path):
    images = np.random.default_rng(0).uniform(-1, 1, (6, 1, 8, 8))
    assert viz.save_image_grid(images, tmp_path / "grid.png", nrow=3, padding=2, scale=2)
    picture = matplotlib_image.imread(tmp_path / "grid.png")
    assert picture.shape[:2] == (2 * (2 * 10 + 2), 2 * (3 * 10 + 2))


def test_save_scatter_and_loss_curves_write_pngs(tmp_path):
    centers = ring_centers(8, 2.0)
    samples = centers[np.arange(200) % 8] + 0.05 * np.random.default_rng(0).standard_normal((200, 2))
    assert viz.save_scatter(samples, tmp_path / "s.png", centers, 0.02, real=centers, title="step 10")
    history = [{"step": s, "loss_d": 1.0 / s, "loss_g": 0.7, "d_x": 0.6, "d_g_z1": 0.4} for s in range(1, 301)]
    assert viz.save_loss_curves(history, tmp_path / "l.png")
    for name in ("s.png", "l.png"):
        assert matplotlib_image.imread(tmp_path / name).ndim == 3


def test_plot_arguments_are_checked():
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        viz.save_scatter(np.zeros((5, 3)), "unused.png")
    with pytest.raises(ValueError, match="at least one step"):
        viz.save_loss_curves([], "unused.png")


def test_without_matplotlib_pictures_are_skipped_with_one_warning(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes "import matplotlib" fail
    monkeypatch.setattr(viz, "_warned", False)
    assert not viz.save_image_grid(np.zeros((1, 1, 4, 4)), tmp_path / "a.png")
    assert not viz.save_scatter(np.zeros((3, 2)), tmp_path / "b.png")
    assert not viz.save_loss_curves([{"step": 1, "loss_d": 1, "loss_g": 1, "d_x": 0.5, "d_g_z1": 0.5}], tmp_path / "c")
    assert not list(tmp_path.iterdir())
    assert capsys.readouterr().err.count("matplotlib is not installed") == 1


# ----------------------------------------------------------------------------- progress bar


def test_progress_bar_prints_plain_lines_when_not_a_terminal():
    stream = io.StringIO()
    with ProgressBar(100, stream=stream, lines=4) as bar:
        for i in range(100):
            bar.update(1, {"loss_d": 1.0 / (i + 1), "step": i + 1})
    lines = stream.getvalue().splitlines()
    assert len(lines) == 4
    assert lines[0].startswith(" 25/100 [") and "25%" in lines[0]
    assert lines[-1].startswith("100/100") and "loss_d 0.010" in lines[-1] and "step 100" in lines[-1]
    assert "\r" not in stream.getvalue()


def test_progress_bar_redraws_in_place_on_a_terminal_and_writes_messages_above():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    bar = ProgressBar(10, initial=5, stream=stream, min_interval=0)
    bar.update(1)
    bar.write("a message")
    bar.update(4)
    bar.close()
    text = stream.getvalue()
    assert text.count("\r") >= 2 and "a message\n" in text
    assert text.endswith("\n") and "10/10" in text


def test_progress_bar_rejects_bad_totals():
    with pytest.raises(ValueError, match="total >= 1"):
        ProgressBar(0)
    with pytest.raises(ValueError, match="initial <= total"):
        ProgressBar(5, initial=6)
