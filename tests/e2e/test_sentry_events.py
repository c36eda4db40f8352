"""Issue 6: a route error and a failing job each reach Sentry once, complete and scrubbed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sentry_sdk

from domestyx.adapters.dev.captcha import TestSecretCaptchaVerifier
from domestyx.adapters.memory.randomness import SeededSecretGenerator
from domestyx.domain.model.captcha import CaptchaVerdict
from domestyx.domain.model.delivery import EmailMessage, ProviderReceipt
from domestyx.ports.captcha import CaptchaVerifier
from domestyx.ports.messaging import EmailSender
from tests.stubs.sentry_stub import SentryStub, isolated_sentry
from tests.support.app import DUMMY_TOKEN, PASSWORD, build_services, embedded_settings, http_client
from tests.support.services import wait_until

pytestmark = pytest.mark.e2e
EMAIL, PHONE, EXPLODE = "ann@example.com", "+447700900123", "EXPLODE.TOKEN.FOR.TEST"


class ExplodingCaptcha(TestSecretCaptchaVerifier):
    """Cloudflare test semantics, except one token makes the adapter crash (an unexpected bug)."""

    def verify(self, token: str, *, remote_ip: str | None) -> CaptchaVerdict:
        if token == EXPLODE:
            raise RuntimeError("captcha adapter crashed")
        return super().verify(token, remote_ip=remote_ip)


class ExplodingEmail:
    """A provider adapter with a bug: every send raises (not a transient provider error)."""

    def send(self, message: EmailMessage, *, idempotency_key: str) -> ProviderReceipt:
        raise RuntimeError(f"email adapter crashed sending to {message.to}: {message.text}")


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[SentryStub]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with isolated_sentry() as server:
        yield server


def test_route_error_and_dead_lettered_job_arrive_once_each_without_secrets(
    stub: SentryStub, tmp_path: Path
) -> None:
    overrides = {CaptchaVerifier: ExplodingCaptcha(), EmailSender: ExplodingEmail()}
    secrets = SeededSecretGenerator(11)
    settings = embedded_settings(
        tmp_path, SENTRY_DSN_BACKEND=stub.dsn, DOMESTYX_ENV="test", RELEASE="2026.11.25-test"
    )
    services = build_services(settings, overrides=overrides, secrets=secrets)
    body = {"email": EMAIL, "phone": PHONE, "password": PASSWORD, "role": "worker"}
    with http_client(services) as client:
        crashed = client.post("/api/v1/auth/register", json={**body, "turnstile_token": EXPLODE})
        assert crashed.status_code == 500
        assert "crashed" not in crashed.text and "Traceback" not in crashed.text
        request_id = crashed.headers["x-request-id"]
        ok = client.post("/api/v1/auth/register", json={**body, "turnstile_token": DUMMY_TOKEN})
        assert ok.status_code == 202
        sentry_sdk.flush(5)
        assert wait_until(lambda: "email adapter crashed" in str(stub.events), timeout=15)
        sentry_sdk.flush(5)
    events = stub.wait_for(3, timeout=2)  # give a duplicate the chance to show up

    assert len(events) == 2, [e.get("tags") for e in events]
    route = next(e for e in events if "captcha adapter crashed" in str(e["exception"]))
    job = next(e for e in events if "email adapter crashed" in str(e["exception"]))
    for event in (route, job):
        assert event["environment"] == "test" and event["release"] == "2026.11.25-test"
        frames = event["exception"]["values"][-1]["stacktrace"]["frames"]
        assert any(
            f.get("module", "").startswith("domestyx") or "domestyx" in f.get("filename", "")
            for f in frames
        )
    assert _tags(route)["request_id"] == request_id
    assert _tags(job)["job"] == "deliver_message" and _tags(job)["message_id"]
    assert _tags(job)["request_id"] == ok.headers["x-request-id"]  # the request that queued it

    raw = stub.raw.decode("utf-8", "replace")
    for secret in (
        PASSWORD,
        EMAIL,
        PHONE,
        EXPLODE,
        DUMMY_TOKEN,
        *secrets.issued_codes,
        services.settings.keys.secret_key,
        services.settings.keys.jwt_signing_key,
    ):
        assert secret not in raw, secret


def _tags(event: dict[str, Any]) -> dict[str, str]:
    tags = event.get("tags") or {}
    return dict(tags)
