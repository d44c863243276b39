"""The W4 Pix2Pix benchmark's tinygan side runs, trains and reports, on the tiny workload.

No timing is asserted and PyTorch is never imported here (it is not a test dependency): the
benchmark checks its PyTorch side itself, against tinygan, before it times anything.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks import bench_pix2pix as w4
from tinygan import tensor
from tinygan.models.pix2pix import PatchGANDiscriminator, UNetGenerator


def test_the_workloads_are_the_references_pix2pix_settings():
    for key, size, downs in (("W4-128", 128, 7), ("W4-256", 256, 8)):
        wl = w4.WORKLOADS[key]
        assert (wl.image_size, wl.num_downs, wl.channels, wl.batch) == (size, downs, 3, 1)
        assert (wl.ngf, wl.ndf, wl.n_layers, wl.norm, wl.dropout) == (64, 64, 3, "batch", True)
        assert size // 2**downs == 1  # unet_128 / unet_256 reach a 1x1 bottleneck
    assert (w4.LR, w4.BETAS, w4.LAMBDA_L1) == (2e-4, (0.5, 0.999), 100.0)


def test_tiny_iteration_is_pix2pix_step_and_updates_both_networks():
    nets = w4.build_tinygan(w4.TINY)
    assert isinstance(nets.G, UNetGenerator) and isinstance(nets.D, PatchGANDiscriminator)
    assert nets.G.dropout and nets.D.in_channels == 2 * w4.TINY.channels
    assert nets.D.receptive_field == 70  # n_layers = 3: the 70x70 PatchGAN
    before = [p.data.copy() for p in [*nets.G.parameters(), *nets.D.parameters()]]
    pairs = w4.make_pairs(w4.TINY, 2)
    assert [a.shape for a in pairs[0]] == [(2, 3, 32, 32)] * 2
    assert all(a.dtype == np.float32 and a.min() >= -1 and a.max() <= 1 for pair in pairs for a in pair)

    metrics = [w4.tinygan_iteration(nets, w4.cycling_pairs(pairs, tensor)) for _ in range(2)]

    assert set(w4.LOSS_KEYS) <= set(metrics[0]) and all(np.isfinite(list(m.values())).all() for m in metrics)
    assert metrics[0]["loss_g"] == pytest.approx(metrics[0]["loss_g_gan"] + 100 * metrics[0]["loss_g_l1"])
    after = [*nets.G.parameters(), *nets.D.parameters()]
    assert all(not np.array_equal(b, p.data) for b, p in zip(before, after))
    assert all(p.dtype == np.float32 for p in after)


def test_parity_models_can_switch_dropout_off_with_the_same_weights():
    with_dropout, without = w4.build_tinygan(w4.TINY, seed=3), w4.build_tinygan(w4.TINY, seed=3, dropout=False)
    assert with_dropout.G.dropout and not without.G.dropout
    for (k, a), (j, b) in zip(with_dropout.G.state_dict().items(), without.G.state_dict().items()):
        assert k == j and np.array_equal(a.numpy(), b.numpy())


def test_cycling_pairs_go_round_and_round():
    pairs = [(np.full((1, 1, 2, 2), i, np.float32), np.full((1, 1, 2, 2), -i, np.float32)) for i in range(2)]
    cycle = w4.cycling_pairs(pairs, tensor)
    assert [int(next(cycle)[0].numpy()[0, 0, 0, 0]) for _ in range(5)] == [0, 1, 0, 1, 0]


def test_main_without_torch_times_tinygan_alone_and_writes_json_and_markdown(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(w4, "optional_torch", lambda: None)
    out, md = tmp_path / "w4.json", tmp_path / "w4.md"

    report = w4.main(["--tiny", "--iters", "1", "--rounds", "2", "--warmup", "1", "--no-memory",
                      "--json", str(out), "--markdown", str(md)])  # fmt: skip

    printed = capsys.readouterr().out
    assert "PyTorch is not installed" in printed and "W4 tiny" in printed
    run = report["W4-128"]
    assert set(run["results"]) == {"tinygan"} and "ratio" not in run and run["parity"] == []
    saved = json.loads(out.read_text())
    assert len(saved["W4-128"]["samples_ms"]["tinygan"]) == 2
    assert {"cpu", "cores", "numpy", "numpy_blas", "load_avg_before", "load_avg_after"} <= set(
        saved["W4-128"]["machine"]
    )
    table = md.read_text()
    assert table.startswith("| workload |") and "| W4 tiny (smoke test) | 2 |" in table and "Machine: " in table


def test_memory_child_reports_resident_set_growth_of_a_tiny_tinygan_iteration():
    m = w4.memory_in_subprocess("tinygan", "W4-128", iters=1, threads=1, tiny=True)
    assert set(m) == {"rss_after_build_mib", "first_iteration_mib", "rss_after_warmup_mib", "peak_growth_mib",
                      "peak_rss_mib"}  # fmt: skip
    assert 0 <= m["peak_growth_mib"] < 200 and m["peak_rss_mib"] >= m["rss_after_warmup_mib"] > 0


def test_markdown_table_has_one_row_per_workload_with_ratio_and_memory():
    summary = {"median": 2.0, "q1": 1.5, "q3": 2.5, "iqr": 1.0}
    row = {
        "workload": {"name": "W4 pix2pix-256", "batch": 1},
        "results": {"tinygan": summary, "torch": {**summary, "median": 1.0}},
        "ratio": 2.0,
        "memory": {"tinygan": {"peak_growth_mib": 300.4}, "torch": {"peak_growth_mib": 150.0}},
        "machine": {"cpu": "X"},
    }
    table = w4.markdown_table({"settings": {}, "W4-256": row})
    assert "| W4 pix2pix-256 | 1 | 2 (2-2) | 1 (2-2) | 2.00 | 300 | 150 |" in table
    assert table.endswith("Machine: cpu=X")
