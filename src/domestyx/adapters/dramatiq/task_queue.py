"""DramatiqTaskQueue: enqueue a named actor with id arguments."""

from __future__ import annotations

from collections.abc import Callable

import dramatiq
import redis

from domestyx.domain.model.errors import DependencyUnavailable
from domestyx.domain.model.jobs import Job


class DramatiqTaskQueue:
    """Messages carry ids only; the actor looks everything else up."""

    def __init__(
        self, broker: dramatiq.Broker, *, request_id: Callable[[], str | None] | None = None
    ) -> None:
        self._broker = broker
        # The request that caused a job travels with it, so its logs and reports can be joined.
        self._request_id = request_id

    def enqueue(self, job: Job, **ids: str) -> None:
        """Send to the actor named `job`; a broker outage is DependencyUnavailable."""
        actor = self._broker.get_actor(job.value)
        try:
            request_id = self._request_id() if self._request_id else None
            if request_id:
                actor.send_with_options(kwargs=ids, request_id=request_id)
            else:
                actor.send_with_options(kwargs=ids)
        except (redis.RedisError, dramatiq.errors.ConnectionError) as exc:
            raise DependencyUnavailable(
                "the job queue is unavailable", dependency="broker"
            ) from exc
