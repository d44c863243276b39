"""Mode collapse: how many modes of the ring (8) and grid (25) mixtures G covers as it trains,
for k = 1 and k = 5 discriminator steps per generator step (Algorithm 1's k).

A mode is covered when at least 20 of 2500 samples land within 3 std of its center (the rule
of VEEGAN and PacGAN); ``tinygan.data.mode_coverage`` does the counting.

    python examples/lab/04_mode_collapse.py [--out runs/lab] [--seed 0] [--steps 2000]

Prints modes covered over time for each run; writes mode_collapse.png (snapshots of G's
samples) and mode_coverage.png (modes covered against generator steps).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from tinygan.data import load_dataset  # noqa: E402
from tinygan.lab.mode_collapse import point_gan, track_coverage  # noqa: E402

KS = (1, 5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("runs/lab"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=2000, help="generator steps per run")
    args = parser.parse_args()

    every = max(1, args.steps // 20)
    snapshot_steps = tuple(int(s) for s in np.linspace(0, args.steps, 5)[1:] // every * every)
    runs = {}
    for name in ("ring", "grid"):
        data = load_dataset(name, 20000, seed=args.seed)
        for k in KS:
            # Same seed, same initial G and D: only k differs. Non-saturating G loss, Adam.
            trainer = point_gan(data, k=k, seed=args.seed)
            runs[name, k] = (data, track_coverage(trainer, data, args.steps, every, snapshot_steps=snapshot_steps))
            r = runs[name, k][1]
            print(f"{name} k={k}: modes covered (of {len(data.centers)}) at steps {r['step'][0]}..{r['step'][-1]} "
                  f"every {every}: {' '.join(map(str, r['modes_covered']))}")  # fmt: skip
            last_half = r["modes_covered"][len(r["step"]) // 2 :]
            print(f"    mean over the second half {last_half.mean():.1f}, max {r['modes_covered'].max()}, "
                  f"final high-quality share {r['high_quality_share'][-1]:.2f}")  # fmt: skip

    # Snapshots: one row per run, one column per snapshot step.
    fig, axes = plt.subplots(len(runs), len(snapshot_steps), figsize=(2.2 * len(snapshot_steps), 2.2 * len(runs)))
    for row, ((name, k), (data, r)) in zip(axes, runs.items()):
        lim = np.abs(data.centers).max() + 1.5
        for ax, step in zip(row, snapshot_steps):
            samples = r["snapshots"][step][:1000]
            covered = r["modes_covered"][list(r["step"]).index(step)]
            ax.scatter(samples[:, 0], samples[:, 1], s=1, alpha=0.4, color="C0", rasterized=True)
            ax.scatter(data.centers[:, 0], data.centers[:, 1], s=12, marker="x", color="C3")
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{name} k={k} step {step}: {covered}/{len(data.centers)}", fontsize=8)
    fig.tight_layout()
    args.out.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out / "mode_collapse.png", dpi=70)

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for ax, name in zip(axes, ("ring", "grid")):
        for k, style in zip(KS, ("C3-o", "C0-s")):
            data, r = runs[name, k]
            ax.plot(r["step"], r["modes_covered"], style, ms=3, label=f"k = {k}")
        ax.set_ylim(-0.5, len(data.centers) + 0.5)
        ax.axhline(len(data.centers), color="0.6", ls=":", lw=1)
        ax.set_title(f"{name}: {len(data.centers)} modes", fontsize=10)
        ax.set_xlabel("generator step")
        ax.set_ylabel("modes covered")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out / "mode_coverage.png", dpi=80)
    print(f"wrote {args.out / 'mode_collapse.png'} and {args.out / 'mode_coverage.png'}")


if __name__ == "__main__":
    main()
