"""The value of the game at D* is a Jensen-Shannon divergence: V(D*, G) = -log 4 + 2 JSD(p_data || p_g).

Both sides are integrals of known 1-D densities, computed by quadrature: the left side puts
D* = p_data / (p_data + p_g) into V, the right side never mentions a discriminator.

    python examples/lab/02_jensen_shannon.py [--out runs/lab] [--seed 0]

Prints both sides for several generator densities (p_g = p_data among them, where the value
is -log 4) and the largest difference; writes jensen_shannon.png.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from tinygan.lab.densities import Mixture1D, gaussian, grid  # noqa: E402
from tinygan.lab.divergence import js_divergence, jsd_prediction, optimal_game_value  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("runs/lab"))
    parser.add_argument("--seed", type=int, default=0, help="unused: everything here is exact quadrature")
    args = parser.parse_args()

    x = grid(-20.0, 20.0, 8001)  # wide enough for the far-away generator below
    data = Mixture1D([-1.5, 1.5], [0.5, 0.5])
    p_data = data.pdf(x)

    # A few generators, from perfect to hopeless.
    generators = {
        "p_g = p_data": data,
        "bumps at +-1": Mixture1D([-1.0, 1.0], [0.5, 0.5]),
        "N(0, 1.2^2)": gaussian(0.0, 1.2),
        "one bump, N(1.5, 0.5^2)": gaussian(1.5, 0.5),
        "N(4, 1)": gaussian(4.0, 1.0),
        "N(10, 1), far away": gaussian(10.0, 1.0),
    }
    print(f"{'generator':26s} {'V(D*, G)':>10s} {'-log4 + 2 JSD':>14s} {'JSD / log 2':>12s}")
    worst = 0.0
    for name, generated in generators.items():
        p_g = generated.pdf(x)
        value, predicted = optimal_game_value(p_data, p_g, x), jsd_prediction(p_data, p_g, x)
        worst = max(worst, abs(value - predicted))
        print(f"{name:26s} {value:10.6f} {predicted:14.6f} {js_divergence(p_data, p_g, x) / math.log(2):12.4f}")
    print(f"-log 4 = {-math.log(4):.6f}; largest |V(D*, G) - (-log 4 + 2 JSD)| = {worst:.1e}")

    # A family of generators that passes through p_data: two bumps at +-t; t = 1.5 is p_data.
    ts = np.linspace(0.0, 4.0, 81)
    values, predictions = [], []
    for t in ts:
        p_g = Mixture1D([-t, t], [0.5, 0.5]).pdf(x)
        values.append(optimal_game_value(p_data, p_g, x))
        predictions.append(jsd_prediction(p_data, p_g, x))

    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.plot(ts, predictions, "k", lw=2, label=r"$-\log 4 + 2\,\mathrm{JSD}(p_{data}\,\|\,p_g)$")
    ax.plot(ts[::5], values[::5], "C3o", ms=5, label=r"$V(D^*, G)$ by quadrature")
    ax.axhline(-math.log(4), color="C0", ls=":", label=r"$-\log 4$ (reached at $p_g = p_{data}$, t = 1.5)")
    ax.axhline(0.0, color="0.5", ls=":", lw=1)
    ax.set_xlabel(r"generator $p_g$ = two bumps at $\pm t$ (data: bumps at $\pm 1.5$)")
    ax.set_ylabel("value of the game")
    ax.legend(fontsize=8, loc="upper center")
    fig.tight_layout()
    args.out.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out / "jensen_shannon.png", dpi=90)
    print(f"wrote {args.out / 'jensen_shannon.png'}")


if __name__ == "__main__":
    main()
