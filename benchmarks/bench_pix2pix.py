"""W4 pix2pix-128 and pix2pix-256: one Pix2Pix training iteration, tinygan vs PyTorch, time and peak memory.

The networks are pytorch-CycleGAN-and-pix2pix's, as its ``train.py --model pix2pix`` builds them
for RGB -> RGB pairs: a U-Net generator (``unet_128`` at 128x128x3 for W4-128, ``unet_256`` at
256x256x3 for W4-256) and the 70x70 PatchGAN (``n_layers=3``) on the 6-channel pair, ngf = ndf =
64, batch norm, dropout on in the generator (the reference's settings), the reference's
N(0, 0.02) init. Batch 1, Adam(lr=2e-4, betas=(0.5, 0.999)) on both networks, lambda_L1 = 100,
float32. D returns logits and the GAN loss is BCE on logits (the reference's ``GANLoss('vanilla')``
is ``BCEWithLogitsLoss`` on a net without a final Sigmoid too).

One iteration on the tinygan side *is* ``tinygan.gan.pix2pix_step``: fake_B = G(A) once; D on
cat(A, B) and on cat(A, fake_B.detach()), loss_D = (BCE real + BCE fake) / 2, D's Adam step;
then D on cat(A, fake_B) with D's weights frozen, loss_G = BCE(., real) + 100 |fake_B - B|_1, G's
Adam step. The PyTorch side, ``torch_iteration``, is the reference's ``Pix2PixModel.optimize_parameters``
written in plain PyTorch (its ``forward``, ``backward_D``, ``backward_G`` and ``set_requires_grad``),
on ``UnetGenerator`` / ``NLayerDiscriminator`` rebuilt here with ``torch.nn`` exactly as the
reference's ``networks.py`` writes them (in-place LeakyReLU and ReLU included). tinygan's initial
weights are copied into PyTorch (the state-dict keys match), so both start from the same point.

Before timing, ``check_same_losses`` trains both for three iterations from the same weights on the
same pairs with dropout *off* in both generators (dropout masks come from different random
generators, so with dropout on the two frameworks train on different sub-networks), and stops
with an error unless the losses agree (see there for the tolerances). The timed models have
dropout on, as the reference trains. The two are then timed in alternating rounds
(``benchmarks.common.time_alternating``).

Peak memory is measured as in ``bench_dcgan``: one fresh subprocess per framework, the growth of
the resident set (VmHWM - VmRSS, Linux) over ``--iters`` iterations that follow the model build
and one warm-up iteration (the memory one iteration needs on top of the weights, gradients and
Adam state kept between iterations), and over the first iteration.

Usage::

    python benchmarks/bench_pix2pix.py [--workload W4-128|W4-256|all] [--iters N] [--rounds R] [--json out.json]
    python benchmarks/bench_pix2pix.py --tiny --iters 1 --rounds 2 --warmup 1     # seconds: a smoke run
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tinygan  # noqa: E402
from benchmarks.common import (  # noqa: E402
    both_on_threads,
    format_results,
    limit_blas_threads,
    machine_info,
    optional_torch,
    step_memory,
    summarize,
    time_alternating,
    timing_report,
)
from tinygan.gan.steps import pix2pix_step  # noqa: E402
from tinygan.models.pix2pix import PatchGANDiscriminator, UNetGenerator  # noqa: E402
from tinygan.optim import Adam  # noqa: E402

LR, BETAS, LAMBDA_L1 = 2e-4, (0.5, 0.999), 100.0
LOSS_KEYS = ("loss_d", "loss_d_real", "loss_d_fake", "loss_g", "loss_g_gan", "loss_g_l1")


@dataclass(frozen=True)
class Workload:
    """A Pix2Pix configuration: image side, U-Net depth, widths, PatchGAN depth, batch."""

    name: str
    image_size: int
    num_downs: int
    channels: int = 3  # of A and of B; D sees 2 * channels
    ngf: int = 64
    ndf: int = 64
    n_layers: int = 3  # 70x70 PatchGAN
    batch: int = 1
    norm: str = "batch"
    dropout: bool = True


WORKLOADS = {
    "W4-128": Workload("W4 pix2pix-128", image_size=128, num_downs=7),
    "W4-256": Workload("W4 pix2pix-256", image_size=256, num_downs=8),
}
# --tiny: the same pattern small enough for a test (5 levels reach a 1x1 bottleneck at 32x32)
TINY = Workload("W4 tiny (smoke test)", image_size=32, num_downs=5, ngf=4, ndf=4, batch=2)


def make_pairs(wl: Workload, count: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """``count`` pairs (A, B) of float32 images in [-1, 1], (batch, channels, size, size) each,
    drawn up front so that random-number generation is not timed."""
    rng = np.random.default_rng(seed)
    shape = (wl.batch, wl.channels, wl.image_size, wl.image_size)
    return [(rng.uniform(-1, 1, shape).astype(np.float32), rng.uniform(-1, 1, shape).astype(np.float32))
            for _ in range(count)]  # fmt: skip


def cycling_pairs(pairs: list[tuple[np.ndarray, np.ndarray]], tensor: Callable[[np.ndarray], Any]) -> Iterator[Any]:
    """The pairs as tensors of one framework (made once, up front), round and round."""
    converted = [(tensor(a), tensor(b)) for a, b in pairs]
    i = 0
    while True:
        yield converted[i % len(converted)]
        i += 1


# ----------------------------------------------------------------------------- tinygan


@dataclass
class TinyganPix2Pix:
    G: UNetGenerator
    D: PatchGANDiscriminator
    opt_g: Adam
    opt_d: Adam


def build_tinygan(wl: Workload, seed: int = 0, dropout: bool | None = None) -> TinyganPix2Pix:
    """tinygan's U-Net and PatchGAN (the reference's N(0, 0.02) init) with their Adams."""
    tinygan.manual_seed(seed)
    G = UNetGenerator(wl.channels, wl.channels, wl.num_downs, wl.ngf, norm=wl.norm,
                      dropout=wl.dropout if dropout is None else dropout)  # fmt: skip
    D = PatchGANDiscriminator(2 * wl.channels, wl.ndf, wl.n_layers, norm=wl.norm)
    return TinyganPix2Pix(G, D, Adam(G.parameters(), lr=LR, betas=BETAS), Adam(D.parameters(), lr=LR, betas=BETAS))


def tinygan_iteration(nets: TinyganPix2Pix, pairs: Iterator[Any]) -> dict[str, float]:
    """One ``pix2pix_step`` on the next pair; returns its metrics."""
    real_A, real_B = next(pairs)
    return pix2pix_step(nets.G, nets.D, nets.opt_g, nets.opt_d, real_A, real_B, lambda_l1=LAMBDA_L1)


# ----------------------------------------------------------------------------- PyTorch


def reference_networks(torch: Any) -> tuple[type, type, Callable[[str], Any]]:
    """``UnetGenerator``, ``NLayerDiscriminator`` and ``get_norm_layer`` of pytorch-CycleGAN-and-pix2pix's
    ``models/networks.py``, written out again with ``torch.nn`` (PyTorch is an optional import here).
    The only change: NLayerDiscriminator keeps no optional final Sigmoid (the reference adds none
    for the vanilla GAN loss either, which is BCEWithLogitsLoss)."""
    nn = torch.nn

    def get_norm_layer(norm_type: str) -> Any:
        if norm_type == "batch":
            return functools.partial(nn.BatchNorm2d, affine=True, track_running_stats=True)
        if norm_type == "instance":
            return functools.partial(nn.InstanceNorm2d, affine=False, track_running_stats=False)
        if norm_type == "none":
            return lambda x: nn.Identity()
        raise NotImplementedError(f"normalization layer [{norm_type}] is not found")

    def uses_bias(norm_layer: Any) -> bool:
        if type(norm_layer) is functools.partial:
            return norm_layer.func == nn.InstanceNorm2d
        return norm_layer == nn.InstanceNorm2d

    class UnetSkipConnectionBlock(nn.Module):
        def __init__(self, outer_nc, inner_nc, input_nc=None, submodule=None, outermost=False, innermost=False,
                     norm_layer=nn.BatchNorm2d, use_dropout=False):  # fmt: skip
            super().__init__()
            self.outermost = outermost
            use_bias = uses_bias(norm_layer)
            if input_nc is None:
                input_nc = outer_nc
            downconv = nn.Conv2d(input_nc, inner_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
            downrelu = nn.LeakyReLU(0.2, True)
            downnorm = norm_layer(inner_nc)
            uprelu = nn.ReLU(True)
            upnorm = norm_layer(outer_nc)
            if outermost:
                upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1)
                down = [downconv]
                up = [uprelu, upconv, nn.Tanh()]
                model = down + [submodule] + up
            elif innermost:
                upconv = nn.ConvTranspose2d(inner_nc, outer_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
                down = [downrelu, downconv]
                up = [uprelu, upconv, upnorm]
                model = down + up
            else:
                upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
                down = [downrelu, downconv, downnorm]
                up = [uprelu, upconv, upnorm]
                model = down + [submodule] + up + ([nn.Dropout(0.5)] if use_dropout else [])
            self.model = nn.Sequential(*model)

        def forward(self, x):
            if self.outermost:
                return self.model(x)
            return torch.cat([x, self.model(x)], 1)  # x is LeakyReLU(x) by now: the in-place downrelu

    class UnetGenerator(nn.Module):
        def __init__(self, input_nc, output_nc, num_downs, ngf=64, norm_layer=nn.BatchNorm2d, use_dropout=False):
            super().__init__()
            unet_block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, input_nc=None, submodule=None,
                                                 norm_layer=norm_layer, innermost=True)  # fmt: skip
            for _ in range(num_downs - 5):  # the 8 ngf middle blocks, with dropout
                unet_block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, input_nc=None, submodule=unet_block,
                                                     norm_layer=norm_layer, use_dropout=use_dropout)  # fmt: skip
            unet_block = UnetSkipConnectionBlock(ngf * 4, ngf * 8, input_nc=None, submodule=unet_block,
                                                 norm_layer=norm_layer)  # fmt: skip
            unet_block = UnetSkipConnectionBlock(ngf * 2, ngf * 4, input_nc=None, submodule=unet_block,
                                                 norm_layer=norm_layer)  # fmt: skip
            unet_block = UnetSkipConnectionBlock(ngf, ngf * 2, input_nc=None, submodule=unet_block,
                                                 norm_layer=norm_layer)  # fmt: skip
            self.model = UnetSkipConnectionBlock(output_nc, ngf, input_nc=input_nc, submodule=unet_block,
                                                 outermost=True, norm_layer=norm_layer)  # fmt: skip

        def forward(self, x):
            return self.model(x)

    class NLayerDiscriminator(nn.Module):
        def __init__(self, input_nc, ndf=64, n_layers=3, norm_layer=nn.BatchNorm2d):
            super().__init__()
            use_bias = uses_bias(norm_layer)
            kw, padw = 4, 1
            sequence = [nn.Conv2d(input_nc, ndf, kernel_size=kw, stride=2, padding=padw), nn.LeakyReLU(0.2, True)]
            nf_mult = 1
            for n in range(1, n_layers):
                nf_mult_prev, nf_mult = nf_mult, min(2**n, 8)
                sequence += [
                    nn.Conv2d(ndf * nf_mult_prev, ndf * nf_mult, kernel_size=kw, stride=2, padding=padw, bias=use_bias),
                    norm_layer(ndf * nf_mult),
                    nn.LeakyReLU(0.2, True),
                ]
            nf_mult_prev, nf_mult = nf_mult, min(2**n_layers, 8)
            sequence += [
                nn.Conv2d(ndf * nf_mult_prev, ndf * nf_mult, kernel_size=kw, stride=1, padding=padw, bias=use_bias),
                norm_layer(ndf * nf_mult),
                nn.LeakyReLU(0.2, True),
            ]
            sequence += [nn.Conv2d(ndf * nf_mult, 1, kernel_size=kw, stride=1, padding=padw)]
            self.model = nn.Sequential(*sequence)

        def forward(self, x):
            return self.model(x)

    return UnetGenerator, NLayerDiscriminator, get_norm_layer


def build_torch(
    torch: Any, wl: Workload, nets: TinyganPix2Pix | None = None, dropout: bool | None = None
) -> tuple[Any, Any, Any, Any]:
    """The reference's networks at ``wl``'s sizes, loaded with ``nets``' weights when given (the
    state-dict keys match), else the reference's init_weights(net, 'normal', 0.02); their Adams."""
    if wl.num_downs < 5:
        raise ValueError(f"the reference's UnetGenerator builds at least 5 levels, got num_downs={wl.num_downs}")
    UnetGenerator, NLayerDiscriminator, get_norm_layer = reference_networks(torch)
    norm_layer = get_norm_layer(wl.norm)
    G = UnetGenerator(wl.channels, wl.channels, wl.num_downs, wl.ngf, norm_layer=norm_layer,
                      use_dropout=wl.dropout if dropout is None else dropout)  # fmt: skip
    D = NLayerDiscriminator(2 * wl.channels, wl.ndf, wl.n_layers, norm_layer=norm_layer)
    for net, reference in ((G, nets and nets.G), (D, nets and nets.D)):
        if reference is not None:
            net.load_state_dict({k: torch.from_numpy(np.array(v.numpy())) for k, v in reference.state_dict().items()})
        else:
            net.apply(_torch_init_weights(torch))
    opt_g = torch.optim.Adam(G.parameters(), lr=LR, betas=BETAS)
    opt_d = torch.optim.Adam(D.parameters(), lr=LR, betas=BETAS)
    return G, D, opt_g, opt_d


