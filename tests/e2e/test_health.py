"""Issue 13: /health/ready tells the public only ok/failing, caches probes for a second."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import attrs
import pytest

from domestyx.entrypoints.health import ReadinessProbe, may_see_details
from tests.support.app import build_services, embedded_settings
from tests.support.live_server import live_server

TOKEN = "health-" + "d" * 40


class CountingProbe:
    """A dependency probe that counts its calls; it can be told to fail with internals."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.calls = 0
        self.failing = False
        self.delay_s = delay_s
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            self.calls += 1
        time.sleep(self.delay_s)
        if self.failing:
            raise ConnectionError("db-internal-7.example.net:3306 refused (user avnadmin)")
        return "ok, 10.0.3.7:6379"


@pytest.fixture
def probes() -> dict[str, CountingProbe]:
    return {"database": CountingProbe(delay_s=0.2), "redis": CountingProbe()}


@pytest.fixture
def server(tmp_path: Path, probes: dict[str, CountingProbe]) -> Any:
    services = build_services(embedded_settings(tmp_path, HEALTH_DETAIL_TOKEN=TOKEN))
    with live_server(attrs.evolve(services, health=probes)) as client:
        yield client.http


def test_a_flood_costs_one_probe_per_dependency_per_second(
    server: Any, probes: dict[str, CountingProbe]
) -> None:
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda _: server.get("/health/ready"), range(64)))
    assert {a.status_code for a in answers} == {200}
    assert [p.calls for p in probes.values()] == [1, 1]
    time.sleep(1.1)
    assert server.get("/health/ready").status_code == 200
    assert [p.calls for p in probes.values()] == [2, 2]


def test_the_public_sees_only_ok_or_failing(server: Any, probes: dict[str, CountingProbe]) -> None:
    probes["database"].failing = True
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        response = server.get("/health/ready", headers=headers)
        assert response.status_code == 503
        assert response.json() == {
            "status": "unavailable",
            "checks": {"database": {"status": "failing"}, "redis": {"status": "ok"}},
        }
        for internal in ("example.net", "10.0.3.7", "avnadmin", "latency", "ConnectionError"):
            assert internal not in response.text


def test_the_detail_token_shows_details(server: Any, probes: dict[str, CountingProbe]) -> None:
    probes["database"].failing = True
    response = server.get("/health/ready", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["status"] == "failing"
    assert "refused" in checks["database"]["detail"]
    assert checks["redis"]["detail"] == "ok, 10.0.3.7:6379" and "latency_ms" in checks["redis"]


def test_live_touches_no_dependency(server: Any, probes: dict[str, CountingProbe]) -> None:
    for _ in range(20):
        assert server.get("/health/live").json() == {"status": "ok"}
    assert [p.calls for p in probes.values()] == [0, 0]


def test_a_failure_is_seen_once_the_second_is_over() -> None:
    probe, clock = CountingProbe(), [0.0]
    readiness = ReadinessProbe({"redis": probe}, now=lambda: clock[0])
    assert readiness.results()["redis"]["status"] == "ok"
    probe.failing = True
    clock[0] = 0.9
    assert readiness.results()["redis"]["status"] == "ok" and probe.calls == 1
    clock[0] = 1.2
    assert readiness.results()["redis"]["status"] == "failing" and probe.calls == 2


@pytest.mark.parametrize(
    ("token", "header", "allowed"),
    [
        (TOKEN, f"Bearer {TOKEN}", True),
        (TOKEN, f"bearer {TOKEN}", True),
        (TOKEN, f"Bearer {TOKEN}x", False),
        (TOKEN, TOKEN, False),
        (TOKEN, "Bearer ", False),
        (None, "Bearer ", False),
        ("", "Bearer ", False),
        (TOKEN, "Bearer " + TOKEN.upper(), False),
    ],
)
def test_who_may_see_details(token: str | None, header: str, allowed: bool) -> None:
    assert may_see_details(token, header) is allowed
