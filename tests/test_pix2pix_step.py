"""pix2pix_step and l1_step: PyTorch's numbers from the same weights, and the step's semantics.

The PyTorch numbers below were computed once, in float64, by a scratch script (not part of the
repository) that did exactly this:

    tinygan.manual_seed(2017)
    G = UNetGenerator(1, 3, num_downs=5, ngf=4, norm="batch", dropout=False)   # then cast to float64,
    D = PatchGANDiscriminator(4, ndf=4, n_layers=2, norm="batch")              # as _double below
    rng = np.random.default_rng(7)
    A = rng.uniform(-1, 1, (2, 1, 32, 32)); B = rng.uniform(-1, 1, (2, 3, 32, 32))   # float64

then built the reference's UnetGenerator(1, 3, 5, 4, BatchNorm2d, use_dropout=False) and
NLayerDiscriminator(4, 4, 2, BatchNorm2d) with torch.nn (``benchmarks/bench_pix2pix.py:
reference_networks``, pytorch-CycleGAN-and-pix2pix's networks.py written out again), cast them
to float64, loaded tinygan's state dicts into them, and ran the reference's
``Pix2PixModel.optimize_parameters`` (forward, backward_D with BCEWithLogitsLoss, D's Adam step,
set_requires_grad(D, False), backward_G with lambda_L1 = 100, G's Adam step; Adam(2e-4,
(0.5, 0.999)) on both) three times on the same (A, B), with torch 2.13 on one thread. Per step
it recorded loss_D, loss_D_real, loss_D_fake, loss_G, loss_G_GAN and loss_G_L1 / 100 (tinygan
reports the L1 term unweighted); after the three steps, the sum and the sum of absolute values
of every parameter's change since the start, for G and for D, and the sums of G's batch-norm
running means and variances. tinygan reproduced all of them to 3e-16 there.

D's running statistics are not hard-coded: pix2pix_step runs D on the fake pair before the real
one, as the reference does, so its running averages take the same updates in the same order.

PyTorch is not needed to run these tests.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygan
from tinygan import functional as F
from tinygan import nn
from tinygan.gan.losses import discriminator_loss, generator_loss_non_saturating
from tinygan.gan.steps import frozen, l1_step, pix2pix_step
from tinygan.models.pix2pix import PatchGANDiscriminator, UNetGenerator
from tinygan.optim import Adam

LOSS_KEYS = ("loss_d", "loss_d_real", "loss_d_fake", "loss_g", "loss_g_gan", "loss_g_l1")

# PyTorch float64, the reference's optimize_parameters, three steps on one pair (see the module docstring)
TORCH_D_LOSSES = [  # loss_d, loss_d_real, loss_d_fake, per step
    (0.7024775530363034, 0.7733459486198285, 0.6316091574527783),
    (0.6975764308170704, 0.763686971542155, 0.6314658900919857),
    (0.6931600074003881, 0.7547146282552082, 0.6316053865455681),
]
TORCH_G_LOSSES = [  # loss_g, loss_g_gan, loss_g_l1 (unweighted), per step
    (51.371148914280404, 0.7691763146207672, 0.5060197259965964),
    (51.23396846058543, 0.7693009526707292, 0.5046466750791471),
    (51.12225733788203, 0.7691429924436366, 0.503531143454384),
]
TORCH_G_CHANGE = (0.2880494728174577, 15.356139760981685)  # sum, sum of |.| of G's parameter changes
TORCH_D_CHANGE = (0.009563335932158558, 1.7339486447116814)
TORCH_G_RUNNING = (0.033923749600444975, 85.03916914678882)  # sums of G's running_mean, running_var


def _double(model: nn.Module) -> nn.Module:
    """Parameters and float buffers to float64, in place."""
    for p in model.parameters():
        p.data = p.data.astype(np.float64)
    for _, b in model.named_buffers():
        if b.dtype == np.float32:
            b.data = b.data.astype(np.float64)
    return model


def _reference_setup():
    """Exactly the scratch script's nets and pair (same calls, same order after the seed)."""
    tinygan.manual_seed(2017)
    G = _double(UNetGenerator(1, 3, num_downs=5, ngf=4, norm="batch", dropout=False))
    D = _double(PatchGANDiscriminator(4, ndf=4, n_layers=2, norm="batch"))
    rng = np.random.default_rng(7)
    A = rng.uniform(-1, 1, (2, 1, 32, 32))
    B = rng.uniform(-1, 1, (2, 3, 32, 32))
    return G, D, A, B


def _adams(G, D, lr=2e-4):
    return Adam(G.parameters(), lr=lr, betas=(0.5, 0.999)), Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))


def _change(model, before) -> tuple[float, float]:
    deltas = [p.data - b for p, b in zip(model.parameters(), before)]
    return float(sum(d.sum() for d in deltas)), float(sum(np.abs(d).sum() for d in deltas))


