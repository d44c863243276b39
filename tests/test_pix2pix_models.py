"""Pix2Pix networks: the U-Net generator, the PatchGAN and PixelGAN discriminators.

Shapes, the reference's layer layout (parameter counts, state-dict keys and shapes, where the
biases and the dropout sit), the receptive fields (computed and measured by gradients), the
skip connection's in-place quirk, errors, and a float64 gradient check of a tiny U-Net.

The reference numbers below were computed with PyTorch from pytorch-CycleGAN-and-pix2pix's
``models/networks.py``: ``sum(p.numel() for p in net.parameters())``, ``len(net.state_dict())``
and a signature of its state dict (``_signature`` below, on the PyTorch module) for
``UnetGenerator(in, out, num_downs, ngf, get_norm_layer(norm), use_dropout=True)``,
``NLayerDiscriminator(in, ndf, n_layers, get_norm_layer(norm))`` and
``PixelDiscriminator(in, ndf, get_norm_layer(norm))``. Torch is not needed to run these tests.
"""

import hashlib

import numpy as np
import pytest

import tinygan
from tinygan import functional as F
from tinygan import nn
from tinygan.gradcheck import gradcheck
from tinygan.models import (
    PatchGANDiscriminator,
    PixelDiscriminator,
    UNetGenerator,
    UNetSkipBlock,
    pix2pix_weights_init,
    unet_128,
    unet_256,
)


def _signature(model) -> str:
    """Every state-dict key with its shape, in order, hashed (what must equal the reference's)."""
    lines = "\n".join(f"{k} {tuple(v.shape)}" for k, v in model.state_dict().items())
    return hashlib.sha256(lines.encode()).hexdigest()[:16]


def _count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def _double(model):
    """Cast parameters and float buffers to float64 in place (for exact gradient checks)."""
    for p in model.parameters():
        p.data = p.data.astype(np.float64)
    for _, b in model.named_buffers():
        if b.dtype == np.float32:
            b.data = b.data.astype(np.float64)
    return model


_BUILDERS = {
    "unet_256 3->3 ngf64": lambda norm: unet_256(3, 3, 64, norm=norm),
    "unet_128 3->3 ngf64": lambda norm: unet_128(3, 3, 64, norm=norm),
    "unet_256 1->3 ngf4": lambda norm: unet_256(1, 3, 4, norm=norm),
    "nlayer1 6 ndf64": lambda norm: PatchGANDiscriminator(6, 64, 1, norm),
    "nlayer3 6 ndf64": lambda norm: PatchGANDiscriminator(6, 64, 3, norm),
    "nlayer5 6 ndf64": lambda norm: PatchGANDiscriminator(6, 64, 5, norm),
    "nlayer3 4 ndf8": lambda norm: PatchGANDiscriminator(4, 8, 3, norm),
    "pixel 6 ndf64": lambda norm: PixelDiscriminator(6, 64, norm),
}

# (norm, network): (parameter count, number of state-dict entries, signature), from PyTorch
REFERENCE = {
    ("batch", "unet_256 3->3 ngf64"): (54413955, 82, "c48daaa26f985671"),
    ("batch", "unet_128 3->3 ngf64"): (41828995, 70, "4694873bff097286"),
    ("batch", "unet_256 1->3 ngf4"): (213547, 82, "b8a40659c1804746"),
    ("batch", "nlayer1 6 ndf64"): (139585, 10, "8582d76acd45e6b6"),
    ("batch", "nlayer3 6 ndf64"): (2768705, 22, "318ed6d472479995"),
    ("batch", "nlayer5 6 ndf64"): (11159361, 34, "cb67d2bc33c25ced"),
    ("batch", "nlayer3 4 ndf8"): (44777, 22, "b0e636d7d07e88df"),
    ("batch", "pixel 6 ndf64"): (9024, 9, "3ca026b4d6b7ee28"),
    ("instance", "unet_256 3->3 ngf64"): (54409603, 32, "74c28fbea07e5a47"),
    ("instance", "unet_256 1->3 ngf4"): (213275, 32, "b7b1a52d871e48c1"),
    ("instance", "nlayer3 6 ndf64"): (2767809, 10, "b22bdddef129eebc"),
    ("instance", "nlayer3 4 ndf8"): (44665, 10, "7bc7f5962f3b99dc"),
    ("instance", "pixel 6 ndf64"): (8897, 6, "bd74c012728388c0"),
    ("none", "unet_256 3->3 ngf64"): (54404099, 17, "a91ab45ed99b2105"),
    ("none", "unet_256 1->3 ngf4"): (212931, 17, "b90a60a73db82040"),
    ("none", "nlayer3 6 ndf64"): (2766913, 7, "983ac4bb2d063c29"),
    ("none", "nlayer3 4 ndf8"): (44553, 7, "09cdbd87a5f16c03"),
    ("none", "pixel 6 ndf64"): (8768, 4, "1efbfec8123d70f8"),
}


