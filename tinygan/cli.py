"""The command line: ``tinygan ...`` or ``python -m tinygan ...``.

    tinygan demo                                  the ring of 8 Gaussians, about a minute on a CPU
    tinygan train gan --data digits --steps 3000  the MLP GAN on any built-in dataset
    tinygan train dcgan --data digits             DCGAN at 32x32 (digits padded from 28x28)
    tinygan train cgan --data digits              a conditional GAN: one sample row per class
    tinygan datasets                              what --data accepts

A training run writes into ``--out``: ``metrics.csv`` (one row per step: losses, D(x), D(G(z)),
and mode coverage at evaluation steps for the 2-D mixtures), ``samples_step000500.png`` and so
on (G's output on one fixed noise batch, so the pictures show G changing, not the noise),
``samples_final.png``, ``losses.png`` and ``checkpoint.npz``, from which ``--resume`` continues.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import tinygan
from tinygan import backend, cli_pix2pix, viz
from tinygan.checkpoint import CheckpointError
from tinygan.data import DATASETS, Dataset, load_dataset, mode_coverage
from tinygan.functional import one_hot
from tinygan.gan.losses import GENERATOR_LOSSES
from tinygan.gan.mlp import MLPDiscriminator, MLPGenerator
from tinygan.gan.steps import cgan_step, gan_step
from tinygan.gan.trainer import RandomBatches, Trainer, gaussian_noise, sample
from tinygan.models import (
    ConditionalDCGANDiscriminator,
    ConditionalDCGANGenerator,
    ConditionalMLPDiscriminator,
    ConditionalMLPGenerator,
    DCGANDiscriminator,
    DCGANGenerator,
)
from tinygan.optim import Adam
from tinygan.runs import (
    RESUME_HELP,
    RunFiles,
    UsageError,
    gan_trainer,
    resolve_steps,
    resume_settings,
    train_loop,
)

POINT_DATASETS = ("ring", "grid")

# Settings that shape the run. They are saved in the checkpoint, and --resume takes them
# from there, so a resumed run continues the same model, data and optimizer.
RUN_SETTINGS = (
    "model", "data", "mnist_path", "n_train", "latent_dim", "g_hidden", "d_hidden", "d_dropout",
    "width", "arch", "batch_size", "k", "g_loss", "lr", "beta1", "lr_decay", "seed",
)  # fmt: skip

# Defaults; an option given on the command line wins. Dropout in D is the original paper's
# choice. The other defaults depend on the kind of data: 2-D points want a small G with a
# linear output, a large batch, a fast learning rate, and a decay to 0 over the last 70% of
# the steps that lets the samples settle onto the modes; images want the usual GAN settings
# and a Tanh output.
COMMON_DEFAULTS = dict(k=1, g_loss="non-saturating", beta1=0.5, d_dropout=0.3, mnist_path=None)
DEFAULTS = {
    "points": dict(n_train=100_000, latent_dim=2, g_hidden=(128, 128), d_hidden=(128, 128),
                   batch_size=512, lr=1e-3, lr_decay=0.7),
    "images": dict(n_train=10_000, latent_dim=64, g_hidden=(256, 512), d_hidden=(512, 256),
                   batch_size=64, lr=2e-4, lr_decay=0.0),
}  # fmt: skip
# DCGAN and the conditional GAN: the paper's settings (nz=100, Adam 2e-4, beta1 0.5), with
# half the paper's width (ngf = ndf = 32 instead of 64) so that a CPU run takes minutes.
CONV_DEFAULTS = dict(n_train=10_000, latent_dim=100, width=32, arch="conv", batch_size=64, lr=2e-4, lr_decay=0.0)
N_CLASSES = 10
MODEL_NAMES = {"gan": "the MLP GAN", "dcgan": "DCGAN", "cgan": "the conditional GAN"}

# The built-in demo: the ring with the settings above, long enough to cover all 8 modes.
DEMO_STEPS = 3000
EVAL_SAMPLES = 2500  # the count behind the standard mode-coverage numbers (VEEGAN, PacGAN)
IMAGE_SAMPLES = 64  # an 8x8 grid


# ----------------------------------------------------------------------------- arguments


# Each type names what it expects in its own message: argparse would otherwise print the
# function's name ("invalid _positive_int value") when int() or float() fails.


def _parse_number(text: str, kind: type, expected: str) -> Any:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{expected}, got {text!r}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{expected}, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    expected = "must be a positive integer"
    value = _parse_number(text, int, expected)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{expected}, got {text}")
    return value


def _seed(text: str) -> int:
    expected = "must be a non-negative integer"
    value = _parse_number(text, int, expected)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{expected}, got {text}")
    return value


def _positive_float(text: str) -> float:
    expected = "must be a positive number"
    value = _parse_number(text, float, expected)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def _fraction(text: str) -> float:
    expected = "must be a number between 0 and 1"
    value = _parse_number(text, float, expected)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def _dropout(text: str) -> float:
    expected = "must be a number in [0, 1)"
    value = _parse_number(text, float, expected)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}")
    return value


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(s) for s in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated widths such as 256,256, got {text!r}") from None
    if any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"layer widths must be positive, got {text!r}")
    return sizes


# what argparse calls a type in its own messages (e.g. when a value is missing)
for _type, _name in ((_positive_int, "positive integer"), (_seed, "non-negative integer"),
                     (_positive_float, "positive number"), (_fraction, "number in [0, 1]"),
                     (_dropout, "number in [0, 1)"), (_sizes, "comma-separated widths")):  # fmt: skip
    _type.__name__ = _name


def _option_text(defaults: dict[str, Any]) -> str:
    """{"batch_size": 64, "g_hidden": (256, 512)} -> "--batch-size 64, --g-hidden 256,512"."""

    def text(value: Any) -> str:
        return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)

    return ", ".join(f"--{key.replace('_', '-')} {text(value)}" for key, value in defaults.items())


def _add_run_options(parser: argparse.ArgumentParser, out: str, steps: int | None, threads: int | None = 1) -> None:
    """Options shared by ``train gan`` and ``demo``: length, outputs, seed, device."""
    parser.add_argument("--steps", type=_positive_int, help=f"generator steps in all (default {steps})")
    parser.set_defaults(default_steps=steps)  # resolve_steps: --resume keeps the checkpoint's plan instead
    parser.add_argument("--seed", type=_seed, default=0, help="random seed: the same seed gives the same numbers")
    parser.add_argument("--out", default=out, help=f"directory for samples, metrics and checkpoints (default {out})")
    parser.add_argument("--resume", action="store_true", help=RESUME_HELP)
    parser.add_argument("--sample-every", type=_positive_int, help="write samples every N steps (default steps/10)")
    parser.add_argument("--checkpoint-every", type=_positive_int, default=1000, help="save every N steps (1000)")
    parser.add_argument("--device", choices=backend.DEVICES, default="cpu", help="cpu, or cuda with CuPy installed")
    parser.add_argument(
        "--threads",
        type=_positive_int,
        default=threads,
        help="BLAS threads (default: 1 for the MLP GAN, whose small matrices gain little from more and whose "
        "extra BLAS threads spin-wait on a busy CPU, making a run several times slower; all cores for the "
        "convolutional models)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinygan",
        description="GANs on a from-scratch autodiff engine: train, sample, resume.",
        epilog="Run 'tinygan COMMAND --help' for the options of each command.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser(
        "demo",
        help="train the MLP GAN on the ring of 8 Gaussians (about a minute on a CPU)",
        description="Train the original GAN on the ring of 8 Gaussians with settings that cover all 8 modes, "
        "then print where the pictures are and how many modes the generator covers.",
    )
    _add_run_options(demo, out="runs/demo", steps=DEMO_STEPS)

    commands.add_parser("datasets", help="list the built-in datasets", description="List the datasets --data accepts.")

    train = commands.add_parser("train", help="train a model", description="Train a model on a built-in dataset.")
    models = train.add_subparsers(dest="model", metavar="MODEL", required=True)
    gan = models.add_parser(
        "gan",
        help="the original GAN (Goodfellow et al. 2014): MLP generator and discriminator",
        description="Train the MLP GAN with Algorithm 1 of Goodfellow et al. (2014): k discriminator steps, "
        "then one generator step. Options left unset take defaults that suit the data. "
        f"For 2-D points (ring, grid): {_option_text(DEFAULTS['points'])}. "
        f"For images (digits, mnist): {_option_text(DEFAULTS['images'])}.",
    )
    _add_training_options(gan, datasets=[n for n, i in DATASETS.items() if i.kind != "paired"], default_data=None)
    gan.add_argument("--g-hidden", type=_sizes, help="generator hidden widths, e.g. 128,128")
    gan.add_argument("--d-hidden", type=_sizes, help="discriminator hidden widths, e.g. 128,128")
    gan.add_argument("--d-dropout", type=_dropout, help="dropout after each of D's hidden layers (0.3)")
    _add_run_options(gan, out="runs/gan", steps=5000)

    dcgan = models.add_parser(
        "dcgan",
        help="DCGAN (Radford et al. 2015): transposed convolutions, batch norm, 32x32 images",
        description="Train the DCGAN of the PyTorch example at 32x32 (28x28 digits are padded with background). "
        f"Defaults: {_option_text(CONV_DEFAULTS)}.",
    )
    cgan = models.add_parser(
        "cgan",
        help="conditional GAN (Mirza & Osindero 2014): G and D both see the class label",
        description="Train a conditional GAN on labelled digits; sample grids have one row per class. "
        "--arch conv is a DCGAN with the one-hot label as extra input channels, --arch mlp the paper's MLPs. "
        f"Defaults: {_option_text(CONV_DEFAULTS)}.",
    )
    for image_model in (dcgan, cgan):
        _add_training_options(image_model, datasets=["digits", "mnist"], default_data="digits")
        image_model.add_argument("--width", type=_positive_int, help="ngf = ndf, the networks' base width (32)")
        _add_run_options(image_model, out=f"runs/{image_model.prog.split()[-1]}", steps=1500, threads=None)
    cgan.add_argument("--arch", choices=("conv", "mlp"), help="conv (DCGAN-style, the default) or the paper's MLP")
    cli_pix2pix.add_parsers(models, commands, _add_run_options, _positive_int, _positive_float, _fraction)
    return parser


def _add_training_options(parser: argparse.ArgumentParser, datasets: list[str], default_data: str | None) -> None:
    """Options every GAN takes: data, batch, Algorithm 1's k, the G loss, Adam, the noise size."""
    parser.add_argument("--data", required=default_data is None, default=default_data, choices=datasets, help="dataset")
    parser.add_argument("--mnist-path", help="MNIST IDX directory or mnist.npz (for --data mnist)")
    parser.add_argument("--n-train", type=_positive_int, help="training examples to draw or load")
    parser.add_argument("--batch-size", type=_positive_int, help="real and fake samples per step")
    parser.add_argument("--k", type=_positive_int, help="discriminator steps per generator step (1)")
    parser.add_argument(
        "--g-loss",
        choices=list(GENERATOR_LOSSES),
        help="generator loss: -log D(G(z)) (non-saturating, the default) or log(1 - D(G(z))) (minimax)",
    )
    parser.add_argument("--lr", type=_positive_float, help="Adam learning rate of both networks")
    parser.add_argument("--beta1", type=_fraction, help="Adam beta1 (0.5, as in DCGAN)")
    parser.add_argument("--lr-decay", type=_fraction, help="share of the steps, at the end, over which lr falls to 0")
    parser.add_argument("--latent-dim", type=_positive_int, help="size of the noise vector z")


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """The run's settings: what the user gave, the rest from the defaults for the data's kind."""
    kind = "points" if args.data in POINT_DATASETS else "images"
    given = {key: getattr(args, key, None) for key in RUN_SETTINGS}
    model_defaults = {} if args.model == "gan" else CONV_DEFAULTS
    return {**COMMON_DEFAULTS, **DEFAULTS[kind], **model_defaults, **{k: v for k, v in given.items() if v is not None}}