def _torch_init_weights(torch: Any) -> Callable[[Any], None]:
    def init_func(m: Any) -> None:  # the reference's init_weights(net, init_type='normal', init_gain=0.02)
        classname = m.__class__.__name__
        if hasattr(m, "weight") and (classname.find("Conv") != -1 or classname.find("Linear") != -1):
            torch.nn.init.normal_(m.weight.data, 0.0, 0.02)
            if getattr(m, "bias", None) is not None:
                torch.nn.init.constant_(m.bias.data, 0.0)
        elif classname.find("BatchNorm2d") != -1:
            torch.nn.init.normal_(m.weight.data, 1.0, 0.02)
            torch.nn.init.constant_(m.bias.data, 0.0)

    return init_func


def torch_iteration(
    torch: Any, nets: tuple[Any, Any, Any, Any], pairs: Iterator[Any], lambda_l1: float = LAMBDA_L1
) -> dict[str, float]:
    """The reference's ``Pix2PixModel.optimize_parameters`` in plain PyTorch on the next pair; returns
    the metrics ``pix2pix_step`` returns (``loss_g_l1`` unweighted, as tinygan reports it).

    As in the reference, D sees the fake pair before the real one (tinygan: real first). In
    training mode batch norm normalises each call with that call's statistics, so the order
    changes no loss and no gradient, only the order of the running-statistics updates.
    """
    G, D, opt_g, opt_d = nets
    criterion_gan = torch.nn.BCEWithLogitsLoss()  # GANLoss('vanilla'): the sigmoid folded into the loss
    criterion_l1 = torch.nn.L1Loss()
    real_A, real_B = next(pairs)
    G.train()  # the reference trains in training mode throughout (model.train() is never switched off)
    D.train()

    fake_B = G(real_A)  # forward()
    D.requires_grad_(True)  # set_requires_grad(self.netD, True)
    opt_d.zero_grad()
    # backward_D()
    fake_AB = torch.cat((real_A, fake_B), 1)
    pred_fake = D(fake_AB.detach())
    loss_d_fake = criterion_gan(pred_fake, torch.zeros_like(pred_fake))
    real_AB = torch.cat((real_A, real_B), 1)
    pred_real = D(real_AB)
    loss_d_real = criterion_gan(pred_real, torch.ones_like(pred_real))
    loss_d = (loss_d_fake + loss_d_real) * 0.5
    loss_d.backward()
    opt_d.step()
    D.requires_grad_(False)  # set_requires_grad(self.netD, False): D needs no gradients for G's update
    opt_g.zero_grad()
    # backward_G()
    fake_AB = torch.cat((real_A, fake_B), 1)
    pred_fake_g = D(fake_AB)
    loss_g_gan = criterion_gan(pred_fake_g, torch.ones_like(pred_fake_g))
    loss_g_l1 = criterion_l1(fake_B, real_B)
    loss_g = loss_g_gan + loss_g_l1 * lambda_l1
    loss_g.backward()
    opt_g.step()
    return {
        "loss_d": loss_d.item(),
        "loss_d_real": loss_d_real.item(),
        "loss_d_fake": loss_d_fake.item(),
        "loss_g": loss_g.item(),
        "loss_g_gan": loss_g_gan.item(),
        "loss_g_l1": loss_g_l1.item(),
        "d_real": torch.sigmoid(pred_real.detach()).mean().item(),
        "d_fake": torch.sigmoid(pred_fake.detach()).mean().item(),
    }


