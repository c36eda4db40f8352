"""Persistence: repositories in domain words, grouped in one unit of work per transaction."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from domestyx.domain.model.accounts import Account
from domestyx.domain.model.audit import AuditEvent
from domestyx.domain.model.bucket_marker import DatabaseIdentity
from domestyx.domain.model.contact_changes import ContactChange
from domestyx.domain.model.delivery import Delivery
from domestyx.domain.model.documents import Document, DocumentKind
from domestyx.domain.model.mfa import RecoveryCode, TotpCredential
from domestyx.domain.model.otp import Channel
from domestyx.domain.model.sessions import Principal, RefreshToken, Session, Whoami
from domestyx.domain.model.verification import ReviewEntry, Verification


class AccountRepository(Protocol):
    """Accounts by id, email or phone; contacts are compared exactly, in canonical form."""

    def add(self, account: Account) -> None:
        """Insert; raise Conflict when the email is taken or the proven phone is owned."""
        ...

    def get(self, account_id: str, *, for_update: bool = False) -> Account | None:
        """One account, optionally locked for the transaction."""
        ...

    def by_email(self, email: str, *, for_update: bool = False) -> Account | None:
        """The account owning a normalised email."""
        ...

    def by_phone(self, phone: str, *, for_update: bool = False) -> Account | None:
        """The account owning (having proven) an E.164 phone; unproven claims own nothing."""
        ...

    def by_email_or_phone(
        self, email: str, phone: str, *, for_update: bool = False
    ) -> tuple[Account | None, Account | None]:
        """(by_email(email), by_phone(phone)) in one read (both rows locked when asked)."""
        ...

    def phone_claims(self, phone: str, *, for_update: bool = False) -> Sequence[Account]:
        """Every account naming this phone, proven or not, newest first."""
        ...

    def save(self, account: Account) -> None:
        """Write back a changed account; raise Conflict when its proven phone is owned."""
        ...

    def remove(self, account_id: str) -> None:
        """Delete a never-proven registration with its sessions and outbox rows.

        Raise Conflict when anything else (documents, reviews) still refers to it.
        """
        ...

    def unproven_before(self, cutoff: datetime, limit: int) -> Sequence[Account]:
        """Pending registrations whose email was never proven, created before `cutoff`."""
        ...


class ContactChangeRepository(Protocol):
    """Pending email and phone changes, one per account and channel."""

    def put(self, change: ContactChange) -> None:
        """Insert, replacing the account's pending change on that channel."""
        ...

    def get(
        self, account_id: str, channel: Channel, *, for_update: bool = False
    ) -> ContactChange | None:
        """The account's pending change on a channel."""
        ...

    def discard(self, account_id: str, channel: Channel | None = None) -> None:
        """Forget the pending change on a channel (every channel when None)."""
        ...


class SessionRepository(Protocol):
    """Sessions and their refresh-token chains."""

    def add_session(self, session: Session) -> None:
        """Insert a new family."""
        ...

    def add_token(self, token: RefreshToken) -> None:
        """Insert one refresh token."""
        ...

    def find_token(self, token_hash: str) -> tuple[RefreshToken, Session, Account] | None:
        """The token with its family and account, locked for rotation, in one statement."""
        ...

    def mark_used(self, token_id: str, used_at: datetime, successor_hash: str) -> None:
        """Record that a token was rotated into its successor."""
        ...

    def get_session(self, session_id: str) -> Session | None:
        """One family."""
        ...

    def revoke(self, session_id: str, at: datetime, reason: str) -> None:
        """Revoke one family (idempotent)."""
        ...

    def revoke_all(self, account_id: str, at: datetime, reason: str, *, keep: str | None) -> int:
        """Revoke every live family of an account except `keep`; return how many."""
        ...

    def live_sessions(self, account_id: str, now: datetime) -> Sequence[Session]:
        """The account's families that are neither revoked nor expired, newest first."""
        ...

    def principal(self, session_id: str, account_id: str, now: datetime) -> Principal | None:
        """The caller behind an access token if its session and account are still live."""
        ...

    def whoami(self, session_id: str, account_id: str, now: datetime) -> Whoami | None:
        """As `principal`, with the account and its TOTP state read in the same statement."""
        ...