def test_three_steps_reproduce_pytorchs_reference_step_in_float64():
    G, D, A, B = _reference_setup()
    opt_g, opt_d = _adams(G, D)
    g0, d0 = [p.data.copy() for p in G.parameters()], [p.data.copy() for p in D.parameters()]

    for expected in zip(TORCH_D_LOSSES, TORCH_G_LOSSES):
        metrics = pix2pix_step(G, D, opt_g, opt_d, tinygan.tensor(A), tinygan.tensor(B), lambda_l1=100.0)
        np.testing.assert_allclose([metrics[k] for k in LOSS_KEYS], sum(expected, ()), rtol=1e-9, atol=0)

    np.testing.assert_allclose(_change(G, g0), TORCH_G_CHANGE, rtol=1e-9)
    np.testing.assert_allclose(_change(D, d0), TORCH_D_CHANGE, rtol=1e-9)
    buffers = dict(G.named_buffers())
    running = [sum(float(b.data.sum()) for k, b in buffers.items() if k.endswith(end)) for end in ("mean", "var")]
    np.testing.assert_allclose(running, TORCH_G_RUNNING, rtol=1e-9)


# ----------------------------------------------------------------------------- semantics


class Recorder(nn.Module):
    """Wraps a network: counts its calls and keeps every input, output and whether the wrapped
    network's parameters required gradients at that moment."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net
        self.inputs: list = []
        self.outputs: list = []
        self.params_trainable: list[bool] = []

    def forward(self, x):
        self.inputs.append(x)
        self.params_trainable.append(all(p.requires_grad for p in self.net.parameters()))
        out = self.net(x)
        self.outputs.append(out)
        return out


def _small(dropout: bool = False, seed: int = 0, float64: bool = True):
    """A 6-level U-Net (dropout possible in block 4) at 64x64 and a 2-layer PatchGAN, batch 2."""
    tinygan.manual_seed(seed)
    G = UNetGenerator(3, 3, num_downs=6, ngf=2, norm="batch", dropout=dropout)
    D = PatchGANDiscriminator(6, ndf=2, n_layers=2, norm="batch")
    rng = np.random.default_rng(seed + 1)
    A = rng.uniform(-1, 1, (2, 3, 64, 64))
    B = rng.uniform(-1, 1, (2, 3, 64, 64))
    if float64:
        _double(G), _double(D)
    else:
        A, B = A.astype(np.float32), B.astype(np.float32)
    return G, D, tinygan.tensor(A), tinygan.tensor(B)


def test_g_runs_once_and_d_three_times_detached_fake_pair_real_pair_then_fake_pair_with_d_frozen():
    G, D, A, B = _small(dropout=True)
    G, D = Recorder(G), Recorder(D)
    opt_g, opt_d = _adams(G.net, D.net)

    metrics = pix2pix_step(G, D, opt_g, opt_d, A, B)

    assert len(G.outputs) == 1 and len(D.inputs) == 3
    fake_B = G.outputs[0]
    detached_pair, real_pair, fake_pair = (x.numpy() for x in D.inputs)  # the reference's order
    np.testing.assert_array_equal(real_pair, np.concatenate([A.numpy(), B.numpy()], 1))
    # with dropout on, D's fake pair and G's loss see one and the same fake_B
    for pair in (detached_pair, fake_pair):
        np.testing.assert_array_equal(pair[:, :3], A.numpy())
        np.testing.assert_array_equal(pair[:, 3:], fake_B.numpy())
    assert metrics["loss_g_l1"] == pytest.approx(np.abs(fake_B.numpy() - B.numpy()).mean(), rel=1e-12)
    assert not D.inputs[0].requires_grad and D.inputs[2].requires_grad  # detached for D, a graph to G for G
    assert D.params_trainable == [True, True, False]  # D frozen for G's half only ...
    assert all(p.requires_grad for p in D.net.parameters())  # ... and trainable again afterwards
    # the check means something: a second pass through G draws other dropout masks
    assert not np.array_equal(G.net(A).numpy(), fake_B.numpy())


def test_losses_are_the_halved_discriminator_loss_and_the_gan_plus_weighted_l1_terms():
    G, D, A, B = _small()
    D = Recorder(D)
    opt_g, opt_d = _adams(G, D.net)

    m = pix2pix_step(G, D, opt_g, opt_d, A, B, lambda_l1=37.5)

    fake_logits, real_logits, fake_logits_g = D.outputs
    assert m["loss_d"] == pytest.approx(0.5 * discriminator_loss(real_logits, fake_logits).item(), rel=1e-14)
    assert m["loss_d"] == pytest.approx(0.5 * (m["loss_d_real"] + m["loss_d_fake"]), rel=1e-14)
    assert m["loss_g_gan"] == pytest.approx(generator_loss_non_saturating(fake_logits_g).item(), rel=1e-14)
    assert m["loss_g"] == pytest.approx(m["loss_g_gan"] + 37.5 * m["loss_g_l1"], rel=1e-14)
    sigmoid = lambda z: 1 / (1 + np.exp(-z.numpy()))  # noqa: E731
    assert m["d_real"] == pytest.approx(sigmoid(real_logits).mean()) and m["d_fake"] == pytest.approx(
        sigmoid(fake_logits).mean()
    )


def test_lambda_zero_leaves_only_the_gan_term():
    G, D, A, B = _small()
    m = pix2pix_step(G, D, *_adams(G, D), A, B, lambda_l1=0)
    assert m["loss_g"] == m["loss_g_gan"] and m["loss_g_l1"] > 0


def test_d_gets_gradients_from_its_own_loss_only_and_g_from_its_loss_through_the_updated_d():
    G, D, A, B = _small()
    G_copy, D_copy, _, _ = _small()  # the same initial weights
    opt_g, opt_d = _adams(G, D)

    pix2pix_step(G, D, opt_g, opt_d, A, B)

    # D's gradient after the step is that of D's loss alone: G's half, D frozen, added nothing
    with tinygan.no_grad():
        fake = G_copy(A)
    loss_d = 0.5 * discriminator_loss(D_copy(F.cat([A, B], 1)), D_copy(F.cat([A, fake], 1)))
    loss_d.backward()
    for p, q in zip(D.parameters(), D_copy.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10, atol=1e-15)
    # G's gradient is that of BCE(D'(A, G(A)), 1) + 100 L1 with D' = D after its update, and
    # nothing from D's loss (fake_B was detached there)
    with frozen(D):
        fake = G_copy(A)
        loss_g = generator_loss_non_saturating(D(F.cat([A, fake], 1))) + 100.0 * F.l1_loss(fake, B)
    loss_g.backward()
    for p, q in zip(G.parameters(), G_copy.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10, atol=1e-15)


class CountingAdam(Adam):
    def __init__(self, *args, log: list[str], name: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.log, self.name = log, name

    def zero_grad(self) -> None:
        self.log.append(f"{self.name}.zero_grad")
        super().zero_grad()

    def step(self) -> None:
        self.log.append(f"{self.name}.step")
        super().step()


def test_each_network_is_updated_exactly_once_d_first():
    G, D, A, B = _small()
    log: list[str] = []
    opt_g = CountingAdam(G.parameters(), lr=2e-4, betas=(0.5, 0.999), log=log, name="G")
    opt_d = CountingAdam(D.parameters(), lr=2e-4, betas=(0.5, 0.999), log=log, name="D")
    G.eval(), D.eval()

    pix2pix_step(G, D, opt_g, opt_d, A, B)

    assert log == ["D.zero_grad", "D.step", "G.zero_grad", "G.step"]
    assert G.training and D.training  # the step trains: batch statistics, dropout on


@pytest.mark.parametrize("b_shape", [(3, 3, 64, 64), (2, 3, 32, 64), (2, 3, 64, 32)])
def test_mismatched_pairs_are_rejected_before_anything_changes(b_shape):
    G, D, A, _ = _small()
    before = [p.data.copy() for p in [*G.parameters(), *D.parameters()]]
    with pytest.raises(ValueError, match=rf"pix2pix_step: A \(2, 3, 64, 64\) and B \({', '.join(map(str, b_shape))}\)"):
        pix2pix_step(G, D, *_adams(G, D), A, tinygan.zeros(*b_shape))
    assert all(np.array_equal(b, p.data) for b, p in zip(before, [*G.parameters(), *D.parameters()]))


@pytest.mark.parametrize("lam", [-1.0, -1e-9, float("nan")])
def test_a_negative_or_nan_lambda_is_rejected(lam):
    G, D, A, B = _small()
    with pytest.raises(ValueError, match="lambda_l1 must be >= 0"):
        pix2pix_step(G, D, *_adams(G, D), A, B, lambda_l1=lam)


def test_the_same_seed_gives_the_same_steps_with_dropout_on_and_another_seed_does_not():
    def run(seed: int) -> list[dict[str, float]]:
        G, D, A, B = _small(dropout=True, seed=0, float64=False)  # same weights and data every time
        opt_g, opt_d = _adams(G, D)
        tinygan.manual_seed(seed)  # only the dropout masks depend on this
        return [pix2pix_step(G, D, opt_g, opt_d, A, B) for _ in range(2)]

    first = run(5)
    assert run(5) == first
    assert run(6) != first


# ----------------------------------------------------------------------------- l1_step


def test_l1_step_lowers_the_l1_distance_on_a_fixed_pair_step_by_step():
    G, _, A, B = _small()
    opt_g = Adam(G.parameters(), lr=1e-2, betas=(0.5, 0.999))
    with tinygan.no_grad():  # training mode (batch statistics), as l1_step runs G
        start = F.l1_loss(G(A), B).item()
    G.eval()

    losses = [l1_step(G, opt_g, A, B)["loss_g_l1"] for _ in range(6)]

    assert losses[0] == pytest.approx(start, rel=1e-12)  # reported before its own update
    assert all(later < earlier for earlier, later in zip(losses, losses[1:]))
    assert losses[-1] < 0.99 * losses[0]  # 0.983 here: ngf 2 fits a random B slowly, but steadily
    assert G.training
