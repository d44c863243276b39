"""Misuse of the API, class by class, with many generated cases per class: each mistake gets the
exception type a PyTorch user expects and a message naming the op, the argument and its value or
shape, raised by tinygan at the public boundary (never an error from inside NumPy), and nothing
is silently accepted (dimensions that wrap around, mixed dtypes in matrix products, losses that
broadcast, NaN hyperparameters, a parameter optimized twice)."""

from __future__ import annotations

import copy
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygan
from tinygan import functional as F
from tinygan import nn, optim
from tinygan.nn import init


def t(*shape, dtype=np.float32, requires_grad=False):
    return tinygan.tensor(np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape) / 10 + 0.1, requires_grad)


# ----------------------------------------------------------------------------- a non-tensor where a tensor goes

# every public op that takes a tensor: name in the message, and a call with ``x`` in the tensor's place
TENSOR_OPS = {
    "relu": lambda x: F.relu(x),
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "sigmoid": lambda x: F.sigmoid(x),
    "tanh": lambda x: F.tanh(x),
    "softplus": lambda x: F.softplus(x),
    "log_sigmoid": lambda x: F.log_sigmoid(x),
    "dropout": lambda x: F.dropout(x, 0.5, training=False),
    "neg": lambda x: F.neg(x),
    "exp": lambda x: F.exp(x),
    "log": lambda x: F.log(x),
    "sqrt": lambda x: F.sqrt(x),
    "abs": lambda x: F.abs(x),
    "clamp": lambda x: F.clamp(x, 0.0),
    "sum": lambda x: F.sum(x),
    "mean": lambda x: F.mean(x, 0),
    "amax": lambda x: F.amax(x),
    "max": lambda x: F.max(x, 0),
    "var": lambda x: F.var(x),
    "reshape": lambda x: F.reshape(x, (-1,)),
    "flatten": lambda x: F.flatten(x),
    "permute": lambda x: F.permute(x, (1, 0)),
    "transpose": lambda x: F.transpose(x, 0, 1),
    "unsqueeze": lambda x: F.unsqueeze(x, 0),
    "squeeze": lambda x: F.squeeze(x),
    "getitem": lambda x: F.getitem(x, 0),
    "broadcast_to": lambda x: F.broadcast_to(x, (2, 2)),
    "pad": lambda x: F.pad(x, (1, 1)),
    "cast": lambda x: F.cast(x, np.float64),
    "to_device": lambda x: F.to_device(x, "cpu"),
    "matmul": lambda x: F.matmul(x, t(2, 2)),
    "linear": lambda x: F.linear(x, t(3, 2)),
    "mse_loss": lambda x: F.mse_loss(x, t(2, 2)),
    "l1_loss": lambda x: F.l1_loss(x, t(2, 2)),
    "binary_cross_entropy": lambda x: F.binary_cross_entropy(x, t(2, 2)),
    "binary_cross_entropy_with_logits": lambda x: F.binary_cross_entropy_with_logits(x, t(2, 2)),
    "zeros_like": lambda x: tinygan.zeros_like(x),
    "ones_like": lambda x: tinygan.ones_like(x),
}
NOT_TENSORS = {
    "nested list": [[0.1, 0.2], [0.3, 0.4]],
    "ragged list": [[0.1, 0.2], [0.3]],
    "ndarray": np.full((2, 2), 0.5, dtype=np.float32),
    "number": 0.5,
    "None": None,
    "str": "x",
}


@pytest.mark.parametrize("value", NOT_TENSORS)
@pytest.mark.parametrize("op", TENSOR_OPS)
def test_a_non_tensor_input_is_a_type_error_naming_the_op_and_argument(op, value):
    assert TENSOR_OPS[op](t(2, 2)) is not None  # the call is right with a tensor
    bad = NOT_TENSORS[value]
    with pytest.raises(TypeError, match=rf"^{op}\(\): argument 'input' must be a Tensor, not {type(bad).__name__}$"):
        TENSOR_OPS[op](bad)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: F.matmul(t(2, 2), [[1.0, 2.0], [3.0, 4.0]]), "other"),
        (lambda: F.linear(t(2, 2), [[1.0, 2.0]]), "weight"),
        (lambda: F.linear(t(2, 2), t(1, 2), [1.0]), "bias"),
        (lambda: tinygan.cat([t(2), [1.0, 2.0]]), r"tensors\[1\]"),
        (lambda: tinygan.stack([[1.0, 2.0], t(2)]), r"tensors\[0\]"),
        (lambda: nn.init.normal_(np.zeros(3)), "tensor"),
        (lambda: nn.init.kaiming_uniform_([[1.0]]), "tensor"),
    ],
)
def test_other_tensor_arguments_are_named_too(call, argument):
    with pytest.raises(TypeError, match=rf"argument '{argument}' must be a Tensor, not"):
        call()


@pytest.mark.parametrize("module", [nn.Linear(2, 3), nn.ReLU(), nn.Tanh(), nn.Sequential(nn.Linear(2, 2), nn.ReLU())])
def test_a_nested_list_into_a_module_is_a_type_error(module):
    with pytest.raises(TypeError, match=r"\(\): argument 'input' must be a Tensor, not list"):
        module([[1.0, 2.0]])


