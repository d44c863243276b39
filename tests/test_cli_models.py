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


@pytest.mark.parametrize(("written_by", "resumed_by"), [("dcgan", "gan"), ("cgan", "gan"), ("gan", "cgan")])
def test_resume_refuses_a_checkpoint_written_by_another_command_naming_both(tmp_path, capsys, written_by, resumed_by):
    out = str(tmp_path)
    small = {"gan": ["--g-hidden", "8", "--d-hidden", "8"], "dcgan": ["--width", "4"], "cgan": ["--width", "4"]}
    common = ["--data", "digits", "--n-train", "20", "--batch-size", "4", "--steps", "1", "--out", out]
    assert main(["train", written_by, *common, *small[written_by]]) == 0
    capsys.readouterr()
    assert main(["train", resumed_by, *common, "--resume"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert f"was written by 'tinygan train {written_by}', not 'tinygan train {resumed_by}'" in err
    assert f"resume it with 'tinygan train {written_by} --resume'" in err
