"""Secrets stay out of logs, error bodies and Sentry, whatever the request carried."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sentry_sdk

from domestyx.adapters.memory.otp_store import InMemoryOtpStore
from domestyx.adapters.system.argon2_hasher import TEST_PARAMETERS, Argon2PasswordHasher
from domestyx.adapters.system.randomness import UuidIdGenerator
from domestyx.domain.model.otp import AttemptOutcome
from domestyx.entrypoints.services import Services
from domestyx.ports.otp_store import OtpStore
from domestyx.ports.storage import DocumentStorage
from tests.stubs.sentry_stub import SentryStub, isolated_sentry
from tests.support.app import (
    DUMMY_TOKEN,
    PASSWORD,
    build_services,
    embedded_settings,
    http_client,
    latest_code,
    register_and_verify,
)
from tests.support.callers import upload, verified_worker
from tests.support.problems import assert_problem
from tests.support.services import wait_until

pytestmark = pytest.mark.e2e

EMAIL, PHONE = "maria.worker@example.org", "+447700900801"
NEW_PASSWORD = "Quartz-zebra-hunter-91"  # the password a crashing request carries
CRASH = "storage backend exploded at /srv/secret/bucket"


def _codes(services: Services) -> set[str]:
    """Every one-time code the dev outbox has delivered."""
    return {
        code
        for entry in services.outbox.entries(limit=100)
        for code in re.findall(r"\b\d{6}\b", entry.body)
    }


def _settings_secrets(services: Services) -> list[str]:
    return [services.settings.keys.secret_key, services.settings.keys.jwt_signing_key]


def test_a_whole_sign_up_logs_no_password_code_token_or_key(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    services = build_services(embedded_settings(tmp_path))
    with http_client(services) as client:
        tokens = register_and_verify(client, services, EMAIL, PHONE)
        rotated = client.post(
            "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        bearer = {"Authorization": f"Bearer {rotated.json()['access_token']}"}
        assert client.get("/api/v1/me", headers=bearer).status_code == 200
        logout = {"refresh_token": rotated.json()["refresh_token"], "all": True}
        assert client.post("/api/v1/auth/logout", json=logout).status_code == 204

    secrets = [
        PASSWORD,
        tokens["access_token"],
        tokens["refresh_token"],
        *rotated.json().values(),
        *_codes(services),
        *_settings_secrets(services),
    ]
    assert len(_codes(services)) == 2, "both codes were sent, so both could have leaked"
    assert any(r.name == "domestyx.access" for r in caplog.records), "the flow was logged"
    logged = caplog.text + "".join(repr(record.__dict__) for record in caplog.records)
    assert [s for s in secrets if isinstance(s, str) and len(s) > 4 and s in logged] == []


class BrokenStorage:
    """Document storage whose backend fails with an internal message (a bug, not an outage)."""

    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError(f"{CRASH} (key={args[0] if args else ''})")

        return fail


def test_an_unexpected_error_is_a_generic_500_problem(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    overrides = {DocumentStorage: BrokenStorage()}
    services = build_services(embedded_settings(tmp_path), overrides=overrides)
    with http_client(services) as client:
        worker = verified_worker(client, services, EMAIL, PHONE)
        response = upload(client, worker, "passport")

    problem = assert_problem(response, 500)
    assert problem["request_id"] == response.headers["x-request-id"]
    assert problem["type"].endswith("/internal-error")
    for internal in ("exploded", "/srv/secret", "RuntimeError", "documents/", worker.account_id):
        assert internal not in response.text
    assert CRASH in caplog.text, "the details go to the log instead"


class CrashingPasswords(Argon2PasswordHasher):
    """Hashes like the real thing, except that one new password makes the backend crash."""

    def hash(self, password: str) -> str:
        if password == NEW_PASSWORD:
            raise RuntimeError("argon2 backend crashed")
        return super().hash(password)


class CrashingIds(UuidIdGenerator):
    """Ids like the real thing until armed; then the next one crashes (mid token rotation)."""

    armed = False

    def new_id(self) -> str:
        if self.armed:
            raise RuntimeError("id generator exhausted")
        return super().new_id()


class CrashingOtpStore(InMemoryOtpStore):
    """An OTP store that, once armed, crashes on every code entry."""

    armed = False

    def register_attempt(self, slot_key: str, *, now: Any, max_attempts: int) -> AttemptOutcome:
        if self.armed:
            raise RuntimeError("otp store corrupted")
        return super().register_attempt(slot_key, now=now, max_attempts=max_attempts)


@pytest.fixture
def sentry(monkeypatch: pytest.MonkeyPatch) -> Iterator[SentryStub]:
    """A loopback ingest; Sentry is shut down and unset afterwards so no test shares it."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    with isolated_sentry() as stub:
        yield stub


def test_crashes_reach_sentry_without_passwords_codes_tokens_or_contacts(
    sentry: SentryStub, tmp_path: Path
) -> None:
    otp_store, ids = CrashingOtpStore(), CrashingIds()

    settings = embedded_settings(tmp_path, SENTRY_DSN_BACKEND=sentry.dsn)
    services = build_services(
        settings,
        overrides={OtpStore: otp_store},
        passwords=CrashingPasswords(TEST_PARAMETERS),
        ids=ids,
    )
    with http_client(services) as client:
        tokens = register_and_verify(client, services, EMAIL, PHONE)
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        assert client.post("/api/v1/me/password", json=change, headers=bearer).status_code == 500

        otp_store.armed = True
        code = _sign_in_code(client, services)
        entry = {"channel": "sms", "destination": PHONE, "purpose": "login", "code": code}
        assert client.post("/api/v1/auth/otp/verify", json=entry, headers=bearer).status_code == 500

        ids.armed = True
        refresh = {"refresh_token": tokens["refresh_token"]}
        assert client.post("/api/v1/auth/refresh", json=refresh, headers=bearer).status_code == 500
        sentry_sdk.flush(5)
    events = sentry.wait_for(3, timeout=10)

    assert len(events) == 3, "every crash was reported, so every one could have leaked"
    raw = sentry.raw.decode("utf-8", "replace")
    secrets = [
        PASSWORD,
        NEW_PASSWORD,
        code,
        *_codes(services),
        tokens["access_token"],
        tokens["refresh_token"],
        DUMMY_TOKEN,
        EMAIL,
        PHONE,
        PHONE.lstrip("+"),
        *_settings_secrets(services),
    ]
    assert [s for s in secrets if s in raw] == []


def _sign_in_code(client: Any, services: Services) -> str:
    """Ask for an SMS sign-in code and wait until it is delivered."""
    previous = latest_code(services, PHONE)
    send = {
        "channel": "sms",
        "destination": PHONE,
        "purpose": "login",
        "turnstile_token": DUMMY_TOKEN,
    }
    assert client.post("/api/v1/auth/otp/send", json=send).status_code == 202
    assert wait_until(lambda: latest_code(services, PHONE) != previous)
    return latest_code(services, PHONE)
