"""Redis stops mid-run: protected endpoints fail closed fast, the rest works, then recovers."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.app import (
    DUMMY_TOKEN,
    PASSWORD,
    build_services,
    embedded_settings,
    http_client,
)
from tests.support.services import PrivateRedis, wait_until

pytestmark = pytest.mark.e2e
EMAIL, PHONE = "ann@example.com", "+447700900123"


@pytest.fixture
def redis_server() -> Iterator[PrivateRedis]:
    with PrivateRedis() as server:
        yield server


@pytest.fixture
def client(tmp_path: Path, redis_server: PrivateRedis) -> Iterator[Any]:
    services = build_services(embedded_settings(tmp_path, REDIS_URL=redis_server.url))
    with http_client(services) as c:
        c.services = services  # type: ignore[attr-defined]
        yield c


def timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def send_code(client: Any) -> Any:
    body = {
        "channel": "email",
        "destination": EMAIL,
        "purpose": "verify_email",
        "turnstile_token": DUMMY_TOKEN,
    }
    return client.post("/api/v1/auth/otp/send", json=body)


def login(client: Any) -> Any:
    return client.post(
        "/api/v1/auth/login",
        json={"email": EMAIL, "password": PASSWORD, "turnstile_token": DUMMY_TOKEN},
    )


def test_protected_endpoints_fail_closed_within_2s_and_recover(
    client: Any, redis_server: PrivateRedis
) -> None:
    body = {
        "email": EMAIL,
        "phone": PHONE,
        "password": PASSWORD,
        "role": "worker",
        "turnstile_token": DUMMY_TOKEN,
    }
    assert client.post("/api/v1/auth/register", json=body).status_code == 202
    services = client.services
    with services.uow() as uow:  # the email proof (no worker here): only then may it sign in
        account = uow.accounts.by_email(EMAIL)
        account.verify_email(services.clock.now())
        uow.accounts.save(account)
        uow.commit()
    tokens = login(client).json()
    assert client.get("/health/ready").status_code == 200

    redis_server.stop()
    verify = {"channel": "email", "destination": EMAIL, "purpose": "verify_email", "code": "123456"}
    calls = {
        "otp/send": lambda: send_code(client),
        "otp/verify": lambda: client.post("/api/v1/auth/otp/verify", json=verify),
        "login": lambda: login(client),
        "refresh": lambda: client.post(
            "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        ),
        "register": lambda: client.post("/api/v1/auth/register", json=body),
    }
    for name, call in calls.items():
        response, took = timed(call)
        assert response.status_code == 503, (name, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["dependency"] == "redis" and "Retry-After" in response.headers
        assert took < 2.0, (name, took)

    time.sleep(1.1)  # readiness results are cached for a second
    ready, took = timed(lambda: client.get("/health/ready"))
    assert ready.status_code == 503 and took < 2.0
    assert ready.json()["checks"]["redis"]["status"] == "failing"
    assert client.get("/health/live").status_code == 200
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200  # endpoints that need no counters keep working

    redis_server.start()  # same port, nothing restarted on our side
    assert wait_until(lambda: client.get("/health/ready").status_code == 200, timeout=10)
    assert wait_until(lambda: send_code(client).status_code in (202, 429), timeout=5)


def test_check_command_reports_redis_failing_and_exits_non_zero(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "DOMESTYX_VAR_DIR": str(tmp_path),
        "REDIS_URL": "redis://127.0.0.1:9/0",
    }
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "domestyx.entrypoints.cli.main", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert "failing" in lines["redis"] and "failing" in lines["broker"]
    assert "ok" in lines["database"]
    assert time.monotonic() - started < 20
