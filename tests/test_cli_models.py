"""`tinygan train dcgan` and `tinygan train cgan`: short runs write their outputs and resume."""

import csv

import pytest

from tinygan.checkpoint import load_checkpoint
from tinygan.cli import main


@pytest.mark.parametrize("model, extra", [("dcgan", []), ("cgan", []), ("cgan", ["--arch", "mlp"])])
def test_short_run_writes_outputs_and_resumes(tmp_path, model, extra):
    out = tmp_path / model
    args = ["train", model, "--n-train", "100", "--width", "4", "--batch-size", "8", "--out", str(out), *extra]
    assert main([*args, "--steps", "2"]) == 0
    for name in ("metrics.csv", "losses.png", "samples_final.png", "checkpoint.npz"):
        assert (out / name).is_file(), name
    assert main([*args, "--steps", "3", "--resume"]) == 0
    assert load_checkpoint(out / "checkpoint.npz")["step"] == 3
    with open(out / "metrics.csv") as f:
        assert [int(row["step"]) for row in csv.DictReader(f)] == [1, 2, 3]


def test_image_models_refuse_point_data(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "dcgan", "--data", "ring"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'ring'" in capsys.readouterr().err


def test_help_of_the_model_commands(capsys):
    for model in ("dcgan", "cgan"):
        with pytest.raises(SystemExit) as exit_info:
            main(["train", model, "--help"])
        assert exit_info.value.code == 0
        assert "--width" in capsys.readouterr().out
