"""The original GAN (Goodfellow et al. 2014) on a ring of 8 Gaussians, with the library API.

The same run as ``tinygan demo``, written out: data, the two networks, Algorithm 1 through
GANTrainer, and the standard evaluation (modes covered, share of samples within 3 std of a
mode). About a minute on a laptop CPU.

    python examples/mlp_gan_ring.py [--steps 3000] [--out runs/example_ring]
"""

import argparse
from pathlib import Path

import numpy as np

import tinygan
from tinygan import viz
from tinygan.data import load_dataset, mode_coverage
from tinygan.gan.mlp import MLPDiscriminator, MLPGenerator
from tinygan.gan.trainer import GANTrainer, RandomBatches, gaussian_noise
from tinygan.optim import Adam, linear_decay

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--steps", type=int, default=3000)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--out", default="runs/example_ring")
args = parser.parse_args()
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)
tinygan.manual_seed(args.seed)

# 100,000 points from 8 Gaussians of std 0.02 on a circle of radius 2.
ring = load_dataset("ring", 100_000, seed=args.seed)

# G maps 2-D noise to a 2-D point (a linear output: points are not limited to [-1, 1]);
# D maps a point to a logit. Both: two hidden layers of 128 units with LeakyReLU(0.2).
# D drops 30% of its hidden units while training, as in the original paper; without it,
# runs often leave one of the 8 modes nearly empty.
latent_dim = 2
G = MLPGenerator(latent_dim, out_shape=(2,), hidden=(128, 128), output="linear")
D = MLPDiscriminator(in_shape=(2,), hidden=(128, 128), dropout=0.3)

# Adam with beta1 = 0.5 (DCGAN's choice for GANs). The learning rate stays at 1e-3 for the first
# 30% of training, then falls linearly to 0: the samples settle tightly onto the modes.
decay_steps = round(0.7 * args.steps)
trainer = GANTrainer(
    G,
    D,
    g_optimizer=Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999)),
    d_optimizer=Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999)),
    noise=gaussian_noise(latent_dim),
    data=RandomBatches(ring.x),
    batch_size=512,
    k=1,  # discriminator steps per generator step
    g_loss="non-saturating",  # -log D(G(z)); try "minimax" to see it stall early on
    lr_schedule=linear_decay(args.steps - decay_steps, decay_steps),
)

# One fixed noise batch for the pictures and the evaluation, so they show G changing.
fixed_z = tinygan.tensor(np.random.default_rng(1).standard_normal((2500, latent_dim)).astype(np.float32))


def evaluate(name):
    samples = trainer.sample(fixed_z).numpy()
    coverage = mode_coverage(samples, ring.centers, ring.std)
    title = f"step {trainer.step}: {coverage['modes_covered']}/8 modes, {coverage['high_quality_share']:.0%} HQ"
    viz.save_scatter(samples, out / name, ring.centers, ring.std, real=ring.x[:1000], title=title)
    return coverage


while trainer.step < args.steps:
    m = trainer.train_step()
    if trainer.step % 500 == 0:
        c = evaluate(f"samples_step{trainer.step:06d}.png")
        print(
            f"[{m['step']}/{args.steps}] Loss_D: {m['loss_d']:.3f} Loss_G: {m['loss_g']:.3f} "
            f"D(x): {m['d_x']:.3f} D(G(z)): {m['d_g_z1']:.3f} / {m['d_g_z2']:.3f} "
            f"modes: {c['modes_covered']}/8 high quality: {c['high_quality_share']:.2f}"
        )

final = evaluate("samples_final.png")
viz.save_loss_curves(trainer.history, out / "losses.png")
trainer.save(out / "checkpoint.npz")  # trainer.load(...) continues from here, exactly
print(f"{final['modes_covered']} of 8 modes covered; samples per mode: {final['counts'].tolist()}")
print(f"pictures in {out}/")
