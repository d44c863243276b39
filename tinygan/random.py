"""Seeded random numbers for tinygan (weight init, dropout masks, noise batches).

One NumPy ``Generator`` serves the CPU; CuPy's own generator serves the GPU.
``tinygan.manual_seed(seed)`` reseeds both, so the same seed gives the same run.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygan import _checks, backend

_generator = np.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Seed every random source tinygan draws from (like ``torch.manual_seed``); ``seed`` is an int >= 0."""
    global _generator
    _generator = np.random.default_rng(_checks.integer("manual_seed", "seed", seed))
    if backend.cuda_is_available():
        backend.array_module("cuda").random.seed(seed)


def generator() -> np.random.Generator:
    """The CPU generator behind tinygan's random ops (use it for data shuffling too)."""
    return _generator


def get_state() -> dict[str, Any]:
    """The generator's state, for checkpoints that resume the same random stream."""
    return _generator.bit_generator.state


def set_state(state: dict[str, Any]) -> None:
    """Restore a ``get_state()``; a state of another generator, or a damaged one, is a ValueError."""
    try:
        _generator.bit_generator.state = state
    except (TypeError, ValueError, KeyError) as e:
        raise ValueError(f"set_state: not a state of tinygan's random generator ({type(e).__name__}: {e})") from None


def random_array(kind: str, shape: tuple[int, ...], dtype: Any = np.float32, device: str = "cpu") -> Any:
    """An array of ``"normal"`` (mean 0, std 1) or ``"uniform"`` [0, 1) values on ``device``."""
    if backend.check_device(device) == "cuda":
        cp = backend.array_module("cuda")
        draw = cp.random.standard_normal if kind == "normal" else cp.random.random
        return draw(shape, dtype=dtype)
    if kind == "normal":
        return _generator.standard_normal(shape, dtype=np.dtype(dtype))
    return _generator.random(shape, dtype=np.dtype(dtype))
