"""Shared test setup: the CUDA simulator where there is no GPU, deterministic Hypothesis runs,
and a fresh tinygan seed for every test."""

from __future__ import annotations

import importlib.util
import os

# Without a GPU, run the CUDA kernels under Numba's CUDA simulator so that the default test run
# checks them too (tests marked ``cudasim``). The switch must be set before numba.cuda is first
# imported, so it goes here, before tinygan is imported; an explicit setting is respected.
if importlib.util.find_spec("cupy") is None:
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

import tinygan  # noqa: E402

# derandomize: every run draws the same examples, so a failure reproduces on any machine
settings.register_profile("tinygan", derandomize=True, deadline=None, database=None)
settings.load_profile("tinygan")


@pytest.fixture(autouse=True)
def _seed_tinygan() -> None:
    """Weight init and dropout draw from tinygan's generator; start each test from the same state."""
    tinygan.manual_seed(0)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)