def test_cat_of_a_tensor_instead_of_a_list_of_them():
    with pytest.raises(TypeError, match=r"cat\(\): argument 'tensors' must be a sequence of Tensors, not Tensor"):
        tinygan.cat(t(2, 2))


BINARY_OPS = {"add": F.add, "sub": F.sub, "mul": F.mul, "div": F.div, "pow": F.pow, "maximum": F.maximum}


@pytest.mark.parametrize("op", BINARY_OPS)
def test_binary_ops_take_one_constant_but_not_two_nor_garbage(op):
    fn = BINARY_OPS[op]
    x = t(2, 2)
    for constant in (0.5, 2, [[1.0, 2.0], [3.0, 4.0]], np.ones((2, 2)), np.float64(3.0)):
        assert fn(x, constant).shape == (2, 2) and fn(constant, x).shape == (2, 2)
    with pytest.raises(TypeError, match=rf"^{op}\(\): expected at least one Tensor operand, got list and float$"):
        fn([1.0], 2.0)
    with pytest.raises(ValueError, match=r"nested lists of different lengths: expected sequence of length 2 at dim 1"):
        fn(x, [[1.0, 2.0], [3.0]])
    for garbage in (None, "x", object(), 1j):
        with pytest.raises(TypeError, match="cannot"):
            fn(x, garbage)


def test_operators_and_comparisons_refuse_garbage_the_same_way():
    x = t(2)
    for expression in (lambda: x + None, lambda: None * x, lambda: x < "a", lambda: x == None):  # noqa: E711
        with pytest.raises(TypeError, match="cannot"):
            expression()


# ----------------------------------------------------------------------------- making tensors from data


@st.composite
def ragged_lists(draw):
    """Nested lists of numbers that are not rectangular at some depth."""
    depth = draw(st.integers(1, 3))
    sides = draw(st.lists(st.integers(1, 3), min_size=depth + 1, max_size=depth + 1))

    def build(level):
        if level == len(sides):
            return draw(st.floats(-5, 5))
        n = sides[level]
        if level == depth:  # break the shape here: one entry gets one more or one fewer element
            n = draw(st.sampled_from([m for m in (sides[level] - 1, sides[level] + 1) if m >= 0]))
        return [build(level + 1) for _ in range(n)]

    value = [build(1) for _ in range(sides[0])]
    value.append([build(1) for _ in range(sides[0])] if depth == 1 else build(1))
    return value


def _is_rectangular(value):
    try:
        return np.asarray(value, dtype=float) is not None
    except ValueError:
        return False


@settings(max_examples=100)
@given(value=ragged_lists())
def test_ragged_nested_lists_say_where_they_stop_being_rectangular(value):
    if _is_rectangular(value):  # the random change happened to keep the shape
        np.testing.assert_array_equal(tinygan.tensor(value).numpy(), np.asarray(value, dtype=np.float32))
        return
    with pytest.raises(ValueError, match=r"^tensor\(\): cannot make a tensor from nested lists of different lengths"):
        tinygan.tensor(value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([[1, 2], [3]], r"expected sequence of length 2 at dim 1 \(got 1\)"),
        ([1, [2, 3]], r"expected a number at dim 1 \(got a sequence of length 2\)"),
        ([[1, 2], 3], r"expected sequence of length 2 at dim 1 \(got a number\)"),
        ([[[1], [2]], [[1], [2, 3]]], r"expected sequence of length 1 at dim 2 \(got 2\)"),
        ([[[0.0, 0.0]], [[]]], r"expected sequence of length 2 at dim 2 \(got 0\)"),
        ([np.ones(2), np.ones(3)], "inhomogeneous"),
    ],
)
def test_ragged_lists_get_pytorchs_message(data, message):
    with pytest.raises(ValueError, match=message):
        tinygan.tensor(data)


@pytest.mark.parametrize("data", ["abc", None, [1, "a"], [None, 1.0], {"a": 1}, object(), [1j], np.array(["x"])])
def test_data_that_is_not_numbers_is_a_type_error(data):
    with pytest.raises(TypeError, match=r"^tensor\(\): cannot make a tensor from"):
        tinygan.tensor(data)
    with pytest.raises(TypeError, match=r"^tensor\(\): cannot make a tensor from"):
        tinygan.Tensor(data)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: tinygan.zeros(-1), ValueError, r"zeros\(\): size must be non-negative, got \(-1,\)"),
        (lambda: tinygan.ones(2, 2.5), TypeError, r"ones\(\): size must be ints, got float 2.5"),
        (lambda: tinygan.randn((2, "3")), TypeError, r"randn\(\): size must be ints, got str '3'"),
        (lambda: tinygan.rand(-3), ValueError, r"rand\(\): size must be non-negative"),
        (lambda: tinygan.randn(2, dtype=np.int64), TypeError, "floating-point dtype, got int64"),
        (lambda: tinygan.full((2,), "x"), TypeError, r"full\(\): fill_value must be a number, got str"),
        (lambda: tinygan.zeros(2, dtype=object), TypeError, "object is not a dtype they can take"),
        (lambda: tinygan.tensor([1.0], dtype=str), TypeError, "<U0 is not a dtype they can take"),
        (lambda: t(2).to(np.str_), TypeError, "is not a dtype they can take"),
    ],
)
def test_creation_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ----------------------------------------------------------------------------- dimensions