# ----------------------------------------------------------------------------- same losses


def check_same_losses(
    torch: Any, wl: Workload, steps: int = 3, rtol: float = 1e-4, rtol_later: float = 2e-2
) -> list[dict[str, float]]:
    """Train both for ``steps`` iterations from the same weights on the same pairs, dropout off in
    both generators; raise unless the losses agree. Returns one row per iteration.

    Tolerances. Of iteration 0, everything computed before the first Adam step must agree to
    ``rtol``: D's losses and G's L1 (fake_B comes from the initial G). G's GAN loss follows D's
    first Adam step, and everything of the later iterations follows Adam steps of both networks:
    those get ``rtol_later``. Adam's first steps move each weight by about lr * sign(gradient),
    so a gradient entry near zero that float32 rounds to the other sign in one framework moves
    its weight the other way (see ``bench_dcgan.check_same_losses``: PyTorch float32 drifts from
    PyTorch float64 by as much). In float64 the two frameworks agree to 1e-9 and better
    (``tests/test_pix2pix_step.py`` holds PyTorch's float64 numbers).
    """
    nets = build_tinygan(wl, seed=1, dropout=False)
    theirs_nets = build_torch(torch, wl, nets, dropout=False)
    pairs = make_pairs(wl, steps, seed=1)
    ours, theirs = cycling_pairs(pairs, tinygan.tensor), cycling_pairs(pairs, torch.from_numpy)
    rows = []
    for i in range(steps):
        a, b = tinygan_iteration(nets, ours), torch_iteration(torch, theirs_nets, theirs)
        for key in LOSS_KEYS:
            tight = i == 0 and key in ("loss_d", "loss_d_real", "loss_d_fake", "loss_g_l1")
            tol = rtol if tight else rtol_later
            if not np.isclose(a[key], b[key], rtol=tol, atol=0):
                raise AssertionError(
                    f"{wl.name} iteration {i}: tinygan's {key} {a[key]} differs from PyTorch's {b[key]} (rtol {tol})"
                )
        row = {"iteration": i}
        for key in LOSS_KEYS:
            row[f"tinygan_{key}"], row[f"torch_{key}"] = a[key], b[key]
            row[f"rel_diff_{key}"] = abs(a[key] - b[key]) / abs(b[key])
        rows.append(row)
    return rows


