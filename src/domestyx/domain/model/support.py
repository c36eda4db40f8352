"""What support staff see of an account: contacts masked, everything else as recorded."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from domestyx.domain.model.accounts import Account
from domestyx.domain.model.audit import AuditEvent
from domestyx.domain.model.delivery import Delivery
from domestyx.domain.model.errors import InvalidInput
from domestyx.domain.model.sessions import Session

MAX_REASON_LENGTH = 500


def mask_email(email: str) -> str:
    """First character of the local part, then the domain: enough to confirm, not to copy."""
    local, at, domain = email.partition("@")
    if not at:
        return "***" if email else ""
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str) -> str:
    """The calling-code side and the last two digits of an E.164 number."""
    if len(phone) < 6:
        return "***" if phone else ""
    return f"{phone[:3]}{'*' * (len(phone) - 5)}{phone[-2:]}"


def check_reason(reason: str) -> str:
    """Every support action names why; the reason is kept in the audit trail."""
    cleaned = " ".join(reason.split())
    if not cleaned:
        raise InvalidInput("a reason is required", field="reason")
    if len(cleaned) > MAX_REASON_LENGTH:
        raise InvalidInput(f"the reason is longer than {MAX_REASON_LENGTH}", field="reason")
    return cleaned


@attrs.frozen
class AccountDossier:
    """One account as support sees it."""

    account: Account
    sessions: Sequence[Session]
    deliveries: Sequence[Delivery]
    events: Sequence[AuditEvent]


@attrs.frozen
class ResendOutcome:
    """What `resend` did: re-queued a waiting message or queued a fresh code."""

    action: str
    delivery_id: str
    channel: str
