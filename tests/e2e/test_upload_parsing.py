"""Issue 14 over HTTP on real services: hostile uploads refused and audited, photos scrubbed."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from PIL import Image

from domestyx.domain.model.audit import AuditEventType
from tests.contract.test_upload_sanitizer import HOSTILE
from tests.e2e.test_documents_flow import upload, verified_worker
from tests.support import files
from tests.support.stack import Stack, WorkerProcess

pytestmark = pytest.mark.e2e
DECLARED = {
    "application/pdf": "application/pdf",
    "image/jpeg": "image/jpeg",
    "image/png": "image/png",
}
UNSUPPORTED = [
    ("image.svg", files.SVG, "image/svg+xml", "application/xml"),
    ("page.html", files.HTML, "text/html", "text/html"),
]


def rejections(api: Any, account_id: str) -> list[Any]:
    with api.services.uow() as uow:
        events = uow.audit.for_account(account_id, limit=500)
    return [e for e in reversed(events) if e.event is AuditEventType.DOCUMENT_REJECTED]


def test_the_hostile_corpus_is_refused_with_reasons_audited_and_nothing_stored(
    api: Any, stack: Stack, worker: WorkerProcess
) -> None:
    auth = verified_worker(api, stack)
    account_id = api.get("/api/v1/me", headers=auth).json()["id"]
    for name, data, content_type, reason in HOSTILE:
        response = upload(api, auth, "other", (f"{reason}.bin", data, DECLARED[content_type]))
        assert response.status_code == 422, (name, response.text)
        problem = response.json()
        expected = "active-content" if reason == "active-content" else "unprocessable-document"
        assert problem["type"].endswith("/" + expected), name
        assert problem["reason"] == reason, name
    for name, data, declared, _ in UNSUPPORTED:
        response = upload(api, auth, "other", (name, data, declared))
        assert response.status_code == 415, (name, response.text)
    events = rejections(api, account_id)
    assert len(events) == len(HOSTILE) + len(UNSUPPORTED)
    for event, (_, data, content_type, reason) in zip(events, HOSTILE, strict=False):
        assert event.details == {
            "kind": "other",
            "reason": reason,
            "size": str(len(data)),
            "declared_type": content_type,
            "detected_type": content_type,
        }
    for event, (_, data, declared, detected) in zip(
        events[len(HOSTILE) :], UNSUPPORTED, strict=True
    ):
        assert (event.details["reason"], event.details["detected_type"]) == (
            "unsupported-type",
            detected,
        )
        assert (event.details["declared_type"], event.details["size"]) == (declared, str(len(data)))
    with api.services.uow() as uow:
        assert list(uow.documents.storage_keys()) == []
    assert list(api.services.storage.list("documents/")) == []


@pytest.mark.parametrize(("fmt", "content_type"), [("JPEG", "image/jpeg"), ("PNG", "image/png")])
def test_stored_photos_carry_no_exif_or_gps(
    api: Any, stack: Stack, worker: WorkerProcess, fmt: str, content_type: str
) -> None:
    auth = verified_worker(api, stack)
    original = files.photo_with_gps(fmt)
    response = upload(api, auth, "id_card", ("me.jpg", original, content_type))
    assert response.status_code == 201, response.text
    document = response.json()
    with api.services.uow() as uow:
        key = uow.documents.get(document["id"]).storage_key
    stored = api.services.storage.read(key)  # the object in the bucket, read back
    assert stored != original
    assert (document["size"], document["sha256"]) == (
        len(stored),
        hashlib.sha256(stored).hexdigest(),
    )
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == fmt
        assert dict(image.getexif()) == {} and image.getexif().get_ifd(files.GPS_IFD) == {}
    for planted in (b"Exif\x00\x00", b"PlantedCamera", files.PLANTED):
        assert planted not in stored


def test_a_clean_pdf_is_accepted_and_stored_as_sent(
    api: Any, stack: Stack, worker: WorkerProcess
) -> None:
    auth = verified_worker(api, stack)
    scan = files.pdf(image=files.jpeg())
    response = upload(api, auth, "passport", ("scan.pdf", scan, "application/pdf"))
    assert response.status_code == 201, response.text
    with api.services.uow() as uow:
        key = uow.documents.get(response.json()["id"]).storage_key
    assert api.services.storage.read(key) == scan
