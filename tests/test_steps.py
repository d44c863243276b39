"""Tests for tinygan.gan.steps: Algorithm 1 as gan_step, the conditional GAN's cgan_step, frozen."""

from __future__ import annotations

import math
import types

import numpy as np
import pytest

import tinygan
from tinygan import nn
from tinygan.data import load_dataset, mode_coverage
from tinygan.gan import (
    MLPDiscriminator,
    MLPGenerator,
    RandomBatches,
    Trainer,
    cgan_step,
    frozen,
    gan_step,
    gaussian_noise,
    sample,
)
from tinygan.optim import SGD, Adam, LambdaLR, linear_decay

RING = load_dataset("ring", 5000, seed=0)


def make_gan(seed=0, hidden=(16, 16), batch_size=32):
    """A small ring GAN built from ``seed``: G, D, their Adams, real_batch and noise."""
    tinygan.manual_seed(seed)
    G = MLPGenerator(2, (2,), hidden, output="linear")
    D = MLPDiscriminator((2,), hidden)
    return types.SimpleNamespace(
        G=G,
        D=D,
        g_optimizer=Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999)),
        d_optimizer=Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999)),
        real_batch=RandomBatches(RING.x, batch_size),
        noise=gaussian_noise(2),
    )


def step(gan, **options):
    return gan_step(gan.G, gan.D, gan.g_optimizer, gan.d_optimizer, gan.real_batch, gan.noise, **options)


def weights(module):
    return {name: p.numpy().copy() for name, p in module.named_parameters()}


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def test_gan_step_updates_both_networks_and_returns_finite_metrics():
    gan = make_gan()
    g_before, d_before = weights(gan.G), weights(gan.D)
    metrics = step(gan)
    assert set(metrics) == {"loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2"}
    assert all(isinstance(v, float) and math.isfinite(v) for v in metrics.values())
    assert all(0 < metrics[k] < 1 for k in ("d_x", "d_g_z1", "d_g_z2"))
    for before, module in ((g_before, gan.G), (d_before, gan.D)):
        after = weights(module)
        assert all(not np.array_equal(before[k], after[k]) for k in before)
    assert all(p.requires_grad for p in gan.D.parameters())  # D is unfrozen after G's update


@pytest.mark.parametrize("g_loss", ["minimax", "non-saturating"])
def test_metrics_and_the_generator_loss_match_their_definitions(g_loss):
    """Every number recomputed by hand from the same batch, noise and weights.

    D's numbers come from the initial weights on the first real batch and noise z1; G's from
    the initial G on the next noise z2, through D after its update."""
    gan = make_gan(seed=2)
    metrics = step(gan, g_loss=g_loss)
    replay = make_gan(seed=2)  # the same initial weights and random state
    real = replay.real_batch()
    z1, z2 = replay.noise(32), replay.noise(32)
    with tinygan.no_grad():
        real_logits = replay.D(real).numpy().astype(np.float64)
        fake_logits = replay.D(replay.G(z1)).numpy().astype(np.float64)
        fake_logits_g = gan.D(replay.G(z2)).numpy().astype(np.float64)  # gan.D: D after its update
    d_x, d_g_z1, d_g_z2 = sigmoid(real_logits), sigmoid(fake_logits), sigmoid(fake_logits_g)
    assert metrics["d_x"] == pytest.approx(d_x.mean(), rel=1e-5)
    assert metrics["d_g_z1"] == pytest.approx(d_g_z1.mean(), rel=1e-5)
    assert metrics["d_g_z2"] == pytest.approx(d_g_z2.mean(), rel=1e-5)
    assert metrics["loss_d"] == pytest.approx(-np.log(d_x).mean() - np.log(1 - d_g_z1).mean(), rel=1e-5)
    if g_loss == "minimax":  # descend log(1 - D(G(z))): negative
        assert metrics["loss_g"] < 0
        assert metrics["loss_g"] == pytest.approx(np.log(1 - d_g_z2).mean(), rel=1e-5)
    else:  # descend -log D(G(z)): positive
        assert metrics["loss_g"] > 0
        assert metrics["loss_g"] == pytest.approx(-np.log(d_g_z2).mean(), rel=1e-5)


