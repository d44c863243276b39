"""Pix2Pix (Isola et al. 2017) on the built-in facades: label map -> photo, a few minutes on a CPU.

The whole method in one loop: G (a U-Net) translates a label map A into a photo; D (a 70x70
PatchGAN) judges pairs (A, B) patch by patch; ``pix2pix_step`` does D's update, then G's with
loss BCE(D(A, G(A)), real) + 100 |G(A) - B|_1. With ``--no-gan`` G learns from L1 alone, the
paper's baseline: the structure right, the texture (bricks, tiles, clouds, random in every
photo) averaged into a blur.

    python examples/pix2pix_facades.py                  # 1500 steps, pictures in runs/pix2pix_facades/
    python examples/pix2pix_facades.py --no-gan         # the L1 baseline, for comparison
    python examples/pix2pix_facades.py --resume         # continue from the checkpoint
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import tinygan
from tinygan import viz
from tinygan.data import load_dataset
from tinygan.data.paired import PairedBatches
from tinygan.gan import Trainer, l1_step, pix2pix_step, sample
from tinygan.models import PatchGANDiscriminator, UNetGenerator
from tinygan.optim import Adam
from tinygan.runs import linear_decay_schedulers

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--steps", type=int, default=1500)
parser.add_argument("--no-gan", action="store_true", help="train G on L1 alone (no discriminator)")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--out", default=None, help="default runs/pix2pix_facades (or ..._l1 with --no-gan)")
parser.add_argument("--resume", action="store_true")
parser.add_argument("--device", default="cpu")
args = parser.parse_args()
out = Path(args.out or ("runs/pix2pix_facades_l1" if args.no_gan else "runs/pix2pix_facades"))
out.mkdir(parents=True, exist_ok=True)

# Data: 1000 training pairs, and 4 held-out ones for the pictures (another seed: other facades).
train = load_dataset("facades-synth", 1000, seed=args.seed)
held_out = load_dataset("facades-synth", 4, seed=args.seed + 10_000)
batches = PairedBatches(train, batch_size=1, flip=True, device=args.device)  # the reference's batch 1

# Networks: unet with 6 downsamplings (64 -> 1) and the 70x70 PatchGAN on the 6-channel pair, at
# half the reference's width (ngf = ndf = 32) so a CPU run takes minutes.
tinygan.manual_seed(args.seed)
G = UNetGenerator(3, 3, num_downs=6, ngf=32).to(args.device)
D = PatchGANDiscriminator(3 + 3, ndf=32, n_layers=3).to(args.device)
g_optimizer = Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
d_optimizer = Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
# The reference's schedule: the learning rate constant for half the run, then linearly to 0.
schedulers = linear_decay_schedulers((g_optimizer, d_optimizer), args.steps, decay_share=0.5)


def step() -> dict[str, float]:
    real_A, real_B = batches()
    if args.no_gan:
        return l1_step(G, g_optimizer, real_A, real_B)
    return pix2pix_step(G, D, g_optimizer, d_optimizer, real_A, real_B, lambda_l1=100.0)


networks = {"generator": G, "discriminator": D}
trainer = Trainer(step, networks, {"g_optimizer": g_optimizer, "d_optimizer": d_optimizer}, schedulers)
checkpoint = out / "checkpoint.npz"
if args.resume and checkpoint.exists():
    trainer.load(checkpoint)
    print(f"resumed from {checkpoint} at step {trainer.step}")

A = tinygan.tensor(held_out.a, device=args.device)


def picture(name: str) -> float:
    """Rows of label map | G's photo | the real photo for the held-out pairs; returns their L1."""
    fake = sample(G, A).numpy()
    viz.save_translation_grid(held_out.a, fake, held_out.b, out / name)
    return float(np.abs(fake - held_out.b).mean())


start, first = time.perf_counter(), trainer.step
while trainer.step < args.steps:
    m = trainer.train_step()
    if trainer.step % 100 == 0 or trainer.step == args.steps:
        rate = (trainer.step - first) / (time.perf_counter() - start)
        gan = "" if args.no_gan else f" G_GAN {m['loss_g_gan']:.3f} D(A,B) {m['d_real']:.2f} D(G) {m['d_fake']:.2f}"
        print(f"[{trainer.step}/{args.steps}] G_L1 {m['loss_g_l1']:.4f}{gan}  ({rate:.1f} steps/s)")
    if trainer.step % 500 == 0 or trainer.step == args.steps:
        m["held_out_l1"] = picture(f"samples_step{trainer.step:06d}.png")
        trainer.save(checkpoint)

print(f"held-out L1 {picture('samples_final.png'):.4f}; pictures in {out}/")
losses = (("loss_g_l1", "L1"),) if args.no_gan else (("loss_d", "Loss_D"), ("loss_g_gan", "G_GAN"), ("loss_g_l1", "L1"))
probabilities = () if args.no_gan else (("d_real", "D(A, B)"), ("d_fake", "D(A, G(A))"))
viz.save_loss_curves(trainer.history, out / "losses.png", "Pix2Pix on facades-synth", losses, probabilities)
