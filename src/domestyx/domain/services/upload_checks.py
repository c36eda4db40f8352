"""An upload on its way in: measured, parsed by the sanitizer, re-measured; refusals audited."""

from __future__ import annotations

from contextlib import ExitStack
from typing import TYPE_CHECKING, BinaryIO

import attrs

from domestyx.domain.model.audit import AuditEvent, AuditEventType, ClientContext
from domestyx.domain.model.documents import DocumentKind
from domestyx.domain.model.errors import (
    PayloadTooLarge,
    UnprocessableDocument,
    UnsupportedMediaType,
)
from domestyx.domain.model.sessions import Principal
from domestyx.domain.model.sniffing import Detected, Measured, as_detected, measure
from domestyx.domain.services.auditor import Auditor

if TYPE_CHECKING:
    from domestyx.ports.uploads import UploadSanitizer

REFUSALS = (PayloadTooLarge, UnsupportedMediaType, UnprocessableDocument)
_MAX_DECLARED = 100  # a client's Content-Type is kept in the audit log only this long


def reason_of(exc: Exception) -> str:
    """The stable slug of a refusal."""
    if isinstance(exc, UnprocessableDocument):
        return exc.reason
    return "too-large" if isinstance(exc, PayloadTooLarge) else "unsupported-type"


@attrs.define
class UploadInspection:
    """One upload's checks; remembers the first measurement for the refusal's audit event."""

    sanitizer: UploadSanitizer
    max_size: int
    first: Measured | None = None

    def clean(self, stack: ExitStack, body: BinaryIO) -> tuple[BinaryIO, Detected]:
        """The bytes to store (closed with `stack`) and their facts; raise a refusal."""
        self.first = measure(body, self.max_size)
        content_type = self.first.require_supported()
        body.seek(0)
        clean = stack.enter_context(self.sanitizer.sanitize(body, content_type))
        # The re-encoding is what gets stored, so the cap and the digest apply to it.
        detected = as_detected(content_type, measure(clean, self.max_size))
        clean.seek(0)
        return clean, detected

    def refusal_event(
        self,
        auditor: Auditor,
        principal: Principal,
        kind: DocumentKind,
        ctx: ClientContext,
        *,
        exc: Exception,
        declared_type: str,
    ) -> AuditEvent:
        """Reason, size, declared and detected type: never a byte of the content."""
        declared = "".join(c for c in declared_type if c.isprintable())[:_MAX_DECLARED]
        return auditor.event(
            AuditEventType.DOCUMENT_REJECTED,
            outcome="refused",
            account_id=principal.account_id,
            actor_id=principal.account_id,
            ip=ctx.ip,
            kind=kind.value,
            reason=reason_of(exc),
            size=str(self.first.size) if self.first else f">{self.max_size}",
            declared_type=declared or "none",
            detected_type=self.first.label if self.first else "unknown",
        )
