"""Two more image-to-image tasks of medical imaging with the same Pix2Pix: MR -> CT, and CT -> organ mask.

    mr2ct   A T1-like MR rendering (bias field, Rician noise) of a phantom -> its CT numbers.
            MR has no electron-density signal: bone and air are both dark, fat is bright, so G
            must learn the anatomy to tell them apart. Scored by RMSE in HU and PSNR in two
            stated windows (the abdomen's [-160, 240] and the full [-1000, 1500]).
    ctseg   A full-dose CT slice -> its organ mask (background, body, liver, kidney, spleen,
            bone) as one-hot channels; the label is the channel G puts highest. Scored by Dice
            per organ.

Both train through the same code as ``tinygan train pix2pix --data mr2ct|ctseg`` (one Pix2Pix
step per iteration: see ``tinygan.cli_pix2pix.build_trainer`` and ``tinygan.gan.pix2pix_step``).

    python examples/mr2ct_and_segmentation.py                 # both, ~2 x 3 minutes on 2 cores
    python examples/mr2ct_and_segmentation.py --task ctseg --no-gan   # the L1 baseline
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import tinygan
from tinygan.cli_pix2pix import BUILT_IN, BUILT_IN_DEFAULTS, REFERENCE, build_trainer, resolve_geometry
from tinygan.data import load_dataset
from tinygan.data.medical import ABDOMEN_WINDOW, ORGAN_CLASSES, labels_from_onehot, unit_to_hu
from tinygan.data.paired import PairedImages
from tinygan.gan import sample
from tinygan.metrics import dice, psnr, rmse, window

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--task", choices=("mr2ct", "ctseg", "both"), default="both")
parser.add_argument("--steps", type=int, default=2000)
parser.add_argument("--no-gan", action="store_true", help="train G on L1 alone")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--out", default="runs/medical")
args = parser.parse_args()
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)
FULL_WINDOW = (-1000.0, 1500.0)


def train_and_translate(task: str) -> tuple[PairedImages, np.ndarray]:
    """Train Pix2Pix on ``task``'s 512 training pairs; return the held-out pairs and G's outputs."""
    train, test = load_dataset(task, 512, seed=0), load_dataset(task, 32, seed=1)  # other phantoms
    settings = {**REFERENCE, **BUILT_IN, **BUILT_IN_DEFAULTS[task], "data": task, "seed": args.seed,
                "gan": not args.no_gan}  # fmt: skip
    resolve_geometry(settings, train)
    trainer = build_trainer(settings, train, args.steps, "cpu")
    for _ in range(args.steps):
        metrics = trainer.train_step()
        if trainer.step % 500 == 0:
            print(f"  {task} [{trainer.step}/{args.steps}] L1 {metrics['loss_g_l1']:.4f}")
    return test, sample(trainer.networks["generator"], tinygan.tensor(test.a)).numpy()


def save_figure(path: Path, columns: dict[str, np.ndarray], kinds: dict[str, dict]) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    figure, axes = plt.subplots(3, len(columns), figsize=(2.1 * len(columns), 6.3))
    for column, (name, images) in enumerate(columns.items()):
        for row in range(3):
            axes[row, column].imshow(images[row], **kinds[name])
            axes[row, column].set_xticks([])
            axes[row, column].set_yticks([])
        axes[0, column].set_title(name, fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


report: dict[str, dict] = {}
if args.task in ("mr2ct", "both"):
    print("MR -> CT ...")
    test, fake = train_and_translate("mr2ct")
    fake_hu, target_hu = unit_to_hu(fake[:, 0]), unit_to_hu(test.b[:, 0])
    report["mr2ct"] = {"rmse_hu": rmse(fake_hu, target_hu)}
    for lo, hi in (ABDOMEN_WINDOW, FULL_WINDOW):
        report["mr2ct"][f"psnr_db_[{lo:g},{hi:g}]"] = psnr(window(fake_hu, lo, hi), window(target_hu, lo, hi), hi - lo)
    grey_ct = dict(cmap="gray", vmin=-400, vmax=600)
    save_figure(out / "mr2ct.png", {"MR (input)": test.a[:3, 0], "G(MR)": fake_hu[:3], "CT (target)": target_hu[:3]},
                {"MR (input)": dict(cmap="gray", vmin=-1, vmax=1), "G(MR)": grey_ct, "CT (target)": grey_ct})
if args.task in ("ctseg", "both"):
    print("CT -> organ mask ...")
    test, fake = train_and_translate("ctseg")
    predicted, truth = labels_from_onehot(fake), labels_from_onehot(test.b)
    scores = dice(predicted, truth, labels=range(1, len(ORGAN_CLASSES)))
    report["ctseg"] = {f"dice_{ORGAN_CLASSES[label]}": value for label, value in scores.items()}
    masks = dict(cmap="tab10", vmin=0, vmax=9, interpolation="nearest")
    ct = unit_to_hu(test.a[:3, 0])
    save_figure(out / "ctseg.png", {"CT (input)": ct, "G(CT)": predicted[:3], "mask (target)": truth[:3]},
                {"CT (input)": dict(cmap="gray", vmin=-400, vmax=600), "G(CT)": masks, "mask (target)": masks})

objective = "L1 alone" if args.no_gan else "Pix2Pix (L1 + cGAN)"
print(f"\n{objective}, {args.steps} steps, seed {args.seed}, 32 held-out phantoms:")
for task, numbers in report.items():
    print(f"  {task}: " + ", ".join(f"{k} {v:.3f}" for k, v in numbers.items()))
(out / f"results{'_l1' if args.no_gan else ''}.json").write_text(json.dumps(report, indent=1))
