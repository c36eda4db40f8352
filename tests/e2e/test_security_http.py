"""Hostile requests over HTTP: role escalation, oversized and malformed bodies, header injection
through a file name, open redirects and CORS."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from litestar.routes import HTTPRoute

from domestyx.domain.model.accounts import Role
from domestyx.entrypoints.services import Services
from tests.support.app import DUMMY_TOKEN, PASSWORD, build_services, embedded_settings, http_client
from tests.support.callers import Caller, submit_for_review, upload, verified_worker
from tests.support.files import png
from tests.support.problems import assert_problem

pytestmark = pytest.mark.e2e

ALLOWED_ORIGIN, EVIL_ORIGIN = "https://app.example", "https://evil.example"
JSON_LIMIT = 64 * 1024
REQUEST_CAP = 10 * 1024 * 1024 + 64 * 1024  # the upload route's body limit (file cap + framing)
EVIL_NAME = 'evil"\r\nSet-Cookie: x=1.png'
BOUNDARY = "dxboundary7MA4YWxkTrZu0gW"


class World:
    """A verified worker on an embedded app that allows one browser origin."""

    def __init__(self, services: Services, client: Any) -> None:
        self.services, self.client = services, client
        self.worker: Caller = verified_worker(
            client, services, "wanda@example.com", "+447700900601"
        )

    def stored_objects(self) -> list[str]:
        """Every object key in document storage."""
        return list(self.services.storage.list("documents/"))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    var_dir = Path(tmp_path_factory.mktemp("http"))
    services = build_services(embedded_settings(var_dir, CORS_ALLOWED_ORIGINS=ALLOWED_ORIGIN))
    with http_client(services) as client:
        yield World(services, client)


def _register(world: World, **changes: Any) -> Any:
    body = {
        "email": "mallory@example.com",
        "phone": "+447700900666",
        "password": PASSWORD,
        "role": "worker",
        "turnstile_token": DUMMY_TOKEN,
        **changes,
    }
    return world.client.post("/api/v1/auth/register", json=body)


@pytest.mark.parametrize("role", ["admin", "reviewer", "ADMIN", "Admin "])
def test_registering_as_staff_is_refused_and_creates_nothing(world: World, role: str) -> None:
    response = _register(world, role=role)
    assert response.status_code in (400, 422)
    assert_problem(response, response.status_code)
    with world.services.uow() as uow:
        assert uow.accounts.by_email("mallory@example.com") is None


@pytest.mark.parametrize(
    "extra",
    [{"email_verified": True}, {"status": "active"}, {"identity_status": "approved"}, {"id": "x"}],
)
def test_registering_with_account_fields_is_refused(world: World, extra: dict[str, Any]) -> None:
    assert_problem(_register(world, email="mass@example.com", **extra), 400)


def test_a_reviewer_never_decides_on_their_own_account(world: World) -> None:
    """A worker with a submission is later hired as a reviewer: their own file stays off-limits."""
    hired = verified_worker(world.client, world.services, "hired@example.com", "+447700900602")
    verification = submit_for_review(world.client, hired)
    with world.services.uow() as uow:
        account = uow.accounts.get(hired.account_id)
        assert account is not None
        account.role = Role.REVIEWER
        uow.accounts.save(account)
        uow.commit()
    url = f"/api/v1/admin/verifications/{verification['id']}"
    decided = world.client.post(
        f"{url}/decision", json={"decision": "approve"}, headers=hired.headers
    )
    assert_problem(decided, 403)
    assert_problem(world.client.post(f"{url}/claim", headers=hired.headers), 403)
    current = world.client.get("/api/v1/verification", headers=hired.headers).json()
    assert current["status"] == "submitted"


def test_a_json_body_over_64_kib_is_a_413_problem(world: World) -> None:
    body = json.dumps({"email": "a@example.com", "password": "p" * JSON_LIMIT})
    response = world.client.post(
        "/api/v1/auth/login", content=body, headers={"content-type": "application/json"}
    )
    assert_problem(response, 413)


def test_a_chunked_json_body_over_64_kib_is_a_413_problem(world: World) -> None:
    """No Content-Length to refuse up front: the limit holds while the body streams in."""
    chunks = (b"x" * 1024 for _ in range(JSON_LIMIT // 1024 + 8))
    response = world.client.post(
        "/api/v1/auth/login", content=chunks, headers={"content-type": "application/json"}
    )
    assert_problem(response, 413)


def test_an_upload_over_the_request_cap_is_a_413_problem_and_stores_nothing(world: World) -> None:
    before = world.stored_objects()
    response = upload(world.client, world.worker, "passport", content=png() + b"\0" * REQUEST_CAP)
    assert_problem(response, 413)
    assert world.stored_objects() == before


def test_an_upload_over_the_file_cap_is_a_413_problem_and_stores_nothing(tmp_path: Path) -> None:
    services = build_services(embedded_settings(tmp_path, MAX_UPLOAD_BYTES=str(64 * 1024)))
    with http_client(services) as client:
        worker = verified_worker(client, services, "cap@example.com", "+447700900603")
        response = upload(client, worker, "passport", content=png(text=b"x" * 100_000))
        assert_problem(response, 413)
    assert list(services.storage.list("documents/")) == []


def _multipart(*parts: bytes, boundary: str = BOUNDARY) -> bytes:
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + part + b"\r\n" for part in parts)
    return body + b"--" + boundary.encode() + b"--\r\n"


KIND_PART = b'Content-Disposition: form-data; name="kind"\r\n\r\nid_card'
MALFORMED = {
    "no closing boundary": _multipart(KIND_PART)[: -len(BOUNDARY) - 6],
    "binary noise": b"\x00\xff" * 512,
    "no parts": b"--" + BOUNDARY.encode() + b"--\r\n",
    "part without headers": _multipart(b"\r\n" + png()),
    "kind only": _multipart(KIND_PART),
    "file given as text": _multipart(
        KIND_PART, b'Content-Disposition: form-data; name="file"\r\n\r\nhi'
    ),
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_multipart_is_a_400_problem(world: World, body: bytes) -> None:
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    response = world.client.post(
        "/api/v1/documents",
        content=body,
        headers={**world.worker.headers, "content-type": content_type},
    )
    assert_problem(response, 400)


@pytest.mark.parametrize(
    ("path", "content_type", "body", "status"),
    [
        ("/api/v1/auth/login", "application/xml", b"<login><password>x</password></login>", 415),
        ("/api/v1/auth/login", "application/x-www-form-urlencoded", b"email=a&password=b", 415),
        ("/api/v1/documents", "application/json", b'{"kind": "id_card", "file": "cGRm"}', 415),
        ("/api/v1/documents", "multipart/form-data", b"--x\r\n", 400),
    ],
)
def test_a_body_in_the_wrong_media_type_is_a_4xx_problem(
    world: World, path: str, content_type: str, body: bytes, status: int
) -> None:
    headers = {**world.worker.headers, "content-type": content_type}
    assert_problem(world.client.post(path, content=body, headers=headers), status)


def test_a_json_body_labelled_text_plain_is_refused(world: World) -> None:
    """A cross-site form may send text/plain without a CORS preflight: JSON routes refuse it."""
    body = json.dumps(
        {"email": world.worker.email, "password": "p" * 10, "turnstile_token": DUMMY_TOKEN}
    )
    response = world.client.post(
        "/api/v1/auth/login", content=body, headers={"content-type": "text/plain"}
    )
    assert_problem(response, 415)


def _upload_named(world: World, filename: bytes) -> Any:
    file_part = (
        b'Content-Disposition: form-data; name="file"; filename="' + filename + b'"\r\n'
        b"Content-Type: image/png\r\n\r\n" + png()
    )
    body = _multipart(KIND_PART.replace(b"id_card", b"passport"), file_part)
    headers = {**world.worker.headers, "content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    return world.client.post("/api/v1/documents", content=body, headers=headers)


@pytest.mark.parametrize("raw", [True, False], ids=["raw CRLF in the part header", "escaped"])
def test_a_hostile_file_name_never_reaches_a_response_header(world: World, raw: bool) -> None:
    name = EVIL_NAME.encode() if raw else quote(EVIL_NAME).encode()
    uploaded = _upload_named(world, name)
    assert uploaded.status_code == 201, uploaded.text
    _assert_no_trace_of_the_name(uploaded)

    document = uploaded.json()
    link = world.client.get(
        f"/api/v1/documents/{document['id']}/download", headers=world.worker.headers
    ).json()
    url = urlsplit(link["url"])
    fetched = world.client.get(f"{url.path}?{url.query}")
    assert fetched.status_code == 200
    assert fetched.headers["content-disposition"] == (
        f'attachment; filename="passport-v{document["version"]}.png"'
    )
    _assert_no_trace_of_the_name(fetched)


def _assert_no_trace_of_the_name(response: Any) -> None:
    headers = response.headers.multi_items()
    assert "set-cookie" not in response.headers
    assert not any("evil" in value or "\r" in value or "\n" in value for _, value in headers)
    assert "evil" not in response.text


def _probe_paths(app: Any) -> Iterator[tuple[str, str]]:
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        path = re.sub(r"\{[^}]+\}", quote("//evil.example/x", safe=""), route.path)
        for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
            yield method, path


REDIRECT_PARAMS = ("next", "redirect", "redirect_uri", "url", "return_to", "continue", "to")


def test_no_route_redirects_to_a_url_the_caller_supplied(world: World) -> None:
    query = "&".join(f"{name}={quote(EVIL_ORIGIN + '/x', safe='')}" for name in REDIRECT_PARAMS)
    probes = list(_probe_paths(world.client.app))
    assert len(probes) > 25
    for method, path in probes:
        response = world.client.request(
            method, f"{path}?{query}", headers=world.worker.headers, follow_redirects=False
        )
        location = response.headers.get("location", "")
        assert not location or urlsplit(location).netloc in ("", "testserver"), (method, path)
        assert "evil.example" not in location and not location.startswith("//"), (method, path)


def _preflight(world: World, origin: str) -> Any:
    return world.client.options(
        "/api/v1/auth/login",
        headers={
            "origin": origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )


def test_a_preflight_from_a_foreign_origin_is_not_allowed(world: World) -> None:
    response = _preflight(world, EVIL_ORIGIN)
    assert "access-control-allow-origin" not in response.headers
    assert response.status_code >= 400


def test_a_preflight_from_the_configured_origin_is_allowed_without_credentials(
    world: World,
) -> None:
    response = _preflight(world, ALLOWED_ORIGIN)
    assert response.status_code in (200, 204)
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert response.headers.get("access-control-allow-credentials") != "true"


@pytest.mark.parametrize(("origin", "allowed"), [(ALLOWED_ORIGIN, True), (EVIL_ORIGIN, False)])
def test_simple_requests_get_the_cors_header_only_for_the_configured_origin(
    world: World, origin: str, allowed: bool
) -> None:
    response = world.client.get("/api/v1/config", headers={"origin": origin})
    assert response.status_code == 200
    assert (response.headers.get("access-control-allow-origin") == origin) is allowed
    assert response.headers.get("access-control-allow-origin") in (None, ALLOWED_ORIGIN)


def test_the_embedded_default_allows_no_origin_at_all(tmp_path: Path) -> None:
    services = build_services(embedded_settings(tmp_path))
    with http_client(services) as client:
        preflight = client.options(
            "/api/v1/auth/login",
            headers={"origin": ALLOWED_ORIGIN, "access-control-request-method": "POST"},
        )
        simple = client.get("/api/v1/config", headers={"origin": ALLOWED_ORIGIN})
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in simple.headers
