"""Append-only security events: who, what, when, from where, with what outcome; never a secret."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    pass


class AuditEventType(enum.StrEnum):
    """Every kind of event the audit log records."""

    REGISTER = "register"
    REGISTER_DUPLICATE = "register_duplicate"
    REGISTER_REPLACED = "register_replaced"
    PENDING_EXPIRED = "pending_expired"
    PHONE_RELEASED = "phone_released"
    PASSWORD_REJECTED = "password_rejected"  # noqa: S105 - a name, not a secret
    OTP_SENT = "otp_sent"
    OTP_SUPPRESSED = "otp_suppressed"
    OTP_FAILED = "otp_failed"
    OTP_VERIFIED = "otp_verified"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOCKOUT = "lockout"
    SIGN_IN_THROTTLED = "sign_in_throttled"
    CAPTCHA_DEMANDED = "captcha_demanded"
    CAPTCHA_FAILED = "captcha_failed"
    RATE_LIMITED = "rate_limited"
    SMS_BREAKER_TRIPPED = "sms_breaker_tripped"
    TOKEN_REUSE = "token_reuse"  # noqa: S105 - a name, not a secret
    LOGOUT = "logout"
    SESSION_REVOKED = "session_revoked"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a name, not a secret
    DELIVERY_FAILED = "delivery_failed"
    DELIVERY_CALLBACK = "delivery_callback"
    DELIVERY_EXPIRED = "delivery_expired"
    DOCUMENT_UPLOADED = "document_uploaded"
    DOCUMENT_REJECTED = "document_rejected"
    DOCUMENT_VIEWED = "document_viewed"
    DOCUMENT_URL_ISSUED = "document_url_issued"
    DOCUMENT_DELETED = "document_deleted"
    DOCUMENT_PURGED = "document_purged"
    VERIFICATION_SUBMITTED = "verification_submitted"
    VERIFICATION_CLAIMED = "verification_claimed"
    VERIFICATION_DECIDED = "verification_decided"
    ACCOUNT_DELETED = "account_deleted"
    ADMIN_CREATED = "admin_created"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a name, not a secret
    CONTACT_CHANGE_REQUESTED = "contact_change_requested"
    CONTACT_CHANGE_REFUSED = "contact_change_refused"
    CONTACT_CHANGED = "contact_changed"
    MFA_ENROLMENT_STARTED = "mfa_enrolment_started"
    MFA_ENABLED = "mfa_enabled"
    MFA_FAILED = "mfa_failed"
    MFA_RECOVERY_USED = "mfa_recovery_code_used"
    SUPPORT_VIEWED = "support_viewed"
    ACCOUNT_LOCKED = "account_locked"
    ACCOUNT_UNLOCKED = "account_unlocked"
    SUPPORT_SIGNED_OUT = "support_signed_out"
    SUPPORT_RESENT = "support_resent"


@attrs.frozen
class AuditEvent:
    """One security-relevant fact."""

    id: str
    occurred_at: datetime
    event: AuditEventType
    outcome: str = "ok"
    account_id: str | None = None
    actor_id: str | None = None
    ip: str | None = None
    subject_id: str | None = None
    details: dict[str, str] = attrs.field(factory=dict)


@attrs.frozen
class ClientContext:
    """Who is calling, as far as the edge can tell."""

    ip: str = ""
    user_agent: str = ""
