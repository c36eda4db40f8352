"""Progress bars for long commands: on a terminal only, never with --json, never on stdout.

`rich` draws them on stderr and clears them when done (transient), so stdout keeps only the
summary or the JSON and a cron log (no terminal) stays free of redraw noise.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol


class StepProgress(Protocol):
    """What long operations call: `step` (a table, a phase) reached `done` of `total`."""

    def __call__(self, step: str, done: int, total: int) -> None:
        """Report progress."""
        ...


def silent(step: str, done: int, total: int) -> None:
    """Progress nobody watches."""


class _Bar:
    """One rich task updated in place; `batch` takes objects with step/done/total attributes."""

    def __init__(self, progress: Any, label: str) -> None:
        self._progress = progress
        self._label = label
        self._task = progress.add_task(label, total=None)

    def __call__(self, step: str, done: int, total: int) -> None:
        self._progress.update(
            self._task, completed=done, total=total or None, description=f"{self._label} {step}"
        )

    def batch(self, report: Any) -> None:
        """The same from a batch report (`.step`, `.done`, `.total`)."""
        self(str(report.step), int(report.done), int(report.total))


def wants_bar(as_json: bool) -> bool:
    """A terminal to draw on, and a person rather than a script reading."""
    return not as_json and sys.stderr.isatty()


@contextmanager
def progress_bar(label: str, *, enabled: bool) -> Iterator[StepProgress]:
    """A bar for the duration of the block (or a silent callback when not enabled)."""
    if not enabled:
        yield silent
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        yield _Bar(progress, label)
