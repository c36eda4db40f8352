"""Register, login, otp/send and password/forgot answer alike for known and unknown accounts."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from domestyx.domain.model.accounts import Role
from domestyx.domain.model.audit import ClientContext
from domestyx.entrypoints.services import Services
from tests.support.app import (
    DUMMY_TOKEN,
    PASSWORD,
    build_services,
    embedded_settings,
    http_client,
    rate_limits,
)

CALLS = 20
# Lifted so that 2 x 20 calls from one test client measure the answer, not the rate limiter.
LIFTED = (
    ("register.ip", "1000/1h"),
    ("login.ip", "1000/10m"),
    ("otp_send.ip", "1000/1h"),
)
Call = Callable[[int], Any]


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[TestClient[Any], Services]]:
    services = build_services(embedded_settings(tmp_path, RATE_LIMITS=rate_limits(LIFTED)))
    ctx = ClientContext(ip="192.0.2.1")
    for i in range(CALLS):  # the existing accounts: email proven, phone not yet
        services.accounts.register(
            _email(i), _phone(i), PASSWORD, Role.WORKER, ctx, token=DUMMY_TOKEN
        )
        with services.uow() as uow:
            account = uow.accounts.by_email(_email(i), for_update=True)
            assert account is not None
            account.verify_email(services.clock.now())
            uow.accounts.save(account)
            uow.commit()
    with http_client(services) as client:
        yield client, services


def _email(i: int, known: bool = True) -> str:
    return f"{'member' if known else 'stranger'}{i}@example.com"


def _phone(i: int, known: bool = True) -> str:
    return f"+4477009{i if known else 50_000 + i:05d}"


def _register(client: TestClient[Any], known: bool) -> Call:
    def call(i: int) -> Any:
        body = {
            "email": _email(i, known),
            "phone": _phone(i + 100, known=False),  # a fresh phone either way
            "password": PASSWORD,
            "role": "worker",
            "turnstile_token": DUMMY_TOKEN,
        }
        return client.post("/api/v1/auth/register", json=body)

    return call


def _login(client: TestClient[Any], known: bool) -> Call:
    def call(i: int) -> Any:
        body = {
            "email": _email(i, known),
            "password": "not the password",
            "turnstile_token": DUMMY_TOKEN,
        }
        return client.post("/api/v1/auth/login", json=body)

    return call


def _send(client: TestClient[Any], known: bool, channel: str) -> Call:
    def call(i: int) -> Any:
        body = {
            "channel": channel,
            "destination": _email(i, known) if channel == "email" else _phone(i, known),
            "purpose": "login" if channel == "email" else "verify_phone",
            "turnstile_token": DUMMY_TOKEN,
        }
        return client.post("/api/v1/auth/otp/send", json=body)

    return call


def _forgot(client: TestClient[Any], known: bool) -> Call:
    def call(i: int) -> Any:
        body = {"channel": "email", "destination": _email(i, known), "turnstile_token": DUMMY_TOKEN}
        return client.post("/api/v1/auth/password/forgot", json=body)

    return call


ENDPOINTS: dict[str, Callable[[TestClient[Any], bool], Call]] = {
    "register": _register,
    "login": _login,
    "otp_send_email": lambda c, known: _send(c, known, "email"),
    "otp_send_sms": lambda c, known: _send(c, known, "sms"),
    "password_forgot": _forgot,  # a proven email gets a reset code; a stranger's gets nothing
}


def _answer(response: Any) -> tuple[int, str]:
    """Status and body, less the request id (which differs on every request, by design)."""
    body = dict(response.json())
    body.pop("request_id", None)
    return response.status_code, json.dumps(body, sort_keys=True)


def _interleaved(known: Call, unknown: Call) -> dict[bool, list[tuple[tuple[int, str], float]]]:
    """Alternate the two, so background work (the embedded worker) weighs on both alike."""
    results: dict[bool, list[tuple[tuple[int, str], float]]] = {True: [], False: []}
    for i in range(CALLS):
        for exists, call in ((True, known), (False, unknown)):
            started = time.perf_counter()
            response = call(i)
            results[exists].append((_answer(response), time.perf_counter() - started))
    return results


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_answer_does_not_say_whether_the_account_exists(
    app: tuple[TestClient[Any], Services], endpoint: str
) -> None:
    client, _ = app
    make = ENDPOINTS[endpoint]
    results = _interleaved(make(client, True), make(client, False))
    answers = {exists: {a for a, _ in runs} for exists, runs in results.items()}
    assert len(answers[True]) == 1, answers[True]
    assert answers[True] == answers[False]
    assert next(iter(answers[True]))[0] in (202, 401)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_latency_does_not_say_it_either(
    app: tuple[TestClient[Any], Services], endpoint: str
) -> None:
    client, _ = app
    make = ENDPOINTS[endpoint]
    results = _interleaved(make(client, True), make(client, False))
    known, unknown = (statistics.median(t for _, t in results[e]) for e in (True, False))
    slower, faster = max(known, unknown), min(known, unknown)
    assert slower <= 3 * faster, (
        f"{endpoint}: known {known * 1000:.1f} ms, unknown {unknown * 1000:.1f} ms"
    )


def test_repeated_failures_lock_known_and_unknown_accounts_alike(
    app: tuple[TestClient[Any], Services],
) -> None:
    client, _ = app
    answers = {}
    for exists in (True, False):
        call = _login(client, exists)
        answers[exists] = [_answer(call(0)) for _ in range(7)]
    assert answers[True] == answers[False]
    assert [status for status, _ in answers[True]] == [401] * 5 + [429] * 2
