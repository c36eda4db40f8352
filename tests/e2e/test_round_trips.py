"""Redis round trips, SQL statements and pool checkouts per operation, on MariaDB + Redis.

Counted in-process (adapters/sql/counting.py, adapters/redis/counting.py): SQLAlchemy events
and a counting redis-py connection on the app's own client. Counts are deterministic, so they
are asserted; the embedded worker's threads (delivering the codes) are left out of them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
import litestar.utils.sync
import pytest
import redis

from domestyx.adapters.redis.client import connect
from domestyx.adapters.redis.counting import RoundTrips, count_round_trips
from domestyx.adapters.sql.counting import StatementCounter
from domestyx.entrypoints.services import Services
from tests.support.app import (
    DUMMY_TOKEN,
    PASSWORD,
    build_services,
    embedded_settings,
    http_client,
    latest_code,
    register_pending,
)
from tests.support.callers import Caller, staff, submit_for_review, verified_worker
from tests.support.services import require_redis, scratch_mariadb_database

VERIFY = "/api/v1/auth/otp/verify"


def _request_thread() -> bool:
    """Not one of the embedded worker's threads (they deliver codes in the background)."""
    return not type(threading.current_thread()).__module__.startswith("dramatiq")


@dataclass
class World:
    """The app on MariaDB + Redis, with both counters attached."""

    client: Any
    services: Services
    sql: StatementCounter
    trips: RoundTrips
    redis: redis.Redis

    def forget_limits(self, operation: str) -> None:
        """Reset an operation's rate limits (the tests share one client address)."""
        for key in self.redis.scan_iter(f"dx:rl:{operation}:*"):
            self.redis.delete(key)

    def measure(self, method: str, path: str, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        """One request; its response and what it cost."""
        self.sql.reset()
        self.trips.reset()
        response = self.client.request(method, path, **kwargs)
        sql, trips = self.sql.snapshot(), self.trips.snapshot()
        which = sql.pop("which")
        return response, {
            **sql,
            "sql": which,
            "round_trips": trips["round_trips"],
            "redis": trips["which"],
        }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One app for the module: counting starts once the schema is migrated."""
    url = require_redis()
    client = connect(url)
    client.flushdb()
    trips = count_round_trips(client, where=_request_thread)
    tmp: Path = tmp_path_factory.mktemp("counts")
    with scratch_mariadb_database() as db_url:
        settings = embedded_settings(tmp, DATABASE_URL=db_url, REDIS_URL=url)
        services = build_services(settings, overrides={redis.Redis: client})
        sql = StatementCounter.attach(services.engine, where=_request_thread)
        with http_client(services, embedded_worker=True) as http:
            yield World(http, services, sql, trips, client)
        sql.detach()
        services.engine.dispose()
    client.flushdb()
    client.close()


def _pending(world: World, email: str, phone: str) -> None:
    register_pending(world.client, world.services, email, phone)


def _verify_body(email: str, code: str) -> dict[str, str]:
    return {"channel": "email", "destination": email, "purpose": "verify_email", "code": code}


def test_otp_verify_correct_code_is_two_round_trips_and_locks_no_row_across_redis(
    world: World,
) -> None:
    _pending(world, "right@example.com", "+447700900101")
    code = latest_code(world.services, "right@example.com")
    response, cost = world.measure("POST", VERIFY, json=_verify_body("right@example.com", code))
    assert response.status_code == 200, response.text
    assert cost["round_trips"] == 2, cost
    assert cost["redis"] == {"EVALSHA": 2}, cost
    # Read without a lock, the code checked in Redis, and only then the row locked and written.
    # No savepoint: the locked row keeps its email and phone, so no unique constraint can fail.
    assert cost["sql"] == {
        "SELECT accounts": 1,
        "SELECT accounts FOR UPDATE": 1,
        "UPDATE accounts": 1,
        "INSERT audit_events": 1,
    }, cost
    assert (cost["checkouts"], cost["commits"]) == (1, 1), cost


def test_otp_verify_wrong_code_is_two_round_trips(world: World) -> None:
    _pending(world, "wrong@example.com", "+447700900102")
    code = latest_code(world.services, "wrong@example.com")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response, cost = world.measure("POST", VERIFY, json=_verify_body("wrong@example.com", wrong))
    assert response.status_code == 400, response.text
    assert (cost["round_trips"], cost["statements"], cost["checkouts"]) == (2, 2, 1), cost
    assert "SELECT accounts FOR UPDATE" not in cost["sql"], cost


def test_otp_verify_refused_by_its_rate_limit_costs_no_extra_round_trip(world: World) -> None:
    body = _verify_body("nobody@example.com", "123456")
    world.forget_limits("otp_verify")
    try:
        for _ in range(60):  # otp_verify.ip: 60 per 10 minutes
            world.client.post(VERIFY, json=body)
        response, cost = world.measure("POST", VERIFY, json=body)
    finally:
        world.forget_limits("otp_verify")
    assert response.status_code == 429, response.text
    assert cost["round_trips"] == 1, cost


def test_the_reviewer_queue_is_two_statements_whatever_its_size(world: World) -> None:
    reviewer = staff(world.client, world.services, "rev@example.com", "+447700900190")
    workers = [
        verified_worker(world.client, world.services, f"w{n}@example.com", f"+4477009002{n:02d}")
        for n in range(3)
    ]
    costs = []
    for worker in workers:
        submit_for_review(world.client, worker)
        response, cost = world.measure(
            "GET", "/api/v1/admin/verifications", headers=reviewer.headers
        )
        assert response.status_code == 200, response.text
        costs.append(cost["statements"])
    assert len(response.json()) >= 3
    # The caller's session, the page, its documents: the same for 1, 2 or 3 waiting.
    assert costs == [3, 3, 3], costs


def _worker(world: World, n: int) -> Caller:
    return verified_worker(world.client, world.services, f"c{n}@example.com", f"+4477009003{n:02d}")


def test_authenticated_reads_check_out_one_connection(world: World) -> None:
    worker = _worker(world, 1)
    for path in ("/api/v1/me", "/api/v1/documents"):
        response, cost = world.measure("GET", path, headers=worker.headers)
        assert response.status_code == 200, response.text
        # /documents: the caller's session, then the handler's reads; one checkout either way.
        assert cost["checkouts"] == 1, (path, cost)
        assert cost["round_trips"] == 0, (path, cost)


def test_get_me_is_one_statement(world: World) -> None:
    worker = _worker(world, 4)
    response, cost = world.measure("GET", "/api/v1/me", headers=worker.headers)
    assert response.status_code == 200, response.text
    # The session's liveness, the account and its TOTP enrolment: one join, one checkout.
    assert (cost["statements"], cost["checkouts"], cost["commits"]) == (1, 1, 0), cost
    assert cost["sql"] == {"SELECT sessions": 1}, (
        cost
    )  # FROM sessions JOIN accounts LEFT JOIN mfa_totp


def test_get_me_is_one_thread_offload(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    worker = _worker(world, 5)
    handlers: list[Any] = []
    releases: list[Any] = []
    offload, run_sync = litestar.utils.sync.sync_to_thread, anyio.to_thread.run_sync

    def count_handler(fn: Any, *args: Any, **kwargs: Any) -> Any:
        handlers.append(fn)
        return offload(fn, *args, **kwargs)

    def count_release(fn: Any, *args: Any, **kwargs: Any) -> Any:
        releases.append(fn)
        return run_sync(fn, *args, **kwargs)

    monkeypatch.setattr(litestar.utils.sync, "sync_to_thread", count_handler)
    monkeypatch.setattr(anyio.to_thread, "run_sync", count_release)
    assert world.client.get("/api/v1/me", headers=worker.headers).status_code == 200
    # The handler only: no `principal` dependency, and the connection goes back in its thread.
    assert (len(handlers), releases) == (1, []), (handlers, releases)
    assert world.client.get("/api/v1/documents", headers=worker.headers).status_code == 200
    assert (len(handlers), len(releases)) == (3, 1), (handlers, releases)  # the control


def test_login_is_one_round_trip_and_one_checkout(world: World) -> None:
    worker = _worker(world, 2)  # signed in once already: this network is the owner's
    world.forget_limits("login")
    body = {"email": worker.email, "password": PASSWORD, "turnstile_token": DUMMY_TOKEN}
    response, cost = world.measure("POST", "/api/v1/auth/login", json=body)
    assert response.status_code == 200, response.text
    # The login limits with the account's, the network's and the known-network tallies.
    assert (cost["round_trips"], cost["redis"]) == (1, {"EVALSHA": 1}), cost
    assert cost["checkouts"] == 1, cost


def test_a_rate_limited_login_is_one_round_trip(world: World) -> None:
    world.forget_limits("login")

    def body(n: int) -> dict[str, str]:  # a new identifier each time: no lockout, only the limit
        return {"email": f"ghost{n}@example.com", "password": "x" * 12, "turnstile_token": "t"}

    try:
        for n in range(30):  # login.ip: 30 per 10 minutes
            world.client.post("/api/v1/auth/login", json=body(n))
        response, cost = world.measure("POST", "/api/v1/auth/login", json=body(99))
    finally:
        world.forget_limits("login")
    assert response.status_code == 429, response.text
    assert response.json()["type"].endswith("/rate-limited"), response.text
    assert cost["round_trips"] == 1, cost


def test_register_reads_email_and_phone_in_one_select(world: World) -> None:
    world.forget_limits("register")
    body = {
        "email": "fresh@example.com",
        "phone": "+447700900401",
        "password": PASSWORD,
        "role": "worker",
        "turnstile_token": DUMMY_TOKEN,
    }
    response, cost = world.measure("POST", "/api/v1/auth/register", json=body)
    assert response.status_code == 202, response.text
    assert cost["sql"]["SELECT accounts FOR UPDATE"] == 1, cost
    assert "SELECT accounts" not in cost["sql"], cost
    assert cost["checkouts"] == 1, cost


def _send(destination: str) -> dict[str, str]:
    return {
        "channel": "email",
        "destination": destination,
        "purpose": "login",
        "turnstile_token": DUMMY_TOKEN,
    }


def test_otp_send_is_two_round_trips_and_a_resend_too_soon_one(world: World) -> None:
    worker = _worker(world, 3)
    world.forget_limits("otp_send")
    for destination in ("unknown@example.com", worker.email):
        response, cost = world.measure("POST", "/api/v1/auth/otp/send", json=_send(destination))
        assert response.status_code == 202, response.text
        # The cooldown peek with the limits, then the issue (the job goes on the broker's own
        # connection, not counted here).
        assert (cost["round_trips"], cost["redis"]) == (2, {"EVALSHA": 2}), (destination, cost)
        assert cost["checkouts"] == 1, cost
        again, cost = world.measure("POST", "/api/v1/auth/otp/send", json=_send(destination))
        assert again.status_code == 429, again.text
        assert cost["round_trips"] == 1, cost
