"""Tests for tinygan.gan.mlp: the original GAN's MLP generator and discriminator."""

from __future__ import annotations

import numpy as np
import pytest

import tinygan
from tinygan import nn
from tinygan.gan.mlp import MLPDiscriminator, MLPGenerator


@pytest.fixture(autouse=True)
def _seed():
    tinygan.manual_seed(0)


def test_generator_for_points_has_a_linear_output_of_any_scale():
    G = MLPGenerator(2, (2,), hidden=(16, 16), output="linear")
    out = G(tinygan.randn(5, 2) * 100)
    assert out.shape == (5, 2) and out.dtype == np.float32
    assert np.abs(out.numpy()).max() > 1  # no Tanh squashing
    assert not isinstance(G.main[-1], nn.Tanh)


def test_generator_for_images_outputs_images_in_tanh_range():
    G = MLPGenerator(8, (1, 28, 28), hidden=(32,), output="tanh")
    out = G(tinygan.randn(3, 8) * 10)
    assert out.shape == (3, 1, 28, 28)
    assert out.numpy().min() >= -1 and out.numpy().max() <= 1


def test_discriminator_returns_one_logit_per_sample():
    D = MLPDiscriminator((1, 28, 28), hidden=(32, 16))
    logits = D(tinygan.randn(4, 1, 28, 28))
    assert logits.shape == (4, 1)
    assert MLPDiscriminator((2,), hidden=(8,))(tinygan.randn(6, 2)).shape == (6, 1)


def test_layers_follow_the_hidden_sizes_with_leaky_relu_02():
    G = MLPGenerator(3, (2,), hidden=(4, 5, 6), output="linear")
    linears = [m for m in G.main if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(3, 4), (4, 5), (5, 6), (6, 2)]
    activations = [m for m in G.main if isinstance(m, nn.LeakyReLU)]
    assert len(activations) == 3 and all(m.negative_slope == 0.2 for m in activations)
    D = MLPDiscriminator((2,), hidden=(7,))
    assert [k for k in D.state_dict()] == ["main.0.weight", "main.0.bias", "main.2.weight", "main.2.bias"]


def test_discriminator_dropout_is_active_only_in_training_mode():
    D = MLPDiscriminator((2,), hidden=(64, 64), dropout=0.3)
    assert sum(isinstance(m, nn.Dropout) and m.p == 0.3 for m in D.main) == 2
    x = tinygan.randn(8, 2)
    assert not np.array_equal(D(x).numpy(), D(x).numpy())  # a new mask on every call
    D.eval()
    np.testing.assert_array_equal(D(x).numpy(), D(x).numpy())
    assert not any(isinstance(m, nn.Dropout) for m in MLPDiscriminator((2,), hidden=(8,)).main)


def test_gradient_reaches_every_generator_weight_through_the_discriminator():
    G = MLPGenerator(4, (1, 4, 4), hidden=(8,))
    D = MLPDiscriminator((1, 4, 4), hidden=(8,))
    D(G(tinygan.randn(3, 4))).sum().backward()
    for name, p in list(G.named_parameters()) + list(D.named_parameters()):
        assert p.grad is not None and np.abs(p.grad.numpy()).sum() > 0, name


def test_bad_arguments_and_inputs_are_clear_errors():
    with pytest.raises(ValueError, match="output must be one of"):
        MLPGenerator(2, (2,), output="sigmoid")
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\), got 1.0"):
        MLPDiscriminator((2,), dropout=1.0)
    with pytest.raises(ValueError, match="hidden sizes must be positive"):
        MLPDiscriminator((2,), hidden=(8, 0))
    with pytest.raises(ValueError, match=r"noise of shape \(N, 2\), got \(3, 5\)"):
        MLPGenerator(2, (2,))(tinygan.randn(3, 5))
    with pytest.raises(ValueError, match=r"input of shape \(N, 1, 28, 28\), got \(3, 784\)"):
        MLPDiscriminator((1, 28, 28))(tinygan.randn(3, 784))
