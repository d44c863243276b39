"""Optimizers (SGD with momentum, Adam) with PyTorch's exact update rules, and LR schedules.

Updates are written in place on the parameters' arrays, under no graph: an optimizer step
is not part of the model, and in-place updates keep the optimizer's memory at two arrays
per parameter (Adam's moments) instead of allocating new ones every step.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from tinygan import _checks, backend
from tinygan.nn.module import Parameter
from tinygan.tensor import Tensor


class Optimizer:
    """Holds parameter groups (each a dict of settings plus ``"params"``) and per-parameter state.

    Every group's settings are checked when the optimizer is built and when a state dict is
    loaded (subclasses say how in ``_check_group``): NaN or infinite learning rates, betas
    outside [0, 1) and the like are a ValueError before any step. A parameter may appear only
    once in all the groups (it would otherwise be updated twice per step).
    """

    defaults: dict[str, Any]
    # per-parameter state: arrays of the parameter's shape, and counters (subclasses name them)
    _state_arrays: tuple[str, ...] = ()
    _state_counters: tuple[str, ...] = ()

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        if isinstance(params, (Tensor, dict)) or not isinstance(params, Iterable):
            raise TypeError(
                f"{name}: params must be an iterable of Tensors or of dicts (parameter groups), got "
                f"{type(params).__name__}; pass model.parameters()"
            )
        params = list(params)
        if not params:
            raise ValueError(f"{name} got an empty parameter list")
        if all(isinstance(p, dict) for p in params):
            groups = params
        elif any(isinstance(p, dict) for p in params):
            raise TypeError(f"{name}: params mixes parameter groups (dicts) and tensors; give one kind")
        else:
            groups = [{"params": params}]
        self.defaults = defaults
        self.param_groups: list[dict[str, Any]] = []
        seen: dict[int, str] = {}
        for i, group in enumerate(groups):
            if "params" not in group:
                raise ValueError(f"{name}: parameter group {i} has no 'params'")
            group_params = group["params"]
            if isinstance(group_params, (Tensor, dict)) or not isinstance(group_params, Iterable):
                group_params = [group_params]
            group = {**defaults, **group, "params": list(group_params)}
            for j, p in enumerate(group["params"]):
                where = f"parameter {j} of group {i}" if len(groups) > 1 else f"parameter {j}"
                if not isinstance(p, Tensor) or not p.requires_grad:
                    raise TypeError(f"{name} can only optimize tensors that require grad, got {type(p).__name__} "
                                    f"as {where}")  # fmt: skip
                if not p.is_leaf:
                    raise ValueError(f"{name} can't optimize a non-leaf Tensor ({where}); pass the leaf parameters")
                if id(p) in seen:
                    raise ValueError(
                        f"{name}: some parameters appear more than once: {where} is the same tensor as {seen[id(p)]} "
                        "(it would be updated twice per step)"
                    )
                seen[id(p)] = where
            self._check_group(group, f"{name}, group {i}" if len(groups) > 1 else name)
            self.param_groups.append(group)
        self.state: dict[int, dict[str, Any]] = {}  # keyed by id(param)

    def _check_group(self, group: dict[str, Any], owner: str) -> None:
        """Raise ValueError/TypeError for a setting this optimizer cannot use."""

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
        """Restore a ``state_dict()``: settings per group and state per parameter.

        Everything is checked before anything changes, so a malformed state dict (missing keys,
        groups of other sizes, state of the wrong shape, a NaN learning rate) raises a ValueError
        or TypeError that says what is wrong, and leaves the optimizer as it was.
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            got = sorted(map(str, state_dict)) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"{name}.load_state_dict needs a dict with 'state' and 'param_groups', got {got}")
        groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(groups, (list, tuple)) or not all(isinstance(g, dict) and "params" in g for g in groups):
            raise ValueError(f"{name}.load_state_dict: 'param_groups' must be a list of dicts with 'params'")
        sizes = [len(g["params"]) if isinstance(g["params"], (list, tuple)) else None for g in groups]
        own_sizes = [len(g["params"]) for g in self.param_groups]
        if sizes != own_sizes:
            raise ValueError(
                f"optimizer state_dict does not match this optimizer's parameter groups: it has groups of "
                f"{sizes} parameters, this {name} has {own_sizes}"
            )
        if not isinstance(saved_state, dict):
            raise ValueError(f"{name}.load_state_dict: 'state' must be a dict, got {type(saved_state).__name__}")
        # saved parameter ids -> this optimizer's parameters, by position (PyTorch's rule)
        ids = [i for g in groups for i in g["params"]]
        params = [p for g in self.param_groups for p in g["params"]]
        integers = all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in ids)
        if not integers or len(set(ids)) < len(ids):
            raise ValueError(f"{name}.load_state_dict: 'params' must list distinct integer ids, got {ids}")
        by_id = dict(zip((int(i) for i in ids), params))
        new_groups = []
        for i, (own, saved) in enumerate(zip(self.param_groups, groups)):
            merged = {**own, **{k: v for k, v in saved.items() if k != "params"}}
            self._check_group(merged, f"{name}.load_state_dict, group {i}")
            new_groups.append(merged)
        new_state = {}
        for key, s in saved_state.items():
            try:
                p = by_id[int(key)]
            except (KeyError, ValueError, TypeError):
                raise ValueError(f"{name}.load_state_dict: state for parameter {key!r}, which no group lists") from None
            new_state[id(p)] = self._checked_state(s, key, p)
        for own, merged in zip(self.param_groups, new_groups):
            own.update(merged)
        self.state = new_state

    def _checked_state(self, state: Any, key: Any, p: Tensor) -> dict[str, Any]:
        """One parameter's saved state, checked and moved to the parameter's device and dtype."""
        name = type(self).__name__
        if not isinstance(state, dict):
            raise ValueError(f"{name}.load_state_dict: state for parameter {key} must be a dict, got {state!r}")
        unexpected = sorted(set(state) - set(self._state_arrays) - set(self._state_counters))
        if unexpected:
            raise ValueError(f"{name}.load_state_dict: unexpected state {unexpected} for parameter {key}")
        result: dict[str, Any] = {}
        for k, v in state.items():
            if k in self._state_counters:
                if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
                    raise ValueError(
                        f"{name}.load_state_dict: {k!r} for parameter {key} must be an int >= 0, got {v!r}"
                    )
                result[k] = int(v)
                continue
            dtype = getattr(v, "dtype", None)
            if dtype is None or dtype.kind not in "biuf":
                raise ValueError(f"{name}.load_state_dict: {k!r} for parameter {key} must be an array, got {v!r}")
            if tuple(v.shape) != tuple(p.shape):
                raise ValueError(f"optimizer state {k!r} for parameter {key} has shape {v.shape}, expected {p.shape}")
            result[k] = backend.to_device(v, p.device).astype(p.dtype)  # astype copies: the state owns it
        return result


