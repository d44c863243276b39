"""W2 dcgan-64 and W3 dcgan-32: one DCGAN training iteration, tinygan vs PyTorch, time and peak memory.

The networks are PyTorch's DCGAN example, layer for layer (``tinygan.models.dcgan``), with the
example's final Sigmoid left out on both sides: D returns logits and the loss is BCE on logits.

- W2 dcgan-64: 64x64x3 images, ngf = ndf = 64, nz = 100, batch 16 (the CPU batch of the design).
- W3 dcgan-32: 32x32x1 images, 4 layers each side with widths 256/128/64 (ngf = ndf = 64), batch 64.

One iteration is W1's (see ``bench_w1_mlp_gan``): ``tinygan.gan.gan_step``, i.e. D's step on the
real batch and on G(z1) computed without a graph, then G's non-saturating step through D(G(z2))
with D's weights frozen; Adam(lr=2e-4, betas=(0.5, 0.999)). PyTorch runs the same step written
in PyTorch. Before timing, both frameworks train for three iterations from the same weights on the same
batches and their losses must agree (see ``check_same_losses``); then they are timed in alternating rounds.

Peak memory is measured in fresh subprocesses, one per framework, so that they never share a
heap: the growth of the resident set (VmHWM - VmRSS, Linux) over the iterations that follow the
model build and one warm-up iteration, and separately over the first iteration (Numba compiles
tinygan's kernels there, or loads them from its on-disk cache).

Usage::

    python benchmarks/bench_dcgan.py [--workload w2|w3|both] [--iters N] [--rounds R] [--json out.json]
    python benchmarks/bench_dcgan.py --threads 1 --cpu-time      # one thread each, process CPU time
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tinygan  # noqa: E402
from benchmarks.bench_w1_mlp_gan import (  # noqa: E402
    BETAS,
    LR,
    TinyganGAN,
    compare_iterations,
    tinygan_iteration,
    torch_iteration,
)
from benchmarks.common import (  # noqa: E402
    both_on_threads,
    cycling_samplers,
    format_results,
    machine_info,
    optional_torch,
    step_memory,
    summarize,
    time_alternating,
    timing_report,
)
from tinygan.models.dcgan import DCGANDiscriminator, DCGANGenerator  # noqa: E402
from tinygan.optim import Adam  # noqa: E402


@dataclass(frozen=True)
class Workload:
    """A DCGAN configuration: image side and channels, batch, noise size and base widths."""

    name: str
    image_size: int
    nc: int
    batch: int
    nz: int = 100
    ngf: int = 64
    ndf: int = 64


WORKLOADS = {
    "w2": Workload("W2 dcgan-64", image_size=64, nc=3, batch=16),
    "w3": Workload("W3 dcgan-32", image_size=32, nc=1, batch=64),
}


def make_batches(wl: Workload, count: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``count`` triples (real images in [-1, 1] of shape (batch, nc, size, size), noise for D's fakes
    and noise for G's fakes, each (batch, nz, 1, 1)), made up front so that drawing random numbers
    is not part of the timed work (``cycling_samplers`` hands them to the step)."""
    rng = np.random.default_rng(seed)
    side = wl.image_size
    return [
        (
            rng.uniform(-1, 1, (wl.batch, wl.nc, side, side)).astype(np.float32),
            rng.standard_normal((wl.batch, wl.nz, 1, 1), dtype=np.float32),
            rng.standard_normal((wl.batch, wl.nz, 1, 1), dtype=np.float32),
        )
        for _ in range(count)
    ]


def build_tinygan(wl: Workload, seed: int = 0) -> TinyganGAN:
    """tinygan's DCGAN generator and discriminator (the paper's N(0, 0.02) init) with their Adams."""
    tinygan.manual_seed(seed)
    G = DCGANGenerator(wl.nz, wl.ngf, wl.nc, wl.image_size)
    D = DCGANDiscriminator(wl.nc, wl.ndf, wl.image_size)
    return TinyganGAN(G, D, Adam(G.parameters(), lr=LR, betas=BETAS), Adam(D.parameters(), lr=LR, betas=BETAS))


