"""tinygan.optim: SGD and Adam against a plain NumPy transcription of PyTorch's documented update
rules, checkpoint round trips, LambdaLR with Pix2Pix's linear decay, and Adam on a quadratic."""

from __future__ import annotations

import numpy as np
import pytest

import tinygan
from tinygan import optim

SHAPES = [(3, 2), (4,)]
STEPS = 6


def reference_sgd(params, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    """torch.optim.SGD's documented algorithm, one parameter at a time, in float64."""
    params = [p.copy() for p in params]
    buffers = [None] * len(params)
    for step_grads in grads:
        for i, g in enumerate(step_grads):
            g = g + weight_decay * params[i]
            if momentum:
                buffers[i] = g if buffers[i] is None else momentum * buffers[i] + (1 - dampening) * g
                g = g + momentum * buffers[i] if nesterov else buffers[i]
            params[i] = params[i] - lr * g
    return params


def reference_adam(params, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    """torch.optim.Adam's documented algorithm (bias-corrected moments), in float64."""
    beta1, beta2 = betas
    params = [p.copy() for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for t, step_grads in enumerate(grads, start=1):
        for i, g in enumerate(step_grads):
            g = g + weight_decay * params[i]
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            m_hat, v_hat = m[i] / (1 - beta1**t), v[i] / (1 - beta2**t)
            params[i] = params[i] - lr * m_hat / (np.sqrt(v_hat) + eps)
    return params


def problem(seed=0):
    """Initial values and a fixed sequence of gradients for two parameters."""
    rng = np.random.default_rng(seed)
    initial = [rng.standard_normal(s) for s in SHAPES]
    grads = [[rng.standard_normal(s) for s in SHAPES] for _ in range(STEPS)]
    return initial, grads


def run(optimizer_class, options, initial, grads, dtype=np.float64):
    params = [tinygan.tensor(p.astype(dtype), requires_grad=True) for p in initial]
    opt = optimizer_class(params, **options)
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = tinygan.tensor(g.astype(dtype))
        opt.step()
    return params, opt


SGD_OPTIONS = [
    dict(lr=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.3),
    dict(lr=0.05, momentum=0.8, nesterov=True),
    dict(lr=0.1, momentum=0.9, weight_decay=0.01),
    dict(lr=0.1, momentum=0.5, weight_decay=0.1, nesterov=True),
]
ADAM_OPTIONS = [
    dict(),
    dict(lr=2e-4, betas=(0.5, 0.999)),  # DCGAN's and Pix2Pix's setting
    dict(lr=0.01, betas=(0.9, 0.99), eps=1e-6, weight_decay=0.1),
]


@pytest.mark.parametrize("options", SGD_OPTIONS, ids=str)
def test_sgd_matches_pytorchs_update_rule(options):
    initial, grads = problem()
    params, _ = run(optim.SGD, options, initial, grads)
    for p, expected in zip(params, reference_sgd(initial, grads, **options)):
        np.testing.assert_allclose(p.numpy(), expected, rtol=1e-12, atol=1e-14)


@pytest.fixture(params=["numpy", "fused"])
def adam_path(request, monkeypatch):
    """Run Adam's update through the NumPy expression or the fused Numba loop (which takes
    parameters of ``_FUSED_MIN_SIZE`` elements and more; these test problems are smaller)."""
    monkeypatch.setattr(optim, "_FUSED_MIN_SIZE", 0 if request.param == "fused" else 1 << 62)
    return request.param


@pytest.mark.parametrize("options", ADAM_OPTIONS, ids=str)
def test_adam_matches_pytorchs_update_rule(options, adam_path):
    initial, grads = problem()
    params, _ = run(optim.Adam, options, initial, grads)
    for p, expected in zip(params, reference_adam(initial, grads, **options)):
        np.testing.assert_allclose(p.numpy(), expected, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("optimizer_class, options", [(optim.SGD, SGD_OPTIONS[3]), (optim.Adam, ADAM_OPTIONS[1])])
def test_float32_parameters_stay_float32(optimizer_class, options, adam_path):
    initial, grads = problem()
    params, opt = run(optimizer_class, options, initial, grads, dtype=np.float32)
    assert all(p.dtype == np.float32 for p in params)
    assert all(v.dtype == np.float32 for s in opt.state.values() for v in s.values() if hasattr(v, "dtype"))


def test_param_groups_have_their_own_settings():
    initial, grads = problem()
    params = [tinygan.tensor(p, requires_grad=True) for p in initial]
    opt = optim.SGD([{"params": [params[0]], "lr": 0.5}, {"params": [params[1]]}], lr=0.1, momentum=0.9)
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = tinygan.tensor(g)
        opt.step()
    only = [[g[0]] for g in grads], [[g[1]] for g in grads]
    np.testing.assert_allclose(params[0].numpy(), reference_sgd([initial[0]], only[0], 0.5, 0.9)[0], rtol=1e-12)
    np.testing.assert_allclose(params[1].numpy(), reference_sgd([initial[1]], only[1], 0.1, 0.9)[0], rtol=1e-12)


def test_parameters_without_gradients_are_left_alone():
    a, b = tinygan.tensor(np.ones(2), requires_grad=True), tinygan.tensor(np.ones(2), requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = tinygan.tensor(np.ones(2))
    opt.step()
    np.testing.assert_array_equal(b.numpy(), 1)
    assert a.numpy()[0] < 1 and len(opt.state) == 1


@pytest.mark.parametrize("optimizer_class, options", [(optim.SGD, SGD_OPTIONS[5]), (optim.Adam, ADAM_OPTIONS[2])])
def test_state_dict_round_trip_resumes_identically(optimizer_class, options):
    initial, grads = problem()
    uninterrupted, _ = run(optimizer_class, options, initial, grads)

    halfway, first = run(optimizer_class, options, initial, grads[:3])
    checkpoint = first.state_dict()
    saved = [p.numpy().copy() for p in halfway]
    run_further = [tinygan.tensor(np.ones(s), requires_grad=True) for s in SHAPES]
    first.param_groups[0]["params"] = run_further  # the checkpoint must not follow later changes
    for p in run_further:
        p.grad = tinygan.tensor(np.ones(p.shape))
    first.step()

    resumed = [tinygan.tensor(p, requires_grad=True) for p in saved]
    second = optimizer_class(resumed, lr=123.0)  # the checkpoint brings back the settings too
    second.load_state_dict(checkpoint)
    assert second.param_groups[0]["lr"] == options.get("lr", 1e-3)
    for step_grads in grads[3:]:
        for p, g in zip(resumed, step_grads):
            p.grad = tinygan.tensor(g)
        second.step()
    for p, expected in zip(resumed, uninterrupted):
        np.testing.assert_array_equal(p.numpy(), expected.numpy())


def test_load_state_dict_rejects_a_mismatched_checkpoint():
    _, opt = run(optim.Adam, {}, *problem())
    other = optim.Adam([tinygan.tensor(np.ones((3, 2)), requires_grad=True)])
    with pytest.raises(ValueError, match="parameter groups"):
        other.load_state_dict(opt.state_dict())
    swapped = optim.Adam([tinygan.tensor(np.ones(s), requires_grad=True) for s in reversed(SHAPES)])
    with pytest.raises(ValueError, match=r"'exp_avg' for parameter 0 has shape \(3, 2\), expected \(4,\)"):
        swapped.load_state_dict(opt.state_dict())


def test_adam_minimises_a_quadratic():
    target = np.array([3.0, -2.0, 0.5, 10.0], dtype=np.float32)
    curvature = np.array([1.0, 10.0, 100.0, 0.1], dtype=np.float32)  # badly conditioned on purpose
    p = tinygan.zeros(4, requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    losses = []
    for _ in range(500):
        opt.zero_grad()
        loss = ((p - target) ** 2 * curvature).sum()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    np.testing.assert_allclose(p.numpy(), target, atol=0.02)
    assert losses[-1] < 1e-3 * losses[0]


def test_optimizers_reject_bad_settings():
    p = [tinygan.tensor(np.ones(2), requires_grad=True)]
    with pytest.raises(ValueError, match="lr"):
        optim.SGD(p, lr=-1)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD(p, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam(p, betas=(1.0, 0.999))
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(TypeError, match="require grad"):
        optim.Adam([tinygan.tensor(np.ones(2))])


# ------------------------------------------------------------------------------ schedules


def pix2pix_rule(epoch, n_epochs, n_epochs_decay, epoch_count=1):
    """The schedule in pytorch-CycleGAN-and-pix2pix's networks.get_scheduler ('linear' policy)."""
    return 1.0 - max(0, epoch + epoch_count - n_epochs) / float(n_epochs_decay + 1)


def test_linear_decay_values():
    factor = optim.linear_decay(3, 4)
    assert [factor(e) for e in range(8)] == pytest.approx([1, 1, 1, 0.8, 0.6, 0.4, 0.2, 0.0])
    for e in range(300):
        assert optim.linear_decay(100, 100)(e) == pytest.approx(pix2pix_rule(e, 100, 100))


def make_scheduled_adam():
    a, b = tinygan.tensor(np.ones(1), requires_grad=True), tinygan.tensor(np.ones(1), requires_grad=True)
    opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.01}], lr=2e-4)
    return opt, optim.LambdaLR(opt, optim.linear_decay(2, 3))


def test_lambda_lr_scales_every_group_from_its_initial_lr():
    opt, schedule = make_scheduled_adam()
    seen = [schedule.get_last_lr()]
    for _ in range(5):
        schedule.step()
        seen.append(schedule.get_last_lr())
    factors = [1, 1, 0.75, 0.5, 0.25, 0.0]
    np.testing.assert_allclose([lr for lr, _ in seen], [2e-4 * f for f in factors])
    np.testing.assert_allclose([lr for _, lr in seen], [0.01 * f for f in factors])
    assert [g["lr"] for g in opt.param_groups] == seen[-1]


def test_lambda_lr_state_dict_round_trip():
    _, schedule = make_scheduled_adam()
    for _ in range(3):
        schedule.step()
    opt, resumed = make_scheduled_adam()
    resumed.load_state_dict(schedule.state_dict())
    assert resumed.get_last_lr() == schedule.get_last_lr() == pytest.approx([2e-4 * 0.5, 0.01 * 0.5])
    schedule.step(), resumed.step()
    assert [g["lr"] for g in opt.param_groups] == schedule.get_last_lr()