# ----------------------------------------------------------------------------- the run


def _load_data(settings: dict[str, Any]) -> Dataset:
    if settings["data"] == "mnist" and not settings["mnist_path"]:
        raise UsageError("--data mnist needs --mnist-path: a directory of MNIST IDX files or a mnist.npz file")
    n = settings["n_train"]
    if settings["data"] == "digits":
        print(f"drawing {n} procedural digits ...", file=sys.stderr)
    return load_dataset(settings["data"], n, seed=settings["seed"], path=settings["mnist_path"])


def _build_networks(settings: dict[str, Any], data: Dataset) -> tuple[Any, Any, np.ndarray]:
    """G, D and the training images they expect (digits padded to 32x32 for the conv models)."""
    model, nz, width = settings["model"], settings["latent_dim"], settings.get("width")
    shape = data.x.shape[1:]
    convolutional = model == "dcgan" or (model == "cgan" and settings["arch"] == "conv")
    x = np.pad(data.x, ((0, 0), (0, 0), (2, 2), (2, 2)), constant_values=-1.0) if convolutional else data.x
    if model == "dcgan":
        return DCGANGenerator(nz, width, shape[0], 32), DCGANDiscriminator(shape[0], width, 32), x
    if model == "cgan" and convolutional:
        G = ConditionalDCGANGenerator(nz, N_CLASSES, width, shape[0], 32)
        return G, ConditionalDCGANDiscriminator(N_CLASSES, width, shape[0], 32), x
    if model == "cgan":
        return ConditionalMLPGenerator(nz, N_CLASSES, shape), ConditionalMLPDiscriminator(N_CLASSES, shape), x
    output = "linear" if data.kind == "points" else "tanh"
    G = MLPGenerator(nz, shape, settings["g_hidden"], output=output)
    return G, MLPDiscriminator(shape, settings["d_hidden"], dropout=settings["d_dropout"]), x


