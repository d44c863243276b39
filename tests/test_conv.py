"""conv2d and conv_transpose2d: values against direct loops, float64 finite-difference gradients
over hypothesis-drawn geometries, the adjoint identity, the modules, and the errors."""

from __future__ import annotations

import contextlib
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import tinygan
from tinygan import functional as F
from tinygan import nn
from tinygan.gradcheck import gradcheck

SETTINGS = settings(max_examples=50, deadline=None)


# ----------------------------------------------------------------------------- references


def reference_conv2d(x, w, b, stride, padding, dilation):
    """Each output pixel is the sum of its (dilated) window of the zero-padded input times the kernel."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    N, _, H, W = x.shape
    OC, _, KH, KW = w.shape
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    OH = (H + 2 * ph - dh * (KH - 1) - 1) // sh + 1
    OW = (W + 2 * pw - dw * (KW - 1) - 1) // sw + 1
    y = np.zeros((N, OC, OH, OW))
    for n, o, oy, ox in np.ndindex(N, OC, OH, OW):
        window = padded[n, :, oy * sh : oy * sh + dh * (KH - 1) + 1 : dh, ox * sw : ox * sw + dw * (KW - 1) + 1 : dw]
        y[n, o, oy, ox] = (window * w[o]).sum() + (0 if b is None else b[o])
    return y


def reference_conv_transpose2d(x, w, b, stride, padding, output_padding, dilation):
    """Each input pixel stamps the kernel, scaled by its value, onto the output; the padding is cropped."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    N, C, H, W = x.shape
    _, OC, KH, KW = w.shape
    OH = (H - 1) * sh - 2 * ph + dh * (KH - 1) + output_padding[0] + 1
    OW = (W - 1) * sw - 2 * pw + dw * (KW - 1) + output_padding[1] + 1
    canvas = np.zeros((N, OC, OH + 2 * ph, OW + 2 * pw))
    for n, c, y, x_, i, j in np.ndindex(N, C, H, W, KH, KW):
        canvas[n, :, y * sh + i * dh, x_ * sw + j * dw] += x[n, c, y, x_] * w[c, :, i, j]
    out = canvas[:, :, ph : ph + OH, pw : pw + OW]
    return out if b is None else out + b.reshape(1, -1, 1, 1)


# ----------------------------------------------------------------------------- geometries


@st.composite
def conv_cases(draw):
    """A valid conv2d geometry: kernel 1-4, stride 1-3 (also larger than the kernel), padding
    up to the kernel size, dilation 1-2, and input sizes from the smallest that fits (1x1
    where the padding allows) to a few pixels more."""
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, kernel[0])), draw(st.integers(0, kernel[1])))
    smallest = [max(1, d * (k - 1) + 1 - 2 * p) for k, d, p in zip(kernel, dilation, padding)]
    size = (draw(st.integers(smallest[0], smallest[0] + 3)), draw(st.integers(smallest[1], smallest[1] + 3)))
    channels = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    return dict(
        batch=draw(st.integers(1, 2)),
        channels=channels,
        size=size,
        kernel=kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        bias=draw(st.booleans()),
        seed=draw(st.integers(0, 2**16)),
    )


