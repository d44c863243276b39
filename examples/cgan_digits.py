"""Conditional GAN (Mirza & Osindero 2014) on digits: ask for a class, get that class.

Both networks see the one-hot label y; the sample grid has one row per class (the same ten
noise vectors in every row, so each column keeps its "style" while the row sets the digit).
Label consistency is measured with a small conv classifier trained by tinygan on the same
data: the share of samples generated for label y that it assigns to y.

    python examples/cgan_digits.py [--arch mlp|conv] [--steps 4000] [--out runs/cgan_digits] [--resume]
"""

import argparse
import time
from pathlib import Path

import numpy as np

import tinygan
from tinygan import functional as F
from tinygan import viz
from tinygan.data import load_dataset
from tinygan.gan import RandomBatches, Trainer, cgan_step, gaussian_noise, sample
from tinygan.models import (
    ConditionalDCGANDiscriminator,
    ConditionalDCGANGenerator,
    ConditionalMLPDiscriminator,
    ConditionalMLPGenerator,
    predict,
    train_classifier,
)
from tinygan.optim import Adam

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--arch", choices=("mlp", "conv"), default="mlp", help="the paper's MLPs, or DCGAN-style convs")
parser.add_argument("--steps", type=int, default=4000)
parser.add_argument("--batch-size", type=int, default=64)
parser.add_argument("--width", type=int, default=32, help="ngf = ndf for --arch conv")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--device", default="cpu", help="cpu, or cuda with CuPy installed")
parser.add_argument("--out", default="runs/cgan_digits")
parser.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.npz")
args = parser.parse_args()
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)
tinygan.manual_seed(args.seed)

data = load_dataset("digits", 10_000, seed=args.seed)
labels = F.one_hot(data.y, 10).numpy()
nz = 100
if args.arch == "mlp":
    images = data.x
    G, D = ConditionalMLPGenerator(nz, 10).to(args.device), ConditionalMLPDiscriminator(10).to(args.device)
else:  # DCGAN-32: pad 28x28 -> 32x32 with the background value
    images = np.pad(data.x, ((0, 0), (0, 0), (2, 2), (2, 2)), constant_values=-1.0)
    G = ConditionalDCGANGenerator(nz, 10, ngf=args.width, nc=1, image_size=32).to(args.device)
    D = ConditionalDCGANDiscriminator(10, ndf=args.width, nc=1, image_size=32).to(args.device)
# each real batch comes with its one-hot labels: real_batch() returns (x, y)
real_batch = RandomBatches(images, args.batch_size, condition=labels, device=args.device)
noise = gaussian_noise(nz, args.device)
g_optimizer = Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
d_optimizer = Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))

# One training step: (1) D's update on real pairs (x, y) against fakes (G(z, y), y) for the same
# labels, (2) G's update through D(G(z, y), y).
trainer = Trainer(
    step=lambda: cgan_step(G, D, g_optimizer, d_optimizer, real_batch, noise),
    networks={"generator": G, "discriminator": D},
    optimizers={"g_optimizer": g_optimizer, "d_optimizer": d_optimizer},
)
checkpoint = out / "checkpoint.npz"
if args.resume:
    trainer.load(checkpoint)
    print(f"resumed from {checkpoint} at step {trainer.step}")

# one row per class, the same ten noise vectors in every row
grid_z = np.tile(np.random.default_rng(1).standard_normal((10, nz)), (10, 1)).astype(np.float32)
grid_z = tinygan.tensor(grid_z, device=args.device)
grid_y = F.one_hot(np.repeat(np.arange(10), 10), 10).to(args.device)
start, first_step = time.perf_counter(), trainer.step
while trainer.step < args.steps:
    m = trainer.train_step()  # cgan_step: D's update, then G's
    if trainer.step % 200 == 0 or trainer.step == args.steps:
        rate = (time.perf_counter() - start) / (trainer.step - first_step)
        print(
            f"[{m['step']}/{args.steps}] Loss_D: {m['loss_d']:.3f} Loss_G: {m['loss_g']:.3f} "
            f"D(x): {m['d_x']:.3f} D(G(z)): {m['d_g_z1']:.3f} / {m['d_g_z2']:.3f}  ({rate:.3f} s/step)",
            flush=True,
        )
    if trainer.step % 1000 == 0 or trainer.step == args.steps:
        grid = sample(G, grid_z, grid_y).numpy()
        viz.save_image_grid(grid, out / f"samples_step{trainer.step:06d}.png", nrow=10, scale=2)
        trainer.save(checkpoint)
viz.save_image_grid(sample(G, grid_z, grid_y).numpy(), out / "samples_final.png", nrow=10, scale=2)
viz.save_loss_curves(trainer.history, out / "losses.png", title=f"conditional GAN ({args.arch}) on digits")

# Label consistency: a classifier trained on real digits (28x28 in [0, 1]... here in [-1, 1])
print("training the digit classifier for label consistency ...")
test = load_dataset("digits", 2000, seed=args.seed + 1)
classifier = train_classifier(data.x, data.y, epochs=2)
accuracy = float((predict(classifier, test.x) == test.y).mean())
wanted = np.repeat(np.arange(10), 100)
z = tinygan.tensor(np.random.default_rng(2).standard_normal((1000, nz)).astype(np.float32), device=args.device)
generated = sample(G, z, F.one_hot(wanted, 10).to(args.device)).numpy()
if generated.shape[-1] == 32:  # crop the DCGAN's padding back to the classifier's 28x28
    generated = generated[..., 2:30, 2:30]
consistency = float((predict(classifier, generated) == wanted).mean())
print(f"classifier test accuracy on real digits: {accuracy:.3f}")
print(f"label consistency of generated digits:   {consistency:.3f} (chance 0.100)")
