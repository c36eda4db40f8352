"""Accounts: one person with an email and a phone, both proven before the account is active."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

import attrs

from domestyx.domain.model.errors import IllegalTransition


class Role(enum.StrEnum):
    """What the account is on the marketplace; reviewer and admin are staff."""

    WORKER = "worker"
    EMPLOYER = "employer"
    REVIEWER = "reviewer"
    ADMIN = "admin"

    @property
    def is_staff(self) -> bool:
        """Staff may review identity documents."""
        return self in (Role.REVIEWER, Role.ADMIN)


SELF_SERVICE_ROLES = frozenset({Role.WORKER, Role.EMPLOYER})


class AccountStatus(enum.StrEnum):
    """pending -> active -> suspended/deleted; active needs both contacts verified."""

    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DELETED = "deleted"


class IdentityStatus(enum.StrEnum):
    """Where the account's identity review stands."""

    NOT_STARTED = "not_started"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    RESUBMISSION_REQUESTED = "resubmission_requested"


@attrs.define
class Account:
    """An account; mutate only through its methods so the status rules hold."""

    id: str
    email: str
    phone: str
    role: Role
    password_hash: str = attrs.field(repr=False)
    created_at: datetime
    status: AccountStatus = AccountStatus.PENDING
    email_verified_at: datetime | None = None
    phone_verified_at: datetime | None = None
    identity_status: IdentityStatus = IdentityStatus.NOT_STARTED
    updated_at: datetime | None = None
    deleted_at: datetime | None = None

    @property
    def email_verified(self) -> bool:
        """The email address was proven by a code."""
        return self.email_verified_at is not None

    @property
    def phone_verified(self) -> bool:
        """The phone number was proven by a code."""
        return self.phone_verified_at is not None

    @property
    def contacts_verified(self) -> bool:
        """Both contacts are proven."""
        return self.email_verified and self.phone_verified

    @property
    def is_live(self) -> bool:
        """Pending or active: neither suspended nor deleted."""
        return self.status in (AccountStatus.PENDING, AccountStatus.ACTIVE)

    @property
    def can_sign_in(self) -> bool:
        """A live account whose email is proven; before that the registrant is nobody yet."""
        return self.is_live and self.email_verified

    @property
    def owns_phone(self) -> bool:
        """A phone is owned only once proven; an unproven one is a claim that blocks nobody."""
        return self.phone_verified and self.status is not AccountStatus.DELETED

    def is_unproven_claim(self, now: datetime, ttl: timedelta) -> bool:
        """A pending registration whose email was never proven, older than the TTL."""
        expired = self.created_at + ttl <= now
        return self.status is AccountStatus.PENDING and not self.email_verified and expired

    def release_phone(self, now: datetime) -> None:
        """Drop an unproven phone claim once another account proves that number."""
        if self.phone_verified:
            raise IllegalTransition("a proven phone is not released")
        self.phone = ""
        self.updated_at = now

    @property
    def identity_verified(self) -> bool:
        """A reviewer approved the identity documents."""
        return self.identity_status is IdentityStatus.APPROVED

    def verify_email(self, now: datetime) -> None:
        """Record a proven email and activate when both contacts are proven."""
        self._require_live()
        self.email_verified_at = self.email_verified_at or now
        self._activate_if_ready(now)

    def verify_phone(self, now: datetime) -> None:
        """Record a proven phone and activate when both contacts are proven."""
        self._require_live()
        self.phone_verified_at = self.phone_verified_at or now
        self._activate_if_ready(now)

    def change_password(self, password_hash: str, now: datetime) -> None:
        """Replace the stored password hash."""
        self._require_live()
        self.password_hash = password_hash
        self.updated_at = now

    def replace_email(self, email: str, now: datetime) -> None:
        """A new email, proven by a code sent to it."""
        self._require_live()
        self.email = email
        self.email_verified_at = now
        self._activate_if_ready(now)

    def replace_phone(self, phone: str, now: datetime) -> None:
        """A new phone, proven by a code sent to it."""
        self._require_live()
        self.phone = phone
        self.phone_verified_at = now
        self._activate_if_ready(now)

    def set_identity_status(self, status: IdentityStatus, now: datetime) -> None:
        """Mirror the identity review outcome on the account."""
        self.identity_status = status
        self.updated_at = now

    def suspend(self, now: datetime) -> None:
        """Lock the account: no sign-in, no refresh, no request with an old access token."""
        if self.status is not AccountStatus.PENDING and self.status is not AccountStatus.ACTIVE:
            raise IllegalTransition(f"account is {self.status}")
        self.status = AccountStatus.SUSPENDED
        self.updated_at = now

    def reinstate(self, now: datetime) -> None:
        """Unlock: back to active when both contacts are proven, else pending."""
        if self.status is not AccountStatus.SUSPENDED:
            raise IllegalTransition(f"account is {self.status}, not suspended")
        self.status = AccountStatus.ACTIVE if self.contacts_verified else AccountStatus.PENDING
        self.updated_at = now

    def delete(self, now: datetime) -> None:
        """Close the account for good; documents are scheduled for erasure by the caller."""
        if self.status is AccountStatus.DELETED:
            raise IllegalTransition("account is already deleted")
        self.status = AccountStatus.DELETED
        self.deleted_at = now
        self.updated_at = now

    def _require_live(self) -> None:
        if self.status in (AccountStatus.SUSPENDED, AccountStatus.DELETED):
            raise IllegalTransition(f"account is {self.status}")

    def _activate_if_ready(self, now: datetime) -> None:
        self.updated_at = now
        if self.status is AccountStatus.PENDING and self.contacts_verified:
            self.status = AccountStatus.ACTIVE
