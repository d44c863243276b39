"""Tests for the command line (tinygan.cli, python -m tinygan)."""

from __future__ import annotations

import argparse
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


def test_the_demo_never_loads_numba(tmp_path):
    """The MLP GAN's ops are NumPy expressions (Adam fuses only large parameters, the activations
    take their kernels only on feature maps), so the demo's first step does not wait about 1 s
    for Numba to load."""
    script = (
        "import sys; from tinygan import cli; "
        f"assert cli.main(['demo', '--steps', '2', '--out', {str(tmp_path)!r}]) == 0; "
        "assert 'numba' not in sys.modules, 'the demo loaded numba'"
    )
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, timeout=120)


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


# ----------------------------------------------------------------------------- argument types


def _typed_options(parser, path=()):
    """(command path, option, type) for every option with one of the CLI's argument types."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _typed_options(sub, (*path, name))
        elif action.type is not None and action.option_strings and action.type not in (int, str):
            yield path, action.option_strings[0], action.type


TYPED_OPTIONS = list(_typed_options(cli.build_parser()))
GARBAGE = ["abc", "", "nan", "inf", "-inf", "-1", "0", "1e999", "0.5x", "1,,2", "-0", "2.5"]


def test_every_argument_type_has_a_readable_name():
    assert len(TYPED_OPTIONS) > 40  # every command's typed options: gan, dcgan, cgan, pix2pix, demo
    for _, option, kind in TYPED_OPTIONS:
        assert not kind.__name__.startswith("_"), (option, kind.__name__)


TYPED_IDS = [" ".join((*path, option)) for path, option, _ in TYPED_OPTIONS]


@pytest.mark.parametrize(("path", "option", "kind"), TYPED_OPTIONS, ids=TYPED_IDS)
def test_every_bad_option_value_is_one_clear_line_with_exit_2(capsys, path, option, kind):
    """Each refused value: exit 2 and "argument --x: <what it must be>, got <value>", never
    argparse's "invalid _positive_int value" nor a traceback."""
    required = ["--data", "ring"] if path[-1:] == ("gan",) else ["--data", "facades-synth"] if "pix2pix" in path else []
    refused = 0
    for value in GARBAGE:
        try:
            kind(value)
            continue  # a value this option takes
        except argparse.ArgumentTypeError as e:
            message = str(e)
        refused += 1
        with pytest.raises(SystemExit) as info:
            cli.build_parser().parse_args([*path, *required, f"{option}={value}"])
        err = capsys.readouterr().err
        assert info.value.code == 2
        assert f"error: argument {option}: {message}" in err and "Traceback" not in err, err
        assert repr(value) in message or value in message
        assert "invalid" not in err and "_" not in message.split(",")[0], err
    assert refused >= 5


# ----------------------------------------------------------------------------- a changed plan on --resume


def _without_steps(argv):
    i = argv.index("--steps")
    return argv[:i] + argv[i + 2 :]


def _settings_of(out):
    return load_checkpoint(out / "checkpoint.npz")["extra"]["settings"]


def test_resume_without_steps_finishes_the_planned_run_exactly(capsys, tmp_path, monkeypatch):
    _without_pictures(monkeypatch)
    assert run(capsys, *RING_RUN, "--out", str(tmp_path / "straight"))[0] == 0
    train_step = _ctrl_c_during_step(monkeypatch, at_step=7, when="after")
    out = tmp_path / "resumed"
    assert run(capsys, *RING_RUN, "--out", str(out))[0] == 130
    monkeypatch.setattr(Trainer, "train_step", train_step)
    resume = _without_steps(RING_RUN)
    status, stdout, err = run(capsys, *resume, "--out", str(out), "--resume")  # no --steps: the plan's 16
    assert status == 0, err
    assert "for 16 steps" in stdout and _settings_of(out)["steps"] == 16
    assert read_csv(out / "metrics.csv") == read_csv(tmp_path / "straight" / "metrics.csv")


@pytest.mark.parametrize("steps", ["8", "24", "3"])
def test_resume_with_other_steps_is_refused_when_the_learning_rate_decays(capsys, tmp_path, monkeypatch, steps):
    """The ring's schedule decays over the last 70% of the planned steps; another --steps would
    change it part-way, so it is refused, saying what was planned and what to do."""
    _without_pictures(monkeypatch)
    base = _without_steps(RING_RUN)
    assert run(capsys, *base, "--steps", "5", "--out", str(tmp_path))[0] == 0
    before = (tmp_path / "checkpoint.npz").read_bytes()
    status, _, err = run(capsys, *base, "--steps", steps, "--out", str(tmp_path), "--resume")
    assert status == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert f"--resume --steps {steps}: this run was planned for 5 steps and its learning rate decays" in err
    assert "resume without --steps" in err and "start a new run" in err
    assert (tmp_path / "checkpoint.npz").read_bytes() == before  # nothing touched


