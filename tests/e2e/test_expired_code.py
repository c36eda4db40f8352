"""An expired, used or lost code answers `code-expired` ("request a new code"), distinct from a
wrong guess at a live code (`invalid-code`); the OpenAPI names both on the verify route."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from domestyx.adapters.memory.clock import ManualClock
from domestyx.adapters.memory.otp_store import InMemoryOtpStore
from domestyx.ports.otp_store import OtpStore
from tests.support.app import (
    build_services,
    embedded_settings,
    http_client,
    register_pending,
)

EMAIL, PHONE = "ann@example.com", "+447700900123"
EXPIRED = "https://docs.domestyx.com/problems/code-expired"
WRONG = "https://docs.domestyx.com/problems/invalid-code"


def _world(tmp_path: Path, store: OtpStore | None = None) -> tuple[Any, ManualClock]:
    clock = ManualClock()
    overrides = {OtpStore: store} if store is not None else None
    return build_services(embedded_settings(tmp_path), clock=clock, overrides=overrides), clock


def _register(client: Any, services: Any) -> str:
    return register_pending(client, services, EMAIL, PHONE)


def _verify(client: Any, code: str) -> Any:
    body = {"channel": "email", "destination": EMAIL, "purpose": "verify_email", "code": code}
    return client.post("/api/v1/auth/otp/verify", json=body)


def _other(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_an_expired_code_says_request_a_new_code(tmp_path: Path) -> None:
    services, clock = _world(tmp_path)
    with http_client(services) as client:
        code = _register(client, services)
        clock.advance(timedelta(minutes=11))
        answer = _verify(client, code)
    assert answer.status_code == 400
    problem = answer.json()
    assert problem["type"] == EXPIRED
    assert "request a new code" in problem["detail"]


def test_a_wrong_guess_at_a_live_code_stays_invalid_code(tmp_path: Path) -> None:
    services, _ = _world(tmp_path)
    with http_client(services) as client:
        code = _register(client, services)
        answer = _verify(client, _other(code))
    assert (answer.status_code, answer.json()["type"]) == (400, WRONG)


def test_a_used_code_says_request_a_new_code(tmp_path: Path) -> None:
    services, _ = _world(tmp_path)
    with http_client(services) as client:
        code = _register(client, services)
        assert _verify(client, code).status_code == 200
        assert _verify(client, code).json()["type"] == EXPIRED


def test_a_code_lost_with_the_store_says_request_a_new_code(tmp_path: Path) -> None:
    """The case of a delivery marked `expired` after a Redis restart: the slot is empty."""
    store = InMemoryOtpStore()
    services, _ = _world(tmp_path, store)
    with http_client(services) as client:
        code = _register(client, services)
        store.forget_all()  # Redis restarted: every code is gone
        assert _verify(client, code).json()["type"] == EXPIRED


def test_the_openapi_names_both_problem_types_on_verify(tmp_path: Path) -> None:
    services, _ = _world(tmp_path)
    with http_client(services) as client:
        doc = client.get("/schema/openapi.json").json()
    bad = doc["paths"]["/api/v1/auth/otp/verify"]["post"]["responses"]["400"]
    assert {EXPIRED, WRONG} <= set(bad["x-problem-types"])
    assert EXPIRED in bad["description"]