def _dim_ops(ndim):
    """(name, call(x, dim), numpy reference(a, dim), how many dims the op accepts): every op with a dim."""
    return {
        "sum": (lambda x, d: F.sum(x, d), lambda a, d: a.sum(axis=d), ndim),
        "mean": (lambda x, d: F.mean(x, d), lambda a, d: a.mean(axis=d), ndim),
        "amax": (lambda x, d: F.amax(x, d), lambda a, d: a.max(axis=d), ndim),
        "max": (lambda x, d: F.max(x, d).values, lambda a, d: a.max(axis=d), ndim),
        "var": (lambda x, d: F.var(x, d), lambda a, d: a.var(axis=d, ddof=1), ndim),
        "flatten": (lambda x, d: F.flatten(x, d), lambda a, d: a.reshape(a.shape[:d] + (-1,)), ndim),
        "squeeze": (lambda x, d: F.squeeze(x, d), lambda a, d: np.squeeze(a, d) if a.shape[d] == 1 else a, ndim),
        "unsqueeze": (lambda x, d: F.unsqueeze(x, d), np.expand_dims, ndim + 1),
        "transpose": (lambda x, d: F.transpose(x, d, 0), lambda a, d: np.swapaxes(a, d, 0), ndim),
        "size": (lambda x, d: x.size(d), lambda a, d: a.shape[d], ndim),
        "argmax": (lambda x, d: x.argmax(d), lambda a, d: a.argmax(axis=d), ndim),
        "cat": (lambda x, d: tinygan.cat([x, x], d), lambda a, d: np.concatenate([a, a], d), ndim),
        "stack": (lambda x, d: tinygan.stack([x, x], d), lambda a, d: np.stack([a, a], d), ndim + 1),
    }


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # var over a dim of size 1 is NaN, in NumPy too
@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("op", list(_dim_ops(1)))
def test_every_dim_in_range_works_and_every_dim_outside_is_an_index_error(op, ndim):
    """No wrap-around: dims in [-n, n - 1] agree with NumPy, every other dim is refused."""
    shape = (2, 1, 3)[:ndim]
    x = t(*shape, dtype=np.float64)
    call, reference, n = _dim_ops(ndim)[op]
    for dim in range(-n - 4, n + 4):
        if -n <= dim < n:
            result = call(x, dim)
            expected = reference(x.numpy(), dim)
            np.testing.assert_allclose(getattr(result, "numpy", lambda r=result: r)(), expected)
        else:
            message = rf"{op}: dimension {dim} is out of range for .*\(expected a dim in \[{-n}, {n - 1}\]\)"
            with pytest.raises(IndexError, match=message):
                call(x, dim)


@pytest.mark.parametrize("op", ["sum", "mean", "amax", "max", "var", "flatten", "squeeze", "unsqueeze", "size"])
@pytest.mark.parametrize("dim", [1.0, "0", True, [0.5]])
def test_a_dim_that_is_not_an_int_is_a_type_error(op, dim):
    call, _, _ = _dim_ops(2)[op]
    if op in ("sum", "mean", "amax", "var") and isinstance(dim, list):
        dim = (dim[0],)
    with pytest.raises(TypeError, match=rf"{op}: dim must be an int"):
        call(t(2, 3), dim)


def test_the_same_dim_twice_and_permutations_that_are_not():
    x = t(2, 3)
    for dims in [(0, 0), (1, -1), (0, -2)]:
        with pytest.raises(ValueError, match=r"sum: dim \(.*\) names the same dimension more than once"):
            F.sum(x, dims)
    with pytest.raises(ValueError, match=r"permute dims \(1, -1\) are not a permutation of 2 dimensions"):
        F.permute(x, (1, -1))
    with pytest.raises(IndexError, match=r"permute: dimension 2 is out of range"):
        x.permute(0, 2)
    with pytest.raises(IndexError, match=r"transpose: dimension -3 is out of range"):
        x.transpose(0, -3)
    assert x.permute(-1, 0).shape == (3, 2)


def test_scalars_take_dims_0_and_minus_1_as_in_pytorch():
    s = tinygan.tensor(2.0)
    assert F.sum(s, 0).item() == F.sum(s, -1).item() == 2.0
    assert F.unsqueeze(s, -1).shape == (1,) and F.unsqueeze(s, 0).shape == (1,)
    for dim in (1, -2):
        with pytest.raises(IndexError, match=r"with 0 dimensions \(expected a dim in \[-1, 0\]\)"):
            F.sum(s, dim)
    with pytest.raises(IndexError, match=r"for a tensor with 0 dimensions \(expected a dim in \[-1, 0\]\)"):
        F.unsqueeze(s, 2)


# ----------------------------------------------------------------------------- dtypes: one rule for every op


def _linear_layer(dtype):
    layer = nn.Linear(3, 3)
    for p in layer.parameters():
        p.data = p.data.astype(dtype)
    return layer


MATRIX_PRODUCTS = {
    "matmul": lambda a, b: F.matmul(a, b),
    "@": lambda a, b: a @ b,
    "linear": lambda a, b: F.linear(a, b),
    "linear bias": lambda a, b: F.linear(a, tinygan.zeros(3, 3, dtype=a.dtype), tinygan.zeros(3, dtype=b.dtype)),
    "nn.Linear": lambda a, b: _linear_layer(b.dtype)(a),
    "conv2d": lambda a, b: F.conv2d(a.reshape(1, 1, 3, 3), b.reshape(1, 1, 3, 3)),
    "conv_transpose2d": lambda a, b: F.conv_transpose2d(a.reshape(1, 1, 3, 3), b.reshape(1, 1, 3, 3)),
}


