"""Organ masks from the phantoms' tissue label maps, and their one-hot form.

The segmentation classes (:data:`ORGAN_CLASSES`) merge tissues the way an abdominal organ
segmentation would: ``background`` is the air around the body; ``body`` is everything
else that is not one of the organs below (fat, muscle, vessels, lungs, bowel gas);
``liver`` includes its lesions and the small vessels inside it (they lie within the
organ's outline); ``kidney`` both kidneys; ``spleen``; and ``bone`` cortical and
trabecular bone (vertebra and ribs).
"""

from __future__ import annotations

import numpy as np

from . import phantoms as ph

ORGAN_CLASSES: tuple[str, ...] = ("background", "body", "liver", "kidney", "spleen", "bone")
N_ORGAN_CLASSES = len(ORGAN_CLASSES)
BACKGROUND, BODY, LIVER, KIDNEY, SPLEEN, BONE = range(N_ORGAN_CLASSES)

# organ class of each tissue id
_TISSUE_TO_ORGAN = np.full(ph.N_TISSUES, BODY, dtype=np.uint8)
_TISSUE_TO_ORGAN[ph.AIR] = BACKGROUND
_TISSUE_TO_ORGAN[[ph.LIVER, ph.LESION, ph.HEPATIC_VESSEL]] = LIVER
_TISSUE_TO_ORGAN[ph.KIDNEY] = KIDNEY
_TISSUE_TO_ORGAN[ph.SPLEEN] = SPLEEN
_TISSUE_TO_ORGAN[[ph.TRABECULAR_BONE, ph.CORTICAL_BONE]] = BONE


def organ_mask(labels: np.ndarray) -> np.ndarray:
    """Organ class ids (uint8, indices into :data:`ORGAN_CLASSES`) of tissue label maps,
    the same shape as ``labels``."""
    return _TISSUE_TO_ORGAN[ph._check_labels(labels)]


def to_onehot(mask: np.ndarray, n_classes: int = N_ORGAN_CLASSES) -> np.ndarray:
    """One-hot channels of class masks: (n, H, W) ints to float32 (n, K, H, W) in {-1, +1}
    (+1 in the channel of the pixel's class), the range of a Tanh output."""
    mask = np.asarray(mask)
    if mask.ndim != 3 or not np.issubdtype(mask.dtype, np.integer):
        raise ValueError(f"expected an integer class mask (n, H, W), got {mask.dtype} of shape {mask.shape}")
    if mask.size and (mask.min() < 0 or mask.max() >= n_classes):
        raise ValueError(f"class ids must lie in 0..{n_classes - 1}, got {mask.min()}..{mask.max()}")
    onehot = np.full((mask.shape[0], n_classes, *mask.shape[1:]), -1.0, dtype=np.float32)
    np.put_along_axis(onehot, mask[:, None].astype(np.intp), 1.0, axis=1)
    return onehot


def labels_from_onehot(onehot: np.ndarray) -> np.ndarray:
    """Class ids of one-hot (or soft, e.g. a generator's) channels: argmax over the channel
    axis of (n, K, H, W) or (K, H, W); int64 (n, H, W) or (H, W)."""
    onehot = np.asarray(onehot)
    if onehot.ndim not in (3, 4):
        raise ValueError(f"expected one-hot channels (n, K, H, W) or (K, H, W), got shape {onehot.shape}")
    return np.argmax(onehot, axis=-3)
