"""DramatiqTaskQueue: enqueue a named actor with id arguments."""

from __future__ import annotations

import dramatiq
import redis

from domestyx.domain.errors import DependencyUnavailable


class DramatiqTaskQueue:
    """Messages carry ids only; the actor looks everything else up."""

    def __init__(self, broker: dramatiq.Broker) -> None:
        self._broker = broker

    def enqueue(self, job: str, **ids: str) -> None:
        """Send to the actor named `job`; a broker outage is DependencyUnavailable."""
        actor = self._broker.get_actor(job)
        try:
            actor.send_with_options(kwargs=ids)
        except (redis.RedisError, dramatiq.errors.ConnectionError) as exc:
            raise DependencyUnavailable(
                "the job queue is unavailable", dependency="broker"
            ) from exc