@pytest.mark.parametrize("op", MATRIX_PRODUCTS)
@pytest.mark.parametrize(("first", "second"), [(np.float32, np.float64), (np.float64, np.float32)])
def test_matrix_products_refuse_mixed_dtypes(op, first, second):
    """matmul, linear and the convolutions all refuse float32 with float64 (PyTorch's rule:
    'expected scalar type Float but found Double'), instead of computing in one of them."""
    a, b = t(3, 3, dtype=first), t(3, 3, dtype=second)
    with pytest.raises(TypeError, match="same dtype"):
        MATRIX_PRODUCTS[op](a, b)
    same = MATRIX_PRODUCTS[op](a, t(3, 3, dtype=first))
    assert same.dtype == first


def test_the_matmul_and_linear_messages_name_both_dtypes_and_the_way_out():
    with pytest.raises(TypeError, match=r"matmul: both operands must have the same dtype, got float32 and float64; "
                                        r"convert one with .to\('float32'\) or .to\('float64'\)"):  # fmt: skip
        F.matmul(t(2, 2), t(2, 2, dtype=np.float64))
    with pytest.raises(TypeError, match=r"linear: input, weight and bias must have the same dtype, "
                                        r"got input float64, weight float32, bias float32"):  # fmt: skip
        nn.Linear(2, 2)(t(1, 2, dtype=np.float64))


@pytest.mark.parametrize("op", BINARY_OPS)
def test_elementwise_ops_promote_and_each_gradient_keeps_its_dtype(op):
    a, b = t(2, 2, requires_grad=True), t(2, 2, dtype=np.float64, requires_grad=True)
    y = BINARY_OPS[op](a, b)
    assert y.dtype == np.float64
    y.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_a_float_constant_with_an_integer_tensor_is_not_truncated():
    x = tinygan.tensor(np.array([1, 2, 3]))
    np.testing.assert_allclose((x * 0.5).numpy(), [0.5, 1.0, 1.5])
    np.testing.assert_allclose((x + 0.25).numpy(), [1.25, 2.25, 3.25])
    assert (x * 2).dtype == np.int64 and (x * 2).numpy().tolist() == [2, 4, 6]


# ----------------------------------------------------------------------------- losses

LOSSES = {
    "mse_loss": F.mse_loss,
    "l1_loss": F.l1_loss,
    "binary_cross_entropy": F.binary_cross_entropy,
    "binary_cross_entropy_with_logits": F.binary_cross_entropy_with_logits,
}
SHAPE_PAIRS = [((4, 1), (4,)), ((4,), (4, 1)), ((3,), (1,)), ((2, 3), (3,)), ((1,), (2, 2)), ((2, 2), ())]


@pytest.mark.parametrize("kind", ["tensor", "array", "list"])
@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
@pytest.mark.parametrize("loss", LOSSES)
def test_a_target_of_another_shape_is_refused_not_broadcast(loss, shapes, kind):
    """(N, 1) against (N,) would broadcast to an (N, N) loss matrix: refused (PyTorch only warns)."""
    input_shape, target_shape = shapes
    if kind == "list" and target_shape == ():
        pytest.skip("a 0-d list is a number, which stands for that value everywhere")
    target = np.full(target_shape, 0.5, dtype=np.float32)
    target = {"tensor": tinygan.tensor(target), "array": target, "list": target.tolist()}[kind]
    input_values = np.full(input_shape, 0.25, dtype=np.float32)
    shapes_text = f"target shape {target_shape} differs from input shape {input_shape}"
    message = rf"{loss}: {re.escape(shapes_text)}"
    with pytest.raises(ValueError, match=message):
        LOSSES[loss](tinygan.tensor(input_values), target)


@pytest.mark.parametrize("loss", LOSSES)
def test_a_number_target_means_that_value_everywhere_and_garbage_is_refused(loss):
    x = tinygan.tensor([0.25, 0.75])
    assert LOSSES[loss](x, 0.5).shape == ()
    for garbage in (None, "0.5", {"a": 1}):
        with pytest.raises(TypeError, match=rf"{loss}\(\): argument 'target' must be a Tensor or a number"):
            LOSSES[loss](x, garbage)


BAD_UNIT_VALUES = [-0.1, 1.1, -1e30, 2.0, math.nan, math.inf, -math.inf]


@pytest.mark.parametrize("bad", BAD_UNIT_VALUES)
@pytest.mark.parametrize("where", [0, 2])
def test_bce_refuses_probabilities_outside_0_1_and_nan(bad, where):
    values = np.array([0.2, 0.5, 0.9], dtype=np.float32)
    values[where] = bad
    expected = "NaN values" if math.isnan(bad) else r"values in \["
    with pytest.raises(ValueError, match=rf"binary_cross_entropy needs probabilities in \[0, 1\], got {expected}"):
        F.binary_cross_entropy(tinygan.tensor(values), tinygan.tensor(np.full(3, 0.5, np.float32)))