def _build_trainer(settings: dict[str, Any], data: Dataset, steps: int, device: str) -> Trainer:
    """The networks, optimizers and schedule the settings describe, around the model's step."""
    tinygan.manual_seed(settings["seed"])
    G, D, x = _build_networks(settings, data)
    G, D = G.to(device), D.to(device)
    betas = (settings["beta1"], 0.999)
    g_optimizer = Adam(G.parameters(), lr=settings["lr"], betas=betas)
    d_optimizer = Adam(D.parameters(), lr=settings["lr"], betas=betas)
    noise = gaussian_noise(settings["latent_dim"], device)
    k, g_loss, m = settings["k"], settings["g_loss"], settings["batch_size"]
    if settings["model"] == "cgan":
        real_batch = RandomBatches(x, m, condition=one_hot(data.y, N_CLASSES).numpy(), device=device)
        step = functools.partial(cgan_step, G, D, g_optimizer, d_optimizer, real_batch, noise, k, g_loss)
    else:
        real_batch = RandomBatches(x, m, device=device)
        step = functools.partial(gan_step, G, D, g_optimizer, d_optimizer, real_batch, noise, k, g_loss)
    return gan_trainer(step, G, D, g_optimizer, d_optimizer, steps, settings["lr_decay"])


class _Run(RunFiles):
    """One training run's outputs: the fixed noise batch, pictures, metrics.csv, checkpoints."""

    COLUMNS = ("step", "loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2")
    COVERAGE = ("modes_covered", "high_quality_share")
    bar_keys = ("loss_d", "loss_g", "d_x", "d_g_z1")

    def __init__(self, trainer: Trainer, data: Dataset, settings: dict[str, Any], out: Path, device: str) -> None:
        self.trainer, self.data, self.settings, self.out = trainer, data, settings, out
        self.points = data.kind == "points"
        # Pictures and evaluation use one fixed noise batch from a stream of their own, so
        # writing them never changes the random numbers training draws.
        n = EVAL_SAMPLES if self.points else IMAGE_SAMPLES
        z = np.random.default_rng([settings["seed"], 1]).standard_normal((n, settings["latent_dim"]))
        self.fixed_condition, self.nrow = None, 8
        if settings["model"] == "cgan":  # one row per class, the same noise vectors in every row
            z = np.tile(z[:N_CLASSES], (N_CLASSES, 1))
            self.fixed_condition = one_hot(np.repeat(np.arange(N_CLASSES), N_CLASSES), N_CLASSES).to(device)
            self.nrow = N_CLASSES
        self.fixed_noise = tinygan.tensor(z.astype(np.float32), device=device)
        self.columns = self.COLUMNS + (self.COVERAGE if self.points else ())

    def evaluate(self, picture: Path) -> dict[str, Any]:
        """Write G's samples on the fixed noise to ``picture``; for points, score mode coverage."""
        inputs = (self.fixed_noise,) if self.fixed_condition is None else (self.fixed_noise, self.fixed_condition)
        samples = sample(self.trainer.networks["generator"], *inputs).numpy()
        if not self.points:
            viz.save_image_grid(samples, picture, nrow=self.nrow, scale=2)
            return {}
        coverage = mode_coverage(samples, self.data.centers, self.data.std)
        result = {k: coverage[k] for k in self.COVERAGE}
        title = (
            f"step {self.trainer.step}: {result['modes_covered']}/{coverage['n_modes']} modes, "
            f"{result['high_quality_share']:.0%} high quality"
        )
        viz.save_scatter(samples, picture, self.data.centers, self.data.std, real=self.data.x[:1000], title=title)
        return result

    def save_checkpoint(self) -> None:
        self.trainer.save(self.out / "checkpoint.npz", extra={"settings": self.settings})

    def save_losses(self) -> None:
        viz.save_loss_curves(self.trainer.history, self.out / "losses.png")

    @staticmethod
    def describe(metrics: dict[str, Any], total: int) -> str:
        return _describe(metrics, total)



