"""Argument checks shared by the public API: sizes, hyperparameters, flags.

Each raises before any work is done, with PyTorch's exception type (TypeError for a value of
the wrong kind, ValueError for a number out of range) and a message naming the owner, the
argument, its value and what was expected. NaN and infinity are refused wherever a finite
number is needed: ``lr=float("nan")`` would otherwise turn every weight into NaN one step later.
"""

from __future__ import annotations

import math
import numbers
from typing import Any


def integer(owner: str, name: str, value: Any, minimum: int | None = 0) -> int:
    """An int (not a bool, not a float such as 3.0) that is at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be an int, got {type(value).__name__} {value!r}")
    if minimum is not None and value < minimum:
        expected = "positive" if minimum == 1 else "non-negative" if minimum == 0 else f">= {minimum}"
        raise ValueError(f"{owner}: {name} must be {expected}, got {value}")
    return int(value)


def real(
    owner: str,
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite real number in the interval from ``low`` to ``high`` (closed unless ``*_open``)."""
    number = float(number_like(owner, name, value))
    below = low is not None and (number <= low if low_open else number < low)
    above = high is not None and (number >= high if high_open else number > high)
    if not math.isfinite(number) or below or above:
        raise ValueError(f"{owner}: {name} must be {_interval(low, high, low_open, high_open)}, got {value}")
    return number


def number_like(owner: str, name: str, value: Any) -> Any:
    """``value`` itself if it is a real number (not a bool); any value, NaN and infinity included."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__} {value!r}")
    return value


def _interval(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if low is None and high is None:
        return "a finite number"
    if high is None:
        return f"a finite number {'>' if low_open else '>='} {low:g}"
    if low is None:
        return f"a finite number {'<' if high_open else '<='} {high:g}"
    return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def flag(owner: str, name: str, value: Any) -> bool:
    """A bool (``bias=None`` or ``bias="no"`` are mistakes, not False)."""
    if not isinstance(value, bool):
        raise TypeError(f"{owner}: {name} must be True or False, got {type(value).__name__} {value!r}")
    return value


def same_dtype(op: str, input: Any, weight: Any, bias: Any = None, hint: str = "") -> None:  # noqa: A002
    """Input, weight and bias (when given) of one dtype, as PyTorch's matrix products and
    convolutions require ("expected scalar type Float but found Double"); ``hint`` ends the message."""
    if input.dtype != weight.dtype or (bias is not None and bias.dtype != weight.dtype):
        dtypes = f"input {input.dtype}, weight {weight.dtype}" + (f", bias {bias.dtype}" if bias is not None else "")
        raise TypeError(f"{op}: input, weight and bias must have the same dtype, got {dtypes}{hint}")

