"""Micro-benchmark: conv2d, conv_transpose2d and batch_norm, forward + backward, at the DCGAN layer shapes.

Each row is one layer of W3 dcgan-32 (batch 64, 1 channel, widths 256/128/64) or W2 dcgan-64
(batch 16, 3 channels, ngf = ndf = 64) as PyTorch's DCGAN example builds it (no biases): the
layer's forward on a fixed input, then backward from a fixed output gradient. The first
layer of each network takes an input that needs no gradient (noise z, a real image), as in
training. tinygan and PyTorch run in alternating rounds (see ``common.time_alternating``),
after a check that they compute the same output and gradients.

Usage::

    python benchmarks/bench_ops.py [--workload W3|W2|all] [--iters N] [--rounds R] [--json out.json]
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
from benchmarks.common import machine_info, optional_torch, summarize, time_alternating  # noqa: E402
from tinygan import nn  # noqa: E402


@dataclass(frozen=True)
class Layer:
    """One layer: kind ("conv", "convT" or "bn"), batch, channels in/out, input side, kernel, stride, padding."""

    workload: str
    kind: str
    batch: int
    c_in: int
    c_out: int
    size: int
    kernel: int = 4
    stride: int = 2
    padding: int = 1
    input_grad: bool = True

    def describe(self) -> str:
        if self.kind == "bn":
            return f"{self.workload} batch_norm       ({self.batch},{self.c_in},{self.size},{self.size})"
        name = "conv2d" if self.kind == "conv" else "conv_transpose2d"
        return (
            f"{self.workload} {name:16s} ({self.batch},{self.c_in},{self.size},{self.size}) -> {self.c_out} "
            f"k{self.kernel}s{self.stride}p{self.padding}"
        )


def dcgan_layers(workload: str, batch: int, nz: int, width: int, channels: int, image_size: int) -> list[Layer]:
    """The conv, transposed-conv and batch-norm layers of a DCGAN generator and discriminator."""
    n_up = {32: 3, 64: 4}[image_size]
    layers = [Layer(workload, "convT", batch, nz, width * 2 ** (n_up - 1), 1, 4, 1, 0, input_grad=False)]
    size, c = 4, width * 2 ** (n_up - 1)
    for _ in range(n_up - 1):  # G: BN on the previous output, then an upsampling layer
        layers += [Layer(workload, "bn", batch, c, c, size), Layer(workload, "convT", batch, c, c // 2, size)]
        size, c = size * 2, c // 2
    layers += [Layer(workload, "bn", batch, c, c, size), Layer(workload, "convT", batch, c, channels, size)]
    layers.append(Layer(workload, "conv", batch, channels, width, image_size, input_grad=False))
    size, c = image_size // 2, width
    for _ in range(n_up - 1):  # D: a downsampling layer, then BN on its output
        layers += [
            Layer(workload, "conv", batch, c, c * 2, size),
            Layer(workload, "bn", batch, c * 2, c * 2, size // 2),
        ]
        size, c = size // 2, c * 2
    layers.append(Layer(workload, "conv", batch, c, 1, size, 4, 1, 0))
    return layers


WORKLOADS = {
    "W3": dcgan_layers("W3", batch=64, nz=100, width=64, channels=1, image_size=32),
    "W2": dcgan_layers("W2", batch=16, nz=100, width=64, channels=3, image_size=64),
}


def make_steps(layer: Layer, torch: Any, seed: int = 0) -> tuple[dict[str, Callable[[], Any]], Callable[[], None]]:
    """One forward + backward of ``layer`` per framework, from the same weights, input and gradient,
    and a function that checks that both compute the same thing."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((layer.batch, layer.c_in, layer.size, layer.size), dtype=np.float32)
    if layer.kind == "bn":
        module = nn.BatchNorm2d(layer.c_in)
    elif layer.kind == "conv":
        module = nn.Conv2d(layer.c_in, layer.c_out, layer.kernel, layer.stride, layer.padding, bias=False)
    else:
        module = nn.ConvTranspose2d(layer.c_in, layer.c_out, layer.kernel, layer.stride, layer.padding, bias=False)
    x_ours = tinygan.tensor(x, requires_grad=layer.input_grad)
    grad = rng.standard_normal(module(x_ours).shape, dtype=np.float32)
    grad_ours = tinygan.tensor(grad)

    def ours() -> None:
        module(x_ours).backward(grad_ours)

    steps: dict[str, Callable[[], Any]] = {"tinygan": ours}
    if torch is None:
        return steps, lambda: None

    if layer.kind == "bn":
        theirs_module = torch.nn.BatchNorm2d(layer.c_in)
    elif layer.kind == "conv":
        theirs_module = torch.nn.Conv2d(layer.c_in, layer.c_out, layer.kernel, layer.stride, layer.padding, bias=False)
    else:
        theirs_module = torch.nn.ConvTranspose2d(
            layer.c_in, layer.c_out, layer.kernel, layer.stride, layer.padding, bias=False
        )
    with torch.no_grad():
        for name, p in theirs_module.named_parameters():
            p.copy_(torch.from_numpy(dict(module.named_parameters())[name].numpy()))
    x_theirs = torch.from_numpy(x).requires_grad_(layer.input_grad)
    grad_theirs = torch.from_numpy(grad)

    def theirs() -> None:
        theirs_module(x_theirs).backward(grad_theirs)

    def check() -> None:
        for p in module.parameters():
            p.grad = None
        theirs_module.zero_grad()
        x_ours.grad, x_theirs.grad = None, None
        out_ours, out_theirs = module(x_ours), theirs_module(x_theirs)
        out_ours.backward(grad_ours)
        out_theirs.backward(grad_theirs)
        pairs = [(out_ours.numpy(), out_theirs.detach().numpy())]
        pairs += [(p.grad.numpy(), q.grad.numpy()) for p, q in zip(module.parameters(), theirs_module.parameters())]
        if layer.input_grad:
            pairs.append((x_ours.grad.numpy(), x_theirs.grad.numpy()))
        for a, b in pairs:
            scale = np.abs(b).max() + 1e-6
            if np.abs(a - b).max() > 1e-4 * scale:
                raise AssertionError(f"{layer.describe()}: tinygan and torch disagree by {np.abs(a - b).max():.3g}")

    steps["torch"] = theirs
    return steps, check


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workload", choices=["W3", "W2", "all"], default="all")
    parser.add_argument("--iters", type=int, default=5, help="calls per timed round")
    parser.add_argument("--rounds", type=int, default=9, help="timed rounds per framework")
    parser.add_argument("--warmup", type=int, default=2, help="untimed calls first")
    parser.add_argument("--threads", type=int, default=2, help="PyTorch's thread count")
    parser.add_argument("--json", type=Path, help="also write the samples and the machine here")
    args = parser.parse_args(argv)

    torch = optional_torch()
    if torch is None:
        print("PyTorch is not installed: timing tinygan alone (pip install torch to compare)")
    else:
        torch.set_num_threads(args.threads)
    layers = [layer for name, ls in WORKLOADS.items() if args.workload in (name, "all") for layer in ls]

    print(f"{'layer (forward + backward)':58s} {'tinygan ms':>10s} {'torch ms':>9s} {'ratio':>6s}")
    report: dict[str, Any] = {"machine": machine_info(torch), "layers": []}
    totals = {"tinygan": 0.0, "torch": 0.0}
    for layer in layers:
        steps, check = make_steps(layer, torch)
        check()
        samples = time_alternating(steps, args.iters, args.rounds, args.warmup)
        medians = {name: summarize(s)["median"] for name, s in samples.items()}
        for name, value in medians.items():
            totals[name] += value
        ratio = f"{medians['tinygan'] / medians['torch']:6.2f}" if "torch" in medians else ""
        theirs = f"{medians['torch']:9.2f}" if "torch" in medians else ""
        print(f"{layer.describe():58s} {medians['tinygan']:10.2f} {theirs:>9s} {ratio}", flush=True)
        report["layers"].append({"layer": layer.describe(), "samples": samples, "median": medians})
    if torch is not None:
        ratio = totals["tinygan"] / totals["torch"]
        print(f"{'total':58s} {totals['tinygan']:10.2f} {totals['torch']:9.2f} {ratio:6.2f}")
    print("machine: " + ", ".join(f"{k}={v}" for k, v in report["machine"].items()))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
