"""One command for a GPU machine: versions, the GPU tests, and tinygan vs PyTorch on the GPU.

For a machine with an NVIDIA GPU where CuPy, Numba-CUDA and PyTorch are already installed and
no network is reachable (tinygan need not be installed: run it from the checkout). In at most
8 minutes on an H100/H200 it

1. prints the GPU, driver, CUDA (driver and runtime), CuPy, Numba, Numba-CUDA and PyTorch
   (its CUDA and cuDNN) versions;
2. runs the tests marked ``cuda`` (``pytest -m cuda`` in a subprocess: every op against the
   CPU path, float64 gradient checks on the GPU, DCGAN and MLP-GAN iterations on CPU and GPU
   from the same weights), its log kept in ``pytest-cuda.txt``;
3. times one training iteration, tinygan (device cuda, ``tinygan.gan.gan_step`` and
   ``tinygan.gan.pix2pix_step``) and PyTorch (cuDNN, eager) in the same run, in alternating
   rounds after a warm-up, each iteration ending in a device synchronisation, of
   W2 dcgan-64 at batch 128 and W4 pix2pix-256 at batches 1 and 8 (the networks of
   ``bench_dcgan`` and ``bench_pix2pix``, PyTorch's loaded with tinygan's initial weights), and
   the peak GPU memory of one iteration of each;
4. writes ``gpu_check.json`` and ``gpu_check.md`` into the directory given.

Both frameworks compute in full float32: PyTorch's TF32 for convolutions and matmuls is
switched off (``--torch-tf32`` leaves PyTorch's defaults), as CuPy's cuBLAS GEMMs do not use it.
A part that fails is recorded and the rest still runs; the exit status is 1 if any part failed.
``--deadline`` (seconds) skips the workloads that would start after it, so the whole check fits
a short GPU slot with time left to run it again.

Usage::

    python benchmarks/gpu_check.py OUT_DIR                  # the full check on a GPU machine
    python benchmarks/gpu_check.py OUT_DIR --tiny           # the same on tiny networks: a minute
    NUMBA_ENABLE_CUDASIM=1 python benchmarks/gpu_check.py OUT_DIR --tiny --skip-tests --skip-torch --device cpu

Under Numba's CUDA simulator and without a GPU, ``tests/test_gpu_check.py`` runs it tiny
with a stand-in CuPy, so CI checks that the script works.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.abc
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import subprocess
import sys
import time
import traceback
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class _CheckoutKernels(importlib.abc.MetaPathFinder):
    """Finds ``tinygan.kernels`` in the checkout's top-level ``kernels/`` where no install maps it
    there (pyproject.toml's package-dir does that on install); asked last, so an install wins."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "tinygan.kernels":
            return None
        init = ROOT / "kernels" / "__init__.py"
        return importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(init.parent)])


if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(ROOT))
if not any(isinstance(finder, _CheckoutKernels) for finder in sys.meta_path):
    sys.meta_path.append(_CheckoutKernels())

import numpy as np  # noqa: E402

import tinygan  # noqa: E402
from benchmarks import bench_dcgan, bench_pix2pix  # noqa: E402
from benchmarks.common import cycling_samplers, optional_torch, summarize, time_alternating  # noqa: E402
from tinygan import backend  # noqa: E402
from tinygan.gan import gan_step, pix2pix_step  # noqa: E402

# the workloads of the issue, and tiny ones with the same layers for the simulator and a smoke run
FULL = [
    ("dcgan", dataclasses.replace(bench_dcgan.WORKLOADS["w2"], batch=128)),
    ("pix2pix", bench_pix2pix.WORKLOADS["W4-256"]),
    ("pix2pix", dataclasses.replace(bench_pix2pix.WORKLOADS["W4-256"], batch=8)),
]
_W4_TINY = dataclasses.replace(bench_pix2pix.TINY, name="W4 tiny", channels=1, ngf=1, ndf=1)
TINY = [
    ("dcgan", bench_dcgan.Workload("W2 tiny", image_size=32, nc=1, batch=2, nz=8, ngf=1, ndf=1)),
    ("pix2pix", dataclasses.replace(_W4_TINY, batch=1)),
    ("pix2pix", dataclasses.replace(_W4_TINY, batch=2)),  # batch > 1: U-Net skips send strided gradients back
]

MiB = 2**20


