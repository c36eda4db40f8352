"""Identity review: the owner submits, staff decide; every step is audited."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.params import FromPath, JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from domestyx.domain.model import errors as e
from domestyx.domain.model.errors import NotFound
from domestyx.domain.model.verification import Decision, ReasonCode, ReviewEntry, Verification
from domestyx.entrypoints.http.deps import (
    Caller,
    client_context,
    mfa_principal,
    principal,
    services_of,
)
from domestyx.entrypoints.http.routes.documents import document_out
from domestyx.entrypoints.http.schemas import (
    DecisionIn,
    DocumentOut,
    DownloadOut,
    ReviewEntryOut,
    VerificationOut,
)

Req = Request[Any, Any, Any]
CALLER = {"caller": Provide(principal, sync_to_thread=True)}
QueueLimit = Annotated[int, Parameter(ge=1, le=200)]


def verification_out(v: Verification, history: list[ReviewEntry] | None = None) -> VerificationOut:
    """Wire shape, with the decision history when given."""
    return VerificationOut(
        id=v.id,
        account_id=v.account_id,
        status=v.status,
        document_ids=list(v.document_ids),
        submitted_at=v.submitted_at,
        reviewer_id=v.reviewer_id,
        decided_at=v.decided_at,
        reason_code=_reason(v.reason_code),
        history=[
            ReviewEntryOut(
                from_status=e.from_status,
                to_status=e.to_status,
                actor_id=e.actor_id,
                at=e.at,
                reason_code=_reason(e.reason_code),
                note=e.note,
            )
            for e in history or []
        ],
    )


def _reason(code: str | None) -> ReasonCode | None:
    return ReasonCode(code) if code else None


class VerificationController(Controller):
    """/api/v1/verification: the caller's own identity review."""

    path = "/api/v1/verification"
    tags = ["verification"]
    dependencies = CALLER

    @post(
        "/submit",
        status_code=HTTP_202_ACCEPTED,
        sync_to_thread=True,
        errors=[e.NotVerified, e.Conflict, e.InvalidInput],
    )
    def submit(self, request: Req, caller: Caller) -> VerificationOut:
        """Ask for review of the newest version of each required document."""
        return verification_out(services_of(request).review.submit(caller, client_context(request)))

    @get("/", sync_to_thread=True, errors=[e.NotFound])
    def current(self, request: Req, caller: Caller) -> VerificationOut:
        """The newest submission; 404 before the first."""
        verification = services_of(request).review.status(caller)
        if verification is None:
            raise NotFound("no identity review has been submitted")
        return verification_out(verification)


class AdminController(Controller):
    """/api/v1/admin: reviewers and admins only; document ids of others are 404 to non-staff."""

    path = "/api/v1/admin"
    tags = ["admin"]
    # Before anything else: a session without a second factor learns nothing here.
    dependencies = {"caller": Provide(mfa_principal, sync_to_thread=True)}

    @get("/verifications", sync_to_thread=True, errors=[e.Forbidden])
    def queue(self, request: Req, caller: Caller, limit: QueueLimit = 50) -> list[VerificationOut]:
        """Submissions waiting for or under review, oldest first."""
        queue = services_of(request).review.queue(caller, limit)
        return [verification_out(v) for v in queue]

    @post(
        "/verifications/{verification_id:str}/claim",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        errors=[e.Forbidden, e.Conflict],
    )
    def claim(
        self, request: Req, caller: Caller, verification_id: FromPath[str]
    ) -> VerificationOut:
        """Take a submission into review."""
        review = services_of(request).review
        verification = review.claim(caller, verification_id, client_context(request))
        return verification_out(verification, list(review.history(caller, verification_id)))

    @post(
        "/verifications/{verification_id:str}/decision",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        errors=[e.Forbidden, e.Conflict, e.InvalidInput],
    )
    def decide(
        self,
        request: Req,
        caller: Caller,
        verification_id: FromPath[str],
        data: JSONBody[DecisionIn],
    ) -> VerificationOut:
        """Approve, reject or request resubmission; reasons required except for approval."""
        review = services_of(request).review
        reason = ReasonCode(data.reason) if data.reason else None
        verification = review.decide(
            caller,
            verification_id,
            Decision(data.decision),
            reason,
            data.note,
            client_context(request),
        )
        return verification_out(verification, list(review.history(caller, verification_id)))

    @get("/documents/{document_id:str}", sync_to_thread=True)
    def document(self, request: Req, caller: Caller, document_id: FromPath[str]) -> DocumentOut:
        """Staff view of a document's metadata (audited)."""
        doc = services_of(request).documents.admin_get(caller, document_id, client_context(request))
        return document_out(doc)

    @get("/documents/{document_id:str}/download", sync_to_thread=True)
    def download(self, request: Req, caller: Caller, document_id: FromPath[str]) -> DownloadOut:
        """Staff download link (audited)."""
        url = services_of(request).documents.admin_download_url(
            caller, document_id, client_context(request)
        )
        return DownloadOut(url=url.url, expires_at=url.expires_at)
