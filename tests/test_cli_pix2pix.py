"""Tests for ``tinygan train pix2pix`` and ``tinygan translate``: short end-to-end runs on the
built-in paired set and on folders the tests write, exact resume after Ctrl-C, the translate
round trip in the input's bit depth, and one-line errors for user mistakes."""

from __future__ import annotations

import csv
import os
import signal
from pathlib import Path

import numpy as np
import pytest

from tinygan import cli
from tinygan.checkpoint import load_checkpoint
from tinygan.data.images import read_image, write_image
from tinygan.gan.trainer import Trainer

pytest.importorskip("PIL")

# A tiny Pix2Pix: 3 downsamplings of width 4, a 1-layer PatchGAN; 64x64 facades, a few pairs.
TINY = ["--n-train", "8", "--num-downs", "3", "--ngf", "4", "--ndf", "4", "--n-layers", "1"]


def run(capsys, *argv):
    try:
        status = cli.main(list(argv))
    except SystemExit as e:
        status = e.code
    out, err = capsys.readouterr()
    return status, out, err


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(autouse=True)
def _no_pictures(monkeypatch):
    """These tests are about numbers and files; matplotlib pictures take most of the time."""
    for name in ("save_translation_grid", "save_loss_curves"):
        monkeypatch.setattr(cli.viz, name, lambda *args, **kwargs: False)


def test_a_short_run_on_the_built_in_pairs_writes_metrics_and_a_checkpoint(capsys, tmp_path):
    status, out, err = run(capsys, "train", "pix2pix", "--data", "facades-synth", *TINY, "--steps", "4",
                           "--sample-every", "2", "--out", str(tmp_path))  # fmt: skip
    assert status == 0, err
    rows = read_csv(tmp_path / "metrics.csv")
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4]
    assert list(rows[0])[:7] == ["step", "loss_d", "loss_d_real", "loss_d_fake", "loss_g", "loss_g_gan", "loss_g_l1"]
    for r in rows:  # loss_g = loss_g_gan + 100 * loss_g_l1, and D's loss is halved
        assert float(r["loss_g"]) == pytest.approx(float(r["loss_g_gan"]) + 100 * float(r["loss_g_l1"]), rel=1e-5)
        assert float(r["loss_d"]) == pytest.approx(0.5 * (float(r["loss_d_real"]) + float(r["loss_d_fake"])), rel=1e-5)
    assert rows[1]["val_l1"] and not rows[0]["val_l1"]  # scored at evaluation steps only
    state = load_checkpoint(tmp_path / "checkpoint.npz")
    assert state["step"] == 4 and state["extra"]["settings"]["model"] == "pix2pix"
    assert state["extra"]["data"]["a_channels"] == 3 and "validation L1" in out


def test_ctrl_c_at_any_moment_then_resume_gives_the_uninterrupted_numbers(capsys, tmp_path, monkeypatch):
    common = ["train", "pix2pix", "--data", "facades-synth", *TINY, "--steps", "6", "--sample-every", "3",
              "--lr-decay", "0.5"]  # fmt: skip
    assert run(capsys, *common, "--out", str(tmp_path / "straight"))[0] == 0
    straight = read_csv(tmp_path / "straight" / "metrics.csv")

    original = Trainer.train_step
    for when in ("before", "after"):  # Ctrl-C as the step starts, and as it ends

        def interrupted(self, when=when):
            if self.step == 2 and when == "before":
                os.kill(os.getpid(), signal.SIGINT)
            metrics = original(self)
            if self.step == 3 and when == "after":
                os.kill(os.getpid(), signal.SIGINT)
            return metrics

        out = tmp_path / when
        monkeypatch.setattr(Trainer, "train_step", interrupted)
        status, _, err = run(capsys, *common, "--out", str(out))
        assert status == 130 and "interrupted at step 3" in err, err
        monkeypatch.setattr(Trainer, "train_step", original)
        status, stdout, err = run(capsys, *common, "--out", str(out), "--resume")
        assert status == 0, err
        assert "resuming from step 3" in stdout
        assert read_csv(out / "metrics.csv") == straight


def _write_aligned(root, n, size, bits=8, channels=3):
    """A reference-layout dataset: train/ and val/ of A|B images; B is A mirrored top-down."""
    rng = np.random.default_rng(0)
    top = 255 if bits == 8 else 65535
    dtype = np.uint8 if bits == 8 else np.uint16
    for split in ("train", "val"):
        (root / split).mkdir(parents=True)
        for i in range(n):
            shape = (size, size) if channels == 1 else (size, size, 3)
            a = rng.integers(0, top, shape, endpoint=True).astype(dtype)
            write_image(root / split / f"{i:03d}.png", np.concatenate([a, a[::-1]], axis=1))


