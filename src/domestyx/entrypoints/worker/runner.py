"""Runs Dramatiq worker threads in this process, with a heartbeat ticker."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import dramatiq

from domestyx.domain.model.jobs import Job

log = logging.getLogger("domestyx.worker")


class WorkerRunner:
    """The same actors and middleware for `domestyx worker` and the embedded default."""

    def __init__(
        self,
        broker: dramatiq.Broker,
        *,
        threads: int,
        heartbeat_check: str | None = None,
        heartbeat_every_s: float = 60.0,
        sweep: Callable[[], object] | None = None,
        sweep_every_s: float = 5.0,
    ) -> None:
        self._broker = broker
        self._worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=200)
        self._check = heartbeat_check
        self._every = heartbeat_every_s
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._sweep = sweep
        self._sweep_every = sweep_every_s

    def start(self) -> None:
        """Start consuming; the heartbeat goes through the broker so it proves jobs run."""
        self._worker.start()
        if self._check:
            self._ticker = threading.Thread(target=self._tick, name="heartbeat", daemon=True)
            self._ticker.start()
        if self._sweep is not None:
            threading.Thread(target=self._sweeper, name="sweeper", daemon=True).start()
        log.info("worker started", extra={"threads": self._worker.worker_threads})

    def _tick(self) -> None:
        actor: Any = self._broker.get_actor(Job.HEARTBEAT)
        while not self._stop.is_set():
            try:
                actor.send(self._check)
            except Exception:  # a broker blip must not kill the ticker; the missed ping alerts
                log.exception("could not enqueue the heartbeat")
            self._stop.wait(self._every)

    def _sweeper(self) -> None:
        assert self._sweep is not None  # noqa: S101 - only started with a sweep
        while not self._stop.wait(self._sweep_every):
            try:
                self._sweep()
            except Exception:  # an outage must not kill the sweeper; it retries next round
                log.exception("delivery sweep failed")

    def stop(self, timeout_ms: int = 10_000) -> None:
        """Finish in-flight jobs (up to the timeout) and stop."""
        self._stop.set()
        self._worker.stop(timeout=timeout_ms)
        log.info("worker stopped")
