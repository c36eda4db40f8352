"""Who may see, replace and remove which document."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domestyx.domain.model.accounts import IdentityStatus
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


def staff_view(uow: UnitOfWork, principal: Principal, document_id: str) -> Document:
    """Any document for staff; to everyone else the admin routes do not know it."""
    document = uow.documents.get(document_id) if principal.role.is_staff else None
    if document is None:
        raise NotFound("no such document")
    return document