# ----------------------------------------------------------------------------- timing


def time_workload(torch: Any, wl: Workload, args: argparse.Namespace) -> dict[str, Any]:
    """Loss check, then alternating timed rounds of both frameworks on ``wl``; the report as a dict."""
    pairs = make_pairs(wl, 2)
    nets = build_tinygan(wl)
    ours = cycling_pairs(pairs, tinygan.tensor)
    steps = {"tinygan": lambda: tinygan_iteration(nets, ours)}
    parity: list[dict[str, float]] = []
    if torch is not None:
        parity = check_same_losses(torch, wl)
        worst_first = max(parity[0][f"rel_diff_{k}"] for k in ("loss_d", "loss_g_l1"))
        worst_later = max(row[f"rel_diff_{k}"] for row in parity for k in LOSS_KEYS)
        print(f"{wl.name}: same weights, same pairs, dropout off: losses agree over {len(parity)} iterations "
              f"(first D and L1 losses to {worst_first:.1e}, all to {worst_later:.1e})")  # fmt: skip
        theirs_nets = build_torch(torch, wl, nets)
        theirs = cycling_pairs(pairs, torch.from_numpy)
        steps["torch"] = lambda: torch_iteration(torch, theirs_nets, theirs)

    clock = time.process_time if args.cpu_time else time.perf_counter
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    samples = time_alternating(steps, iters=args.iters, rounds=args.rounds, warmup=args.warmup, clock=clock)
    results = {name: summarize(s) for name, s in samples.items()}
    info = machine_info(torch)
    if load_before is not None:
        info["load_avg_before"] = [round(x, 2) for x in load_before]
        info["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]
    measure = "CPU time" if args.cpu_time else "wall clock"
    size = f"{wl.image_size}x{wl.image_size}"
    title = f"{wl.name} (batch {wl.batch}, {size}, float32, {args.threads} thread(s), {measure})"
    print(format_results(title, results, info))
    return timing_report(wl, measure, samples, info, parity)


# ----------------------------------------------------------------------------- peak memory


def measure_memory(framework: str, wl: Workload, iters: int, threads: int) -> dict[str, float]:
    """Peak resident-set growth of ``framework``'s iteration, in MiB; run in a fresh process.

    ``first_iteration_mib``: the peak during the first iteration over the RSS after building the
    models (it includes the Adam state and the gradients, allocated then, and for tinygan loading
    or compiling the Numba kernels). ``peak_growth_mib``: the peak during the next ``iters``
    iterations over the RSS after that first one: what one iteration needs beyond the weights,
    the Adam state and the gradients kept between iterations.
    """
    pairs = make_pairs(wl, 1)
    if framework == "tinygan":
        nets = build_tinygan(wl)
        ours = cycling_pairs(pairs, tinygan.tensor)

        def step() -> None:
            tinygan_iteration(nets, ours)
    else:
        torch = optional_torch()
        torch.set_num_threads(threads)
        theirs_nets = build_torch(torch, wl)
        theirs = cycling_pairs(pairs, torch.from_numpy)

        def step() -> None:
            torch_iteration(torch, theirs_nets, theirs)

    return step_memory(step, iters)


def memory_in_subprocess(
    framework: str, workload: str, iters: int, threads: int, tiny: bool = False, cold_numba: bool = False
) -> dict[str, float]:
    """``measure_memory`` in a fresh Python process, with glibc's mmap threshold pinned at its
    default 128 KiB (freed arrays go back to the OS, so the resident set follows what is
    allocated); ``cold_numba`` points Numba at an empty cache, so the first iteration compiles."""
    env = os.environ | {"MALLOC_MMAP_THRESHOLD_": "131072"}
    with tempfile.TemporaryDirectory() if cold_numba else nullcontext() as cache:
        if cache is not None:
            env["NUMBA_CACHE_DIR"] = cache
        command = [sys.executable, str(Path(__file__).resolve()), "--workload", workload, "--iters", str(iters),
                   "--threads", str(threads), *(["--tiny"] if tiny else []), "--memory-child", framework]  # fmt: skip
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"memory measurement of {framework} on {workload} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def memory_report(
    workload: str, wl: Workload, iters: int, threads: int, with_torch: bool, tiny: bool, cold_numba: bool
) -> dict[str, dict[str, float]]:
    """Peak memory of tinygan (and with a cold Numba cache, when asked) and PyTorch, each in its own process."""
    report = {"tinygan": memory_in_subprocess("tinygan", workload, iters, threads, tiny)}
    if cold_numba:
        report["tinygan_cold_numba"] = memory_in_subprocess("tinygan", workload, iters, threads, tiny, True)
    if with_torch:
        report["torch"] = memory_in_subprocess("torch", workload, iters, threads, tiny)
    print(f"{wl.name} peak memory (MiB; resident-set growth, each framework in a fresh process):")
    for name, m in report.items():
        print(
            f"  {name:18s} per-iteration peak {m['peak_growth_mib']:7.1f}"
            f"   first iteration {m['first_iteration_mib']:7.1f}"
            f"   RSS after build {m['rss_after_build_mib']:7.1f}   peak RSS {m['peak_rss_mib']:7.1f}"
        )
    return report