def _check_settings(owner: str, group: dict[str, Any], names: Iterable[str]) -> None:
    """``lr``, ``momentum`` ... are finite numbers >= 0."""
    for key in names:
        group[key] = _checks.real(owner, key, group.get(key), 0)


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
        super().__init__(
            params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov)
        )

    _state_arrays = ("momentum_buffer",)

    def _check_group(self, group: dict[str, Any], owner: str) -> None:
        _check_settings(owner, group, ("lr", "momentum", "weight_decay"))
        group["dampening"] = _checks.real(owner, "dampening", group.get("dampening"), 0, 1)
        _checks.flag(owner, "nesterov", group.get("nesterov"))
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening = 0")

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


# Below this many elements the NumPy expression's passes take microseconds, and the fused loop
# is not worth compiling: the MLP GANs (the demo) start without loading Numba at all, which
# took about 1 s before their first step (1.5 s with a cold cache).
_FUSED_MIN_SIZE = 1 << 16


def _fusable(*arrays: Any) -> bool:
    """Whether the Numba loop should update these arrays: C-contiguous float32/float64 NumPy arrays
    (their flat views share memory) of at least ``_FUSED_MIN_SIZE`` elements; CuPy arrays, other
    layouts and small parameters take the array-expression path."""
    return arrays[0].size >= _FUSED_MIN_SIZE and all(
        type(a) is np.ndarray and a.flags.c_contiguous and a.dtype in (np.float32, np.float64) for a in arrays
    )


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
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    _state_arrays = ("exp_avg", "exp_avg_sq")
    _state_counters = ("step",)

    def _check_group(self, group: dict[str, Any], owner: str) -> None:
        _check_settings(owner, group, ("lr", "eps", "weight_decay"))
        betas = group.get("betas")
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{owner}: betas must be a pair (beta1, beta2), got {betas!r}")
        group["betas"] = tuple(_checks.real(owner, f"betas[{i}]", b, 0, 1, high_open=True) for i, b in enumerate(betas))

    def _checked_state(self, state: Any, key: Any, p: Tensor) -> dict[str, Any]:
        result = super()._checked_state(state, key, p)
        if result and set(result) != {"step", "exp_avg", "exp_avg_sq"}:
            raise ValueError(
                f"Adam.load_state_dict: state for parameter {key} needs 'step', 'exp_avg' and 'exp_avg_sq', "
                f"got {sorted(result)}"
            )
        return result

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
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"LambdaLR needs an Optimizer, got {type(optimizer).__name__}")
        if not callable(lr_lambda):
            raise TypeError(f"LambdaLR: lr_lambda must be a function of the epoch, got {type(lr_lambda).__name__}")
        self.optimizer, self.lr_lambda = optimizer, lr_lambda
        self.base_lrs = [g["lr"] for g in optimizer.param_groups]
        self.last_epoch = 0
        self._apply()

    def _apply(self) -> None:
        factor = self.lr_lambda(self.last_epoch)
        if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not math.isfinite(factor) or factor < 0:
            raise ValueError(
                f"LambdaLR: lr_lambda({self.last_epoch}) returned {factor!r}, expected a finite number >= 0"
            )
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = base * factor

    def step(self) -> None:
        self.last_epoch += 1
        self._apply()

    def get_last_lr(self) -> list[float]:
        return [g["lr"] for g in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        return {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if not isinstance(state, dict) or not {"last_epoch", "base_lrs"} <= set(state):
            raise ValueError(f"LambdaLR.load_state_dict needs a dict with 'last_epoch' and 'base_lrs', got {state!r}")
        epoch, base_lrs = state["last_epoch"], state["base_lrs"]
        _checks.integer("LambdaLR.load_state_dict", "last_epoch", epoch, 0)
        if not isinstance(base_lrs, (list, tuple)) or len(base_lrs) != len(self.optimizer.param_groups):
            raise ValueError(
                f"LambdaLR.load_state_dict: base_lrs {base_lrs!r} does not match the optimizer's "
                f"{len(self.optimizer.param_groups)} parameter groups"
            )
        base_lrs = [_checks.real("LambdaLR.load_state_dict", "base_lrs", lr, 0) for lr in base_lrs]
        previous = self.last_epoch, self.base_lrs
        self.last_epoch, self.base_lrs = int(epoch), base_lrs
        try:
            self._apply()
        except ValueError:
            self.last_epoch, self.base_lrs = previous
            raise


def linear_decay(constant_epochs: int, decay_epochs: int) -> Callable[[int], float]:
    """Pix2Pix's schedule: factor 1 for ``constant_epochs``, then linearly down to 0 over
    ``decay_epochs`` (use with ``LambdaLR``)."""
    _checks.integer("linear_decay", "constant_epochs", constant_epochs, 0)
    _checks.integer("linear_decay", "decay_epochs", decay_epochs, 0)

    def factor(epoch: int) -> float:
        return 1.0 - max(0, epoch + 1 - constant_epochs) / float(decay_epochs + 1)

    return factor