@pytest.mark.parametrize("bad", BAD_UNIT_VALUES)
@pytest.mark.parametrize("kind", ["tensor", "array", "number"])
@pytest.mark.parametrize("loss", ["binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_bce_refuses_targets_outside_0_1_and_nan(loss, kind, bad):
    values = np.array([0.0, bad, 1.0], dtype=np.float32)
    target = {"tensor": tinygan.tensor(values), "array": values, "number": bad}[kind]
    expected = "NaN values" if math.isnan(bad) else r"values in \["
    with pytest.raises(ValueError, match=rf"{loss} needs targets in \[0, 1\], got {expected}"):
        LOSSES[loss](tinygan.tensor(np.full(3, 0.5, np.float32)), target)


def test_bce_accepts_the_bounds_and_soft_labels():
    p = tinygan.tensor([0.0, 0.3, 1.0])
    for target in (tinygan.tensor([0.0, 0.9, 1.0]), 1.0, 0.0, np.array([0.1, 0.5, 0.9], np.float32)):
        assert math.isfinite(F.binary_cross_entropy(p, target).item())
        assert math.isfinite(F.binary_cross_entropy_with_logits(p, target).item())


# ----------------------------------------------------------------------------- optimizers

HYPERPARAMETERS = {
    optim.SGD: {"lr": 0.1, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.01},
    optim.Adam: {"lr": 1e-3, "eps": 1e-8, "weight_decay": 0.0},
}
BAD_NUMBERS = {
    "nan": (math.nan, ValueError),
    "inf": (math.inf, ValueError),
    "-inf": (-math.inf, ValueError),
    "negative": (-0.5, ValueError),
    "str": ("0.1", TypeError),
    "None": (None, TypeError),
    "bool": (True, TypeError),
}


def _cases():
    for cls, names in HYPERPARAMETERS.items():
        for name in names:
            for bad in BAD_NUMBERS:
                yield pytest.param(cls, name, bad, id=f"{cls.__name__}-{name}-{bad}")


@pytest.mark.parametrize(("cls", "name", "bad"), list(_cases()))
def test_bad_hyperparameters_are_refused_in_the_constructor_and_in_param_groups(cls, name, bad):
    value, error = BAD_NUMBERS[bad]
    model = nn.Linear(2, 2)
    pattern = rf"{cls.__name__}: {name} must be"
    with pytest.raises(error, match=pattern):
        cls(model.parameters(), **{**HYPERPARAMETERS[cls], name: value})
    with pytest.raises(error, match=rf"{cls.__name__}, group 1: {name} must be"):
        cls([{"params": [model.weight]}, {"params": [model.bias], name: value}], **HYPERPARAMETERS[cls])


@pytest.mark.parametrize(
    "betas",
    [(0.9, 1.0), (1.0, 0.999), (-0.1, 0.9), (math.nan, 0.9), (0.9, math.inf), (0.9,), 0.9, (0.9, 0.99, 0.9), ("a", 1)],
)
def test_adam_betas_must_be_a_pair_in_0_1(betas):
    with pytest.raises((ValueError, TypeError), match="betas"):
        optim.Adam(nn.Linear(2, 2).parameters(), betas=betas)


def test_nesterov_needs_momentum_and_no_dampening():
    params = nn.Linear(2, 2).parameters()
    with pytest.raises(ValueError, match="Nesterov momentum needs momentum > 0 and dampening = 0"):
        optim.SGD(params, lr=0.1, nesterov=True)
    with pytest.raises(TypeError, match="SGD: nesterov must be True or False, got str"):
        optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1, momentum=0.9, nesterov="yes")


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam])
def test_a_parameter_listed_twice_is_refused(cls):
    a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    shared = nn.Sequential(a, a)  # parameters() lists a shared module's weights once: fine
    cls(shared.parameters(), lr=0.1)
    duplicates = {
        "in one list": [a.weight, a.bias, a.weight],
        "across groups": [{"params": [a.weight, b.weight]}, {"params": [b.bias, a.weight]}],
        "two modules' lists": list(a.parameters()) + list(nn.Sequential(a, b).parameters()),
    }
    for params in duplicates.values():
        with pytest.raises(ValueError, match=r"some parameters appear more than once: .* is the same tensor as"):
            cls(params, lr=0.1)


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        (lambda m: m, TypeError, "params must be an iterable of Tensors or of dicts .* got Linear; pass model"),
        (lambda m: m.weight, TypeError, "got Parameter"),
        (lambda m: {"params": [m.weight]}, TypeError, "got dict"),
        (lambda m: [m.weight, {"params": [m.bias]}], TypeError, "mixes parameter groups"),
        (lambda m: [{"lr": 0.1}], ValueError, "parameter group 0 has no 'params'"),
        (lambda m: [m.weight * 2], ValueError, "can't optimize a non-leaf Tensor"),
        (lambda m: [tinygan.zeros(2)], TypeError, "can only optimize tensors that require grad"),
        (lambda m: iter([]), ValueError, "empty parameter list"),
    ],
)
def test_params_that_are_not_parameters(params, error, message):
    with pytest.raises(error, match=message):
        optim.Adam(params(nn.Linear(2, 2)))


def _trained_adam():
    tinygan.manual_seed(0)
    model = nn.Linear(3, 2)
    opt = optim.Adam(model.parameters(), lr=0.01)
    F.mse_loss(model(t(4, 3)), t(4, 2)).backward()
    opt.step()
    return model, opt


