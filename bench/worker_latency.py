"""Enqueue -> provider stub latency: deliveries.created_at against the stubs' arrival times."""

from __future__ import annotations

import statistics
import subprocess
import time
from datetime import UTC, datetime

import attrs
from sqlalchemy import select
from tests.support.services import wait_until
from tests.support.stack import WorkerProcess

from bench.server import domestyx_command
from bench.stack import ROOT, BenchStack
from domestyx.adapters.sql import tables as t
from domestyx.entrypoints.services import Services


class BenchWorker(WorkerProcess):
    """`domestyx worker` with the production default thread count (WORKER_THREADS)."""

    def start(self) -> BenchWorker:
        """Like the e2e helper, without pinning --threads."""
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            domestyx_command("worker"), env=self.env, cwd=ROOT,
            stdout=self._log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        if not wait_until(lambda: b"worker started" in self.log_path.read_bytes(), timeout=30):
            raise RuntimeError("worker did not start: " + self.log_path.read_text()[-2000:])
        return self


@attrs.frozen
class Latency:
    """Milliseconds from the outbox row to the provider's front door."""

    delivered: int
    queued: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    channels: dict[str, int]


def _percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1]


def delivery_latency(
    stack: BenchStack, services: Services, since: datetime, *, drain_s: float = 60
) -> Latency:
    """Deliveries created after `since`, paired with their arrival at the Resend/Twilio stub."""
    d = t.deliveries
    query = select(d.c.id, d.c.channel, d.c.destination, d.c.created_at, d.c.status).where(
        d.c.created_at >= since
    )

    def rows() -> list[tuple[str, str, str, datetime, str]]:
        with services.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(query)]  # type: ignore[misc]

    wait_until(lambda: all(r[4] != "queued" and r[4] != "sending" for r in rows()), drain_s, 0.5)
    time.sleep(0.5)
    latencies, channels, queued = [], {"email": 0, "sms": 0}, 0
    for delivery_id, channel, destination, created_at, status in rows():
        arrivals = stack.resend.arrivals if channel == "email" else stack.twilio.arrivals
        arrived = arrivals.get(delivery_id if channel == "email" else destination)
        if arrived is None:
            queued += status in ("queued", "sending")
            continue
        created = (created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)).timestamp()
        latencies.append((arrived - created) * 1000)
        channels[channel] += 1
    latencies.sort()
    return Latency(
        delivered=len(latencies),
        queued=queued,
        p50_ms=_percentile(latencies, 50) if latencies else float("nan"),
        p99_ms=_percentile(latencies, 99) if latencies else float("nan"),
        max_ms=latencies[-1] if latencies else float("nan"),
        channels=channels,
    )
