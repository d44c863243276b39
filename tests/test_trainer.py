"""Tests for tinygan.gan.trainer: the samplers, ``sample``, and the loop around a step
(history, schedules, exact resume, checkpoint errors)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygan
from tinygan import nn
from tinygan.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from tinygan.data import load_dataset
from tinygan.gan import MLPDiscriminator, MLPGenerator, RandomBatches, Trainer, gan_step, gaussian_noise, sample
from tinygan.optim import SGD, Adam, LambdaLR, linear_decay

RING = load_dataset("ring", 5000, seed=0)


def make_trainer(seed=0, k=1, hidden=(16, 16), d_hidden=None, schedule=None):
    """A small ring GAN built from ``seed`` (weights) on the fixed RING data, around gan_step;
    ``schedule`` is a learning-rate factor for LambdaLR schedulers on both optimizers."""
    tinygan.manual_seed(seed)
    G = MLPGenerator(2, (2,), hidden, output="linear")
    D = MLPDiscriminator((2,), d_hidden or hidden)
    g_optimizer = Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
    d_optimizer = Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
    real_batch, noise = RandomBatches(RING.x, 32), gaussian_noise(2)
    schedulers = None
    if schedule is not None:
        schedulers = {"g_scheduler": LambdaLR(g_optimizer, schedule), "d_scheduler": LambdaLR(d_optimizer, schedule)}
    return Trainer(
        lambda: gan_step(G, D, g_optimizer, d_optimizer, real_batch, noise, k=k),
        networks={"generator": G, "discriminator": D},
        optimizers={"g_optimizer": g_optimizer, "d_optimizer": d_optimizer},
        schedulers=schedulers,
    )


def weights(module):
    return {name: p.numpy().copy() for name, p in module.named_parameters()}


def flat(value, prefix=""):
    """A nested state (dicts, lists, arrays) as {path: leaf}, for exact comparison."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in flat(item, f"{prefix}/{key}").items()}
    if isinstance(value, (list, tuple)):
        return {k: v for i, item in enumerate(value) for k, v in flat(item, f"{prefix}/{i}").items()}
    if hasattr(value, "shape"):
        return {prefix: np.array(value.numpy() if hasattr(value, "numpy") else value)}
    return {prefix: value}


def snapshot(trainer):
    """Everything a checkpoint load could change, as {path: value}."""
    return flat({
        "networks": {name: net.state_dict() for name, net in trainer.networks.items()},
        "optimizers": {name: opt.state_dict() for name, opt in trainer.optimizers.items()},
        "lrs": [g["lr"] for opt in trainer.optimizers.values() for g in opt.param_groups],
        "schedulers": {name: s.state_dict() for name, s in trainer.schedulers.items()},
        "rng": tinygan.random.get_state(),
        "step": trainer.step,
        "history": trainer.history,
    })  # fmt: skip


def assert_same(a, b):
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], np.ndarray):
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)
        else:
            assert a[key] == b[key], key


# ----------------------------------------------------------------------------- samplers


def test_random_batches_draw_m_examples_with_replacement_from_the_seeded_generator():
    x = np.arange(10, dtype=np.float32).reshape(5, 2)
    batches = RandomBatches(x, 4)
    assert len(batches) == 5 and batches.batch_size == 4
    tinygan.manual_seed(1)
    first = batches().numpy()
    assert first.shape == (4, 2) and set(first[:, 0]) <= set(x[:, 0])
    np.testing.assert_array_equal(first[:, 1], first[:, 0] + 1)  # whole rows
    tinygan.manual_seed(1)
    np.testing.assert_array_equal(batches().numpy(), first)  # the same seed, the same batch
    drawn = np.concatenate([batches().numpy()[:, 0] for _ in range(50)])
    assert set(drawn) == set(x[:, 0])


def test_random_batches_with_a_condition_return_each_examples_own_condition():
    x = np.arange(6, dtype=np.float32)[:, None]
    labels = np.eye(6, dtype=np.float32)
    real, condition = RandomBatches(x, 8, condition=labels)()
    assert real.shape == (8, 1) and condition.shape == (8, 6)
    np.testing.assert_array_equal(condition.numpy().argmax(axis=1), real.numpy()[:, 0])


