"""A task queue that records jobs, for domain tests."""

from __future__ import annotations

import threading
from datetime import timedelta

from domestyx.domain.model.errors import DependencyUnavailable
from domestyx.domain.model.jobs import Job


class RecordingTaskQueue:
    """Keeps jobs until a test runs them."""

    def __init__(self) -> None:
        self.jobs: list[tuple[Job, dict[str, str]]] = []
        self.down = False
        self.delays: list[timedelta] = []  # the delay of each enqueue_after, in order
        self._lock = threading.Lock()

    def enqueue(self, job: Job, **ids: str) -> None:
        """Record a job."""
        if self.down:
            raise DependencyUnavailable("the job queue is unavailable", dependency="broker")
        with self._lock:
            self.jobs.append((job, ids))

    def enqueue_after(self, delay: timedelta, job: Job, **ids: str) -> None:
        """Record a job and its delay (tests run it when they choose)."""
        self.enqueue(job, **ids)
        with self._lock:
            self.delays.append(delay)

    def held_ids(self, job: Job, key: str) -> frozenset[str] | None:
        """Ids of the recorded jobs not yet taken."""
        with self._lock:
            return frozenset(ids[key] for j, ids in self.jobs if j is job and key in ids)

    def lose_all(self) -> None:
        """Forget every job, as a broker that lost its data does."""
        with self._lock:
            self.jobs = []

    def take(self) -> list[tuple[Job, dict[str, str]]]:
        """Remove and return every queued job."""
        with self._lock:
            jobs, self.jobs = self.jobs, []
            return jobs
