"""DCGAN (Radford et al. 2015) on 32x32 digits, with the library API.

The built-in procedural digits (28x28) are padded to 32x32 with background, the size of the
DCGAN-32 pattern: G has four transposed convolutions 1 -> 4 -> 8 -> 16 -> 32, D mirrors it.
Settings follow the paper and PyTorch's example (init N(0, 0.02), Adam 2e-4, betas (0.5, 0.999));
--ngf/--ndf shrink the widths for a quick CPU run. A sample grid from a fixed noise batch is
written as training goes, with a checkpoint that --resume continues from.

    python examples/dcgan_digits.py [--steps 1500] [--ngf 32] [--out runs/dcgan_digits] [--resume]
"""

import argparse
import time
from pathlib import Path

import numpy as np

import tinygan
from tinygan import viz
from tinygan.data import load_dataset
from tinygan.gan import RandomBatches, Trainer, gan_step, gaussian_noise, sample
from tinygan.models import DCGANDiscriminator, DCGANGenerator
from tinygan.optim import Adam

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--steps", type=int, default=1500)
parser.add_argument("--batch-size", type=int, default=64)
parser.add_argument("--nz", type=int, default=100)
parser.add_argument("--ngf", type=int, default=32, help="generator width (the paper: 64)")
parser.add_argument("--ndf", type=int, default=32, help="discriminator width (the paper: 64)")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--device", default="cpu")
parser.add_argument("--out", default="runs/dcgan_digits")
parser.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.npz")
args = parser.parse_args()
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)
tinygan.manual_seed(args.seed)

data = load_dataset("digits", 10_000, seed=args.seed)
# 28x28 -> 32x32: pad with the background value -1 (images are scaled to [-1, 1])
images = np.pad(data.x, ((0, 0), (0, 0), (2, 2), (2, 2)), constant_values=-1.0)
real_batch = RandomBatches(images, args.batch_size, device=args.device)
noise = gaussian_noise(args.nz, args.device)

G = DCGANGenerator(nz=args.nz, ngf=args.ngf, nc=1, image_size=32).to(args.device)
D = DCGANDiscriminator(nc=1, ndf=args.ndf, image_size=32).to(args.device)
g_optimizer = Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
d_optimizer = Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))

# One training step: (1) D's update on a real batch and on G's fakes, (2) G's update through D.
trainer = Trainer(
    step=lambda: gan_step(G, D, g_optimizer, d_optimizer, real_batch, noise),
    networks={"generator": G, "discriminator": D},
    optimizers={"g_optimizer": g_optimizer, "d_optimizer": d_optimizer},
)
checkpoint = out / "checkpoint.npz"
if args.resume:
    trainer.load(checkpoint)
    print(f"resumed from {checkpoint} at step {trainer.step}")

fixed_z = tinygan.tensor(np.random.default_rng(1).standard_normal((64, args.nz)).astype(np.float32), device=args.device)
start, first_step = time.perf_counter(), trainer.step
while trainer.step < args.steps:
    m = trainer.train_step()  # gan_step: D's update, then G's
    if trainer.step % 50 == 0 or trainer.step == args.steps:
        rate = (time.perf_counter() - start) / (trainer.step - first_step)
        print(
            f"[{m['step']}/{args.steps}] Loss_D: {m['loss_d']:.3f} Loss_G: {m['loss_g']:.3f} "
            f"D(x): {m['d_x']:.3f} D(G(z)): {m['d_g_z1']:.3f} / {m['d_g_z2']:.3f}  ({rate:.2f} s/step)",
            flush=True,
        )
    if trainer.step % 250 == 0 or trainer.step == args.steps:
        # eval mode: batch norm uses its running statistics
        viz.save_image_grid(sample(G, fixed_z).numpy(), out / f"samples_step{trainer.step:06d}.png", scale=2)
        trainer.save(checkpoint)

viz.save_image_grid(sample(G, fixed_z).numpy(), out / "samples_final.png", scale=2)
viz.save_loss_curves(trainer.history, out / "losses.png", title="DCGAN on digits")
print(f"samples and loss curves in {out}/")
