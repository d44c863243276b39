"""benchmarks/gpu_check.py, the one command for a GPU machine, run tiny without a GPU: tinygan's
GPU code path on the stand-in CuPy of ``test_cuda`` with the kernels in Numba's CUDA simulator,
so CI checks that the script works before it meets a real GPU."""

from __future__ import annotations

import json

import numba
import pytest
from test_cuda import FakeCuPy

from benchmarks import gpu_check
from tinygan import backend

pytestmark = [
    pytest.mark.cudasim,
    pytest.mark.skipif(not numba.config.ENABLE_CUDASIM, reason="run with NUMBA_ENABLE_CUDASIM=1 pytest -m cudasim"),
]


def test_the_check_runs_tiny_on_a_simulated_gpu_and_writes_its_report(tmp_path, monkeypatch):
    monkeypatch.setattr(backend, "_cupy", FakeCuPy())
    # the simulator takes seconds per iteration: DCGAN, and Pix2Pix at batch 2 (batch 1 adds no code path)
    monkeypatch.setattr(gpu_check, "TINY", [w for w in gpu_check.TINY if w[1].batch > 1])
    args = [str(tmp_path), "--tiny", "--skip-tests", "--skip-torch", "--rounds", "1", "--warmup", "0"]
    report = gpu_check.main(args)

    assert report["ok"] and report["versions"]["cuda_simulator"]
    assert [(w["kind"], w["batch"]) for w in report["workloads"]] == [("dcgan", 2), ("pix2pix", 2)]
    for w in report["workloads"]:
        assert w["ms"]["tinygan"]["median"] > 0 and "torch" not in w["ms"], w["workload"]
        assert w["first_iteration"]["tinygan"]["metrics"]["loss_d"] > 0
    saved = json.loads((tmp_path / "gpu_check.json").read_text())
    assert saved["workloads"][0]["workload"] == "W2 tiny"
    summary = (tmp_path / "gpu_check.md").read_text()
    assert "| W2 tiny | 2 |" in summary and "| W4 tiny | 2 |" in summary and "CUDA simulator" in summary


def test_a_workload_that_fails_is_recorded_and_the_rest_still_run(tmp_path, monkeypatch):
    monkeypatch.setattr(backend, "_cupy", FakeCuPy())
    monkeypatch.setattr(gpu_check, "TINY", gpu_check.TINY[:2])
    monkeypatch.setattr(gpu_check, "_dcgan_steps", lambda *a: {"tinygan": lambda: {"loss_d": 1.0}})
    monkeypatch.setattr(gpu_check, "_pix2pix_steps", lambda *a: 1 / 0)
    report = gpu_check.main([str(tmp_path), "--tiny", "--skip-tests", "--skip-torch", "--rounds", "1", "--warmup", "0"])
    assert not report["ok"]
    assert "ms" in report["workloads"][0] and report["workloads"][1]["error"].startswith("ZeroDivisionError")
    assert "error: ZeroDivisionError" in (tmp_path / "gpu_check.md").read_text()


def test_the_tests_run_in_a_subprocess_and_their_counts_are_read(tmp_path):
    target = "tests/test_kernels_cudasim.py::test_batch_norm_stats_of_a_constant_channel_are_exact"
    result = gpu_check.run_tests(tmp_path, marker="cudasim", paths=(target,), timeout=120)
    assert result["ok"] and result["counts"] == {"passed": 1}, (tmp_path / result["log"]).read_text()
    assert result["failures"] == []


def test_without_a_gpu_the_full_check_stops_with_a_plain_error(tmp_path, monkeypatch):
    monkeypatch.setattr(backend, "_cupy", None)
    with pytest.raises(RuntimeError, match="device 'cuda' was requested but CuPy is not installed"):
        gpu_check.main([str(tmp_path), "--skip-tests", "--skip-torch"])