def test_training_on_an_aligned_folder_and_translating_new_images_back_in_their_bit_depth(capsys, tmp_path):
    data = tmp_path / "pairs"
    _write_aligned(data, 3, 20, bits=16, channels=1)
    status, _, err = run(capsys, "train", "pix2pix", "--data", str(data), "--load-size", "20", "--crop-size", "16",
                         "--num-downs", "3", "--ngf", "4", "--ndf", "4", "--n-layers", "1", "--steps", "2",
                         "--out", str(tmp_path / "run"))  # fmt: skip
    assert status == 0, err

    new = tmp_path / "new"
    new.mkdir()
    write_image(new / "odd.png", np.full((20, 28), 40000, dtype=np.uint16))  # not a multiple of 2**3
    write_image(new / "eight.png", np.full((16, 16), 200, dtype=np.uint8))
    status, out, err = run(capsys, "translate", "--checkpoint", str(tmp_path / "run" / "checkpoint.npz"),
                           "--input", str(new), "--out", str(tmp_path / "translated"))  # fmt: skip
    assert status == 0, err
    odd, eight = read_image(tmp_path / "translated" / "odd.png"), read_image(tmp_path / "translated" / "eight.png")
    assert odd.shape == (20, 28) and odd.dtype == np.uint16
    assert eight.shape == (16, 16) and eight.dtype == np.uint8
    assert "odd.png ->" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "pix2pix", "--data", "digits"], "not a paired dataset"),
        (["train", "pix2pix", "--data", "no/such/folder"], "neither a built-in paired dataset nor a folder"),
        (["translate", "--checkpoint", "missing.npz", "--input", ".", "--out", "x"], "missing.npz"),
    ],
)
def test_mistakes_are_one_line_errors(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    status, _, err = run(capsys, *argv)
    assert status == 2 and message in err and "Traceback" not in err


def test_translate_refuses_a_checkpoint_of_another_model_and_images_with_the_wrong_channels(capsys, tmp_path):
    gan = tmp_path / "gan"
    assert run(capsys, "train", "gan", "--data", "ring", "--n-train", "100", "--batch-size", "8", "--g-hidden",
               "4", "--d-hidden", "4", "--steps", "1", "--out", str(gan))[0] == 0  # fmt: skip
    (tmp_path / "in").mkdir()
    write_image(tmp_path / "in" / "x.png", np.zeros((16, 16, 3), dtype=np.uint8))
    status, _, err = run(capsys, "translate", "--checkpoint", str(gan / "checkpoint.npz"), "--input",
                         str(tmp_path / "in"), "--out", str(tmp_path / "o"))  # fmt: skip
    assert status == 2 and "not written by 'tinygan train pix2pix'" in err

    p2p = tmp_path / "p2p"
    data = tmp_path / "pairs"
    _write_aligned(data, 2, 16, channels=1)
    assert run(capsys, "train", "pix2pix", "--data", str(data), "--load-size", "16", "--crop-size", "16",
               "--num-downs", "2", "--ngf", "2", "--ndf", "2", "--n-layers", "1", "--steps", "1",
               "--out", str(p2p))[0] == 0  # fmt: skip
    write_image(tmp_path / "in" / "x.png", np.zeros((16, 16, 3), dtype=np.uint8))  # RGB into a 1-channel G
    status, _, err = run(capsys, "translate", "--checkpoint", str(p2p / "checkpoint.npz"), "--input",
                         str(tmp_path / "in"), "--out", str(tmp_path / "o"))  # fmt: skip
    assert status == 2 and "has 3 channels but the generator takes 1" in err


def test_ldct_training_then_translating_a_folder_of_dicom_slices_back_to_dicom_in_hu(capsys, tmp_path, monkeypatch):
    pydicom = pytest.importorskip("pydicom")
    pytest.importorskip("skimage")
    from pydicom.data import get_testdata_file

    from tinygan.data.medical import read_dicom

    monkeypatch.setenv("TINYGAN_CACHE", str(tmp_path / "cache"))
    status, _, err = run(capsys, "train", "pix2pix", "--data", "ldct", "--n-train", "4", "--num-downs", "4",
                         "--ngf", "4", "--ndf", "4", "--n-layers", "1", "--steps", "2", "--out", str(tmp_path / "ct"))
    assert status == 0, err  # fmt: skip
    sample_file = get_testdata_file("CT_small.dcm", download=False)
    if sample_file is None:
        pytest.skip("pydicom's CT_small.dcm is not installed")
    (tmp_path / "dicom").mkdir()
    (tmp_path / "dicom" / "slice.dcm").write_bytes(Path(sample_file).read_bytes())
    checkpoint = str(tmp_path / "ct" / "checkpoint.npz")
    for fmt, name in (("same", "slice.dcm"), ("png", "slice.png")):
        status, _, err = run(capsys, "translate", "--checkpoint", checkpoint, "--input", str(tmp_path / "dicom"),
                             "--out", str(tmp_path / fmt), "--format", fmt)  # fmt: skip
        assert status == 0, err
        assert (tmp_path / fmt / name).is_file()
    original, translated = read_dicom(tmp_path / "dicom" / "slice.dcm"), read_dicom(tmp_path / "same" / "slice.dcm")
    assert translated.hu.shape == original.hu.shape
    assert translated.sop_instance_uid != original.sop_instance_uid
    assert translated.hu.min() > -1100 and translated.hu.max() < 2100  # the training data's HU window
    assert isinstance(pydicom.dcmread(tmp_path / "same" / "slice.dcm"), pydicom.Dataset)
