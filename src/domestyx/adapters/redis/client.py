"""A fail-fast Redis client and the translation of outages into a domain error."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from domestyx.domain.model.errors import DependencyUnavailable

T = TypeVar("T")


def connect(url: str, *, timeout_s: float = 1.0) -> redis.Redis:
    """No retry storm: a dead Redis fails in about `timeout_s`, not the default ~4 s."""
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=30,
        decode_responses=True,
    )


@contextmanager
def outage_as_unavailable() -> Iterator[None]:
    """Redis errors become DependencyUnavailable so protected endpoints fail closed with 503."""
    try:
        yield
    except redis.RedisError as exc:
        raise DependencyUnavailable(
            "the rate-limit and code store is unavailable", dependency="redis"
        ) from exc


def run_script(script: Callable[..., Any], keys: list[str], args: list[Any]) -> Any:
    """Run a registered Lua script (EVALSHA, falling back to EVAL) under the outage mapping."""
    with outage_as_unavailable():
        return script(keys=keys, args=args)
