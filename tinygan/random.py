"""Seeded random numbers for tinygan (weight init, dropout masks, noise batches).

One NumPy ``Generator`` serves the CPU; CuPy's own generator serves the GPU.
``tinygan.manual_seed(seed)`` reseeds both, so the same seed gives the same run.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygan import backend

_generator = np.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Seed every random source tinygan draws from (like ``torch.manual_seed``)."""
    global _generator
    _generator = np.random.default_rng(seed)
    if backend.cuda_is_available():
        backend.array_module("cuda").random.seed(seed)


def generator() -> np.random.Generator:
    """The CPU generator behind tinygan's random ops (use it for data shuffling too)."""
    return _generator


def get_state() -> dict[str, Any]:
    """The generator's state, for checkpoints that resume the same random stream."""
    return _generator.bit_generator.state


def set_state(state: dict[str, Any]) -> None:
    _generator.bit_generator.state = state


def random_array(kind: str, shape: tuple[int, ...], dtype: Any = np.float32, device: str = "cpu") -> Any:
    """An array of ``"normal"`` (mean 0, std 1) or ``"uniform"`` [0, 1) values on ``device``."""
    if backend.check_device(device) == "cuda":
        cp = backend.array_module("cuda")
        draw = cp.random.standard_normal if kind == "normal" else cp.random.random
        return draw(shape, dtype=dtype)
    if kind == "normal":
        return _generator.standard_normal(shape, dtype=np.dtype(dtype))
    return _generator.random(shape, dtype=np.dtype(dtype))
