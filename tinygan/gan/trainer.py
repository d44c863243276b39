"""Training a GAN one step at a time: Algorithm 1 of Goodfellow et al. (2014).

    for each training iteration:
        for k steps:
            sample m noise vectors z and m real examples x
            update D by ascending  1/m sum [log D(x) + log(1 - D(G(z)))]
        sample m fresh noise vectors z
        update G by descending 1/m sum log(1 - D(G(z)))        ("minimax")
                    or by descending 1/m sum -log D(G(z))      ("non-saturating", what practice uses)

``GANTrainer.train_step`` is that loop body, written out in the same order. The trainer knows
nothing about the networks' architecture, so the same class trains the MLP GAN, DCGAN and,
with a condition passed to both networks, a conditional GAN; models with extra generator
terms (Pix2Pix's L1) override ``generator_objective``.

Each step reports the numbers the PyTorch DCGAN example prints:

    loss_d   D's loss on its last step (-log D(x) - log(1 - D(G(z))), batch means)
    loss_g   G's loss
    d_x      mean D(x) on the last real batch, before D's update        (-> 1 when D wins)
    d_g_z1   mean D(G(z)) on the last fake batch, before D's update     (-> 0 when D wins)
    d_g_z2   mean D(G(z)) on G's batch, after D's update
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from tinygan import backend, random
from tinygan import functional as F
from tinygan.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from tinygan.gan.losses import GENERATOR_LOSSES, discriminator_loss
from tinygan.nn import Module
from tinygan.optim import Optimizer
from tinygan.tensor import Tensor, no_grad

# A real batch: the samples and, for a conditional GAN, the condition both networks see.
Batch = tuple[Tensor, Any]

# What GANTrainer.state_dict holds.
_STATE_KEYS = ("generator", "discriminator", "g_optimizer", "d_optimizer", "rng", "step", "history")


def gaussian_noise(latent_dim: int, device: str = "cpu", dtype: Any = np.float32) -> Callable[[int], Tensor]:
    """The noise prior p(z) = N(0, I): returns ``sample(m)`` giving a (m, latent_dim) tensor."""
    if latent_dim < 1:
        raise ValueError(f"latent_dim must be positive, got {latent_dim}")

    def sample(m: int) -> Tensor:
        return Tensor(random.random_array("normal", (m, latent_dim), dtype, device))

    return sample


class RandomBatches:
    """Draws minibatches from a fixed array of examples, uniformly with replacement.

    Sampling with replacement is Algorithm 1's "sample a minibatch from p_data", and because it
    draws from tinygan's seeded generator, a checkpoint of that generator's state resumes the
    exact same stream of batches.

    Args:
        x: (n, ...) examples.
        condition: optional (n, ...) per-example condition (e.g. one-hot labels) returned with
            each batch; None for an unconditional GAN.
        device: where the batches are placed.
    """

    def __init__(self, x: np.ndarray, condition: np.ndarray | None = None, device: str = "cpu") -> None:
        if len(x) == 0:
            raise ValueError("RandomBatches needs at least one example")
        if condition is not None and len(condition) != len(x):
            raise ValueError(f"x has {len(x)} examples but condition has {len(condition)}")
        self.device = backend.check_device(device)
        self.x = backend.to_device(np.ascontiguousarray(x), self.device)
        self.condition = None if condition is None else backend.to_device(np.asarray(condition), self.device)

    def __len__(self) -> int:
        return len(self.x)

    def __call__(self, m: int) -> Batch:
        """(x, condition) for m random examples; condition is None when there is none."""
        index = backend.to_device(random.generator().integers(len(self.x), size=m), self.device)
        return Tensor(self.x[index]), None if self.condition is None else Tensor(self.condition[index])


class GANTrainer:
    """Trains a generator G and a discriminator D (which returns logits) with Algorithm 1.

    Args:
        generator, discriminator: the two networks; called as ``G(z)`` and ``D(x)``, or as
            ``G(z, c)`` and ``D(x, c)`` when the data gives a condition c.
        g_optimizer, d_optimizer: optimizers over G's and D's parameters.
        noise: ``noise(m)`` returns m noise vectors, e.g. ``gaussian_noise(latent_dim)``.
        data: ``data(m)`` returns a real batch ``(x, c)`` with c None if unconditional, e.g.
            ``RandomBatches(x)``.
        batch_size: m, the number of real and of fake samples in each step.
        k: discriminator steps per generator step (Goodfellow et al. used k = 1).
        g_loss: ``"non-saturating"`` (-log D(G(z))) or ``"minimax"`` (log(1 - D(G(z)))).
        lr_schedule: optional ``factor(step)``; before each step both optimizers' learning
            rates are set to their initial values times ``factor(self.step)`` (for example
            ``tinygan.optim.linear_decay(constant_steps, decay_steps)``).

    Attributes:
        step: generator steps taken so far.
        history: one dict per step, the dict ``train_step`` returned (add evaluation numbers
            to ``history[-1]`` and they are saved with the checkpoint).
    """

    def __init__(
        self,
        generator: Module,
        discriminator: Module,
        g_optimizer: Optimizer,
        d_optimizer: Optimizer,
        noise: Callable[[int], Tensor],
        data: Callable[[int], Batch],
        batch_size: int = 64,
        k: int = 1,
        g_loss: str = "non-saturating",
        lr_schedule: Callable[[int], float] | None = None,
    ) -> None:
        if not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"k (discriminator steps per generator step) must be an integer >= 1, got {k!r}")
        if g_loss not in GENERATOR_LOSSES:
            raise ValueError(f"unknown generator loss {g_loss!r}; choose one of {', '.join(GENERATOR_LOSSES)}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.G, self.D = generator, discriminator
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.noise, self.data = noise, data
        self.batch_size, self.k, self.g_loss = batch_size, int(k), g_loss
        self.lr_schedule = lr_schedule
        self.initial_lrs = [[group["lr"] for group in opt.param_groups] for opt in (g_optimizer, d_optimizer)]
        self.step = 0
        self.history: list[dict[str, Any]] = []

    # --- how the networks are called; a conditional model passes its condition through
    def generate(self, z: Tensor, condition: Any) -> Tensor:
        return self.G(z) if condition is None else self.G(z, condition)

    def discriminate(self, x: Tensor, condition: Any) -> Tensor:
        return self.D(x) if condition is None else self.D(x, condition)

    def generator_objective(self, fake_logits: Tensor, fake: Tensor, condition: Any) -> Tensor:
        """G's loss from D's logits on its samples; override to add terms (e.g. Pix2Pix's L1)."""
        return GENERATOR_LOSSES[self.g_loss](fake_logits)

    # --- Algorithm 1
    def train_step(self) -> dict[str, Any]:
        """k discriminator updates, then one generator update; returns this step's metrics."""
        m = self.batch_size
        self.G.train()
        self.D.train()
        if self.lr_schedule is not None:
            factor = self.lr_schedule(self.step)
            for opt, lrs in zip((self.g_optimizer, self.d_optimizer), self.initial_lrs):
                for group, lr in zip(opt.param_groups, lrs):
                    group["lr"] = lr * factor

        # 1. Discriminator: k updates, each on a fresh real batch and fresh noise.
        for _ in range(self.k):
            real, condition = self.data(m)
            with no_grad():  # G is not updated here, so its forward pass records no graph
                fake = self.generate(self.noise(m), condition)
            real_logits = self.discriminate(real, condition)
            fake_logits = self.discriminate(fake, condition)
            # -[log D(x) + log(1 - D(G(z)))]: minimising it ascends D's side of the value function
            loss_d = discriminator_loss(real_logits, fake_logits)
            self.d_optimizer.zero_grad()
            loss_d.backward()
            self.d_optimizer.step()

        # 2. Generator: one update on fresh noise, through the just-updated D. A conditional
        #    model reuses the last real batch's condition (its labels, say) for G's batch.
        fake = self.generate(self.noise(m), condition)
        with _frozen(self.D):  # the gradient flows through D to G, but D's weights need none
            fake_logits_g = self.discriminate(fake, condition)
        loss_g = self.generator_objective(fake_logits_g, fake, condition)
        self.g_optimizer.zero_grad()
        loss_g.backward()
        self.g_optimizer.step()

        self.step += 1
        metrics = {
            "step": self.step,
            "loss_d": loss_d.item(),
            "loss_g": loss_g.item(),
            "d_x": _mean_probability(real_logits),
            "d_g_z1": _mean_probability(fake_logits),
            "d_g_z2": _mean_probability(fake_logits_g),
        }
        self.history.append(metrics)
        return metrics

    def sample(self, z: Tensor, condition: Any = None) -> Tensor:
        """G(z) in evaluation mode, without a graph (for pictures and evaluation)."""
        self.G.eval()
        try:
            with no_grad():
                return self.generate(z, condition)
        finally:
            self.G.train()

    # --- checkpoints
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue training exactly: both networks, both optimizers,
        tinygan's random-generator state, the step count and the metrics history."""
        return {
            "generator": self.G.state_dict(),
            "discriminator": self.D.state_dict(),
            "g_optimizer": self.g_optimizer.state_dict(),
            "d_optimizer": self.d_optimizer.state_dict(),
            "rng": random.get_state(),
            "step": self.step,
            "history": self.history,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.G.load_state_dict(state["generator"])
        self.D.load_state_dict(state["discriminator"])
        self.g_optimizer.load_state_dict(state["g_optimizer"])
        self.d_optimizer.load_state_dict(state["d_optimizer"])
        random.set_state(state["rng"])
        self.step = int(state["step"])
        self.history = [dict(row) for row in state["history"]]

    def save(self, path: str | Path, extra: dict[str, Any] | None = None) -> None:
        """Write a checkpoint atomically (temporary file, then rename); ``extra`` is stored
        alongside (e.g. the run's settings) and returned by ``load``."""
        save_checkpoint(path, {**self.state_dict(), "extra": extra or {}})

    def load(self, path: str | Path) -> dict[str, Any]:
        """Restore a checkpoint written by ``save`` into this trainer's objects; returns ``extra``.

        The networks and optimizers must have the architecture the checkpoint was saved from.

        Raises:
            FileNotFoundError: no checkpoint at ``path``.
            CheckpointError: the file is corrupt, or does not match these networks.
        """
        state = load_checkpoint(path)
        missing = [key for key in (*_STATE_KEYS, "extra") if key not in state]
        if missing:
            raise CheckpointError(f"checkpoint {path} is not a GAN trainer checkpoint: it lacks {missing}")
        current = self.state_dict()
        try:
            self.load_state_dict(state)
        except (KeyError, ValueError, TypeError) as e:
            self.load_state_dict(current)  # all or nothing: undo whatever was already copied in
            raise CheckpointError(f"checkpoint {path} does not match these networks/optimizers: {e}") from e
        return state["extra"]


@contextlib.contextmanager
def _frozen(module: Module) -> Iterator[None]:
    """Ops run inside record no gradient for ``module``'s parameters (Pix2Pix's set_requires_grad)."""
    params = [p for p in module.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad = False
    try:
        yield
    finally:
        for p in params:
            p.requires_grad = True


def _mean_probability(logits: Tensor) -> float:
    """Mean of sigmoid(logits): D's average belief that the batch is real."""
    with no_grad():
        return F.sigmoid(logits.detach()).mean().item()


__all__ = ["Batch", "GANTrainer", "RandomBatches", "gaussian_noise"]