# ----------------------------------------------------------------------------- report


def markdown_table(report: dict[str, Any]) -> str:
    """The results as a markdown table (one row per workload) with the machine under it."""
    lines = [
        "| workload | batch | tinygan ms/iter (IQR) | PyTorch ms/iter (IQR) | tinygan / PyTorch "
        "| tinygan MiB/iter | PyTorch MiB/iter |",
        "|---|---|---|---|---|---|---|",
    ]
    machine: dict[str, Any] = {}
    for key, wl_report in report.items():
        if key == "settings":
            continue
        results, memory, wl = wl_report["results"], wl_report.get("memory", {}), wl_report["workload"]
        ratio = f"{wl_report['ratio']:.2f}" if "ratio" in wl_report else "-"
        times = [_time_cell(results.get(name)) for name in ("tinygan", "torch")]
        mems = [f"{memory[name]['peak_growth_mib']:.0f}" if name in memory else "-" for name in ("tinygan", "torch")]
        lines.append(f"| {wl['name']} | {wl['batch']} | {times[0]} | {times[1]} | {ratio} | {mems[0]} | {mems[1]} |")
        machine = wl_report["machine"]
    lines.append("")
    lines.append("Machine: " + ", ".join(f"{k}={v}" for k, v in machine.items()))
    return "\n".join(lines)