def _describe(metrics: dict[str, Any], total: int) -> str:
    """A log line in the PyTorch DCGAN example's format."""
    line = (
        f"[{metrics['step']}/{total}] Loss_D: {metrics['loss_d']:.4f} Loss_G: {metrics['loss_g']:.4f} "
        f"D(x): {metrics['d_x']:.4f} D(G(z)): {metrics['d_g_z1']:.4f} / {metrics['d_g_z2']:.4f}"
    )
    if "modes_covered" in metrics:
        line += f" | modes {metrics['modes_covered']}, high quality {metrics['high_quality_share']:.2f}"
    return line


def train_gan(args: argparse.Namespace) -> dict[str, Any]:
    """Train (or resume) an MLP GAN, DCGAN or cGAN as the parsed arguments say; returns the last
    evaluation."""
    out = Path(args.out)
    checkpoint = out / "checkpoint.npz"
    try:
        backend.check_device(args.device)
    except RuntimeError as e:
        raise UsageError(str(e)) from e
    settings = resume_settings(args, checkpoint) if args.resume else _settings(args)
    steps = resolve_steps(args, settings)
    data = _load_data(settings)
    trainer = _build_trainer(settings, data, steps, args.device)
    out.mkdir(parents=True, exist_ok=True)
    if args.resume:
        trainer.load(checkpoint)
        print(f"resuming from step {trainer.step} of {checkpoint} (model, data and optimizer settings from it)")
    run = _Run(trainer, data, settings, out, args.device)
    print(f"training {MODEL_NAMES[settings['model']]} on {settings['data']} for {steps} steps; writing to {out}/")
    if trainer.step == 0:
        run.evaluate(out / "samples_step000000.png")  # the untrained generator, for comparison
    train_loop(trainer, run, steps, args)
    last = run.evaluate(out / "samples_final.png")
    if trainer.history:
        run.save_losses()
    return last


