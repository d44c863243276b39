"""W1 mlp-gan: one GAN training iteration of an MLP generator and discriminator, tinygan vs PyTorch.

G: 100 -> 256 -> 512 -> 1024 -> 784 (LeakyReLU 0.2 between layers, Tanh out).
D: 784 -> 512 -> 256 -> 1 (LeakyReLU 0.2 between layers, a logit out). Batch 64, float32,
Adam(lr=2e-4, betas=(0.5, 0.999)) on both.

One iteration, as in PyTorch's DCGAN example: fake = G(z); D's BCE loss on the real batch
(target 1) and on fake.detach() (target 0), D backward, D's Adam step; then D on fake again,
the non-saturating G loss (BCE with target 1), G backward, G's Adam step.

Before timing, the script runs tinygan and PyTorch from the same weights on the same batches
and checks that their losses agree to 1e-4 (relative), so the timings compare the same work.

Usage::

    python benchmarks/bench_w1_mlp_gan.py [--iters N] [--rounds R] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tinygan  # noqa: E402
from benchmarks.common import (  # noqa: E402
    cycling,
    format_results,
    machine_info,
    optional_torch,
    summarize,
    time_alternating,
)
from tinygan import nn  # noqa: E402
from tinygan.gan.losses import discriminator_loss, generator_loss_non_saturating  # noqa: E402
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


def make_batches(sizes: Sizes, count: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """``count`` pairs (real images in [-1, 1] of shape (batch, image), noise z of shape (batch, nz)),
    made once up front so that drawing random numbers is not part of the timed work."""
    rng = np.random.default_rng(seed)
    return [
        (
            rng.uniform(-1, 1, (sizes.batch, sizes.image)).astype(np.float32),
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


def tinygan_iteration(gan: TinyganGAN, real: np.ndarray, z: np.ndarray) -> tuple[float, float]:
    """One D step then one G step; returns (D loss, G loss)."""
    real_t, z_t = tinygan.tensor(real), tinygan.tensor(z)
    fake = gan.G(z_t)

    gan.opt_d.zero_grad()
    loss_d = discriminator_loss(gan.D(real_t), gan.D(fake.detach()))
    loss_d.backward()
    gan.opt_d.step()

    gan.opt_g.zero_grad()
    loss_g = generator_loss_non_saturating(gan.D(fake))
    loss_g.backward()
    gan.opt_g.step()
    return loss_d.item(), loss_g.item()


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


def torch_iteration(torch: Any, nets: tuple[Any, Any, Any, Any], real: Any, z: Any) -> tuple[float, float]:
    """PyTorch's DCGAN-example iteration with BCEWithLogits; returns (D loss, G loss)."""
    G, D, opt_g, opt_d = nets
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    fake = G(z)

    opt_d.zero_grad()
    real_logits, fake_logits = D(real), D(fake.detach())
    loss_d = bce(real_logits, torch.ones_like(real_logits)) + bce(fake_logits, torch.zeros_like(fake_logits))
    loss_d.backward()
    opt_d.step()

    opt_g.zero_grad()
    fake_logits = D(fake)
    loss_g = bce(fake_logits, torch.ones_like(fake_logits))
    loss_g.backward()
    opt_g.step()
    return loss_d.item(), loss_g.item()


def check_same_losses(torch: Any, sizes: Sizes = W1, steps: int = 3, rtol: float = 1e-4) -> list[dict[str, float]]:
    """Run ``steps`` iterations of both from the same weights on the same batches; raise unless
    every D and G loss agrees to ``rtol`` (later steps also check both Adam updates)."""
    gan = build_tinygan(sizes, seed=1)
    nets = build_torch(torch, gan)
    rows = []
    for real, z in make_batches(sizes, steps, seed=1):
        ours = tinygan_iteration(gan, real, z)
        theirs = torch_iteration(torch, nets, torch.from_numpy(real), torch.from_numpy(z))
        rows.append({"tinygan_d": ours[0], "torch_d": theirs[0], "tinygan_g": ours[1], "torch_g": theirs[1]})
        if not np.allclose(ours, theirs, rtol=rtol, atol=0):
            raise AssertionError(f"tinygan losses (D, G) = {ours} differ from PyTorch's {theirs} beyond rtol {rtol}")
    return rows


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
    steps = {"tinygan": cycling(lambda real, z: tinygan_iteration(gan, real, z), batches)}
    parity: list[dict[str, float]] = []
    if torch is None:
        print("PyTorch is not installed: timing tinygan alone (pip install torch for the comparison)")
    else:
        torch.set_num_threads(args.threads)
        parity = check_same_losses(torch)
        print(f"same weights, same batches: losses agree to 1e-4 over {len(parity)} iterations")
        nets = build_torch(torch, gan)
        torch_batches = [(torch.from_numpy(r), torch.from_numpy(z)) for r, z in batches]
        steps["torch"] = cycling(lambda real, z: torch_iteration(torch, nets, real, z), torch_batches)

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
