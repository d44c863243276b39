"""tinygan.progress: tqdm draws the bar on a terminal when it is installed; without it (or off a
terminal) the plain fallback does, behind one interface (ProgressBar(total, initial=...),
update(n, metrics), write(message), a context manager)."""

from __future__ import annotations

import io
import sys

import pytest

from tinygan import progress
from tinygan.progress import ProgressBar


class Terminal(io.StringIO):
    def isatty(self):
        return True


def _drive(stream, total=10, initial=5):
    with ProgressBar(total, initial=initial, stream=stream, min_interval=0) as bar:
        bar.update(1, {"loss_d": 1.23456, "step": 6})
        bar.write("[6/10] a log line")
        bar.update(4, {"loss_d": 0.5, "step": 10})
    return stream.getvalue()


def test_on_a_terminal_tqdm_draws_the_bar_with_the_metrics():
    pytest.importorskip("tqdm")
    text = _drive(Terminal())
    assert "10/10" in text and "100%" in text and "step/s" in text  # tqdm's bar
    assert "loss_d 0.500 step 10" in text  # the metrics, formatted as the fallback does
    assert "[6/10] a log line\n" in text and text.endswith("\n")


def test_without_tqdm_the_plain_bar_draws_the_same_information(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # ``import tqdm`` now raises ImportError
    assert progress._load_tqdm() is None
    text = _drive(Terminal())
    assert "10/10 [####################] 100%" in text and "it/s" in text
    assert "loss_d 0.500 step 10" in text and "[6/10] a log line\n" in text and text.endswith("\n")


@pytest.mark.parametrize("tqdm_installed", [True, False])
def test_off_a_terminal_the_output_is_plain_lines_either_way(monkeypatch, tqdm_installed):
    if not tqdm_installed:
        monkeypatch.setitem(sys.modules, "tqdm", None)
    stream = io.StringIO()
    with ProgressBar(100, stream=stream, lines=4) as bar:
        for i in range(100):
            bar.update(1, {"loss_d": 1.0 / (i + 1)})
    lines = stream.getvalue().splitlines()
    assert len(lines) == 4 and lines[-1].startswith("100/100") and "\r" not in stream.getvalue()


def test_a_resumed_bar_starts_at_its_initial_count():
    pytest.importorskip("tqdm")
    stream = Terminal()
    with ProgressBar(8, initial=6, stream=stream, min_interval=0) as bar:
        assert bar.n == 6
        bar.update(5)  # more than is left: the count stops at the total
        assert bar.n == 8
    assert "8/8" in stream.getvalue() and "9/8" not in stream.getvalue()


@pytest.mark.parametrize(("total", "initial"), [(0, 0), (-3, 0), (5, 6), (5, -1)])
def test_bad_counts_are_refused(total, initial):
    with pytest.raises(ValueError, match="ProgressBar needs total >= 1 and 0 <= initial <= total"):
        ProgressBar(total, initial=initial, stream=io.StringIO())
