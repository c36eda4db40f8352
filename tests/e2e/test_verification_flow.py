"""Issue 3 end to end: real Redis broker and worker process, MariaDB, provider stubs."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.support.stack import Stack, WorkerProcess, email_code, sms_code

pytestmark = pytest.mark.e2e
EMAIL, PHONE, PASSWORD = "ann@example.com", "+447700900123", "correct horse battery staple"


def register(api: Any, stack: Stack, email: str = EMAIL, phone: str = PHONE) -> None:
    body = {
        "email": email,
        "phone": phone,
        "password": PASSWORD,
        "role": "worker",
        "turnstile_token": stack.turnstile.issue("register"),
    }
    assert api.post("/api/v1/auth/register", json=body).status_code == 202


def verify(api: Any, channel: str, destination: str, purpose: str, code: str) -> Any:
    body = {"channel": channel, "destination": destination, "purpose": purpose, "code": code}
    return api.post("/api/v1/auth/otp/verify", json=body)


def send_sms(api: Any, stack: Stack, phone: str = PHONE) -> Any:
    body = {
        "channel": "sms",
        "destination": phone,
        "purpose": "verify_phone",
        "turnstile_token": stack.turnstile.issue("otp_send"),
    }
    return api.post("/api/v1/auth/otp/send", json=body)


def login(api: Any, stack: Stack) -> dict[str, Any]:
    body = {"email": EMAIL, "password": PASSWORD, "turnstile_token": stack.turnstile.issue("login")}
    response = api.post("/api/v1/auth/login", json=body)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def test_register_both_codes_login_refresh_reuse_logout(
    api: Any, stack: Stack, worker: WorkerProcess, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    register(api, stack)
    codes = [email_code(stack, EMAIL)]
    assert verify(api, "email", EMAIL, "verify_email", codes[0]).status_code == 200
    assert send_sms(api, stack).status_code == 202
    codes.append(sms_code(stack, PHONE))
    verified = verify(api, "sms", PHONE, "verify_phone", codes[1])
    assert verified.status_code == 200 and verified.json()["status"] == "active"

    first = login(api, stack)
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {first['access_token']}"})
    assert me.json()["email_verified"] and me.json()["phone_verified"]

    rotated = api.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert rotated.status_code == 200
    new = rotated.json()
    assert new["refresh_token"] != first["refresh_token"]

    # Past the grace window, the old token again means theft: the whole family goes.
    _age_token_use(stack, seconds=30)
    reuse = api.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401
    revoked = api.post("/api/v1/auth/refresh", json={"refresh_token": new["refresh_token"]})
    assert revoked.status_code == 401
    assert (
        api.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {new['access_token']}"}
        ).status_code
        == 401
    )

    second = login(api, stack)
    out = api.post(
        "/api/v1/auth/logout", json={"refresh_token": second["refresh_token"], "all": False}
    )
    assert out.status_code == 204
    after = api.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert after.status_code == 401

    for request in [*stack.resend.requests, *stack.twilio.requests]:
        assert request.violations == [], request.violations

    # Nothing secret in any log line, the app's (captured) or the worker process's (its file).
    secrets = [
        PASSWORD,
        *codes,
        *(t[k] for t in (first, new, second) for k in ("access_token", "refresh_token")),
    ]
    secrets += [
        stack.env[k]
        for k in (
            "SECRET_KEY",
            "JWT_SIGNING_KEY",
            "RESEND_API_KEY",
            "TWILIO_AUTH_TOKEN",
            "TURNSTILE_SECRET_KEY",
        )
    ]
    secrets += list(stack.turnstile.tokens)
    logs = caplog.text + worker.log_path.read_text()
    assert "POST /api/v1/auth/otp/verify 200" in logs  # the access log was captured
    leaked = [s for s in secrets if s in logs]
    assert leaked == []


def _age_token_use(stack: Stack, seconds: int) -> None:
    """Move every recorded refresh-token use into the past (instead of sleeping)."""
    from sqlalchemy import create_engine, text

    from domestyx.adapters.sql.engine import normalize_url

    url, args = normalize_url(stack.database_url)
    engine = create_engine(url, connect_args=args)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE refresh_tokens SET used_at = used_at - INTERVAL :s SECOND "
                "WHERE used_at IS NOT NULL"
            ),
            {"s": seconds},
        )
    engine.dispose()
