"""Document upload, listing and deletion by the owner, and audited short-lived download links."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import timedelta
from typing import TYPE_CHECKING, BinaryIO

import attrs

from domestyx.domain.model.abuse import Operation, Scope
from domestyx.domain.model.audit import AuditEvent, AuditEventType, ClientContext
from domestyx.domain.model.documents import Document, DocumentKind, RetentionPolicy, storage_key
from domestyx.domain.model.errors import Conflict, NotFound
from domestyx.domain.model.sessions import Principal
from domestyx.domain.model.sniffing import Detected
from domestyx.domain.services.auditor import Auditor
from domestyx.domain.services.document_access import (
    StaffAccess,
    check_upload,
    owned,
    staff_view,
    under_review,
)
from domestyx.domain.services.guards import RequestGuard
from domestyx.domain.services.upload_checks import REFUSALS, UploadInspection

if TYPE_CHECKING:
    from domestyx.domain.model.storage import SignedUrl
    from domestyx.ports.clock import Clock
    from domestyx.ports.randomness import IdGenerator, SecretGenerator
    from domestyx.ports.repositories import UnitOfWork, UnitOfWorkFactory
    from domestyx.ports.storage import DocumentStorage
    from domestyx.ports.uploads import UploadSanitizer

log = logging.getLogger("domestyx.documents")

DEFAULT_MAX_SIZE = 10 * 1024 * 1024
MAX_URL_TTL = timedelta(minutes=5)
_KEY_ENTROPY = 32  # bytes of randomness in every object key


def _why(access: StaffAccess) -> dict[str, str]:
    """The audit details that say why staff opened a document."""
    return {"basis": access.basis, "verification_id": access.verification_id}


def _check_url_ttl(_: object, __: attrs.Attribute[timedelta], value: timedelta) -> None:
    if not timedelta(0) < value <= MAX_URL_TTL:
        raise ValueError(f"download links must live between 0 and {MAX_URL_TTL}")


@attrs.frozen
class DocumentService:
    """Identity documents as their owner and staff see them."""

    uow: UnitOfWorkFactory
    storage: DocumentStorage
    ids: IdGenerator
    secrets: SecretGenerator
    clock: Clock
    auditor: Auditor
    sanitizer: UploadSanitizer
    guard: RequestGuard
    retention: RetentionPolicy = RetentionPolicy()
    max_size: int = attrs.field(default=DEFAULT_MAX_SIZE, validator=attrs.validators.gt(0))
    url_ttl: timedelta = attrs.field(default=MAX_URL_TTL, validator=_check_url_ttl)

    def upload(
        self,
        principal: Principal,
        kind: DocumentKind,
        body: BinaryIO,
        ctx: ClientContext,
        *,
        declared_type: str = "",
    ) -> Document:
        """Parse the stream, store the clean result under a random key, record a new version."""
        self.guard.limit({Operation.UPLOAD: {Scope.ACCOUNT: principal.account_id}}, ctx)
        with self.uow() as uow:
            check_upload(uow, principal, kind)
        inspection = UploadInspection(self.sanitizer, self.max_size)
        with ExitStack() as stack:  # closes the sanitizer's spooled re-encoding
            try:
                clean, detected = inspection.clean(stack, body)
            except REFUSALS as exc:
                event = inspection.refusal_event(
                    self.auditor, principal, kind, ctx, exc=exc, declared_type=declared_type
                )
                with self.uow() as uow:
                    uow.audit.append(event)
                    uow.commit()
                raise
            # Not returned from inside: mypy counts ExitStack as able to swallow the exception.
            document = self._store(principal, kind, clean, detected, ctx)
        return document  # noqa: RET504 - see the line above

    def _store(
        self,
        principal: Principal,
        kind: DocumentKind,
        clean: BinaryIO,
        detected: Detected,
        ctx: ClientContext,
    ) -> Document:
        key = storage_key(principal.account_id, self.secrets.token(_KEY_ENTROPY))
        try:
            # Inside the try: a put that times out may still have stored the object.
            self.storage.put(key, clean, size=detected.size, content_type=detected.content_type)
            return self._record(principal, kind, key, detected, ctx)
        except BaseException:
            self._discard(key)
            raise

    def list(self, principal: Principal) -> Sequence[Document]:
        """The caller's visible documents, newest first."""
        with self.uow() as uow:
            return uow.documents.for_account(principal.account_id)

    def get(self, principal: Principal, document_id: str) -> Document:
        """Metadata of one of the caller's documents."""
        with self.uow() as uow:
            return owned(uow, principal, document_id)

    def delete(self, principal: Principal, document_id: str, ctx: ClientContext) -> None:
        """The owner removes a document; the purge job erases the object and the row's data."""
        now = self.clock.now()
        with self.uow() as uow:
            document = owned(uow, principal, document_id, for_update=True)
            if under_review(uow, document):
                raise Conflict("the document is part of a verification under review")
            document.delete(now, self.retention)
            uow.documents.save(document)
            uow.audit.append(self._event(AuditEventType.DOCUMENT_DELETED, document, principal, ctx))
            uow.commit()

    def download_url(self, principal: Principal, document_id: str, ctx: ClientContext) -> SignedUrl:
        """A short-lived attachment link to one of the caller's documents, audited."""
        with self.uow() as uow:
            document = owned(uow, principal, document_id)
            return self._issue(uow, document, principal, ctx, route="owner")

    def admin_download_url(
        self, principal: Principal, document_id: str, ctx: ClientContext
    ) -> SignedUrl:
        """Staff download of a document under review, audited with who, what and why."""
        with self.uow() as uow:
            access = staff_view(uow, principal, document_id)
            return self._issue(uow, access.document, principal, ctx, route="admin", **_why(access))

    def admin_get(self, principal: Principal, document_id: str, ctx: ClientContext) -> Document:
        """Staff view of a document under review's metadata, audited with who, what and why."""
        with self.uow() as uow:
            access = staff_view(uow, principal, document_id)
            event = self._event(
                AuditEventType.DOCUMENT_VIEWED, access.document, principal, ctx, **_why(access)
            )
            uow.audit.append(event)
            uow.commit()
        return access.document

    def _record(
        self,
        principal: Principal,
        kind: DocumentKind,
        key: str,
        detected: Detected,
        ctx: ClientContext,
    ) -> Document:
        now = self.clock.now()
        with self.uow() as uow:
            latest = check_upload(uow, principal, kind)
            if latest is not None:
                latest.supersede(now, self.retention)
                uow.documents.save(latest)
            document = self._new_version(principal, kind, latest, key=key, detected=detected)
            uow.documents.add(document)
            details = {"version": str(document.version), "content_type": document.content_type}
            uow.audit.append(
                self._event(AuditEventType.DOCUMENT_UPLOADED, document, principal, ctx, **details)
            )
            uow.commit()
        return document

    def _new_version(
        self,
        principal: Principal,
        kind: DocumentKind,
        latest: Document | None,
        *,
        key: str,
        detected: Detected,
    ) -> Document:
        now = self.clock.now()
        return Document(
            id=self.ids.new_id(),
            account_id=principal.account_id,
            kind=kind,
            version=latest.version + 1 if latest else 1,
            storage_key=key,
            content_type=detected.content_type,
            size=detected.size,
            sha256=detected.sha256,
            uploaded_at=now,
            delete_after=self.retention.delete_after(kind, now),
        )

    def _discard(self, key: str) -> None:
        """Undo a stored object whose row was never written."""
        try:
            self.storage.delete(key)
        except Exception:
            # Not fatal: the reconcile job deletes objects without rows after its grace period.
            log.exception("could not remove the object of a failed upload", extra={"key": key})

    def _issue(
        self,
        uow: UnitOfWork,
        document: Document,
        principal: Principal,
        ctx: ClientContext,
        route: str,
        **why: str,
    ) -> SignedUrl:
        """Sign a link and audit it in the caller's transaction; no commit, no link."""
        if document.storage_key is None:
            raise NotFound("the document was erased")
        url = self.storage.signed_download_url(
            document.storage_key,
            filename=document.download_filename,
            content_type=document.content_type,
            expires_in=self.url_ttl,
            now=self.clock.now(),
        )
        uow.audit.append(
            self._event(
                AuditEventType.DOCUMENT_URL_ISSUED, document, principal, ctx, route=route, **why
            )
        )
        uow.commit()
        return url

    def _event(
        self,
        event: AuditEventType,
        document: Document,
        principal: Principal,
        ctx: ClientContext,
        **details: str,
    ) -> AuditEvent:
        return self.auditor.event(
            event,
            account_id=document.account_id,
            actor_id=principal.account_id,
            ip=ctx.ip,
            subject_id=document.id,
            kind=document.kind.value,
            **details,
        )
