"""Low-dose CT denoising with Pix2Pix, on simulated abdominal slices (about 10 minutes on a 2-core CPU).

The data come from the physics (``tinygan.data.medical``): random abdominal phantoms in HU are
projected (parallel beam), turned into photon counts Poisson(I0 exp(-p)) plus electronic noise,
and reconstructed by filtered back-projection at two doses: I0 = 1e5 (full dose, the target)
and 1e4 (low dose, the input, about 3.7x noisier). On held-out phantoms the script compares

    low-dose FBP        the input itself (ramp filter)
    FBP, Hann filter    the classical fix: a smoother reconstruction filter, no learning
    U-Net, L1 alone     ``l1_step``: regression; removes the noise and the texture with it
    Pix2Pix             ``pix2pix_step``: L1 + a PatchGAN, which puts a CT-like texture back

The PatchGAN judges 16x16 patches by default (``--n-layers 1``): of a 64x64 slice that is the
share the paper's 70x70 patches are of its 256x256 images; the 70x70 one (``--n-layers 3``)
already sees the whole 64x64 slice, the paper's ImageGAN end. ``--n-layers 1 3`` trains both.

and reports PSNR and SSIM in the abdominal window [-160, 240] HU (data range 400) and RMSE in
HU, over several training seeds, and the noise power spectrum of each output's texture
(output - noiseless reconstruction) against the full-dose noise's; the table sums it up as the
fine-grain power (above 0.35 cycles/pixel) relative to the full dose's: 1 is a full-dose grain,
below 1 over-smoothed.

    python examples/ldct_denoising.py                      # one seed: pictures and numbers in runs/ldct/
    python examples/ldct_denoising.py --seeds 0 1 2        # the table in docs/medical.md
    python examples/ldct_denoising.py --steps 300          # a quick look

Trained generators are checkpointed in runs/ldct/<method>_seed<k>/; rerunning the same
command continues or reuses them.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import tinygan
from tinygan.data import load_dataset
from tinygan.data.medical import ABDOMEN_WINDOW, hu_to_unit, make_ldct, pixel_size_cm, project, reconstruct, unit_to_hu
from tinygan.data.paired import PairedBatches
from tinygan.gan import Trainer, l1_step, pix2pix_step, sample
from tinygan.metrics import hu_metrics, noise_power_spectrum
from tinygan.models import PatchGANDiscriminator, UNetGenerator
from tinygan.optim import Adam
from tinygan.runs import linear_decay_schedulers

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--steps", type=int, default=3000, help="training steps of each network (3000)")
parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="training seeds (weights and batch order)")
parser.add_argument("--n-train", type=int, default=512, help="training phantoms (512)")
parser.add_argument("--n-test", type=int, default=64, help="held-out phantoms (64)")
parser.add_argument("--ngf", type=int, default=32, help="U-Net and PatchGAN base width (32; the reference's 64)")
parser.add_argument("--n-layers", type=int, nargs="+", default=[1], help="PatchGAN depths to train (1: 16x16 patches)")
parser.add_argument("--out", default="runs/ldct")
parser.add_argument("--device", default="cpu")
args = parser.parse_args()
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)
lo, hi = ABDOMEN_WINDOW  # every PSNR/SSIM below is in this window

# ---------------------------------------------------------------- data (cached after the first build)
print("simulating the scans (cached after the first run) ...")
train = load_dataset("ldct", args.n_train, seed=0)  # A: low-dose FBP, B: full-dose FBP, in [-1, 1]
test = make_ldct(args.n_test, seed=1)  # other phantoms: phantom_hu, full_hu, low_hu, low_hann_hu
noiseless = reconstruct(project(test.phantom_hu))  # FBP without noise: what the full dose scatters around
full_noise = test.full_hu - noiseless


# ---------------------------------------------------------------- training: the step, visibly
def train_generator(method: str, seed: int, n_layers: int = 1) -> UNetGenerator:
    """A U-Net denoiser trained with ``l1_step`` ("l1") or ``pix2pix_step`` ("pix2pix", with a
    PatchGAN of ``n_layers``)."""
    tinygan.manual_seed(seed)
    G = UNetGenerator(1, 1, num_downs=6, ngf=args.ngf).to(args.device)  # 64 -> 1 at the bottleneck
    D = PatchGANDiscriminator(1 + 1, ndf=args.ngf, n_layers=n_layers).to(args.device)  # sees (low dose, candidate)
    opt_G = Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_D = Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    schedulers = linear_decay_schedulers((opt_G, opt_D), args.steps, 0.5)  # constant, then linearly to 0
    batches = PairedBatches(train, batch_size=1, device=args.device)  # no flips: a body has a left and a right

    def step() -> dict[str, float]:
        low, full = batches()
        if method == "l1":
            return l1_step(G, opt_G, low, full)
        return pix2pix_step(G, D, opt_G, opt_D, low, full, lambda_l1=100.0)

    if method == "l1":  # no D to train or to checkpoint
        schedulers = {"g_scheduler": schedulers["g_scheduler"]}
        trainer = Trainer(step, {"generator": G}, {"g_optimizer": opt_G}, schedulers)
    else:
        networks, optimizers = {"generator": G, "discriminator": D}, {"g_optimizer": opt_G, "d_optimizer": opt_D}
        trainer = Trainer(step, networks, optimizers, schedulers)
    run = method if method == "l1" else f"{method}_{D.receptive_field}px"
    checkpoint = out / f"{run}_seed{seed}" / "checkpoint.npz"
    checkpoint.parent.mkdir(exist_ok=True)
    if checkpoint.exists():
        trainer.load(checkpoint)
    start, first = time.perf_counter(), trainer.step
    while trainer.step < args.steps:
        m = trainer.train_step()
        if trainer.step % 500 == 0 or trainer.step == args.steps:
            rate = (trainer.step - first) / (time.perf_counter() - start)
            gan = f" G_GAN {m['loss_g_gan']:.3f} D(A,B) {m['d_real']:.2f}" if method == "pix2pix" else ""
            print(f"  {method} seed {seed} [{trainer.step}/{args.steps}] L1 {m['loss_g_l1']:.4f}{gan} ({rate:.1f}/s)")
            trainer.save(checkpoint)
    return G


def denoise(G: UNetGenerator, low_hu: np.ndarray) -> np.ndarray:
    """G on every slice (evaluation mode), HU in and out."""
    outputs = [sample(G, tinygan.tensor(hu_to_unit(low_hu[i : i + 16])[:, None], device=args.device)).numpy()
               for i in range(0, len(low_hu), 16)]  # fmt: skip
    return unit_to_hu(np.concatenate(outputs)[:, 0])


# ---------------------------------------------------------------- evaluation
def pix2pix_name(n_layers: int) -> str:
    patch = PatchGANDiscriminator(2, 1, n_layers, "none").receptive_field
    return f"Pix2Pix, {patch}x{patch} PatchGAN"


results: dict[str, list[dict]] = {"low-dose FBP": [], "FBP, Hann filter": [], "U-Net, L1 alone": []}
results |= {pix2pix_name(n): [] for n in args.n_layers}
outputs: dict[str, np.ndarray] = {"low-dose FBP": test.low_hu, "FBP, Hann filter": test.low_hann_hu}
pixel_mm = 10 * pixel_size_cm(test.full_hu.shape[-1])


def score(name: str, output_hu: np.ndarray) -> None:
    metrics = hu_metrics(output_hu, test.full_hu, window=ABDOMEN_WINDOW)
    freq, nps = noise_power_spectrum(output_hu - noiseless, pixel_size=pixel_mm)
    results[name].append({k: metrics[k] for k in ("psnr", "ssim", "rmse")} | {"nps": nps.tolist(),
                                                                             "freq": freq.tolist()})  # fmt: skip


for name in outputs:
    score(name, outputs[name])
for seed in args.seeds:
    for method, n_layers in [("l1", 1)] + [("pix2pix", n) for n in args.n_layers]:
        name = "U-Net, L1 alone" if method == "l1" else pix2pix_name(n_layers)
        print(f"training {name}, seed {seed} ({args.steps} steps) ...")
        outputs[name] = denoise(train_generator(method, seed, n_layers), test.low_hu)
        score(name, outputs[name])
freq, full_nps = noise_power_spectrum(full_noise, pixel_size=pixel_mm)

# ---------------------------------------------------------------- report
lines = [
    f"Held-out phantoms: {args.n_test}; PSNR and SSIM in the window [{lo:g}, {hi:g}] HU (data range {hi - lo:g}); "
    f"RMSE in HU over the whole slice; mean ± std over seeds {args.seeds}; target: full-dose FBP.",
    "",
    "| method | PSNR (dB) | SSIM | RMSE (HU) | fine-grain texture / full dose's |",
    "|---|---:|---:|---:|---:|",
]
for name, runs in results.items():
    cols = []
    for key, fmt in (("psnr", "{:.2f}"), ("ssim", "{:.4f}"), ("rmse", "{:.1f}")):
        values = np.array([r[key] for r in runs])
        cols.append(fmt.format(values.mean()) + (f" ± {fmt.format(values.std())}" if len(values) > 1 else ""))
    # the output's noise power above 0.35 cycles/pixel against the full-dose noise's: 1 = the grain of a
    # full-dose scan, below 1 = smoother (over-smoothed), above 1 = noisier
    fine = freq > 0.35 / pixel_mm
    texture = np.mean([np.sum(np.array(r["nps"])[fine]) for r in runs]) / np.sum(full_nps[fine])
    lines.append(f"| {name} | {' | '.join(cols)} | {texture:.2f} |")
report = "\n".join(lines)
print("\n" + report)
(out / "results.md").write_text(report + "\n")
(out / "results.json").write_text(json.dumps({"settings": vars(args), "results": results, "freq": freq.tolist(),
                                              "full_dose_nps": full_nps.tolist()}, indent=1))  # fmt: skip

# Pictures: one held-out slice in the window, each method, its error, and a zoom on the liver side.
figure_slices = {"low-dose FBP": test.low_hu, "FBP, Hann": test.low_hann_hu, "U-Net, L1": outputs["U-Net, L1 alone"]}
figure_slices |= {name.replace(" PatchGAN", ""): outputs[name] for name in map(pix2pix_name, args.n_layers)}
figure_slices["full dose (target)"] = test.full_hu
try:
    import matplotlib

    matplotlib.use("Agg")  # files only, no window
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
    print('matplotlib is missing, so no pictures: pip install "tinygan[medical]"')
if plt is not None:
    i, size = 0, test.full_hu.shape[-1]
    zoom = (slice(size // 4, size // 2 + size // 8), slice(size // 8, size // 2))
    figure, axes = plt.subplots(3, len(figure_slices), figsize=(2.2 * len(figure_slices), 6.6))
    for column, (name, slices) in enumerate(figure_slices.items()):
        axes[0, column].imshow(slices[i], cmap="gray", vmin=lo, vmax=hi)
        axes[0, column].set_title(name, fontsize=9)
        axes[1, column].imshow(slices[i] - test.full_hu[i], cmap="RdBu_r", vmin=-150, vmax=150)
        axes[2, column].imshow(slices[i][zoom], cmap="gray", vmin=lo, vmax=hi, interpolation="nearest")
        for row in axes[:, column]:
            row.set_xticks([])
            row.set_yticks([])
    axes[0, 0].set_ylabel(f"[{lo:g}, {hi:g}] HU", fontsize=8)
    axes[1, 0].set_ylabel("minus full dose (±150 HU)", fontsize=8)
    axes[2, 0].set_ylabel("zoom", fontsize=8)
    figure.subplots_adjust(left=0.04, right=0.99, bottom=0.01, top=0.94, wspace=0.04, hspace=0.04)
    figure.savefig(out / "ldct_denoising.png")

    figure, ax = plt.subplots(figsize=(5.5, 3.8))
    ax.semilogy(freq, full_nps, "k--", label="full-dose noise")
    for name in results:
        ax.semilogy(freq, np.mean([r["nps"] for r in results[name]], axis=0), label=f"{name}: output - noiseless")
    ax.set_xlabel("spatial frequency (cycles/mm)")
    ax.set_ylabel("NPS (HU² mm²)")
    ax.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(out / "ldct_nps.png")
print(f"\npictures: {out / 'ldct_denoising.png'}, {out / 'ldct_nps.png'}; numbers: {out / 'results.md'}")