def build_torch(torch: Any, wl: Workload, gan: TinyganGAN | None = None) -> tuple[Any, Any, Any, Any]:
    """PyTorch's DCGAN example at ``wl``'s sizes (no final Sigmoid; D returns logits of shape (N,)),
    loaded with ``gan``'s weights when given (the state-dict keys match), else the example's init."""
    tnn = torch.nn
    n_up = {32: 3, 64: 4}[wl.image_size]

    class Net(tnn.Module):
        def __init__(self, layers: list[Any], logits: bool) -> None:
            super().__init__()
            self.main, self.logits = tnn.Sequential(*layers), logits

        def forward(self, x: Any) -> Any:
            out = self.main(x)
            return out.view(-1, 1).squeeze(1) if self.logits else out  # as the example's D does

    width = wl.ngf * 2 ** (n_up - 1)
    g_layers = [tnn.ConvTranspose2d(wl.nz, width, 4, 1, 0, bias=False), tnn.BatchNorm2d(width), tnn.ReLU(True)]
    for _ in range(n_up - 1):
        g_layers += [tnn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False), tnn.BatchNorm2d(width // 2)]
        g_layers.append(tnn.ReLU(True))
        width //= 2
    g_layers += [tnn.ConvTranspose2d(width, wl.nc, 4, 2, 1, bias=False), tnn.Tanh()]

    width = wl.ndf
    d_layers = [tnn.Conv2d(wl.nc, width, 4, 2, 1, bias=False), tnn.LeakyReLU(0.2, inplace=True)]
    for _ in range(n_up - 1):
        d_layers += [tnn.Conv2d(width, width * 2, 4, 2, 1, bias=False), tnn.BatchNorm2d(width * 2)]
        d_layers.append(tnn.LeakyReLU(0.2, inplace=True))
        width *= 2
    d_layers.append(tnn.Conv2d(width, 1, 4, 1, 0, bias=False))

    G, D = Net(g_layers, logits=False), Net(d_layers, logits=True)
    for net, reference in ((G, gan and gan.G), (D, gan and gan.D)):
        if reference is not None:
            net.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in reference.state_dict().items()})
        else:
            net.apply(_torch_weights_init(torch))
    opt_g = torch.optim.Adam(G.parameters(), lr=LR, betas=BETAS)
    opt_d = torch.optim.Adam(D.parameters(), lr=LR, betas=BETAS)
    return G, D, opt_g, opt_d


def _torch_weights_init(torch: Any) -> Any:
    def init(m: Any) -> None:  # the example's weights_init
        if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            torch.nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, torch.nn.BatchNorm2d):
            torch.nn.init.normal_(m.weight, 1.0, 0.02)
            torch.nn.init.zeros_(m.bias)

    return init


def check_same_losses(
    torch: Any, wl: Workload, steps: int = 3, rtol: float = 1e-4, rtol_later: float = 2e-2
) -> list[dict[str, float]]:
    """Run ``steps`` iterations of both from the same weights on the same batches; raise unless the
    first D loss, computed before any Adam step, agrees to ``rtol`` and every later loss (from G's
    first one, which follows D's first Adam step) to ``rtol_later``.

    The later losses get a looser bound because Adam's first step moves every weight by about
    lr * sign(gradient): a gradient entry near zero that float32 rounds to the other sign in one
    framework moves its weight the other way, and D's confident W2 logits magnify it. PyTorch in
    float32 drifts from PyTorch in float64 by as much (W2: 2.4e-4 in the first G loss, 0.4% in the
    third), while tinygan in float32 stays within 5e-4 of float64; in float64 the two frameworks
    agree to 1e-14 over all three iterations.
    """
    gan = build_tinygan(wl, seed=1)
    nets = build_torch(torch, wl, gan)
    batches = make_batches(wl, steps, seed=1)
    ours, theirs = cycling_samplers(batches, tinygan.tensor), cycling_samplers(batches, torch.from_numpy)
    return [
        compare_iterations(
            tinygan_iteration(gan, *ours),
            torch_iteration(torch, nets, *theirs),
            rtol_d=rtol if i == 0 else rtol_later,
            rtol_g=rtol_later,
            what=f"{wl.name} iteration {i}: ",
        )
        for i in range(steps)
    ]


# ----------------------------------------------------------------------------- timing


def time_workload(torch: Any, wl: Workload, args: argparse.Namespace) -> dict[str, Any]:
    """Loss check, then alternating timed rounds of both frameworks on ``wl``; the report as a dict."""
    batches = make_batches(wl, 4)
    gan = build_tinygan(wl)
    ours = cycling_samplers(batches, tinygan.tensor)
    steps = {"tinygan": lambda: tinygan_iteration(gan, *ours)}
    parity: list[dict[str, float]] = []
    if torch is not None:
        parity = check_same_losses(torch, wl)
        print(f"{wl.name}: same weights, same batches: losses agree (1e-4 first, 2e-2 after Adam steps): {parity}")
        nets = build_torch(torch, wl, gan)
        theirs = cycling_samplers(batches, torch.from_numpy)
        steps["torch"] = lambda: torch_iteration(torch, nets, *theirs)

    clock = time.process_time if args.cpu_time else time.perf_counter
    samples = time_alternating(steps, iters=args.iters, rounds=args.rounds, warmup=args.warmup, clock=clock)
    results = {name: summarize(s) for name, s in samples.items()}
    info = machine_info(torch)
    measure = "CPU time" if args.cpu_time else "wall clock"
    print(format_results(f"{wl.name} (batch {wl.batch}, float32, {args.threads} thread(s), {measure})", results, info))
    return timing_report(wl, measure, samples, info, parity)


