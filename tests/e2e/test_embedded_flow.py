"""The embedded default end to end over HTTP: the path a newcomer takes with curl."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.support.app import (
    DUMMY_TOKEN,
    PASSWORD,
    bearer,
    build_services,
    embedded_settings,
    http_client,
    register_and_verify,
)
from tests.support.files import png
from tests.support.services import wait_until
from tests.support.totp import staff_tokens


@pytest.fixture
def services(tmp_path: Path) -> Any:
    return build_services(embedded_settings(tmp_path))


def test_ready_reports_every_embedded_check_ok(services: Any) -> None:
    with http_client(services) as client:
        response = client.get("/health/ready")
    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"database", "redis", "storage", "broker"}
    assert all(c["status"] == "ok" for c in response.json()["checks"].values())


def test_register_verify_login_upload_review_download_purge(services: Any) -> None:
    with http_client(services) as client:
        tokens = register_and_verify(client, services, "ann@example.com", "+447700900123")
        me = client.get("/api/v1/me", headers=bearer(tokens)).json()
        assert (me["status"], me["email_verified"], me["phone_verified"]) == ("active", True, True)

        for kind in ("id_card", "police_clearance"):
            files = {"file": ("scan.png", png(), "image/png")}
            upload = client.post(
                "/api/v1/documents", data={"kind": kind}, files=files, headers=bearer(tokens)
            )
            assert upload.status_code == 201, upload.text
        document_id = upload.json()["id"]
        assert upload.json()["content_type"] == "image/png"

        submitted = client.post("/api/v1/verification/submit", headers=bearer(tokens))
        assert submitted.status_code == 202, submitted.text

        reviewer, _ = staff_tokens(client, services, "rev@example.com", "+447700900999")
        queue = client.get("/api/v1/admin/verifications", headers=bearer(reviewer)).json()
        decision = client.post(
            f"/api/v1/admin/verifications/{queue[0]['id']}/decision",
            json={"decision": "approve"},
            headers=bearer(reviewer),
        )
        assert decision.status_code == 200, decision.text
        assert decision.json()["status"] == "approved"
        me = client.get("/api/v1/me", headers=bearer(tokens)).json()
        assert me["identity_status"] == "approved" and me["identity_verified"] is True

        link = client.get(
            f"/api/v1/documents/{document_id}/download", headers=bearer(tokens)
        ).json()
        url = urlparse(link["url"])
        fetched = client.get(f"{url.path}?{url.query}")
        assert fetched.status_code == 200
        # The stored object is the re-encoding of the upload (issue 14), not its bytes.
        assert hashlib.sha256(fetched.content).hexdigest() == upload.json()["sha256"]
        assert fetched.content.startswith(b"\x89PNG\r\n\x1a\n")
        assert fetched.headers["content-disposition"].startswith("attachment;")

        deleted = client.delete("/api/v1/me", headers=bearer(tokens))
        assert deleted.status_code == 202
        # The erase job runs on the in-process worker: the link dies once the object is gone.
        assert wait_until(lambda: client.get(f"{url.path}?{url.query}").status_code == 404)
        assert list(services.storage.list("documents/")) == []


def test_dev_outbox_renders_html_for_browsers(services: Any) -> None:
    with http_client(services) as client:
        body = {
            "email": "b@example.com",
            "phone": "+447700900124",
            "password": PASSWORD,
            "role": "employer",
            "turnstile_token": DUMMY_TOKEN,
        }
        client.post("/api/v1/auth/register", json=body)
        from tests.support.app import wait_for_outbox

        wait_for_outbox(services, "b@example.com")
        page = client.get("/dev/outbox", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "b@example.com" in page.text


def test_openapi_schema_is_served(services: Any) -> None:
    with http_client(services) as client:
        schema = client.get("/schema/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/auth/register",
        "/api/v1/auth/otp/send",
        "/api/v1/documents",
        "/api/v1/admin/verifications/{verification_id}/decision",
    ):
        assert path in paths
