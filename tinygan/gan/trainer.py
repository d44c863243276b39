"""The loop around a GAN step: step count, history, learning-rate schedules, checkpoints, RNG.

The step itself is one of the plain functions in ``tinygan.gan.steps``; the trainer only calls
it, so a reader finds the GAN in the step and the bookkeeping here:

    trainer = Trainer(
        step=lambda: gan_step(G, D, g_opt, d_opt, real_batch, noise),
        networks={"generator": G, "discriminator": D},
        optimizers={"g_optimizer": g_opt, "d_optimizer": d_opt},
        schedulers={"g_scheduler": LambdaLR(g_opt, ...), "d_scheduler": LambdaLR(d_opt, ...)},
    )
    for _ in range(steps):
        metrics = trainer.train_step()       # {"step": 1, "loss_d": ..., "loss_g": ..., ...}
    trainer.save("checkpoint.npz")           # ... and trainer.load() resumes exactly

A checkpoint holds every network, optimizer and scheduler under its name, tinygan's random
generator state (so the resumed run draws the same batches, noise and dropout masks), the step
count and the history.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tinygan import backend, random
from tinygan.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from tinygan.nn import Module
from tinygan.optim import LambdaLR, Optimizer
from tinygan.tensor import Tensor, no_grad


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
        batch_size: m, the examples in each batch.
        condition: optional (n, ...) per-example condition (e.g. one-hot labels) for a
            conditional GAN; each batch then comes with its rows of it.
        device: where the batches are placed.

    Calling it returns a Tensor x of shape (m, ...), or the pair (x, condition) when a
    condition was given.
    """

    def __init__(
        self, x: np.ndarray, batch_size: int, condition: np.ndarray | None = None, device: str = "cpu"
    ) -> None:
        if len(x) == 0:
            raise ValueError("RandomBatches needs at least one example")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        if condition is not None and len(condition) != len(x):
            raise ValueError(f"x has {len(x)} examples but condition has {len(condition)}")
        self.batch_size = int(batch_size)
        self.device = backend.check_device(device)
        self.x = backend.to_device(np.ascontiguousarray(x), self.device)
        self.condition = None if condition is None else backend.to_device(np.asarray(condition), self.device)

    def __len__(self) -> int:
        return len(self.x)

    def __call__(self) -> Tensor | tuple[Tensor, Tensor]:
        index = backend.to_device(random.generator().integers(len(self.x), size=self.batch_size), self.device)
        if self.condition is None:
            return Tensor(self.x[index])
        return Tensor(self.x[index]), Tensor(self.condition[index])


def sample(G: Module, *inputs: Tensor, train_mode: bool = False) -> Tensor:
    """``G(*inputs)`` without a graph, for pictures and evaluation.

    By default in evaluation mode (batch norm uses its running statistics, dropout is off), and
    G is put back into the mode it was in. ``train_mode=True`` keeps batch statistics and
    dropout, as the Pix2Pix paper does at test time.
    """
    was_training = G.training
    G.train(train_mode)
    try:
        with no_grad():
            return G(*inputs)
    finally:
        G.train(was_training)


class Trainer:
    """Runs a GAN step again and again, and keeps what resuming needs.

    Args:
        step: ``step()`` runs one training step and returns its metrics (a dict of floats),
            e.g. ``lambda: gan_step(G, D, g_opt, d_opt, real_batch, noise)``.
        networks: the networks to checkpoint, by name (e.g. ``{"generator": G, "discriminator": D}``).
        optimizers: their optimizers, by name.
        schedulers: learning-rate schedulers (``tinygan.optim.LambdaLR``), by name; each is
            stepped once after every training step.

    Attributes:
        step: training steps taken so far.
        history: one dict per step: ``{"step": n, **metrics}`` (add evaluation numbers to
            ``history[-1]`` and they are saved with the checkpoint).
    """

    def __init__(
        self,
        step: Callable[[], dict[str, Any]],
        networks: dict[str, Module],
        optimizers: dict[str, Optimizer],
        schedulers: dict[str, LambdaLR] | None = None,
    ) -> None:
        self.step_fn = step
        self.networks, self.optimizers, self.schedulers = dict(networks), dict(optimizers), dict(schedulers or {})
        names = [*self.networks, *self.optimizers]
        reserved = {"schedulers", "rng", "step", "history", "extra"}
        if len(set(names)) < len(names) or reserved & set(names):
            raise ValueError(f"Trainer: network and optimizer names must be distinct and none of {sorted(reserved)}, "
                             f"got {names}")  # fmt: skip
        self.step = 0
        self.history: list[dict[str, Any]] = []

    def train_step(self) -> dict[str, Any]:
        """One step of the GAN, then one step of every scheduler; returns ``{"step": n, **metrics}``."""
        metrics = {"step": self.step + 1, **self.step_fn()}
        for scheduler in self.schedulers.values():
            scheduler.step()
        self.step += 1
        self.history.append(metrics)
        return metrics

    # --- checkpoints
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly: networks, optimizers, schedulers, the random
        generator's state, the step count and the history."""
        return {
            **{name: net.state_dict() for name, net in self.networks.items()},
            **{name: opt.state_dict() for name, opt in self.optimizers.items()},
            "schedulers": {name: s.state_dict() for name, s in self.schedulers.items()},
            "rng": random.get_state(),
            "step": self.step,
            "history": self.history,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for name, net in self.networks.items():
            net.load_state_dict(state[name])
        for name, opt in self.optimizers.items():
            opt.load_state_dict(state[name])
        for name, scheduler in self.schedulers.items():
            scheduler.load_state_dict(state["schedulers"][name])
        random.set_state(state["rng"])
        self.step = int(state["step"])
        self.history = [dict(row) for row in state["history"]]

    def save(self, path: str | Path, extra: dict[str, Any] | None = None) -> None:
        """Write a checkpoint atomically (temporary file, then rename); ``extra`` is stored
        alongside (e.g. the run's settings) and returned by ``load``."""
        save_checkpoint(path, {**self.state_dict(), "extra": extra or {}})

    def load(self, path: str | Path) -> dict[str, Any]:
        """Restore a checkpoint written by ``save`` into this trainer's objects; returns ``extra``.

        All or nothing: when the checkpoint does not fit, nothing is changed.

        Raises:
            FileNotFoundError: no checkpoint at ``path``.
            CheckpointError: the file is corrupt, or does not match these networks.
        """
        state = load_checkpoint(path)
        expected = (*self.networks, *self.optimizers, "schedulers", "rng", "step", "history", "extra")
        missing = [key for key in expected if key not in state]
        if missing:
            raise CheckpointError(f"checkpoint {path} is not a checkpoint of this trainer: it lacks {missing}")
        current = self.state_dict()
        try:
            self.load_state_dict(state)
        except (KeyError, ValueError, TypeError) as e:
            self.load_state_dict(current)  # undo whatever was already copied in
            raise CheckpointError(f"checkpoint {path} does not match these networks/optimizers: {e}") from e
        return state["extra"]


__all__ = ["RandomBatches", "Trainer", "gaussian_noise", "sample"]
