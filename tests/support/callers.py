"""The people a security or fuzz test acts as, set up over HTTP on one embedded app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domestyx.domain.model.accounts import Role
from domestyx.entrypoints.services import Services
from tests.support.app import (
    DUMMY_TOKEN,
    PASSWORD,
    register_and_verify,
    register_pending,
)
from tests.support.files import png
from tests.support.totp import staff_tokens


@dataclass
class Caller:
    """An account and the token body of its latest sign-in."""

    email: str
    phone: str
    account_id: str
    tokens: dict[str, Any]

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header of the current access token."""
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}


def sign_in(client: Any, email: str, password: str = PASSWORD) -> dict[str, Any]:
    """Password login; returns the token body."""
    body = {"email": email, "password": password, "turnstile_token": DUMMY_TOKEN}
    response = client.post("/api/v1/auth/login", json=body)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def _caller(client: Any, email: str, phone: str, tokens: dict[str, Any]) -> Caller:
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200, me.text
    return Caller(email, phone, me.json()["id"], tokens)


def verified_worker(client: Any, services: Services, email: str, phone: str) -> Caller:
    """Registered, both contacts proven, signed in."""
    return _caller(client, email, phone, register_and_verify(client, services, email, phone))


def unverified_worker(client: Any, services: Services, email: str, phone: str) -> Caller:
    """Registered and signed in with the email proven but not the phone (still pending).

    The email must be proven first: before that nobody signs in.
    """
    verify = {
        "channel": "email",
        "destination": email,
        "purpose": "verify_email",
        "code": register_pending(client, services, email, phone),
    }
    assert client.post("/api/v1/auth/otp/verify", json=verify).status_code == 200
    return _caller(client, email, phone, sign_in(client, email))


def staff(
    client: Any, services: Services, email: str, phone: str, role: Role = Role.REVIEWER
) -> Caller:
    """A reviewer (or admin) made by the operator, signed in with a TOTP code."""
    tokens, _ = staff_tokens(client, services, email, phone, role)
    return _caller(client, email, phone, tokens)


def upload(
    client: Any,
    caller: Caller,
    kind: str,
    *,
    content: bytes | None = None,
    filename: str = "scan.png",
    content_type: str = "image/png",
) -> Any:
    """POST /documents as multipart; returns the response."""
    files = {"file": (filename, png() if content is None else content, content_type)}
    return client.post(
        "/api/v1/documents", data={"kind": kind}, files=files, headers=caller.headers
    )


def submit_for_review(client: Any, caller: Caller) -> dict[str, Any]:
    """Upload the worker's required documents and submit them; returns the verification."""
    for kind in ("id_card", "police_clearance"):
        response = upload(client, caller, kind)
        assert response.status_code == 201, response.text
    submitted = client.post("/api/v1/verification/submit", headers=caller.headers)
    assert submitted.status_code == 202, submitted.text
    verification: dict[str, Any] = submitted.json()
    return verification
