"""Every route with an id, called by every kind of caller: the documented status, and no leak.

Owners get 2xx; anyone else gets 404 for a document or session id (never 403, which would
confirm it exists); anonymous and expired tokens get 401; non-staff get 403 on review actions
and 404 on admin document ids. No refusal carries anything of the resource.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from domestyx.entrypoints.services import Services
from tests.support.app import build_services, embedded_settings, http_client
from tests.support.callers import (
    Caller,
    sign_in,
    staff,
    submit_for_review,
    unverified_worker,
    upload,
    verified_worker,
)
from tests.support.problems import assert_problem
from tests.support.tokens import claims_of, signed_token

pytestmark = pytest.mark.e2e

OWNER, SECOND, UNVERIFIED, ANONYMOUS, EXPIRED, REVIEWER = (
    "owner",
    "second",
    "unverified",
    "anonymous",
    "expired",
    "reviewer",
)
CALLERS = (OWNER, SECOND, UNVERIFIED, ANONYMOUS, EXPIRED, REVIEWER)
UNAUTHENTICATED = {ANONYMOUS: 401, EXPIRED: 401}
OWNED = {OWNER: 200, SECOND: 404, UNVERIFIED: 404, REVIEWER: 404, **UNAUTHENTICATED}
REMOVED = {**OWNED, OWNER: 204}
REVIEW_ACTION = {OWNER: 403, SECOND: 403, UNVERIFIED: 403, REVIEWER: 200, **UNAUTHENTICATED}
STAFF_VIEW = {OWNER: 404, SECOND: 404, UNVERIFIED: 404, REVIEWER: 200, **UNAUTHENTICATED}
DECISION = {"decision": "approve"}
# (method, path template, expected status per caller)
ROUTES = [
    ("GET", "/api/v1/documents/{document}", OWNED),
    ("GET", "/api/v1/documents/{document}/download", OWNED),
    ("DELETE", "/api/v1/documents/{fresh_document}", REMOVED),
    ("DELETE", "/api/v1/me/sessions/{fresh_session}", REMOVED),
    ("POST", "/api/v1/admin/verifications/{verification}/claim", REVIEW_ACTION),
    ("POST", "/api/v1/admin/verifications/{verification}/decision", REVIEW_ACTION),
    ("GET", "/api/v1/admin/documents/{document}", STAFF_VIEW),
    ("GET", "/api/v1/admin/documents/{document}/download", STAFF_VIEW),
]
CELLS = [
    pytest.param(method, path, caller, expected[caller], id=f"{method} {path} as {caller}")
    for method, path, expected in ROUTES
    for caller in CALLERS
]


@dataclass
class Target:
    """What a cell aims at, and the facts that must not leak to anyone but its owner."""

    ids: dict[str, str]
    secrets: list[str]


class World:
    """An owner with documents under review, the other callers, and fresh verifications."""

    def __init__(self, services: Services, client: Any) -> None:
        self.services, self.client = services, client
        self.owner = verified_worker(client, services, "owner@example.com", "+447700900401")
        self.verification = submit_for_review(client, self.owner)
        self.document = self.verification["document_ids"][0]
        self.callers: dict[str, Caller | None] = {
            OWNER: self.owner,
            SECOND: verified_worker(client, services, "second@example.com", "+447700900402"),
            UNVERIFIED: unverified_worker(client, services, "pending@example.com", "+447700900403"),
            REVIEWER: staff(client, services, "reviewer@example.com", "+447700900404"),
            ANONYMOUS: None,
        }
        # The reviewer's own cells act on submissions of their own, so every cell is independent.
        self.spare_verifications = [
            submit_for_review(client, verified_worker(client, services, email, phone))["id"]
            for email, phone in (
                ("spare1@example.com", "+447700900405"),
                ("spare2@example.com", "+447700900406"),
            )
        ]

    def headers(self, caller: str) -> dict[str, str]:
        """Authorization as the caller; the expired token is the owner's, past its exp."""
        if caller == EXPIRED:
            now = int(time.time())
            claims = {**claims_of(self.owner.tokens["access_token"]), "exp": now - 60}
            token = signed_token(
                {**claims, "iat": now - 960}, self.services.settings.keys.jwt_signing_key
            )
            return {"Authorization": f"Bearer {token}"}
        person = self.callers[caller]
        return person.headers if person else {}

    def secrets_of(self, document_id: str) -> list[str]:
        """The owner's account, and the document's digest, kind and storage key."""
        with self.services.uow() as uow:
            document = uow.documents.get(document_id)
        assert document is not None and document.storage_key
        return [
            self.owner.account_id,
            self.owner.email,
            self.owner.phone,
            document.sha256,
            document.kind.value,
            document.storage_key,
        ]

    def target(self, path: str, caller: str) -> Target:
        """Ids for the path template; the owner's or reviewer's own cells get fresh objects."""
        ids = {"document": self.document, "verification": self.verification["id"]}
        if "{fresh_document}" in path:
            response = upload(self.client, self.owner, "proof_of_address")
            assert response.status_code == 201, response.text
            ids["fresh_document"] = response.json()["id"]
        if "{fresh_session}" in path:
            ids["fresh_session"] = self._fresh_session()
        if "verifications" in path and caller == REVIEWER:
            ids["verification"] = self.spare_verifications.pop()
        leaks = self.secrets_of(ids.get("fresh_document", self.document))
        leaks += [d for d in self.verification["document_ids"] if d not in ids.values()]
        return Target(ids, leaks)

    def _fresh_session(self) -> str:
        tokens = sign_in(self.client, self.owner.email)
        listed = self.client.get(
            "/api/v1/me/sessions", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        ).json()
        return str(next(s["id"] for s in listed if s["current"]))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    services = build_services(embedded_settings(Path(tmp_path_factory.mktemp("idor"))))
    with http_client(services) as client:
        yield World(services, client)