def test_resume_with_more_steps_extends_a_constant_learning_rate_run_with_a_note(capsys, tmp_path, monkeypatch):
    _without_pictures(monkeypatch)
    base = [*_without_steps(RING_RUN), "--lr-decay", "0"]
    assert run(capsys, *base, "--steps", "4", "--out", str(tmp_path / "straight"))[0] == 0
    status, stdout, err = run(capsys, *base, "--steps", "6", "--out", str(tmp_path / "straight"), "--resume")
    assert status == 0, err
    assert "note: the run was planned for 4 steps; --steps 6 changes the plan" in err
    assert _settings_of(tmp_path / "straight")["steps"] == 6
    assert [int(r["step"]) for r in read_csv(tmp_path / "straight" / "metrics.csv")] == list(range(1, 7))
    # and the resumed numbers are those of a run planned for 6 steps from the start
    assert run(capsys, *base, "--steps", "6", "--out", str(tmp_path / "six"))[0] == 0
    assert read_csv(tmp_path / "six" / "metrics.csv") == read_csv(tmp_path / "straight" / "metrics.csv")


@pytest.mark.parametrize("steps", [[], ["--steps", "3"], ["--steps", "5"]])
def test_resume_of_a_run_that_is_done_has_nothing_to_train(capsys, tmp_path, monkeypatch, steps):
    """At step 5 with --steps 3 (or 5, or the plan's 5): no progress-bar error, nothing rewritten."""
    _without_pictures(monkeypatch)
    base = [*_without_steps(RING_RUN), "--lr-decay", "0"]
    assert run(capsys, *base, "--steps", "5", "--out", str(tmp_path))[0] == 0
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.suffix in (".npz", ".csv")}
    status, stdout, err = run(capsys, *base, *steps, "--out", str(tmp_path), "--resume")
    assert status == 0, err
    planned = steps[1] if steps else "5"
    assert f"the checkpoint is at step 5 and the run is planned for {planned} steps: nothing to train" in stdout
    assert "Traceback" not in err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.suffix in (".npz", ".csv")} == before


def test_a_checkpoint_without_a_recorded_plan_resumes_to_the_given_steps(capsys, tmp_path, monkeypatch):
    """Checkpoints written before the plan was recorded: --steps (or its default) is the plan."""
    from tinygan.checkpoint import save_checkpoint

    _without_pictures(monkeypatch)
    assert run(capsys, *RING_RUN, "--out", str(tmp_path))[0] == 0
    state = load_checkpoint(tmp_path / "checkpoint.npz")
    del state["extra"]["settings"]["steps"]
    save_checkpoint(tmp_path / "checkpoint.npz", state)
    status, stdout, err = run(capsys, *_without_steps(RING_RUN), "--steps", "18", "--out", str(tmp_path), "--resume")
    assert status == 0, err
    assert _settings_of(tmp_path)["steps"] == 18


# ----------------------------------------------------------------------------- damaged data files


def test_a_damaged_mnist_file_is_one_line_with_exit_2(capsys, tmp_path):
    import numpy as np

    images = np.zeros((4, 28, 28), np.uint8)
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=images, y_train=np.zeros(4, np.uint8), x_test=images, y_test=np.zeros(4, np.uint8))
    data = path.read_bytes()
    cases = {"truncated": data[: len(data) // 2], "garbage": b"not a zip", "flipped": data[:40] + b"\xff" + data[41:]}
    for name, damaged in cases.items():
        path.write_bytes(damaged)
        status, _, err = run(capsys, "train", "gan", "--data", "mnist", "--mnist-path", str(path), "--out",
                             str(tmp_path / name))  # fmt: skip
        assert status == 2, (name, err)
        assert err.count("\n") == 1 and err.startswith("tinygan: error: ") and str(path) in err, (name, err)
    gz = tmp_path / "idx"
    gz.mkdir()
    import gzip

    for stem in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
        (gz / f"{stem}.gz").write_bytes(gzip.compress(b"\x00" * 4000)[:30] + b"\xff" * 20)
    status, _, err = run(capsys, "train", "gan", "--data", "mnist", "--mnist-path", str(gz), "--out", str(tmp_path))
    assert status == 2 and err.count("\n") == 1 and "corrupt gzip data" in err, err
