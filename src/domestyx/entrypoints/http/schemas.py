"""Request and response bodies (msgspec): unknown fields and wrong types are 400s."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from domestyx.domain.model.accounts import AccountStatus, IdentityStatus, Role
from domestyx.domain.model.documents import CONTENT_TYPES, DocumentKind, DocumentStatus
from domestyx.domain.model.otp import Purpose
from domestyx.domain.model.verification import ReasonCode

Email = Annotated[str, Meta(min_length=3, max_length=254)]
Phone = Annotated[str, Meta(min_length=8, max_length=32)]
Password = Annotated[str, Meta(min_length=1, max_length=1024)]
Token = Annotated[str, Meta(max_length=4096)]
Destination = Annotated[str, Meta(min_length=3, max_length=254)]
ChannelName = Literal["email", "sms"]
PurposeName = Literal["verify_email", "verify_phone", "login"]
Reason = Literal[
    "verified",
    "document_unreadable",
    "document_expired",
    "document_mismatch",
    "suspected_fraud",
    "missing_document",
    "other",
]


class UploadType(enum.StrEnum):
    """The types the sniffer accepts (answers name them so the contract lists them)."""

    PDF = CONTENT_TYPES["pdf"]
    JPEG = CONTENT_TYPES["jpeg"]
    PNG = CONTENT_TYPES["png"]


class Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base for request bodies."""


class RegisterIn(Strict):
    """POST /auth/register."""

    email: Email
    phone: Phone
    password: Password
    role: Literal["worker", "employer"]
    turnstile_token: Token = ""


class OtpSendIn(Strict):
    """POST /auth/otp/send."""

    channel: ChannelName
    destination: Destination
    purpose: PurposeName
    turnstile_token: Token = ""


class OtpVerifyIn(Strict):
    """POST /auth/otp/verify."""

    channel: ChannelName
    destination: Destination
    purpose: PurposeName
    code: Annotated[str, Meta(min_length=1, max_length=16)]


class LoginIn(Strict):
    """POST /auth/login: exactly one of email or phone."""

    password: Password
    email: Email | None = None
    phone: Phone | None = None
    turnstile_token: Token = ""
    # The authenticator's 6 digits, or a recovery code, for accounts that enrolled one.
    totp_code: Annotated[str, Meta(max_length=32)] | None = None


class RefreshIn(Strict):
    """POST /auth/refresh."""

    refresh_token: Token


class LogoutIn(Strict):
    """POST /auth/logout."""

    refresh_token: Token
    all: bool = False


class PasswordChangeIn(Strict):
    """POST /me/password."""

    current_password: Password
    new_password: Password


class DecisionIn(Strict):
    """POST /admin/verifications/{id}/decision."""

    decision: Literal["approve", "reject", "request_resubmission"]
    reason: Reason | None = None
    note: Annotated[str, Meta(max_length=1000)] | None = None


class AcceptedOut(msgspec.Struct):
    """The same answer whether or not an account exists."""

    status: Literal["accepted"]
    detail: str


class TokenOut(msgspec.Struct):
    """A session's tokens."""

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"]
    expires_in: int


class VerifyOut(msgspec.Struct, omit_defaults=True):
    """A proven code; tokens only for the login purpose."""

    verified: bool
    purpose: Purpose
    email_verified: bool
    phone_verified: bool
    status: AccountStatus
    access_token: str | None = None
    refresh_token: str | None = None
    token_type: Literal["bearer"] | None = None
    expires_in: int | None = None


class MeOut(msgspec.Struct):
    """GET /me."""

    id: str
    email: str
    phone: str
    role: Role
    status: AccountStatus
    email_verified: bool
    phone_verified: bool
    identity_status: IdentityStatus
    identity_verified: bool
    created_at: datetime
    totp_enabled: bool = False


class SessionOut(msgspec.Struct):
    """One of the caller's sessions."""

    id: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime
    user_agent: str
    ip: str
    current: bool


