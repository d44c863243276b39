"""W1 mlp-gan: one GAN training iteration of an MLP generator and discriminator, tinygan vs PyTorch.

G: 100 -> 256 -> 512 -> 1024 -> 784 (LeakyReLU 0.2 between layers, Tanh out).
D: 784 -> 512 -> 256 -> 1 (LeakyReLU 0.2 between layers, a logit out). Batch 64, float32,
Adam(lr=2e-4, betas=(0.5, 0.999)) on both.

One iteration is ``tinygan.gan.gan_step`` (k = 1, non-saturating), the step the examples and
the CLI train with: (1) D's BCE loss on a real batch (target 1) and on G(z1) computed without a
graph (target 0), D backward, D's Adam step; (2) fake = G(z2) with its graph, D on it with D's
weights frozen, the non-saturating G loss (BCE with target 1), G backward, G's Adam step. So G
runs forward twice per iteration (PyTorch's DCGAN example runs it once and feeds D
fake.detach()). The PyTorch side, ``torch_iteration``, is the same step written in PyTorch.

Before timing, the script runs tinygan and PyTorch from the same weights on the same batches
and checks that their losses agree to 1e-4 (relative), so the timings compare the same work.

Usage::

    python benchmarks/bench_w1_mlp_gan.py [--iters N] [--rounds R] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tinygan  # noqa: E402
from benchmarks.common import (  # noqa: E402
    cycling_samplers,
    format_results,
    machine_info,
    optional_torch,
    summarize,
    time_alternating,
)
from tinygan import nn  # noqa: E402
from tinygan.gan import gan_step  # noqa: E402
from tinygan.optim import Adam  # noqa: E402

LR, BETAS, SLOPE = 2e-4, (0.5, 0.999), 0.2


@dataclass(frozen=True)
class Sizes:
    """Layer widths of the two MLPs and the batch size."""

    nz: int = 100
    g_hidden: tuple[int, ...] = (256, 512, 1024)
    d_hidden: tuple[int, ...] = (512, 256)
    image: int = 784
    batch: int = 64


W1 = Sizes()


def make_batches(sizes: Sizes, count: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``count`` triples (real images in [-1, 1] of shape (batch, image), noise for D's fakes and
    noise for G's fakes, each (batch, nz)), made once up front so that drawing random numbers is
    not part of the timed work (``cycling_samplers`` hands them to the step)."""
    rng = np.random.default_rng(seed)
    return [
        (
            rng.uniform(-1, 1, (sizes.batch, sizes.image)).astype(np.float32),
            rng.standard_normal((sizes.batch, sizes.nz), dtype=np.float32),
            rng.standard_normal((sizes.batch, sizes.nz), dtype=np.float32),
        )
        for _ in range(count)
    ]


# ----------------------------------------------------------------------------- tinygan


def _mlp(widths: list[int], out: nn.Module | None) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(widths) - 2:
            layers.append(nn.LeakyReLU(SLOPE))
    if out is not None:
        layers.append(out)
    return nn.Sequential(*layers)


@dataclass
class TinyganGAN:
    G: nn.Sequential
    D: nn.Sequential
    opt_g: Adam
    opt_d: Adam


def build_tinygan(sizes: Sizes = W1, seed: int = 0) -> TinyganGAN:
    """G and D as ``tinygan.nn.Sequential`` MLPs (PyTorch's default Linear init) with their Adams."""
    tinygan.manual_seed(seed)
    G = _mlp([sizes.nz, *sizes.g_hidden, sizes.image], nn.Tanh())
    D = _mlp([sizes.image, *sizes.d_hidden, 1], None)
    return TinyganGAN(G, D, Adam(G.parameters(), lr=LR, betas=BETAS), Adam(D.parameters(), lr=LR, betas=BETAS))


def tinygan_iteration(gan: TinyganGAN, real_batch: Callable[[], Any], noise: Callable[[int], Any]) -> dict[str, float]:
    """One ``gan_step``: D's update, then G's; returns its metrics (loss_d, loss_g, d_x, d_g_z1, d_g_z2)."""
    return gan_step(gan.G, gan.D, gan.opt_g, gan.opt_d, real_batch, noise)


# ----------------------------------------------------------------------------- PyTorch


def build_torch(torch: Any, gan: TinyganGAN) -> tuple[Any, Any, Any, Any]:
    """The same networks in PyTorch, loaded with ``gan``'s weights (state-dict keys match)."""
    tnn = torch.nn

    def mlp(reference: nn.Sequential) -> Any:
        layers = []
        for module in reference:
            if isinstance(module, nn.Linear):
                layers.append(tnn.Linear(module.in_features, module.out_features))
            elif isinstance(module, nn.LeakyReLU):
                layers.append(tnn.LeakyReLU(module.negative_slope))
            else:
                layers.append(tnn.Tanh())
        net = tnn.Sequential(*layers)
        net.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in reference.state_dict().items()})
        return net

    G, D = mlp(gan.G), mlp(gan.D)
    opt_g = torch.optim.Adam(G.parameters(), lr=LR, betas=BETAS)
    opt_d = torch.optim.Adam(D.parameters(), lr=LR, betas=BETAS)
    return G, D, opt_g, opt_d