def _mutations():
    """Ways a saved optimizer state goes wrong: (name, change(state_dict), exception type, message)."""

    def set_in(path, value):
        def change(sd):
            target = sd
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value

        return change

    def drop(path):
        def change(sd):
            target = sd
            for key in path[:-1]:
                target = target[key]
            del target[path[-1]]

        return change

    yield "not a dict", None, ValueError, "needs a dict with 'state' and 'param_groups', got list"
    yield "no state", drop(["state"]), ValueError, "needs a dict with 'state' and 'param_groups'"
    yield "no groups", drop(["param_groups"]), ValueError, "needs a dict with 'state' and 'param_groups'"
    yield "groups not a list", set_in(["param_groups"], 5), ValueError, "must be a list of dicts with 'params'"
    yield "group without params", drop(["param_groups", 0, "params"]), ValueError, "list of dicts with 'params'"
    yield "another group count", lambda sd: sd["param_groups"].append({"params": []}), ValueError, "groups of"
    yield "another group size", set_in(["param_groups", 0, "params"], [0]), ValueError, r"groups of \[1\] parameters"
    yield "repeated ids", set_in(["param_groups", 0, "params"], [0, 0]), ValueError, "distinct integer ids"
    yield "string ids", set_in(["param_groups", 0, "params"], ["a", "b"]), ValueError, "distinct integer ids"
    yield "NaN lr", set_in(["param_groups", 0, "lr"], math.nan), ValueError, "group 0: lr must be"
    yield "negative eps", set_in(["param_groups", 0, "eps"], -1.0), ValueError, "group 0: eps must be"
    yield "betas of 3", set_in(["param_groups", 0, "betas"], [0.9, 0.9, 0.9]), ValueError, "betas must be a pair"
    yield "state not a dict", set_in(["state"], [1]), ValueError, "'state' must be a dict"
    yield "unknown parameter", set_in(["state", 7], {}), ValueError, "state for parameter 7, which no group lists"
    yield "entry not a dict", set_in(["state", 0], 3), ValueError, "state for parameter 0 must be a dict"
    yield "missing moment", drop(["state", 0, "exp_avg"]), ValueError, "needs 'step', 'exp_avg' and 'exp_avg_sq'"
    yield "unknown entry", set_in(["state", 0, "foo"], 1), ValueError, r"unexpected state \['foo'\]"
    yield "list moment", set_in(["state", 0, "exp_avg"], [[0.0] * 3] * 2), ValueError, "'exp_avg' .* must be an array"
    yield "wrong shape", set_in(["state", 0, "exp_avg"], np.zeros((3, 2))), ValueError, r"has shape \(3, 2\)"
    yield "text moment", set_in(["state", 0, "exp_avg_sq"], np.array(["a"])), ValueError, "must be an array"
    yield "negative step", set_in(["state", 0, "step"], -1), ValueError, "'step' .* must be an int >= 0"
    yield "float step", set_in(["state", 0, "step"], 1.5), ValueError, "'step' .* must be an int >= 0"
    yield "bool step", set_in(["state", 0, "step"], True), ValueError, "'step' .* must be an int >= 0"


@pytest.mark.parametrize(("name", "change", "error", "message"), list(_mutations()), ids=[m[0] for m in _mutations()])
def test_a_malformed_optimizer_state_is_refused_and_changes_nothing(name, change, error, message):
    model, opt = _trained_adam()
    saved = opt.state_dict()
    bad = [saved] if change is None else copy.deepcopy(saved)
    if change is not None:
        change(bad)
    with pytest.raises(error, match=message):
        opt.load_state_dict(bad)
    after = opt.state_dict()  # all or nothing: the optimizer is as it was
    assert after["param_groups"] == saved["param_groups"]
    for key, state in saved["state"].items():
        for k, v in state.items():
            np.testing.assert_array_equal(after["state"][key][k], v)


def test_a_well_formed_state_still_loads_after_the_checks():
    model, opt = _trained_adam()
    saved = opt.state_dict()
    fresh = optim.Adam(model.parameters(), lr=123.0)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == 0.01 and fresh.state_dict()["state"][0]["step"] == 1


def test_lambda_lr_refuses_a_nan_factor_and_a_malformed_state():
    opt = optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"LambdaLR: lr_lambda\(0\) returned nan, expected a finite number >= 0"):
        optim.LambdaLR(opt, lambda epoch: math.nan)
    schedule = optim.LambdaLR(opt, lambda epoch: 1.0 / (1 - epoch))  # inf at epoch 1
    with pytest.raises(ZeroDivisionError):
        schedule.step()
    with pytest.raises(TypeError, match="LambdaLR needs an Optimizer, got list"):
        optim.LambdaLR([], lambda epoch: 1.0)
    with pytest.raises(TypeError, match="lr_lambda must be a function"):
        optim.LambdaLR(opt, 0.5)
    schedule = optim.LambdaLR(opt, lambda epoch: 0.5)
    for state, message in [
        ({}, "needs a dict with 'last_epoch' and 'base_lrs'"),
        ({"last_epoch": -1, "base_lrs": [0.1]}, "last_epoch must be non-negative"),
        ({"last_epoch": 1, "base_lrs": [0.1, 0.2]}, "does not match the optimizer's 1 parameter groups"),
        ({"last_epoch": 1, "base_lrs": [math.nan]}, "base_lrs must be a finite number"),
    ]:
        with pytest.raises((ValueError, TypeError), match=message):
            schedule.load_state_dict(state)
    assert schedule.last_epoch == 0 and opt.param_groups[0]["lr"] == 0.05
    with pytest.raises(ValueError, match="linear_decay: decay_epochs must be non-negative, got -1"):
        optim.linear_decay(5, -1)


