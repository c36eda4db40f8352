"""In-memory repositories and unit of work: copies in, copies out, rollback by snapshot."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime
from types import TracebackType
from typing import Self

import attrs

from domestyx.adapters.memory.identity import IdentityTable, MemoryDatabaseIdentityRepository
from domestyx.adapters.memory.mfa import MemoryMfaRepository, MfaTables
from domestyx.domain.model.accounts import Account, AccountStatus, IdentityStatus
from domestyx.domain.model.audit import AuditEvent
from domestyx.domain.model.contact_changes import ContactChange
from domestyx.domain.model.delivery import Delivery, DeliveryStatus
from domestyx.domain.model.documents import Document, DocumentKind
from domestyx.domain.model.errors import Conflict, DependencyUnavailable, NestedUnitOfWork
from domestyx.domain.model.otp import Channel
from domestyx.domain.model.sessions import Principal, RefreshToken, Session, Whoami
from domestyx.domain.model.verification import ReviewEntry, Verification
from domestyx.ports.repositories import (
    AccountRepository,
    AuditLog,
    ContactChangeRepository,
    DatabaseIdentityRepository,
    DeliveryRepository,
    DocumentRepository,
    MfaRepository,
    SessionRepository,
    VerificationRepository,
)


@attrs.define
class MemoryState:
    """Every table of the fake database."""

    accounts: dict[str, Account] = attrs.Factory(dict)
    contact_changes: dict[tuple[str, Channel], ContactChange] = attrs.Factory(dict)
    sessions: dict[str, Session] = attrs.Factory(dict)
    tokens: dict[str, RefreshToken] = attrs.Factory(dict)
    deliveries: dict[str, Delivery] = attrs.Factory(dict)
    documents: dict[str, Document] = attrs.Factory(dict)
    verifications: dict[str, Verification] = attrs.Factory(dict)
    entries: list[ReviewEntry] = attrs.Factory(list)
    audit: list[AuditEvent] = attrs.Factory(list)
    mfa: MfaTables = attrs.Factory(MfaTables)
    identity: IdentityTable = attrs.Factory(IdentityTable)


class _Repo:
    def __init__(self, state: MemoryState) -> None:
        self._s = state


def _clashes(a: Account, b: Account) -> bool:
    """The SQL unique keys: the email, and the phone among the accounts that own one."""
    return a.email == b.email or (a.owns_phone and b.owns_phone and a.phone == b.phone)


class MemoryAccountRepository(_Repo):
    """Accounts with a unique email and a unique proven phone, compared exactly."""

    def add(self, account: Account) -> None:
        """Insert."""
        if any(_clashes(account, other) for other in self._s.accounts.values()):
            raise Conflict("email already registered or phone already owned")
        self._s.accounts[account.id] = copy.deepcopy(account)

    def get(self, account_id: str, *, for_update: bool = False) -> Account | None:
        """By id."""
        return copy.deepcopy(self._s.accounts.get(account_id))

    def by_email(self, email: str, *, for_update: bool = False) -> Account | None:
        """By email."""
        found = [a for a in self._s.accounts.values() if a.email == email]
        return copy.deepcopy(found[0]) if found else None

    def by_phone(self, phone: str, *, for_update: bool = False) -> Account | None:
        """The owner of a proven phone."""
        found = [a for a in self._s.accounts.values() if a.owns_phone and a.phone == phone]
        return copy.deepcopy(found[0]) if found else None

    def by_email_or_phone(
        self, email: str, phone: str, *, for_update: bool = False
    ) -> tuple[Account | None, Account | None]:
        """Both lookups."""
        return self.by_email(email), self.by_phone(phone)

    def phone_claims(self, phone: str, *, for_update: bool = False) -> Sequence[Account]:
        """Every account naming the phone, newest first."""
        found = [a for a in self._s.accounts.values() if a.phone == phone]
        found.sort(key=lambda a: (a.created_at, a.id), reverse=True)
        return copy.deepcopy(found)

    def save(self, account: Account) -> None:
        """Write back; a taken email or an owned phone is a Conflict, as in SQL."""
        others = (a for a in self._s.accounts.values() if a.id != account.id)
        if any(_clashes(account, other) for other in others):
            raise Conflict("email already registered or phone already owned")
        self._s.accounts[account.id] = copy.deepcopy(account)

    def remove(self, account_id: str) -> None:
        """Drop the account, its sessions, tokens and outbox rows; refuse if documents remain."""
        s = self._s
        if any(d.account_id == account_id for d in s.documents.values()) or any(
            v.account_id == account_id for v in s.verifications.values()
        ):
            raise Conflict("the account still has documents or reviews")
        families = {k for k, v in s.sessions.items() if v.account_id == account_id}
        s.tokens = {k: v for k, v in s.tokens.items() if v.session_id not in families}
        s.sessions = {k: v for k, v in s.sessions.items() if k not in families}
        s.deliveries = {k: v for k, v in s.deliveries.items() if v.account_id != account_id}
        s.contact_changes = {k: v for k, v in s.contact_changes.items() if k[0] != account_id}
        s.accounts.pop(account_id, None)

    def unproven_before(self, cutoff: datetime, limit: int) -> Sequence[Account]:
        """Pending, email never proven, created before the cutoff; oldest first."""
        found = [
            a
            for a in self._s.accounts.values()
            if a.status is AccountStatus.PENDING and not a.email_verified and a.created_at < cutoff
        ]
        return copy.deepcopy(sorted(found, key=lambda a: a.created_at)[:limit])


class MemoryContactChangeRepository(_Repo):
    """Pending changes keyed by account and channel."""

    def put(self, change: ContactChange) -> None:
        """Insert or replace."""
        self._s.contact_changes[(change.account_id, change.channel)] = change

    def get(
        self, account_id: str, channel: Channel, *, for_update: bool = False
    ) -> ContactChange | None:
        """One pending change."""
        return self._s.contact_changes.get((account_id, channel))

    def discard(self, account_id: str, channel: Channel | None = None) -> None:
        """Forget one or all."""
        for key in [k for k in self._s.contact_changes if k[0] == account_id]:
            if channel is None or key[1] is channel:
                del self._s.contact_changes[key]


class MemorySessionRepository(_Repo):
    """Sessions and tokens."""

    def add_session(self, session: Session) -> None:
        """Insert a family."""
        self._s.sessions[session.id] = copy.deepcopy(session)

    def add_token(self, token: RefreshToken) -> None:
        """Insert a token; hashes are unique."""
        if any(t.token_hash == token.token_hash for t in self._s.tokens.values()):
            raise Conflict("duplicate refresh token")
        self._s.tokens[token.id] = copy.deepcopy(token)

    def find_token(self, token_hash: str) -> tuple[RefreshToken, Session, Account] | None:
        """Token, family, account."""
        for token in self._s.tokens.values():
            if token.token_hash == token_hash:
                session = self._s.sessions[token.session_id]
                account = self._s.accounts[session.account_id]
                return copy.deepcopy((token, session, account))
        return None

    def mark_used(self, token_id: str, used_at: datetime, successor_hash: str) -> None:
        """Rotate."""
        token = self._s.tokens[token_id]
        token.used_at, token.successor_hash = used_at, successor_hash

    def get_session(self, session_id: str) -> Session | None:
        """One family."""
        return copy.deepcopy(self._s.sessions.get(session_id))

    def revoke(self, session_id: str, at: datetime, reason: str) -> None:
        """Revoke once."""
        session = self._s.sessions.get(session_id)
        if session is not None and session.revoked_at is None:
            session.revoked_at, session.revoked_reason = at, reason

    def revoke_all(self, account_id: str, at: datetime, reason: str, *, keep: str | None) -> int:
        """Revoke all but `keep`."""
        count = 0
        for session in self._s.sessions.values():
            if (
                session.account_id == account_id
                and session.revoked_at is None
                and session.id != keep
            ):
                session.revoked_at, session.revoked_reason = at, reason
                count += 1
        return count

    def live_sessions(self, account_id: str, now: datetime) -> Sequence[Session]:
        """Live, newest first."""
        live = [
            s for s in self._s.sessions.values() if s.account_id == account_id and s.is_live(now)
        ]
        return copy.deepcopy(sorted(live, key=lambda s: s.created_at, reverse=True))

    def principal(self, session_id: str, account_id: str, now: datetime) -> Principal | None:
        """Live session of a live account."""
        session = self._s.sessions.get(session_id)
        account = self._s.accounts.get(account_id)
        if session is None or account is None or session.account_id != account_id:
            return None
        if not session.is_live(now) or not account.can_sign_in:
            return None
        return Principal(account_id=account_id, role=account.role, session_id=session_id)

    def whoami(self, session_id: str, account_id: str, now: datetime) -> Whoami | None:
        """The principal, its account and whether its TOTP is confirmed."""
        principal = self.principal(session_id, account_id, now)
        if principal is None:
            return None
        credential = self._s.mfa.totp.get(account_id)
        return Whoami(
            principal=principal,
            account=copy.deepcopy(self._s.accounts[account_id]),
            totp_enabled=credential is not None and credential.active,
        )


class MemoryDeliveryRepository(_Repo):
    """The outbox."""

    def add(self, delivery: Delivery) -> None:
        """Insert."""
        self._s.deliveries[delivery.id] = copy.deepcopy(delivery)

    def get(self, delivery_id: str, *, for_update: bool = False) -> Delivery | None:
        """By id."""
        return copy.deepcopy(self._s.deliveries.get(delivery_id))

    def by_provider_id(self, provider_id: str) -> Delivery | None:
        """By provider id."""
        found = [d for d in self._s.deliveries.values() if d.provider_id == provider_id]
        return copy.deepcopy(found[0]) if found else None

    def save(self, delivery: Delivery) -> None:
        """Write back."""
        self._s.deliveries[delivery.id] = copy.deepcopy(delivery)

    def stale_queued(self, older_than: datetime, limit: int) -> Sequence[Delivery]:
        """Queued too long."""
        stale = [
            d
            for d in self._s.deliveries.values()
            if d.status in (DeliveryStatus.QUEUED, DeliveryStatus.SENDING)
            and (d.updated_at or d.created_at) < older_than
        ]
        return copy.deepcopy(sorted(stale, key=lambda d: d.created_at)[:limit])

    def for_account(self, account_id: str, limit: int) -> Sequence[Delivery]:
        """Newest first."""
        mine = [d for d in self._s.deliveries.values() if d.account_id == account_id]
        return copy.deepcopy(sorted(mine, key=lambda d: d.created_at, reverse=True)[:limit])


class MemoryDocumentRepository(_Repo):
    """Document versions."""

    def add(self, document: Document) -> None:
        """Insert; (account, kind, version) and storage keys are unique."""
        for other in self._s.documents.values():
            same_version = (other.account_id, other.kind, other.version) == (
                document.account_id,
                document.kind,
                document.version,
            )
            if same_version or (document.storage_key and other.storage_key == document.storage_key):
                raise Conflict("another upload of this document kind is in progress")
        self._s.documents[document.id] = copy.deepcopy(document)

    def get(self, document_id: str, *, for_update: bool = False) -> Document | None:
        """By id."""
        return copy.deepcopy(self._s.documents.get(document_id))

    def for_account(self, account_id: str) -> Sequence[Document]:
        """Visible, newest first."""
        docs = [d for d in self._s.documents.values() if d.account_id == account_id and d.visible]
        return copy.deepcopy(sorted(docs, key=lambda d: (d.uploaded_at, d.version), reverse=True))

    def all_for_account(self, account_id: str) -> Sequence[Document]:
        """Every version."""
        docs = [d for d in self._s.documents.values() if d.account_id == account_id]
        return copy.deepcopy(sorted(docs, key=lambda d: d.uploaded_at))

    def latest(self, account_id: str, kind: DocumentKind) -> Document | None:
        """Newest version of a kind."""
        docs = [
            d for d in self._s.documents.values() if d.account_id == account_id and d.kind == kind
        ]
        return copy.deepcopy(max(docs, key=lambda d: d.version)) if docs else None

    def save(self, document: Document) -> None:
        """Write back."""
        self._s.documents[document.id] = copy.deepcopy(document)

    def due_for_purge(self, now: datetime, limit: int) -> Sequence[Document]:
        """Due, not held."""
        due = [d for d in self._s.documents.values() if d.is_due(now)]
        return copy.deepcopy(sorted(due, key=lambda d: d.delete_after)[:limit])

    def storage_keys(self) -> Iterator[str]:
        """Known keys."""
        return iter([d.storage_key for d in self._s.documents.values() if d.storage_key])


class MemoryVerificationRepository(_Repo):
    """Submissions and history."""

    def add(self, verification: Verification) -> None:
        """Insert."""
        self._s.verifications[verification.id] = copy.deepcopy(verification)

    def get(self, verification_id: str, *, for_update: bool = False) -> Verification | None:
        """By id."""
        return copy.deepcopy(self._s.verifications.get(verification_id))

    def current(self, account_id: str) -> Verification | None:
        """Newest of an account."""
        mine = [v for v in self._s.verifications.values() if v.account_id == account_id]
        return copy.deepcopy(max(mine, key=lambda v: v.submitted_at)) if mine else None

    def save(self, verification: Verification) -> None:
        """Write back."""
        self._s.verifications[verification.id] = copy.deepcopy(verification)

    def queue(self, limit: int) -> Sequence[Verification]:
        """Waiting or in review, oldest first."""
        waiting = (IdentityStatus.SUBMITTED, IdentityStatus.IN_REVIEW)
        queue = [v for v in self._s.verifications.values() if v.status in waiting]
        return copy.deepcopy(sorted(queue, key=lambda v: v.submitted_at)[:limit])

    def add_entry(self, entry: ReviewEntry) -> None:
        """Append."""
        self._s.entries.append(entry)

    def history(self, verification_id: str) -> Sequence[ReviewEntry]:
        """Oldest first."""
        return [e for e in self._s.entries if e.verification_id == verification_id]


class MemoryAuditLog(_Repo):
    """Append-only list."""

    def append(self, event: AuditEvent) -> None:
        """Append."""
        self._s.audit.append(event)

    def for_account(self, account_id: str, limit: int = 100) -> Sequence[AuditEvent]:
        """Newest first."""
        return [e for e in reversed(self._s.audit) if e.account_id == account_id][:limit]


class InMemoryUnitOfWork:
    """Serialises transactions with one lock; restores a snapshot unless committed; no nesting."""

    accounts: AccountRepository
    contact_changes: ContactChangeRepository
    sessions: SessionRepository
    documents: DocumentRepository
    verifications: VerificationRepository
    deliveries: DeliveryRepository
    mfa: MfaRepository
    identity: DatabaseIdentityRepository
    audit: AuditLog

    def __init__(self, database: InMemoryDatabase) -> None:
        self._db = database
        self._snapshot: MemoryState | None = None

    def __enter__(self) -> Self:
        """Lock and snapshot."""
        if self._db.down:
            raise DependencyUnavailable("the database is unavailable", dependency="database")
        self._db.acquire()
        self._snapshot = copy.deepcopy(self._db.state)
        state = self._db.state
        self.accounts = MemoryAccountRepository(state)
        self.contact_changes = MemoryContactChangeRepository(state)
        self.sessions = MemorySessionRepository(state)
        self.documents = MemoryDocumentRepository(state)
        self.verifications = MemoryVerificationRepository(state)
        self.deliveries = MemoryDeliveryRepository(state)
        self.mfa = MemoryMfaRepository(state.mfa)
        self.identity = MemoryDatabaseIdentityRepository(state.identity)
        self.audit = MemoryAuditLog(state)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back what was not committed."""
        try:
            if self._snapshot is not None:
                self._db.state = self._snapshot
        finally:
            self._snapshot = None
            self._db.release()

    def commit(self) -> None:
        """Keep the changes."""
        if self._db.down:
            raise DependencyUnavailable("the database is unavailable", dependency="database")
        self._snapshot = copy.deepcopy(self._db.state)


class InMemoryDatabase:
    """The fake database shared by all units of work; `down` simulates an outage."""

    def __init__(self) -> None:
        self.state = MemoryState()
        # A plain Lock plus the owner: re-entry would restore the outer snapshot over an
        # inner commit (lost writes), so the same thread entering twice is refused instead.
        self.lock = threading.Lock()
        self._owner: int | None = None
        self.down = False

    def acquire(self) -> None:
        """Take the database for one unit of work; refuse a nested one on the same thread."""
        if self._owner == threading.get_ident():
            raise NestedUnitOfWork("a unit of work is already open on this thread")
        self.lock.acquire()
        self._owner = threading.get_ident()

    def release(self) -> None:
        """Give the database back."""
        self._owner = None
        self.lock.release()

    def __call__(self) -> InMemoryUnitOfWork:
        """A fresh unit of work (the UnitOfWorkFactory port)."""
        return InMemoryUnitOfWork(self)

    def ping(self) -> None:
        """Readiness."""
        if self.down:
            raise DependencyUnavailable("the database is unavailable", dependency="database")
