"""The original GAN (Goodfellow et al. 2014) on a ring of 8 Gaussians, with the library API.

The same run as ``tinygan demo``, written out: data, the two networks, Algorithm 1 as
``gan_step`` (tinygan/gan/steps.py), and the standard evaluation (modes covered, share of
samples within 3 std of a mode). About a minute on a laptop CPU.

    python examples/mlp_gan_ring.py [--steps 3000] [--out runs/example_ring] [--resume]
"""

import argparse
from pathlib import Path

import numpy as np

import tinygan
from tinygan import viz
from tinygan.data import load_dataset, mode_coverage
from tinygan.gan import MLPDiscriminator, MLPGenerator, RandomBatches, Trainer, gan_step, gaussian_noise, sample
from tinygan.optim import Adam, LambdaLR, linear_decay

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--steps", type=int, default=3000)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--out", default="runs/example_ring")
parser.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.npz")
args = parser.parse_args()
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)
tinygan.manual_seed(args.seed)

# 100,000 points from 8 Gaussians of std 0.02 on a circle of radius 2; batches of 512 drawn
# with replacement, and the noise prior p(z) = N(0, I) in 2 dimensions.
ring = load_dataset("ring", 100_000, seed=args.seed)
latent_dim = 2
real_batch, noise = RandomBatches(ring.x, batch_size=512), gaussian_noise(latent_dim)

# G maps 2-D noise to a 2-D point (a linear output: points are not limited to [-1, 1]);
# D maps a point to a logit. Both: two hidden layers of 128 units with LeakyReLU(0.2).
# D drops 30% of its hidden units while training, as in the original paper; without it,
# runs often leave one of the 8 modes nearly empty.
G = MLPGenerator(latent_dim, out_shape=(2,), hidden=(128, 128), output="linear")
D = MLPDiscriminator(in_shape=(2,), hidden=(128, 128), dropout=0.3)

# Adam with beta1 = 0.5 (DCGAN's choice for GANs). The learning rate stays at 1e-3 for the first
# 30% of training, then falls linearly to 0: the samples settle tightly onto the modes.
g_optimizer = Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
d_optimizer = Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
decay_steps = round(0.7 * args.steps)
schedule = linear_decay(args.steps - decay_steps, decay_steps)

# One training step is Algorithm 1: k updates of D (here k = 1), then one of G, with the
# non-saturating loss -log D(G(z)) (try g_loss="minimax" to see it stall early on). The trainer
# runs the step, steps the schedules, and keeps the history and the checkpoints.
trainer = Trainer(
    step=lambda: gan_step(G, D, g_optimizer, d_optimizer, real_batch, noise, k=1, g_loss="non-saturating"),
    networks={"generator": G, "discriminator": D},
    optimizers={"g_optimizer": g_optimizer, "d_optimizer": d_optimizer},
    schedulers={"g_scheduler": LambdaLR(g_optimizer, schedule), "d_scheduler": LambdaLR(d_optimizer, schedule)},
)
checkpoint = out / "checkpoint.npz"
if args.resume:
    trainer.load(checkpoint)  # weights, Adam state, schedules, random state, step and history
    print(f"resumed from {checkpoint} at step {trainer.step}")

# One fixed noise batch for the pictures and the evaluation, so they show G changing.
fixed_z = tinygan.tensor(np.random.default_rng(1).standard_normal((2500, latent_dim)).astype(np.float32))


def evaluate(name):
    samples = sample(G, fixed_z).numpy()  # eval mode (no dropout), no graph
    coverage = mode_coverage(samples, ring.centers, ring.std)
    title = f"step {trainer.step}: {coverage['modes_covered']}/8 modes, {coverage['high_quality_share']:.0%} HQ"
    viz.save_scatter(samples, out / name, ring.centers, ring.std, real=ring.x[:1000], title=title)
    return coverage


while trainer.step < args.steps:
    m = trainer.train_step()  # gan_step: D's update, then G's; returns the losses, D(x), D(G(z))
    if trainer.step % 500 == 0 or trainer.step == args.steps:
        c = evaluate(f"samples_step{trainer.step:06d}.png")
        print(
            f"[{m['step']}/{args.steps}] Loss_D: {m['loss_d']:.3f} Loss_G: {m['loss_g']:.3f} "
            f"D(x): {m['d_x']:.3f} D(G(z)): {m['d_g_z1']:.3f} / {m['d_g_z2']:.3f} "
            f"modes: {c['modes_covered']}/8 high quality: {c['high_quality_share']:.2f}"
        )
        trainer.save(checkpoint)  # --resume continues from here, exactly

final = evaluate("samples_final.png")
viz.save_loss_curves(trainer.history, out / "losses.png")
trainer.save(checkpoint)
print(f"{final['modes_covered']} of 8 modes covered; samples per mode: {final['counts'].tolist()}")
print(f"pictures in {out}/")
