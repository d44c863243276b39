"""What every ``tinygan train`` run shares: the loop (progress, metrics.csv, pictures,
checkpoints, a clean stop on Ctrl-C), the learning-rate schedule, and resuming.

The model-specific part of a run (which pictures, which columns) is a small object with the
methods ``train_loop`` names; see ``tinygan.cli._Run`` and ``tinygan.cli_pix2pix.Pix2PixRun``.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tinygan.checkpoint import CheckpointError, load_checkpoint
from tinygan.gan.trainer import Trainer
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


def resume_settings(args: argparse.Namespace, checkpoint: Path) -> dict[str, Any]:
    """The settings saved in ``checkpoint`` by an earlier ``tinygan train MODEL``; refuses a
    checkpoint that another command wrote, naming both."""
    if not checkpoint.is_file():
        raise UsageError(f"--resume: there is no checkpoint at {checkpoint}")
    saved = load_checkpoint(checkpoint).get("extra", {})
    if "settings" not in saved:
        raise CheckpointError(f"{checkpoint} was not written by 'tinygan train' (no run settings in it)")
    settings = {"model": "gan", **saved["settings"]}  # checkpoints from before DCGAN/cGAN were MLP GANs
    if settings["model"] != args.model:
        raise UsageError(
            f"--resume: {checkpoint} was written by 'tinygan train {settings['model']}', "
            f"not 'tinygan train {args.model}'; resume it with 'tinygan train {settings['model']} --resume'"
        )
    return settings


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
