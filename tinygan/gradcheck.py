"""Finite-difference gradient checking: is an op's ``backward`` the derivative of its ``forward``?

The output is reduced to a scalar with a fixed random weighting v, L(x) = sum(v * f(x)), so
that every output element takes part. Then the analytic gradient dL/dx from ``backward`` is
compared with central differences in float64,

    dL/dx . d  ~=  (L(x + eps d) - L(x - eps d)) / (2 eps)

either for every coordinate direction d (the full Jacobian-vector check, for small inputs)
or for a few random directions d (one pair of forwards per direction, the right tool for
large inputs such as convolution weights; Chainer checks gradients the same way).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinygan import backend
from tinygan.tensor import Tensor, no_grad


class GradcheckError(AssertionError):
    """The analytic and numeric gradients disagree; the message says where and by how much."""


def _weighted_output(fn: Callable[..., Tensor], inputs: Sequence[Tensor], weights: Any) -> float:
    with no_grad():
        return float((fn(*inputs).data * weights).sum())


def gradcheck(
    fn: Callable[..., Tensor],
    inputs: Sequence[Tensor],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    mode: str = "auto",
    max_full_size: int = 256,
    n_directions: int = 4,
    seed: int = 0,
) -> bool:
    """Check the gradients of ``fn`` with respect to every input that requires grad.

    Args:
        fn: maps the input tensors to one output tensor of any shape.
        inputs: float64 tensors; those with ``requires_grad=True`` are checked.
        eps: the finite-difference step.
        atol, rtol: pass when |analytic - numeric| <= atol + rtol * |numeric|.
        mode: ``"full"`` (every coordinate), ``"random"`` (random directions) or ``"auto"``
            (full when an input has at most ``max_full_size`` elements).
        n_directions: random directions per input in random mode.
        seed: seeds the output weighting and the random directions.

    Returns ``True``; raises ``GradcheckError`` naming the input, the place and the values
    where the gradients disagree.
    """
    if mode not in ("auto", "full", "random"):
        raise ValueError(f"mode must be 'auto', 'full' or 'random', got {mode!r}")
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing to check")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(
                f"gradcheck needs float64 inputs (finite differences are too coarse in float32); "
                f"input {i} is {inputs[i].dtype}"
            )

    rng = np.random.default_rng(seed)
    output = fn(*inputs)
    xp = backend.get_array_module(output.data)
    weights = xp.asarray(rng.standard_normal(output.shape))
    for i in checked:
        inputs[i].grad = None
    output.backward(Tensor(weights.astype(output.dtype)))

    for i in checked:
        x = inputs[i]
        analytic = np.zeros(x.shape) if x.grad is None else backend.to_device(x.grad.data, "cpu").astype(np.float64)
        full = mode == "full" or (mode == "auto" and x.numel() <= max_full_size)
        original = x.data.copy()
        try:
            if full:
                _check_full(fn, inputs, x, i, analytic, weights, eps, atol, rtol)
            else:
                _check_directions(fn, inputs, x, i, analytic, weights, eps, atol, rtol, rng, n_directions)
        finally:
            x.data = original
    return True


def _difference(fn, inputs, x, original, direction, weights, eps) -> float:
    xp = backend.get_array_module(original)
    step = xp.asarray(direction * eps)
    x.data = xp.asarray(original + step)  # asarray: 0-d arrays add up to a NumPy scalar
    plus = _weighted_output(fn, inputs, weights)
    x.data = xp.asarray(original - step)
    minus = _weighted_output(fn, inputs, weights)
    return (plus - minus) / (2 * eps)


def _check_full(fn, inputs, x, i, analytic, weights, eps, atol, rtol) -> None:
    original = x.data.copy()
    numeric = np.zeros(x.shape)
    for index in np.ndindex(*x.shape):
        direction = np.zeros(x.shape)
        direction[index] = 1.0
        numeric[index] = _difference(fn, inputs, x, original, direction, weights, eps)
    error = np.abs(analytic - numeric)
    bad = error > atol + rtol * np.abs(numeric)
    if bad.any():
        worst = np.unravel_index(np.argmax(np.where(bad, error, -1)), x.shape) if x.ndim else ()
        raise GradcheckError(
            f"gradient of input {i} (shape {x.shape}) is wrong at {int(bad.sum())} of {x.numel()} places; "
            f"worst at index {tuple(int(j) for j in worst)}: "
            f"analytic {analytic[worst]:.6g}, numeric {numeric[worst]:.6g}\n"
            f"analytic:\n{np.array2string(analytic, precision=5)}\nnumeric:\n{np.array2string(numeric, precision=5)}"
        )


def _check_directions(fn, inputs, x, i, analytic, weights, eps, atol, rtol, rng, n_directions) -> None:
    original = x.data.copy()
    for k in range(n_directions):
        direction = rng.standard_normal(x.shape)
        direction /= np.linalg.norm(direction) or 1.0
        numeric = _difference(fn, inputs, x, original, direction, weights, eps)
        predicted = float((analytic * direction).sum())
        if abs(predicted - numeric) > atol + rtol * abs(numeric):
            raise GradcheckError(
                f"gradient of input {i} (shape {x.shape}) is wrong along random direction {k}: "
                f"analytic directional derivative {predicted:.8g}, numeric {numeric:.8g}"
            )
