"""The original GAN (Goodfellow et al. 2014) on 28x28 digits, with the library API.

Procedurally drawn digits need no download; pass --mnist PATH (a directory of IDX files or
mnist.npz) to train on MNIST instead. Fully connected networks see each image as a vector of
784 numbers in [-1, 1], so G ends in a Tanh. Recognisable strokes appear after a few thousand
steps (several minutes on a CPU).

    python examples/mlp_gan_digits.py [--steps 3000] [--mnist PATH] [--out runs/example_digits] [--resume]
"""

import argparse
from pathlib import Path

import numpy as np

import tinygan
from tinygan import viz
from tinygan.data import load_dataset
from tinygan.gan import MLPDiscriminator, MLPGenerator, RandomBatches, Trainer, gan_step, gaussian_noise, sample
from tinygan.optim import Adam

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--steps", type=int, default=3000)
parser.add_argument("--mnist", help="MNIST IDX directory or mnist.npz (default: procedural digits)")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--out", default="runs/example_digits")
parser.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.npz")
args = parser.parse_args()
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)
tinygan.manual_seed(args.seed)

if args.mnist:
    data = load_dataset("mnist", None, path=args.mnist)
else:
    print("drawing 10000 digits ...")
    data = load_dataset("digits", 10_000, seed=args.seed)
print(f"{len(data)} images of shape {data.x.shape[1:]}, values in [{data.x.min():.0f}, {data.x.max():.0f}]")

latent_dim = 64
real_batch, noise = RandomBatches(data.x, batch_size=64), gaussian_noise(latent_dim)
G = MLPGenerator(latent_dim, out_shape=(1, 28, 28), hidden=(256, 512), output="tanh")
D = MLPDiscriminator(in_shape=(1, 28, 28), hidden=(512, 256), dropout=0.3)
g_optimizer = Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
d_optimizer = Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))

# One training step: D's update on a real batch and G's fakes, then G's update (Algorithm 1, k = 1).
trainer = Trainer(
    step=lambda: gan_step(G, D, g_optimizer, d_optimizer, real_batch, noise),
    networks={"generator": G, "discriminator": D},
    optimizers={"g_optimizer": g_optimizer, "d_optimizer": d_optimizer},
)
checkpoint = out / "checkpoint.npz"
if args.resume:
    trainer.load(checkpoint)
    print(f"resumed from {checkpoint} at step {trainer.step}")

fixed_z = tinygan.tensor(np.random.default_rng(1).standard_normal((64, latent_dim)).astype(np.float32))
while trainer.step < args.steps:
    m = trainer.train_step()  # gan_step: D's update, then G's
    if trainer.step % 250 == 0 or trainer.step == args.steps:
        # D(x) near 1 and D(G(z)) near 0 for long means D is winning and G's gradient is weak;
        # both near 0.5 means neither can tell real from fake (the game's equilibrium).
        print(
            f"[{m['step']}/{args.steps}] Loss_D: {m['loss_d']:.3f} Loss_G: {m['loss_g']:.3f} "
            f"D(x): {m['d_x']:.3f} D(G(z)): {m['d_g_z1']:.3f} / {m['d_g_z2']:.3f}"
        )
        viz.save_image_grid(sample(G, fixed_z).numpy(), out / f"samples_step{trainer.step:06d}.png", scale=2)
        trainer.save(checkpoint)

viz.save_image_grid(sample(G, fixed_z).numpy(), out / "samples_final.png", scale=2)
viz.save_image_grid(data.x[:64], out / "real.png", scale=2)
viz.save_loss_curves(trainer.history, out / "losses.png")
trainer.save(checkpoint)
print(f"pictures in {out}/ (real.png shows real digits for comparison)")
