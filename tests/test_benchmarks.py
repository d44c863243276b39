"""The W1 and DCGAN benchmarks' code runs and trains; the timing helpers count and order rounds correctly.

No timing is asserted (it depends on the machine) and PyTorch is never imported here: the
benchmark's torch side is checked by the benchmark script itself, against tinygan, before timing.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks import bench_dcgan
from benchmarks import bench_w1_mlp_gan as w1
from benchmarks.common import cycling_samplers, format_results, machine_info, summarize, time_alternating
from tinygan import tensor

TINY = w1.Sizes(nz=4, g_hidden=(8, 16), d_hidden=(8,), image=12, batch=5)


def test_tinygan_iteration_updates_both_networks_on_tiny_sizes():
    gan = w1.build_tinygan(TINY)
    before_g = [p.data.copy() for p in gan.G.parameters()]
    before_d = [p.data.copy() for p in gan.D.parameters()]
    batches = w1.make_batches(TINY, 2)
    assert [a.shape for a in batches[0]] == [(5, 12), (5, 4), (5, 4)]  # real, noise for D's fakes, for G's
    assert all(a.dtype == np.float32 for triple in batches for a in triple)

    samplers = cycling_samplers(batches, tensor)
    metrics = [w1.tinygan_iteration(gan, *samplers) for _ in batches]

    assert all(np.isfinite(list(m.values())).all() for m in metrics)
    # at initialisation D is near chance: each BCE term is about log 2
    assert 0.5 < metrics[0]["loss_d"] < 2.5 and 0.2 < metrics[0]["loss_g"] < 1.5
    assert all(not np.array_equal(b, p.data) for b, p in zip(before_g, gan.G.parameters()))
    assert all(not np.array_equal(b, p.data) for b, p in zip(before_d, gan.D.parameters()))
    assert all(p.dtype == np.float32 for p in [*gan.G.parameters(), *gan.D.parameters()])


def test_cycling_samplers_hand_out_one_real_and_two_noise_batches_per_iteration_round_and_round():
    batches = [tuple(np.full((2, 1), 10 * i + j, np.float32) for j in range(3)) for i in range(2)]
    real_batch, noise = cycling_samplers(batches, tensor)
    drawn = [(real_batch(), noise(2), noise(2)) for _ in range(3)]  # gan_step's order, k = 1
    values = [tuple(int(t.numpy()[0, 0]) for t in triple) for triple in drawn]
    assert values == [(0, 1, 2), (10, 11, 12), (0, 1, 2)]
    with pytest.raises(ValueError, match="hold 2 vectors, the step asked for 3"):
        noise(3)


def test_networks_have_the_w1_shapes():
    gan = w1.build_tinygan(TINY)
    widths_g = [tuple(p.shape) for name, p in gan.G.named_parameters() if name.endswith("weight")]
    widths_d = [tuple(p.shape) for name, p in gan.D.named_parameters() if name.endswith("weight")]
    assert widths_g == [(8, 4), (16, 8), (12, 16)]
    assert widths_d == [(8, 12), (1, 8)]
    assert type(gan.G[-1]).__name__ == "Tanh" and type(gan.D[-1]).__name__ == "Linear"


def test_time_alternating_reverses_the_order_every_other_round():
    calls: list[str] = []
    steps = {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}
    samples = time_alternating(steps, iters=2, rounds=3, warmup=1)
    assert calls == ["a", "b"] + ["a", "a", "b", "b"] + ["b", "b", "a", "a"] + ["a", "a", "b", "b"]
    assert {k: len(v) for k, v in samples.items()} == {"a": 3, "b": 3}
    assert all(t >= 0 for v in samples.values() for t in v)


def test_summarize_gives_median_and_quartiles():
    s = summarize([5.0, 1.0, 3.0, 2.0, 4.0])
    assert s == {"median": 3.0, "q1": 2.0, "q3": 4.0, "iqr": 2.0}


def test_main_without_torch_times_tinygan_alone_and_writes_json(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(w1, "W1", TINY)
    monkeypatch.setattr(w1, "optional_torch", lambda: None)
    out = tmp_path / "w1.json"

    report = w1.main(["--iters", "1", "--rounds", "2", "--warmup", "1", "--json", str(out)])

    assert "PyTorch is not installed" in capsys.readouterr().out
    assert set(report["results"]) == {"tinygan"} and "ratio" not in report
    saved = json.loads(out.read_text())
    assert len(saved["samples_ms"]["tinygan"]) == 2
    assert {"cpu", "cores", "numpy", "numpy_blas", "date"} <= set(saved["machine"])


def test_format_results_shows_the_ratio_when_both_ran():
    results = {"tinygan": summarize([2.0, 2.0]), "torch": summarize([4.0, 4.0])}
    text = format_results("W1", results, machine_info())
    assert "ratio tinygan / torch: 0.50" in text


def test_dcgan_w3_pattern_iteration_runs_on_tiny_widths():
    tiny = bench_dcgan.Workload("tiny W3", image_size=32, nc=1, batch=2, nz=4, ngf=2, ndf=2)
    gan = bench_dcgan.build_tinygan(tiny)
    batches = bench_dcgan.make_batches(tiny, 2)
    assert [a.shape for a in batches[0]] == [(2, 1, 32, 32), (2, 4, 1, 1), (2, 4, 1, 1)]
    widths_g = [p.shape[1] for name, p in gan.G.named_parameters() if name.endswith("weight") and p.ndim == 4]
    assert widths_g == [8, 4, 2, 1]  # ConvTranspose2d weights are (in, out, kh, kw): 4 layers, widths 8/4/2 -> 1

    samplers = cycling_samplers(batches, tensor)
    metrics = [bench_dcgan.tinygan_iteration(gan, *samplers) for _ in batches]

    assert all(np.isfinite(list(m.values())).all() for m in metrics)


def test_profile_accounts_for_the_whole_iteration_and_restores_the_library(monkeypatch, capsys):
    """The DCGAN profile on tiny widths, tinygan alone: one row per leaf layer, layers + buckets
    + "other" equal the instrumented total, and every patched function is put back."""
    from benchmarks import profile_dcgan
    from tinygan import nn
    from tinygan.tensor import Function

    tiny = bench_dcgan.Workload("tiny W3", image_size=32, nc=1, batch=4, nz=4, ngf=2, ndf=2)
    monkeypatch.setitem(profile_dcgan.WORKLOADS, "w3", tiny)
    monkeypatch.setattr(profile_dcgan, "optional_torch", lambda: None)
    originals = (Function.__call__, nn.Module.__call__)

    report = profile_dcgan.main(["--workload", "w3", "--iters", "2", "--plain", "1", "--warmup", "1"])

    assert (Function.__call__, nn.Module.__call__) == originals
    ours = report["w3"]["frameworks"]["tinygan"]
    assert {"G.main.0", "G.main.10", "D.main.0", "D.main.8"} <= set(ours["fwd"])
    accounted = sum(ours["fwd"].values()) + sum(ours["bwd"].values()) + sum(ours["buckets"].values())
    assert 0 < accounted <= ours["instrumented_total"] * 1.0001
    assert ours["bwd"]["D.main.2"] > 0 and ours["buckets"]["optimizer"] > 0
    assert "tiny W3" in capsys.readouterr().out