@pytest.mark.parametrize(("method", "path", "caller", "status"), CELLS)
def test_each_caller_gets_the_documented_status_and_nothing_of_the_resource(
    world: World, method: str, path: str, caller: str, status: int
) -> None:
    target = world.target(path, caller)
    url = path.format(**target.ids)
    body = DECISION if url.endswith("/decision") else None
    response = world.client.request(method, url, json=body, headers=world.headers(caller))

    assert response.status_code == status, response.text
    if status >= 400:
        assert_problem(response, status)
        exposed = response.text + repr(dict(response.headers))
        assert [s for s in target.secrets if s in exposed] == []


@pytest.mark.parametrize("caller", [SECOND, UNVERIFIED, REVIEWER])
def test_a_refused_delete_leaves_the_document_to_its_owner(world: World, caller: str) -> None:
    target = world.target("/api/v1/documents/{fresh_document}", caller)
    document_id = target.ids["fresh_document"]
    world.client.delete(f"/api/v1/documents/{document_id}", headers=world.headers(caller))
    mine = world.client.get(f"/api/v1/documents/{document_id}", headers=world.headers(OWNER))
    assert mine.status_code == 200


@pytest.mark.parametrize("caller", [SECOND, UNVERIFIED, REVIEWER])
def test_a_refused_session_revocation_leaves_the_session_alive(world: World, caller: str) -> None:
    session_id = world.target("/api/v1/me/sessions/{fresh_session}", caller).ids["fresh_session"]
    world.client.delete(f"/api/v1/me/sessions/{session_id}", headers=world.headers(caller))
    sessions = world.client.get("/api/v1/me/sessions", headers=world.headers(OWNER)).json()
    assert session_id in {s["id"] for s in sessions}


@pytest.mark.parametrize("caller", [OWNER, SECOND, UNVERIFIED])
def test_refused_review_actions_leave_the_submission_untouched(world: World, caller: str) -> None:
    url = f"/api/v1/admin/verifications/{world.verification['id']}"
    world.client.post(f"{url}/claim", headers=world.headers(caller))
    world.client.post(f"{url}/decision", json=DECISION, headers=world.headers(caller))
    current = world.client.get("/api/v1/verification", headers=world.headers(OWNER)).json()
    assert (current["id"], current["status"]) == (world.verification["id"], "submitted")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/documents/{}",
        "/api/v1/documents/{}/download",
        "/api/v1/admin/documents/{}",
        "/api/v1/admin/documents/{}/download",
    ],
)
def test_someone_elses_document_is_indistinguishable_from_a_missing_one(
    world: World, path: str
) -> None:
    headers = world.headers(SECOND)
    foreign = assert_problem(world.client.get(path.format(world.document), headers=headers), 404)
    missing = assert_problem(world.client.get(path.format("0" * 32), headers=headers), 404)
    same = ("type", "title", "status", "detail")
    assert {k: foreign[k] for k in same} == {k: missing[k] for k in same}
    assert set(foreign) == set(missing)