# ----------------------------------------------------------------------------- versions


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _cupy_version(cupy: Any) -> str | None:
    """The CuPy wheel and its version, e.g. 'cupy-cuda13x 14.0.1' (the wheel names the CUDA major)."""
    for wheel in ("cupy-cuda13x", "cupy-cuda12x", "cupy-cuda11x", "cupy"):
        if _version(wheel):
            return f"{wheel} {_version(wheel)}"
    return getattr(cupy, "__version__", None) if type(cupy) is types.ModuleType else None


def _cuda_version(number: int) -> str:
    """CUDA's integer versions, 12040 -> '12.4'."""
    return f"{number // 1000}.{number % 1000 // 10}"


def _nvidia_smi() -> dict[str, str] | None:
    query = "name,driver_version,memory.total"
    try:
        out = subprocess.run(["nvidia-smi", f"--query-gpu={query}", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30, check=True).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return dict(zip(query.split(","), (v.strip() for v in out.splitlines()[0].split(","))))


def versions(torch: Any) -> dict[str, Any]:
    """The GPU, its driver, CUDA and the library versions (None for what this machine lacks)."""
    import numba

    cupy = backend._cupy
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "tinygan": tinygan.__version__,
        "numpy": np.__version__,
        "numba": numba.__version__,
        "numba_cuda": _version("numba-cuda"),
        "cuda_simulator": bool(numba.config.ENABLE_CUDASIM),
        "cupy": _cupy_version(cupy),
        "nvidia_smi": _nvidia_smi(),
    }
    runtime = getattr(getattr(cupy, "cuda", None), "runtime", None)
    if hasattr(runtime, "getDeviceProperties"):
        props = runtime.getDeviceProperties(0)
        name = props["name"]
        info["gpu"] = name.decode() if isinstance(name, bytes) else name
        info["gpu_memory_gib"] = round(props["totalGlobalMem"] / 2**30, 1)
        info["compute_capability"] = f"{props['major']}.{props['minor']}"
        info["cuda_driver"] = _cuda_version(runtime.driverGetVersion())
        info["cuda_runtime"] = _cuda_version(runtime.runtimeGetVersion())
    if info["nvidia_smi"]:
        info["driver"] = info["nvidia_smi"]["driver_version"]
        info.setdefault("gpu", info["nvidia_smi"]["name"])
    if torch is not None:
        info["torch"] = torch.__version__
        info["torch_cuda"] = torch.version.cuda
        info["cudnn"] = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    return info


# ----------------------------------------------------------------------------- the GPU tests

# how the child process imports tinygan from a checkout that is not installed (see _CheckoutKernels)
_PYTEST_CHILD = (
    "import sys; sys.path.insert(0, {root!r}); import benchmarks.gpu_check; import pytest; "
    "sys.exit(pytest.main(sys.argv[1:]))"
)


def run_tests(out: Path, marker: str = "cuda", paths: tuple[str, ...] = ("tests",), timeout: float = 240) -> dict:
    """``pytest -m marker paths`` in a subprocess (from the repository root); its log goes to
    ``out/pytest-<marker>.txt``. Returns the counts, the failures' lines, the exit status and time."""
    command = [sys.executable, "-c", _PYTEST_CHILD.format(root=str(ROOT)), "-m", marker, "-q", "-rfE",
               "-p", "no:cacheprovider", *paths]  # fmt: skip
    start = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        log, rc = done.stdout + done.stderr, done.returncode
    except subprocess.TimeoutExpired as e:
        log, rc = f"{e.stdout or ''}{e.stderr or ''}\n[gpu_check] timed out after {timeout:.0f} s", None
    seconds = time.perf_counter() - start
    (out / f"pytest-{marker}.txt").write_text(log if isinstance(log, str) else log.decode())
    outcome = r"(\d+) (passed|failed|skipped|errors?|deselected)"
    summary = [line for line in log.splitlines() if re.search(outcome, line)]
    counts = {kind: int(n) for n, kind in re.findall(outcome, summary[-1])} if summary else {}
    failures = [line for line in log.splitlines() if line.startswith(("FAILED", "ERROR"))]
    # pytest's status 5: no test was selected (e.g. none carries the marker)
    ok = rc in (0, 5)
    return {"command": f"pytest -m {marker} {' '.join(paths)}", "rc": rc, "ok": ok, "seconds": round(seconds, 1),
            "counts": counts, "failures": failures, "log": f"pytest-{marker}.txt"}  # fmt: skip


# ----------------------------------------------------------------------------- devices


