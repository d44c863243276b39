"""Mode collapse on the 2-D Gaussian mixtures, measured as modes covered over training.

The minimax game's guarantees (D* for a fixed G; the JSD at D*) assume D is trained to
optimality between generator steps, and that G can move all of its mass at once. In practice
G takes gradient steps against a D that has seen a few batches. G then profits most from
putting its samples wherever D currently believes "real" the most, and D in turn learns to
reject that spot: G can collapse onto one or a few modes and hop between them instead of
spreading over all of them. Algorithm 1's k (D steps per G step) brings D closer to D*
before each G step; whether that is enough is an empirical question this module measures.

Coverage is scored with :func:`tinygan.data.mode_coverage`: a mode counts as covered when
enough generated samples fall within 3 std of its center.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

import tinygan
from tinygan import optim
from tinygan.data import Dataset, mode_coverage
from tinygan.gan.mlp import MLPDiscriminator, MLPGenerator
from tinygan.gan.steps import gan_step
from tinygan.gan.trainer import RandomBatches, Trainer, gaussian_noise, sample
from tinygan.nn import Parameter

LATENT_DIM = 2


def point_gan(
    data: Dataset,
    k: int = 1,
    g_loss: str = "non-saturating",
    hidden: tuple[int, ...] = (128, 128),
    batch_size: int = 256,
    lr: float = 1e-3,
    optimizer: str = "adam",
    seed: int = 0,
) -> Trainer:
    """A GAN for 2-D points: MLP G (2-D noise -> hidden -> point) and D (point -> hidden -> logit),
    k D steps per G step, on ``data.x`` (n, 2).

    ``optimizer`` is ``"adam"`` (Adam(lr, betas=(0.5, 0.999)), DCGAN's setting) or ``"sgd"``
    (SGD(lr, momentum=0.9), as in Goodfellow et al. 2014) for both networks. Adam divides each
    step by a running gradient scale, so it hides how small a gradient is; SGD does not.
    """
    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")
    tinygan.manual_seed(seed)
    G = MLPGenerator(LATENT_DIM, (2,), hidden, output="linear")
    D = MLPDiscriminator((2,), hidden)

    def make(params: Iterator[Parameter]) -> optim.Optimizer:
        if optimizer == "adam":
            return optim.Adam(params, lr=lr, betas=(0.5, 0.999))
        return optim.SGD(params, lr=lr, momentum=0.9)

    g_optimizer, d_optimizer = make(G.parameters()), make(D.parameters())
    real_batch, noise = RandomBatches(data.x, batch_size), gaussian_noise(LATENT_DIM)
    return Trainer(
        lambda: gan_step(G, D, g_optimizer, d_optimizer, real_batch, noise, k, g_loss),
        networks={"generator": G, "discriminator": D},
        optimizers={"g_optimizer": g_optimizer, "d_optimizer": d_optimizer},
    )


def track_coverage(
    trainer: Trainer,
    data: Dataset,
    steps: int,
    every: int,
    n_samples: int = 2500,
    snapshot_steps: tuple[int, ...] = (),
) -> dict[str, Any]:
    """Train for ``steps`` generator steps; every ``every`` steps (and at step 0) score
    ``n_samples`` samples of G on fixed noise with ``mode_coverage``.

    Returns a dict with ``step``, ``modes_covered``, ``high_quality_share``, ``distance`` (mean
    distance from a sample to its nearest center) and ``d_g_z`` (mean D(G(z)) on G's last
    batch; NaN at step 0), each an array with one entry per
    evaluation, and ``snapshots``: {step: samples (n_samples, 2)} for the steps in
    ``snapshot_steps`` that are evaluation steps.
    """
    if data.centers is None:
        raise ValueError("track_coverage needs a point dataset with mixture centers (ring or grid)")
    if steps < 0 or every < 1:
        raise ValueError(f"need steps >= 0 and every >= 1, got steps={steps}, every={every}")
    z = tinygan.tensor(np.random.default_rng(12345).standard_normal((n_samples, LATENT_DIM)).astype(np.float32))
    record: dict[str, list[float]] = {
        "step": [], "modes_covered": [], "high_quality_share": [], "distance": [], "d_g_z": []
    }  # fmt: skip
    snapshots: dict[int, np.ndarray] = {}
    for step in range(steps + 1):
        if step % every == 0 or step == steps:
            samples = sample(trainer.networks["generator"], z).numpy()
            score = mode_coverage(samples, data.centers, data.std)
            record["step"].append(step)
            record["modes_covered"].append(score["modes_covered"])
            record["high_quality_share"].append(score["high_quality_share"])
            # mean distance from a sample to its nearest center: smooth progress, 0 when on the modes
            distance = np.linalg.norm(samples[:, None, :] - data.centers[None, :, :], axis=-1).min(axis=1)
            record["distance"].append(float(distance.mean()))
            record["d_g_z"].append(trainer.history[-1]["d_g_z2"] if trainer.history else float("nan"))
            if step in snapshot_steps:
                snapshots[step] = samples
        if step < steps:
            trainer.train_step()
    return {**{key: np.asarray(values) for key, values in record.items()}, "snapshots": snapshots}
