"""Module and Parameter: the containers that hold a network's weights and state.

As in PyTorch, assigning a ``Parameter`` or a ``Module`` as an attribute registers it, so
``parameters()`` and ``state_dict()`` find every weight by walking the attribute tree, with
keys like ``"main.0.weight"`` that match PyTorch's for the same architecture.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from tinygan import backend
from tinygan.tensor import Tensor


class Parameter(Tensor):
    """A tensor that is a learnable weight of a Module (``requires_grad=True`` by default)."""

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        super().__init__(data.data if isinstance(data, Tensor) else data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of every layer and network: override ``forward``; call the module itself."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"call Module.__init__() in {type(self).__name__}.__init__ before assigning {name!r}")
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def register_buffer(self, name: str, tensor: Tensor | None) -> None:
        """State that is saved in ``state_dict`` but not trained (e.g. batch-norm running stats)."""
        object.__setattr__(self, name, tensor)
        self._buffers[name] = tensor

    def _set_buffer(self, name: str, tensor: Tensor) -> None:
        object.__setattr__(self, name, tensor)
        self._buffers[name] = tensor

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # --- walking the tree
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from self._modules.items()

    def children(self) -> Iterator[Module]:
        yield from self._modules.values()

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        seen: set[int] = set()
        for prefix, module in self.named_modules():
            for name, p in module._parameters.items():
                if id(p) not in seen:  # a shared weight is listed once
                    seen.add(id(p))
                    yield (f"{prefix}.{name}" if prefix else name), p

    def parameters(self) -> Iterator[Parameter]:
        for _, p in self.named_parameters():
            yield p

    def named_buffers(self) -> Iterator[tuple[str, Tensor]]:
        for prefix, module in self.named_modules():
            for name, b in module._buffers.items():
                if b is not None:
                    yield (f"{prefix}.{name}" if prefix else name), b

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every submodule and then on this module (e.g. for weight init)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # --- modes, gradients, devices
    def train(self, mode: bool = True) -> Module:
        """Training mode: dropout drops and batch norm uses (and updates) batch statistics."""
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: dropout is the identity and batch norm uses its running statistics."""
        return self.train(False)

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    def to(self, device: str) -> Module:
        """Move every parameter and buffer to ``device`` in place (the objects stay the same,
        so an optimizer built on them keeps working)."""
        for p in self.parameters():
            p.data = backend.to_device(p.data, device)
            if p.grad is not None:
                p.grad = Tensor(backend.to_device(p.grad.data, device))
        for _, b in self.named_buffers():
            b.data = backend.to_device(b.data, device)
        return self

    # --- saving and loading
    def state_dict(self) -> OrderedDict[str, Tensor]:
        """Parameters and buffers by dotted name, in registration order (PyTorch's keys)."""
        state: OrderedDict[str, Tensor] = OrderedDict()
        for prefix, module in self.named_modules():
            for name, t in list(module._parameters.items()) + list(module._buffers.items()):
                if t is not None:
                    state[f"{prefix}.{name}" if prefix else name] = t.detach()
        return state

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> None:
        """Copy values into this module's parameters and buffers (on their current device).

        Values may be tensors or arrays. With ``strict``, missing and unexpected keys are an
        error; a shape mismatch always is. Everything is checked before anything is copied.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict needs a dict of arrays by name, got {type(state_dict).__name__}")
        own = self.state_dict()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            raise KeyError(f"load_state_dict: missing keys {missing}, unexpected keys {unexpected}")
        updates = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            try:
                value = np.asarray(backend.to_device(value.data if isinstance(value, Tensor) else value, "cpu"))
            except (ValueError, TypeError) as e:
                raise TypeError(f"load_state_dict: {key} is not an array ({type(e).__name__}: {e})") from None
            if value.dtype.kind not in "biuf":
                raise TypeError(f"load_state_dict: {key} holds {value.dtype} values, not numbers")
            if tuple(value.shape) != tuple(target.shape):
                raise ValueError(
                    f"load_state_dict: {key} has shape {tuple(value.shape)}, the module expects {target.shape}"
                )
            updates.append((key, value))
        tensors = {**dict(self.named_parameters()), **dict(self.named_buffers())}
        for key, value in updates:
            t = tensors[key]
            t.data = backend.to_device(value.astype(t.dtype, copy=True), t.device)

    def __repr__(self) -> str:
        lines = [f"({name}): " + repr(child).replace("\n", "\n  ") for name, child in self._modules.items()]
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"

    def extra_repr(self) -> str:
        return ""
