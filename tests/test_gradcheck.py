"""tinygan.gradcheck: it must pass correct gradients and catch wrong ones, saying where."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

import tinygan
from tinygan import Function
from tinygan import functional as F
from tinygan.gradcheck import GradcheckError, gradcheck


class HalfSquare(Function):
    """x * x with a deliberately wrong backward: it forgets the factor 2."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, g):
        return g * self.x


class ScaleSecond(Function):
    """x * y with the right gradient for x and a wrong one (sign flipped) for y."""

    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, g):
        return g * self.y, -g * self.x


def leaf(shape, rng, dtype=np.float64):
    return tinygan.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)


def composite(x, y):
    return F.tanh(x @ y).sum(0) * F.exp(x).mean()


@pytest.mark.parametrize("mode", ["full", "random", "auto"])
def test_passes_on_correct_ops(mode, rng):
    x, y = leaf((3, 4), rng), leaf((4, 2), rng)
    assert gradcheck(composite, [x, y], mode=mode)


def test_random_mode_passes_on_a_large_input(rng):
    x = leaf((40, 30), rng)
    assert gradcheck(lambda x: F.sigmoid(x) * x, [x], mode="auto", n_directions=3)


def test_full_mode_names_the_input_and_the_index(rng):
    x = leaf((2, 3), rng)
    with pytest.raises(GradcheckError, match=r"input 0 \(shape \(2, 3\)\).*index \(\d, \d\)"):
        gradcheck(lambda x: HalfSquare()(x), [x], mode="full")


def test_random_mode_names_the_input_and_the_direction(rng):
    x = leaf((2, 3), rng)
    with pytest.raises(GradcheckError, match=r"input 0 \(shape \(2, 3\)\).*random direction 0"):
        gradcheck(lambda x: HalfSquare()(x), [x], mode="random")


def test_auto_mode_uses_random_directions_for_large_inputs(rng):
    x = leaf((20, 20), rng)
    with pytest.raises(GradcheckError, match="random direction"):
        gradcheck(lambda x: HalfSquare()(x), [x], max_full_size=256)


def test_names_the_wrong_input_among_several(rng):
    x, y = leaf((3,), rng), leaf((3,), rng)
    with pytest.raises(GradcheckError, match=r"input 1 \(shape \(3,\)\)"):
        gradcheck(lambda x, y: ScaleSecond()(x, y), [x, y])


def test_zero_dimensional_inputs():
    x = tinygan.tensor(np.float64(0.3), requires_grad=True)
    assert gradcheck(lambda x: x * F.exp(x), [x], mode="full")
    assert gradcheck(lambda x: x * F.exp(x), [x], mode="random")
    with pytest.raises(GradcheckError, match=r"input 0 \(shape \(\)\).*index \(\)"):
        gradcheck(lambda x: HalfSquare()(x), [x])
    assert x.shape == () and x.item() == 0.3


def test_checks_only_inputs_that_require_grad(rng):
    x, y = leaf((3,), rng), tinygan.tensor(rng.standard_normal(3))
    assert gradcheck(lambda x, y: ScaleSecond()(x, y), [x, y])  # y's wrong gradient is never asked for


def test_rejects_float32_inputs(rng):
    with pytest.raises(TypeError, match="float64.*input 0 is float32"):
        gradcheck(F.exp, [leaf((3,), rng, np.float32)])


def test_rejects_inputs_without_grad_and_unknown_modes(rng):
    with pytest.raises(ValueError, match="no input has requires_grad"):
        gradcheck(F.exp, [tinygan.tensor(np.ones(3))])
    with pytest.raises(ValueError, match="mode"):
        gradcheck(F.exp, [leaf((3,), rng)], mode="forward")


@pytest.mark.parametrize("fn", [composite, lambda x, y: ScaleSecond()(x[:, :2], y[:3])])
@pytest.mark.parametrize("mode", ["full", "random"])
def test_leaves_inputs_unchanged(fn, mode, rng):
    x, y = leaf((3, 4), rng), leaf((4, 2), rng)
    before = x.numpy().copy(), y.numpy().copy()
    with contextlib.suppress(GradcheckError):  # the second fn is wrong on purpose: restore on failure too
        gradcheck(fn, [x, y], mode=mode)
    for t, values in zip((x, y), before):
        assert t.dtype == np.float64 and t.requires_grad and t.is_leaf
        np.testing.assert_array_equal(t.numpy(), values)
