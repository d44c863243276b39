"""Tests for the command line (tinygan.cli, python -m tinygan)."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tinygan import cli
from tinygan.checkpoint import load_checkpoint
from tinygan.data import DATASETS
from tinygan.gan.trainer import Trainer

REPO = Path(__file__).resolve().parents[1]
# A tiny ring run: seconds, not minutes.
SMALL = ["--n-train", "2000", "--batch-size", "32", "--g-hidden", "16", "--d-hidden", "16"]


def run(capsys, *argv):
    """main(argv) in this process: (exit status, stdout, stderr)."""
    try:
        status = cli.main(list(argv))
    except SystemExit as e:  # argparse exits for --help and usage errors
        status = e.code
    out, err = capsys.readouterr()
    return status, out, err


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("command", [[], ["demo"], ["datasets"], ["train"], ["train", "gan"]])
def test_every_command_has_help(capsys, command):
    status, out, _ = run(capsys, *command, "--help")
    assert status == 0 and out.startswith("usage: tinygan")


def test_python_dash_m_tinygan_runs_the_cli():
    result = subprocess.run(
        [sys.executable, "-m", "tinygan", "--help"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and "demo" in result.stdout and "train" in result.stdout


def test_datasets_lists_the_built_in_data(capsys):
    status, out, _ = run(capsys, "datasets")
    assert status == 0
    names = [line.split()[0] for line in out.splitlines()]
    assert names == list(DATASETS) and names[:4] == ["ring", "grid", "digits", "mnist"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "gan", "--data", "cifar"], "invalid choice: 'cifar'"),
        (["train", "gan", "--data", "ring", "--steps", "0"], "must be a positive integer"),
        (["train", "gan", "--data", "ring", "--g-hidden", "a,b"], "comma-separated widths"),
        (["train", "gan", "--data", "ring", "--g-loss", "hinge"], "invalid choice: 'hinge'"),
        (["train", "gan", "--data", "ring", "--lr-decay", "2"], "between 0 and 1"),
        (["train", "gan", "--data", "ring", "--d-dropout", "1"], "must be in [0, 1)"),
        (["demo", "--threads", "0"], "must be a positive integer"),
        (["train"], "required: MODEL"),
    ],
)
def test_bad_arguments_exit_2_with_a_usage_message(capsys, argv, message):
    status, _, err = run(capsys, *argv)
    assert status == 2 and message in err and "Traceback" not in err


def test_errors_found_later_are_one_line_with_exit_2(capsys, tmp_path):
    status, _, err = run(capsys, "train", "gan", "--data", "mnist", "--out", str(tmp_path))
    assert status == 2 and err.strip() == (
        "tinygan: error: --data mnist needs --mnist-path: a directory of MNIST IDX files or a mnist.npz file"
    )
    status, _, err = run(capsys, "train", "gan", "--data", "ring", "--out", str(tmp_path / "new"), "--resume")
    assert status == 2 and "no checkpoint at" in err and len(err.strip().splitlines()) == 1
    (tmp_path / "checkpoint.npz").write_bytes(b"garbage")
    status, _, err = run(capsys, "train", "gan", "--data", "ring", "--out", str(tmp_path), "--resume")
    assert status == 2 and "corrupt" in err and len(err.strip().splitlines()) == 1


def test_a_short_ring_run_writes_metrics_samples_and_a_checkpoint(capsys, tmp_path):
    out = tmp_path / "run"
    status, stdout, err = run(
        capsys, "train", "gan", "--data", "ring", *SMALL, "--steps", "20", "--sample-every", "10", "--out", str(out)
    )
    assert status == 0, err
    names = {p.name for p in out.iterdir()}
    assert {"metrics.csv", "checkpoint.npz", "losses.png", "samples_final.png"} <= names
    assert {"samples_step000000.png", "samples_step000010.png", "samples_step000020.png"} <= names
    rows = read_csv(out / "metrics.csv")
    assert list(rows[0]) == [
        "step", "loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2", "modes_covered", "high_quality_share",
    ]  # fmt: skip
    assert [int(r["step"]) for r in rows] == list(range(1, 21))
    assert rows[9]["modes_covered"] != "" and rows[8]["modes_covered"] == ""  # evaluated every 10 steps
    assert "[10/20] Loss_D:" in err and "D(G(z)):" in err  # the DCGAN example's log line
    assert "modes covered" in stdout


def _without_pictures(monkeypatch):
    for name in ("save_scatter", "save_loss_curves"):  # these tests are about numbers; pictures are slow
        monkeypatch.setattr(cli.viz, name, lambda *args, **kwargs: False)


RING_RUN = ["train", "gan", "--data", "ring", *SMALL, "--steps", "16", "--sample-every", "4", "--seed", "3"]


def test_the_same_seed_gives_the_same_numbers(capsys, tmp_path, monkeypatch):
    _without_pictures(monkeypatch)
    assert run(capsys, *RING_RUN, "--out", str(tmp_path / "a"))[0] == 0
    assert run(capsys, *RING_RUN, "--out", str(tmp_path / "b"))[0] == 0
    assert read_csv(tmp_path / "a" / "metrics.csv") == read_csv(tmp_path / "b" / "metrics.csv")


def _ctrl_c_during_step(monkeypatch, at_step, when, times=1):
    """Make Trainer.train_step send this process SIGINT (what Ctrl-C does) ``times`` times during
    step ``at_step``: ``before`` the step's work or ``after`` it, before the loop sees the result."""
    train_step = Trainer.train_step

    def interrupted(self):
        ctrl_c = self.step + 1 == at_step
        for _ in range(times if ctrl_c and when == "before" else 0):
            os.kill(os.getpid(), signal.SIGINT)
        metrics = train_step(self)
        for _ in range(times if ctrl_c and when == "after" else 0):
            os.kill(os.getpid(), signal.SIGINT)
        return metrics

    monkeypatch.setattr(Trainer, "train_step", interrupted)
    return train_step


