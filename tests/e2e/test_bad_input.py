"""Bad JSON, unknown fields and wrong types: a 400 problem+json on every route taking input.

Sentry is on (a local envelope stub): Sentry's Litestar integration reads the body before the
route does, so this is where a malformed body once became a 500 and an event. None may arrive.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sentry_sdk

from tests.stubs.sentry_stub import SentryStub, isolated_sentry
from tests.support.app import (
    bearer,
    build_services,
    embedded_settings,
    http_client,
    register_and_verify,
)

VALID = {
    "/api/v1/auth/register": {
        "email": "a@example.com",
        "phone": "+447700900555",
        "password": "x" * 12,
        "role": "worker",
        "turnstile_token": "t",
    },
    "/api/v1/auth/otp/send": {
        "channel": "sms",
        "destination": "+447700900555",
        "purpose": "verify_phone",
        "turnstile_token": "t",
    },
    "/api/v1/auth/otp/verify": {
        "channel": "sms",
        "destination": "+447700900555",
        "purpose": "verify_phone",
        "code": "123456",
    },
    "/api/v1/auth/login": {"email": "a@example.com", "password": "x" * 12, "turnstile_token": "t"},
    "/api/v1/auth/refresh": {"refresh_token": "rt_x"},
    "/api/v1/auth/logout": {"refresh_token": "rt_x", "all": False},
    "/api/v1/me/password": {"current_password": "x" * 12, "new_password": "granite violet lantern"},
    "/api/v1/admin/verifications/abc/decision": {"decision": "approve"},
    "/api/v1/auth/password/forgot": {
        "channel": "email",
        "destination": "a@example.com",
        "turnstile_token": "t",
    },
    "/api/v1/auth/password/reset": {
        "channel": "email",
        "destination": "a@example.com",
        "code": "123456",
        "new_password": "granite violet lantern",
    },
    "/api/v1/me/email": {"new_email": "b@example.com", "password": "x" * 12},
    "/api/v1/me/phone": {"new_phone": "+447700900556", "password": "x" * 12},
    "/api/v1/me/email/verify": {"code": "123456"},
    "/api/v1/me/phone/verify": {"code": "123456"},
}
WRONG_TYPES = {
    "/api/v1/auth/register": {"email": 42},
    "/api/v1/auth/otp/send": {"channel": "pigeon"},
    "/api/v1/auth/otp/verify": {"code": 123456},
    "/api/v1/auth/login": {"password": ["x"]},
    "/api/v1/auth/refresh": {"refresh_token": None},
    "/api/v1/auth/logout": {"all": "yes"},
    "/api/v1/me/password": {"new_password": {"a": 1}},
    "/api/v1/admin/verifications/abc/decision": {"decision": "maybe"},
    "/api/v1/auth/password/forgot": {"channel": "pigeon"},
    "/api/v1/auth/password/reset": {"new_password": 12345678},
    "/api/v1/me/email": {"new_email": ["b@example.com"]},
    "/api/v1/me/phone": {"new_phone": 447700900556},
    "/api/v1/me/email/verify": {"code": 123456},
    "/api/v1/me/phone/verify": {"code": None},
}


@pytest.fixture(scope="module")
def sentry() -> Iterator[SentryStub]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NO_PROXY", "127.0.0.1,localhost")
        with isolated_sentry() as stub:
            yield stub


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, sentry: SentryStub) -> Any:
    settings = embedded_settings(
        Path(tmp_path_factory.mktemp("bad")), SENTRY_DSN_BACKEND=sentry.dsn
    )
    services = build_services(settings)
    assert sentry_sdk.get_client().is_active()  # the suite means nothing with Sentry off
    with http_client(services) as c:
        c.auth_headers = bearer(
            register_and_verify(c, services, "ann@example.com", "+447700900123")
        )  # type: ignore[attr-defined]
        yield c


@pytest.fixture(autouse=True)
def nothing_reaches_sentry(sentry: SentryStub) -> Iterator[None]:
    """Every test here ends with no event sent: bad input is the client's, never an incident."""
    yield
    sentry_sdk.flush(5)
    assert sentry.events == [], [e.get("exception") for e in sentry.events]


def assert_problem_400(response: Any) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert {"type", "title", "status", "detail", "request_id"} <= set(body) and body[
        "status"
    ] == 400
    assert "Traceback" not in response.text