@pytest.mark.parametrize("k", [1, 3])
def test_k_discriminator_updates_then_one_generator_update_in_the_papers_order(k):
    """Per step: k times (a real batch, noise for its fakes, D's update), then fresh noise and
    G's update; real_batch() takes no argument and noise(m) gets the real batch's size."""
    gan = make_gan()
    calls = []

    def recording(name, fn):
        def wrapped(*args):
            calls.append((name, *args))
            return fn(*args)

        return wrapped

    gan.real_batch = recording("real", gan.real_batch)
    gan.noise = recording("noise", gan.noise)
    gan.d_optimizer.step = recording("d_step", gan.d_optimizer.step)
    gan.g_optimizer.step = recording("g_step", gan.g_optimizer.step)
    for _ in range(2):
        step(gan, k=k)
    one_step = [("real",), ("noise", 32), ("d_step",)] * k + [("noise", 32), ("g_step",)]
    assert calls == 2 * one_step


def test_g_records_a_graph_only_for_its_own_update_and_d_is_frozen_for_it():
    """D's updates run G without a graph; G's update runs D with its weights frozen."""
    gan = make_gan()
    seen = []
    g_forward, d_forward = gan.G.forward, gan.D.forward

    def g_recording(z):
        out = g_forward(z)
        seen.append(("G", out.requires_grad))
        return out

    def d_recording(x):
        seen.append(("D", all(p.requires_grad for p in gan.D.parameters())))
        return d_forward(x)

    gan.G.forward, gan.D.forward = g_recording, d_recording
    step(gan, k=2)
    d_update = [("G", False), ("D", True), ("D", True)]  # G(z) without a graph; D(real), D(fake)
    assert seen == 2 * d_update + [("G", True), ("D", False)]
    assert all(p.requires_grad for p in gan.D.parameters())


def test_a_step_puts_both_networks_in_training_mode():
    gan = make_gan()
    gan.G.eval()
    gan.D.eval()
    step(gan)
    assert gan.G.training and gan.D.training


@pytest.mark.parametrize("step_fn", [gan_step, cgan_step])
def test_bad_options_are_rejected_before_anything_changes(step_fn):
    gan = make_gan()
    before = weights(gan.D)
    args = (gan.G, gan.D, gan.g_optimizer, gan.d_optimizer, gan.real_batch, gan.noise)
    with pytest.raises(ValueError, match="unknown generator loss 'wasserstein'; choose one of minimax, non-saturating"):
        step_fn(*args, g_loss="wasserstein")
    for k in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match=r"k \(discriminator steps per generator step\) must be an integer >= 1"):
            step_fn(*args, k=k)
    assert all(np.array_equal(before[name], v) for name, v in weights(gan.D).items())
    assert step(gan, k=np.int64(2))["loss_d"] > 0  # a NumPy integer is an integer


def test_the_same_seed_gives_identical_metrics():
    runs = []
    for _ in range(2):
        gan = make_gan(seed=3)
        runs.append([step(gan) for _ in range(5)])
    assert runs[0] == runs[1]
    other = make_gan(seed=4)
    assert [step(other) for _ in range(5)] != runs[0]


class _ConditionalMLP(nn.Module):
    """An MLP that sees its input concatenated with a one-hot condition, and records both (and its output)."""

    def __init__(self, in_features, out_features):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_features + 3, 8), nn.LeakyReLU(0.2), nn.Linear(8, out_features))
        self.seen, self.outputs = [], []

    def forward(self, x, condition):
        self.seen.append((x.numpy().copy(), condition.numpy().copy()))
        out = self.net(tinygan.cat([x, condition], dim=1))
        self.outputs.append(out.numpy().copy())
        return out