@pytest.mark.parametrize("norm, name", list(REFERENCE))
def test_parameter_counts_and_state_dict_match_the_reference(norm, name):
    model = _BUILDERS[name](norm)
    count, entries, signature = REFERENCE[norm, name]
    assert _count(model) == count
    assert len(model.state_dict()) == entries
    assert _signature(model) == signature


def test_exact_state_dict_keys():
    G = unet_256(3, 3, 4)
    shapes = {k: v.shape for k, v in G.state_dict().items()}
    assert shapes["model.model.0.weight"] == (4, 3, 4, 4)  # outermost conv, no bias, no norm
    assert "model.model.0.bias" not in shapes
    assert shapes["model.model.1.model.1.weight"] == (8, 4, 4, 4)  # model.1.model.0 is the LeakyReLU
    assert shapes["model.model.1.model.2.running_var"] == (8,)
    assert shapes["model.model.1.model.2.num_batches_tracked"] == ()
    assert shapes["model.model.1.model.5.weight"] == (16, 4, 4, 4)  # ConvT (in, out, kh, kw)
    assert shapes["model.model.3.weight"] == (8, 3, 4, 4) and shapes["model.model.3.bias"] == (3,)
    innermost = "model.model.1" + ".model.3" * 6
    assert shapes[innermost + ".model.1.weight"] == (32, 32, 4, 4)
    assert shapes[innermost + ".model.3.weight"] == (32, 32, 4, 4)
    assert shapes[innermost + ".model.4.weight"] == (32,)  # the innermost up norm
    assert innermost + ".model.2.weight" not in shapes  # ... and no down norm
    D = PatchGANDiscriminator(6, 64)
    d_keys = [k for k in D.state_dict() if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))]
    assert d_keys == [
        "model.0.weight", "model.0.bias", "model.2.weight", "model.3.weight", "model.3.bias", "model.5.weight",
        "model.6.weight", "model.6.bias", "model.8.weight", "model.9.weight", "model.9.bias", "model.11.weight",
        "model.11.bias",
    ]  # fmt: skip
    assert D.state_dict()["model.11.weight"].shape == (1, 512, 4, 4)
    P = PixelDiscriminator(6, 64)
    assert list(P.state_dict())[:3] == ["net.0.weight", "net.0.bias", "net.2.weight"]
    assert P.state_dict()["net.5.weight"].shape == (1, 128, 1, 1)


@pytest.mark.parametrize("norm", ["batch", "instance", "none"])
@pytest.mark.parametrize("channels", [(1, 1), (3, 3), (1, 3)])
def test_unet_output_shapes(norm, channels):
    c_in, c_out = channels
    G = UNetGenerator(c_in, c_out, 5, ngf=4, norm=norm)
    for shape in [(2, c_in, 32, 32), (1, c_in, 32, 64), (3, c_in, 64, 32)]:
        y = G(tinygan.randn(*shape))
        assert y.shape == (shape[0], c_out, *shape[2:])
        assert np.abs(y.numpy()).max() <= 1  # Tanh out


def _record_conv_shapes(model):
    seen = []
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):

            def forward(x, m=m, inner=m.forward):
                y = inner(x)
                seen.append((type(m).__name__, x.shape[1:], y.shape[1:]))
                return y

            object.__setattr__(m, "forward", forward)
    return seen


