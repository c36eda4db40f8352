"""Background jobs, named in domain words and carrying ids only."""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol, runtime_checkable

from domestyx.domain.model.jobs import Job


@runtime_checkable
class TaskQueue(Protocol):
    """Schedules a job to run once, soon, with retries."""

    def enqueue(self, job: Job, **ids: str) -> None:
        """Queue `job` with identifier arguments."""
        ...

    def enqueue_after(self, delay: timedelta, job: Job, **ids: str) -> None:
        """Queue `job` to run no sooner than `delay` from now (a fresh job: no retry spent)."""
        ...

    def held_ids(self, job: Job, key: str) -> frozenset[str] | None:
        """Values of `key` over the jobs the broker still holds (waiting, delayed or running).

        None when this broker cannot tell, so a caller never mistakes "unknown" for "lost".
        """
        ...
