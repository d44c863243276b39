"""Tensor, Function and reverse-mode differentiation.

A ``Tensor`` wraps an array (``numpy.ndarray`` on the CPU, ``cupy.ndarray`` on a GPU). When an
op runs on tensors that require gradients, the op's ``Function`` object remembers where each
input's gradient goes (an ``Edge``: the leaf tensor, or the function that made the input) and
becomes the output's ``grad_fn``; the functions form a graph. The graph holds no activation
itself: each op saves only the arrays its backward needs. ``backward()``
sorts that graph once (iteratively, so deep graphs hit no recursion limit), then walks it from
the output back to the leaves, calling each function's ``backward`` with the gradient of its
output and handing the results to its inputs.

Each op is a small ``Function`` subclass in ``tinygan.functional`` whose ``forward`` and
``backward`` work on raw arrays, side by side.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from tinygan import backend

# ----------------------------------------------------------------------------- grad mode


class _GradMode:
    enabled = True


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Context manager: ops inside record no graph (for evaluation and parameter updates)."""
    previous = _GradMode.enabled
    _GradMode.enabled = False
    try:
        yield
    finally:
        _GradMode.enabled = previous


@contextlib.contextmanager
def enable_grad() -> Iterator[None]:
    """Context manager: record the graph again inside a ``no_grad`` block."""
    previous = _GradMode.enabled
    _GradMode.enabled = True
    try:
        yield
    finally:
        _GradMode.enabled = previous


def is_grad_enabled() -> bool:
    return _GradMode.enabled


# ----------------------------------------------------------------------------- Tensor


def _ragged(data: Any) -> str | None:
    """Where nested lists stop being rectangular, in PyTorch's words; None if they are not ragged.

    The expected shape is that of the first element at every depth, as ``torch.tensor`` reads it.
    """
    shape = []
    first = data
    while isinstance(first, (list, tuple)):
        shape.append(len(first))
        if not first:
            break
        first = first[0]

    def check(x: Any, dim: int) -> str | None:
        sequence = isinstance(x, (list, tuple))
        if dim == len(shape):
            return f"expected a number at dim {dim} (got a sequence of length {len(x)})" if sequence else None
        if not sequence:
            return f"expected sequence of length {shape[dim]} at dim {dim} (got a number)"
        if len(x) != shape[dim]:
            return f"expected sequence of length {shape[dim]} at dim {dim} (got {len(x)})"
        return next((m for m in (check(item, dim + 1) for item in x) if m), None)

    return check(data, 0)


def _as_array(data: Any, dtype: Any = None, what: str = "tensor()") -> Any:
    """Turn ``data`` into an array the way ``torch.tensor`` does: arrays keep their dtype,
    Python numbers and lists become float32 (tinygan works in floating point).

    Raises:
        ValueError: nested lists of different lengths (PyTorch's message, saying where).
        TypeError: data that is not numbers: strings, None, objects, complex numbers.
    """
    if isinstance(data, Tensor):
        data = data.data
    xp = backend.get_array_module(data)
    if isinstance(data, (np.ndarray, np.generic)) or xp is not np:
        array = xp.asarray(data)
    else:
        try:
            array = np.asarray(data)
        except ValueError as e:  # ragged nested lists, or arrays of different shapes in a list
            if isinstance(data, (list, tuple)) and (where := _ragged(data)):  # walked only to name the spot
                raise ValueError(
                    f"{what}: cannot make a tensor from nested lists of different lengths: {where}"
                ) from None
            raise ValueError(f"{what}: cannot make a tensor from {type(data).__name__} data: {e}") from None
        except (TypeError, OverflowError) as e:
            raise TypeError(f"{what}: cannot make a tensor from {type(data).__name__} data ({e})") from None
        if array.dtype.kind in "biuf":  # bool and int lists too: tinygan tensors are float
            array = array.astype(np.float32)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{what}: cannot make a tensor from {type(data).__name__} data of dtype {array.dtype}; "
            "expected numbers, an array of numbers, or nested lists of numbers"
        )
    if dtype is not None:
        array = array.astype(numeric_dtype(what, dtype), copy=False)
    return array


def numeric_dtype(what: str, dtype: Any) -> np.dtype:
    """``dtype`` as a NumPy dtype a tensor can hold (bool, integer or float), or a TypeError naming ``what``."""
    try:
        target = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{what}: {dtype!r} is not a dtype") from None
    if target.kind not in "biuf":
        raise TypeError(f"{what}: tensors hold numbers, so {target} is not a dtype they can take")
    return target


