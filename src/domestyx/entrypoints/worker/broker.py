"""Broker construction: Redis in production, an in-process stub for the embedded default."""

from __future__ import annotations

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from domestyx.entrypoints.settings import Settings


def _middleware() -> list[dramatiq.Middleware]:
    # Prometheus is left out on purpose (it forks an exposition server); retries are per actor.
    return [
        AgeLimit(),
        TimeLimit(),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(max_retries=5, min_backoff=1_000, max_backoff=300_000),
    ]


def make_broker(settings: Settings) -> dramatiq.Broker:
    """A new broker; the caller registers actors on it (no import-time global)."""
    if settings.redis.url is None:
        broker: dramatiq.Broker = StubBroker(middleware=_middleware())
        broker.emit_after("process_boot")
        return broker
    client = redis.Redis.from_url(settings.redis.url, socket_timeout=5, socket_connect_timeout=2)
    # A worker killed mid-job stops heartbeating; its unacked messages return to the queue after
    # `heartbeat_timeout`, which is why delivery is idempotent.
    return RedisBroker(  # type: ignore[no-untyped-call]
        client=client,
        namespace="domestyx",
        middleware=_middleware(),
        heartbeat_timeout=settings.worker.broker_requeue_after_ms,
        dead_message_ttl=7 * 24 * 3600 * 1000,
        # Per million fetches: how often a consumer sweeps dead workers' messages back (5 %).
        maintenance_chance=50_000,
    )
