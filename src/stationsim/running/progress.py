"""Progress of long jobs: a bar on a terminal, plain lines elsewhere, nothing when quiet.

Every command that can take more than a few seconds (run, sweep, experiment,
sensitivity, discover, plot, report) reports through :class:`Progress`:

- on a terminal, a ``tqdm`` bar (done/total, rate, time left);
- otherwise (a log file, a notebook cell's captured stderr, CI) plain lines
  ``label: done/total (pct %, rate/s, about N s left)`` at the start, each
  time another 10 % is done, and at the end, however fast the job;
- nothing with ``enabled=False`` (the CLI's ``-q``).

``enabled=None`` means "the process default": :func:`set_default` (the CLI
sets it from ``-q`` for the whole command, so analyses deep inside a command
follow it without a parameter of their own); with no default, show progress.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any

#: Plain lines are written at every this share of the total.
LINE_STEP = 0.10

_DEFAULT: list[bool | None] = [None]
_FORCE: list[bool | None] = [None]


def set_default(enabled: bool | None) -> None:
    """Progress for ``Progress(enabled=None)`` from now on (None: shown)."""
    _DEFAULT[0] = enabled


@contextmanager
def forced(enabled: bool | None) -> Iterator[None]:
    """Within the block every :class:`Progress` follows ``enabled`` (None: as asked).

    For a command whose library code turns progress off on its own (the
    command-line's ``-q`` or its absence decides, not the library).
    """
    old = _FORCE[0]
    _FORCE[0] = enabled
    try:
        yield
    finally:
        _FORCE[0] = old


def resolve(enabled: bool | None) -> bool:
    """Whether progress is shown for ``enabled`` (forced, asked, default, else True)."""
    if _FORCE[0] is not None:
        return _FORCE[0]
    if enabled is not None:
        return enabled
    return _DEFAULT[0] if _DEFAULT[0] is not None else True


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _number(x: float) -> str:
    return f"{x:.0f}" if x >= 100 else f"{x:.3g}"


class Progress:
    """Progress of ``total`` units (runs, figures, sections ...).

    Use as a context manager, or call :meth:`close`; :meth:`update` adds done units.

    Parameters
    ----------
    total : int
        Units of the whole job.
    label : str
        What is done (``"css_vs_iss"``, ``"figures"``).
    unit : str
        Name of a unit (``"run"``, ``"figure"``).
    enabled : bool, optional
        False: silent; True: shown; None: :func:`resolve`.
    initial : int
        Units already done (a resumed job).
    stream : file, optional
        Where to write (default ``sys.stderr``).
    bar : bool, optional
        Force the bar (True) or the lines (False); default: a bar on a terminal.
    """

    def __init__(self, total: int, label: str = "", unit: str = "run", *,
                 enabled: bool | None = None, initial: int = 0, stream: IO[str] | None = None,
                 bar: bool | None = None) -> None:
        self.total = max(0, int(total))
        self.label = label
        self.unit = unit
        self.done = int(initial)
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = resolve(enabled)
        self._initial = self.done
        self._t0 = time.monotonic()
        self._closed = False
        self._bar: Any = None
        self._next_line = 0.0
        if not self.enabled:
            return
        if bar if bar is not None else _is_terminal(self.stream):
            from tqdm import tqdm

            self._bar = tqdm(total=self.total, initial=self.done, unit=unit,
                             desc=label or None, file=self.stream, smoothing=0.05,
                             dynamic_ncols=True)
        else:
            self._line()
            self._next_line = self._fraction() + LINE_STEP

    def _fraction(self) -> float:
        return self.done / self.total if self.total else 1.0

    def line(self) -> str:
        """The plain line for the current state: ``label: done/total (pct %, rate, left)``."""
        elapsed = time.monotonic() - self._t0
        new = self.done - self._initial
        parts = [f"{self._fraction():.0%}"]
        if new > 0 and elapsed > 0:
            rate = new / elapsed
            parts.append(f"{_number(rate)} {self.unit}s/s" if rate >= 1 else
                         f"{_number(1 / rate)} s/{self.unit}")
            left = (self.total - self.done) / rate
            parts.append("done" if self.done >= self.total else f"about {_duration(left)} left")
        elif self.done >= self.total:
            parts.append("done")
        head = f"{self.label}: " if self.label else ""
        return f"{head}{self.done}/{self.total} {self.unit}s ({', '.join(parts)})"

    def _line(self) -> None:
        print(self.line(), file=self.stream, flush=True)

    def update(self, n: int = 1) -> None:
        """``n`` more units done."""
        self.done += n
        if not self.enabled or self._closed:
            return
        if self._bar is not None:
            self._bar.update(n)
            return
        if self.done < self.total and self._fraction() + 1e-12 >= self._next_line:
            self._line()
            while self._next_line <= self._fraction() + 1e-12:
                self._next_line += LINE_STEP

    def close(self) -> None:
        """Finish: the bar closes; in plain mode the last line (once)."""
        if self._closed:
            return
        self._closed = True
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.close()
        else:
            self._line()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def track[T](items: Iterable[T], total: int, label: str = "", unit: str = "item", *,
          enabled: bool | None = None, stream: IO[str] | None = None) -> Iterator[T]:
    """Yield ``items``, counting each as done once the caller asks for the next."""
    with Progress(total, label, unit, enabled=enabled, stream=stream) as p:
        for item in items:
            yield item
            p.update(1)