def check_tensor(op: str, value: Any, name: str = "input") -> Tensor:
    """``value`` itself when it is a Tensor; otherwise PyTorch's TypeError, naming the argument."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be a Tensor, not {type(value).__name__}")
    return value


def wrap_dim(op: str, dim: Any, ndim: int, subject: str | None = None) -> int:
    """``dim`` (negative counts from the end) as an index in ``range(ndim)``; ``ndim`` 0 takes 0 and -1,
    as in PyTorch. Out of range is an IndexError, never a silent wrap-around."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__} {dim!r}")
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"{op}: dimension {dim} is out of range for {subject or f'a tensor with {ndim} dimensions'} "
            f"(expected a dim in [{-n}, {n - 1}])"
        )
    return int(dim) % n


class Tensor:
    """An n-dimensional array that can record the ops applied to it.

    Attributes:
        data: the underlying ``numpy.ndarray`` or ``cupy.ndarray``.
        requires_grad: whether ``backward()`` should compute a gradient for this tensor.
        grad: a ``Tensor`` of the same shape, filled in by ``backward()`` on leaf tensors.
        grad_fn: the ``Function`` that produced this tensor (``None`` for leaves).
    """

    __slots__ = ("data", "requires_grad", "grad", "grad_fn", "retains_grad", "__weakref__")
    __array_priority__ = 1000  # make ``ndarray * Tensor`` call Tensor.__rmul__

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        if not (type(data) is np.ndarray or backend.get_array_module(data) is not np) or data.dtype.kind not in "biuf":
            data = _as_array(data)
        if requires_grad and data.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require gradients, got {data.dtype}")
        self.data = data
        self.requires_grad = requires_grad
        self.grad: Tensor | None = None
        self.grad_fn: Function | None = None
        self.retains_grad = False

    # --- properties mirroring torch.Tensor
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> Any:
        return self.data.dtype

    @property
    def device(self) -> str:
        return backend.device_of(self.data)

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return int(self.data.size)

    def size(self, dim: int | None = None) -> Any:
        if dim is None:
            return self.data.shape
        return self.data.shape[wrap_dim("size", dim, self.ndim)] if self.ndim else 1

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        extra = ", requires_grad=True" if self.requires_grad else ""
        if self.grad_fn is not None:
            extra = f", grad_fn=<{type(self.grad_fn).__name__}>"
        device = ", device='cuda'" if self.device == "cuda" else ""
        body = np.array2string(self.numpy(), precision=4, separator=", ", prefix="tensor(")
        return f"tensor({body}{device}{extra})"

    # --- conversions
    def numpy(self) -> np.ndarray:
        """The values as a NumPy array (copied to the host for a GPU tensor)."""
        return backend.to_device(self.data, "cpu")

    def item(self) -> float:
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def tolist(self) -> Any:
        return self.numpy().tolist()

    def detach(self) -> Tensor:
        """The same values, cut off from the graph (shares memory, as in PyTorch)."""
        return Tensor(self.data)

    def to(self, target: Any) -> Tensor:
        """Move to a device (``"cpu"``, ``"cuda"``) or cast to a dtype; differentiable."""
        if isinstance(target, str):
            return F.to_device(self, target)
        try:
            dtype = np.dtype(target)
        except TypeError:
            raise TypeError(f"Tensor.to expects a device ('cpu' or 'cuda') or a dtype, got {target!r}") from None
        return F.cast(self, dtype)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    def float(self) -> Tensor:
        return self.to(np.float32)

    def double(self) -> Tensor:
        return self.to(np.float64)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if not self.is_leaf:
            raise RuntimeError("requires_grad_ can only change leaf tensors; use detach() first")
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require gradients, got {self.dtype}")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after ``backward()`` (for inspection)."""
        self.retains_grad = True

    # --- autodiff
    def backward(self, grad: Tensor | Any = None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        Args:
            grad: the gradient of some scalar with respect to ``self`` (same shape). May be
                omitted only when ``self`` holds a single element (a loss).
            retain_graph: keep the graph's saved arrays so ``backward`` can run through it
                again; by default they are freed as soon as they have been used.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() called on a tensor that does not require grad "
                "(no input of the ops that made it has requires_grad=True, or it was made under no_grad())"
            )
        xp = backend.get_array_module(self.data)
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for a single-element output, "
                    f"but this tensor has shape {self.shape}; pass backward(grad) of that shape"
                )
            grad = xp.ones_like(self.data)
        else:
            data = grad.data if isinstance(grad, Tensor) else grad
            source = backend.device_of(data)
            if source != self.device and (isinstance(grad, Tensor) or source == "cuda"):  # NumPy data is copied over
                raise RuntimeError(f"backward(grad): the gradient is on {source} but the tensor is on {self.device}")
            grad = data if isinstance(grad, Tensor) else xp.asarray(_as_array(grad, what="backward"), dtype=self.dtype)
            if grad.shape != self.shape:
                raise ValueError(f"backward(grad) got shape {grad.shape} for a tensor of shape {self.shape}")
        if self.grad_fn is None:
            self._accumulate(grad)
            return
        _run_backward(self.grad_fn, grad, retain_graph)

    def _accumulate(self, grad: Any) -> None:
        if self.grad is None:
            # a broadcast view (stride 0) is read-only and shared; give .grad its own memory
            if grad.size > 1 and 0 in grad.strides:
                grad = grad.copy()
            self.grad = Tensor(grad)
        else:
            self.grad = Tensor(self.grad.data + grad)

    # --- operators: thin wrappers over tinygan.functional
    def __add__(self, other: Any) -> Tensor:
        return F.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return F.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return F.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return F.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return F.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return F.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return F.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return F.div(other, self)

    def __neg__(self) -> Tensor:
        return F.neg(self)

    def __pow__(self, exponent: Any) -> Tensor:
        return F.pow(self, exponent)

    def __rpow__(self, base: Any) -> Tensor:
        return F.pow(base, self)

    def __matmul__(self, other: Any) -> Tensor:
        return F.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return F.matmul(other, self)

    def __getitem__(self, index: Any) -> Tensor:
        return F.getitem(self, index)

    # comparisons give plain (non-differentiable) boolean tensors, as in PyTorch
    def _compare(self, other: Any, op: str) -> Tensor:
        other = other.data if isinstance(other, Tensor) else _constant(other, self, op.strip("_"))
        return Tensor(getattr(self.data, op)(other))

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, "__lt__")

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, "__le__")

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, "__gt__")

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, "__ge__")

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override] - elementwise, as in PyTorch
        return self._compare(other, "__eq__")

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, "__ne__")

    __hash__ = object.__hash__  # tensors are used as dict keys by identity, like PyTorch's

    # --- methods
    def sum(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return F.sum(self, dim, keepdim)

    def mean(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return F.mean(self, dim, keepdim)

    def max(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return F.max(self, dim, keepdim)

    def var(self, dim: Any = None, unbiased: bool = True, keepdim: bool = False) -> Tensor:
        return F.var(self, dim, unbiased, keepdim)

    def argmax(self, dim: int | None = None) -> Tensor:
        return Tensor(self.data.argmax(axis=None if dim is None else wrap_dim("argmax", dim, self.ndim)))

    def reshape(self, *shape: Any) -> Tensor:
        return F.reshape(self, _shape_args(shape))

    view = reshape

    def flatten(self, start_dim: int = 0) -> Tensor:
        return F.flatten(self, start_dim)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        return F.transpose(self, dim0, dim1)

    def permute(self, *dims: Any) -> Tensor:
        return F.permute(self, _shape_args(dims))

    @property
    def T(self) -> Tensor:  # noqa: N802 - PyTorch's name
        return F.permute(self, tuple(reversed(range(self.ndim))))

    def unsqueeze(self, dim: int) -> Tensor:
        return F.unsqueeze(self, dim)

    def squeeze(self, dim: int | None = None) -> Tensor:
        return F.squeeze(self, dim)

    def expand(self, *shape: Any) -> Tensor:
        return F.broadcast_to(self, _shape_args(shape))

    def matmul(self, other: Any) -> Tensor:
        return F.matmul(self, other)

    def exp(self) -> Tensor:
        return F.exp(self)

    def log(self) -> Tensor:
        return F.log(self)

    def sqrt(self) -> Tensor:
        return F.sqrt(self)

    def abs(self) -> Tensor:
        return F.abs(self)

    def pow(self, exponent: Any) -> Tensor:
        return F.pow(self, exponent)

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
        return F.clamp(self, min, max)

    def relu(self) -> Tensor:
        return F.relu(self)

    def sigmoid(self) -> Tensor:
        return F.sigmoid(self)

    def tanh(self) -> Tensor:
        return F.tanh(self)


def _shape_args(args: Sequence[Any]) -> tuple[int, ...]:
    """Accept both ``x.reshape(2, 3)`` and ``x.reshape((2, 3))``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


# ----------------------------------------------------------------------------- Function


class Edge(NamedTuple):
    """Where the gradient of one input of a function goes, as PyTorch's ``next_functions``:
    into ``leaf.grad`` for a leaf tensor, else on to ``grad_fn``, the function that made
    the input. ``shape`` and ``dtype`` are the input's, to check the gradient against."""

    leaf: Tensor | None
    grad_fn: Function | None
    shape: tuple[int, ...]
    dtype: Any


class Function:
    """One differentiable op: ``forward`` on raw arrays, ``backward`` on raw arrays.

    Subclasses implement::

        forward(self, *arrays) -> array            # save on self what backward needs
        backward(self, grad_output) -> grad | tuple[grad | None, ...]   # one per input

    ``self.needs_input_grad[i]`` says whether input ``i`` wants a gradient, so backward
    can skip work (and forward can skip saving) for inputs that do not.
    Call an op as ``MyFunction(**options)(x, y)``; Python numbers among the inputs become
    constant tensors of the first tensor input's dtype.
    """

    needs_input_grad: tuple[bool, ...] = ()
    edges: tuple[Edge | None, ...] = ()
    _freed = False

    def __call__(self, *inputs: Any) -> Tensor:
        tensors = _to_tensors(inputs, type(self).__name__)
        requires_grad = _GradMode.enabled and any(t.requires_grad for t in tensors)
        self.needs_input_grad = tuple(requires_grad and t.requires_grad for t in tensors)
        output = Tensor(self.forward(*(t.data for t in tensors)), requires_grad=requires_grad)
        if requires_grad:
            # the graph keeps where each gradient goes, not the inputs: an intermediate
            # activation stays alive only if some forward saved it for its backward
            self.edges = tuple(
                Edge(t if t.grad_fn is None else None, t.grad_fn, t.shape, t.dtype) if needed else None
                for t, needed in zip(tensors, self.needs_input_grad)
            )
            self.output = weakref.ref(output)  # weak: the graph must not keep outputs alive
            output.grad_fn = self
        return output

    def forward(self, *arrays: Any) -> Any:
        raise NotImplementedError

    def backward(self, grad_output: Any) -> Any:
        raise NotImplementedError

    def release(self) -> None:
        """Drop saved arrays and edges once backward has used them."""
        self.__dict__.clear()
        self._freed = True


def _to_tensors(inputs: Sequence[Any], op: str) -> tuple[Tensor, ...]:
    """The inputs as tensors on one device; numbers and lists become constants on that device."""
    reference = next((x for x in inputs if isinstance(x, Tensor)), None)
    if reference is None:
        raise TypeError(f"{op} needs at least one Tensor input")
    device = reference.device
    tensors = []
    for x in inputs:
        if not isinstance(x, Tensor):
            x = Tensor(_constant(x, reference, op))
        if x.device != device:
            raise RuntimeError(
                f"{op}: expected all tensors on the same device, found one on {device} and one on {x.device}; "
                f"move them to one device with .to({device!r}) or .to({x.device!r})"
            )
        tensors.append(x)
    return tuple(tensors)


def _constant(x: Any, reference: Tensor, op: str) -> Any:
    """A number, array or (rectangular) nested list as an array of ``reference``'s dtype, for an op
    that combines it with ``reference``. An array stays on its own device (the caller checks it);
    anything else is made on the reference's device. A float combined with an integer tensor
    stays float (float32), so that ``int_tensor * 0.5`` is not ``int_tensor * 0``."""
    if type(x) in (int, float) and reference.dtype.kind == "f":  # the common case: 1 - p, x * 0.5
        return backend.get_array_module(reference.data).asarray(x, dtype=reference.dtype)
    on_own_device = getattr(x, "ndim", 0) > 0 and not isinstance(x, (list, tuple))
    array = _as_array(x, what=op) if not on_own_device else x
    if getattr(array, "dtype", None) is None or array.dtype.kind not in "biuf":
        raise TypeError(f"{op}: cannot combine a tensor with {type(x).__name__} {x!r}")
    xp = backend.get_array_module(array if on_own_device else reference.data)
    dtype = reference.dtype
    if dtype.kind != "f" and array.dtype.kind == "f" and (isinstance(x, float) or bool((array % 1).any())):
        dtype = np.dtype(np.float32)
    return xp.asarray(array if on_own_device else backend.to_device(array, reference.device), dtype=dtype)


def _topological_order(root: Function) -> list[Function]:
    """Functions reachable from ``root``, each after every function that consumes its output.

    Iterative depth-first post-order (a function is finished only after all the functions
    that made its inputs), then reversed: the output's function first, leaves' last.
    """
    order: list[Function] = []
    visited: set[int] = set()
    stack: list[tuple[Function, bool]] = [(root, False)]
    while stack:
        fn, finished = stack.pop()
        if finished:
            order.append(fn)
            continue
        if id(fn) in visited:
            continue
        visited.add(id(fn))
        if fn._freed:
            raise RuntimeError(
                "trying to backward through the graph a second time, but its saved arrays were "
                "freed after the first backward; call backward(retain_graph=True) the first time "
                "if you need to backward through it again"
            )
        stack.append((fn, True))
        for edge in fn.edges:
            if edge is not None and edge.grad_fn is not None and id(edge.grad_fn) not in visited:
                stack.append((edge.grad_fn, False))
    order.reverse()
    return order


def _run_backward(root: Function, grad: Any, retain_graph: bool) -> None:
    # gradient waiting for each function's output, keyed by the function (one output each)
    pending: dict[int, Any] = {id(root): grad}
    # memory already held by a leaf's .grad (or the caller's grad): another leaf gets a copy, so that
    # changing one .grad in place (gradient clipping, say) cannot change another; the values keep
    # those arrays alive, so a freed array's id cannot be reused by a new gradient and look shared
    held: dict[int, Any] = {id(_owner(grad)): _owner(grad)}
    # leaves whose .grad array this backward made and no one else has seen: later gradients are
    # added into it in place, as PyTorch's AccumulateGrad does, instead of allocating a third
    # array (a weight shared by D's real and fake passes needs two of its size, not three)
    owned: set[int] = set()
    for fn in _topological_order(root):
        grad_output = pending.pop(id(fn), None)
        if grad_output is None:  # nothing downstream depends on this output
            continue
        if "output" in fn.__dict__:
            out = fn.output()
            if out is not None and out.retains_grad:
                out._accumulate(grad_output)
        grads = fn.backward(grad_output)
        if not isinstance(grads, tuple):
            grads = (grads,)
        for edge, g in zip(fn.edges, grads):
            if edge is None or g is None:
                continue
            if g.shape != edge.shape:
                raise RuntimeError(
                    f"{type(fn).__name__}.backward returned a gradient of shape {g.shape} "
                    f"for an input of shape {edge.shape}"
                )
            if g.dtype != edge.dtype:  # an op mixing float32 and float64: each input's grad keeps its dtype
                g = g.astype(edge.dtype)
            if edge.leaf is not None:
                # a retained graph may hand out its saved arrays again: trust no gradient to be fresh then
                fresh = not retain_graph and _is_fresh(g, grad_output, grads)
                _accumulate_leaf(edge.leaf, g, owned, held, fresh)
            else:
                key = id(edge.grad_fn)
                # no in-place +=: ``g`` may be the very array another input received
                pending[key] = pending[key] + g if key in pending else g
        if not retain_graph:
            fn.release()


def _is_fresh(g: Any, grad_output: Any, grads: tuple[Any, ...]) -> bool:
    """Whether the gradient ``g`` that a backward returned is an array of its own: not a view
    of any array, so not of the incoming gradient (as Add's and Reshape's are), and not
    returned, itself or a view of it, for another input too. The input gradients of the
    convolutions, batch norm and the activations on feature maps are batch-major views of
    channel-major arrays, so never fresh: a leaf that receives one gets a copy, which is safe."""
    return g.base is None and g is not grad_output and sum(x is not None and _owner(x) is g for x in grads) == 1


def _accumulate_leaf(leaf: Tensor, g: Any, owned: set[int], held: dict[int, Any], fresh: bool) -> None:
    """Add ``g`` into ``leaf.grad``: in place when this backward owns the array, else as
    ``Tensor._accumulate`` does; another leaf's (or the caller's) array is copied first."""
    if id(leaf) in owned:
        leaf.grad.data += g
        return
    shared = id(_owner(g)) in held
    had_grad = leaf.grad is not None
    leaf._accumulate(g.copy() if shared else g)
    array = leaf.grad.data
    for a in (g, array):
        held[id(_owner(a))] = _owner(a)
    # ours if it was made here (a copy or a sum) or is a fresh array nothing else refers to
    if array.base is None and getattr(array.flags, "writeable", True) and (shared or had_grad or fresh):
        owned.add(id(leaf))


def _owner(array: Any) -> Any:
    """The array that owns ``array``'s memory (itself unless it is a view)."""
    return array if array.base is None else array.base


# The operator methods above call into the functional package, which itself imports
# Tensor and Function from this module; importing it last breaks the cycle.
from tinygan import functional as F  # noqa: E402