def torch_iteration(
    torch: Any, nets: tuple[Any, Any, Any, Any], real_batch: Callable[[], Any], noise: Callable[[int], Any]
) -> dict[str, float]:
    """``gan_step`` written in PyTorch, line for line, with BCE on logits; returns the same metrics."""
    G, D, opt_g, opt_d = nets
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    G.train()
    D.train()

    # (1) D: real batch -> 1, G's fakes (no graph: G is not updated here) -> 0
    real = real_batch()
    with torch.no_grad():
        fake = G(noise(real.shape[0]))
    real_logits, fake_logits = D(real), D(fake)
    loss_d = bce(real_logits, torch.ones_like(real_logits)) + bce(fake_logits, torch.zeros_like(fake_logits))
    opt_d.zero_grad()
    loss_d.backward()
    opt_d.step()

    # (2) G: fresh noise, through the updated D, whose weights record no gradient
    fake = G(noise(real.shape[0]))
    D.requires_grad_(False)
    fake_logits_g = D(fake)
    D.requires_grad_(True)
    loss_g = bce(fake_logits_g, torch.ones_like(fake_logits_g))
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()

    def mean_d(logits: Any) -> float:  # D's mean belief that the batch is real
        return torch.sigmoid(logits.detach()).mean().item()

    return {"loss_d": loss_d.item(), "loss_g": loss_g.item(),
            "d_x": mean_d(real_logits), "d_g_z1": mean_d(fake_logits), "d_g_z2": mean_d(fake_logits_g)}  # fmt: skip


def compare_iterations(
    ours: dict[str, float], theirs: dict[str, float], rtol_d: float, rtol_g: float, what: str = ""
) -> dict[str, float]:
    """One iteration's parity row (both frameworks' D and G losses); raises unless the D losses
    agree to ``rtol_d`` and the G losses to ``rtol_g``."""
    for key, rtol in (("loss_d", rtol_d), ("loss_g", rtol_g)):
        if not np.isclose(ours[key], theirs[key], rtol=rtol, atol=0):
            raise AssertionError(f"{what}tinygan's {key} {ours[key]} differs from PyTorch's {theirs[key]} ({rtol})")
    return {"tinygan_d": ours["loss_d"], "torch_d": theirs["loss_d"],
            "tinygan_g": ours["loss_g"], "torch_g": theirs["loss_g"]}  # fmt: skip


def check_same_losses(torch: Any, sizes: Sizes = W1, steps: int = 3, rtol: float = 1e-4) -> list[dict[str, float]]:
    """Run ``steps`` iterations of both from the same weights on the same batches; raise unless
    every D and G loss agrees to ``rtol`` (G's loss comes after D's Adam step, and later
    iterations after both networks' steps, so they check the updates too)."""
    gan = build_tinygan(sizes, seed=1)
    nets = build_torch(torch, gan)
    batches = make_batches(sizes, steps, seed=1)
    ours, theirs = cycling_samplers(batches, tinygan.tensor), cycling_samplers(batches, torch.from_numpy)
    return [
        compare_iterations(tinygan_iteration(gan, *ours), torch_iteration(torch, nets, *theirs), rtol, rtol)
        for _ in range(steps)
    ]


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iters", type=int, default=20, help="iterations per timed round (default 20)")
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds per framework (default 15)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed iterations first (default 10)")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)

    torch = optional_torch()
    batches = make_batches(W1, 8)
    gan = build_tinygan(W1)
    ours = cycling_samplers(batches, tinygan.tensor)
    steps = {"tinygan": lambda: tinygan_iteration(gan, *ours)}
    parity: list[dict[str, float]] = []
    if torch is None:
        print("PyTorch is not installed: timing tinygan alone (pip install torch for the comparison)")
    else:
        torch.set_num_threads(args.threads)
        parity = check_same_losses(torch)
        print(f"same weights, same batches: losses agree to 1e-4 over {len(parity)} iterations")
        nets = build_torch(torch, gan)
        theirs = cycling_samplers(batches, torch.from_numpy)
        steps["torch"] = lambda: torch_iteration(torch, nets, *theirs)

    samples = time_alternating(steps, iters=args.iters, rounds=args.rounds, warmup=args.warmup)
    results = {name: summarize(s) for name, s in samples.items()}
    info = machine_info(torch)
    print(format_results("W1 mlp-gan (batch 64, float32)", results, info))
    report: dict[str, Any] = {
        "workload": "W1 mlp-gan",
        "results": results,
        "samples_ms": samples,
        "machine": info,
        "settings": vars(args) | {"json": str(args.json) if args.json else None},
        "parity": parity,
    }
    if "torch" in results:
        report["ratio"] = results["tinygan"]["median"] / results["torch"]["median"]
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