# ----------------------------------------------------------------------------- layers and initialisers


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: nn.Linear(-1, 5), ValueError, "Linear: in_features must be non-negative, got -1"),
        (lambda: nn.Linear(3, -2), ValueError, "Linear: out_features must be non-negative, got -2"),
        (lambda: nn.Linear(2.5, 3), TypeError, "Linear: in_features must be an int, got float 2.5"),
        (lambda: nn.Linear("3", 3), TypeError, "Linear: in_features must be an int, got str"),
        (lambda: nn.Linear(3, 3, bias=None), TypeError, "Linear: bias must be True or False"),
        (lambda: nn.Conv2d(-1, 3, 3), ValueError, "Conv2d: channel counts must be positive"),
        (lambda: nn.Conv2d(2.0, 3, 3), TypeError, "Conv2d: in_channels must be an int, got float"),
        (lambda: nn.ConvTranspose2d(3, 0, 3), ValueError, "ConvTranspose2d: channel counts must be positive"),
        (lambda: nn.ConvTranspose2d(3, 3, 3, bias="no"), TypeError, "ConvTranspose2d: bias must be True or False"),
        (lambda: nn.BatchNorm2d(0), ValueError, "BatchNorm2d: num_features must be positive, got 0"),
        (lambda: nn.BatchNorm1d(2.0), TypeError, "BatchNorm1d: num_features must be an int"),
        (lambda: nn.BatchNorm2d(3, eps=math.nan), ValueError, "BatchNorm2d: eps must be a finite number >= 0"),
        (lambda: nn.BatchNorm2d(3, eps=-1e-5), ValueError, "BatchNorm2d: eps must be"),
        (lambda: nn.BatchNorm2d(3, momentum=1.5), ValueError, r"BatchNorm2d: momentum must be in \[0, 1\], got 1.5"),
        (lambda: nn.BatchNorm2d(3, momentum=math.nan), ValueError, "BatchNorm2d: momentum must be"),
        (lambda: nn.BatchNorm2d(3, affine=1), TypeError, "BatchNorm2d: affine must be True or False"),
        (lambda: nn.InstanceNorm2d(-2), ValueError, "InstanceNorm2d: num_features must be positive"),
        (lambda: nn.InstanceNorm2d(3, eps=math.inf), ValueError, "InstanceNorm2d: eps must be"),
        (lambda: nn.Dropout(1.5), ValueError, r"Dropout: p \(the dropout probability\) must be in \[0, 1\], got 1.5"),
        (lambda: nn.Dropout(math.nan), ValueError, r"must be in \[0, 1\], got nan"),
        (lambda: nn.Dropout("0.5"), TypeError, "Dropout: p .* must be a number"),
        (lambda: nn.LeakyReLU(math.nan), ValueError, "LeakyReLU: negative_slope must be a finite number"),
        (lambda: F.leaky_relu(t(2), math.inf), ValueError, "leaky_relu: negative_slope must be a finite number"),
        (lambda: F.dropout(t(2), -0.1), ValueError, r"dropout: p .* must be in \[0, 1\]"),
        (lambda: F.clamp(t(2), math.nan), ValueError, "clamp: min must be a number"),
        (lambda: F.clamp(t(2), None, "1"), ValueError, "clamp: max must be a number"),
        (lambda: nn.Sequential(nn.ReLU(), 3), TypeError, "Sequential: argument 1 must be a Module, not int"),
        (lambda: nn.Sequential().append(F.relu), TypeError, "Sequential.append needs a Module, not function"),
    ],
)
def test_layer_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_a_layer_with_zero_features_is_allowed_as_in_pytorch():
    layer = nn.Linear(0, 3)
    assert layer(tinygan.zeros(2, 0)).shape == (2, 3)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda w: init.kaiming_uniform_(w, mode="fan_avg"), ValueError, "mode must be 'fan_in' or 'fan_out'"),
        (lambda w: init.kaiming_normal_(w, nonlinearity="swish"), ValueError, "unknown nonlinearity 'swish'"),
        (lambda w: init.xavier_uniform_(tinygan.zeros(4)), ValueError, "at least 2 dimensions"),
        (lambda w: init.xavier_normal_(w, gain=math.nan), ValueError, "xavier_normal_: gain must be"),
        (lambda w: init.normal_(w, std=-1.0), ValueError, "normal_: std must be a finite number >= 0"),
        (lambda w: init.normal_(w, mean=math.inf), ValueError, "normal_: mean must be a finite number"),
        (lambda w: init.uniform_(w, 1.0, 0.0), ValueError, "uniform_: needs a <= b"),
        (lambda w: init.constant_(w, "x"), TypeError, "constant_: value must be a number"),
        (lambda w: init.normal_(tinygan.zeros(2, 2, dtype=np.int64)), TypeError, "needs a floating-point tensor"),
        (lambda w: init.calculate_gain("leaky_relu", math.nan), ValueError, "calculate_gain: param must be"),
    ],
)
def test_initialiser_arguments(call, error, message):
    weight = nn.Linear(3, 4).weight
    with pytest.raises(error, match=message):
        call(weight)


