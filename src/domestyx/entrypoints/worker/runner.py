"""Runs Dramatiq worker threads in this process, with a heartbeat ticker."""

from __future__ import annotations

import logging
import threading
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
    ) -> None:
        self._broker = broker
        self._worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=200)
        self._check = heartbeat_check
        self._every = heartbeat_every_s
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def start(self) -> None:
        """Start consuming; the heartbeat goes through the broker so it proves jobs run."""
        self._worker.start()
        if self._check:
            self._ticker = threading.Thread(target=self._tick, name="heartbeat", daemon=True)
            self._ticker.start()
        log.info("worker started", extra={"threads": self._worker.worker_threads})

    def _tick(self) -> None:
        actor: Any = self._broker.get_actor(Job.HEARTBEAT)
        while not self._stop.is_set():
            try:
                actor.send(self._check)
            except Exception:  # a broker blip must not kill the ticker; the missed ping alerts
                log.exception("could not enqueue the heartbeat")
            self._stop.wait(self._every)

    def stop(self, timeout_ms: int = 10_000) -> None:
        """Finish in-flight jobs (up to the timeout) and stop."""
        self._stop.set()
        self._worker.stop(timeout=timeout_ms)
        log.info("worker stopped")
