"""Layout helpers shared by the CPU and CUDA kernels: arrays in the layout they come in, NumPy's or CuPy's.

An activation runs over its input's values in the order they lie in memory, and writes its
output in that same layout. A convolution's output is the batch-major view of a channel-major
array (``tinygan.functional.conv``): reading it in memory order streams through it, and
writing the result in that order keeps it channel-major for the next convolution.
"""

from __future__ import annotations

from typing import Any

from tinygan.backend import get_array_module


def _memory_order(a: Any) -> Any:
    """``a`` with its axes in the order they lie in memory, if that is C-contiguous (``a`` is
    batch-major or channel-major and has no gaps); else None."""
    if a.flags.c_contiguous:
        return a
    swapped = a.swapaxes(0, 1) if a.ndim > 1 else a
    return swapped if swapped.flags.c_contiguous else None


def dense(a: Any) -> Any:
    """``a`` itself if its values lie together, batch-major or channel-major; else a contiguous copy."""
    return a if _memory_order(a) is not None else get_array_module(a).ascontiguousarray(a)


def flat(a: Any) -> Any:
    """A ``dense`` array's values as a 1-D view, in memory order."""
    return _memory_order(a).reshape(-1)


def empty_like(a: Any) -> Any:
    """A new array of the ``dense`` array ``a``'s shape and dtype, laid out as ``a`` is, so that
    ``flat`` lists the two in the same order."""
    order = _memory_order(a)
    out = get_array_module(a).empty(order.shape, dtype=a.dtype)
    return out if order is a else out.swapaxes(0, 1)


def like(a: Any, other: Any) -> Any:
    """``a``'s values in the layout of the ``dense`` array ``other`` (of the same shape): ``a``
    itself when it already is, else a copy, so that ``flat`` lists both in the same order."""
    if a.strides == other.strides and a.shape == other.shape:
        return a
    out = empty_like(other)
    out[...] = a
    return out


def checked_out(op: str, out: Any, shape: tuple[int, ...], dtype: Any) -> Any:
    """``out``, the array a kernel is to write ``op``'s result into, if it has ``shape`` and
    ``dtype`` and its channels (axis 0) do not overlap; else a ValueError naming the problem."""
    apart = shape[0] <= 1 or out.size == 0 or out.strides[0] >= out[0].nbytes
    if out.shape != shape or out.dtype != dtype or not apart:
        raise ValueError(f"{op}: out must be a {dtype} array of shape {shape} whose channels do not "
                         f"overlap, got {out.dtype} {out.shape} with strides {out.strides}")
    return out