# ----------------------------------------------------------------------------- labels, seeds


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ([0.0, 2.5], "non-integer values such as 2.5"),
        (np.array([1.0, math.nan]), "non-integer values such as nan"),
        (np.array([math.inf]), "non-integer values such as inf"),
        (tinygan.tensor([0.0, 1.9999]), "non-integer values such as 1.99"),
        (np.array([True, False]), "got dtype bool"),
        (np.array(["1"]), "cannot make a tensor"),
    ],
)
def test_one_hot_never_truncates_labels(labels, message):
    with pytest.raises(TypeError, match=message):
        F.one_hot(labels, 3)


def test_one_hot_takes_whole_numbers_in_any_numeric_dtype():
    for labels in ([0, 2], [0.0, 2.0], np.array([0, 2], np.uint8), tinygan.tensor([0.0, 2.0]), (0, 2.0)):
        assert F.one_hot(labels, 3).numpy().argmax(-1).tolist() == [0, 2]
    assert F.one_hot([2**24 + 1], 2**24 + 2).numpy().argmax() == 2**24 + 1  # an int list is not made float32


def test_initialising_a_tensor_with_no_elements_is_a_no_op_as_in_pytorch():
    for shape in [(0, 3), (3, 0), (2, 0, 3, 3)]:
        for initialise in (init.kaiming_uniform_, init.kaiming_normal_, init.xavier_uniform_, init.xavier_normal_):
            assert initialise(tinygan.zeros(*shape)).shape == shape
    with pytest.raises(TypeError, match="num_classes must be an int"):
        F.one_hot([1], 2.0)


@pytest.mark.parametrize(("seed", "error"), [(-1, ValueError), (1.5, TypeError), ("3", TypeError), (None, TypeError)])
def test_manual_seed_arguments(seed, error):
    with pytest.raises(error, match="manual_seed: seed must be"):
        tinygan.manual_seed(seed)


# ----------------------------------------------------------------------------- x ** y at x = 0


@pytest.mark.parametrize("n", range(7))
def test_the_gradient_of_x_to_an_integer_power_is_exact_at_zero(n):
    """d/dx x^n = n x^(n-1): 0 at x = 0 for n = 0 (not 0 * 0^-1 = NaN) and for n >= 2, 1 for n = 1."""
    for dtype in (np.float32, np.float64):
        values = np.array([0.0, -0.0, 1.0, -2.0, 0.5], dtype=dtype)
        x = tinygan.tensor(values, requires_grad=True)
        (x**n).sum().backward()
        expected = np.zeros_like(values) if n == 0 else n * values.astype(np.float64) ** (n - 1)
        np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-6)
        assert np.isfinite(x.grad.numpy()).all() and x.grad.dtype == dtype


@pytest.mark.parametrize("n", range(5))
def test_the_gradient_of_a_tensor_exponent_is_finite_at_a_zero_base(n):
    """d/db a^b = a^b log a: 0 at a = 0 for b >= 0 (PyTorch's rule), not 0 * log 0 = NaN."""
    a = tinygan.tensor(np.array([0.0, 2.0, 0.0]), requires_grad=True)
    b = tinygan.tensor(np.array([float(n), float(n), 0.0]), requires_grad=True)
    (a**b).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), [0.0, 2.0**n * math.log(2.0), 0.0])
    expected_a = [0.0 if n != 1 else 1.0, n * 2.0 ** (n - 1) if n else 0.0, 0.0]
    np.testing.assert_allclose(a.grad.numpy(), expected_a)


def test_negative_and_fractional_powers_at_zero_stay_what_the_math_says():
    x = tinygan.tensor(np.array([0.0]), requires_grad=True)
    (x**0.5).sum().backward()
    assert x.grad.numpy()[0] == math.inf  # the slope of sqrt at 0, as in PyTorch


# ----------------------------------------------------------------------------- state dicts and gradients


@pytest.mark.parametrize(
    ("state", "error", "message"),
    [
        ([("weight", np.zeros((2, 3)))], TypeError, "load_state_dict needs a dict of arrays by name, got list"),
        ({"weight": [[0.0] * 3, [0.0]], "bias": np.zeros(2)}, TypeError, "load_state_dict: weight is not an array"),
        ({"weight": np.array([["a"] * 3] * 2), "bias": np.zeros(2)}, TypeError, "weight holds <U1 values, not numbers"),
        ({"weight": np.zeros((2, 3)), "bias": None}, TypeError, "bias holds object values"),
    ],
)
def test_a_malformed_module_state_is_refused_and_changes_nothing(state, error, message):
    layer = nn.Linear(3, 2)
    before = {k: v.numpy().copy() for k, v in layer.state_dict().items()}
    with pytest.raises(error, match=message):
        layer.load_state_dict(state)
    for k, v in layer.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])


def test_backward_with_a_gradient_that_is_not_numbers():
    y = t(2, requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"backward: cannot make a tensor from nested lists of different lengths"):
        y.backward([[1.0], [1.0, 2.0]])
    with pytest.raises(TypeError, match="backward: cannot make a tensor from str"):
        y.backward("1")
