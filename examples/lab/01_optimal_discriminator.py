"""The optimal discriminator: D*(x) = p_data(x) / (p_data(x) + p_g(x)).

Hold the generator fixed, train a small tinygan MLP discriminator on samples from both
densities until it stops improving, and lay it over the formula.

    python examples/lab/01_optimal_discriminator.py [--out runs/lab] [--seed 0]

Prints max |D - D*| over the interval holding the central 95% of the samples D sees, and
the value of the game for the trained D and for D*; writes optimal_discriminator.png.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from tinygan.lab.densities import Mixture1D, central_interval, gaussian, grid  # noqa: E402
from tinygan.lab.divergence import game_value, optimal_game_value  # noqa: E402
from tinygan.lab.optimal_discriminator import (  # noqa: E402
    discriminator_gap,
    discriminator_probability,
    optimal_discriminator,
    train_discriminator,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("runs/lab"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=3000, help="discriminator training steps")
    args = parser.parse_args()

    # p_data: two bumps; p_g: the fixed generator's density, one wider bump in between.
    data, generated = Mixture1D([-1.5, 1.5], [0.5, 0.5]), gaussian(0.0, 1.2)
    x = grid()
    p_data, p_g = data.pdf(x), generated.pdf(x)

    # D*(x) = p_data / (p_data + p_g), straight from the formula.
    d_star = optimal_discriminator(p_data, p_g)

    # D trained on samples only: each step ascends a batch estimate of
    # V(D, G) = E_{p_data}[log D(x)] + E_{p_g}[log(1 - D(x))].
    D = train_discriminator(data, generated, steps=args.steps, batch_size=512, seed=args.seed)
    d = discriminator_probability(D, x)

    # Judge D where it saw samples: the central 95% of the mixture (p_data + p_g) / 2.
    interval = central_interval(0.5 * (p_data + p_g), x, mass=0.95)
    gap = discriminator_gap(d, d_star, x, interval)
    print(f"max |D - D*| on [{interval[0]:.2f}, {interval[1]:.2f}]: {gap:.4f}")
    print(f"V(D, G) = {game_value(p_data, p_g, d, x):.4f}   V(D*, G) = {optimal_game_value(p_data, p_g, x):.4f}")

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 4.5), sharex=True, height_ratios=(1, 1.4))
    top.fill_between(x, p_data, alpha=0.4, label="$p_{data}$")
    top.fill_between(x, p_g, alpha=0.4, label="$p_g$")
    top.set_ylabel("density")
    top.legend(loc="upper right")
    bottom.axvspan(*interval, color="0.93", label="central 95% of samples")
    bottom.plot(x, d_star, "k", lw=2, label="$D^*(x) = p_{data} / (p_{data} + p_g)$")
    bottom.plot(x, d, "C3--", lw=2, label=f"trained D (max gap {gap:.3f})")
    bottom.set_ylim(-0.02, 1.02)
    bottom.set_xlim(-4.5, 4.5)
    bottom.set_xlabel("x")
    bottom.set_ylabel("D(x)")
    bottom.legend(loc="lower center", fontsize=8)
    fig.tight_layout()
    args.out.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out / "optimal_discriminator.png", dpi=90)
    print(f"wrote {args.out / 'optimal_discriminator.png'}")


if __name__ == "__main__":
    main()
