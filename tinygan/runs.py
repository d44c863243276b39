"""What every ``tinygan train`` run shares: the loop (progress, metrics.csv, pictures,
checkpoints, a clean stop on Ctrl-C), the learning-rate schedule, and resuming.

The model-specific part of a run (which pictures, which columns) is a small object with the
methods ``train_loop`` names; see ``tinygan.cli._Run`` and ``tinygan.cli_pix2pix.Pix2PixRun``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import math
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tinygan.checkpoint import CheckpointError, load_checkpoint
from tinygan.gan.trainer import Trainer
from tinygan.nn import Module
from tinygan.optim import LambdaLR, Optimizer, linear_decay
from tinygan.progress import ProgressBar


class UsageError(Exception):
    """A mistake in what the user asked for: reported in one line, exit status 2."""


def linear_decay_schedulers(optimizers: Sequence[Optimizer], steps: int, decay_share: float) -> dict[str, LambdaLR]:
    """Constant learning rates, then a linear decay to 0 over the last ``decay_share`` of the
    ``steps`` (Pix2Pix's schedule); none when the share is 0."""
    decay_steps = round(decay_share * steps)
    if not decay_steps:
        return {}
    factor = linear_decay(steps - decay_steps, decay_steps)
    names = ("g_scheduler", "d_scheduler")
    return {name: LambdaLR(opt, factor) for name, opt in zip(names, optimizers)}


class RunFiles:
    """What every run writes the same way: ``metrics.csv`` in ``self.out``, one row per step.

    A model's run (``tinygan.cli._Run``, ``tinygan.cli_pix2pix.Pix2PixRun``) sets ``trainer``,
    ``out`` and ``columns`` and adds its pictures and checkpoint contents.
    """

    trainer: Trainer
    out: Path
    columns: Sequence[str]

    def open_csv(self) -> None:
        """Start metrics.csv with every row the trainer's history holds (all of them on resume)."""
        self.csv_file = open(self.out / "metrics.csv", "w", newline="")  # noqa: SIM115 - closed in close()
        self.csv = csv.DictWriter(self.csv_file, fieldnames=self.columns, extrasaction="ignore")
        self.csv.writeheader()
        self.csv.writerows(self.trainer.history)

    def write_row(self, metrics: dict[str, Any]) -> None:
        self.csv.writerow(metrics)
        self.csv_file.flush()

    def close(self) -> None:
        self.csv_file.close()


def gan_trainer(step: Callable[[], dict[str, Any]], G: Module, D: Module, g_optimizer: Optimizer,
                d_optimizer: Optimizer, steps: int, decay_share: float) -> Trainer:  # fmt: skip
    """The Trainer of a run: G and D and their optimizers under the names checkpoints use, and
    the schedule of ``linear_decay_schedulers``."""
    return Trainer(
        step,
        networks={"generator": G, "discriminator": D},
        optimizers={"g_optimizer": g_optimizer, "d_optimizer": d_optimizer},
        schedulers=linear_decay_schedulers((g_optimizer, d_optimizer), steps, decay_share),
    )


def resume_settings(args: argparse.Namespace, checkpoint: Path) -> dict[str, Any]:
    """The settings saved in ``checkpoint`` by an earlier ``tinygan train MODEL``; refuses a
    checkpoint that another command wrote, naming both."""
    if not checkpoint.is_file():
        raise UsageError(f"--resume: there is no checkpoint at {checkpoint}")
    saved = load_checkpoint(checkpoint).get("extra", {})
    if not isinstance(saved, dict) or not isinstance(saved.get("settings"), dict):
        raise CheckpointError(f"{checkpoint} was not written by 'tinygan train' (no run settings in it)")
    settings = {"model": "gan", **saved["settings"]}  # checkpoints from before DCGAN/cGAN were MLP GANs
    if settings["model"] != args.model:
        raise UsageError(
            f"--resume: {checkpoint} was written by 'tinygan train {settings['model']}', "
            f"not 'tinygan train {args.model}'; resume it with 'tinygan train {settings['model']} --resume'"
        )
    return settings


RESUME_HELP = (
    "continue from the checkpoint in --out, with the model, data and optimizer settings saved in it, "
    "up to the number of steps the run was planned for. --steps N changes that plan only when the "
    "learning rate is constant (--lr-decay 0); with a decaying learning rate the schedule was built for "
    "the planned steps, so a different --steps is refused (start a new run to train longer). A run that "
    "has already reached its steps has nothing to train and exits at once"
)


def resolve_steps(args: argparse.Namespace, settings: dict[str, Any]) -> int:
    """The number of steps this run trains to, also recorded in ``settings["steps"]`` (so the
    checkpoint keeps the plan).

    A new run takes ``--steps`` or the command's default. ``--resume`` keeps the checkpoint's
    plan; ``--resume --steps N`` with another N is refused when the learning rate decays over
    the planned steps (``linear_decay_schedulers`` built the schedule for them, and changing it
    part-way would be a different schedule from the one the run started on) and allowed, with a
    note, when the learning rate is constant.
    """
    given, default = args.steps, getattr(args, "default_steps", None)
    planned = settings.get("steps") if args.resume else None
    steps = given if given is not None else planned if planned is not None else default
    if steps is None:
        raise UsageError("--steps is required")
    if planned is not None and steps != planned:
        decay = settings.get("lr_decay") or 0
        if decay:
            raise UsageError(
                f"--resume --steps {steps}: this run was planned for {planned} steps and its learning rate decays "
                f"to 0 over the last {round(decay * planned)} of them (lr decay {decay}), a schedule built for "
                f"{planned} steps; resume without --steps to finish those {planned}, or start a new run in "
                "another --out to train for a different number of steps"
            )
        print(f"note: the run was planned for {planned} steps; --steps {steps} changes the plan "
              "(the learning rate is constant, so nothing else changes)", file=sys.stderr)  # fmt: skip
    settings["steps"] = steps
    return steps


class _DeferredInterrupt:
    """Ctrl-C during training waits for the current step to finish, so the checkpoint saved on
    the way out holds one consistent step (a second Ctrl-C stops at once, without saving)."""

    def __init__(self) -> None:
        self.requested = False

    def __enter__(self) -> _DeferredInterrupt:
        self.previous = signal.getsignal(signal.SIGINT)
        with contextlib.suppress(ValueError):  # not the main thread: Ctrl-C keeps its default
            signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGINT, self.previous)


