"""Progress of a long step on the terminal: a bar per step, and one line when it ends.

The ledger reports a long migration step as ``progress(what, done, total)``
(:mod:`console.ledger._schema`); :class:`ProgressBar` is that callback for the
commands that open a ledger — ``merchant-console migrate``, ``run`` (before it starts
anything else) and the console server. The bar is click's (click comes with
Streamlit): on a terminal it redraws in place with a percentage and the time left; in
a log it prints the step's name once. Either way a line says when the step ended.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

import click


class ProgressBar:
    """A ``progress(what, done, total)`` callback that draws on ``file`` (stderr)."""

    def __init__(self, prefix: str, *, file: TextIO | None = None) -> None:
        self.prefix = prefix
        self.file = file or sys.stderr
        self._bar: Any = None
        self._what = ""
        self._done = 0
        self._total = 0
        self._started = 0.0

    def __call__(self, what: str, done: int, total: int) -> None:
        if what != self._what:
            self.close()
            self._what = what
            if total <= 0:
                return  # nothing to read (a new ledger): nothing to show
            self._done, self._total = 0, total
            self._started = time.monotonic()
            self._bar = click.progressbar(
                length=total,
                label=f"{self.prefix}{what}",
                file=self.file,
                show_pos=True,
                show_percent=True,
            )
            self._bar.__enter__()
        if self._bar is None:
            return  # this step has ended (or had nothing to read)
        self._bar.update(done - self._done)
        self._done = done
        if done >= self._total:
            self.close()

    def close(self) -> None:
        """End the bar that is drawing, if any, with its one-line summary."""
        if self._bar is None:
            return
        self._bar.__exit__(None, None, None)
        seconds = time.monotonic() - self._started
        print(
            f"{self.prefix}{self._what}: {self._done:,} rows in {seconds:.1f} s",
            file=self.file,
            flush=True,
        )
        self._bar = None
