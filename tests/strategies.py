"""Hypothesis strategies for the op tests, and the helper that feeds drawn arrays to gradcheck.

Shapes stay small (at most 3 dimensions of at most 3) so that a full finite-difference check,
two forwards per input element, takes milliseconds. Values are float64 and bounded; ops with a
kink or a singularity get values kept away from it by construction (``margin``, ``distinct_arrays``)
rather than by filtering, so Hypothesis never has to throw examples away.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygan
from tinygan.gradcheck import gradcheck

MAX_DIMS = 3
MAX_SIDE = 3


def shapes(min_dims: int = 0, max_dims: int = MAX_DIMS, min_side: int = 1, max_side: int = MAX_SIDE) -> Any:
    """Array shapes such as (), (3,), (2, 1, 3)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcastable_shapes(min_dims: int = 0, max_dims: int = MAX_DIMS, max_side: int = MAX_SIDE) -> Any:
    """Pairs of shapes that broadcast together: dimensions missing on the left, or of size 1."""
    pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=min_dims, max_dims=max_dims, max_side=max_side)
    return pairs.map(lambda b: b.input_shapes)


def floats(low: float = -2.0, high: float = 2.0, margin: float = 0.0) -> Any:
    """Floats in [low, high]; with ``margin`` > 0 also |value| >= margin (away from a kink at 0)."""
    if margin <= 0:
        return st.floats(low, high)
    sides = []
    if high >= margin:
        sides.append(st.floats(max(low, margin), high))
    if low <= -margin:
        sides.append(st.floats(low, min(high, -margin)))
    return st.one_of(sides)


def arrays(shape: Any, low: float = -2.0, high: float = 2.0, margin: float = 0.0) -> Any:
    """float64 arrays of ``shape`` (a tuple or a strategy) with values drawn by ``floats``."""
    return hnp.arrays(np.float64, shape, elements=floats(low, high, margin))


@st.composite
def distinct_arrays(draw: Any, shape: tuple[int, ...], gap: float = 0.1) -> np.ndarray:
    """float64 arrays whose values differ pairwise by more than gap / 2 (no ties for max, maximum)."""
    n = int(np.prod(shape))
    order = np.array(draw(st.permutations(range(n))), dtype=np.float64)
    jitter = draw(hnp.arrays(np.float64, n, elements=st.floats(0, gap / 2, exclude_max=True)))
    return ((order - n / 2) * gap + jitter).reshape(shape)


def permutations(ndim: int) -> Any:
    """Orders of the dimensions 0 .. ndim-1."""
    return st.permutations(range(ndim)).map(tuple)


@st.composite
def slices(draw: Any, size: int) -> slice:
    """A slice of a dimension of ``size``: any start/stop (negative, past the end, None), step in ±1..3."""
    bound = st.none() | st.integers(-size - 1, size + 1)
    step = st.none() | st.integers(-3, 3).filter(bool)
    return slice(draw(bound), draw(bound), draw(step))


def check_grads(fn: Callable[..., tinygan.Tensor], *arrays: np.ndarray, **options: Any) -> None:
    """Run ``tinygan.gradcheck.gradcheck`` on ``fn`` with every array as a float64 leaf that requires grad.

    The tolerances are tighter than gradcheck's defaults: on these small, bounded float64 inputs
    central differences are good to about 1e-9, so a gradient off by a factor 1.0001 is caught.
    """
    inputs = [tinygan.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    gradcheck(fn, inputs, **{"atol": 1e-7, "rtol": 1e-6, **options})
