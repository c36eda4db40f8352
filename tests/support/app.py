"""Build the real app on embedded or real adapters for HTTP tests, through the composition root."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from domestyx.adapters.sql import migrate
from domestyx.adapters.system.argon2_hasher import TEST_PARAMETERS, Argon2PasswordHasher
from domestyx.entrypoints.cli.guarded import claim_bucket
from domestyx.entrypoints.container import build_container
from domestyx.entrypoints.http.app import create_app
from domestyx.entrypoints.root import Overrides
from domestyx.entrypoints.services import Services
from domestyx.entrypoints.settings import Settings
from domestyx.ports.clock import Clock
from domestyx.ports.randomness import IdGenerator, SecretGenerator
from domestyx.ports.security import PasswordHasher

DUMMY_TOKEN = "XXXX.DUMMY.TOKEN.XXXX"
PASSWORD = "correct horse battery staple"


def embedded_settings(tmp_path: Path, **env: str) -> Settings:
    """Embedded defaults under tmp_path, plus environment variables (read as an operator's).

    DOMESTYX_ENV=test unless given: the production rate limits, which the tests exercise.
    """
    return Settings.from_env({"DOMESTYX_ENV": "test", "DOMESTYX_VAR_DIR": str(tmp_path), **env})


def rate_limits(overrides: tuple[tuple[str, str], ...]) -> str:
    """(('login.ip', '30/10m'), ...) as a RATE_LIMITS value."""
    return ",".join(f"{name}={spec}" for name, spec in overrides)


# Shorthands for the overrides most tests pass (None keeps the default).
_PORTS: dict[str, object] = {
    "clock": Clock,
    "ids": IdGenerator,
    "secrets": SecretGenerator,
    "passwords": PasswordHasher,
}


def build_services(
    settings: Settings, *, overrides: Overrides | None = None, **ports: object
) -> Services:
    """The composition root with cheap argon2 parameters; migrated as `domestyx migrate` does."""
    chosen: dict[Any, object] = {PasswordHasher: Argon2PasswordHasher(TEST_PARAMETERS)}
    chosen.update({_PORTS[name]: value for name, value in ports.items() if value is not None})
    chosen.update(overrides or {})
    services = build_container(settings, overrides=chosen)
    migrate.upgrade(services.engine)
    claim_bucket(services, only_if_empty=False)  # the database's identity and the bucket marker
    return services


@contextmanager
def http_client(services: Services, **app_kwargs: Any) -> Iterator[TestClient[Any]]:
    """A TestClient over the real app; the embedded worker runs for its lifetime."""
    app = create_app(services, **app_kwargs)
    with TestClient(app=app, raise_server_exceptions=False) as client:
        yield client


def latest_code(services: Services, to: str) -> str:
    """The newest six-digit code the dev outbox holds for a destination."""
    entry = services.outbox.find(lambda e: e.to == to and re.search(r"\b\d{6}\b", e.body))
    assert entry is not None, f"no code in the outbox for {to}"
    match = re.search(r"\b(\d{6})\b", entry.body)
    assert match is not None
    return match.group(1)


def register_pending(
    client: Any, services: Services, email: str, phone: str, role: str = "worker"
) -> str:
    """Register (nothing proven yet) and wait for the email; returns its code."""
    body = {
        "email": email,
        "phone": phone,
        "password": PASSWORD,
        "role": role,
        "turnstile_token": DUMMY_TOKEN,
    }
    assert client.post("/api/v1/auth/register", json=body).status_code == 202
    wait_for_outbox(services, email)
    return latest_code(services, email)


def register_and_verify(
    client: TestClient[Any], services: Services, email: str, phone: str, role: str = "worker"
) -> dict[str, Any]:
    """Register, prove both contacts, sign in; returns the token body."""
    verify = {
        "channel": "email",
        "destination": email,
        "purpose": "verify_email",
        "code": register_pending(client, services, email, phone, role),
    }
    assert client.post("/api/v1/auth/otp/verify", json=verify).status_code == 200
    send = {
        "channel": "sms",
        "destination": phone,
        "purpose": "verify_phone",
        "turnstile_token": DUMMY_TOKEN,
    }
    assert client.post("/api/v1/auth/otp/send", json=send).status_code == 202
    wait_for_outbox(services, phone)
    verify = {
        "channel": "sms",
        "destination": phone,
        "purpose": "verify_phone",
        "code": latest_code(services, phone),
    }
    assert client.post("/api/v1/auth/otp/verify", json=verify).status_code == 200
    login = {"email": email, "password": PASSWORD, "turnstile_token": DUMMY_TOKEN}
    response = client.post("/api/v1/auth/login", json=login)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def wait_for_outbox(services: Services, to: str, timeout: float = 10.0) -> None:
    """Wait until the in-process worker has delivered a message to `to`."""
    from tests.support.services import wait_until

    assert wait_until(lambda: services.outbox.find(lambda e: e.to == to) is not None, timeout)


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    """Authorization header for a token body."""
    return {"Authorization": f"Bearer {tokens['access_token']}"}
