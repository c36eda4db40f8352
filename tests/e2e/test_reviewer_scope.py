"""Issue 14 over HTTP on real services: what a reviewer may open, and the audit of each look."""

from __future__ import annotations

from typing import Any

import pytest

from domestyx.domain.model.audit import AuditEventType
from tests.e2e.test_documents_flow import upload
from tests.e2e.test_verification_flow import register, send_sms, verify
from tests.support import files
from tests.support.problems import assert_problem
from tests.support.stack import Stack, WorkerProcess, email_code, sms_code
from tests.support.totp import bearer, login, staff_tokens

pytestmark = pytest.mark.e2e
ADMIN_VIEWS = ("/api/v1/admin/documents/{}", "/api/v1/admin/documents/{}/download")


def worker_headers(api: Any, stack: Stack, email: str, phone: str) -> dict[str, str]:
    register(api, stack, email, phone)
    assert verify(api, "email", email, "verify_email", email_code(stack, email)).status_code == 200
    assert send_sms(api, stack, phone).status_code == 202
    assert verify(api, "sms", phone, "verify_phone", sms_code(stack, phone)).status_code == 200
    signed_in = login(api, email, turnstile=lambda: stack.turnstile.issue("login"))
    return bearer(signed_in.json()["access_token"])


def submitted(api: Any, headers: dict[str, str]) -> tuple[str, str]:
    """Upload the two required documents, submit; (passport id, verification id)."""
    passport = upload(api, headers, "passport", ("p.pdf", files.pdf(), "application/pdf"))
    police = upload(api, headers, "police_clearance", ("c.png", files.png(), "image/png"))
    assert passport.status_code == police.status_code == 201, passport.text
    verification = api.post("/api/v1/verification/submit", headers=headers)
    assert verification.status_code == 202, verification.text
    return passport.json()["id"], verification.json()["id"]


def test_reviewers_see_only_documents_under_review_and_every_look_is_audited(
    api: Any, stack: Stack, worker: WorkerProcess
) -> None:
    ann = worker_headers(api, stack, "ann@example.com", "+447700900501")
    bob = worker_headers(api, stack, "bob@example.com", "+447700900502")
    cat = worker_headers(api, stack, "cat@example.com", "+447700900503")
    never = upload(api, ann, "other", ("n.pdf", files.pdf(), "application/pdf")).json()["id"]
    under_review, ann_verification = submitted(api, ann)
    deleted = upload(api, bob, "other", ("d.pdf", files.pdf(), "application/pdf")).json()["id"]
    assert api.delete(f"/api/v1/documents/{deleted}", headers=bob).status_code == 204
    closed, cat_verification = submitted(api, cat)

    tokens, _ = staff_tokens(
        api,
        api.services,
        "rev@example.com",
        "+447700900599",
        turnstile=lambda: stack.turnstile.issue("login"),
    )
    reviewer = bearer(tokens["access_token"])
    looks = 0
    for path in ADMIN_VIEWS:  # cat's file is viewable while submitted ...
        assert api.get(path.format(closed), headers=reviewer).status_code == 200
        looks += 1
    decided = api.post(
        f"/api/v1/admin/verifications/{cat_verification}/decision",
        json={"decision": "approve"},
        headers=reviewer,
    )
    assert decided.status_code == 200, decided.text

    for document_id in (never, deleted, closed, "0" * 32):  # ... and gone once approved
        for path in ADMIN_VIEWS:
            problem = assert_problem(api.get(path.format(document_id), headers=reviewer), 404)
            assert problem["type"].endswith("/not-found")
    for path in ADMIN_VIEWS:
        response = api.get(path.format(under_review), headers=reviewer)
        assert response.status_code == 200, response.text
        looks += 1
    claimed = api.post(f"/api/v1/admin/verifications/{ann_verification}/claim", headers=reviewer)
    assert claimed.status_code == 200  # in review: still visible
    assert api.get(ADMIN_VIEWS[1].format(under_review), headers=reviewer).status_code == 200
    looks += 1

    reviewer_id = api.get("/api/v1/me", headers=reviewer).json()["id"]
    with api.services.uow() as uow:
        trail = [
            e
            for owner in (ann, cat)
            for e in uow.audit.for_account(api.get("/api/v1/me", headers=owner).json()["id"])
            if e.actor_id == reviewer_id
            and e.event in (AuditEventType.DOCUMENT_VIEWED, AuditEventType.DOCUMENT_URL_ISSUED)
        ]
    assert len(trail) == looks
    expected = {closed: cat_verification, under_review: ann_verification}
    for event in trail:
        assert event.details["basis"] == "review"
        assert event.details["verification_id"] == expected[event.subject_id]
