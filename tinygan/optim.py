"""Optimizers (SGD with momentum, Adam) with PyTorch's exact update rules, and LR schedules.

Updates are written in place on the parameters' arrays, under no graph: an optimizer step
is not part of the model, and in-place updates keep the optimizer's memory at two arrays
per parameter (Adam's moments) instead of allocating new ones every step.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from tinygan import backend
from tinygan.nn.module import Parameter
from tinygan.tensor import Tensor


class Optimizer:
    """Holds parameter groups (each a dict of settings plus ``"params"``) and per-parameter state."""

    defaults: dict[str, Any]

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.defaults = defaults
        self.param_groups: list[dict[str, Any]] = []
        for group in groups:
            group = {**defaults, **group, "params": list(group["params"])}
            for p in group["params"]:
                if not isinstance(p, Tensor) or not p.requires_grad:
                    raise TypeError(
                        f"{type(self).__name__} can only optimize tensors that require grad, got {type(p).__name__}"
                    )
            self.param_groups.append(group)
        self.state: dict[int, dict[str, Any]] = {}  # keyed by id(param)

    def zero_grad(self) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    def step(self) -> None:
        raise NotImplementedError

    def _params_with_grad(self) -> Iterable[tuple[dict[str, Any], Parameter, Any]]:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    # after model.to(device) the state follows its parameter, as PyTorch's
                    # load_state_dict moves it; otherwise the update would mix devices
                    for name, value in self.state.get(id(p), {}).items():
                        if hasattr(value, "shape") and backend.device_of(value) != p.device:
                            self.state[id(p)][name] = backend.to_device(value, p.device)
                    yield group, p, p.grad.data

    # --- checkpoints, in PyTorch's layout: parameters are referred to by their position
    def state_dict(self) -> dict[str, Any]:
        index = {id(p): i for i, p in enumerate(p for g in self.param_groups for p in g["params"])}
        groups = [{**g, "params": [index[id(p)] for p in g["params"]]} for g in self.param_groups]
        state = {
            index[key]: {k: backend.to_device(v, "cpu").copy() if hasattr(v, "shape") else v for k, v in s.items()}
            for key, s in self.state.items()
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        params = [p for g in self.param_groups for p in g["params"]]
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
            len(g["params"]) != len(own["params"]) for g, own in zip(groups, self.param_groups)
        ):
            raise ValueError("optimizer state_dict does not match this optimizer's parameter groups")
        for key, s in state_dict["state"].items():
            p = params[int(key)]
            for name, v in s.items():
                if hasattr(v, "shape") and v.shape and tuple(v.shape) != p.shape:
                    raise ValueError(
                        f"optimizer state {name!r} for parameter {key} has shape {v.shape}, expected {p.shape}"
                    )
        self.state = {
            id(params[int(key)]): {
                k: backend.to_device(v, params[int(key)].device).astype(params[int(key)].dtype)
                if hasattr(v, "shape") and v.shape
                else v
                for k, v in s.items()
            }
            for key, s in state_dict["state"].items()
        }
        for own, saved in zip(self.param_groups, groups):
            own.update({k: v for k, v in saved.items() if k != "params"})


class SGD(Optimizer):
    """v = momentum * v + (1 - dampening) * g;  p -= lr * (g + momentum * v if nesterov else v)."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(f"SGD needs lr, momentum, weight_decay >= 0, got {lr}, {momentum}, {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening = 0")
        super().__init__(
            params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov)
        )

    def step(self) -> None:
        for group, p, g in self._params_with_grad():
            if group["weight_decay"]:
                g = g + group["weight_decay"] * p.data
            if group["momentum"]:
                state = self.state.setdefault(id(p), {})
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = g.copy()  # PyTorch starts the buffer at the first gradient
                else:
                    buf = state["momentum_buffer"]
                    buf *= group["momentum"]
                    buf += (1 - group["dampening"]) * g
                buf = state["momentum_buffer"]
                g = g + group["momentum"] * buf if group["nesterov"] else buf
            p.data -= group["lr"] * g


