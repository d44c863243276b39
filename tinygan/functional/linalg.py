"""Matrix products: matmul and the fully connected layer's linear map.

For Y = A B, the gradients are dA = dY B^T and dB = A^T dY: each is one more GEMM.

Dtypes: matrix products take operands of one dtype, as ``conv2d`` does and as PyTorch's
matmul, linear and conv refuse "expected scalar type Float but found Double": mixing float32
and float64 here is a TypeError (elementwise ops, by contrast, promote).
"""

from __future__ import annotations

from tinygan import _checks
from tinygan.backend import get_array_module
from tinygan.functional.shape import reshape, unbroadcast
from tinygan.tensor import Function, Tensor, check_tensor


class MatMul(Function):
    """Batched matrix product of (..., n, k) and (..., k, m), batch dims broadcast."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, g):
        a, b = self.a, self.b
        ga = unbroadcast(g @ b.swapaxes(-1, -2), a.shape) if self.needs_input_grad[0] else None
        gb = unbroadcast(a.swapaxes(-1, -2) @ g, b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Linear(Function):
    """y = x W^T + b for x of shape (..., in), W of shape (out, in), b of shape (out,)."""

    def forward(self, x, weight, bias=None):
        self.x, self.weight = x, weight
        y = x @ weight.T
        if bias is not None:
            y += bias  # y is a fresh array: adding in place saves one allocation
        return y

    def backward(self, g):
        x, w = self.x, self.weight
        gx = g @ w if self.needs_input_grad[0] else None
        g2 = g.reshape(-1, g.shape[-1])
        gw = g2.T @ x.reshape(-1, x.shape[-1]) if self.needs_input_grad[1] else None
        grads = (gx, gw)
        if len(self.needs_input_grad) == 3:
            grads += (g2.sum(axis=0) if self.needs_input_grad[2] else None,)
        return grads


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product with NumPy's rules: 1-D operands are treated as a row / column vector."""
    check_tensor("matmul", a)
    check_tensor("matmul", b, "other")
    if a.dtype != b.dtype:
        raise TypeError(
            f"matmul: both operands must have the same dtype, got {a.dtype} and {b.dtype}; "
            f"convert one with .to({str(a.dtype)!r}) or .to({str(b.dtype)!r})"
        )
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul needs inputs with at least 1 dimension, got shapes {a.shape} and {b.shape}")
    inner_a = a.shape[-1]
    inner_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if inner_a != inner_b:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align ({inner_a} != {inner_b})")
    xp = get_array_module(a.data)
    batch_a, batch_b = a.shape[:-2], b.shape[:-2]
    try:
        xp.broadcast_shapes(batch_a, batch_b)
    except ValueError:
        raise ValueError(f"matmul: batch dimensions of {a.shape} and {b.shape} cannot be broadcast") from None
    if a.ndim == 1:
        # vector @ vector is a scalar: b.shape[-1:] would be the inner size, not an output size
        return reshape(matmul(reshape(a, (1, -1)), b), b.shape[:-2] + b.shape[-1:] if b.ndim > 1 else ())
    if b.ndim == 1:
        return reshape(matmul(a, reshape(b, (-1, 1))), a.shape[:-1])
    return MatMul()(a, b)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """Fully connected layer: ``input @ weight.T + bias`` (PyTorch's layout, weight (out, in))."""
    check_tensor("linear", input)
    check_tensor("linear", weight, "weight")
    if bias is not None:
        check_tensor("linear", bias, "bias")
    if weight.ndim != 2 or input.ndim < 1 or input.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear: input of shape {input.shape} does not match weight of shape {weight.shape} "
            "(expected input (..., in) and weight (out, in))"
        )
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"linear: bias of shape {bias.shape} does not match weight of shape {weight.shape}")
    hint = f"; convert the input with .to({str(weight.dtype)!r}) or the layer's parameters"
    _checks.same_dtype("linear", input, weight, bias, hint)
    return Linear()(input, weight) if bias is None else Linear()(input, weight, bias)
