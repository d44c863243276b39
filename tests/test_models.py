"""DCGAN, conditional GANs and the digit classifier: shapes, PyTorch layouts, init, errors,
and an end-to-end training check of conv + batch norm through the classifier."""

import numpy as np
import pytest

import tinygan
from tinygan import functional as F
from tinygan import nn
from tinygan.data import make_digits
from tinygan.gradcheck import gradcheck
from tinygan.models import (
    ConditionalDCGANDiscriminator,
    ConditionalDCGANGenerator,
    ConditionalMLPDiscriminator,
    ConditionalMLPGenerator,
    DCGANDiscriminator,
    DCGANGenerator,
    predict,
    train_classifier,
)
from tinygan.models.classifier import cross_entropy


@pytest.mark.parametrize("image_size, nc", [(32, 1), (64, 3)])
def test_dcgan_shapes(image_size, nc):
    G = DCGANGenerator(nz=8, ngf=4, nc=nc, image_size=image_size)
    D = DCGANDiscriminator(nc=nc, ndf=4, image_size=image_size)
    images = G(tinygan.randn(3, 8))
    assert images.shape == (3, nc, image_size, image_size)
    assert np.abs(images.numpy()).max() <= 1  # Tanh out
    assert D(images).shape == (3,)


def test_dcgan64_matches_the_pytorch_example_layer_for_layer():
    G, D = DCGANGenerator(), DCGANDiscriminator()
    g_shapes = {k: v.shape for k, v in G.state_dict().items()}
    # nz=100, ngf=64: ConvTranspose2d weights are (in, out, 4, 4), no biases anywhere
    assert g_shapes["main.0.weight"] == (100, 512, 4, 4)
    assert g_shapes["main.3.weight"] == (512, 256, 4, 4)
    assert g_shapes["main.12.weight"] == (64, 3, 4, 4)
    assert "main.0.bias" not in g_shapes
    assert {"main.1.running_mean", "main.1.running_var", "main.1.num_batches_tracked"} <= set(g_shapes)
    d_shapes = {k: v.shape for k, v in D.state_dict().items()}
    assert d_shapes["main.0.weight"] == (64, 3, 4, 4)
    assert d_shapes["main.11.weight"] == (1, 512, 4, 4)
    assert sum(p.numel() for p in G.parameters()) == 3576704  # the PyTorch example's count
    assert sum(p.numel() for p in D.parameters()) == 2765568


def test_dcgan_init_follows_the_paper():
    tinygan.manual_seed(0)
    G = DCGANGenerator(ngf=32)
    conv = [m for m in G.modules() if isinstance(m, nn.ConvTranspose2d)]
    bn = [m for m in G.modules() if isinstance(m, nn.BatchNorm2d)]
    weights = np.concatenate([m.weight.numpy().ravel() for m in conv])
    assert abs(weights.mean()) < 1e-3 and abs(weights.std() - 0.02) < 1e-3
    scales = np.concatenate([m.weight.numpy() for m in bn])
    assert abs(scales.mean() - 1) < 0.01 and abs(scales.std() - 0.02) < 0.01
    assert all((m.bias.numpy() == 0).all() for m in bn)


def test_dcgan_errors_name_the_shapes():
    with pytest.raises(ValueError, match="image_size"):
        DCGANGenerator(image_size=48)
    with pytest.raises(ValueError, match=r"\(N, 8, 1, 1\).*\(2, 5\)"):
        DCGANGenerator(nz=8, ngf=4, image_size=32)(tinygan.randn(2, 5))
    with pytest.raises(ValueError, match=r"\(N, 1, 32, 32\).*\(2, 1, 28, 28\)"):
        DCGANDiscriminator(nc=1, ndf=4, image_size=32)(tinygan.randn(2, 1, 28, 28))


def test_conditional_models_shapes_and_label_checks():
    y = F.one_hot(np.array([0, 3, 9]), 10)
    G, D = ConditionalMLPGenerator(nz=16), ConditionalMLPDiscriminator()
    x = G(tinygan.randn(3, 16), y)
    assert x.shape == (3, 1, 28, 28) and D(x, y).shape == (3,)
    Gc = ConditionalDCGANGenerator(nz=8, ngf=4, nc=1, image_size=32)
    Dc = ConditionalDCGANDiscriminator(ndf=4, nc=1, image_size=32)
    xc = Gc(tinygan.randn(3, 8), y)
    assert xc.shape == (3, 1, 32, 32) and Dc(xc, y).shape == (3,)
    with pytest.raises(ValueError, match=r"\(3, 10\)"):
        D(x, F.one_hot(np.array([0, 1, 2]), 5))


def test_conditional_discriminator_sees_the_label():
    tinygan.manual_seed(0)
    D = ConditionalDCGANDiscriminator(ndf=4, nc=1, image_size=32).eval()
    x = tinygan.randn(2, 1, 32, 32)
    a = D(x, F.one_hot(np.array([0, 0]), 10)).numpy()
    b = D(x, F.one_hot(np.array([5, 5]), 10)).numpy()
    assert np.abs(a - b).max() > 1e-6  # small weights (N(0, 0.02)) make small but real differences


def test_cross_entropy_value_and_gradient():
    logits = tinygan.tensor(np.random.default_rng(0).standard_normal((4, 5)), requires_grad=True)
    labels = np.array([0, 4, 2, 2])
    x = logits.numpy()
    log_softmax = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    assert cross_entropy(logits, labels).item() == pytest.approx(-log_softmax[np.arange(4), labels].mean())
    gradcheck(lambda t: cross_entropy(t, labels), [logits])


def test_classifier_learns_digits_end_to_end():
    """Conv, batch norm, cross-entropy and Adam together: a wrong gradient anywhere keeps this low."""
    tinygan.manual_seed(0)
    x, y = make_digits(1500, seed=0)
    test_x, test_y = make_digits(300, seed=1)
    model = train_classifier(x * 2 - 1, y, epochs=1, batch_size=50)
    accuracy = (predict(model, test_x * 2 - 1) == test_y).mean()
    assert accuracy > 0.8, accuracy