@pytest.mark.parametrize("k", [1, 2])
def test_cgan_step_gives_the_condition_to_both_networks(k):
    tinygan.manual_seed(0)
    labels = np.arange(30) % 3
    one_hot = np.eye(3, dtype=np.float32)[labels]
    x = np.stack([labels, -labels], axis=1).astype(np.float32)  # each real example tells its label
    G, D = _ConditionalMLP(4, 2), _ConditionalMLP(2, 1)
    real_batch = RandomBatches(x, 6, condition=one_hot)
    metrics = cgan_step(G, D, SGD(G.parameters(), lr=0.01), SGD(D.parameters(), lr=0.01), real_batch,
                        gaussian_noise(4), k=k)  # fmt: skip
    assert set(metrics) == {"loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2"}
    # per D update: G(z, y) once, D(x, y) and D(G(z, y), y); then G(z, y) and D(G(z, y), y) for G
    assert len(G.seen) == k + 1 and len(D.seen) == 2 * k + 1
    for i in range(k):
        (real, y), (fake, y_fake) = D.seen[2 * i], D.seen[2 * i + 1]
        assert y.shape == (6, 3)
        np.testing.assert_array_equal(real[:, 0], y.argmax(axis=1))  # the labels belong to the examples
        np.testing.assert_array_equal(y_fake, y)  # the fakes are judged with the labels they were made for
        np.testing.assert_array_equal(G.seen[i][1], y)
        np.testing.assert_array_equal(fake, G.outputs[i])
    # G's update reuses the last real batch's labels, in G and in D
    np.testing.assert_array_equal(G.seen[-1][1], D.seen[2 * k - 2][1])
    np.testing.assert_array_equal(D.seen[-1][1], D.seen[2 * k - 2][1])


def test_frozen_turns_off_gradients_for_a_block_and_restores_them_even_on_error():
    layer = nn.Linear(2, 2)
    layer.bias.requires_grad = False  # already frozen: stays so
    with pytest.raises(RuntimeError), frozen(layer):
        assert not any(p.requires_grad for p in layer.parameters())
        x = tinygan.randn(3, 2, requires_grad=True)
        y = layer(x).sum()
        y.backward()
        assert layer.weight.grad is None and x.grad is not None  # the input's gradient still flows
        raise RuntimeError
    assert layer.weight.requires_grad and not layer.bias.requires_grad


@pytest.mark.slow
def test_short_ring_training_covers_more_modes_than_at_initialisation():
    """300 steps (a few seconds) take G from a blob at the origin to the ring's 8 modes.

    So short a run has not yet settled into the tight clusters the standard 3-std test asks
    for (the demo's job); it is scored at 10 std (0.2 around each mode, modes are 1.5 apart).
    """
    steps = 300
    tinygan.manual_seed(0)
    G = MLPGenerator(2, (2,), (64, 64), output="linear")
    D = MLPDiscriminator((2,), (64, 64))
    g_optimizer = Adam(G.parameters(), lr=5e-3, betas=(0.5, 0.999))
    d_optimizer = Adam(D.parameters(), lr=5e-3, betas=(0.5, 0.999))
    real_batch, noise = RandomBatches(RING.x, 128), gaussian_noise(2)
    schedule = linear_decay(steps // 2, steps // 2)
    trainer = Trainer(
        lambda: gan_step(G, D, g_optimizer, d_optimizer, real_batch, noise),
        networks={"generator": G, "discriminator": D},
        optimizers={"g_optimizer": g_optimizer, "d_optimizer": d_optimizer},
        schedulers={"g_scheduler": LambdaLR(g_optimizer, schedule), "d_scheduler": LambdaLR(d_optimizer, schedule)},
    )
    z = tinygan.tensor(np.random.default_rng(1).standard_normal((2500, 2)).astype(np.float32))

    def coverage():
        return mode_coverage(sample(G, z).numpy(), RING.centers, RING.std, threshold_sigmas=10)

    before = coverage()
    for _ in range(steps):
        trainer.train_step()
    after = coverage()
    assert before["modes_covered"] == 0
    assert after["modes_covered"] >= 6, after
    assert after["high_quality_share"] > 0.1, after
