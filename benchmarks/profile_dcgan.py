"""Where one DCGAN training iteration (W2 dcgan-64, W3 dcgan-32) spends its time, layer by layer
and op kind by op kind, in tinygan and in PyTorch, from the same weights on the same batches.

``bench_dcgan.py`` says how long an iteration takes; this script says where the time goes, so
that a difference between the frameworks can be pinned on a layer and on its forward or its
backward pass. The iteration is the benchmark's (``tinygan.gan.gan_step`` and its PyTorch
mirror ``torch_iteration``, see ``bench_w1_mlp_gan``), built with ``bench_dcgan``'s helpers.

For every module, named by its path (``G.main.3``, ``D.main.0``; tinygan's DCGAN and PyTorch's
have the same names, so the rows line up), the report gives:

- forward: the module's own time summed over all its calls in the iteration (G runs forward
  twice, D three times). A container's row is its self time, i.e. its calls minus its
  children's (input checks, the final reshape), so no time is counted twice.
- backward: the summed time of the backward functions of the ops that module's forward created.

The rest of the iteration is in buckets: the loss (forward and backward of the loss ops), the
backward engine (time inside ``loss.backward()`` outside every op's backward: sorting the graph,
handing gradients on, accumulating parameter gradients, the hooks' own cost in PyTorch), Adam's
``step``, ``zero_grad``, and "other", the measured iteration minus everything attributed
(``train()``, freezing D, detach, the metrics' sigmoid and ``.item()``, Python around it all).
The per-kind table sums the layer rows by module type, forward and backward apart.

How it is measured. tinygan is instrumented by monkeypatching at run time, in this script only,
and put back afterwards: ``Module.__call__`` keeps a stack of module paths and times each call;
``Function.__call__`` tags every op with the innermost module path (or "loss" inside the loss
functions, "other" elsewhere); every ``Function`` subclass's ``backward`` is timed and added to
its tag; ``Tensor.backward``, ``Adam.step`` and ``Optimizer.zero_grad`` are timed whole. PyTorch
is measured with module forward pre/post hooks; each module's forward hook registers autograd
node hooks (pre and post) on the nodes its forward created (walking back from the output's
``grad_fn`` to its inputs'), which time that node's backward; the optimizers' ``step`` and
``zero_grad``, ``Tensor.backward`` and ``binary_cross_entropy_with_logits`` are wrapped.
``perf_counter`` throughout, wall clock.

The instrumentation costs something (a Python call or two per op, and in PyTorch the slower
hooked path through ``Module.__call__``, which lands in the containers' self time): the report
puts the instrumented iteration next to the plain one, the median of un-instrumented iterations
timed in alternating order as ``bench_dcgan`` times them. The instrumented iterations alternate
too, after one dropped iteration of each that warms the wrappers. Plain and instrumented run at
different moments, so on a busy machine their difference is mostly load, not instrumentation.

Usage::

    python benchmarks/profile_dcgan.py [--workload w2|w3|both] [--iters N] [--threads T] [--json out.json]
    python benchmarks/profile_dcgan.py --workload w3 --torch-profiler   # also torch.profiler's top 15 ops
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tinygan  # noqa: E402
import tinygan.gan.steps  # noqa: E402
import tinygan.optim  # noqa: E402
from benchmarks.bench_dcgan import WORKLOADS, Workload, build_tinygan, build_torch, make_batches  # noqa: E402
from benchmarks.bench_w1_mlp_gan import TinyganGAN, tinygan_iteration, torch_iteration  # noqa: E402
from benchmarks.common import (  # noqa: E402
    both_on_threads,
    cycling_samplers,
    machine_info,
    optional_torch,
    summarize,
    time_alternating,
)
from tinygan.gan.losses import GENERATOR_LOSSES  # noqa: E402
from tinygan.nn import Module  # noqa: E402
from tinygan.tensor import Function, Tensor  # noqa: E402

LOSS, OTHER = "loss", "other"  # the tags of ops made outside every module
CONTAINER_KIND = "(container code)"  # the kind of a container's self-time row
BUCKETS = ("loss_fwd", "loss_bwd", "backward_engine", "optimizer", "zero_grad")


# ----------------------------------------------------------------------------- the record


@dataclass
class Profile:
    """Milliseconds summed over the instrumented iterations (``per_iteration`` divides them)."""

    fwd: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    bwd: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    buckets: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    totals: list[float] = field(default_factory=list)  # the instrumented iterations, ms each

    def reset(self) -> None:
        for part in (self.fwd, self.bwd, self.calls, self.buckets, self.shapes):
            part.clear()
        self.totals.clear()

    def per_iteration(self) -> dict[str, Any]:
        n = max(len(self.totals), 1)
        layers = sorted((set(self.fwd) | set(self.bwd)) - {OTHER})
        return {
            "fwd": {k: self.fwd.get(k, 0.0) / n for k in layers},
            "bwd": {k: self.bwd.get(k, 0.0) / n for k in layers},
            "calls": {k: self.calls.get(k, 0) // n for k in layers},
            "shapes": dict(self.shapes),
            # the backward of ops made outside every module and the loss (none in gan_step) is reported on its own
            "buckets": {k: self.buckets[k] / n for k in BUCKETS} | {"unscoped_bwd": self.bwd.get(OTHER, 0.0) / n},
            "instrumented_total": sum(self.totals) / n,
            "instrumented_samples": list(self.totals),
        }


class _Frames:
    """A stack of the module calls in progress, for self times: each frame is [path, start, children's time]."""

    def __init__(self, profile: Profile, clock: Callable[[], float]) -> None:
        self.profile, self.clock = profile, clock
        self.stack: list[list[Any]] = []

    def current(self) -> str:
        return self.stack[-1][0] if self.stack else OTHER

    def push(self, path: str) -> None:
        self.stack.append([path, self.clock(), 0.0])

    def pop(self) -> None:
        path, start, children = self.stack.pop()
        elapsed = self.clock() - start
        if path == LOSS:
            self.profile.buckets["loss_fwd"] += (elapsed - children) * 1000
        else:
            self.profile.fwd[path] += (elapsed - children) * 1000
            self.profile.calls[path] += 1
        if self.stack:
            self.stack[-1][2] += elapsed


def module_paths(nets: dict[str, Any]) -> dict[int, str]:
    """id(module) -> its path (``G``, ``G.main``, ``G.main.0``, ...) for tinygan or PyTorch modules."""
    return {
        id(m): f"{prefix}.{name}" if name else prefix for prefix, net in nets.items() for name, m in net.named_modules()
    }


def _patch(owner: Any, name: str, value: Any, undo: list[Callable[[], None]]) -> None:
    """Set ``owner.name = value`` and remember how to put it back (deleting it if ``owner`` had none of its own)."""
    own = owner.__dict__ if isinstance(owner, type) else vars(owner)
    if name in own:
        previous = own[name]
        undo.append(lambda: setattr(owner, name, previous))
    else:
        undo.append(lambda: delattr(owner, name))
    setattr(owner, name, value)


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


# ----------------------------------------------------------------------------- tinygan


@contextmanager
def tinygan_instrumented(gan: TinyganGAN, profile: Profile) -> Iterator[None]:
    """Inside, every tinygan module call, op backward, backward() call, Adam step and zero_grad
    of ``gan`` adds its time to ``profile``. Everything patched is restored on the way out."""
    clock = time.perf_counter
    frames = _Frames(profile, clock)
    paths = module_paths({"G": gan.G, "D": gan.D})
    tag_attr = "_profile_dcgan_tag"
    untaggable: dict[int, tuple[Any, str]] = {}  # ops that refuse a new attribute (__slots__): id -> (op, tag)
    backward_depth = [0]  # > 0 while an op's backward runs: a backward calling another is timed once
    op_backward_ms = [0.0]  # all op backward time so far, to split backward() into ops and engine
    undo: list[Callable[[], None]] = []

    module_call = Module.__call__

    def timed_module_call(self: Module, *args: Any, **kwargs: Any) -> Any:
        path = paths.get(id(self), type(self).__name__)
        frames.push(path)
        try:
            out = module_call(self, *args, **kwargs)
        finally:
            frames.pop()
        if isinstance(out, Tensor):
            profile.shapes[path] = tuple(out.shape)
        return out

    function_call = Function.__call__

    def tagged_function_call(self: Function, *args: Any, **kwargs: Any) -> Any:
        try:
            setattr(self, tag_attr, frames.current())
        except AttributeError:
            untaggable[id(self)] = (self, frames.current())
        return function_call(self, *args, **kwargs)

    def timed_backward(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def backward(self: Function, *args: Any, **kwargs: Any) -> Any:
            if backward_depth[0]:
                return original(self, *args, **kwargs)
            # read the tag now: _run_backward may release() the op afterwards, which clears its __dict__
            tag = getattr(self, tag_attr, None) or untaggable.get(id(self), (None, OTHER))[1]
            backward_depth[0] += 1
            start = clock()
            try:
                return original(self, *args, **kwargs)
            finally:
                elapsed = (clock() - start) * 1000
                backward_depth[0] -= 1
                op_backward_ms[0] += elapsed
                if tag == LOSS:
                    profile.buckets["loss_bwd"] += elapsed
                else:
                    profile.bwd[tag] += elapsed

        return backward

    def scoped(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def inside(*args: Any, **kwargs: Any) -> Any:
            frames.push(name)
            try:
                return fn(*args, **kwargs)
            finally:
                frames.pop()

        return inside

    def timed(bucket: str, fn: Callable[..., Any], engine: bool = False) -> Callable[..., Any]:
        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            ops_before, start = op_backward_ms[0], clock()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = (clock() - start) * 1000
                # backward(): only the part outside the ops' own backward is the engine's
                profile.buckets[bucket] += elapsed - (op_backward_ms[0] - ops_before if engine else 0.0)

        return call

    try:
        _patch(Module, "__call__", timed_module_call, undo)
        _patch(Function, "__call__", tagged_function_call, undo)
        for cls in {Function, *_subclasses(Function)}:
            if "backward" in cls.__dict__:
                _patch(cls, "backward", timed_backward(cls.__dict__["backward"]), undo)
        _patch(Tensor, "backward", timed("backward_engine", Tensor.backward, engine=True), undo)
        adam = type(gan.opt_d)
        step_owner = next(c for c in adam.__mro__ if "step" in c.__dict__)
        zero_owner = next(c for c in adam.__mro__ if "zero_grad" in c.__dict__)
        _patch(step_owner, "step", timed("optimizer", step_owner.__dict__["step"]), undo)
        _patch(zero_owner, "zero_grad", timed("zero_grad", zero_owner.__dict__["zero_grad"]), undo)
        # the loss functions gan_step calls: ops made inside are the loss's
        _patch(tinygan.gan.steps, "discriminator_loss", scoped(LOSS, tinygan.gan.steps.discriminator_loss), undo)
        for name, loss in list(GENERATOR_LOSSES.items()):
            previous = loss
            GENERATOR_LOSSES[name] = scoped(LOSS, loss)
            undo.append(functools.partial(GENERATOR_LOSSES.__setitem__, name, previous))
        yield
    finally:
        for restore in reversed(undo):
            restore()
        untaggable.clear()


# ----------------------------------------------------------------------------- PyTorch


class TorchInstrument:
    """Forward hooks on every module of G and D, autograd-node hooks on the nodes each forward
    made, and wrappers around the loss, ``backward()`` and the optimizers, adding to ``profile``."""

    def __init__(self, torch: Any, nets: tuple[Any, Any, Any, Any], profile: Profile) -> None:
        self.torch, self.nets, self.profile = torch, nets, profile
        self.clock = time.perf_counter
        self.frames = _Frames(profile, self.clock)
        self.stops: list[list[Any]] = []  # per module call in progress: its inputs' grad_fns
        self.hooked: dict[int, Any] = {}  # id -> node, kept alive so ids stay unique until the iteration ends
        self.node_start: dict[int, float] = {}
        self.node_ms = [0.0]
        self.undo: list[Callable[[], None]] = []
        self.handles: list[Any] = []

    def _grad_fns(self, values: Any) -> list[Any]:
        if isinstance(values, self.torch.Tensor):
            values = (values,)
        return [v.grad_fn for v in values if isinstance(v, self.torch.Tensor) and v.grad_fn is not None]

    def attribute(self, output: Any, stop: list[Any], tag: str) -> None:
        """Hook every autograd node from ``output`` back to (not into) the nodes in ``stop``, the
        inputs' grad_fns when the call began; nodes hooked already and AccumulateGrad are left out."""
        stop_ids = {id(n) for n in stop}
        todo = self._grad_fns(output) if self.torch.is_grad_enabled() else []
        while todo:
            node = todo.pop()
            if node is None or id(node) in stop_ids or id(node) in self.hooked:
                continue
            if type(node).__name__ == "AccumulateGrad":  # gradient accumulation: the engine's bucket, as in tinygan
                continue
            self.hooked[id(node)] = node
            node.register_prehook(functools.partial(self._node_begin, id(node)))
            node.register_hook(functools.partial(self._node_end, id(node), tag))
            todo.extend(n for n, _ in node.next_functions)

    def _node_begin(self, key: int, grad_outputs: Any) -> None:
        self.node_start[key] = self.clock()

    def _node_end(self, key: int, tag: str, grad_inputs: Any, grad_outputs: Any) -> None:
        elapsed = (self.clock() - self.node_start.pop(key)) * 1000
        self.node_ms[0] += elapsed
        if tag == LOSS:
            self.profile.buckets["loss_bwd"] += elapsed
        else:
            self.profile.bwd[tag] += elapsed

    def _pre(self, path: str) -> Callable[..., None]:
        def hook(module: Any, args: Any) -> None:
            self.stops.append(self._grad_fns(args))
            self.frames.push(path)

        return hook

    def _post(self, path: str) -> Callable[..., None]:
        def hook(module: Any, args: Any, output: Any) -> None:
            self.frames.pop()
            self.attribute(output, self.stops.pop(), path)
            if isinstance(output, self.torch.Tensor):
                self.profile.shapes[path] = tuple(output.shape)

        return hook

    def __enter__(self) -> TorchInstrument:
        G, D, opt_g, opt_d = self.nets
        for prefix, net in (("G", G), ("D", D)):
            for name, module in net.named_modules():
                path = f"{prefix}.{name}" if name else prefix
                self.handles.append(module.register_forward_pre_hook(self._pre(path)))
                self.handles.append(module.register_forward_hook(self._post(path)))
        functional = self.torch.nn.functional
        bce = functional.binary_cross_entropy_with_logits

        def loss(*args: Any, **kwargs: Any) -> Any:  # torch_iteration looks bce up on every call
            stop = self._grad_fns(args)
            self.frames.push(LOSS)
            try:
                out = bce(*args, **kwargs)
            finally:
                self.frames.pop()
            self.attribute(out, stop, LOSS)
            return out

        tensor_backward = self.torch.Tensor.backward

        def backward(tensor: Any, *args: Any, **kwargs: Any) -> Any:
            self.attribute(tensor, [], LOSS)  # what no module or bce hooked: the sum of loss_d's two terms
            nodes_before, start = self.node_ms[0], self.clock()
            try:
                return tensor_backward(tensor, *args, **kwargs)
            finally:
                elapsed = (self.clock() - start) * 1000
                self.profile.buckets["backward_engine"] += elapsed - (self.node_ms[0] - nodes_before)

        _patch(functional, "binary_cross_entropy_with_logits", loss, self.undo)
        _patch(self.torch.Tensor, "backward", backward, self.undo)
        for opt in (opt_g, opt_d):
            _patch(opt, "step", self._timed("optimizer", opt.step), self.undo)
            _patch(opt, "zero_grad", self._timed("zero_grad", opt.zero_grad), self.undo)
        return self

    def _timed(self, bucket: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            start = self.clock()
            try:
                return fn(*args, **kwargs)
            finally:
                self.profile.buckets[bucket] += (self.clock() - start) * 1000

        return call

    def end_iteration(self) -> None:
        """Forget the nodes of the iteration just run (their graphs are gone)."""
        self.hooked.clear()
        self.node_start.clear()

    def __exit__(self, *exc: Any) -> None:
        for handle in self.handles:
            handle.remove()
        for restore in reversed(self.undo):
            restore()
        self.handles.clear()
        self.undo.clear()
        self.end_iteration()


# ----------------------------------------------------------------------------- running


def profile_workload(torch: Any, wl: Workload, args: argparse.Namespace) -> dict[str, Any]:
    """Plain timing of both frameworks, then ``args.iters`` instrumented iterations of each; the report as a dict."""
    batches = make_batches(wl, 4)
    gan = build_tinygan(wl)
    ours = cycling_samplers(batches, tinygan.tensor)

    def tinygan_step() -> None:
        tinygan_iteration(gan, *ours)

    steps: dict[str, Callable[[], None]] = {"tinygan": tinygan_step}
    nets = None
    if torch is not None:
        nets = build_torch(torch, wl, gan)  # the same weights
        theirs = cycling_samplers(batches, torch.from_numpy)

        def torch_step() -> None:
            torch_iteration(torch, nets, *theirs)

        steps["torch"] = torch_step

    # plain: warm-up (Numba loads or compiles tinygan's kernels here), then alternating single iterations
    plain = time_alternating(steps, iters=1, rounds=args.plain, warmup=args.warmup)
    report: dict[str, Any] = {"workload": wl.name, "batch": wl.batch, "frameworks": {}}
    profiles = {name: Profile() for name in steps}

    def instrumented(name: str) -> Any:  # a fresh context per iteration, entered around that iteration only
        if name == "tinygan":
            return tinygan_instrumented(gan, profiles[name])
        return TorchInstrument(torch, nets, profiles[name])

    # instrumented: the frameworks take turns, in flipping order, as in the plain timing; the first
    # iteration of each warms the instrumented path (hooks, first calls of the wrappers) and is dropped
    names = list(steps)
    for i in range(args.iters + 1):
        for name in names if i % 2 == 0 else reversed(names):
            with instrumented(name):
                start = time.perf_counter()
                steps[name]()
                profiles[name].totals.append((time.perf_counter() - start) * 1000)
        if i == 0:
            for profile in profiles.values():
                profile.reset()
    for name, profile in profiles.items():
        result = profile.per_iteration()
        result["plain"] = summarize(plain[name])
        result["plain_samples"] = plain[name]
        report["frameworks"][name] = result
    report["kinds"] = module_kinds(gan)
    if torch is not None and args.torch_profiler:
        report["torch_profiler"] = torch_profiler_table(torch, steps["torch"])
    return report


def module_kinds(gan: TinyganGAN) -> dict[str, str]:
    """Layer path -> kind: the module type for a leaf, ``CONTAINER_KIND`` for a container's self time."""
    kinds = {}
    for prefix, net in (("G", gan.G), ("D", gan.D)):
        for name, module in net.named_modules():
            path = f"{prefix}.{name}" if name else prefix
            kinds[path] = type(module).__name__ if next(module.children(), None) is None else CONTAINER_KIND
    return kinds


def torch_profiler_table(torch: Any, step: Callable[[], None]) -> str:
    """torch.profiler's per-op table (top 15 by self CPU time) over two plain iterations."""
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        for _ in range(2):
            step()
    return prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15)


# ----------------------------------------------------------------------------- the report


def _ms(x: float | None) -> str:
    return f"{x:9.2f}" if x is not None else f"{'-':>9s}"


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:7.2f}" if a is not None and b else f"{'-':>7s}"


def format_report(report: dict[str, Any], info: dict[str, Any]) -> str:
    """The three tables of one workload as text: layers, kinds, buckets."""
    fw = report["frameworks"]
    tg, th = fw["tinygan"], fw.get("torch")
    kinds = report["kinds"]
    layers = list(kinds)  # tinygan's module order: G top-down, then D
    lines = [f"{report['workload']} (batch {report['batch']}), ms per iteration, mean of the instrumented iterations"]

    if th is not None:
        ours, theirs = set(tg["fwd"]), set(th["fwd"])
        if ours != theirs:
            lines.append(f"  WARNING: layer names differ: tinygan only {ours - theirs}, torch only {theirs - ours}")
        mismatched = [p for p in layers if tg["shapes"].get(p) != th["shapes"].get(p)]
        if mismatched:
            lines.append(f"  WARNING: output shapes differ at {mismatched}")

    def get(side: dict[str, Any] | None, part: str, key: str) -> float | None:
        return None if side is None else side[part].get(key)

    header = (
        f"  {'layer':10s} {'type':18s} {'output':18s} {'calls':>5s}"
        f" {'tg fwd':>9s} {'tg bwd':>9s} {'pt fwd':>9s} {'pt bwd':>9s} {'tg/pt':>7s}"
    )
    lines += ["", header, "  " + "-" * (len(header) - 2)]
    for path in layers:
        shape = "x".join(map(str, tg["shapes"].get(path, ()))) or "-"
        tg_f, tg_b = get(tg, "fwd", path), get(tg, "bwd", path)
        th_f, th_b = get(th, "fwd", path), get(th, "bwd", path)
        both_tg = (tg_f or 0) + (tg_b or 0)
        both_th = None if th is None else (th_f or 0) + (th_b or 0)
        kind = kinds[path] if kinds[path] != CONTAINER_KIND else "(container self)"
        lines.append(
            f"  {path:10s} {kind:18s} {shape:18s} {tg['calls'].get(path, 0):5d}"
            f" {_ms(tg_f)} {_ms(tg_b)} {_ms(th_f)} {_ms(th_b)} {_ratio(both_tg, both_th)}"
        )

    def kind_sums(side: dict[str, Any] | None) -> dict[str, tuple[float, float]]:
        sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        if side is not None:
            for path in layers:
                sums[kinds[path]][0] += side["fwd"].get(path, 0.0)
                sums[kinds[path]][1] += side["bwd"].get(path, 0.0)
        return {k: (f, b) for k, (f, b) in sums.items()}

    tg_k, th_k = kind_sums(tg), kind_sums(th)
    header = (
        f"  {'kind':18s} {'tg fwd':>9s} {'tg bwd':>9s} {'pt fwd':>9s} {'pt bwd':>9s}"
        f" {'fwd tg/pt':>9s} {'bwd tg/pt':>9s} {'tg+/pt+':>8s}"
    )
    lines += ["", header, "  " + "-" * (len(header) - 2)]
    order = sorted(tg_k, key=lambda k: -sum(tg_k[k]))
    for k in order:
        (a, b), (c, d) = tg_k[k], th_k.get(k, (None, None))
        lines.append(
            f"  {k:18s} {_ms(a)} {_ms(b)} {_ms(c)} {_ms(d)}"
            f"   {_ratio(a, c)}   {_ratio(b, d)}  {_ratio(a + b, None if c is None else c + (d or 0))}"
        )
    a, b = sum(f for f, _ in tg_k.values()), sum(b for _, b in tg_k.values())
    c = sum(f for f, _ in th_k.values()) if th else None
    d = sum(b for _, b in th_k.values()) if th else None
    lines.append(
        f"  {'all layers':18s} {_ms(a)} {_ms(b)} {_ms(c)} {_ms(d)}"
        f"   {_ratio(a, c)}   {_ratio(b, d)}  {_ratio(a + b, None if c is None else c + (d or 0))}"
    )

    def buckets(side: dict[str, Any] | None) -> dict[str, float] | None:
        if side is None:
            return None
        total = side["instrumented_total"]
        rows = {
            "layers forward": sum(side["fwd"].values()),
            "layers backward": sum(side["bwd"].values()),
            "loss forward": side["buckets"]["loss_fwd"],
            "loss backward": side["buckets"]["loss_bwd"],
            "backward engine": side["buckets"]["backward_engine"],
            "optimizer (Adam.step x2)": side["buckets"]["optimizer"],
            "zero_grad x2": side["buckets"]["zero_grad"],
        }
        if side["buckets"]["unscoped_bwd"]:
            rows["backward of unscoped ops"] = side["buckets"]["unscoped_bwd"]
        rows["other (unattributed)"] = total - sum(rows.values())
        rows["instrumented total"] = total
        rows["plain total (median)"] = side["plain"]["median"]
        return rows

    tg_b, th_b = buckets(tg), buckets(th)
    header = f"  {'bucket':26s} {'tinygan':>9s} {'%':>6s} {'torch':>9s} {'%':>6s} {'tg/pt':>7s}"
    lines += ["", header, "  " + "-" * (len(header) - 2)]
    for key, value in tg_b.items():
        other = th_b[key] if th_b else None
        plain_row = key.startswith("plain")  # a percentage of the instrumented total would mislead here
        pct_tg = f"{100 * value / tg['instrumented_total']:6.1f}" if not plain_row else f"{'':6s}"
        pct_th = f"{100 * other / th['instrumented_total']:6.1f}" if other is not None and not plain_row else f"{'':6s}"
        lines.append(f"  {key:26s} {_ms(value)} {pct_tg} {_ms(other)} {pct_th} {_ratio(value, other)}")
    overhead = [f"tinygan {tg['instrumented_total'] / tg['plain']['median'] - 1:+.0%}"]
    if th is not None:
        overhead.append(f"torch {th['instrumented_total'] / th['plain']['median'] - 1:+.0%}")
    lines.append("  instrumentation overhead (instrumented / plain - 1): " + ", ".join(overhead))
    plain = "; ".join(
        f"{n} IQR {s['plain']['q1']:.1f}-{s['plain']['q3']:.1f}, instrumented samples "
        + ", ".join(f"{t:.1f}" for t in s["instrumented_samples"])
        for n, s in fw.items()
    )
    lines.append(f"  spread: {plain}")
    lines.append("  machine: " + ", ".join(f"{k}={v}" for k, v in info.items()))
    if "torch_profiler" in report:
        lines += ["", "  torch.profiler, two plain iterations, top 15 by self CPU time:", report["torch_profiler"]]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", choices=["w2", "w3", "both"], default="both")
    parser.add_argument("--iters", type=int, default=3, help="instrumented iterations averaged (default 3)")
    parser.add_argument("--plain", type=int, default=5, help="plain iterations each, for the median (default 5)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed iterations first (default 2)")
    parser.add_argument("--threads", type=int, default=2, help="PyTorch's threads and NumPy's BLAS threads (default 2)")
    parser.add_argument("--torch-profiler", action="store_true", help="also print torch.profiler's top-15 op table")
    parser.add_argument("--json", type=Path, help="also write everything to this JSON file")
    args = parser.parse_args(argv)
    if args.iters < 1 or args.plain < 1:
        parser.error("--iters and --plain must be at least 1")
    names = ["w2", "w3"] if args.workload == "both" else [args.workload]

    torch = optional_torch()
    limits = both_on_threads(torch, args.threads, "profiling tinygan alone")

    report: dict[str, Any] = {"settings": vars(args) | {"json": str(args.json) if args.json else None}}
    with limits:
        for name in names:
            result = profile_workload(torch, WORKLOADS[name], args)
            result["machine"] = info = machine_info(torch)
            print(format_report(result, info), end="\n\n", flush=True)
            report[name] = result
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
