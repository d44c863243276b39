"""Pictures of training: image grids, 2-D scatter plots of samples, loss curves, as PNG files.

matplotlib is optional (``pip install "tinygan[examples]"``). It is imported on first use;
when it is missing, the first call prints one warning and every function returns False
without writing anything, so training runs the same with or without it. Figures are drawn
with the Agg backend through matplotlib's object API, which never opens a window and leaves
the user's pyplot backend alone.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

_warned = False


def _matplotlib() -> Any:
    """The matplotlib module, or None (after one warning on stderr) when it is not installed."""
    global _warned
    try:
        import matplotlib
    except ImportError:
        if not _warned:
            print(
                "tinygan: matplotlib is not installed, so no pictures are written; "
                'install it with pip install "tinygan[examples]"',
                file=sys.stderr,
            )
            _warned = True
        return None
    return matplotlib


def _new_figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(figure)  # attaches itself to the figure; savefig then renders with Agg
    return figure


def make_grid(images: Any, nrow: int = 8, padding: int = 2) -> np.ndarray:
    """Tile (N, C, H, W) images into one (H', W', C) array, ``nrow`` images per row, like
    torchvision's ``make_grid``; values in [-1, 1] (any negative value) are mapped to [0, 1].

    Args:
        images: (N, C, H, W) array or Tensor with C = 1 or 3, values in [-1, 1] or [0, 1].
        nrow: images per row.
        padding: pixels of black between images.
    """
    images = np.asarray(images.numpy() if hasattr(images, "numpy") else images, dtype=np.float32)
    if images.ndim != 4 or images.shape[1] not in (1, 3) or len(images) == 0:
        raise ValueError(f"make_grid expects images of shape (N, C, H, W) with C = 1 or 3, got {images.shape}")
    if nrow < 1 or padding < 0:
        raise ValueError(f"make_grid needs nrow >= 1 and padding >= 0, got nrow={nrow}, padding={padding}")
    if images.min() < 0:
        images = (images + 1) / 2
    images = np.clip(images, 0, 1)
    n, c, h, w = images.shape
    cols = min(nrow, n)
    rows = math.ceil(n / cols)
    grid = np.zeros((rows * (h + padding) + padding, cols * (w + padding) + padding, c), dtype=np.float32)
    for i, image in enumerate(images):
        top, left = padding + (i // cols) * (h + padding), padding + (i % cols) * (w + padding)
        grid[top : top + h, left : left + w] = image.transpose(1, 2, 0)
    return grid


def save_image_grid(images: Any, path: str | Path, nrow: int = 8, padding: int = 2, scale: int = 1) -> bool:
    """Write (N, C, H, W) images in [-1, 1] or [0, 1] as one PNG grid (see ``make_grid``).

    ``scale`` enlarges every pixel to a scale x scale block, so small images stay visible.
    Returns True if the file was written, False if matplotlib is missing.
    """
    grid = make_grid(images, nrow, padding)
    if scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale}")
    if _matplotlib() is None:
        return False
    from matplotlib.image import imsave

    grid = grid.repeat(scale, axis=0).repeat(scale, axis=1)
    if grid.shape[2] == 1:
        imsave(path, grid[:, :, 0], cmap="gray", vmin=0.0, vmax=1.0)
    else:
        imsave(path, grid)
    return True


# colours of label maps shown as pictures (class 0 black); one-hot outputs are drawn by argmax
LABEL_COLOURS = np.array(
    [[0, 0, 0], [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48], [145, 30, 180],
     [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128]], dtype=np.float32,
) / 255  # fmt: skip


def to_rgb(images: Any) -> np.ndarray:
    """(N, C, H, W) images in [-1, 1] -> (N, 3, H, W) in [0, 1]: grey for C = 1, as is for C = 3,
    and for any other C (one-hot label maps) the colour of each pixel's largest channel."""
    images = np.asarray(images.numpy() if hasattr(images, "numpy") else images, dtype=np.float32)
    if images.ndim != 4:
        raise ValueError(f"to_rgb expects images of shape (N, C, H, W), got {images.shape}")
    if images.shape[1] == 1:
        images = np.repeat(images, 3, axis=1)
    elif images.shape[1] != 3:
        labels = images.argmax(axis=1)
        return LABEL_COLOURS[labels % len(LABEL_COLOURS)].transpose(0, 3, 1, 2)
    return np.clip((images + 1) / 2, 0, 1)


