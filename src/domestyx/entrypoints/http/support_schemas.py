"""Support tool bodies: contacts masked, provider status and error kept, never a code."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from domestyx.domain.model.accounts import Account
from domestyx.domain.model.audit import AuditEvent
from domestyx.domain.model.delivery import Delivery
from domestyx.domain.model.sessions import Session
from domestyx.domain.model.support import MAX_REASON_LENGTH, AccountDossier, mask_email, mask_phone
from domestyx.entrypoints.http.schemas import Strict

_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")


class ReasonIn(Strict):
    """Why a support action is taken; kept in the audit trail."""

    reason: Annotated[str, Meta(min_length=1, max_length=MAX_REASON_LENGTH)]


class AccountSummaryOut(msgspec.Struct):
    """One account in a lookup."""

    id: str
    email: str
    phone: str
    role: str
    status: str
    email_verified: bool
    phone_verified: bool
    identity_status: str
    created_at: datetime


class SupportSessionOut(msgspec.Struct):
    """A live session of the account."""

    id: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime
    user_agent: str
    ip: str


class SupportDeliveryOut(msgspec.Struct):
    """One outbox message with what the provider said."""

    id: str
    channel: str
    template: str
    destination: str
    purpose: str | None
    status: str
    attempts: int
    provider_id: str | None
    error_code: str | None
    created_at: datetime
    updated_at: datetime | None


class SupportEventOut(msgspec.Struct):
    """One audit event."""

    id: str
    occurred_at: datetime
    event: str
    outcome: str
    actor_id: str | None
    subject_id: str | None
    ip: str | None
    details: dict[str, str]


class DossierOut(msgspec.Struct):
    """GET /admin/accounts/{id}."""

    account: AccountSummaryOut
    sessions: list[SupportSessionOut]
    deliveries: list[SupportDeliveryOut]
    events: list[SupportEventOut]


class ActionOut(msgspec.Struct, omit_defaults=True):
    """What a support action did."""

    account_id: str
    status: str
    sessions_revoked: int | None = None
    action: str | None = None
    channel: str | None = None
    delivery_id: str | None = None


def mask_contact(value: str) -> str:
    """Mask anything that looks like an email or an E.164 number; leave other text alone."""
    if "@" in value:
        return mask_email(value)
    return mask_phone(value) if _PHONE.match(value) else value


def summary_out(a: Account) -> AccountSummaryOut:
    """Lookup row."""
    return AccountSummaryOut(
        id=a.id,
        email=mask_email(a.email),
        phone=mask_phone(a.phone),
        role=a.role.value,
        status=a.status.value,
        email_verified=a.email_verified,
        phone_verified=a.phone_verified,
        identity_status=a.identity_status.value,
        created_at=a.created_at,
    )


def _session(s: Session) -> SupportSessionOut:
    return SupportSessionOut(
        id=s.id,
        created_at=s.created_at,
        last_used_at=s.last_used_at,
        expires_at=s.expires_at,
        user_agent=s.user_agent,
        ip=s.ip,
    )


def _delivery(d: Delivery) -> SupportDeliveryOut:
    return SupportDeliveryOut(
        id=d.id,
        channel=d.channel.value,
        template=d.template.value,
        destination=mask_contact(d.destination),
        purpose=d.purpose,
        status=d.status.value,
        attempts=d.attempts,
        provider_id=d.provider_id,
        error_code=d.error_code,
        created_at=d.created_at,
        updated_at=d.updated_at,
    )


def _event(e: AuditEvent) -> SupportEventOut:
    return SupportEventOut(
        id=e.id,
        occurred_at=e.occurred_at,
        event=e.event.value,
        outcome=e.outcome,
        actor_id=e.actor_id,
        subject_id=e.subject_id,
        ip=e.ip,
        details={k: mask_contact(str(v)) for k, v in e.details.items()},
    )


def dossier_out(d: AccountDossier) -> DossierOut:
    """The whole support view."""
    return DossierOut(
        account=summary_out(d.account),
        sessions=[_session(s) for s in d.sessions],
        deliveries=[_delivery(x) for x in d.deliveries],
        events=[_event(e) for e in d.events],
    )
