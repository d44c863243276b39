"""The autoencoder: min_{E, G} E_x ||G(E(x)) - x||^2 on the built-in digits, and what its
decoder G makes of latent vectors it was never trained on, next to a GAN generator.

    python examples/lab/05_autoencoder.py [--out runs/lab] [--seed 0]

Prints the reconstruction MSE on held-out digits against the MSE of predicting the mean
image, and the share of mid-grey pixels (|value| < 0.5 on the [-1, 1] scale: neither ink nor
paper, i.e. blur) in each row of the figure; writes autoencoder.png.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import tinygan  # noqa: E402
from tinygan import optim  # noqa: E402
from tinygan.data import load_dataset  # noqa: E402
from tinygan.gan import MLPDiscriminator, MLPGenerator, RandomBatches, gan_step, gaussian_noise, sample  # noqa: E402
from tinygan.lab.autoencoder import (  # noqa: E402
    Autoencoder,
    decode,
    encode,
    interpolate,
    mean_image_mse,
    reconstruction_mse,
    train_autoencoder,
)

LATENT_DIM = 16
COLUMNS = 10


def grey_share(images: np.ndarray) -> float:
    """Share of pixels that are neither ink (+1) nor paper (-1): |value| < 0.5."""
    return float(np.mean(np.abs(images) < 0.5))


def train_gan(images: np.ndarray, steps: int, seed: int) -> MLPGenerator:
    """An MLP GAN on the same digits, with the same latent size as the autoencoder; returns G."""
    tinygan.manual_seed(seed)
    G = MLPGenerator(LATENT_DIM, (1, 28, 28), hidden=(256, 256))
    D = MLPDiscriminator((1, 28, 28), hidden=(256,))
    g_optimizer = optim.Adam(G.parameters(), lr=5e-4, betas=(0.5, 0.999))
    d_optimizer = optim.Adam(D.parameters(), lr=5e-4, betas=(0.5, 0.999))
    real_batch, noise = RandomBatches(images, batch_size=64), gaussian_noise(LATENT_DIM)
    for _ in range(steps):
        gan_step(G, D, g_optimizer, d_optimizer, real_batch, noise)  # D's update, then G's
    return G


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("runs/lab"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=10, help="autoencoder epochs")
    parser.add_argument("--gan-steps", type=int, default=3000, help="GAN generator steps")
    args = parser.parse_args()

    digits = load_dataset("digits", 6000, seed=args.seed)
    train, test, test_labels = digits.x[:5000], digits.x[5000:], digits.y[5000:]

    # Encoder 784 -> 256 -> 16, decoder 16 -> 256 -> 784, trained on the pixel MSE alone.
    tinygan.manual_seed(args.seed)
    model = Autoencoder(latent_dim=LATENT_DIM, hidden=256)
    losses = train_autoencoder(model, train, epochs=args.epochs, seed=args.seed)
    mse, baseline = reconstruction_mse(model, test), mean_image_mse(train, test)
    print(f"train MSE by epoch: {' '.join(f'{loss:.3f}' for loss in losses)}")
    print(f"held-out reconstruction MSE {mse:.4f} vs mean-image MSE {baseline:.4f} (ratio {mse / baseline:.3f})")

    # Rows of the figure, each COLUMNS images of shape (1, 28, 28).
    rng = np.random.default_rng(args.seed)
    originals = np.stack([test[test_labels == d][0] for d in range(COLUMNS)])
    a, b = test[test_labels == 1][1], test[test_labels == 7][1]
    t = np.linspace(0, 1, COLUMNS)[:, None, None, None]
    codes = encode(model, train)
    # The decoder knows only the region its codes fill; try N(0, I) and a Gaussian fitted to the codes.
    fitted = codes.mean(axis=0) + codes.std(axis=0) * rng.standard_normal((COLUMNS, LATENT_DIM))
    gan_generator = train_gan(train, args.gan_steps, args.seed)
    rows = {
        "digits": originals,
        "G(E(x))": decode(model, encode(model, originals)),
        "latent 1->7": interpolate(model, a, b, COLUMNS),
        "pixel 1->7": (1 - t) * a + t * b,
        "G(z), z~N(0,I)": decode(model, rng.standard_normal((COLUMNS, LATENT_DIM))),
        "G(z), z~fit": decode(model, fitted),
        "GAN G(z)": sample(gan_generator, tinygan.randn(COLUMNS, LATENT_DIM)).numpy(),
    }
    samples = {  # larger batches for the grey-pixel numbers
        "held-out digits": test,
        "reconstructions": decode(model, encode(model, test)),
        "decoder, z ~ N(0, I)": decode(model, rng.standard_normal((1000, LATENT_DIM))),
        "decoder, z ~ fitted Gaussian": decode(
            model, codes.mean(axis=0) + codes.std(axis=0) * rng.standard_normal((1000, LATENT_DIM))
        ),
        f"GAN after {args.gan_steps} steps": sample(gan_generator, tinygan.randn(1000, LATENT_DIM)).numpy(),
    }
    for name, images in samples.items():
        print(f"grey-pixel share, {name:30s} {grey_share(images):.3f}")

    # One mosaic: 30-pixel cells with light-grey borders; paper (-1) shows white and ink (+1) black.
    mosaic = np.full((30 * len(rows), 30 * COLUMNS), -0.7)
    for r, images in enumerate(rows.values()):
        for c, image in enumerate(images):
            mosaic[30 * r + 1 : 30 * r + 29, 30 * c + 1 : 30 * c + 29] = image[0]
    fig, ax = plt.subplots(figsize=(6.4, 0.62 * len(rows) + 0.3))
    ax.imshow(-mosaic, cmap="gray", vmin=-1, vmax=1)
    ax.set_yticks(30 * np.arange(len(rows)) + 14.5, list(rows), fontsize=8)
    ax.set_xticks([])
    fig.tight_layout()
    args.out.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out / "autoencoder.png", dpi=80, bbox_inches="tight")
    print(f"wrote {args.out / 'autoencoder.png'}")


if __name__ == "__main__":
    main()