@pytest.mark.parametrize("when", ["before", "after"])
def test_ctrl_c_at_any_moment_of_a_step_saves_that_step_and_resume_finishes_the_run_exactly(
    capsys, tmp_path, monkeypatch, when
):
    """Ctrl-C is deferred: the step in progress finishes, is written and checkpointed, the run
    exits 130; --resume then reproduces the uninterrupted run's metrics.csv exactly."""
    _without_pictures(monkeypatch)
    assert run(capsys, *RING_RUN, "--out", str(tmp_path / "straight"))[0] == 0
    straight = read_csv(tmp_path / "straight" / "metrics.csv")

    out = tmp_path / "interrupted"
    train_step = _ctrl_c_during_step(monkeypatch, at_step=6, when=when)
    status, _, err = run(capsys, *RING_RUN, "--out", str(out))
    assert status == 130, err
    assert f"interrupted at step 6; saved {out / 'checkpoint.npz'}; add --resume to continue" in err
    assert load_checkpoint(out / "checkpoint.npz")["step"] == 6
    assert read_csv(out / "metrics.csv") == straight[:6]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Ctrl-C works normally again

    monkeypatch.setattr(Trainer, "train_step", train_step)
    status, stdout, err = run(capsys, *RING_RUN, "--out", str(out), "--resume")
    assert status == 0, err
    assert "resuming from step 6" in stdout
    assert read_csv(out / "metrics.csv") == straight


def test_a_second_ctrl_c_stops_at_once_without_saving(capsys, tmp_path, monkeypatch):
    _without_pictures(monkeypatch)
    _ctrl_c_during_step(monkeypatch, at_step=3, when="before", times=2)
    status, _, err = run(capsys, *RING_RUN, "--out", str(tmp_path))
    assert status == 130
    assert "interrupted at step" not in err
    assert not (tmp_path / "checkpoint.npz").exists()  # --checkpoint-every 1000: none written yet


def test_a_short_digits_run_writes_image_grids(capsys, tmp_path):
    status, _, err = run(
        capsys, "train", "gan", "--data", "digits", "--n-train", "64", "--batch-size", "16",
        "--g-hidden", "32", "--d-hidden", "32", "--steps", "2", "--out", str(tmp_path),
    )  # fmt: skip
    assert status == 0, err
    rows = read_csv(tmp_path / "metrics.csv")
    assert list(rows[0]) == ["step", "loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2"]  # no mode coverage for images
    grid = pytest.importorskip("matplotlib.image").imread(tmp_path / "samples_final.png")
    assert grid.shape[:2] == (2 * (8 * 30 + 2), 2 * (8 * 30 + 2))  # 8x8 digits of 28 px, 2 px apart, scale 2