def train_loop(trainer: Trainer, run: Any, steps: int, args: argparse.Namespace) -> None:
    """The loop every ``tinygan train`` shares: steps, progress, metrics.csv, pictures,
    checkpoints, and a clean stop on Ctrl-C.

    ``run`` is the model's outputs: ``evaluate(picture) -> dict`` (writes a picture, returns
    evaluation numbers), ``columns``, ``bar_keys`` (shown in the progress bar), ``describe(metrics, total)``,
    ``open_csv()``, ``write_row(metrics)``, ``save_checkpoint()``, ``save_losses()``, ``close()``.
    """
    out = Path(args.out)
    if trainer.step >= steps:  # a resumed run that is already done
        print(f"the checkpoint is at step {trainer.step} and the run is planned for {steps} steps: nothing to train")
        return
    sample_every = args.sample_every or max(1, steps // 10)
    run.open_csv()
    with _DeferredInterrupt() as interrupt, ProgressBar(steps, initial=trainer.step) as bar:
        while trainer.step < steps:
            metrics = trainer.train_step()
            if not all(math.isfinite(v) for v in metrics.values() if isinstance(v, float)):
                raise FloatingPointError(f"the losses became NaN or infinite at step {trainer.step}: {metrics}")
            if trainer.step % sample_every == 0 or trainer.step == steps:
                metrics.update(run.evaluate(out / f"samples_step{trainer.step:06d}.png"))  # kept in history
                run.save_losses()
                bar.write(run.describe(metrics, steps))
            run.write_row(metrics)
            if trainer.step % args.checkpoint_every == 0:
                run.save_checkpoint()
            bar.update(1, {k: metrics[k] for k in run.bar_keys if k in metrics})
            if interrupt.requested:
                run.save_checkpoint()
                run.close()
                print(f"\ninterrupted at step {trainer.step}; saved {out / 'checkpoint.npz'}; "
                      "add --resume to continue", file=sys.stderr)  # fmt: skip
                raise KeyboardInterrupt
    run.save_checkpoint()
    run.close()