def save_translation_grid(inputs: Any, outputs: Any, targets: Any, path: str | Path) -> bool:
    """Write one row per example: input | output | target, each (N, C, H, W) in [-1, 1]
    (channel counts may differ: see ``to_rgb``). Returns False if matplotlib is missing."""
    columns = [to_rgb(x) for x in (inputs, outputs, targets)]
    if len({c.shape for c in columns}) != 1:
        raise ValueError(f"inputs, outputs and targets must be equally many, equally big images, got "
                         f"{[c.shape for c in columns]}")  # fmt: skip
    rows = np.stack(columns, axis=1).reshape(-1, *columns[0].shape[1:])  # a0 f0 b0 a1 f1 b1 ...
    return save_image_grid(rows, path, nrow=3, scale=max(1, 128 // columns[0].shape[2]))


def save_scatter(
    samples: Any,
    path: str | Path,
    centers: np.ndarray | None = None,
    std: float | None = None,
    real: np.ndarray | None = None,
    title: str | None = None,
) -> bool:
    """Scatter plot of (N, 2) generated points over the mixture's mode centers.

    Args:
        samples: (N, 2) generated points.
        path: PNG file to write.
        centers: (K, 2) mode centers, drawn as crosses; with ``std``, a circle of radius
            3 std around each marks where a sample counts as high quality.
        real: (M, 2) real points, drawn underneath in grey for comparison.
        title: text above the plot (e.g. the step and the modes covered).

    Returns True if the file was written, False if matplotlib is missing.
    """
    samples = np.asarray(samples.numpy() if hasattr(samples, "numpy") else samples)
    if samples.ndim != 2 or samples.shape[1] != 2:
        raise ValueError(f"save_scatter expects points of shape (N, 2), got {samples.shape}")
    if _matplotlib() is None:
        return False
    from matplotlib.patches import Circle

    figure = _new_figure(5, 5)
    ax = figure.add_subplot()
    if real is not None:
        ax.scatter(real[:, 0], real[:, 1], s=4, c="0.55", label="real", linewidths=0)
    ax.scatter(samples[:, 0], samples[:, 1], s=3, c="tab:blue", alpha=0.5, label="generated", linewidths=0)
    if centers is not None:
        ax.scatter(centers[:, 0], centers[:, 1], marker="+", s=30, c="tab:red", linewidths=0.8, label="modes")
        if std is not None:
            for center in centers:
                ax.add_patch(Circle(center, 3 * std, fill=False, color="tab:red", linewidth=0.6))
        # frame the modes with a margin, whatever G does far away
        low, high = centers.min(axis=0), centers.max(axis=0)
        margin = 0.25 * max(high - low) + 0.5
        ax.set_xlim(low[0] - margin, high[0] + margin)
        ax.set_ylim(low[1] - margin, high[1] + margin)
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=7, markerscale=2)
    if title:
        ax.set_title(title, fontsize=10)
    figure.subplots_adjust(left=0.1, right=0.97, bottom=0.07, top=0.93)  # fixed margins: tight_layout costs a draw
    figure.savefig(path)
    return True


GAN_LOSSES = (("loss_d", "Loss_D"), ("loss_g", "Loss_G"))
GAN_PROBABILITIES = (("d_x", "D(x)"), ("d_g_z1", "D(G(z))"))


def save_loss_curves(
    history: Sequence[Mapping[str, Any]],
    path: str | Path,
    title: str | None = None,
    losses: Sequence[tuple[str, str]] = GAN_LOSSES,
    probabilities: Sequence[tuple[str, str]] = GAN_PROBABILITIES,
) -> bool:
    """Plot the losses (top) and D's mean outputs (bottom) against the step.

    ``history`` is a list of per-step dicts with a ``step`` key (``Trainer.history``);
    ``losses`` and ``probabilities`` name the keys to draw and their labels (by default Loss_D,
    Loss_G and D(x), D(G(z)) of the unconditional GAN). Returns True if written, False if
    matplotlib is missing.
    """
    if not history:
        raise ValueError("save_loss_curves needs at least one step of history")
    if _matplotlib() is None:
        return False
    steps = np.array([row["step"] for row in history])
    # Per-step values are noisy: draw them faintly, with a moving average of ~1% of the run on top.
    window = max(1, len(steps) // 100)

    def plot(ax: Any, key: str, label: str, color: str) -> None:
        values = np.array([row[key] for row in history], dtype=np.float64)
        if window > 1:
            ax.plot(steps, values, color=color, alpha=0.25, linewidth=0.5)
            values = np.convolve(values, np.ones(window) / window, mode="valid")  # the mean of each window ...
        ax.plot(steps[window - 1 :], values, color=color, label=label, linewidth=1.0)  # ... at its last step

    figure = _new_figure(7, 5)
    top, bottom = figure.subplots(2, 1, sharex=True)
    for (key, label), color in zip(losses, ("tab:blue", "tab:orange", "tab:purple", "tab:brown")):
        plot(top, key, label, color)
    if losses == GAN_LOSSES:
        # where D can no longer tell real from fake, D = 1/2 and Loss_D = -2 log(1/2) = 1.386
        top.axhline(2 * math.log(2), color="0.5", linestyle="--", linewidth=0.8, label="2 log 2")
    top.set_ylabel("loss")
    top.legend(fontsize=8)
    for (key, label), color in zip(probabilities, ("tab:green", "tab:red")):
        plot(bottom, key, label, color)
    bottom.axhline(0.5, color="0.5", linestyle="--", linewidth=0.8)
    bottom.set_ylim(0, 1)
    bottom.set_xlabel("step")
    bottom.set_ylabel("D's output")
    bottom.legend(fontsize=8)
    if title:
        top.set_title(title, fontsize=10)
    figure.subplots_adjust(left=0.1, right=0.97, bottom=0.1, top=0.93, hspace=0.08)
    figure.savefig(path)
    return True
