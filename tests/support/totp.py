"""Staff with an authenticator, over HTTP: enrol, confirm, and sign in with a code (issue 14)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pyotp

from domestyx.domain.model.accounts import Role
from domestyx.entrypoints.services import Services
from tests.support.app import DUMMY_TOKEN, PASSWORD

PERIOD = 30


def code(secret: str, steps_ahead: int = 0) -> str:
    """The code of the current time step, or of one a step or two later."""
    return pyotp.TOTP(secret).at(time.time() + steps_ahead * PERIOD)


def bearer(access_token: str) -> dict[str, str]:
    """The Authorization header."""
    return {"Authorization": f"Bearer {access_token}"}


def enrol(client: Any, access_token: str) -> dict[str, Any]:
    """POST /me/mfa/totp then confirm with the current code; returns the enrolment body."""
    started = client.post("/api/v1/me/mfa/totp", headers=bearer(access_token))
    assert started.status_code == 200, started.text
    enrolment: dict[str, Any] = started.json()
    confirmed = client.post(
        "/api/v1/me/mfa/totp/confirm",
        json={"code": code(enrolment["secret"])},
        headers=bearer(access_token),
    )
    assert confirmed.status_code == 204, confirmed.text
    return enrolment


def login(
    client: Any,
    email: str,
    *,
    totp_code: str | None = None,
    turnstile: Callable[[], str] = lambda: DUMMY_TOKEN,
    password: str = PASSWORD,
) -> Any:
    """POST /auth/login, with a code when given; returns the response."""
    body: dict[str, Any] = {"email": email, "password": password, "turnstile_token": turnstile()}
    if totp_code is not None:
        body["totp_code"] = totp_code
    return client.post("/api/v1/auth/login", json=body)


def staff_tokens(
    client: Any,
    services: Services,
    email: str,
    phone: str,
    role: Role = Role.REVIEWER,
    *,
    turnstile: Callable[[], str] = lambda: DUMMY_TOKEN,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new staff account signed in with TOTP: (token body, enrolment body).

    The confirmation spends the current step's code, so the sign-in uses the next step's
    (inside the +-1 step window); every later sign-in must wait for a fresh step.
    """
    services.accounts.create_staff(email, phone, PASSWORD, role)
    first = login(client, email, turnstile=turnstile)
    assert first.status_code == 200, first.text
    enrolment = enrol(client, first.json()["access_token"])
    signed_in = login(client, email, totp_code=code(enrolment["secret"], 1), turnstile=turnstile)
    assert signed_in.status_code == 200, signed_in.text
    tokens: dict[str, Any] = signed_in.json()
    return tokens, enrolment
