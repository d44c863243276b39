"""Layout helpers for the elementwise kernels: arrays in the layout they come in, NumPy's or CuPy's.

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
