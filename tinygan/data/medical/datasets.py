"""Offline paired medical datasets made by the physics, as :class:`~tinygan.data.paired.PairedImages`.

* ``ldct``: low-dose CT denoising. A is the filtered back-projection (ramp filter) of a
  scan at ``i0_low`` photons per ray, B the FBP of the *same* phantom scanned at
  ``i0_full``: the target is the full-dose reconstruction, noise, blur and all, as in
  real low-dose/full-dose studies, not the phantom. :func:`make_ldct` also returns the
  phantom itself (ground truth), the label map, and the Hann-filtered FBP of the same
  low-dose sinogram, the classical baseline a learned denoiser should beat.
* ``mr2ct``: MR to synthetic CT. A is a T1-like MR rendering of a phantom (bias field,
  Rician noise; physical range (0, 1)); B is the phantom's CT numbers with their
  within-tissue texture, i.e. an ideal noiseless CT of the same anatomy, in HU.
* ``ctseg``: organ segmentation. A is the full-dose CT of ``ldct`` (the same cached
  build), B the organ mask (:data:`~tinygan.data.medical.segmentation.ORGAN_CLASSES`) as
  K = 6 one-hot channels in {-1, +1} (``b_range`` (0, 1): membership);
  :func:`~tinygan.data.medical.segmentation.labels_from_onehot` turns a prediction back
  into class ids.

**HU window.** CT images are mapped linearly to [-1, 1] from :data:`HU_RANGE` = (-1024,
2048) HU (:func:`hu_to_unit`, :func:`unit_to_hu`). -1024 is the conventional CT floor
(just below air); 2048 keeps the phantom's cortical bone (1200 HU, reconstructed up to
~1350 at full dose and ~2000 at low dose at 128 px) and its noise unclipped: in 512
slices at 128 px no value exceeds 2048. A (-1024, 1024) window would clip 8% of the
cortical-bone pixels at full dose and 16% at low dose (128 px), for a soft-tissue scale
only 1.5x finer: one unit here is 1536 HU, so the liver's 15 HU lesions are 0.01 and
low-dose noise (~90 HU at 64 px) ~0.06 in [-1, 1], well resolved in float32. Only noise
in air below -1024 is clipped. Metrics are meant to be computed in HU, in
:data:`~tinygan.metrics.ABDOMEN_WINDOW_HU`.

**Cache.** The CT build (one radon and three FBPs per slice) is the slow part: 512 slices
took 26-31 s at 64 px (101 views) and 77-150 s at 128 px (202 views) on a busy 2-core
machine, 50-60 and 150-290 ms a slice. :func:`make_ldct` stores its result in
:func:`cache_dir` (``$TINYGAN_CACHE`` or ``~/.cache/tinygan``), one ``.npz`` per
parameter set (every parameter and :data:`CACHE_VERSION` are in the file name's hash
and checked inside the file), written to a temporary file and renamed into place, and
read back with ``allow_pickle=False``; a corrupt or mismatching file is rebuilt with a
warning, an unwritable cache directory only costs the rebuild next time.

The anatomy is a deterministic function of ``(n, size, seed)`` and is shared by the
three datasets: ``ldct``, ``mr2ct`` and ``ctseg`` with the same arguments show the same
phantoms.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tinygan._files import atomic_write
from tinygan._npz import read_npz

from ..paired import PairedImages, from_unit, to_unit
from . import ct
from .mr import render_mr
from .phantoms import FOV_CM, MIN_SIZE, labels_to_hu, make_phantoms
from .segmentation import N_ORGAN_CLASSES, ORGAN_CLASSES, organ_mask, to_onehot

HU_RANGE = (-1024.0, 2048.0)
MR_RANGE = (0.0, 1.0)
ONEHOT_RANGE = (0.0, 1.0)
DEFAULT_N = 512
DEFAULT_SIZE = 64
I0_FULL = 1e5
I0_LOW = 1e4
CACHE_VERSION = 1  # bump when the phantoms or the simulation change
_CT_CHUNK = 16  # slices simulated together (bounds the sinograms' memory)
_ARRAYS = ("phantom_hu", "full_hu", "low_hu", "low_hann_hu", "labels")
# independent random streams of one seed
_PHANTOM, _TEXTURE, _CT_NOISE, _MR, _MR_TEXTURE = range(5)


def hu_to_unit(hu: np.ndarray, hu_range: tuple[float, float] = HU_RANGE) -> np.ndarray:
    """CT numbers to float32 [-1, 1] through the linear window ``hu_range``, clipped."""
    return to_unit(hu, hu_range)


def unit_to_hu(x: np.ndarray, hu_range: tuple[float, float] = HU_RANGE) -> np.ndarray:
    """[-1, 1] values (e.g. a generator's output) back to HU, float32; the inverse of :func:`hu_to_unit`."""
    return from_unit(np.asarray(x, dtype=np.float64), hu_range).astype(np.float32)


def cache_dir() -> Path:
    """Where built datasets are kept: ``$TINYGAN_CACHE``, else ``~/.cache/tinygan``."""
    env = os.environ.get("TINYGAN_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "tinygan"


@dataclass
class LDCTSlices:
    """A simulated low-dose CT set; every array is (n, size, size).

    Attributes:
        phantom_hu: float32 ground truth, the phantom's CT numbers (with texture).
        full_hu: float32 ramp-filtered FBP of the full-dose scan (the denoising target).
        low_hu: float32 ramp-filtered FBP of the low-dose scan (the input).
        low_hann_hu: float32 Hann-filtered FBP of the same low-dose sinogram (the baseline).
        labels: uint8 tissue ids (:data:`~tinygan.data.medical.phantoms.TISSUES`).
        params: every parameter of the build.
    """

    phantom_hu: np.ndarray
    full_hu: np.ndarray
    low_hu: np.ndarray
    low_hann_hu: np.ndarray
    labels: np.ndarray
    params: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.labels)


def _check_count(n: int, what: str = "n") -> int:
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"{what} must be a positive integer, got {n!r}")
    return int(n)


