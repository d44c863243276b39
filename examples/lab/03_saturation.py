"""Saturating vs non-saturating generator loss.

Per fake sample, with D = sigmoid(logit a):

    minimax         log(1 - D(G(z)))    d/da = -D(G(z))         -> 0 when D rejects the fake
    non-saturating  -log D(G(z))        d/da = -(1 - D(G(z)))   -> -1 when D rejects the fake

1. Train D alone against a freshly initialised G on the ring of 8 Gaussians, so that D learns
   to reject G's samples, and measure after every D step the gradient norm reaching G's
   parameters under each loss, as a function of mean D(G(z)).
2. From that state (D already winning), train G with each loss for a few hundred steps and
   compare how fast G gets going: with SGD + momentum, as in Goodfellow et al. (2014), and
   with Adam, which rescales every step by a running gradient size.

    python examples/lab/03_saturation.py [--out runs/lab] [--seed 0]

Prints the ratio of the two gradient norms at D(G(z)) ~ 0.01 and, for each run, D(G(z)) and
the samples' mean distance to the nearest mode; writes saturation.png.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import tinygan  # noqa: E402
from tinygan.data import load_dataset  # noqa: E402
from tinygan.gan.trainer import RandomBatches, gaussian_noise  # noqa: E402
from tinygan.lab.mode_collapse import LATENT_DIM, point_gan, track_coverage  # noqa: E402
from tinygan.lab.saturation import saturation_curve  # noqa: E402

RUNS = {  # optimizer -> (learning rate, line style)
    "sgd": (5e-4, "-"),
    "adam": (1e-3, "--"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("runs/lab"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--d-steps", type=int, default=150, help="D steps against the frozen G (part 1)")
    parser.add_argument("--steps", type=int, default=300, help="G steps per run (part 2)")
    args = parser.parse_args()

    ring = load_dataset("ring", 20000, seed=args.seed)

    # 1. D learns to reject a fresh G; the same noise batch z is used for every measurement.
    start = point_gan(ring, seed=args.seed)
    G, D = start.networks["generator"], start.networks["discriminator"]
    z = tinygan.randn(512, LATENT_DIM)
    curve = saturation_curve(G, D, RandomBatches(ring.x, 256), gaussian_noise(LATENT_DIM), z, args.d_steps)
    i = int(np.argmin(np.abs(np.log(curve["d_g_z"] / 0.01))))  # the measurement nearest D(G(z)) = 0.01
    ratio = curve["minimax"][i] / curve["non-saturating"][i]
    print(f"at D(G(z)) = {curve['d_g_z'][i]:.4f}: |grad| minimax {curve['minimax'][i]:.4f}, "
          f"non-saturating {curve['non-saturating'][i]:.4f}, ratio {ratio:.4f}")  # fmt: skip
    print(f"after {args.d_steps} D steps: D(G(z)) = {curve['d_g_z'][-1]:.4f}")
    winning_d = D.state_dict()

    # 2. Same G, same winning D; only the generator loss (and the optimizer) differ.
    runs = {}
    for optimizer, (lr, _) in RUNS.items():
        for g_loss in ("minimax", "non-saturating"):
            trainer = point_gan(ring, g_loss=g_loss, optimizer=optimizer, lr=lr, seed=args.seed)
            trainer.networks["discriminator"].load_state_dict(winning_d)
            runs[optimizer, g_loss] = track_coverage(trainer, ring, args.steps, every=10)
            r = runs[optimizer, g_loss]
            e = min(10, len(r["step"]) - 1)  # the evaluation at step 100, or the last one of a shorter run
            print(f"{optimizer:4s} {g_loss:14s}  after {r['step'][e]} / {r['step'][-1]} G steps: "
                  f"D(G(z)) {r['d_g_z'][e]:.3f} / {r['d_g_z'][-1]:.3f}, "
                  f"distance to nearest mode {r['distance'][e]:.2f} / {r['distance'][-1]:.2f} "
                  f"(start {r['distance'][0]:.2f})")  # fmt: skip

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    ax = axes[0]
    ax.loglog(curve["d_g_z"], curve["minimax"], "C3.", ms=4, label=r"minimax $\log(1 - D(G(z)))$")
    ax.loglog(curve["d_g_z"], curve["non-saturating"], "C0.", ms=4, label=r"non-saturating $-\log D(G(z))$")
    ax.axvline(0.01, color="0.6", ls=":", lw=1)
    ax.set_xlabel("mean D(G(z))  (D trains against a frozen G)")
    ax.set_ylabel(r"$\|\partial L / \partial \theta_G\|$")
    ax.set_title(f"gradient reaching G (ratio {ratio:.3f} at 0.01)", fontsize=10)
    ax.legend(fontsize=8)
    for (optimizer, g_loss), r in runs.items():
        style = RUNS[optimizer][1]
        color = "C3" if g_loss == "minimax" else "C0"
        label = f"{g_loss}, {optimizer}"
        axes[1].semilogy(r["step"][1:], r["d_g_z"][1:], style, color=color, label=label)
        axes[2].plot(r["step"], r["distance"], style, color=color, label=label)
    axes[1].set_xlabel("generator step (D starts out winning)")
    axes[1].set_ylabel("mean D(G(z))")
    axes[1].legend(fontsize=8)
    axes[2].set_xlabel("generator step")
    axes[2].set_ylabel("mean distance to nearest mode")
    axes[2].set_yscale("log")
    fig.tight_layout()
    args.out.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out / "saturation.png", dpi=80)
    print(f"wrote {args.out / 'saturation.png'}")


if __name__ == "__main__":
    main()