def _adam_update_flat(p, g, m, v, beta1, beta2, step_size, bias_correction2_sqrt, eps):  # pragma: no cover - JIT
    """Adam's update (the formula in ``Adam``'s docstring) in one pass over flat arrays, in place
    on p, m and v. The scalars arrive in the arrays' dtype so float32 stays float32 arithmetic.
    Runs compiled: see ``_compiled_adam_update``."""
    one = p.dtype.type(1)
    for i in range(p.size):
        m[i] = beta1 * m[i] + (one - beta1) * g[i]
        v[i] = beta2 * v[i] + (one - beta2) * g[i] * g[i]
        p[i] -= step_size * m[i] / (np.sqrt(v[i]) / bias_correction2_sqrt + eps)


@functools.cache
def _compiled_adam_update() -> Callable[..., None]:
    """``_adam_update_flat`` compiled by Numba, imported on first use so that importing tinygan
    stays fast. NumPy's error model drops the zero-division check that would stop the loop
    from being vectorized; the compiled code is cached on disk across runs."""
    import numba

    return numba.njit(cache=True, error_model="numpy")(_adam_update_flat)


def _fusable(*arrays: Any) -> bool:
    """Whether the Numba loop can update these arrays: C-contiguous float32/float64 NumPy arrays
    (their flat views share memory); CuPy arrays and other layouts take the array-expression path."""
    return all(type(a) is np.ndarray and a.flags.c_contiguous and a.dtype in (np.float32, np.float64) for a in arrays)


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) exactly as ``torch.optim.Adam`` computes it::

    m = b1 m + (1 - b1) g            v = b2 v + (1 - b2) g^2
    p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        if lr < 0 or eps < 0 or not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"Adam needs lr >= 0, eps >= 0 and betas in [0, 1), got lr={lr}, eps={eps}, betas={betas}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))

    def step(self) -> None:
        for group, p, g in self._params_with_grad():
            xp = backend.get_array_module(g)
            beta1, beta2 = group["betas"]
            if group["weight_decay"]:
                g = g + group["weight_decay"] * p.data
            state = self.state.get(id(p))
            if state is None:
                state = self.state[id(p)] = {
                    "step": 0,
                    "exp_avg": xp.zeros_like(p.data),
                    "exp_avg_sq": xp.zeros_like(p.data),
                }
            state["step"] += 1
            m, v, t = state["exp_avg"], state["exp_avg_sq"], state["step"]
            step_size = group["lr"] / (1 - beta1**t)
            if _fusable(p.data, m, v):
                # on the CPU one fused loop reads each array once; the NumPy expression below makes
                # ten passes and five temporaries, which costs about 8x as much
                s = p.data.dtype.type
                g = np.ascontiguousarray(g, dtype=p.data.dtype).reshape(-1)
                args = (s(beta1), s(beta2), s(step_size), s(math.sqrt(1 - beta2**t)), s(group["eps"]))
                _compiled_adam_update()(p.data.reshape(-1), g, m.reshape(-1), v.reshape(-1), *args)
                continue
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * (g * g)
            denom = xp.sqrt(v)
            denom /= math.sqrt(1 - beta2**t)
            denom += group["eps"]
            p.data -= step_size * (m / denom)


class LambdaLR:
    """lr = initial_lr * lr_lambda(epoch); call ``step()`` once per epoch (PyTorch's LambdaLR)."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float]) -> None:
        self.optimizer, self.lr_lambda = optimizer, lr_lambda
        self.base_lrs = [g["lr"] for g in optimizer.param_groups]
        self.last_epoch = 0
        self._apply()

    def _apply(self) -> None:
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = base * self.lr_lambda(self.last_epoch)

    def step(self) -> None:
        self.last_epoch += 1
        self._apply()

    def get_last_lr(self) -> list[float]:
        return [g["lr"] for g in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        return {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.last_epoch, self.base_lrs = state["last_epoch"], list(state["base_lrs"])
        self._apply()


def linear_decay(constant_epochs: int, decay_epochs: int) -> Callable[[int], float]:
    """Pix2Pix's schedule: factor 1 for ``constant_epochs``, then linearly down to 0 over
    ``decay_epochs`` (use with ``LambdaLR``)."""

    def factor(epoch: int) -> float:
        return 1.0 - max(0, epoch + 1 - constant_epochs) / float(decay_epochs + 1)

    return factor