def _check_seed(seed: int) -> int:
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def _check_size(size: int) -> int:
    if isinstance(size, bool) or int(size) != size or size < MIN_SIZE:
        raise ValueError(f"size must be an integer >= {MIN_SIZE} pixels, got {size!r}")
    return int(size)


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, stream]))


def _phantoms(n: int, size: int, seed: int, texture: float) -> tuple[np.ndarray, np.ndarray]:
    labels = make_phantoms(n, size, _rng(seed, _PHANTOM))
    return labels, labels_to_hu(labels, _rng(seed, _TEXTURE), texture)


def _ldct_params(n, size, seed, i0_full, i0_low, electronic_sigma, n_angles, texture) -> dict[str, Any]:
    for name, i0 in (("i0_full", i0_full), ("i0_low", i0_low)):
        if not np.isfinite(i0) or i0 <= 0:
            raise ValueError(f"{name} (photons per ray) must be positive, got {i0}")
    if not np.isfinite(electronic_sigma) or electronic_sigma < 0:
        raise ValueError(f"electronic_sigma must be non-negative, got {electronic_sigma}")
    if not np.isfinite(texture) or texture < 0:
        raise ValueError(f"texture must be non-negative, got {texture}")
    n_angles = ct._check_n_angles(n_angles, size)
    return {
        "dataset": "ldct",
        "version": CACHE_VERSION,
        "n": n,
        "size": size,
        "seed": seed,
        "i0_full": float(i0_full),
        "i0_low": float(i0_low),
        "electronic_sigma": float(electronic_sigma),
        "n_angles": int(n_angles),
        "texture": float(texture),
        "blur_px": ct.SYSTEM_BLUR_PX,
        "mu_water": ct.MU_WATER,
        "min_counts": ct.MIN_COUNTS,
        "fov_cm": FOV_CM,
    }