def _time_cell(s: dict[str, float] | None) -> str:
    return "-" if s is None else f"{s['median']:.0f} ({s['q1']:.0f}-{s['q3']:.0f})"


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", choices=[*WORKLOADS, "all"], default="all")
    parser.add_argument("--iters", type=int, default=1, help="iterations per timed round (default 1)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per framework (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed iterations first (default 1)")
    parser.add_argument("--threads", type=int, default=2, help="PyTorch's threads and NumPy's BLAS threads (default 2)")
    parser.add_argument("--tiny", action="store_true", help="a tiny U-Net (5 levels, ngf 4) at 32x32: a smoke run")
    parser.add_argument("--cpu-time", action="store_true", help="time process CPU time instead of wall clock")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    parser.add_argument("--cold-numba", action="store_true", help="also measure tinygan with an empty Numba cache")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--markdown", type=Path, help="also write the results table to this markdown file")
    parser.add_argument("--memory-child", choices=["tinygan", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    names = list(WORKLOADS) if args.workload == "all" else [args.workload]
    if args.tiny:
        names = names[:1]
    workloads = {name: TINY if args.tiny else WORKLOADS[name] for name in names}

    if args.memory_child:  # inside memory_in_subprocess: measure, print one JSON line, nothing else
        limit_blas_threads(args.threads)
        result = measure_memory(args.memory_child, workloads[names[0]], args.iters, args.threads)
        print(json.dumps(result))
        return result

    torch = optional_torch()
    limits = both_on_threads(torch, args.threads)

    settings = vars(args) | {"json": str(args.json) if args.json else None}
    settings["markdown"] = str(args.markdown) if args.markdown else None
    report: dict[str, Any] = {"settings": settings}
    with limits:
        for name, wl in workloads.items():
            report[name] = time_workload(torch, wl, args)
    if not args.no_memory:
        for name, wl in workloads.items():
            report[name]["memory"] = memory_report(
                name, wl, args.iters, args.threads, torch is not None, args.tiny, args.cold_numba
            )
    table = markdown_table(report)
    print(table)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    if args.markdown:
        args.markdown.write_text(table + "\n")
    return report


if __name__ == "__main__":
    main()
