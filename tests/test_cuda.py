"""Devices: moving tensors, modules, optimizers and checkpoints between the CPU and a GPU.

Two kinds of tests live here.

- Device plumbing, run everywhere: a stand-in for CuPy (``fake_gpu``: NumPy arrays of a
  subclass that tinygan's backend takes for GPU arrays) checks that devices are tracked,
  mixed devices are refused with an error naming both, and state moves and saves correctly,
  on machines without a GPU.
- Real-GPU tests, marked ``cuda`` (``pytest -m cuda``), skipped without CuPy and a GPU:
  CPU-GPU parity of every op and of a DCGAN and an MLP-GAN training iteration (one
  ``gan_step``) in float32 (relative error < 1e-4), and float64 gradient checks on the GPU.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import numba
import numpy as np
import pytest

import tinygan
from tinygan import backend, nn, optim
from tinygan import functional as F
from tinygan.checkpoint import load_checkpoint, save_checkpoint
from tinygan.gradcheck import gradcheck

needs_gpu = pytest.mark.skipif(not tinygan.cuda_is_available(), reason="needs a CUDA GPU with CuPy")

# ----------------------------------------------------------------------------- a stand-in GPU


class FakeGPUArray(np.ndarray):
    """A NumPy array that the backend takes for a CuPy array: a "GPU" for CPU-only machines."""


def _on_fake_gpu(value: Any) -> Any:
    if type(value) is np.ndarray:
        return value.view(FakeGPUArray)
    if isinstance(value, (tuple, list)):
        return type(value)(_on_fake_gpu(v) for v in value)
    return value


class FakeCuPy(types.ModuleType):
    """CuPy's interface with NumPy's math: every array it makes is a ``FakeGPUArray``.

    With it in place of CuPy, the GPU code path runs on the CPU: ops take their ``xp`` from it,
    the kernel dispatch picks the CUDA kernels (Numba's simulator runs them when
    NUMBA_ENABLE_CUDASIM=1), and devices are tracked as on a real GPU.
    """

    ndarray = FakeGPUArray
    cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: 1))

    def __init__(self) -> None:
        super().__init__("cupy")
        rng = np.random.default_rng(0)
        self.random = types.SimpleNamespace(
            seed=lambda seed: None,
            random=lambda shape, dtype=float: rng.random(shape, dtype=dtype).view(FakeGPUArray),
            standard_normal=lambda shape, dtype=float: rng.standard_normal(shape, dtype=dtype).view(FakeGPUArray),
        )

    def __getattr__(self, name: str) -> Any:
        attr = getattr(np, name)
        if not callable(attr) or isinstance(attr, (type, np.ufunc)):  # ufuncs keep the subclass themselves
            return attr
        return lambda *args, **kwargs: _on_fake_gpu(attr(*args, **kwargs))

    @staticmethod
    def asarray(a: Any, dtype: Any = None) -> FakeGPUArray:
        return np.array(a, dtype=dtype).view(FakeGPUArray)  # a copy, like a host-to-device transfer

    @staticmethod
    def asnumpy(a: Any) -> np.ndarray:
        return np.array(a)  # np.array drops the subclass: back on the "host"


@pytest.fixture
def fake_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backend, "_cupy", FakeCuPy())


simulated = pytest.mark.skipif(
    not numba.config.ENABLE_CUDASIM, reason="run with NUMBA_ENABLE_CUDASIM=1 pytest -m cudasim"
)


@pytest.fixture(
    params=[
        pytest.param("gpu", marks=[pytest.mark.cuda, needs_gpu]),
        pytest.param("simulated-gpu", marks=[pytest.mark.cudasim, simulated]),
    ]
)
def gpu(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """A real GPU (tests marked ``cuda``), or the stand-in whose kernels run in Numba's CUDA
    simulator (marked ``cudasim``): the same test checks the whole GPU code path either way."""
    if request.param == "simulated-gpu":
        monkeypatch.setattr(backend, "_cupy", FakeCuPy())
    return request.param


# ----------------------------------------------------------------------------- device plumbing


def test_cuda_without_a_gpu_is_a_plain_error_before_anything_moves():
    if tinygan.cuda_is_available():
        pytest.skip("this machine has a GPU")
    model = nn.Linear(2, 3)
    weight = model.weight.data
    for make in (
        lambda: tinygan.tensor([1.0], device="cuda"),
        lambda: tinygan.zeros(2, device="cuda"),
        lambda: tinygan.randn(2, device="cuda"),
        lambda: tinygan.tensor([1.0]).to("cuda"),
        lambda: model.to("cuda"),
    ):
        with pytest.raises(RuntimeError, match=r"device 'cuda' was requested but .*pip install \"tinygan\[cuda\]\""):
            make()
    assert model.weight.data is weight and model.weight.device == "cpu"


def test_to_rejects_what_is_neither_a_device_nor_a_dtype():
    x = tinygan.tensor([1.0])
    with pytest.raises(ValueError, match="unknown device 'gpu'"):
        x.to("gpu")
    with pytest.raises(TypeError, match=r"device \('cpu' or 'cuda'\) or a dtype, got \[1\]"):
        x.to([1])


def test_tensors_move_and_gradients_flow_back(fake_gpu):
    x = tinygan.tensor([1.0, -2.0], requires_grad=True)
    y = x.to("cuda")
    assert y.device == "cuda" and x.device == "cpu"
    assert y.to("cuda") is y
    loss = (y * y * 3).sum()  # a Python number joins the tensor on its device
    assert loss.device == "cuda"
    loss.to("cpu").backward()
    assert x.grad.device == "cpu"
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, -12.0])


def test_mixing_devices_in_one_op_is_an_error_naming_both(fake_gpu):
    cpu = tinygan.tensor([[1.0, 2.0]])
    gpu = tinygan.tensor([[1.0, 2.0]], device="cuda", requires_grad=True)
    for op, run in {
        "Add": lambda: cpu + gpu,
        "Mul": lambda: gpu * np.ones((1, 2)),  # a NumPy array is on the CPU, not silently copied
        "MatMul": lambda: gpu @ cpu.T,
        "Cat": lambda: tinygan.cat([cpu, gpu]),
    }.items():
        with pytest.raises(RuntimeError, match=rf"{op}: expected all tensors on the same device, found one on"):
            run()
    with pytest.raises(RuntimeError, match="the gradient is on cpu but the tensor is on cuda"):
        (gpu * 2).backward(tinygan.tensor([[1.0, 1.0]]))


def test_module_to_moves_parameters_buffers_and_gradients_in_place(fake_gpu):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    model.register_buffer("steps", tinygan.zeros(1))
    weight = model[0].weight
    model(tinygan.randn(2, 3)).sum().backward()
    assert model.to("cuda") is model
    assert model[0].weight is weight  # same Parameter objects: optimizers built on them keep working
    assert all(p.device == "cuda" and p.grad.device == "cuda" for p in model.parameters())
    assert model.steps.device == "cuda"
    out = model(tinygan.randn(2, 3).to("cuda"))
    assert out.device == "cuda"
    model.to("cpu")
    assert all(t.device == "cpu" for t in model.state_dict().values())


def test_a_checkpoint_saved_on_the_gpu_loads_on_a_cpu_only_machine(fake_gpu, monkeypatch, tmp_path):
    tinygan.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2)).to("cuda")
    opt = optim.Adam(model.parameters(), lr=0.1)
    model(tinygan.randn(5, 3).to("cuda")).sum().backward()
    opt.step()
    assert type(opt.state[id(model[0].weight)]["exp_avg"]) is FakeGPUArray
    save_checkpoint(tmp_path / "ckpt.npz", {"model": model.state_dict(), "opt": opt.state_dict()})

    monkeypatch.setattr(backend, "_cupy", None)  # now a machine without CuPy
    saved = load_checkpoint(tmp_path / "ckpt.npz")
    assert all(type(v) is np.ndarray for v in saved["model"].values())
    restored = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    restored.load_state_dict(saved["model"])
    restored_opt = optim.Adam(restored.parameters(), lr=0.1)
    restored_opt.load_state_dict(saved["opt"])
    for (name, a), b in zip(model.state_dict().items(), restored.state_dict().values()):
        assert b.device == "cpu"
        np.testing.assert_array_equal(np.asarray(a.data), b.numpy(), err_msg=name)
    state = restored_opt.state[id(restored[0].weight)]
    assert state["step"] == 1 and type(state["exp_avg"]) is np.ndarray


def test_optimizer_state_follows_its_parameters_to_another_device(fake_gpu):
    model = nn.Linear(3, 2)
    opt = optim.Adam(model.parameters(), lr=0.1)
    model(tinygan.randn(4, 3)).sum().backward()
    opt.step()
    model.to("cuda")
    opt.zero_grad()
    model(tinygan.randn(4, 3).to("cuda")).sum().backward()
    opt.step()
    state = opt.state[id(model.weight)]
    assert type(state["exp_avg"]) is FakeGPUArray and type(state["exp_avg_sq"]) is FakeGPUArray
    assert state["step"] == 2 and model.weight.device == "cuda"
    saved = opt.state_dict()["state"][0]
    assert type(saved["exp_avg"]) is np.ndarray  # optimizer state_dicts hold host arrays


# ----------------------------------------------------------------------------- kernels compile


def _skip_without_nvvm() -> None:
    if numba.config.ENABLE_CUDASIM:
        pytest.skip("the CUDA simulator replaces Numba-CUDA's compiler")
    from numba import cuda

    try:
        cuda.compile_ptx(lambda a: None, "void(float32[:])", cc=(8, 0))
    except Exception:  # no CUDA toolkit (libNVVM) on this machine
        pytest.skip("needs the CUDA toolkit's libNVVM (no GPU needed)")


@pytest.mark.slow  # about 8 s: the compiler is slow to start
def test_every_kernel_compiles_for_a_real_gpu():
    # the simulator runs kernels as Python, so it cannot catch code that Numba-CUDA's compiler
    # rejects; compiling to PTX (which needs no GPU) can
    _skip_without_nvvm()
    from numba import cuda, float32, int64

    from tinygan.kernels import cuda_conv, cuda_norm

    def array(ndim: int) -> Any:
        return float32[(slice(None),) * ndim]

    signatures = {
        cuda_conv._im2col_kernel: (array(4), array(6)) + (int64,) * 6,
        cuda_conv._col2im_kernel: (array(6), array(4)) + (int64,) * 6,
        cuda_norm._stats_kernel: (array(3), array(1), array(1)),
        cuda_norm._backward_sums_kernel: (array(3), array(3)) + (array(1),) * 4,
        cuda_norm._backward_dx_kernel: (array(3), array(3)) + (array(1),) * 5 + (array(3),),
    }
    for kernel, signature in signatures.items():
        ptx, _ = cuda.compile_ptx(kernel.py_func, signature, cc=(8, 0))
        assert ".entry" in ptx, kernel.py_func.__name__


# ----------------------------------------------------------------------------- CPU-GPU parity


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """||a - b|| / ||b||: one number per array, not misled by a single entry near zero."""
    return float(np.linalg.norm(a.astype(np.float64) - b) / max(np.linalg.norm(b.astype(np.float64)), 1e-30))


def assert_parity(fn: Callable[..., tinygan.Tensor], *arrays: np.ndarray, rtol: float = 1e-4) -> None:
    """``fn`` on the CPU and on the GPU, forward and backward, agree in float32."""
    on_cpu = [tinygan.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    on_gpu = [tinygan.tensor(a.astype(np.float32), requires_grad=True, device="cuda") for a in arrays]
    out_cpu, out_gpu = fn(*on_cpu), fn(*on_gpu)
    assert out_gpu.device == "cuda" and out_gpu.dtype == np.float32
    assert relative_error(out_gpu.numpy(), out_cpu.numpy()) < rtol, "forward"
    upstream = np.random.default_rng(1).standard_normal(out_cpu.shape).astype(np.float32)
    out_cpu.backward(tinygan.tensor(upstream))
    out_gpu.backward(tinygan.tensor(upstream, device="cuda"))
    for i, (c, g) in enumerate(zip(on_cpu, on_gpu)):
        assert (c.grad is None) == (g.grad is None), f"input {i}"
        if c.grad is not None:
            assert g.grad.device == "cuda"
            assert relative_error(g.grad.numpy(), c.grad.numpy()) < rtol, f"gradient of input {i}"


def _normal(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def _positive(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.5, 2.0, shape)


# name -> (function of tensors, input arrays)
OPS: dict[str, tuple[Callable[..., Any], tuple[np.ndarray, ...]]] = {
    "add": (lambda a, b: a + b, (_normal(3, 4), _normal(4, seed=1))),
    "sub": (lambda a, b: a - b, (_normal(3, 4), _normal(3, 1, seed=1))),
    "mul": (lambda a, b: a * b, (_normal(3, 4), _normal(4, seed=1))),
    "div": (lambda a, b: a / b, (_normal(3, 4), _positive(3, 4, seed=1))),
    "neg": (lambda a: -a, (_normal(5),)),
    "pow": (lambda a, b: a**b, (_positive(3, 4), _normal(3, 4, seed=1))),
    "exp": (F.exp, (_normal(3, 4),)),
    "log": (F.log, (_positive(3, 4),)),
    "sqrt": (F.sqrt, (_positive(3, 4),)),
    "abs": (F.abs, (_normal(3, 4),)),
    "clamp": (lambda a: F.clamp(a, -0.5, 0.5), (_normal(3, 4),)),
    "maximum": (F.maximum, (_normal(3, 4), _normal(3, 4, seed=1))),
    "relu": (F.relu, (_normal(3, 4),)),
    "leaky_relu": (lambda a: F.leaky_relu(a, 0.2), (_normal(3, 4),)),
    "sigmoid": (F.sigmoid, (_normal(3, 4) * 5,)),
    "tanh": (F.tanh, (_normal(3, 4),)),
    "softplus": (F.softplus, (_normal(3, 4) * 5,)),
    "log_sigmoid": (F.log_sigmoid, (_normal(3, 4) * 5,)),
    "sum": (lambda a: a.sum(1), (_normal(3, 4),)),
    "mean": (lambda a: a.mean((0, 2), keepdim=True), (_normal(2, 3, 4),)),
    "max": (lambda a: a.max(1).values, (_normal(3, 4),)),
    "amax": (lambda a: F.amax(a, 0), (_normal(3, 4),)),
    "var": (lambda a: a.var(0), (_normal(5, 3),)),
    "reshape": (lambda a: a.reshape(4, 3), (_normal(3, 4),)),
    "permute": (lambda a: a.permute(2, 0, 1), (_normal(2, 3, 4),)),
    "transpose": (lambda a: a.transpose(0, 1), (_normal(3, 4),)),
    "getitem": (lambda a: a[1:, ::2], (_normal(3, 4),)),
    "getitem repeated": (lambda a: a[[0, 2, 0]], (_normal(3, 4),)),  # a row picked twice: gradients add
    "cat": (lambda a, b: tinygan.cat([a, b], 1), (_normal(2, 3), _normal(2, 2, seed=1))),
    "stack": (lambda a, b: tinygan.stack([a, b], 0), (_normal(2, 3), _normal(2, 3, seed=1))),
    "pad": (lambda a: F.pad(a, (1, 2, 0, 1), value=0.5), (_normal(2, 3),)),
    "broadcast_to": (lambda a: F.broadcast_to(a, (2, 3, 4)), (_normal(3, 1),)),
    "unsqueeze": (lambda a: a.unsqueeze(1), (_normal(3, 4),)),
    "squeeze": (lambda a: a.squeeze(1), (_normal(3, 1, 4),)),
    "flatten": (lambda a: a.flatten(1), (_normal(2, 3, 4),)),
    "matmul": (lambda a, b: a @ b, (_normal(2, 3, 4), _normal(4, 5, seed=1))),
    "linear": (F.linear, (_normal(6, 4), _normal(3, 4, seed=1), _normal(3, seed=2))),
    "binary_cross_entropy_with_logits": (F.binary_cross_entropy_with_logits, (_normal(8) * 3, _positive(8) / 2)),
    "binary_cross_entropy": (lambda p, t: F.binary_cross_entropy(F.sigmoid(p), t), (_normal(8), _positive(8) / 2)),
    "l1_loss": (F.l1_loss, (_normal(3, 4), _normal(3, 4, seed=1))),
    "mse_loss": (F.mse_loss, (_normal(3, 4), _normal(3, 4, seed=1))),
    "conv2d": (
        lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
        (_normal(2, 3, 5, 5), _normal(4, 3, 3, 3, seed=1), _normal(4, seed=2)),
    ),
    "conv2d stride > kernel": (
        lambda x, w: F.conv2d(x, w, stride=3),
        (_normal(1, 2, 7, 6), _normal(3, 2, 2, 2, seed=1)),
    ),
    "conv_transpose2d": (
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
        (_normal(2, 3, 3, 3), _normal(3, 2, 3, 3, seed=1), _normal(2, seed=2)),
    ),
    "batch_norm training": (
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        (_normal(4, 3, 2, 2) + 3, _positive(3, seed=1), _normal(3, seed=2)),
    ),
    "batch_norm 1d training": (
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        (_normal(6, 2), _positive(2, seed=1), _normal(2, seed=2)),
    ),
    "batch_norm eval": (
        lambda x, w, b: F.batch_norm(
            x, tinygan.full((3,), 0.5).to(x.device), tinygan.full((3,), 2.0).to(x.device), w, b, training=False
        ),
        (_normal(4, 3, 2, 2), _positive(3, seed=1), _normal(3, seed=2)),
    ),
    "instance_norm": (F.instance_norm, (_normal(2, 3, 3, 3), _positive(3, seed=1), _normal(3, seed=2))),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_parity_between_cpu_and_gpu(gpu, name):
    fn, arrays = OPS[name]
    assert_parity(fn, *arrays)


@pytest.mark.cuda
@needs_gpu
def test_dropout_on_the_gpu_drops_about_p_and_scales_the_rest():
    x = tinygan.ones(100_000, device="cuda", requires_grad=True)
    y = F.dropout(x, 0.3)
    kept = y.numpy() != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(y.numpy()[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy() != 0, kept)


# ----------------------------------------------------------------------------- training parity


def _adam(module: nn.Module) -> optim.Adam:
    return optim.Adam(module.parameters(), lr=2e-4, betas=(0.5, 0.999))


def _gan_iteration(G: nn.Module, D: nn.Module, real: tinygan.Tensor, z_d: tinygan.Tensor, z_g: tinygan.Tensor) -> dict:
    """One ``gan_step`` (the step the examples, the CLI and the benchmarks train with) on a given
    real batch, noise z_d for D's fakes and z_g for G's: returns its metrics, the gradients of
    both networks and their new weights and buffers."""
    from tinygan.gan.steps import gan_step

    noise = iter([z_d, z_g])
    metrics = gan_step(G, D, _adam(G), _adam(D), lambda: real, lambda m: next(noise))
    # The gradients are still in place: D's from its update (G's update, with D frozen, adds
    # none to D), G's from its own update (D's update ran G without a graph).
    return {
        **{k: np.asarray(v) for k, v in metrics.items()},
        **{f"D.grad.{k}": p.grad.numpy() for k, p in D.named_parameters()},
        **{f"G.grad.{k}": p.grad.numpy() for k, p in G.named_parameters()},
        **{f"D.{k}": v.numpy() for k, v in D.state_dict().items()},
        **{f"G.{k}": v.numpy() for k, v in G.state_dict().items()},
    }


def assert_training_parity(make_g: Callable[[], nn.Module], make_d: Callable[[], nn.Module], real, z_d, z_g) -> None:
    G, D = make_g(), make_d()
    G_gpu, D_gpu = make_g(), make_d()
    G_gpu.load_state_dict(G.state_dict())
    D_gpu.load_state_dict(D.state_dict())
    G_gpu.to("cuda")
    D_gpu.to("cuda")
    on_cpu = _gan_iteration(G, D, *(tinygan.tensor(a) for a in (real, z_d, z_g)))
    on_gpu = _gan_iteration(G_gpu, D_gpu, *(tinygan.tensor(a, device="cuda") for a in (real, z_d, z_g)))
    assert all(p.grad.device == "cuda" for p in [*G_gpu.parameters(), *D_gpu.parameters()])
    assert on_cpu.keys() == on_gpu.keys()
    errors = {k: relative_error(on_gpu[k], on_cpu[k]) for k in on_cpu}
    worst = max(errors, key=errors.get)
    assert errors[worst] < 1e-4, f"{worst}: relative error {errors[worst]:.3g}"


def test_dcgan_training_iteration_parity(gpu):
    from tinygan.models.dcgan import DCGANDiscriminator, DCGANGenerator

    # the simulator runs each CUDA thread in Python: there, the smallest DCGAN that has every layer
    batch, width = (8, 8) if gpu == "gpu" else (2, 2)
    rng = np.random.default_rng(0)
    real = rng.uniform(-1, 1, (batch, 1, 32, 32)).astype(np.float32)
    z_d, z_g = rng.standard_normal((2, batch, 16, 1, 1)).astype(np.float32)
    assert_training_parity(
        lambda: DCGANGenerator(nz=16, ngf=width, nc=1, image_size=32),
        lambda: DCGANDiscriminator(nc=1, ndf=width, image_size=32),
        real,
        z_d,
        z_g,
    )


def test_mlp_gan_training_iteration_parity(gpu):
    from tinygan.gan.mlp import MLPDiscriminator, MLPGenerator

    rng = np.random.default_rng(0)
    real = rng.uniform(-1, 1, (16, 1, 28, 28)).astype(np.float32)
    z_d, z_g = rng.standard_normal((2, 16, 32)).astype(np.float32)
    assert_training_parity(
        lambda: MLPGenerator(32, (1, 28, 28), hidden=(64, 128)),
        lambda: MLPDiscriminator((1, 28, 28), hidden=(128, 64)),
        real,
        z_d,
        z_g,
    )


# ----------------------------------------------------------------------------- float64 gradient checks


def _gpu_leaf(array: np.ndarray) -> tinygan.Tensor:
    return tinygan.tensor(array, dtype=np.float64, requires_grad=True, device="cuda")


GRADCHECKS: dict[str, tuple[Callable[..., Any], tuple[np.ndarray, ...]]] = {
    "mul-broadcast": (lambda a, b: a * b, (_normal(2, 3), _normal(3, seed=1))),
    "linear": (F.linear, (_normal(4, 3), _normal(2, 3, seed=1), _normal(2, seed=2))),
    "log_sigmoid": (F.log_sigmoid, (_normal(2, 3) * 4,)),
    "var": (lambda a: a.var(0), (_normal(4, 3),)),
    "getitem repeated": (lambda a: a[[0, 2, 0]], (_normal(3, 2),)),
    "bce_with_logits": (F.binary_cross_entropy_with_logits, (_normal(6), _positive(6) / 2)),
    "conv2d": (
        lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
        (_normal(2, 2, 4, 5), _normal(3, 2, 3, 3, seed=1), _normal(3, seed=2)),
    ),
    "conv_transpose2d": (
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
        (_normal(2, 2, 3, 2), _normal(2, 3, 3, 3, seed=1), _normal(3, seed=2)),
    ),
    "batch_norm": (
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        (_normal(3, 2, 2, 2), _positive(2, seed=1), _normal(2, seed=2)),
    ),
}


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_float64_gradients_on_the_gpu(gpu, name):
    fn, arrays = GRADCHECKS[name]
    # random directions: a few forwards per input, whatever its size (the simulator is slow)
    assert gradcheck(fn, [_gpu_leaf(a) for a in arrays], mode="random", n_directions=3)