@pytest.mark.parametrize("builder, size", [(unet_128, 128), (unet_256, 256)])
def test_unet_geometry_goes_down_to_1x1_and_back(builder, size):
    ngf = 2
    G = builder(3, 1, ngf=ngf)
    seen = _record_conv_shapes(G)
    assert G(tinygan.randn(1, 3, size, size)).shape == (1, 1, size, size)
    n = G.num_downs
    assert n == {128: 7, 256: 8}[size]
    widths = [ngf * min(2**i, 8) for i in range(n)]  # 2, 4, 8, 16, 16, ...
    downs = [s for s in seen if s[0] == "Conv2d"]
    ups = [s for s in seen if s[0] == "ConvTranspose2d"]
    assert [d[2] for d in downs] == [(w, size // 2 ** (i + 1), size // 2 ** (i + 1)) for i, w in enumerate(widths)]
    assert downs[-1][2][1:] == (1, 1)  # the bottleneck
    # coming up, from the innermost ConvT (16 -> 16 at 2x2) to the outermost (4 -> 1 channel at size x size)
    up_out = [(w, size // 2**i, size // 2**i) for i, w in enumerate([1, *widths[:-1]])][::-1]
    assert [u[2] for u in ups] == up_out
    assert ups[0][1][0] == widths[-1] and all(u[1][0] == 2 * w for u, w in zip(ups[1:], widths[::-1][1:]))


def test_helpers_pass_keywords():
    G = unet_128(1, 2, ngf=3, norm="instance", dropout=False)
    assert (G.num_downs, G.ngf, G.norm, G.dropout) == (7, 3, "instance", False)
    assert unet_256(1, 1, 2).num_downs == 8


def _dropout_paths(model):
    return [name for name, m in model.named_modules() if isinstance(m, nn.Dropout)]


def test_dropout_sits_where_the_reference_puts_it():
    deep = "model.model.1" + ".model.3" * 5
    assert _dropout_paths(unet_256(3, 3, 2)) == [deep + ".model.7", deep[:-8] + ".model.7", deep[:-16] + ".model.7"]
    assert _dropout_paths(unet_128(3, 3, 2)) == [deep[:-8] + ".model.7", deep[:-16] + ".model.7"]
    assert _dropout_paths(unet_256(3, 3, 2, dropout=False)) == []
    assert _dropout_paths(UNetGenerator(3, 3, 5, 2)) == []  # no 8 ngf middle block yet
    for m in unet_256(3, 3, 2).modules():
        if isinstance(m, UNetSkipBlock) and len(m.model) == 8:  # a middle block with dropout
            layers = list(m.model)
            assert isinstance(layers[6], nn.BatchNorm2d) and isinstance(layers[7], nn.Dropout)  # after the up norm
            assert layers[7].p == 0.5 and layers[5].in_channels == layers[5].out_channels * 2 == 2 * 8 * 2


def test_dropout_is_the_generators_noise_in_training_only():
    G = UNetGenerator(1, 1, 6, ngf=2)
    x = tinygan.randn(1, 1, 64, 64)
    assert not np.allclose(G(x).numpy(), G(x).numpy())
    G.eval()
    np.testing.assert_array_equal(G(x).numpy(), G(x).numpy())


def _biased(model):
    convs = (nn.Conv2d, nn.ConvTranspose2d)
    return [n for n, m in model.named_modules() if isinstance(m, convs) and m.bias is not None]


@pytest.mark.parametrize("norm", ["batch", "none"])
def test_biases_only_where_the_reference_has_them(norm):
    # batch norm's shift makes a bias redundant; the reference gives norm "none" no biases either
    assert _biased(unet_256(3, 3, 2, norm=norm)) == ["model.model.3"]  # the outermost ConvT only
    assert _biased(PatchGANDiscriminator(6, 4, 3, norm)) == ["model.0", "model.11"]
    assert _biased(PixelDiscriminator(6, 4, norm)) == ["net.0"]


def test_instance_norm_gives_every_conv_a_bias_and_has_no_parameters():
    G = unet_256(3, 3, 2, norm="instance")
    convs = [m for m in G.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    assert len(convs) == 16 and len(_biased(G)) == 16
    norms = [m for m in G.modules() if isinstance(m, nn.InstanceNorm2d)]
    assert len(norms) == 13 and all(m.weight is None for m in norms)  # affine=False
    assert not any(isinstance(m, nn.BatchNorm2d) for m in G.modules())
    assert len(_biased(PatchGANDiscriminator(6, 4, 3, "instance"))) == 5
    assert len(_biased(PixelDiscriminator(6, 4, "instance"))) == 3


def test_norm_none_uses_identity():
    G = unet_256(3, 3, 2, norm="none")
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.InstanceNorm2d)) for m in G.modules())
    assert sum(isinstance(m, nn.Identity) for m in G.modules()) == 13


@pytest.mark.parametrize("n_layers, field", [(1, 16), (2, 34), (3, 70), (4, 142), (5, 286)])
def test_receptive_field_is_computed(n_layers, field):
    assert PatchGANDiscriminator(6, 2, n_layers).receptive_field == field


def test_pixel_discriminator_sees_one_pixel():
    D = PixelDiscriminator(4, 4)
    assert D.receptive_field == 1
    assert D(tinygan.randn(2, 4, 5, 7)).shape == (2, 1, 5, 7)


@pytest.mark.parametrize("n_layers, size, norm", [(1, 48, "batch"), (3, 128, "none"), (5, 384, "batch")])
def test_receptive_field_measured_by_gradients(n_layers, size, norm):
    D = _double(PatchGANDiscriminator(2, 1, n_layers, norm)).eval()  # eval: batch norm is per position
    x = tinygan.tensor(np.random.default_rng(0).standard_normal((1, 2, size, size)), requires_grad=True)
    logits = D(x)
    _, _, h, w = logits.shape
    seed = np.zeros(logits.shape)
    seed[0, 0, h // 2, w // 2] = 1.0  # one logit from the middle of the map
    logits.backward(tinygan.tensor(seed))
    rows, cols = np.nonzero(np.abs(x.grad.numpy()).sum(axis=(0, 1)))
    assert rows.min() > 0 and rows.max() < size - 1  # the patch lies inside the image, clear of the padding
    extent = (rows.max() - rows.min() + 1, cols.max() - cols.min() + 1)
    assert extent == (D.receptive_field, D.receptive_field)
    assert len(rows) == D.receptive_field**2  # the whole square, no holes


def test_patchgan_map_sizes():
    for n_layers, size, out in [(1, 32, 14), (3, 256, 30), (5, 256, 6)]:
        D = PatchGANDiscriminator(4, 2, n_layers)
        assert D(tinygan.randn(1, 4, size, size)).shape == (1, 1, out, out)


def test_discriminator_takes_the_concatenated_pair():
    G, D = UNetGenerator(1, 3, 5, ngf=2), PatchGANDiscriminator(1 + 3, 2)
    a = tinygan.randn(2, 1, 64, 64)
    assert D(F.cat([a, G(a)], 1)).shape == (2, 1, 6, 6)


def test_block_skip_carries_leaky_relu_of_its_input():
    # The reference's in-place nn.LeakyReLU(0.2, True) overwrites x before torch.cat([x, ...]) reads it
    inner = UNetSkipBlock(4, 8, innermost=True, norm="none")
    block = UNetSkipBlock(3, 4, submodule=inner, norm="none")
    x = tinygan.randn(2, 3, 8, 8)
    y = block(x).numpy()
    assert y.shape == (2, 3 + 3, 8, 8)
    xs = x.numpy()
    np.testing.assert_allclose(y[:, :3], np.where(xs > 0, xs, 0.2 * xs), rtol=0, atol=0)
    assert not np.allclose(y[:, :3], xs)


def test_tiny_unet_matches_a_hand_written_forward():
    G = UNetGenerator(1, 2, 2, ngf=2, norm="none")
    outer = G.model.model
    inner = outer[1].model
    x = tinygan.randn(2, 1, 8, 8)

    def forward(skip_activated: bool):
        d0 = F.conv2d(x, outer[0].weight, None, 2, 1)  # 8x8 -> 4x4, ngf channels, no norm
        h = F.leaky_relu(d0, 0.2)
        d1 = F.conv2d(h, inner[1].weight, None, 2, 1)  # 4x4 -> 2x2 (innermost: no norm)
        u1 = F.conv_transpose2d(F.relu(d1), inner[3].weight, None, 2, 1)  # back to 4x4
        skip = F.cat([h if skip_activated else d0, u1], 1)
        return F.tanh(F.conv_transpose2d(F.relu(skip), outer[3].weight, outer[3].bias, 2, 1))

    y = G(x).numpy()
    np.testing.assert_allclose(y, forward(True).numpy(), rtol=1e-6, atol=1e-7)
    # Inside the generator the parent's ReLU follows the skip, and relu(leaky_relu(x)) = relu(x):
    # the quirk shows only in a block's own output (see the test above), not in G's.
    np.testing.assert_allclose(y, forward(False).numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("norm", ["none", "instance"])
def test_tiny_unet_gradcheck(norm):
    G = _double(UNetGenerator(1, 1, 2, ngf=2, norm=norm))
    x = tinygan.tensor(np.random.default_rng(1).standard_normal((1, 1, 4, 4)), requires_grad=True)
    params = list(G.parameters())
    gradcheck(lambda x, *ps: G(x), [x, *params], atol=1e-6, rtol=1e-4)


def test_one_level_unet():
    G = UNetGenerator(2, 3, 1, ngf=4)
    assert [type(m).__name__ for m in G.model.model] == ["Conv2d", "ReLU", "ConvTranspose2d", "Tanh"]
    assert G(tinygan.randn(1, 2, 6, 4)).shape == (1, 3, 6, 4)


def test_weights_init_follows_the_reference():
    tinygan.manual_seed(0)
    G = unet_128(3, 3, 16)
    convs = [m for m in G.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    weights = np.concatenate([m.weight.numpy().ravel() for m in convs])
    assert abs(weights.mean()) < 1e-3 and abs(weights.std() - 0.02) < 1e-3
    assert (G.model.model[3].bias.numpy() == 0).all()
    scales = np.concatenate([m.weight.numpy() for m in G.modules() if isinstance(m, nn.BatchNorm2d)])
    assert abs(scales.mean() - 1) < 0.01 and abs(scales.std() - 0.02) < 0.01
    assert all((m.bias.numpy() == 0).all() for m in G.modules() if isinstance(m, nn.BatchNorm2d))
    D = PatchGANDiscriminator(6, 16, norm="instance")
    assert all((m.bias.numpy() == 0).all() for m in D.modules() if isinstance(m, nn.Conv2d))
    lin = nn.Linear(300, 200)
    pix2pix_weights_init(lin)
    assert abs(lin.weight.numpy().std() - 0.02) < 1e-3 and (lin.bias.numpy() == 0).all()


def test_errors_name_the_shape():
    G = UNetGenerator(3, 3, 5, ngf=2)
    with pytest.raises(ValueError, match=r"num_downs=5 needs H and W divisible by 2\*\*5 = 32.*\(1, 3, 48, 32\)"):
        G(tinygan.randn(1, 3, 48, 32))
    with pytest.raises(ValueError, match=r"expects images of shape \(N, 3, H, W\), got \(1, 1, 32, 32\)"):
        G(tinygan.randn(1, 1, 32, 32))
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\), got \(3, 32, 32\)"):
        G(tinygan.randn(3, 32, 32))
    D = PatchGANDiscriminator(6, 2)
    with pytest.raises(ValueError, match=r"PatchGANDiscriminator expects images of shape \(N, 6, H, W\), got"):
        D(tinygan.randn(1, 3, 64, 64))
    with pytest.raises(ValueError, match=r"n_layers=3 gets an empty map from images of shape \(1, 6, 16, 16\)"):
        D(tinygan.randn(1, 6, 16, 16))
    with pytest.raises(ValueError, match=r"PixelDiscriminator expects images of shape \(N, 2, H, W\)"):
        PixelDiscriminator(2)(tinygan.randn(1, 6, 4, 4))


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: UNetGenerator(3, 3, 0), "num_downs must be a positive integer, got 0"),
        (lambda: UNetGenerator(3, 3, -2), "num_downs must be a positive integer, got -2"),
        (lambda: UNetGenerator(3, 3, 5, ngf=0), "ngf must be a positive integer"),
        (lambda: UNetGenerator(3, 3, 5, norm="group"), "norm must be one of 'batch', 'instance', 'none', got 'group'"),
        (lambda: PatchGANDiscriminator(6, norm="BATCH"), "norm must be one of"),
        (lambda: PatchGANDiscriminator(6, n_layers=0), "n_layers must be a positive integer, got 0"),
        (lambda: PixelDiscriminator(6, norm="layer"), "PixelDiscriminator: norm must be one of"),
        (lambda: UNetSkipBlock(4, 8, norm="none"), "innermost block has no submodule"),
        (lambda: UNetSkipBlock(4, 8, innermost=True, dropout=True), "dropout belongs to middle blocks"),
    ],
)
def test_bad_arguments(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_the_encoder_decoder_ablation_is_the_unet_without_its_skips():
    """skip_connections=False: the same layers, each transposed conv reading half the channels."""
    unet = UNetGenerator(1, 1, 4, ngf=4)
    plain = UNetGenerator(1, 1, 4, ngf=4, skip_connections=False)
    unet_shapes = {k: v.shape for k, v in unet.state_dict().items()}
    plain_shapes = {k: v.shape for k, v in plain.state_dict().items()}
    assert unet_shapes.keys() == plain_shapes.keys()
    changed = {k for k in unet_shapes if unet_shapes[k] != plain_shapes[k]}
    # only the transposed convs fed by a block below change: their input channels halve
    assert changed and all(plain_shapes[k][0] * 2 == unet_shapes[k][0] for k in changed)
    assert plain(tinygan.randn(2, 1, 32, 32)).shape == (2, 1, 32, 32)
