"""DramatiqTaskQueue: enqueue a named actor with id arguments."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker

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
        self._send(job, ids)

    def enqueue_after(self, delay: timedelta, job: Job, **ids: str) -> None:
        """The same, held in the broker's delay queue for `delay` first."""
        self._send(job, ids, delay=max(0, int(delay.total_seconds() * 1000)))

    def _send(self, job: Job, ids: dict[str, str], **options: Any) -> None:
        actor = self._broker.get_actor(job.value)
        try:
            request_id = self._request_id() if self._request_id else None
            if request_id:
                options["request_id"] = request_id
            actor.send_with_options(kwargs=ids, **options)
        except (redis.RedisError, dramatiq.errors.ConnectionError) as exc:
            raise DependencyUnavailable(
                "the job queue is unavailable", dependency="broker"
            ) from exc

    def held_ids(self, job: Job, key: str) -> frozenset[str] | None:
        """Scan the Redis broker's message hashes (queue and delay queue, acked or not)."""
        if not isinstance(self._broker, RedisBroker):
            return None  # the in-process stub keeps no inspectable state
        queue = self._broker.get_actor(job.value).queue_name
        found: set[str] = set()
        try:
            for body in self._bodies(queue):
                message = json.loads(body)
                if message.get("actor_name") == job.value and key in message.get("kwargs", {}):
                    found.add(str(message["kwargs"][key]))
        except redis.RedisError as exc:
            raise DependencyUnavailable(
                "the job queue is unavailable", dependency="broker"
            ) from exc
        return frozenset(found)

    def _bodies(self, queue: str) -> Iterator[bytes]:
        client: redis.Redis = self._broker.client  # type: ignore[attr-defined]  # untyped lib
        namespace: str = self._broker.namespace  # type: ignore[attr-defined]  # untyped lib
        # Delay queue first: a message moving from it to the queue is then seen in one of them.
        for name in (f"{queue}.DQ", queue):
            for _, body in client.hscan_iter(f"{namespace}:{name}.msgs", count=500):
                yield body