class _Device:
    """Synchronisation and peak memory of the device one framework runs on."""

    def __init__(self, torch: Any, device: str) -> None:
        self.torch, self.on_gpu = torch, device == "cuda"

    def sync(self) -> None:
        if self.on_gpu and self.torch is not None:
            self.torch.cuda.synchronize()
        elif self.on_gpu:
            cupy = backend._cupy
            stream = getattr(getattr(cupy, "cuda", None), "get_current_stream", None)
            if stream is not None:  # the stand-in CuPy of the simulator tests has no streams
                stream().synchronize()

    def peak_memory(self, step: Callable[[], Any]) -> dict[str, float] | None:
        """Peak device memory (MiB) while ``step`` runs once: what the framework's allocator hands
        out (weights, gradients and Adam state included) and what it holds from the driver."""
        if not self.on_gpu:
            return None
        if self.torch is not None:
            cuda = self.torch.cuda
            cuda.synchronize()
            cuda.reset_peak_memory_stats()
            step()
            cuda.synchronize()
            return {"allocated": cuda.max_memory_allocated() / MiB, "reserved": cuda.max_memory_reserved() / MiB}
        cupy = backend._cupy
        if not hasattr(cupy, "get_default_memory_pool"):
            return None  # the stand-in CuPy of the simulator tests
        pool = cupy.get_default_memory_pool()
        self.sync()
        with _peak_memory_hook(pool.used_bytes()) as hook:
            step()
            self.sync()
        return {"allocated": hook.peak / MiB, "reserved": pool.total_bytes() / MiB}

    def synced(self, step: Callable[[], Any]) -> Callable[[], Any]:
        """``step``, then wait for the device: a timed iteration includes all of its GPU work."""

        def run() -> Any:
            metrics = step()
            self.sync()
            return metrics

        return run


def _peak_memory_hook(in_use: int) -> Any:
    """A CuPy memory hook (a context manager) following the bytes its pool hands out (malloc)
    and takes back (free), from ``in_use``; ``.peak`` is the most at any time."""
    from cupy.cuda import memory_hook

    class PeakMemoryHook(memory_hook.MemoryHook):
        name = "PeakMemoryHook"

        def __init__(self) -> None:
            self.current = self.peak = in_use

        def malloc_postprocess(self, **kwargs: Any) -> None:
            self.current += kwargs["mem_size"]
            self.peak = max(self.peak, self.current)

        def free_postprocess(self, **kwargs: Any) -> None:
            self.current -= kwargs["mem_size"]

    return PeakMemoryHook()


def _release_gpu_memory(torch: Any) -> None:
    cupy = backend._cupy
    if hasattr(cupy, "get_default_memory_pool"):
        cupy.get_default_memory_pool().free_all_blocks()
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


# ----------------------------------------------------------------------------- the workloads


def _dcgan_steps(wl: Any, device: str, torch: Any, torch_device: str | None) -> dict[str, Callable[[], dict]]:
    batches = bench_dcgan.make_batches(wl, 2)
    gan = bench_dcgan.build_tinygan(wl)
    steps = {}
    if torch is not None:
        G, D, _, _ = bench_dcgan.build_torch(torch, wl, gan)  # tinygan's initial weights
        G, D = G.to(torch_device), D.to(torch_device)
        nets = (G, D, *(torch.optim.Adam(n.parameters(), lr=bench_dcgan.LR, betas=bench_dcgan.BETAS) for n in (G, D)))
        theirs = cycling_samplers(batches, lambda a: torch.from_numpy(a).to(torch_device))
        steps["torch"] = lambda: bench_dcgan.torch_iteration(torch, nets, *theirs)
    gan.G.to(device)
    gan.D.to(device)
    ours = cycling_samplers(batches, lambda a: tinygan.tensor(a, device=device))
    steps["tinygan"] = lambda: gan_step(gan.G, gan.D, gan.opt_g, gan.opt_d, *ours)
    return steps


def _pix2pix_steps(wl: Any, device: str, torch: Any, torch_device: str | None) -> dict[str, Callable[[], dict]]:
    pairs = bench_pix2pix.make_pairs(wl, 2)
    nets = bench_pix2pix.build_tinygan(wl)
    steps = {}
    if torch is not None:
        G, D, _, _ = bench_pix2pix.build_torch(torch, wl, nets)  # tinygan's initial weights
        G, D = G.to(torch_device), D.to(torch_device)
        opts = [torch.optim.Adam(n.parameters(), lr=bench_pix2pix.LR, betas=bench_pix2pix.BETAS) for n in (G, D)]
        theirs = bench_pix2pix.cycling_pairs(pairs, lambda a: torch.from_numpy(a).to(torch_device))
        steps["torch"] = lambda: bench_pix2pix.torch_iteration(torch, (G, D, *opts), theirs)
    nets.G.to(device)
    nets.D.to(device)
    ours = bench_pix2pix.cycling_pairs(pairs, lambda a: tinygan.tensor(a, device=device))

    def tinygan_step() -> dict:
        real_A, real_B = next(ours)
        return pix2pix_step(nets.G, nets.D, nets.opt_g, nets.opt_d, real_A, real_B, lambda_l1=bench_pix2pix.LAMBDA_L1)

    steps["tinygan"] = tinygan_step
    return steps