def test_bad_sampler_options_are_rejected_with_the_values():
    for batch_size in (0, -3, 2.5, True, "8"):
        with pytest.raises(ValueError, match="batch_size must be a positive integer"):
            RandomBatches(np.zeros((3, 2)), batch_size)
    with pytest.raises(ValueError, match="x has 3 examples but condition has 2"):
        RandomBatches(np.zeros((3, 2)), 2, condition=np.zeros((2, 1)))
    with pytest.raises(ValueError, match="at least one example"):
        RandomBatches(np.zeros((0, 2)), 2)
    with pytest.raises(ValueError, match="latent_dim must be positive, got 0"):
        gaussian_noise(0)
    assert RandomBatches(np.zeros((3, 2)), np.int64(2))().shape == (2, 2)


def test_gaussian_noise_gives_m_standard_normal_vectors():
    z = gaussian_noise(3)(20000).numpy()
    assert z.shape == (20000, 3) and z.dtype == np.float32
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1) < 0.03


# ----------------------------------------------------------------------------- sample


class _ModeRecorder(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 2)
        self.modes = []

    def forward(self, z, *rest):
        self.modes.append(self.training)
        return self.linear(z)


@pytest.mark.parametrize("mode", [True, False])
def test_sample_runs_g_in_eval_mode_without_a_graph_and_restores_its_mode(mode):
    G = _ModeRecorder().train(mode)
    samples = sample(G, tinygan.randn(10, 2))
    assert samples.shape == (10, 2) and samples.grad_fn is None and not samples.requires_grad
    assert G.modes == [False] and G.training is mode
    sample(G, tinygan.randn(10, 2), tinygan.randn(10, 3), train_mode=True)  # more inputs: a condition
    assert G.modes == [False, True] and G.training is mode


def test_sample_restores_the_mode_when_g_fails():
    G = _ModeRecorder()
    with pytest.raises(ValueError):
        sample(G, tinygan.randn(10, 5))  # the wrong width
    assert G.training


# ----------------------------------------------------------------------------- the loop


def test_train_step_numbers_the_steps_and_keeps_the_history():
    trainer = make_trainer()
    first, second = trainer.train_step(), trainer.train_step()
    assert list(first) == ["step", "loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2"]
    assert (first["step"], second["step"], trainer.step) == (1, 2, 2)
    assert trainer.history == [first, second]


def test_the_trainer_only_calls_the_step_and_steps_each_scheduler_after_it():
    tinygan.manual_seed(0)
    layer = nn.Linear(1, 1)
    opt = SGD(layer.parameters(), lr=1.0)
    seen = []
    trainer = Trainer(
        lambda: seen.append(opt.param_groups[0]["lr"]) or {"loss": float(len(seen))},
        networks={"net": layer},
        optimizers={"opt": opt},
        schedulers={"halving": LambdaLR(opt, lambda epoch: 0.5**epoch)},
    )
    assert [trainer.train_step() for _ in range(3)] == [{"step": n, "loss": float(n)} for n in (1, 2, 3)]
    assert seen == [1.0, 0.5, 0.25]  # each step ran with the rate of its own epoch
    assert opt.param_groups[0]["lr"] == 0.125


def test_a_step_that_fails_is_not_counted():
    calls = []

    def failing():
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return {"loss": 0.0}

    trainer = Trainer(failing, networks={}, optimizers={})
    trainer.train_step()
    with pytest.raises(KeyboardInterrupt):
        trainer.train_step()
    assert trainer.step == 1 and len(trainer.history) == 1


@pytest.mark.parametrize(
    ("networks", "optimizers"),
    [
        ({"generator": 1}, {"generator": 2}),  # the same name twice
        ({"step": 1}, {}),  # names the checkpoint uses itself
        ({}, {"rng": 1}),
        ({"history": 1, "extra": 2}, {"schedulers": 3}),
    ],
)
def test_network_and_optimizer_names_must_be_distinct_and_not_reserved(networks, optimizers):
    with pytest.raises(ValueError, match=r"names must be distinct and none of \['extra', 'history', 'rng', "):
        Trainer(lambda: {}, networks=networks, optimizers=optimizers)


