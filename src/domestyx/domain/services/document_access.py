"""Who may see, replace and remove which document."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from domestyx.domain.model.accounts import IdentityStatus, Role
from domestyx.domain.model.documents import Document, DocumentKind
from domestyx.domain.model.errors import Conflict, NotFound, NotVerified
from domestyx.domain.model.sessions import Principal

if TYPE_CHECKING:
    from domestyx.ports.repositories import UnitOfWork

_UNDER_REVIEW = (IdentityStatus.SUBMITTED, IdentityStatus.IN_REVIEW)


def under_review(uow: UnitOfWork, document: Document) -> bool:
    """Part of the account's submission that is waiting for or under review."""
    current = uow.verifications.current(document.account_id)
    return (
        current is not None
        and current.status in _UNDER_REVIEW
        and document.id in current.document_ids
    )


def check_upload(uow: UnitOfWork, principal: Principal, kind: DocumentKind) -> Document | None:
    """Who may upload, and whether the kind may get a new version now; returns the latest."""
    account = uow.accounts.get(principal.account_id)
    if account is None or not account.can_sign_in:
        raise NotVerified("this account cannot upload documents")
    if not account.contacts_verified:
        raise NotVerified
    latest = uow.documents.latest(principal.account_id, kind)
    # Superseding a version under review would start its short replacement retention.
    if latest is not None and under_review(uow, latest):
        raise Conflict(f"the {kind} is under review; wait for the decision to replace it")
    return latest


def owned(
    uow: UnitOfWork, principal: Principal, document_id: str, *, for_update: bool = False
) -> Document:
    """The caller's own visible document; anyone else's is indistinguishable from none."""
    document = uow.documents.get(document_id, for_update=for_update)
    if document is None or document.account_id != principal.account_id or not document.visible:
        raise NotFound("no such document")
    return document


@attrs.frozen
class StaffAccess:
    """A document staff may open now, and why: the audit log records both."""

    document: Document
    basis: str  # "review" (part of a submission waiting for or under review) or "legal_hold"
    verification_id: str  # the submission that justifies the access; "" for a bare legal hold


def staff_view(uow: UnitOfWork, principal: Principal, document_id: str) -> StaffAccess:
    """Staff see a document only while its submission is under review; admins also on hold.

    Never-submitted, deleted, superseded-and-decided and approved documents are 404, exactly
    like unknown ids; to everyone but staff the admin routes know no document at all.
    """
    document = uow.documents.get(document_id) if principal.has_staff_rights else None
    if document is None:
        raise NotFound("no such document")
    current = uow.verifications.current(document.account_id)
    covering = current if current is not None and document.id in current.document_ids else None
    if document.visible and covering is not None and covering.status in _UNDER_REVIEW:
        return StaffAccess(document, "review", covering.id)
    # No dispute process exists yet; a legal hold is the one other reason an admin may look.
    if principal.role is Role.ADMIN and document.legal_hold and document.storage_key:
        return StaffAccess(document, "legal_hold", covering.id if covering else "")
    raise NotFound("no such document")