# ----------------------------------------------------------------------------- commands


def _list_datasets() -> None:
    width = max(map(len, DATASETS))
    for name, info in DATASETS.items():
        print(f"{name:<{width}}  {info.description}")


def _demo(args: argparse.Namespace) -> None:
    args.data, args.model = "ring", "gan"
    result = train_gan(args)
    out = Path(args.out)
    print(f"\npictures: {out / 'samples_final.png'}, samples_step*.png, losses.png; metrics: {out / 'metrics.csv'}")
    print(
        f"mode coverage: {result['modes_covered']} of 8 modes, "
        f"{result['high_quality_share']:.0%} of samples within 3 std of a mode"
    )


def _blas_threads(n: int | None) -> contextlib.AbstractContextManager[Any]:
    """Limit NumPy's BLAS to ``n`` threads while training (None: no limit), through threadpoolctl
    when it is installed (it comes with the ``examples`` extra)."""
    if n is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # then BLAS keeps its default (OPENBLAS_NUM_THREADS sets it)
        return contextlib.nullcontext()
    return threadpool_limits(limits=n, user_api="blas")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``tinygan`` and ``python -m tinygan``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "datasets":
            _list_datasets()
        elif args.command == "demo":
            with _blas_threads(args.threads):
                _demo(args)
        elif args.command == "translate":
            cli_pix2pix.translate(args)
        elif args.model == "pix2pix":
            with _blas_threads(args.threads):
                result = cli_pix2pix.train_pix2pix(args)
            print(f"validation L1 {result['val_l1']:.4f}; outputs in {args.out}/")
        else:
            with _blas_threads(args.threads):
                result = train_gan(args)
            if "modes_covered" in result:
                share = result["high_quality_share"]
                print(f"final: {result['modes_covered']} modes covered, {share:.0%} of samples high quality")
            print(f"outputs in {args.out}/")
    except (UsageError, CheckpointError, OSError, ValueError, FloatingPointError, ImportError) as e:
        print(f"tinygan: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0
