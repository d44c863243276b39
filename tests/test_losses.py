"""Losses (F.binary_cross_entropy[_with_logits], l1_loss, mse_loss) and the GAN objectives:
values against NumPy formulas, gradients against finite differences, stability at huge logits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import arrays, check_grads, shapes

import tinygan
from tinygan import functional as F
from tinygan.gan import losses as gan

FAST = settings(max_examples=25, deadline=None)
REDUCE = {"mean": np.mean, "sum": np.sum, "none": lambda v: v}


def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def np_bce(p, t):
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


@FAST
@given(data=st.data(), shape=shapes(), reduction=st.sampled_from(list(REDUCE)))
def test_bce_with_logits(data, shape, reduction):
    x, t = data.draw(arrays(shape, -8, 8)), data.draw(arrays(shape, 0.001, 0.999))  # gradcheck moves t
    out = F.binary_cross_entropy_with_logits(tinygan.tensor(x), tinygan.tensor(t), reduction)
    np.testing.assert_allclose(out.numpy(), REDUCE[reduction](np_bce(np_sigmoid(x), t)), rtol=1e-9)
    check_grads(lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction), x, t)  # wrt input and target


@FAST
@given(data=st.data(), shape=shapes(), reduction=st.sampled_from(list(REDUCE)))
def test_bce_on_probabilities(data, shape, reduction):
    p, t = data.draw(arrays(shape, 0.05, 0.95)), data.draw(arrays(shape, 0.001, 0.999))
    out = F.binary_cross_entropy(tinygan.tensor(p), tinygan.tensor(t), reduction)
    np.testing.assert_allclose(out.numpy(), REDUCE[reduction](np_bce(p, t)), rtol=1e-10)
    check_grads(lambda p, t: F.binary_cross_entropy(p, t, reduction), p, t)


@FAST
@given(data=st.data(), shape=shapes(), reduction=st.sampled_from(list(REDUCE)))
def test_l1_and_mse(data, shape, reduction):
    x = data.draw(arrays(shape))
    # keep |x - y| >= 0.05 so that l1 stays away from its kink
    y = x + data.draw(arrays(shape, -1, 1, margin=0.05))
    l1 = F.l1_loss(tinygan.tensor(x), tinygan.tensor(y), reduction)
    mse = F.mse_loss(tinygan.tensor(x), tinygan.tensor(y), reduction)
    np.testing.assert_allclose(l1.numpy(), REDUCE[reduction](np.abs(x - y)), rtol=1e-12)
    np.testing.assert_allclose(mse.numpy(), REDUCE[reduction]((x - y) ** 2), rtol=1e-12)
    check_grads(lambda x, y: F.l1_loss(x, y, reduction), x, y)
    check_grads(lambda x, y: F.mse_loss(x, y, reduction), x, y)


def test_losses_accept_a_number_as_target():
    x = tinygan.tensor(np.array([0.0, 2.0]))
    assert F.mse_loss(x, 1.0).item() == 1.0
    assert F.l1_loss(x, 1.0).item() == 1.0
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(x, 1.0, "none").numpy(), -np.log(np_sigmoid(np.array([0.0, 2.0])))
    )


def test_bce_at_probabilities_0_and_1_gives_pytorchs_clamped_value():
    for dtype in (np.float32, np.float64):
        p = tinygan.tensor(np.array([0.0, 1.0, 0.0, 1.0], dtype=dtype), requires_grad=True)
        t = tinygan.tensor(np.array([1.0, 0.0, 0.0, 1.0], dtype=dtype), requires_grad=True)
        with np.errstate(all="raise"):  # log(0) is clamped, not computed into an inf first and warned about
            loss = F.binary_cross_entropy(p, t, reduction="none")
            loss.sum().backward()
        np.testing.assert_array_equal(loss.numpy(), [100, 100, 0, 0])  # -max(log 0, -100) = 100
        # d/dp = (p - t) / max(p (1 - p), 1e-12) as in PyTorch; d/dt is the derivative of the clamped
        # loss, max(log(1 - p), -100) - max(log p, -100): finite, where PyTorch returns inf
        np.testing.assert_allclose(p.grad.numpy(), [-1e12, 1e12, 0, 0], rtol=1e-6)
        np.testing.assert_allclose(t.grad.numpy(), [100, -100, 100, -100])
        assert loss.dtype == p.grad.dtype == t.grad.dtype == dtype


def test_bce_rejects_values_outside_0_1():
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\], got values in \[-0.5, 1\]"):
        F.binary_cross_entropy(tinygan.tensor([-0.5, 1.0]), tinygan.tensor([0.0, 1.0]))


LOGITS = [-1e4, -50.0, 0.0, 50.0, 1e4]


def huge_logit_losses(x):
    """Every loss on logits x (including BCE on sigmoid(x), where sigmoid rounds to exactly 0 and 1)."""
    ones, zeros, halves = (tinygan.tensor(np.full(x.shape, v, dtype=x.dtype)) for v in (1.0, 0.0, 0.5))
    return {
        "bce_with_logits(t=1)": F.binary_cross_entropy_with_logits(x, ones),
        "bce_with_logits(t=0)": F.binary_cross_entropy_with_logits(x, zeros),
        "bce_with_logits(t=0.5)": F.binary_cross_entropy_with_logits(x, halves),
        "bce(sigmoid, t=1)": F.binary_cross_entropy(F.sigmoid(x), ones),
        "bce(sigmoid, t=0)": F.binary_cross_entropy(F.sigmoid(x), zeros),
        "l1": F.l1_loss(x, zeros),
        "mse": F.mse_loss(x, zeros),
        "discriminator": gan.discriminator_loss(x, x),
        "minimax": gan.generator_loss_minimax(x),
        "non-saturating": gan.generator_loss_non_saturating(x),
    }


@pytest.mark.parametrize("name", list(huge_logit_losses(tinygan.zeros(1))))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_losses_are_finite_at_huge_logits(name, dtype):
    x = tinygan.tensor(np.array(LOGITS, dtype=dtype), requires_grad=True)
    with np.errstate(over="raise", invalid="raise"):
        loss = huge_logit_losses(x)[name]
        loss.backward()
    assert loss.dtype == x.grad.dtype == dtype
    assert np.isfinite(loss.item()), loss
    assert np.isfinite(x.grad.numpy()).all(), x.grad


def test_bce_with_logits_values_at_huge_logits():
    for dtype in (np.float32, np.float64):
        x = tinygan.tensor(np.array([1e4, -1e4, 1e4, -1e4], dtype=dtype), requires_grad=True)
        t = tinygan.tensor(np.array([1.0, 0.0, 0.0, 1.0], dtype=dtype))
        loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
        loss.sum().backward()
        np.testing.assert_allclose(loss.numpy(), [0, 0, 1e4, 1e4])
        np.testing.assert_allclose(x.grad.numpy(), [0, 0, 1, -1])  # sigmoid(x) - t


# ------------------------------------------------------------------------------ GAN losses


@FAST
@given(data=st.data(), real_shape=shapes(min_dims=1), fake_shape=shapes(min_dims=1))
def test_gan_losses_match_their_formulas(data, real_shape, fake_shape):
    real, fake = data.draw(arrays(real_shape, -6, 6)), data.draw(arrays(fake_shape, -6, 6))
    d_real, d_fake = np_sigmoid(real), np_sigmoid(fake)
    d_loss = gan.discriminator_loss(tinygan.tensor(real), tinygan.tensor(fake))
    np.testing.assert_allclose(d_loss.item(), -np.mean(np.log(d_real)) - np.mean(np.log(1 - d_fake)), rtol=1e-10)
    minimax = gan.generator_loss_minimax(tinygan.tensor(fake))
    np.testing.assert_allclose(minimax.item(), np.mean(np.log(1 - d_fake)), rtol=1e-10)
    non_saturating = gan.generator_loss_non_saturating(tinygan.tensor(fake))
    np.testing.assert_allclose(non_saturating.item(), -np.mean(np.log(d_fake)), rtol=1e-10)
    check_grads(gan.discriminator_loss, real, fake)
    check_grads(gan.generator_loss_minimax, fake)
    check_grads(gan.generator_loss_non_saturating, fake)


def test_discriminator_loss_is_bce_with_targets_1_and_0():
    real, fake = np.array([[2.0], [-1.0]]), np.array([[0.5], [-3.0]])
    expected = F.binary_cross_entropy_with_logits(tinygan.tensor(real), 1.0) + F.binary_cross_entropy_with_logits(
        tinygan.tensor(fake), 0.0
    )
    np.testing.assert_allclose(
        gan.discriminator_loss(tinygan.tensor(real), tinygan.tensor(fake)).item(), expected.item()
    )


def test_minimax_saturates_where_non_saturating_does_not():
    # D confidently rejects the fakes: D(G(z)) = sigmoid(-10) ~ 4.5e-5
    grads = {}
    for name, loss in gan.GENERATOR_LOSSES.items():
        fake = tinygan.tensor(np.full(4, -10.0), requires_grad=True)
        loss(fake).backward()
        grads[name] = fake.grad.numpy()
    np.testing.assert_allclose(grads["minimax"], -np_sigmoid(-10.0) / 4)  # d/da mean(log(1 - sigmoid a))
    np.testing.assert_allclose(grads["non-saturating"], -(1 - np_sigmoid(-10.0)) / 4)
    assert sorted(gan.GENERATOR_LOSSES) == ["minimax", "non-saturating"]