def run_workload(kind: str, wl: Any, args: argparse.Namespace, torch: Any) -> dict[str, Any]:
    """Both frameworks on one workload: the first iteration (Numba compiles the kernels there),
    then ``args.warmup`` more and ``args.rounds`` timed ones in alternating order, then one
    with the memory measured. Times in ms per iteration."""
    torch_device = None
    if torch is not None:
        torch_device = args.device if args.device == "cpu" or torch.cuda.is_available() else None
    build = _dcgan_steps if kind == "dcgan" else _pix2pix_steps
    steps = build(wl, args.device, torch if torch_device else None, torch_device)
    devices = {"tinygan": _Device(None, args.device), "torch": _Device(torch, torch_device or "cpu")}
    synced = {name: devices[name].synced(step) for name, step in steps.items()}

    report: dict[str, Any] = {"workload": wl.name, "kind": kind, "batch": wl.batch, "config": dataclasses.asdict(wl)}
    if torch is not None and torch_device is None:
        report["torch_skipped"] = "this PyTorch sees no CUDA GPU"
    report["first_iteration"] = {}
    for name, step in synced.items():
        start = time.perf_counter()
        metrics = step()
        report["first_iteration"][name] = {"ms": (time.perf_counter() - start) * 1000,
                                           "metrics": {k: float(v) for k, v in metrics.items()}}  # fmt: skip
    if kind == "dcgan" and "torch" in synced:  # same weights, same batch: D's first loss must agree
        first = report["first_iteration"]
        ours, theirs = first["tinygan"]["metrics"]["loss_d"], first["torch"]["metrics"]["loss_d"]
        report["first_loss_d_relative_difference"] = abs(ours - theirs) / abs(theirs)

    samples = time_alternating(synced, iters=1, rounds=args.rounds, warmup=args.warmup)
    report["ms"] = {name: summarize(s) for name, s in samples.items()}
    report["samples_ms"] = samples
    if "torch" in report["ms"]:
        report["ratio"] = report["ms"]["tinygan"]["median"] / report["ms"]["torch"]["median"]
    report["peak_memory_mib"] = {name: devices[name].peak_memory(step) for name, step in steps.items()}
    return report


# ----------------------------------------------------------------------------- the report


