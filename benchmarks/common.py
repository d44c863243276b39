"""Timing helpers shared by the benchmark scripts.

Every benchmark compares tinygan with PyTorch on the same machine in the same run. The two
are timed in alternating rounds (tinygan, torch, torch, tinygan, ...) after a warm-up, so a
burst of background load hits both; each round times a block of iterations, and the result
is the median of the rounds' per-iteration times, with the interquartile range as the spread.
"""

from __future__ import annotations

import datetime
import itertools
import os
import platform
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict
from typing import Any

import numpy as np


def optional_torch() -> Any:
    """The ``torch`` module, or ``None`` when PyTorch is not installed (it is an optional extra)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def time_alternating(
    steps: dict[str, Callable[[], Any]],
    iters: int,
    rounds: int,
    warmup: int,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, list[float]]:
    """Milliseconds per call of each step, one sample per round.

    Args:
        steps: name -> a function running one iteration of that framework.
        iters: calls timed together in one round (their mean is the round's sample).
        rounds: samples per step; the order of the steps is reversed every other round.
        warmup: untimed calls of each step before the first round (caches, allocator, BLAS threads).
        clock: seconds now; ``time.process_time`` counts this process's CPU time instead of wall time.

    Returns:
        name -> ``rounds`` samples, in ms per iteration.
    """
    if iters < 1 or rounds < 1 or warmup < 0:
        raise ValueError(f"need iters >= 1, rounds >= 1, warmup >= 0, got {iters}, {rounds}, {warmup}")
    for step in steps.values():
        for _ in range(warmup):
            step()
    names = list(steps)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names if r % 2 == 0 else reversed(names):
            step = steps[name]
            start = clock()
            for _ in range(iters):
                step()
            samples[name].append((clock() - start) * 1000 / iters)
    return samples


def cycling_samplers(
    batches: list[tuple[np.ndarray, np.ndarray, np.ndarray]], tensor: Callable[[np.ndarray], Any]
) -> tuple[Callable[[], Any], Callable[[int], Any]]:
    """``real_batch()`` and ``noise(m)`` for ``gan_step`` (or its PyTorch mirror) that hand out
    batches drawn up front, round and round, so random-number generation is not timed.

    ``batches`` holds one triple per iteration: a real batch, the noise for D's fakes and the
    noise for G's fakes, in the order ``gan_step`` (k = 1) asks for them. ``tensor`` makes each
    array a tensor of the framework once, up front (``tinygan.tensor``, ``torch.from_numpy``).
    """
    reals = itertools.cycle([tensor(real) for real, _, _ in batches])
    noises = itertools.cycle([tensor(z) for _, z_d, z_g in batches for z in (z_d, z_g)])

    def real_batch() -> Any:
        return next(reals)

    def noise(m: int) -> Any:
        z = next(noises)
        if len(z) != m:
            raise ValueError(f"the pre-drawn noise batches hold {len(z)} vectors, the step asked for {m}")
        return z

    return real_batch, noise


def summarize(samples: list[float]) -> dict[str, float]:
    """Median and interquartile range (q1, q3, iqr) of a list of timings."""
    q1, median, q3 = np.percentile(samples, [25, 50, 75])
    return {"median": float(median), "q1": float(q1), "q3": float(q3), "iqr": float(q3 - q1)}


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def numpy_blas() -> str:
    """Which BLAS NumPy calls and with how many threads (threadpoolctl when installed)."""
    try:
        import threadpoolctl
    except ImportError:
        threadpoolctl = None
    if threadpoolctl is not None:
        pools = [p for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
        # other packages (SciPy, loaded by Numba) bring their own BLAS: keep NumPy's when it is recognisable
        pools = [p for p in pools if "numpy" in p["filepath"]] or pools
        if pools:
            return ", ".join(f"{p['internal_api']} {p['version']} ({p['num_threads']} threads)" for p in pools)
    blas = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
    return f"{blas.get('name', 'unknown')} {blas.get('version', '')} (threads unknown: pip install threadpoolctl)"


def machine_info(torch: Any = None) -> dict[str, Any]:
    """What the numbers were measured on: CPU, cores, library versions, BLAS, thread counts."""
    info = {
        "date": datetime.date.today().isoformat(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numpy_blas": numpy_blas(),
    }
    if hasattr(os, "getloadavg"):  # other work on the machine slows both frameworks: say how busy it was
        info["load_avg_1min"] = round(os.getloadavg()[0], 2)
    if torch is not None:
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    return info


def format_results(title: str, results: dict[str, dict[str, float]], info: dict[str, Any]) -> str:
    """A plain-text report: one line per framework, the ratio, and the machine."""
    lines = [title]
    for name, s in results.items():
        lines.append(f"  {name:8s} {s['median']:8.2f} ms/iter  (IQR {s['q1']:.2f}-{s['q3']:.2f})")
    if "tinygan" in results and "torch" in results:
        lines.append(f"  ratio tinygan / torch: {results['tinygan']['median'] / results['torch']['median']:.2f}")
    lines.append("  machine: " + ", ".join(f"{k}={v}" for k, v in info.items()))
    return "\n".join(lines)


def rss_kib() -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (the resident peak since start or the last reset), in KiB."""
    with open("/proc/self/status") as f:
        fields = dict(line.split(":", 1) for line in f)
    return {key: int(fields[key].split()[0]) for key in ("VmRSS", "VmHWM")}


def reset_peak() -> None:
    """Set VmHWM back to the current VmRSS (Linux >= 4.0: writing 5 to clear_refs)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def step_memory(step: Callable[[], Any], iters: int) -> dict[str, float]:
    """Resident memory around ``step``: after the build (now), the first call's growth, and the peak
    growth over ``iters`` further calls, which is what an iteration needs beyond what it keeps (MiB)."""
    built = rss_kib()["VmRSS"]
    reset_peak()
    step()
    first_peak = rss_kib()["VmHWM"]
    warm = rss_kib()["VmRSS"]
    reset_peak()
    for _ in range(iters):
        step()
    peak = rss_kib()["VmHWM"]
    return {
        "rss_after_build_mib": built / 1024,
        "first_iteration_mib": (first_peak - built) / 1024,
        "rss_after_warmup_mib": warm / 1024,
        "peak_growth_mib": (peak - warm) / 1024,
        "peak_rss_mib": peak / 1024,
    }


def timing_report(workload: Any, measure: str, samples: dict[str, list[float]], machine: dict[str, Any],
                  parity: Any) -> dict[str, Any]:  # fmt: skip
    """The JSON-able record of one timed workload: its settings, the per-framework summaries and
    samples, the machine, the parity check, and tinygan / PyTorch when both ran."""
    results = {name: summarize(s) for name, s in samples.items()}
    report: dict[str, Any] = {
        "workload": asdict(workload),
        "measure": measure,
        "results": results,
        "samples_ms": samples,
        "machine": machine,
        "parity": parity,
    }
    if "torch" in results:
        report["ratio"] = results["tinygan"]["median"] / results["torch"]["median"]
    return report


def limit_blas_threads(threads: int) -> Any:
    """NumPy's BLAS held to ``threads`` threads (threadpoolctl), as a context manager; the limit
    also holds from the call on, without the ``with``."""
    try:
        import threadpoolctl
    except ImportError:
        print("threadpoolctl is not installed: NumPy's BLAS keeps its default thread count")
        return nullcontext()
    return threadpoolctl.threadpool_limits(threads, user_api="blas")


def both_on_threads(torch: Any, threads: int, alone: str = "timing tinygan alone") -> Any:
    """Set PyTorch (``optional_torch()``'s result; when None, ``alone`` says what runs instead) to
    ``threads`` threads and limit NumPy's BLAS to as many, so that both frameworks use the same
    number of cores; returns ``limit_blas_threads``'s context manager."""
    if torch is None:
        print(f"PyTorch is not installed: {alone} (pip install torch for the comparison)")
    else:
        torch.set_num_threads(threads)
    return limit_blas_threads(threads)