def test_the_same_seed_gives_identical_runs():
    runs = []
    for _ in range(2):
        trainer = make_trainer(seed=3)
        runs.append([trainer.train_step() for _ in range(5)])
    assert runs[0] == runs[1]
    other = make_trainer(seed=4)
    assert [other.train_step() for _ in range(5)] != runs[0]


# ----------------------------------------------------------------------------- checkpoints


def test_resume_continues_exactly_schedules_included(tmp_path):
    """8 steps in one go = 4 steps, save, load into fresh objects, 4 more steps."""
    schedule = linear_decay(4, 4)  # the learning rates fall during the second half
    straight = make_trainer(seed=1, k=2, schedule=schedule)
    for _ in range(8):
        straight.train_step()

    first = make_trainer(seed=1, k=2, schedule=schedule)
    for _ in range(4):
        first.train_step()
    first.save(tmp_path / "ckpt.npz", extra={"note": "halfway"})
    tinygan.manual_seed(99)  # the global random state moves on before the resume
    second = make_trainer(seed=7, k=2, schedule=schedule)  # different initial weights
    assert second.load(tmp_path / "ckpt.npz") == {"note": "halfway"}
    assert second.step == 4 and second.history == first.history
    assert [s.last_epoch for s in second.schedulers.values()] == [4, 4]
    for _ in range(4):
        second.train_step()

    assert second.history == straight.history
    assert_same(snapshot(second), snapshot(straight))  # weights, Adam state, rates, random state
    lrs = [g["lr"] for opt in straight.optimizers.values() for g in opt.param_groups]
    assert lrs == pytest.approx([1e-3 * schedule(8)] * len(lrs)) and schedule(8) < 1


def test_missing_or_corrupt_checkpoints_are_clear_errors(tmp_path):
    trainer = make_trainer()
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        trainer.load(tmp_path / "missing.npz")
    (tmp_path / "bad.npz").write_bytes(b"\x00" * 100)
    with pytest.raises(CheckpointError, match="bad.npz"):
        trainer.load(tmp_path / "bad.npz")


def test_a_checkpoint_of_other_networks_is_refused_and_nothing_is_half_loaded(tmp_path):
    source = make_trainer(seed=1)
    for _ in range(2):
        source.train_step()
    source.save(tmp_path / "small.npz")
    other = make_trainer(seed=5, d_hidden=(32, 32))  # G matches the checkpoint, D does not
    other.train_step()
    before = snapshot(other)
    with pytest.raises(CheckpointError, match="does not match these networks/optimizers"):
        other.load(tmp_path / "small.npz")
    assert_same(snapshot(other), before)  # G, which was loaded before D failed, is rolled back too


def test_a_checkpoint_without_the_schedulers_is_refused_and_nothing_changes(tmp_path):
    make_trainer(seed=1).save(tmp_path / "plain.npz")  # no schedulers
    scheduled = make_trainer(seed=2, schedule=linear_decay(1, 1))
    scheduled.train_step()
    before = snapshot(scheduled)
    with pytest.raises(CheckpointError, match="does not match"):
        scheduled.load(tmp_path / "plain.npz")
    assert_same(snapshot(scheduled), before)


def test_a_checkpoint_lacking_a_network_names_what_is_missing(tmp_path):
    trainer = make_trainer()
    state = load_checkpoint_of(trainer, tmp_path)
    del state["discriminator"]
    save_checkpoint(tmp_path / "partial.npz", state)
    with pytest.raises(CheckpointError, match=r"lacks \['discriminator'\]"):
        trainer.load(tmp_path / "partial.npz")
    assert trainer.step == 0


def load_checkpoint_of(trainer, tmp_path):
    trainer.save(tmp_path / "full.npz")
    return load_checkpoint(tmp_path / "full.npz")
