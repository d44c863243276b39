"""The Pix2Pix paper's ablations (Isola et al. 2017, Tables 1-3), on low-dose CT denoising at 64x64.

Each row changes one thing of Pix2Pix (U-Net + 70x70 PatchGAN + L1 + cGAN) and is trained with
the same steps and seeds, through the same code as ``tinygan train pix2pix --data ldct``:

    objective       L1 alone, cGAN alone (lambda_l1 = 0), L1 + cGAN
    generator       U-Net against the same network without its skips (encoder-decoder)
    discriminator   1x1 PixelGAN, 16x16 and 34x34 PatchGANs, and the 70x70 one, which at 64x64
                    already sees the whole image: here it *is* the ImageGAN end

Scored on held-out phantoms: PSNR/SSIM in the window [-160, 240] HU and RMSE in HU against the
full-dose FBP, and one number per frequency band. Low frequencies (organs, edges): the RMSE in
HU between the output and the target after both are blurred (Gaussian, sigma 2 pixels): are
things where the target has them? High frequencies (noise grain, fine detail, above 0.35
cycles/pixel): the output's power there divided by the target's: 1 is as much texture as a
full-dose scan, below 1 is smoother. "L1 takes the low frequencies, the PatchGAN the high
ones" is a claim about those two numbers.

    python examples/pix2pix_ablations.py                       # 2 seeds x 7 rows, ~20 min on 2 cores
    python examples/pix2pix_ablations.py --steps 300 --seeds 0 # a quick look
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import tinygan
from tinygan.cli_pix2pix import BUILT_IN, BUILT_IN_DEFAULTS, REFERENCE, build_trainer, resolve_geometry
from tinygan.data import load_dataset
from tinygan.data.medical import ABDOMEN_WINDOW, HU_RANGE, unit_to_hu
from tinygan.gan import sample
from tinygan.metrics import gaussian_filter2d, hu_metrics, radial_power_spectrum, rmse

ROWS = {  # name -> what differs from Pix2Pix (see cli_pix2pix.SETTINGS)
    "L1": dict(gan=False),
    "cGAN": dict(lambda_l1=0.0),
    "L1 + cGAN (Pix2Pix)": dict(),
    "encoder-decoder, L1 + cGAN": dict(generator="encoder-decoder"),
    "PixelGAN 1x1": dict(discriminator="pixel"),
    "PatchGAN 16x16": dict(n_layers=1),
    "PatchGAN 34x34": dict(n_layers=2),
}
LOW_PASS_SIGMA, HIGH_BAND = 2.0, 0.35  # pixels; cycles per pixel

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--steps", type=int, default=1500)
parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
parser.add_argument("--ngf", type=int, default=16, help="width of G and D (16: a CPU budget)")
parser.add_argument("--n-test", type=int, default=32)
parser.add_argument("--out", default="runs/ablations")
args = parser.parse_args()
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)

train = load_dataset("ldct", 512, seed=0)
test = load_dataset("ldct", args.n_test, seed=1)  # held-out phantoms
target_hu = unit_to_hu(test.b[:, 0])
freq, target_power = radial_power_spectrum(target_hu)
high = freq > HIGH_BAND
target_low = gaussian_filter2d(target_hu, win_size=13, sigma=LOW_PASS_SIGMA)


def band_scores(output_hu: np.ndarray) -> dict[str, float]:
    """The low band's error (RMSE in HU of the blurred images) and the high band's power ratio."""
    low_rmse = rmse(gaussian_filter2d(output_hu, win_size=13, sigma=LOW_PASS_SIGMA), target_low)
    _, power = radial_power_spectrum(output_hu)
    return {"low_band_rmse": low_rmse, "high_band_power": float(power[high].sum() / target_power[high].sum())}


results: dict[str, list[dict]] = {name: [] for name in ROWS}
pictures: dict[str, np.ndarray] = {}
outputs: dict[str, np.ndarray] = {}  # every output, saved for other analyses
for name, change in ROWS.items():
    for seed in args.seeds:
        settings = {**REFERENCE, **BUILT_IN, **BUILT_IN_DEFAULTS["ldct"], "ngf": args.ngf, "ndf": args.ngf,
                    "data": "ldct", "seed": seed, **change}  # fmt: skip
        resolve_geometry(settings, train)
        trainer = build_trainer(settings, train, args.steps, "cpu")
        for _ in range(args.steps):
            trainer.train_step()
        output = unit_to_hu(sample(trainer.networks["generator"], tinygan.tensor(test.a)).numpy()[:, 0])
        scores = hu_metrics(output, target_hu, window=ABDOMEN_WINDOW)
        results[name].append({k: scores[k] for k in ("psnr", "ssim", "rmse")} | band_scores(output))
        pictures.setdefault(name, output[0])
        outputs[f"{name} | seed {seed}"] = output
        print(f"{name}, seed {seed}: " + ", ".join(f"{k} {v:.3f}" for k, v in results[name][-1].items()))

lo, hi = ABDOMEN_WINDOW
lines = [
    f"LDCT denoising at 64x64, {args.steps} steps, ngf = ndf = {args.ngf}, seeds {args.seeds}; "
    f"{args.n_test} held-out phantoms; PSNR/SSIM in [{lo:g}, {hi:g}] HU; low band: RMSE (HU) after a "
    f"Gaussian blur of {LOW_PASS_SIGMA:g} px; high band: power above {HIGH_BAND} cycles/pixel, output / target.",
    "",
    "| variant | PSNR (dB) | SSIM | RMSE (HU) | low band: blurred RMSE (HU) | high band: power / target's |",
    "|---|---:|---:|---:|---:|---:|",
]
for name, runs in results.items():
    cells = []
    for key, fmt in (("psnr", "{:.2f}"), ("ssim", "{:.3f}"), ("rmse", "{:.1f}"), ("low_band_rmse", "{:.1f}"),
                     ("high_band_power", "{:.2f}")):  # fmt: skip
        values = np.array([r[key] for r in runs])
        cells.append(fmt.format(values.mean()) + (f" ± {fmt.format(values.std())}" if len(values) > 1 else ""))
    lines.append(f"| {name} | " + " | ".join(cells) + " |")
report = "\n".join(lines)
print("\n" + report)
(out / "ablations.md").write_text(report + "\n")
(out / "ablations.json").write_text(json.dumps({"settings": vars(args), "results": results}, indent=1))
np.savez_compressed(out / "outputs.npz", target_hu=target_hu, **outputs)

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
if plt is not None:
    panels = {"low dose (input)": unit_to_hu(test.a[0, 0]), **pictures, "full dose (target)": target_hu[0]}
    figure, axes = plt.subplots(1, len(panels), figsize=(1.9 * len(panels), 2.3))
    for ax, (name, image) in zip(axes, panels.items()):
        ax.imshow(np.clip(image, *HU_RANGE), cmap="gray", vmin=lo, vmax=hi)
        ax.set_title(name.replace(", ", ",\n"), fontsize=7)
        ax.set_xticks([])
        ax.set_yticks([])
    figure.tight_layout()
    figure.savefig(out / "ablations.png", dpi=110)
print(f"\ntable: {out / 'ablations.md'}; picture: {out / 'ablations.png'}")