# ----------------------------------------------------------------------------- peak memory


def measure_memory(framework: str, wl: Workload, iters: int) -> dict[str, float]:
    """Peak resident-set growth of ``framework``'s iteration, in MiB; run in a fresh process.

    ``first_iteration_mib``: the peak during the first iteration over the RSS after building the
    models (for tinygan this includes compiling or loading the Numba kernels). ``peak_growth_mib``:
    the peak during the next ``iters`` iterations over the RSS after that first iteration, i.e. the
    memory one iteration needs beyond the models, the Adam state and the gradients kept between
    iterations.
    """
    batches = make_batches(wl, 1)
    if framework == "tinygan":
        gan = build_tinygan(wl)
        samplers = cycling_samplers(batches, tinygan.tensor)

        def step() -> None:
            tinygan_iteration(gan, *samplers)
    else:
        torch = optional_torch()
        torch.set_num_threads(2)
        nets = build_torch(torch, wl)
        samplers = cycling_samplers(batches, torch.from_numpy)

        def step() -> None:
            torch_iteration(torch, nets, *samplers)

    return step_memory(step, iters)


def memory_in_subprocess(framework: str, workload: str, iters: int, cold_numba: bool = False) -> dict[str, float]:
    """``measure_memory`` in a fresh Python process. glibc's mmap threshold is pinned at its default
    128 KiB so that freed arrays go back to the OS and the resident set follows what is allocated;
    ``cold_numba`` points Numba at an empty cache directory, so the first iteration compiles."""
    env = os.environ | {"MALLOC_MMAP_THRESHOLD_": "131072"}
    with tempfile.TemporaryDirectory() if cold_numba else nullcontext() as cache:
        if cache is not None:
            env["NUMBA_CACHE_DIR"] = cache
        command = [sys.executable, str(Path(__file__).resolve()), "--workload", workload, "--iters", str(iters)]
        done = subprocess.run(
            [*command, "--memory-child", framework], env=env, capture_output=True, text=True, check=False
        )
    if done.returncode != 0:
        raise RuntimeError(f"memory measurement of {framework} on {workload} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def memory_report(workload: str, iters: int, with_torch: bool) -> dict[str, dict[str, float]]:
    """Peak memory of tinygan (Numba cache warm and cold) and PyTorch, each in its own process."""
    report = {
        "tinygan": memory_in_subprocess("tinygan", workload, iters),
        "tinygan_cold_numba": memory_in_subprocess("tinygan", workload, iters, cold_numba=True),
    }
    if with_torch:
        report["torch"] = memory_in_subprocess("torch", workload, iters)
    print(f"{WORKLOADS[workload].name} peak memory (MiB; growth over the RSS after build + one iteration):")
    for name, m in report.items():
        print(
            f"  {name:18s} per-iteration peak {m['peak_growth_mib']:7.1f}"
            f"   first iteration {m['first_iteration_mib']:7.1f}"
            f"   RSS after build {m['rss_after_build_mib']:7.1f}   peak RSS {m['peak_rss_mib']:7.1f}"
        )
    return report


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", choices=["w2", "w3", "both"], default="both")
    parser.add_argument("--iters", type=int, default=3, help="iterations per timed round (default 3)")
    parser.add_argument("--rounds", type=int, default=9, help="timed rounds per framework (default 9)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed iterations first (default 2)")
    parser.add_argument("--threads", type=int, default=2, help="PyTorch's threads and NumPy's BLAS threads (default 2)")
    parser.add_argument("--cpu-time", action="store_true", help="time process CPU time instead of wall clock")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--memory-child", choices=["tinygan", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    names = ["w2", "w3"] if args.workload == "both" else [args.workload]

    if args.memory_child:  # inside memory_in_subprocess: measure, print one JSON line, nothing else
        result = measure_memory(args.memory_child, WORKLOADS[names[0]], args.iters)
        print(json.dumps(result))
        return result

    torch = optional_torch()
    limits = both_on_threads(torch, args.threads)

    report: dict[str, Any] = {"settings": vars(args) | {"json": str(args.json) if args.json else None}}
    with limits:
        for name in names:
            report[name] = time_workload(torch, WORKLOADS[name], args)
    if not args.no_memory:
        for name in names:
            report[name]["memory"] = memory_report(name, args.iters, torch is not None)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