def _cache_file(params: dict[str, Any]) -> Path:
    text = json.dumps(params, sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    name = f"ldct-v{params['version']}-{params['size']}px-n{params['n']}-seed{params['seed']}-{digest}.npz"
    return cache_dir() / name


def _read_cache(path: Path, params: dict[str, Any]) -> LDCTSlices | None:
    """The cached build at ``path``, or None when it is missing, corrupt or for other parameters."""
    if not path.is_file():
        return None
    n, size = params["n"], params["size"]
    try:
        data = read_npz(path, "dataset cache")
        stored = json.loads(str(data["params"]))
        arrays = {k: data[k] for k in _ARRAYS}
        if stored != params:
            raise ValueError("the parameters stored in the file differ")
        for k, a in arrays.items():
            want = np.uint8 if k == "labels" else np.float32
            if a.shape != (n, size, size) or a.dtype != want:
                raise ValueError(f"{k} is {a.dtype} {a.shape}, expected {np.dtype(want)} {(n, size, size)}")
    except (OSError, ValueError, KeyError) as exc:  # read_npz turns every kind of damage into a ValueError
        warnings.warn(f"rebuilding unreadable dataset cache {path}: {exc}", RuntimeWarning, stacklevel=3)
        return None
    return LDCTSlices(**arrays, params=params)


def _write_cache(path: Path, slices: LDCTSlices) -> None:
    """Store ``slices`` at ``path`` atomically; a failure only warns (the data are still returned)."""
    arrays = {k: getattr(slices, k) for k in _ARRAYS}
    params = np.array(json.dumps(slices.params, sort_keys=True))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda f: np.savez(f, params=params, **arrays))
    except OSError as exc:
        warnings.warn(f"could not write the dataset cache {path}: {exc}", RuntimeWarning, stacklevel=3)


def simulate_ldct(params: dict[str, Any]) -> LDCTSlices:
    """Build the set ``params`` describes (see :func:`make_ldct`), without the cache."""
    n, size, seed = params["n"], params["size"], params["seed"]
    labels, phantom = _phantoms(n, size, seed, params["texture"])
    rng = _rng(seed, _CT_NOISE)
    full = np.empty_like(phantom)
    low = np.empty_like(phantom)
    low_hann = np.empty_like(phantom)
    for lo in range(0, n, _CT_CHUNK):
        hi = min(lo + _CT_CHUNK, n)
        p = ct.project(phantom[lo:hi], params["n_angles"], params["blur_px"])
        p_full = ct.add_poisson_noise(p, params["i0_full"], params["electronic_sigma"], rng, params["min_counts"])
        p_low = ct.add_poisson_noise(p, params["i0_low"], params["electronic_sigma"], rng, params["min_counts"])
        full[lo:hi] = ct.reconstruct(p_full, "ramp")
        low[lo:hi] = ct.reconstruct(p_low, "ramp")
        low_hann[lo:hi] = ct.reconstruct(p_low, "hann")
    return LDCTSlices(phantom, full, low, low_hann, labels, params)


def make_ldct(
    n: int,
    size: int = DEFAULT_SIZE,
    seed: int = 0,
    *,
    i0_full: float = I0_FULL,
    i0_low: float = I0_LOW,
    electronic_sigma: float = ct.DEFAULT_ELECTRONIC_SIGMA,
    n_angles: int | None = None,
    texture: float = 1.0,
    cache: bool = True,
) -> LDCTSlices:
    """Simulate ``n`` full-dose/low-dose CT slice pairs of random abdominal phantoms.

    Each phantom (:func:`~tinygan.data.medical.phantoms.make_phantoms`, with texture) is
    projected once (:func:`~tinygan.data.medical.ct.project`), the sinogram gets Poisson
    and electronic noise at ``i0_full`` and, independently, at ``i0_low`` photons per ray,
    and both are reconstructed by ramp-filtered FBP; the low-dose sinogram also by
    Hann-filtered FBP.

    Args:
        n: number of slices.
        size: slice edge in pixels (the field of view is always 38 cm).
        seed: seeds the anatomy and the noise.
        i0_full, i0_low: unattenuated photons per detector bin and view of the two scans.
        electronic_sigma: std of the detector's Gaussian noise, in counts.
        n_angles: views over 180 degrees; default ``ceil(pi/2 * size)``.
        texture: scale of the phantoms' within-tissue texture (0: piecewise constant).
        cache: read and write the result in :func:`cache_dir`.
    """
    n, size, seed = _check_count(n), _check_size(size), _check_seed(seed)
    params = _ldct_params(n, size, seed, i0_full, i0_low, electronic_sigma, n_angles, texture)
    path = _cache_file(params) if cache else None
    if path is not None:
        cached = _read_cache(path, params)
        if cached is not None:
            return cached
    slices = simulate_ldct(params)
    if path is not None:
        _write_cache(path, slices)
    return slices


def _names(prefix: str, seed: int, n: int) -> list[str]:
    return [f"{prefix}_{seed}_{i:05d}" for i in range(n)]


