"""Shared test setup: deterministic Hypothesis runs and a fresh tinygan seed for every test."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import settings

import tinygan

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
