"""The training loop's progress bar: tqdm when it is installed, a plain fallback when not.

On a terminal it redraws one line on stderr in place: tqdm's bar when tqdm can be imported,
otherwise a line of the same information::

    1200/6000 [#####---------------]  20% 95.1 it/s ETA 0:00:50 | loss_d 1.123 loss_g 0.912

Anywhere else (a log file, CI) it prints that text as plain lines, one per tenth of the run,
so logs stay short and readable (tqdm there would write every redraw into the log).
"""

from __future__ import annotations

import datetime
import sys
import time
from collections.abc import Mapping
from typing import Any, TextIO


def _load_tqdm() -> Any:
    """tqdm's class, or None when tqdm is not installed (it is optional)."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm


def _format_value(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


class ProgressBar:
    """Progress of ``total`` steps: count, rate, time left and the latest metrics.

    Args:
        total: number of steps in the whole run.
        initial: steps already done (when resuming); the rate counts only new steps.
        stream: where to write (default: stderr at the time of each write).
        width: characters in the bar.
        min_interval: on a terminal, seconds between redraws.
        lines: when the stream is not a terminal, how many plain lines to print over the run.
    """

    def __init__(
        self,
        total: int,
        initial: int = 0,
        stream: TextIO | None = None,
        width: int = 20,
        min_interval: float = 0.1,
        lines: int = 10,
    ) -> None:
        if total < 1 or not 0 <= initial <= total:
            raise ValueError(f"ProgressBar needs total >= 1 and 0 <= initial <= total, got {total} and {initial}")
        self.total, self.n, self.start_n = total, initial, initial
        self._stream = stream
        self.width, self.min_interval = width, min_interval
        self.line_every = max(1, total // max(1, lines))
        self.metrics: dict[str, Any] = {}
        self.start_time = time.perf_counter()
        self._last_draw = 0.0
        self._drawn = False  # whether the terminal line currently shows the bar
        self._tqdm = None  # tqdm's bar, drawing on a terminal when tqdm is installed
        tqdm = _load_tqdm() if self.is_terminal else None
        if tqdm is not None:
            self._tqdm = tqdm(
                total=total, initial=initial, file=self.stream, mininterval=min_interval, dynamic_ncols=True,
                unit="step", leave=True,
            )  # fmt: skip

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    @property
    def is_terminal(self) -> bool:
        return bool(getattr(self.stream, "isatty", lambda: False)())

    def rate(self) -> float:
        """Steps per second since the bar started (0 before the first step)."""
        elapsed = time.perf_counter() - self.start_time
        return (self.n - self.start_n) / elapsed if elapsed > 0 else 0.0

    def text(self) -> str:
        """The progress line, without a newline."""
        filled = int(self.width * self.n / self.total)
        rate = self.rate()
        eta = str(datetime.timedelta(seconds=round((self.total - self.n) / rate))) if rate > 0 else "?"
        line = (
            f"{self.n:>{len(str(self.total))}}/{self.total} [{'#' * filled}{'-' * (self.width - filled)}] "
            f"{100 * self.n / self.total:3.0f}% {rate:.1f} it/s ETA {eta}"
        )
        if self.metrics:
            line += " | " + self._metrics_text()
        return line

    def _metrics_text(self) -> str:
        return " ".join(f"{k} {_format_value(v)}" for k, v in self.metrics.items())

    def update(self, n: int = 1, metrics: Mapping[str, Any] | None = None) -> None:
        """Advance by ``n`` steps and show ``metrics`` (e.g. the latest losses) on the line."""
        before, self.n = self.n, min(self.total, self.n + n)
        if metrics is not None:
            self.metrics = dict(metrics)
        if self._tqdm is not None:
            if metrics is not None:
                self._tqdm.set_postfix_str(self._metrics_text(), refresh=False)
            self._tqdm.update(self.n - before)
            return
        now = time.perf_counter()
        if self.is_terminal:
            if now - self._last_draw >= self.min_interval or self.n == self.total:
                self.stream.write("\r" + self.text() + "\033[K")  # \033[K clears what a longer line left
                self.stream.flush()
                self._last_draw, self._drawn = now, True
        elif self.n % self.line_every == 0 or self.n == self.total:
            print(self.text(), file=self.stream, flush=True)

    def write(self, message: str) -> None:
        """Print a line of text above the bar without garbling it."""
        if self._tqdm is not None:
            self._tqdm.write(message, file=self.stream)
            return
        if self._drawn:
            self.stream.write("\r\033[K")
            self._drawn = False
        print(message, file=self.stream, flush=True)
        self._last_draw = 0.0  # redraw the bar on the next update

    def close(self) -> None:
        """End the bar's line on a terminal."""
        if self._tqdm is not None:
            self._tqdm.close()
            return
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