class DocumentRepository(Protocol):
    """Document versions."""

    def add(self, document: Document) -> None:
        """Insert one version."""
        ...

    def get(self, document_id: str, *, for_update: bool = False) -> Document | None:
        """One version by id, any owner."""
        ...

    def for_account(self, account_id: str) -> Sequence[Document]:
        """The account's visible documents, newest first."""
        ...

    def latest(self, account_id: str, kind: DocumentKind) -> Document | None:
        """The newest version of a kind, whatever its status."""
        ...

    def save(self, document: Document) -> None:
        """Write back a changed version."""
        ...

    def due_for_purge(self, now: datetime, limit: int) -> Sequence[Document]:
        """Versions past retention and not held."""
        ...

    def all_for_account(self, account_id: str) -> Sequence[Document]:
        """Every version of an account, including deleted ones."""
        ...

    def storage_keys(self) -> Iterator[str]:
        """Every key the database believes is in storage."""
        ...


class VerificationRepository(Protocol):
    """Identity review submissions and their history."""

    def add(self, verification: Verification) -> None:
        """Insert a submission and its document list."""
        ...

    def get(self, verification_id: str, *, for_update: bool = False) -> Verification | None:
        """One submission."""
        ...

    def current(self, account_id: str) -> Verification | None:
        """The account's newest submission."""
        ...

    def save(self, verification: Verification) -> None:
        """Write back a changed submission."""
        ...

    def queue(self, limit: int) -> Sequence[Verification]:
        """Submissions waiting for or under review, oldest first."""
        ...

    def add_entry(self, entry: ReviewEntry) -> None:
        """Append to the decision history."""
        ...

    def history(self, verification_id: str) -> Sequence[ReviewEntry]:
        """The decision history, oldest first."""
        ...


class DeliveryRepository(Protocol):
    """The outbox of email and SMS."""

    def add(self, delivery: Delivery) -> None:
        """Insert a queued message."""
        ...

    def get(self, delivery_id: str, *, for_update: bool = False) -> Delivery | None:
        """One message."""
        ...

    def by_provider_id(self, provider_id: str) -> Delivery | None:
        """The message a provider callback talks about."""
        ...

    def save(self, delivery: Delivery) -> None:
        """Write back a changed message."""
        ...

    def stale_queued(self, older_than: datetime, limit: int) -> Sequence[Delivery]:
        """Messages waiting for a send (queued or between retries), untouched since then."""
        ...

    def for_account(self, account_id: str, limit: int) -> Sequence[Delivery]:
        """An account's newest messages first (support looks at these)."""
        ...


class MfaRepository(Protocol):
    """Authenticator secrets and recovery codes."""

    def totp(self, account_id: str, *, for_update: bool = False) -> TotpCredential | None:
        """The account's TOTP credential, optionally locked (replays are refused under it)."""
        ...

    def save_totp(self, credential: TotpCredential) -> None:
        """Insert or replace the account's credential."""
        ...

    def replace_recovery_codes(self, account_id: str, codes: Sequence[RecoveryCode]) -> None:
        """Drop the account's recovery codes and store these instead."""
        ...

    def use_recovery_code(self, account_id: str, code_hash: str, at: datetime) -> bool:
        """Spend an unused code atomically; False when there is none (or it was spent)."""
        ...


class DatabaseIdentityRepository(Protocol):
    """The database's own stable id: one row, written once, never changed."""

    def get(self) -> DatabaseIdentity | None:
        """The id and what the server calls this database; None before `claim`."""
        ...

    def claim(self, candidate_id: str) -> DatabaseIdentity:
        """Store `candidate_id` unless an id exists; return the stored one (first claim wins)."""
        ...


class AuditLog(Protocol):
    """Append-only security events."""

    def append(self, event: AuditEvent) -> None:
        """Record one event."""
        ...

    def for_account(self, account_id: str, limit: int = 100) -> Sequence[AuditEvent]:
        """An account's newest events first."""
        ...


@runtime_checkable
class UnitOfWork(Protocol):
    """One transaction over every repository; leaving without commit rolls back.

    Units of work do not nest: opening one while the same thread holds another raises
    `NestedUnitOfWork` (an inner commit could otherwise be lost or self-deadlock).
    """

    accounts: AccountRepository
    contact_changes: ContactChangeRepository
    sessions: SessionRepository
    documents: DocumentRepository
    verifications: VerificationRepository
    deliveries: DeliveryRepository
    mfa: MfaRepository
    identity: DatabaseIdentityRepository
    audit: AuditLog

    def __enter__(self) -> Self:
        """Begin."""
        ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed."""
        ...

    def commit(self) -> None:
        """Make the transaction durable."""
        ...


@runtime_checkable
class UnitOfWorkFactory(Protocol):
    """Opens a fresh unit of work; safe to share across threads."""

    def __call__(self) -> UnitOfWork:
        """A new, not yet begun, unit of work."""
        ...


@runtime_checkable
class DatabaseHealth(Protocol):
    """Readiness probe for the database."""

    def ping(self) -> None:
        """Raise when the database does not answer."""
        ...
