"""Background jobs, named in domain words and carrying ids only."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from domestyx.domain.model.jobs import Job


@runtime_checkable
class TaskQueue(Protocol):
    """Schedules a job to run once, soon, with retries."""

    def enqueue(self, job: Job, **ids: str) -> None:
        """Queue `job` with identifier arguments."""
        ...