def _cell(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def markdown(report: dict[str, Any]) -> str:
    v = report["versions"]
    lines = ["# tinygan GPU check", "", f"{report['date']}, {report['elapsed_s']:.0f} s, `{report['command']}`", ""]
    lines += [
        f"- GPU: {v.get('gpu', 'none')} ({v.get('gpu_memory_gib', '-')} GiB, compute capability "
        f"{v.get('compute_capability', '-')}), driver {v.get('driver', '-')}",
        f"- CUDA: driver supports {v.get('cuda_driver', '-')}, CuPy's runtime {v.get('cuda_runtime', '-')}",
        f"- CuPy {v['cupy']}, Numba {v['numba']}, Numba-CUDA {v['numba_cuda']}"
        + (" (CUDA simulator)" if v["cuda_simulator"] else ""),
        f"- PyTorch {v.get('torch', '-')} (CUDA {v.get('torch_cuda', '-')}, cuDNN {v.get('cudnn', '-')}); "
        f"TF32 {'allowed' if report['settings']['torch_tf32'] else 'off'}",
        f"- Python {v['python']}, NumPy {v['numpy']}, tinygan {v['tinygan']}",
        "",
    ]
    tests = report.get("tests")
    if tests is not None:
        counts = ", ".join(f"{n} {kind}" for kind, n in tests["counts"].items()) or "no summary"
        lines += ["## Tests", "", f"`{tests['command']}`: {counts} in {tests['seconds']} s (exit status {tests['rc']}; "
                  f"log in `{tests['log']}`)", ""]  # fmt: skip
        lines += [f"- {line}" for line in tests["failures"]] + ([""] if tests["failures"] else [])
    lines += [
        f"## One training iteration ({report['settings']['device']}, float32)",
        "",
        "| workload | batch | tinygan ms | PyTorch ms | tinygan / PyTorch | tinygan peak MiB | PyTorch peak MiB "
        "| first iteration ms (tinygan) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for w in report["workloads"]:
        if "error" in w or "skipped" in w:
            lines.append(f"| {w['workload']} | {w['batch']} | {w.get('skipped') or 'error: ' + w['error']} |||||| ")
            continue
        ms, memory = w["ms"], w["peak_memory_mib"]
        lines.append(
            f"| {w['workload']} | {w['batch']} | {_cell(ms['tinygan']['median'])} "
            f"| {_cell(ms.get('torch', {}).get('median'))} | {_cell(w.get('ratio'), 2)} "
            f"| {_cell((memory.get('tinygan') or {}).get('allocated'), 0)} "
            f"| {_cell((memory.get('torch') or {}).get('allocated'), 0)} "
            f"| {_cell(w['first_iteration']['tinygan']['ms'], 0)} |"
        )
    lines += [
        "",
        "Medians of the timed rounds; peak memory is what each allocator handed out during one iteration",
        "(weights, gradients and Adam state included). The first iteration compiles tinygan's kernels.",
    ]
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("out", type=Path, help="directory for gpu_check.json, gpu_check.md and the test log")
    parser.add_argument("--tiny", action="store_true", help="tiny networks of the same layers (simulator, smoke run)")
    parser.add_argument("--skip-tests", action="store_true", help="do not run pytest -m cuda")
    parser.add_argument("--skip-torch", action="store_true", help="time tinygan only")
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda", help="where both frameworks run")
    parser.add_argument("--rounds", type=int, default=None, help="timed iterations per framework (5; tiny: 2)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed iterations after the first (2; tiny: 1)")
    parser.add_argument("--test-timeout", type=float, default=240, help="seconds for pytest -m cuda (240)")
    parser.add_argument("--deadline", type=float, default=420, help="start no workload after this many seconds")
    parser.add_argument("--torch-tf32", action="store_true", help="leave PyTorch's TF32 defaults on")
    args = parser.parse_args(argv)
    args.rounds = args.rounds if args.rounds is not None else (2 if args.tiny else 5)
    args.warmup = args.warmup if args.warmup is not None else (1 if args.tiny else 2)
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    start = time.monotonic()
    args.out.mkdir(parents=True, exist_ok=True)
    torch = None if args.skip_torch else optional_torch()
    if torch is not None:
        torch.backends.cudnn.enabled = True
        torch.backends.cudnn.benchmark = True  # as PyTorch's DCGAN example: fixed shapes, pick the fastest
        if not args.torch_tf32:
            torch.backends.cudnn.allow_tf32 = False
            torch.backends.cuda.matmul.allow_tf32 = False
    report: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "command": " ".join(["python benchmarks/gpu_check.py", *(argv if argv is not None else sys.argv[1:])]),
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "versions": versions(torch),
        "workloads": [],
    }
    print(json.dumps(report["versions"], indent=2), flush=True)
    failed = False
    if args.device == "cuda":
        backend.check_device("cuda")  # a plain error, before anything else, on a machine without a GPU
    if not args.skip_tests:
        print("pytest -m cuda ...", flush=True)
        report["tests"] = run_tests(args.out, timeout=args.test_timeout)
        failed |= not report["tests"]["ok"]
        tests = report["tests"]
        print(f"  {tests['counts']} in {tests['seconds']} s", *tests["failures"], sep="\n")
    for kind, wl in TINY if args.tiny else FULL:
        entry: dict[str, Any] = {"workload": wl.name, "kind": kind, "batch": wl.batch}
        if time.monotonic() - start > args.deadline:
            entry["skipped"] = f"skipped: past the {args.deadline:.0f} s deadline"
        else:
            print(f"{wl.name}, batch {wl.batch} ...", flush=True)
            try:
                entry = run_workload(kind, wl, args, torch)
            except Exception as e:  # record it and go on: a GPU slot is too short to lose the rest
                entry["error"] = f"{type(e).__name__}: {e}"
                entry["traceback"] = traceback.format_exc()
                failed = True
            finally:
                _release_gpu_memory(torch)
        report["workloads"].append(entry)
        print("  " + json.dumps({k: entry[k] for k in ("ms", "ratio", "peak_memory_mib", "error") if k in entry}))
    report["elapsed_s"] = time.monotonic() - start
    report["ok"] = not failed
    (args.out / "gpu_check.json").write_text(json.dumps(report, indent=2, default=str))
    (args.out / "gpu_check.md").write_text(markdown(report))
    print(markdown(report))
    return report


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(0 if main()["ok"] else 1)