def load_ldct(
    n: int | None, seed: int = 0, path: Path | None = None, *, size: int = DEFAULT_SIZE, **sim
) -> PairedImages:
    """The ``ldct`` pairs: A low-dose FBP, B full-dose FBP, (n, 1, size, size) in :data:`HU_RANGE`.

    ``n`` None means :data:`DEFAULT_N`; ``path`` is unused (the data are simulated; the
    cache is :func:`cache_dir`); ``sim`` takes :func:`make_ldct`'s keyword arguments.
    """
    n = DEFAULT_N if n is None else n
    s = make_ldct(n, size, seed, **sim)
    p = s.params
    description = (
        f"simulated abdominal CT {size}x{size} (38 cm FOV): A = low-dose FBP (I0={p['i0_low']:g}), "
        f"B = full-dose FBP (I0={p['i0_full']:g}); electronic noise {p['electronic_sigma']:.3g} counts, "
        f"{p['n_angles']} views, ramp filter; HU window {HU_RANGE}"
    )
    return PairedImages(
        a=hu_to_unit(s.low_hu)[:, None], b=hu_to_unit(s.full_hu)[:, None], names=_names("ldct", seed, len(s)),
        a_range=HU_RANGE, b_range=HU_RANGE, description=description,
    )  # fmt: skip


def make_mr2ct(
    n: int,
    size: int = DEFAULT_SIZE,
    seed: int = 0,
    *,
    weighting: str = "t1",
    noise: float = 0.03,
    bias: float = 0.4,
    texture: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MR renderings and CT numbers of the same ``n`` phantoms (fast, not cached).

    Returns:
        mr: float32 (n, size, size) in [0, 1] (:func:`~tinygan.data.medical.mr.render_mr`).
        hu: float32 (n, size, size), the phantoms' CT numbers with texture (as in ``ldct``).
        labels: uint8 (n, size, size) tissue ids.
    """
    n, size, seed = _check_count(n), _check_size(size), _check_seed(seed)
    if not np.isfinite(texture) or texture < 0:
        raise ValueError(f"texture must be non-negative, got {texture}")
    labels, hu = _phantoms(n, size, seed, texture)
    rng = _rng(seed, _MR)
    mr = render_mr(labels, rng, noise=noise, bias=bias, weighting=weighting, texture=texture)
    return mr, hu, labels


def load_mr2ct(
    n: int | None, seed: int = 0, path: Path | None = None, *, size: int = DEFAULT_SIZE, **render
) -> PairedImages:
    """The ``mr2ct`` pairs: A MR rendering (range (0, 1)), B CT in :data:`HU_RANGE`, (n, 1, size, size).

    ``n`` None means :data:`DEFAULT_N`; ``path`` is unused; ``render`` takes
    :func:`make_mr2ct`'s keyword arguments.
    """
    n = DEFAULT_N if n is None else n
    mr, hu, _ = make_mr2ct(n, size, seed, **render)
    weighting = render.get("weighting", "t1").upper()
    description = (
        f"{weighting}-like MR rendering (bias field, Rician noise) -> CT numbers of the same "
        f"{size}x{size} abdominal phantom; HU window {HU_RANGE}"
    )
    return PairedImages(
        a=to_unit(mr, MR_RANGE)[:, None], b=hu_to_unit(hu)[:, None], names=_names("mr2ct", seed, n),
        a_range=MR_RANGE, b_range=HU_RANGE, description=description,
    )  # fmt: skip


def load_ctseg(
    n: int | None, seed: int = 0, path: Path | None = None, *, size: int = DEFAULT_SIZE, **sim
) -> PairedImages:
    """The ``ctseg`` pairs: A full-dose CT (n, 1, size, size) in :data:`HU_RANGE`, B the organ
    mask as (n, 6, size, size) one-hot channels in {-1, +1} (``b_range`` (0, 1)).

    Uses (and caches) the same build as :func:`load_ldct` with equal arguments.
    """
    n = DEFAULT_N if n is None else n
    s = make_ldct(n, size, seed, **sim)
    description = (
        f"simulated full-dose abdominal CT {size}x{size} -> organ mask, {N_ORGAN_CLASSES} one-hot channels "
        f"({', '.join(ORGAN_CLASSES)}); HU window {HU_RANGE}"
    )
    return PairedImages(
        a=hu_to_unit(s.full_hu)[:, None], b=to_onehot(organ_mask(s.labels)), names=_names("ctseg", seed, len(s)),
        a_range=HU_RANGE, b_range=ONEHOT_RANGE, description=description,
    )  # fmt: skip