class DocumentOut(msgspec.Struct):
    """Document metadata; never the storage key or the user's file name."""

    id: str
    kind: DocumentKind
    version: int
    content_type: UploadType
    size: int
    sha256: str
    status: DocumentStatus
    uploaded_at: datetime
    delete_after: datetime
    legal_hold: bool


class DownloadOut(msgspec.Struct):
    """A short-lived download link."""

    url: str
    expires_at: datetime


class ReviewEntryOut(msgspec.Struct):
    """One step of a review."""

    from_status: IdentityStatus
    to_status: IdentityStatus
    actor_id: str
    at: datetime
    reason_code: ReasonCode | None
    note: str | None


class VerificationOut(msgspec.Struct):
    """An identity review submission."""

    id: str
    account_id: str
    status: IdentityStatus
    document_ids: list[str]
    submitted_at: datetime
    reviewer_id: str | None
    decided_at: datetime | None
    reason_code: ReasonCode | None
    history: list[ReviewEntryOut] = msgspec.field(default_factory=list)


class ConfigOut(msgspec.Struct):
    """Public client configuration."""

    turnstile_site_key: str
    sentry_dsn_frontend: str | None
    environment: str
    release: str
    turnstile_script_url: Annotated[
        str,
        Meta(
            description="The Turnstile script to load: Cloudflare's, or a same-origin path to "
            "the app's offline stand-in when the embedded default's test site key is in use."
        ),
    ]
    max_upload_bytes: Annotated[
        int,
        Meta(ge=1, description="The largest document `POST /api/v1/documents` accepts, in bytes."),
    ]
    dev_outbox_url: Annotated[
        str | None,
        Meta(description="Where the embedded default's emails and texts go; null in production."),
    ] = None


class LiveOut(msgspec.Struct):
    """GET /health/live."""

    status: Literal["ok"]


class OutboxEntryOut(msgspec.Struct):
    """A message in the dev outbox."""

    channel: str
    to: str
    subject: str | None
    body: str
    created_at: str


class TotpEnrolmentOut(msgspec.Struct):
    """POST /me/mfa/totp: shown once; the recovery codes are never shown again."""

    secret: str
    otpauth_uri: str
    recovery_codes: list[str]


class TotpConfirmIn(Strict):
    """POST /me/mfa/totp/confirm."""

    code: Annotated[str, Meta(min_length=1, max_length=16)]


class JwkOut(msgspec.Struct, omit_defaults=True):
    """One public key (RFC 7517): OKP/Ed25519 or EC/P-256."""

    kty: Literal["OKP", "EC"]
    crv: Literal["Ed25519", "P-256"]
    x: str
    kid: str
    alg: Literal["EdDSA", "ES256"]
    use: Literal["sig"]
    y: str | None = None


class JwksOut(msgspec.Struct):
    """GET /.well-known/jwks.json."""

    keys: list[JwkOut]

    @classmethod
    def of(cls, document: dict[str, Any]) -> JwksOut:
        """Typed from the signer's JWKS document."""
        return cls(keys=[msgspec.convert(key, JwkOut) for key in document["keys"]])


class PasswordForgotIn(Strict):
    """POST /auth/password/forgot."""

    channel: ChannelName
    destination: Destination
    turnstile_token: Token = ""


class PasswordResetIn(Strict):
    """POST /auth/password/reset."""

    channel: ChannelName
    destination: Destination
    code: Annotated[str, Meta(min_length=1, max_length=16)]
    new_password: Password


class EmailChangeIn(Strict):
    """POST /me/email."""

    new_email: Email
    password: Password


class PhoneChangeIn(Strict):
    """POST /me/phone."""

    new_phone: Phone
    password: Password


class CodeIn(Strict):
    """POST /me/email/verify and /me/phone/verify."""

    code: Annotated[str, Meta(min_length=1, max_length=16)]
