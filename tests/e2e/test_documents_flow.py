"""Issue 5 end to end on real services: upload to S3, review, presigned download, purge."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from tests.e2e.test_verification_flow import (
    EMAIL,
    PHONE,
    login,
    register,
    send_sms,
    verify,
)
from tests.support import files
from tests.support.stack import Stack, WorkerProcess, email_code, sms_code
from tests.support.totp import staff_tokens

pytestmark = pytest.mark.e2e
CAP = 10 * 1024 * 1024


def verified_worker(api: Any, stack: Stack) -> dict[str, str]:
    register(api, stack)
    assert verify(api, "email", EMAIL, "verify_email", email_code(stack, EMAIL)).status_code == 200
    assert send_sms(api, stack).status_code == 202
    assert verify(api, "sms", PHONE, "verify_phone", sms_code(stack, PHONE)).status_code == 200
    return {"Authorization": f"Bearer {login(api, stack)['access_token']}"}


def upload(api: Any, auth: dict[str, str], kind: str, file: tuple[str, bytes, str]) -> Any:
    return api.post(
        "/api/v1/documents",
        data={"kind": kind},
        files={"file": file},
        headers=auth,
    )


def test_upload_review_presigned_download_and_purge(
    api: Any, stack: Stack, worker: WorkerProcess
) -> None:
    auth = verified_worker(api, stack)
    passport = upload(api, auth, "passport", ("my passport.pdf", files.pdf(), "application/pdf"))
    police = upload(api, auth, "police_clearance", ("clearance.jpg", files.jpeg(), "image/jpeg"))
    assert passport.status_code == police.status_code == 201, passport.text
    assert (
        passport.json()["content_type"] == "application/pdf"
        and police.json()["content_type"] == "image/jpeg"
    )
    assert api.post("/api/v1/verification/submit", headers=auth).status_code == 202

    reviewer_tokens, _ = staff_tokens(
        api,
        api.services,
        "rev@example.com",
        "+447700900999",
        turnstile=lambda: stack.turnstile.issue("login"),
    )
    reviewer = {"Authorization": f"Bearer {reviewer_tokens['access_token']}"}
    queue = api.get("/api/v1/admin/verifications", headers=reviewer).json()
    decided = api.post(
        f"/api/v1/admin/verifications/{queue[0]['id']}/decision",
        json={"decision": "approve"},
        headers=reviewer,
    )
    assert decided.json()["status"] == "approved"
    assert api.get("/api/v1/me", headers=auth).json()["identity_verified"] is True

    link = api.get(f"/api/v1/documents/{passport.json()['id']}/download", headers=auth).json()
    url = urlparse(link["url"])
    query = parse_qs(url.query)
    assert int(query["X-Amz-Expires"][0]) <= 300 and query["X-Amz-SignedHeaders"] == ["host"]
    assert query["response-content-disposition"] == ['attachment; filename="passport-v1.pdf"']
    fetched = httpx.get(link["url"])  # straight from the S3 server, not through the API
    assert fetched.status_code == 200 and fetched.content == files.pdf()
    assert fetched.headers["content-disposition"] == 'attachment; filename="passport-v1.pdf"'
    anonymous = httpx.get(f"{url.scheme}://{url.netloc}{url.path}")
    assert anonymous.status_code == 403

    # Purge: age the document past its retention, run the purge twice (the second is a no-op).
    with api.services.uow() as uow:
        doc = uow.documents.get(passport.json()["id"])
        key = doc.storage_key
        doc.delete_after = api.services.clock.now() - timedelta(seconds=1)  # a year, in a second
        uow.documents.save(doc)
        uow.commit()
    first = api.services.retention.purge_due().report
    second = api.services.retention.purge_due().report
    assert first.purged == 1 and second.purged == 0
    assert api.services.storage.head(key) is None
    assert httpx.get(link["url"]).status_code in (403, 404)  # S3 hides missing keys behind 403
    assert api.get(f"/api/v1/documents/{passport.json()['id']}", headers=auth).status_code == 404


CASES = [
    ("photo.pdf", files.jpeg(), "application/pdf", 201, "image/jpeg"),  # a JPEG renamed .pdf
    ("scan.png", files.pdf(), "image/png", 201, "application/pdf"),  # a PDF declared as PNG
    ("x.svg", files.SVG, "image/svg+xml", 415, "unsupported-media-type"),
    ("x.html", files.HTML, "text/html", 415, "unsupported-media-type"),
    ("empty.pdf", b"", "application/pdf", 422, "unprocessable-document"),
    ("enc.pdf", files.pdf(encrypted=True), "application/pdf", 422, "unprocessable-document"),
    ("cut.png", files.png(64, 64)[:-20], "image/png", 422, "unprocessable-document"),
    ("cut.jpg", files.jpeg()[:-2], "image/jpeg", 422, "unprocessable-document"),
    ("cut.pdf", files.pdf()[:-40], "application/pdf", 422, "unprocessable-document"),
    ("big.png", files.png(text=b"x" * (CAP - 50)) + b"x", "image/png", 413, "payload-too-large"),
]


def test_uploads_are_judged_by_their_bytes_and_refusals_leave_nothing(
    api: Any, stack: Stack, worker: WorkerProcess
) -> None:
    auth = verified_worker(api, stack)
    accepted = 0
    for name, body, declared, status, code in CASES:
        response = upload(api, auth, "other", (name, body, declared))
        assert response.status_code == status, (name, response.text)
        if status == 201:
            accepted += 1
            assert response.json()["content_type"] == code, name
            assert name not in response.text
            continue
        assert response.headers["content-type"].startswith("application/problem+json"), name
        assert response.json()["type"].endswith(code), name
        with api.services.uow() as uow:
            assert len(list(uow.documents.storage_keys())) == accepted, name
        assert len(list(api.services.storage.list("documents/"))) == accepted, name
