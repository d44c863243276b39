"""The command line's image-to-image half: ``tinygan train pix2pix`` and ``tinygan translate``.

    tinygan train pix2pix --data facades-synth           the built-in paired set, a few CPU minutes
    tinygan train pix2pix --data ldct                    low-dose -> full-dose CT (phantoms, in HU)
    tinygan train pix2pix --data path/to/facades         the reference's aligned A|B folders, or A/ and B/
    tinygan translate --checkpoint runs/pix2pix/checkpoint.npz --input DIR --out DIR

A run writes into ``--out``: ``metrics.csv`` (one row per step: D's and G's losses, D on real
and fake pairs, the L1 on fixed validation pairs at evaluation steps), ``samples_step*.png``
(rows of input | output | target for those pairs), ``losses.png`` and ``checkpoint.npz``.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

import tinygan
from tinygan import backend, viz
from tinygan.data import DATASETS, load_dataset
from tinygan.data.images import is_image_file, read_image, write_image
from tinygan.data.paired import PairedBatches, PairedImages, from_unit, load_paired, to_unit
from tinygan.gan.steps import l1_step, pix2pix_step
from tinygan.gan.trainer import Trainer, sample
from tinygan.models.pix2pix import PatchGANDiscriminator, PixelDiscriminator, UNetGenerator
from tinygan.optim import Adam
from tinygan.runs import RunFiles, UsageError, gan_trainer, resolve_steps, resume_settings, train_loop

# Settings that shape a Pix2Pix run; saved in the checkpoint, and --resume and translate take
# them from there.
SETTINGS = (
    "model", "data", "direction", "n_train", "gan", "generator", "num_downs", "ngf", "norm", "dropout", "discriminator",
    "n_layers", "ndf", "lambda_l1", "batch_size", "lr", "beta1", "lr_decay", "load_size", "crop_size", "flip", "seed",
)  # fmt: skip

# The reference's settings (pytorch-CycleGAN-and-pix2pix): unet_256 + 70x70 PatchGAN, batch 1,
# Adam 2e-4 (0.5, 0.999), the learning rate constant for half the run then linearly to 0, load
# 286, random crop 256, random flip. num_downs None: as many as the crop size allows (8 for 256).
REFERENCE = dict(
    direction="AtoB", n_train=None, gan=True, generator="unet", num_downs=None, ngf=64, norm="batch", dropout=True,
    discriminator="patch", n_layers=3, ndf=64, lambda_l1=100.0, batch_size=1, lr=2e-4, beta1=0.5, lr_decay=0.5,
    load_size=286, crop_size=256, flip=True,
)  # fmt: skip
# The built-in sets are small images held in memory: no resize or crop, and narrower networks so
# that a CPU run takes minutes (the ratio of widths and the objective stay the reference's).
BUILT_IN = dict(n_train=1000, ngf=32, ndf=32, load_size=None, crop_size=None)
BUILT_IN_DEFAULTS = {
    "ldct": dict(flip=False, n_train=512),  # CT slices have a left and a right
    "mr2ct": dict(flip=False, n_train=512),
    "ctseg": dict(flip=False, n_train=512),
}
N_VALIDATION = 4  # pairs shown in every picture and scored for the validation L1


# ----------------------------------------------------------------------------- arguments


def add_parsers(models: Any, commands: Any, run_options: Any, positive_int: Any, positive_float: Any,
                fraction: Any) -> None:  # fmt: skip
    """Add ``train pix2pix`` to the ``train`` models and ``translate`` to the top-level commands
    (``run_options`` and the three argument types are the CLI's own, shared by every model)."""
    p = models.add_parser(
        "pix2pix",
        help="Pix2Pix (Isola et al. 2017): U-Net generator, PatchGAN discriminator, cGAN + L1, paired images",
        description="Train Pix2Pix on a built-in paired dataset or on a folder of paired images (the reference's "
        "aligned A|B layout with train/val/test, or A/ and B/ folders with matching names). Defaults are the "
        "reference's (unet + 70x70 PatchGAN, lambda_l1 100, Adam 2e-4 (0.5, 0.999), batch 1, load 286, crop 256, "
        f"flip); built-in sets use {BUILT_IN}.",
    )
    p.add_argument("--data", required=True, help="a built-in paired dataset (see 'tinygan datasets') or a folder")
    p.add_argument("--direction", choices=("AtoB", "BtoA"), help="translate A into B (default) or B into A")
    p.add_argument("--n-train", type=positive_int, help="pairs to generate (built-in sets)")
    p.add_argument("--no-gan", dest="gan", action="store_false", default=None,
                   help="train G on L1 alone, without D: the regression baseline of the paper's ablation")  # fmt: skip
    p.add_argument("--generator", choices=("unet", "encoder-decoder"), help="U-Net, or the same net without skips")
    p.add_argument("--num-downs", type=positive_int, help="U-Net downsamplings (default: log2 of the image size)")
    p.add_argument("--ngf", type=positive_int, help="generator base width (64)")
    p.add_argument("--norm", choices=("batch", "instance", "none"), help="normalisation in both networks (batch)")
    p.add_argument("--no-dropout", dest="dropout", action="store_false", default=None, help="no dropout in G")
    p.add_argument("--discriminator", choices=("patch", "pixel", "image"),
                   help="PatchGAN (default), the 1x1 PixelGAN, or ImageGAN (one patch = the whole image)")  # fmt: skip
    p.add_argument("--n-layers", type=positive_int, help="PatchGAN layers: 1, 3, 5 give 16, 70, 286 px patches (3)")
    p.add_argument("--ndf", type=positive_int, help="discriminator base width (64)")
    p.add_argument("--lambda-l1", type=_non_negative_float, help="weight of the L1 term (100; 0 = cGAN alone)")
    p.add_argument("--batch-size", type=positive_int, help="pairs per step (1)")
    p.add_argument("--lr", type=positive_float, help="Adam learning rate of both networks (2e-4)")
    p.add_argument("--beta1", type=fraction, help="Adam beta1 (0.5)")
    p.add_argument("--lr-decay", type=fraction, help="share of the steps, at the end, over which lr falls to 0 (0.5)")
    p.add_argument("--load-size", type=positive_int, help="resize folder images to this square size (286)")
    p.add_argument("--crop-size", type=positive_int, help="random crop of this size (256)")
    p.add_argument("--no-flip", dest="flip", action="store_false", default=None, help="no random horizontal flip")
    run_options(p, out="runs/pix2pix", steps=2000, threads=None)

    t = commands.add_parser(
        "translate",
        help="apply a trained Pix2Pix generator to new images (PNG/JPEG/TIFF, or DICOM in HU)",
        description="Translate every image in --input with the generator of a 'tinygan train pix2pix' checkpoint. "
        "Image files are written back in their own bit depth (8- or 16-bit); DICOM slices are written as DICOM "
        "(or with --format png as 16-bit PNG of HU + 1024). Images whose size is not a multiple of 2**num_downs "
        "are padded by reflection and cropped back.",
    )
    t.add_argument("--checkpoint", required=True, help="checkpoint.npz of a pix2pix run")
    t.add_argument("--input", required=True, help="an image file or a folder of them")
    t.add_argument("--out", required=True, help="folder for the outputs (same names)")
    t.add_argument("--format", choices=("same", "png"), default="same", help="DICOM in: DICOM out (same) or png")
    t.add_argument("--device", choices=backend.DEVICES, default="cpu")


def _non_negative_float(text: str) -> float:
    """A finite number >= 0 (argparse shows this message, not the function's name)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text!r}") from None
    if not (value >= 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


_non_negative_float.__name__ = "non-negative number"


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    built_in = args.data in DATASETS
    if built_in and DATASETS[args.data].kind != "paired":
        paired = [name for name, info in DATASETS.items() if info.kind == "paired"]
        raise UsageError(f"--data {args.data} is not a paired dataset; pix2pix takes one of {paired} or a folder")
    if not built_in and not Path(args.data).is_dir():
        raise UsageError(f"--data {args.data!r} is neither a built-in paired dataset nor a folder")
    defaults = {**REFERENCE, **(BUILT_IN if built_in else {}), **BUILT_IN_DEFAULTS.get(args.data, {})}
    given = {key: getattr(args, key, None) for key in SETTINGS}
    return {**defaults, **{k: v for k, v in given.items() if v is not None}, "model": "pix2pix"}


# ----------------------------------------------------------------------------- data and networks


def load_pairs(settings: dict[str, Any]) -> tuple[PairedImages, PairedImages]:
    """The training pairs and the fixed validation pairs the settings name."""
    name, seed = settings["data"], settings["seed"]
    if name in DATASETS:
        train = load_dataset(name, settings["n_train"], seed=seed)
        validation = load_dataset(name, N_VALIDATION, seed=seed + 10_000)  # other phantoms, other scenes
    else:
        train = load_paired(name, split="train", load_size=settings["load_size"])
        validation = _validation_pairs(name, settings["load_size"]) or train
        validation = validation.subset(np.arange(min(N_VALIDATION, len(validation))))
    if settings["direction"] == "BtoA":
        train, validation = train.reversed(), validation.reversed()
    return train, validation


def _validation_pairs(root: str, load_size: int | None) -> PairedImages | None:
    for split in ("val", "test"):
        if (Path(root) / split).is_dir() or (Path(root) / "A" / split).is_dir():
            return load_paired(root, split=split, load_size=load_size)
    return None


def resolve_geometry(settings: dict[str, Any], train: PairedImages) -> None:
    """Fill in what depends on the image size (the U-Net's depth, ImageGAN's layers) and check
    that the images suit the networks, before any training; the checkpoint keeps the result."""
    height, width = train.a.shape[2:]
    crop = settings["crop_size"]
    height, width = (crop, crop) if crop else (height, width)
    if settings["num_downs"] is None:
        settings["num_downs"] = int(math.log2(min(height, width)))
    step = 2 ** settings["num_downs"]
    if height % step or width % step:
        raise UsageError(
            f"the U-Net with {settings['num_downs']} downsamplings needs image sides divisible by {step}, "
            f"but training images are {height}x{width}; set --crop-size or --num-downs"
        )
    if settings["discriminator"] == "image":
        settings["n_layers"] = image_gan_layers(min(height, width))


def build_networks(settings: dict[str, Any], in_channels: int, out_channels: int) -> tuple[Any, Any]:
    """G and D as the (resolved) settings describe."""
    G = UNetGenerator(
        in_channels, out_channels, settings["num_downs"], settings["ngf"], settings["norm"], settings["dropout"],
        skip_connections=settings["generator"] == "unet",
    )  # fmt: skip
    pair_channels = in_channels + out_channels  # D sees A and B concatenated
    if settings["discriminator"] == "pixel":
        return G, PixelDiscriminator(pair_channels, settings["ndf"], settings["norm"])
    return G, PatchGANDiscriminator(pair_channels, settings["ndf"], settings["n_layers"], settings["norm"])


def image_gan_layers(size: int) -> int:
    """ImageGAN, the PatchGAN whose one patch is the whole image: the fewest layers whose
    receptive field covers ``size`` pixels (5 for 256, the paper's 286x286 ImageGAN)."""
    n_layers = 1
    while PatchGANDiscriminator(1, 1, n_layers, "none").receptive_field < size:
        n_layers += 1
    return n_layers


def build_trainer(settings: dict[str, Any], train: PairedImages, steps: int, device: str) -> Trainer:
    """Pix2Pix's networks, Adams and schedule around ``pix2pix_step``."""
    tinygan.manual_seed(settings["seed"])
    G, D = build_networks(settings, train.a.shape[1], train.b.shape[1])
    G, D = G.to(device), D.to(device)
    betas = (settings["beta1"], 0.999)
    g_optimizer = Adam(G.parameters(), lr=settings["lr"], betas=betas)
    d_optimizer = Adam(D.parameters(), lr=settings["lr"], betas=betas)
    batches = PairedBatches(train, settings["batch_size"], settings["crop_size"], settings["flip"], device)

    def step() -> dict[str, float]:
        real_A, real_B = batches()
        if not settings["gan"]:
            return l1_step(G, g_optimizer, real_A, real_B)
        return pix2pix_step(G, D, g_optimizer, d_optimizer, real_A, real_B, settings["lambda_l1"])

    return gan_trainer(step, G, D, g_optimizer, d_optimizer, steps, settings["lr_decay"])


# ----------------------------------------------------------------------------- the run


class Pix2PixRun(RunFiles):
    """A Pix2Pix run's outputs: pictures of fixed validation pairs, metrics.csv, checkpoints."""

    columns = ("step", "loss_d", "loss_d_real", "loss_d_fake", "loss_g", "loss_g_gan", "loss_g_l1", "d_real",
               "d_fake", "val_l1")  # fmt: skip
    bar_keys = ("loss_d", "loss_g_gan", "loss_g_l1", "d_real", "d_fake")

    def __init__(self, trainer: Trainer, settings: dict[str, Any], data_info: dict[str, Any],
                 validation: PairedImages, out: Path, device: str) -> None:  # fmt: skip
        self.trainer, self.settings, self.data_info, self.out = trainer, settings, data_info, out
        crop = settings["crop_size"]
        a, b = validation.a, validation.b
        if crop:  # the centre crop of the fixed pairs: what G sees during training
            top, left = (a.shape[2] - crop) // 2, (a.shape[3] - crop) // 2
            a, b = a[:, :, top : top + crop, left : left + crop], b[:, :, top : top + crop, left : left + crop]
        self.val_A_host, self.val_B = np.ascontiguousarray(a), np.ascontiguousarray(b)  # pictures read the host copy
        self.val_A = tinygan.tensor(self.val_A_host, device=device)

    def evaluate(self, picture: Path) -> dict[str, Any]:
        """Rows of input | output | target for the validation pairs; returns their mean L1."""
        fake = sample(self.trainer.networks["generator"], self.val_A).numpy()
        viz.save_translation_grid(self.val_A_host, fake, self.val_B, picture)
        return {"val_l1": float(np.abs(fake - self.val_B).mean())}

    def save_checkpoint(self) -> None:
        extra = {"settings": self.settings, "data": self.data_info}
        self.trainer.save(self.out / "checkpoint.npz", extra=extra)

    def save_losses(self) -> None:
        if not self.settings["gan"]:  # G on L1 alone: no D to plot
            viz.save_loss_curves(self.trainer.history, self.out / "losses.png", "L1 alone", (("loss_g_l1", "L1"),), ())
            return
        viz.save_loss_curves(
            self.trainer.history, self.out / "losses.png", title="Pix2Pix",
            losses=(("loss_d", "Loss_D (halved)"), ("loss_g_gan", "Loss_G GAN"), ("loss_g_l1", "L1")),
            probabilities=(("d_real", "D(A, B)"), ("d_fake", "D(A, G(A))")),
        )  # fmt: skip

    @staticmethod
    def describe(metrics: dict[str, Any], total: int) -> str:
        """A log line with the reference's loss names (G_GAN, G_L1, D_real, D_fake)."""
        line = f"[{metrics['step']}/{total}] G_L1: {metrics['loss_g_l1']:.4f}"
        if "loss_g_gan" in metrics:  # not when G is trained on L1 alone
            line += (
                f" G_GAN: {metrics['loss_g_gan']:.4f} D_real: {metrics['loss_d_real']:.4f} D_fake: "
                f"{metrics['loss_d_fake']:.4f} D(A,B): {metrics['d_real']:.3f} D(A,G(A)): {metrics['d_fake']:.3f}"
            )
        return line + (f" | val L1 {metrics['val_l1']:.4f}" if "val_l1" in metrics else "")



def train_pix2pix(args: argparse.Namespace) -> dict[str, Any]:
    """Train (or resume) Pix2Pix as the parsed arguments say; returns the last evaluation."""
    out = Path(args.out)
    checkpoint = out / "checkpoint.npz"
    try:
        backend.check_device(args.device)
    except RuntimeError as e:
        raise UsageError(str(e)) from e
    settings = resume_settings(args, checkpoint) if args.resume else _settings(args)
    steps = resolve_steps(args, settings)
    print(f"loading {settings['data']} ...", file=sys.stderr)
    train, validation = load_pairs(settings)
    data_info = {
        "a_range": list(train.a_range), "b_range": list(train.b_range),
        "a_channels": int(train.a.shape[1]), "b_channels": int(train.b.shape[1]),
    }  # fmt: skip
    resolve_geometry(settings, train)
    trainer = build_trainer(settings, train, steps, args.device)
    out.mkdir(parents=True, exist_ok=True)
    if args.resume:
        trainer.load(checkpoint)
        print(f"resuming from step {trainer.step} of {checkpoint} (model, data and optimizer settings from it)")
    n_params = sum(p.numel() for p in trainer.networks["generator"].parameters())
    print(f"training Pix2Pix on {settings['data']} ({len(train)} pairs, {train.a.shape[1]} -> {train.b.shape[1]} "
          f"channels) for {steps} steps; G has {n_params:,} parameters; writing to {out}/")  # fmt: skip
    run = Pix2PixRun(trainer, settings, data_info, validation, out, args.device)
    if trainer.step == 0:
        run.evaluate(out / "samples_step000000.png")
    train_loop(trainer, run, steps, args)
    last = run.evaluate(out / "samples_final.png")
    if trainer.history:
        run.save_losses()
    return last


# ----------------------------------------------------------------------------- translate


def translate(args: argparse.Namespace) -> list[Path]:
    """Apply a checkpoint's generator to every image in ``args.input``; returns the files written."""
    from tinygan.checkpoint import load_checkpoint

    state = load_checkpoint(args.checkpoint)
    extra = state.get("extra", {})
    if extra.get("settings", {}).get("model") != "pix2pix":
        raise UsageError(f"{args.checkpoint} was not written by 'tinygan train pix2pix'")
    settings, info = extra["settings"], extra["data"]
    inputs = _translate_inputs(Path(args.input))
    G, _ = build_networks(settings, info["a_channels"], info["b_channels"])
    G.load_state_dict(state["generator"])
    G = G.to(args.device)
    multiple = 2**G.num_downs
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in inputs:
        image = _read_for_translation(path, info)
        a = _pad_to_multiple(image.unit, multiple)
        fake = sample(G, tinygan.tensor(a[None], device=args.device)).numpy()[0]
        fake = fake[:, : image.unit.shape[1], : image.unit.shape[2]]
        written.append(_write_translation(out, path, image, fake, info, args.format))
        print(f"{path} -> {written[-1]}")
    return written


class _InputImage:
    """One image to translate: G's input in [-1, 1] (C, H, W) and how to write the result back."""

    def __init__(self, unit: np.ndarray, kind: str, dtype: Any = None, dicom: Any = None) -> None:
        self.unit, self.kind, self.dtype, self.dicom = unit, kind, dtype, dicom


def _translate_inputs(source: Path) -> list[Path]:
    if not source.exists():
        raise UsageError(f"--input {source} does not exist")
    files = [source] if source.is_file() else sorted(p for p in source.iterdir() if p.is_file())
    files = [p for p in files if is_image_file(p) or p.suffix.lower() in (".dcm", ".dicom")]
    if not files:
        raise UsageError(f"--input {source} holds no PNG, JPEG, TIFF or DICOM files")
    return files


def _read_for_translation(path: Path, info: dict[str, Any]) -> _InputImage:
    channels = info["a_channels"]
    if path.suffix.lower() in (".dcm", ".dicom"):
        from tinygan.data.medical.formats import read_dicom

        dicom = read_dicom(path)
        unit = to_unit(dicom.hu, info["a_range"])[None]
        return _InputImage(_match_channels(unit, channels, path), "dicom", dicom=dicom)
    raw = read_image(path)
    unit = to_unit(raw, (0, np.iinfo(raw.dtype).max))  # 8-bit 0..255, 16-bit 0..65535
    unit = unit[None] if unit.ndim == 2 else unit.transpose(2, 0, 1)
    return _InputImage(_match_channels(unit, channels, path), "image", dtype=raw.dtype)


def _match_channels(unit: np.ndarray, channels: int, path: Path) -> np.ndarray:
    if unit.shape[0] == channels:
        return np.ascontiguousarray(unit)
    if unit.shape[0] == 1 and channels == 3:
        return np.repeat(unit, 3, axis=0)
    raise UsageError(f"{path} has {unit.shape[0]} channels but the generator takes {channels}")


def _pad_to_multiple(x: np.ndarray, multiple: int) -> np.ndarray:
    """Reflect-pad (C, H, W) at the bottom and right up to multiples of ``multiple``."""
    pad_h, pad_w = -x.shape[1] % multiple, -x.shape[2] % multiple
    mode = "reflect" if pad_h < x.shape[1] and pad_w < x.shape[2] else "symmetric"
    return np.pad(x, ((0, 0), (0, pad_h), (0, pad_w)), mode=mode) if pad_h or pad_w else x


def _write_translation(out: Path, path: Path, image: _InputImage, fake: np.ndarray, info: dict[str, Any],
                       fmt: str) -> Path:  # fmt: skip
    """Write G's output (C, H, W) in [-1, 1] next to the input's name, in the input's kind."""
    if image.kind == "dicom":
        hu = from_unit(fake[0], info["b_range"])
        if fmt == "png":
            from tinygan.data.medical.formats import write_hu_png

            target = out / (path.stem + ".png")
            write_hu_png(target, hu)
            return target
        from tinygan.data.medical.formats import write_dicom

        target = out / path.name
        write_dicom(target, hu, template=image.dicom)
        return target
    values = from_unit(np.clip(fake, -1, 1), (0, np.iinfo(image.dtype).max))
    array = values[0] if values.shape[0] == 1 else values[:3].transpose(1, 2, 0)
    target = out / (path.stem + ".png" if fmt == "png" or path.suffix.lower() in (".jpg", ".jpeg") else path.name)
    write_image(target, np.round(array).astype(image.dtype))
    return target


__all__ = [
    "Pix2PixRun", "add_parsers", "build_networks", "build_trainer", "image_gan_layers", "load_pairs",
    "resolve_geometry", "train_pix2pix", "translate",
]  # fmt: skip