@st.composite
def conv_transpose_cases(draw):
    """A valid conv_transpose2d geometry: as ``conv_cases``, plus output_padding below the
    stride or the dilation, and padding small enough to leave a non-empty output."""
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    size = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    # the output (size - 1) s - 2p + d (k - 1) + output_padding + 1 must be at least 1
    padding = tuple(
        draw(st.integers(0, min(k, ((n - 1) * s + d * (k - 1) + op) // 2)))
        for n, k, s, d, op in zip(size, kernel, stride, dilation, output_padding)
    )
    return dict(
        batch=draw(st.integers(1, 2)),
        channels=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        size=size,
        kernel=kernel,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
        bias=draw(st.booleans()),
        seed=draw(st.integers(0, 2**16)),
    )


def _case(size, kernel, stride, padding, dilation=(1, 1), channels=(2, 3), batch=2, bias=True, **extra):
    return dict(batch=batch, channels=channels, size=size, kernel=kernel, stride=stride, padding=padding,
                dilation=dilation, bias=bias, seed=sum(size) + sum(kernel), **extra)  # fmt: skip


# the edge cases the issue names, checked on every run besides hypothesis's draws
CONV_EDGE_CASES = [
    _case(size=(1, 1), kernel=(3, 3), stride=(1, 1), padding=(1, 1)),  # 1x1 input
    _case(size=(7, 5), kernel=(2, 1), stride=(3, 3), padding=(0, 0), bias=False),  # stride > kernel
    _case(size=(2, 3), kernel=(3, 2), stride=(2, 1), padding=(3, 2), dilation=(2, 1)),  # padding = kernel size
    _case(size=(5, 7), kernel=(4, 4), stride=(2, 2), padding=(1, 1), channels=(1, 1), batch=1),  # DCGAN's k4 s2 p1
]
CONV_TRANSPOSE_EDGE_CASES = [
    _case(size=(1, 1), kernel=(3, 2), stride=(2, 2), padding=(1, 0), output_padding=(1, 1)),  # 1x1 input
    _case(size=(3, 2), kernel=(2, 1), stride=(3, 3), padding=(0, 0), output_padding=(2, 1)),  # stride > kernel
    _case(size=(3, 3), kernel=(2, 2), stride=(2, 3), padding=(2, 2), output_padding=(0, 2), dilation=(2, 1)),
    _case(size=(4, 3), kernel=(4, 4), stride=(2, 2), padding=(1, 1), output_padding=(0, 0)),  # DCGAN's k4 s2 p1
]


def with_examples(cases):
    """Also run a hypothesis test on each of ``cases``, on every run."""

    def decorate(test):
        for case in cases:
            test = example(case=case)(test)
        return test

    return decorate


def _conv_arrays(case, transpose):
    rng = np.random.default_rng(case["seed"])
    c_in, c_out = case["channels"]
    x = rng.standard_normal((case["batch"], c_in, *case["size"]))
    w = rng.standard_normal(((c_in, c_out) if transpose else (c_out, c_in)) + case["kernel"])
    b = rng.standard_normal(c_out) if case["bias"] else None
    return x, w, b


def _tensors(*arrays):
    return [None if a is None else tinygan.tensor(a, requires_grad=True) for a in arrays]


def _check_gradients(fn, tensors):
    inputs = [t for t in tensors if t is not None]
    gradcheck(lambda *ts: fn(*ts, *([None] * (len(tensors) - len(ts)))), inputs, atol=1e-6, rtol=1e-5)


# ----------------------------------------------------------------------------- conv2d


@SETTINGS
@given(case=conv_cases())
@with_examples(CONV_EDGE_CASES)
def test_conv2d_values_and_gradients(case):
    x, w, b = _conv_arrays(case, transpose=False)
    options = dict(stride=case["stride"], padding=case["padding"], dilation=case["dilation"])
    out = F.conv2d(*_tensors(x, w, b), **options)
    np.testing.assert_allclose(out.numpy(), reference_conv2d(x, w, b, **options), rtol=1e-10, atol=1e-12)

    _check_gradients(lambda x, w, b: F.conv2d(x, w, b, **options), _tensors(x, w, b))


@SETTINGS
@given(case=conv_transpose_cases())
@with_examples(CONV_TRANSPOSE_EDGE_CASES)
def test_conv_transpose2d_values_and_gradients(case):
    x, w, b = _conv_arrays(case, transpose=True)
    options = dict(
        stride=case["stride"], padding=case["padding"], output_padding=case["output_padding"], dilation=case["dilation"]
    )
    out = F.conv_transpose2d(*_tensors(x, w, b), **options)
    np.testing.assert_allclose(out.numpy(), reference_conv_transpose2d(x, w, b, **options), rtol=1e-10, atol=1e-12)

    _check_gradients(lambda x, w, b: F.conv_transpose2d(x, w, b, **options), _tensors(x, w, b))


def _values_and_gradients(op, arrays, options):
    """``op``'s output and the gradients of <output, a random cotangent> for each array."""
    tensors = _tensors(*arrays)
    out = op(*tensors, **options)
    out.backward(np.random.default_rng(0).standard_normal(out.shape))
    return [out.numpy()] + [t.grad.numpy() for t in tensors if t is not None]


@contextlib.contextmanager
def column_budget(n_bytes: int):
    """The CPU's column budget set to ``n_bytes`` inside the block."""
    from tinygan.functional import conv

    original = conv.COLUMN_BUDGET_BYTES["cpu"]
    conv.COLUMN_BUDGET_BYTES["cpu"] = n_bytes
    try:
        yield
    finally:
        conv.COLUMN_BUDGET_BYTES["cpu"] = original


@SETTINGS
@given(case=st.one_of(conv_cases(), conv_transpose_cases()), budget=st.sampled_from([1, 200, 2000]))
@example(case={**CONV_TRANSPOSE_EDGE_CASES[0], "batch": 3}, budget=1)
@example(case={**CONV_EDGE_CASES[3], "batch": 3, "channels": (3, 2)}, budget=200)
def test_blocks_of_samples_and_channels_change_nothing(case, budget):
    """Unfolding a few samples or channels at a time (COLUMN_BUDGET_BYTES) gives the same values
    and gradients as unfolding everything at once: with a budget of 1 byte every block is one
    sample or one channel."""
    transpose = "output_padding" in case
    op = F.conv_transpose2d if transpose else F.conv2d
    options = dict(stride=case["stride"], padding=case["padding"], dilation=case["dilation"])
    if transpose:
        options["output_padding"] = case["output_padding"]
    arrays = _conv_arrays(case, transpose)
    whole = _values_and_gradients(op, arrays, options)
    with column_budget(budget):
        blocked = _values_and_gradients(op, arrays, options)
    for part, expected in zip(blocked, whole):
        np.testing.assert_allclose(part, expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(batch=st.integers(1, 4), budget=st.sampled_from([1, 400, None]), bias=st.booleans(), seed=st.integers(0, 2**16))
def test_stacked_layers_pass_channel_major_arrays_on(batch, budget, bias, seed):
    """A convolution returns the batch-major view of the channel-major array its GEMMs wrote,
    and the layers after it (batch norm, activations, the next convolution, their backwards) read
    it and its gradients where they lie, in groups of samples and blocks of channels too (budget):
    float64 gradients of a DCGAN-like stack against finite differences."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, 2, 6, 6))
    w1, w2, w3 = (rng.standard_normal(shape) for shape in [(3, 2, 4, 4), (3, 2, 4, 4), (2, 2, 3, 3)])
    b1, b2 = (rng.standard_normal(n) if bias else None for n in (3, 2))
    gamma, beta = rng.standard_normal(3), rng.standard_normal(3)

    def stack(x, w1, w2, w3, gamma, beta, b1=None, b2=None):
        h = F.conv2d(x, w1, b1, stride=2, padding=1)  # (N, 3, 3, 3)
        assert h.data.transpose(1, 0, 2, 3).flags.c_contiguous  # channel-major underneath
        h = F.leaky_relu(F.batch_norm(h, None, None, gamma, beta, training=True), 0.2)
        h = F.relu(F.conv_transpose2d(h, w2, b2, stride=2, padding=1))  # (N, 2, 6, 6)
        return F.conv2d(h, w3, padding=1)

    tensors = [t for t in _tensors(x, w1, w2, w3, gamma, beta, b1, b2) if t is not None]
    with column_budget(budget) if budget else contextlib.nullcontext():
        gradcheck(stack, tensors, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("transpose", [False, True])
def test_no_channels_to_sum_give_zeros(transpose):
    """conv2d of 0 input channels, and the input gradient of a transposed convolution with 0
    output channels, are sums of nothing: zeros (plus the bias), never uninitialised memory."""
    w = tinygan.tensor(np.ones((3, 0, 3, 3)))
    if transpose:
        x = tinygan.tensor(np.random.default_rng(0).standard_normal((2, 3, 4, 4)), requires_grad=True)
        y = F.conv_transpose2d(x, w, stride=2)
    else:
        x = tinygan.tensor(np.zeros((2, 0, 5, 5)), requires_grad=True)
        bias = np.array([1.0, 2.0, 3.0])
        y = F.conv2d(x, w, tinygan.tensor(bias))
        np.testing.assert_array_equal(y.numpy(), np.broadcast_to(bias.reshape(1, 3, 1, 1), y.shape))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0)


@SETTINGS
@given(case=conv_cases())
@with_examples(CONV_EDGE_CASES)
def test_conv_transpose_is_the_adjoint_of_conv(case):
    """<conv2d(x, W), y> = <x, conv_transpose2d(y, W)>, with output_padding restoring x's size."""
    x, w, _ = _conv_arrays(case, transpose=False)
    options = dict(stride=case["stride"], padding=case["padding"], dilation=case["dilation"])
    conv = F.conv2d(tinygan.tensor(x), tinygan.tensor(w), **options).numpy()
    y = np.random.default_rng(case["seed"] + 1).standard_normal(conv.shape)
    span = [d * (k - 1) + 1 for k, d in zip(case["kernel"], case["dilation"])]
    extra = tuple((n + 2 * p - s_) % s for n, p, s_, s in zip(case["size"], case["padding"], span, case["stride"]))
    back = F.conv_transpose2d(tinygan.tensor(y), tinygan.tensor(w), output_padding=extra, **options).numpy()
    assert back.shape == x.shape
    np.testing.assert_allclose((conv * y).sum(), (x * back).sum(), rtol=1e-10, atol=1e-10)


@SETTINGS
@given(case=conv_cases())
@with_examples(CONV_EDGE_CASES)
def test_each_ops_input_gradient_is_the_other_ops_forward(case):
    """conv2d's dX is conv_transpose2d(dY, W) and conv_transpose2d's dX is conv2d(dY, W), to the bit:
    the backward of each is a call of the other's forward."""
    x, w, _ = _conv_arrays(case, transpose=False)
    options = dict(stride=case["stride"], padding=case["padding"], dilation=case["dilation"])
    if case["size"] == case["kernel"] and case["padding"] == (0, 0) and case["dilation"] == (1, 1):
        return  # the window covers the image: a matrix product (test_window_covering_the_whole_image)
    x_t, w_t = tinygan.tensor(x, requires_grad=True), tinygan.tensor(w)
    y = F.conv2d(x_t, w_t, **options)
    dy = np.random.default_rng(case["seed"] + 1).standard_normal(y.shape)
    y.backward(tinygan.tensor(dy))
    span = [d * (k - 1) + 1 for k, d in zip(case["kernel"], case["dilation"])]
    extra = tuple((n + 2 * p - s_) % s for n, p, s_, s in zip(case["size"], case["padding"], span, case["stride"]))
    dy_t = tinygan.tensor(dy, requires_grad=True)
    back = F.conv_transpose2d(dy_t, w_t, output_padding=extra, **options)
    np.testing.assert_array_equal(x_t.grad.numpy(), back.numpy())

    back.backward(tinygan.tensor(x))  # and the transposed op's input gradient is conv2d's forward
    np.testing.assert_array_equal(dy_t.grad.numpy(), F.conv2d(tinygan.tensor(x), w_t, **options).numpy())


@pytest.mark.parametrize("transpose", [False, True])
def test_window_covering_the_whole_image(transpose):
    """DCGAN's ends (last D layer: 4x4 image, 4x4 kernel; first G layer: 1x1 input) take the
    matrix-product path; values and gradients as any other convolution."""
    rng = np.random.default_rng(0)
    if transpose:
        x, w, b = rng.standard_normal((3, 5, 1, 1)), rng.standard_normal((5, 2, 4, 3)), rng.standard_normal(2)
        expected = reference_conv_transpose2d(x, w, b, (2, 2), (0, 0), (0, 0), (1, 1))
        fn = lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2)  # noqa: E731
    else:
        x, w, b = rng.standard_normal((3, 5, 4, 3)), rng.standard_normal((2, 5, 4, 3)), rng.standard_normal(2)
        expected = reference_conv2d(x, w, b, (2, 2), (0, 0), (1, 1))
        fn = lambda x, w, b: F.conv2d(x, w, b, stride=2)  # noqa: E731
    np.testing.assert_allclose(fn(*_tensors(x, w, b)).numpy(), expected, rtol=1e-10)
    _check_gradients(fn, _tensors(x, w, b))


@pytest.mark.parametrize(
    "transpose, size, kernel, padding, out_size",
    [
        (False, 8, 3, 1, 4),
        (True, 8, 3, 1, 15),
        (False, 4, 4, 0, 1),  # the window covers the image: the matrix-product path
        (True, 1, 4, 0, 4),  # ... and its transpose
    ],
)
def test_an_empty_batch_gives_zero_weight_and_bias_gradients(transpose, size, kernel, padding, out_size):
    """As in PyTorch: an empty output, an empty input gradient, and dW = db = 0 (sums of nothing)."""
    op, weight_shape = (F.conv_transpose2d, (3, 4, kernel, kernel)) if transpose else (F.conv2d, (4, 3, kernel, kernel))
    x, w, b = _tensors(np.zeros((0, 3, size, size)), np.ones(weight_shape), np.ones(4))
    y = op(x, w, b, stride=2, padding=padding)
    assert y.shape == (0, 4, out_size, out_size)
    y.sum().backward()
    assert x.grad.shape == x.shape
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros(weight_shape))
    np.testing.assert_array_equal(b.grad.numpy(), np.zeros(4))


@pytest.mark.parametrize("transpose", [False, True])
def test_float32_stays_float32_and_matches_float64(transpose):
    rng = np.random.default_rng(1)
    shape = (4, 3, 8, 8) if not transpose else (4, 3, 4, 4)
    x = rng.standard_normal(shape)
    w = rng.standard_normal((5, 3, 4, 4) if not transpose else (3, 5, 4, 4))
    op = F.conv_transpose2d if transpose else F.conv2d
    x32, w32 = (tinygan.tensor(a.astype(np.float32), requires_grad=True) for a in (x, w))
    out32 = op(x32, w32, None, 2, 1)
    out32.sum().backward()
    out64 = op(tinygan.tensor(x), tinygan.tensor(w), None, 2, 1)
    assert out32.dtype == x32.grad.dtype == w32.grad.dtype == np.float32
    np.testing.assert_allclose(out32.numpy(), out64.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("op", [F.conv2d, F.conv_transpose2d])
def test_gradients_only_for_inputs_that_ask(op):
    rng = np.random.default_rng(2)
    x = tinygan.tensor(rng.standard_normal((2, 3, 6, 6)))  # an image batch: no gradient wanted
    w = tinygan.tensor(rng.standard_normal((3, 3, 4, 4)), requires_grad=True)
    op(x, w, None, 2, 1).sum().backward()
    assert x.grad is None
    assert w.grad is not None and w.grad.shape == w.shape

    x.requires_grad_()
    w_fixed = tinygan.tensor(w.numpy())
    op(x, w_fixed, None, 2, 1).sum().backward()
    assert x.grad.shape == x.shape and w_fixed.grad is None


@given(data=st.data(), kernel=st.integers(1, 5), stride=st.integers(1, 4), dilation=st.integers(1, 2))
@settings(max_examples=50, deadline=None)
def test_output_size_helpers_invert_each_other(data, kernel, stride, dilation):
    padding = kernel // 2
    size = data.draw(st.integers(max(1, dilation * (kernel - 1) + 1 - 2 * padding), 64))
    out = F.conv_output_size(size, kernel, stride, padding, dilation)
    assert out >= 1
    extra = (size + 2 * padding - dilation * (kernel - 1) - 1) % stride
    assert F.conv_transpose_output_size(out, kernel, stride, padding, extra, dilation) == size


def test_output_sizes_of_the_dcgan_layers():
    assert F.conv_output_size(64, 4, 2, 1) == 32
    assert F.conv_output_size(4, 4, 1, 0) == 1
    assert F.conv_transpose_output_size(1, 4, 1, 0) == 4
    assert F.conv_transpose_output_size(16, 4, 2, 1) == 32


# ----------------------------------------------------------------------------- modules


def test_conv2d_module_layout_init_and_state_dict():
    conv = nn.Conv2d(3, 8, 4, 2, 1)
    assert conv.weight.shape == (8, 3, 4, 4) and conv.bias.shape == (8,)
    assert conv.weight.dtype == conv.bias.dtype == np.float32
    assert list(conv.state_dict()) == ["weight", "bias"]
    bound = 1 / math.sqrt(3 * 4 * 4)  # kaiming_uniform(a=sqrt(5)) and PyTorch's bias init
    for p in (conv.weight.numpy(), conv.bias.numpy()):
        assert np.abs(p).max() <= bound
    assert abs(conv.weight.numpy().std() - bound / math.sqrt(3)) < 0.1 * bound
    assert list(nn.Conv2d(3, 8, 4, bias=False).state_dict()) == ["weight"]
    assert repr(conv) == "Conv2d(3, 8, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1))"

    x = tinygan.randn(2, 3, 16, 16)
    out = conv(x)
    assert out.shape == (2, 8, 8, 8)
    np.testing.assert_allclose(out.numpy(), F.conv2d(x, conv.weight, conv.bias, 2, 1).numpy())


def test_conv_transpose2d_module_layout_init_and_state_dict():
    up = nn.ConvTranspose2d(8, 3, 4, 2, 1, bias=False)
    assert up.weight.shape == (8, 3, 4, 4) and up.bias is None
    assert list(up.state_dict()) == ["weight"]
    # PyTorch computes fan_in from weight.shape[1], which for a transposed conv is out_channels
    assert np.abs(up.weight.numpy()).max() <= 1 / math.sqrt(3 * 4 * 4)
    assert "output_padding" not in repr(up) and "bias=False" in repr(up)
    out = up(tinygan.randn(2, 8, 8, 8))
    assert out.shape == (2, 3, 16, 16)
    odd = nn.ConvTranspose2d(2, 2, (3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2))
    assert odd(tinygan.randn(1, 2, 5, 4)).shape == (1, 2, 10, 13)


def test_modules_build_the_dcgan_shapes():
    z = tinygan.randn(2, 100, 1, 1)
    image = nn.ConvTranspose2d(100, 64, 4, 1, 0, bias=False)(z)
    assert image.shape == (2, 64, 4, 4)
    image = nn.ConvTranspose2d(64, 1, 4, 2, 1, bias=False)(nn.ConvTranspose2d(64, 64, 4, 2, 1)(image))
    assert image.shape == (2, 1, 16, 16)
    logits = nn.Conv2d(16, 1, 4, 1, 0, bias=False)(nn.Conv2d(1, 16, 4, 4, 0)(image))
    assert logits.shape == (2, 1, 1, 1)


# ----------------------------------------------------------------------------- errors


def test_kernel_larger_than_the_padded_input_is_named():
    x = tinygan.randn(1, 2, 3, 3)
    with pytest.raises(ValueError, match=r"kernel, 5x5 .* larger than the padded input, 3x3 .*\(1, 2, 3, 3\)"):
        F.conv2d(x, tinygan.randn(4, 2, 5, 5))
    with pytest.raises(ValueError, match=r"kernel, 5x5 with dilation \(2, 2\)"):
        F.conv2d(x, tinygan.randn(4, 2, 3, 3), dilation=2)
    assert F.conv2d(x, tinygan.randn(4, 2, 5, 5), padding=1).shape == (1, 4, 1, 1)
    with pytest.raises(ValueError, match="larger than the padded input"):
        nn.Conv2d(2, 4, 4, 2, 1)(tinygan.randn(1, 2, 1, 1))


def test_wrong_channel_counts_are_named():
    with pytest.raises(ValueError, match=r"input of shape \(1, 3, 8, 8\) has 3 channels.*\(4, 2, 3, 3\) expects 2"):
        F.conv2d(tinygan.randn(1, 3, 8, 8), tinygan.randn(4, 2, 3, 3))
    with pytest.raises(ValueError, match=r"has 3 channels.*\(in_channels, out_channels, KH, KW\).*expects 2"):
        F.conv_transpose2d(tinygan.randn(1, 3, 8, 8), tinygan.randn(2, 4, 3, 3))
    with pytest.raises(ValueError, match="has 1 channels"):
        nn.Conv2d(3, 8, 3)(tinygan.randn(2, 1, 8, 8))
    with pytest.raises(ValueError, match=r"bias of shape \(3,\)"):
        F.conv2d(tinygan.randn(1, 2, 8, 8), tinygan.randn(4, 2, 3, 3), tinygan.randn(3))


@pytest.mark.parametrize("op", [F.conv2d, F.conv_transpose2d])
def test_non_4d_inputs_and_weights_are_rejected(op):
    with pytest.raises(ValueError, match=r"expects a 4-D input \(N, C, H, W\), got shape \(3, 8, 8\)"):
        op(tinygan.randn(3, 8, 8), tinygan.randn(3, 3, 3, 3))
    with pytest.raises(ValueError, match=r"4-D weight .*got shape \(3, 3, 3\)"):
        op(tinygan.randn(1, 3, 8, 8), tinygan.randn(3, 3, 3))


def test_bad_settings_are_rejected():
    x, w = tinygan.randn(1, 2, 5, 5), tinygan.randn(2, 2, 3, 3)
    with pytest.raises(ValueError, match="stride must be an int >= 1"):
        F.conv2d(x, w, stride=0)
    with pytest.raises(ValueError, match="padding must be an int >= 0"):
        F.conv2d(x, w, padding=(1, -1))
    with pytest.raises(ValueError, match="groups=2 is not supported"):
        F.conv2d(x, w, groups=2)
    with pytest.raises(TypeError, match="same dtype.*input float64, weight float32"):
        F.conv2d(x.double(), w)
    with pytest.raises(ValueError, match=r"output_padding \(2, 2\) must be smaller than the stride \(2, 2\)"):
        F.conv_transpose2d(x, w, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="empty output"):
        F.conv_transpose2d(tinygan.randn(1, 2, 1, 1), tinygan.randn(2, 2, 1, 1), padding=1)


@pytest.mark.parametrize("op", [F.conv2d, F.conv_transpose2d])
@pytest.mark.parametrize("dtype", [np.float16, np.int64, np.int32, np.bool_])
def test_unsupported_dtypes_are_named_before_any_work(op, dtype, monkeypatch):
    from tinygan import kernels

    monkeypatch.setattr(kernels, "for_array", None)  # any kernel call would fail differently
    x = tinygan.tensor(np.ones((1, 2, 5, 5), dtype=dtype))
    w = tinygan.tensor(np.ones((2, 2, 3, 3), dtype=dtype))
    message = rf"{op.__name__}: input has dtype {np.dtype(dtype).name}, but only float32 and float64 .*\.float\(\)"
    with pytest.raises(TypeError, match=message):
        op(x, w)