@pytest.mark.parametrize("path", list(VALID))
@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"",
        b"[]",
        b"null",
        b'"a string"',
        b'{"a": 1',
        '{"email": "\udcff"}'.encode("utf-8", "surrogatepass"),
        b'{"email": "\xff"}',
        b"[" * 60_000,
        b'{"a":' * 33 + b"1" + b"}" * 33,
    ],
    ids=[
        "malformed",
        "empty",
        "array",
        "null",
        "string",
        "truncated",
        "bad-utf8",
        "invalid-byte",
        "deep-arrays",
        "deep-objects",
    ],
)
def test_malformed_bodies(client: Any, path: str, content: bytes) -> None:
    headers = {"content-type": "application/json", **client.auth_headers}
    assert_problem_400(client.post(path, content=content, headers=headers))


@pytest.mark.parametrize("path", list(VALID))
def test_unknown_fields(client: Any, path: str) -> None:
    response = client.post(
        path, json={**VALID[path], "is_admin": True}, headers=client.auth_headers
    )
    assert_problem_400(response)
    assert "is_admin" in response.text


@pytest.mark.parametrize("path", list(VALID))
def test_wrong_types(client: Any, path: str) -> None:
    assert_problem_400(
        client.post(path, json={**VALID[path], **WRONG_TYPES[path]}, headers=client.auth_headers)
    )


@pytest.mark.parametrize("path", list(VALID))
def test_missing_required_fields(client: Any, path: str) -> None:
    assert_problem_400(client.post(path, json={}, headers=client.auth_headers))


def test_wrong_query_parameter_type(client: Any) -> None:
    assert_problem_400(
        client.get("/api/v1/admin/verifications?limit=lots", headers=client.auth_headers)
    )


def test_upload_without_the_file_part(client: Any) -> None:
    only_kind = {"kind": (None, "passport")}  # multipart, but without the file part
    response = client.post("/api/v1/documents", files=only_kind, headers=client.auth_headers)
    assert_problem_400(response)


def assert_problem_4xx(response: Any, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("/" + slug)


@pytest.mark.parametrize(
    ("path", "body", "status", "slug"),
    [
        ("/api/v1/auth/otp/send", {"purpose": "reset_password"}, 400, "invalid-request"),
        ("/api/v1/auth/otp/verify", {"purpose": "reset_password"}, 400, "invalid-request"),
        ("/api/v1/auth/otp/verify", {"purpose": "change_email"}, 400, "invalid-request"),
        ("/api/v1/auth/password/forgot", {"channel": "fax"}, 400, "invalid-request"),
        (
            "/api/v1/auth/password/forgot",
            {"channel": "sms", "turnstile_token": "XXXX.DUMMY.TOKEN.XXXX"},
            422,
            "invalid-input",
        ),
        ("/api/v1/auth/password/reset", {"channel": "sms"}, 422, "invalid-input"),
        ("/api/v1/auth/password/reset", {"code": "12345a"}, 400, "invalid-code"),
        ("/api/v1/auth/password/reset", {"new_password": "short"}, 422, "weak-password"),
        ("/api/v1/me/email", {"new_email": "not an address"}, 422, "invalid-input"),
        ("/api/v1/me/phone", {"new_phone": "+999 not a phone"}, 422, "invalid-input"),
        ("/api/v1/me/email/verify", {"code": "000000"}, 400, "invalid-code"),
        ("/api/v1/me/phone/verify", {"code": "١٢٣٤٥٦"}, 400, "invalid-code"),
    ],
    ids=[
        "send-reset-purpose",
        "verify-reset-purpose",
        "verify-change-purpose",
        "forgot-unknown-channel",
        "forgot-email-as-sms",
        "reset-email-as-sms",
        "reset-non-digit-code",
        "reset-weak-password",
        "change-bad-email",
        "change-bad-phone",
        "verify-nothing-pending",
        "verify-arabic-digits",
    ],
)
def test_wrong_channel_purpose_or_value_on_the_flows(
    client: Any, path: str, body: dict[str, Any], status: int, slug: str
) -> None:
    base = VALID.get(path) or VALID["/api/v1/auth/otp/send"]
    response = client.post(path, json={**base, **body}, headers=client.auth_headers)
    assert_problem_4xx(response, status, slug)


def test_the_flows_need_a_session(client: Any) -> None:
    for path in ("/api/v1/me/email", "/api/v1/me/phone", "/api/v1/me/email/verify"):
        response = client.post(path, json=VALID[path])
        assert_problem_4xx(response, 401, "unauthenticated")
