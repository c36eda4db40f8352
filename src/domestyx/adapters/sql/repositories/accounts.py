"""Repositories over SQLAlchemy Core: explicit statements, rows mapped to domain records."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update
from sqlalchemy.exc import IntegrityError

from domestyx.adapters.sql import tables as t
from domestyx.domain.accounts import Account, AccountStatus, IdentityStatus, Role
from domestyx.domain.audit import AuditEvent, AuditEventType
from domestyx.domain.delivery import Delivery, DeliveryStatus, Template
from domestyx.domain.documents import Document, DocumentKind, DocumentStatus
from domestyx.domain.errors import Conflict
from domestyx.domain.otp import Channel
from domestyx.domain.sessions import Principal, RefreshToken, Session
from domestyx.domain.verification import ReviewEntry, Verification


def _account(m: Any) -> Account:
    return Account(
        id=m["id"],
        email=m["email"],
        phone=m["phone"],
        role=Role(m["role"]),
        password_hash=m["password_hash"],
        created_at=m["created_at"],
        status=AccountStatus(m["status"]),
        email_verified_at=m["email_verified_at"],
        phone_verified_at=m["phone_verified_at"],
        identity_status=IdentityStatus(m["identity_status"]),
        updated_at=m["updated_at"],
        deleted_at=m["deleted_at"],
    )


def _account_values(a: Account) -> dict[str, Any]:
    return {
        "id": a.id,
        "email": a.email,
        "phone": a.phone,
        "role": a.role.value,
        "status": a.status.value,
        "password_hash": a.password_hash,
        "email_verified_at": a.email_verified_at,
        "phone_verified_at": a.phone_verified_at,
        "identity_status": a.identity_status.value,
        "created_at": a.created_at,
        "updated_at": a.updated_at,
        "deleted_at": a.deleted_at,
    }


class SqlAccountRepository:
    """Accounts table."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, account: Account) -> None:
        """Insert; a taken email or phone becomes Conflict."""
        try:
            with self._conn.begin_nested():
                self._conn.execute(insert(t.accounts).values(**_account_values(account)))
        except IntegrityError as exc:
            raise Conflict("email or phone already registered") from exc

    def get(self, account_id: str, *, for_update: bool = False) -> Account | None:
        """By id."""
        return self._one(t.accounts.c.id == account_id, for_update=for_update)

    def by_email(self, email: str, *, for_update: bool = False) -> Account | None:
        """By normalised email."""
        return self._one(t.accounts.c.email == email, for_update=for_update)

    def by_phone(self, phone: str, *, for_update: bool = False) -> Account | None:
        """By E.164 phone."""
        return self._one(t.accounts.c.phone == phone, for_update=for_update)

    def _one(self, condition: Any, *, for_update: bool) -> Account | None:
        query = select(t.accounts).where(condition)
        if for_update:
            query = query.with_for_update()
        row = self._conn.execute(query).first()
        return _account(row._mapping) if row else None

    def save(self, account: Account) -> None:
        """Write every column back."""
        values = _account_values(account)
        self._conn.execute(
            update(t.accounts).where(t.accounts.c.id == values.pop("id")).values(values)
        )


def _session(m: Any) -> Session:
    return Session(
        id=m["id"],
        account_id=m["account_id"],
        created_at=m["created_at"],
        expires_at=m["expires_at"],
        user_agent=m["user_agent"],
        ip=m["ip"],
        revoked_at=m["revoked_at"],
        revoked_reason=m["revoked_reason"],
        last_used_at=m["last_used_at"],
    )


class SqlSessionRepository:
    """Sessions and refresh tokens."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add_session(self, session: Session) -> None:
        """Insert a family."""
        self._conn.execute(
            insert(t.sessions).values(
                id=session.id,
                account_id=session.account_id,
                created_at=session.created_at,
                expires_at=session.expires_at,
                user_agent=session.user_agent[:255],
                ip=session.ip[:64],
                last_used_at=session.last_used_at,
            )
        )

    def add_token(self, token: RefreshToken) -> None:
        """Insert a token."""
        self._conn.execute(
            insert(t.refresh_tokens).values(
                id=token.id,
                session_id=token.session_id,
                token_hash=token.token_hash,
                issued_at=token.issued_at,
                expires_at=token.expires_at,
            )
        )

    def find_token(self, token_hash: str) -> tuple[RefreshToken, Session, Account] | None:
        """Token, family and account in one locking statement."""
        rt, s, a = t.refresh_tokens, t.sessions, t.accounts
        query = (
            select(rt, s, a)
            .select_from(rt.join(s, rt.c.session_id == s.c.id).join(a, s.c.account_id == a.c.id))
            .where(rt.c.token_hash == token_hash)
            .with_for_update(of=rt)
        )
        row = self._conn.execute(query).first()
        if row is None:
            return None
        values = list(row)
        n_rt, n_s = len(rt.c), len(s.c)
        token_m = dict(zip(rt.c.keys(), values[:n_rt], strict=True))
        session_m = dict(zip(s.c.keys(), values[n_rt : n_rt + n_s], strict=True))
        account_row = dict(zip(a.c.keys(), values[n_rt + n_s :], strict=True))
        token = RefreshToken(
            id=token_m["id"],
            session_id=token_m["session_id"],
            token_hash=token_m["token_hash"],
            issued_at=token_m["issued_at"],
            expires_at=token_m["expires_at"],
            used_at=token_m["used_at"],
            successor_hash=token_m["successor_hash"],
        )
        return token, _session(session_m), _account(account_row)

    def mark_used(self, token_id: str, used_at: datetime, successor_hash: str) -> None:
        """Rotate."""
        self._conn.execute(
            update(t.refresh_tokens)
            .where(t.refresh_tokens.c.id == token_id)
            .values(used_at=used_at, successor_hash=successor_hash)
        )

    def get_session(self, session_id: str) -> Session | None:
        """One family."""
        row = self._conn.execute(select(t.sessions).where(t.sessions.c.id == session_id)).first()
        return _session(row._mapping) if row else None

    def revoke(self, session_id: str, at: datetime, reason: str) -> None:
        """Revoke one family once."""
        self._conn.execute(
            update(t.sessions)
            .where(and_(t.sessions.c.id == session_id, t.sessions.c.revoked_at.is_(None)))
            .values(revoked_at=at, revoked_reason=reason)
        )

    def revoke_all(self, account_id: str, at: datetime, reason: str, *, keep: str | None) -> int:
        """Revoke an account's live families."""
        condition = and_(t.sessions.c.account_id == account_id, t.sessions.c.revoked_at.is_(None))
        if keep is not None:
            condition = and_(condition, t.sessions.c.id != keep)
        result = self._conn.execute(
            update(t.sessions).where(condition).values(revoked_at=at, revoked_reason=reason)
        )
        return int(result.rowcount)

    def live_sessions(self, account_id: str, now: datetime) -> Sequence[Session]:
        """Live families, newest first."""
        s = t.sessions
        query = (
            select(s)
            .where(
                and_(s.c.account_id == account_id, s.c.revoked_at.is_(None), s.c.expires_at > now)
            )
            .order_by(s.c.created_at.desc())
        )
        return [_session(row._mapping) for row in self._conn.execute(query)]

    def principal(self, session_id: str, account_id: str, now: datetime) -> Principal | None:
        """One statement: the session is live and the account may sign in."""
        s, a = t.sessions, t.accounts
        query = (
            select(a.c.role)
            .select_from(s.join(a, s.c.account_id == a.c.id))
            .where(
                s.c.id == session_id,
                a.c.id == account_id,
                s.c.revoked_at.is_(None),
                s.c.expires_at > now,
                a.c.status.in_([AccountStatus.PENDING.value, AccountStatus.ACTIVE.value]),
            )
        )
        role = self._conn.execute(query).scalar_one_or_none()
        if role is None:
            return None
        return Principal(account_id=account_id, role=Role(role), session_id=session_id)


def _delivery(m: Any) -> Delivery:
    return Delivery(
        id=m["id"],
        channel=Channel(m["channel"]),
        template=Template(m["template"]),
        destination=m["destination"],
        created_at=m["created_at"],
        expires_at=m["expires_at"],
        account_id=m["account_id"],
        purpose=m["purpose"],
        sealed_code=m["sealed_code"],
        status=DeliveryStatus(m["status"]),
        attempts=m["attempts"],
        provider_id=m["provider_id"],
        error_code=m["error_code"],
        sending_started_at=m["sending_started_at"],
        updated_at=m["updated_at"],
    )


def _delivery_values(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "channel": d.channel.value,
        "template": d.template.value,
        "destination": d.destination,
        "account_id": d.account_id,
        "purpose": d.purpose,
        "sealed_code": d.sealed_code,
        "status": d.status.value,
        "attempts": d.attempts,
        "provider_id": d.provider_id,
        "error_code": d.error_code,
        "created_at": d.created_at,
        "expires_at": d.expires_at,
        "sending_started_at": d.sending_started_at,
        "updated_at": d.updated_at,
    }


class SqlDeliveryRepository:
    """The outbox."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, delivery: Delivery) -> None:
        """Insert."""
        self._conn.execute(insert(t.deliveries).values(**_delivery_values(delivery)))

    def get(self, delivery_id: str, *, for_update: bool = False) -> Delivery | None:
        """By id."""
        query = select(t.deliveries).where(t.deliveries.c.id == delivery_id)
        if for_update:
            query = query.with_for_update()
        row = self._conn.execute(query).first()
        return _delivery(row._mapping) if row else None

    def by_provider_id(self, provider_id: str) -> Delivery | None:
        """By the provider's message id."""
        query = (
            select(t.deliveries).where(t.deliveries.c.provider_id == provider_id).with_for_update()
        )
        row = self._conn.execute(query).first()
        return _delivery(row._mapping) if row else None

    def save(self, delivery: Delivery) -> None:
        """Write back."""
        values = _delivery_values(delivery)
        self._conn.execute(
            update(t.deliveries).where(t.deliveries.c.id == values.pop("id")).values(values)
        )

    def stale_queued(self, older_than: datetime, limit: int) -> Sequence[Delivery]:
        """Queued and never picked up."""
        d = t.deliveries
        query = (
            select(d)
            .where(d.c.status == DeliveryStatus.QUEUED.value, d.c.created_at < older_than)
            .order_by(d.c.created_at)
            .limit(limit)
        )
        return [_delivery(row._mapping) for row in self._conn.execute(query)]


def _document(m: Any) -> Document:
    return Document(
        id=m["id"],
        account_id=m["account_id"],
        kind=DocumentKind(m["kind"]),
        version=m["version"],
        storage_key=m["storage_key"],
        content_type=m["content_type"],
        size=m["size"],
        sha256=m["sha256"],
        uploaded_at=m["uploaded_at"],
        delete_after=m["delete_after"],
        status=DocumentStatus(m["status"]),
        legal_hold=bool(m["legal_hold"]),
        deleted_at=m["deleted_at"],
        purged_at=m["purged_at"],
    )


def _document_values(d: Document) -> dict[str, Any]:
    return {
        "id": d.id,
        "account_id": d.account_id,
        "kind": d.kind.value,
        "version": d.version,
        "storage_key": d.storage_key,
        "content_type": d.content_type,
        "size": d.size,
        "sha256": d.sha256,
        "uploaded_at": d.uploaded_at,
        "delete_after": d.delete_after,
        "status": d.status.value,
        "legal_hold": d.legal_hold,
        "deleted_at": d.deleted_at,
        "purged_at": d.purged_at,
    }


class SqlDocumentRepository:
    """Document versions."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, document: Document) -> None:
        """Insert a version; a concurrent upload of the same version becomes Conflict."""
        try:
            with self._conn.begin_nested():
                self._conn.execute(insert(t.documents).values(**_document_values(document)))
        except IntegrityError as exc:
            raise Conflict("another upload of this document kind is in progress") from exc

    def get(self, document_id: str, *, for_update: bool = False) -> Document | None:
        """By id."""
        query = select(t.documents).where(t.documents.c.id == document_id)
        if for_update:
            query = query.with_for_update()
        row = self._conn.execute(query).first()
        return _document(row._mapping) if row else None

    def for_account(self, account_id: str) -> Sequence[Document]:
        """Visible versions, newest first."""
        d = t.documents
        query = (
            select(d)
            .where(
                d.c.account_id == account_id,
                d.c.status.in_([DocumentStatus.ACTIVE.value, DocumentStatus.SUPERSEDED.value]),
            )
            .order_by(d.c.uploaded_at.desc(), d.c.version.desc())
        )
        return [_document(row._mapping) for row in self._conn.execute(query)]

    def all_for_account(self, account_id: str) -> Sequence[Document]:
        """Every version."""
        d = t.documents
        query = select(d).where(d.c.account_id == account_id).order_by(d.c.uploaded_at)
        return [_document(row._mapping) for row in self._conn.execute(query)]

    def latest(self, account_id: str, kind: DocumentKind) -> Document | None:
        """Newest version of a kind."""
        d = t.documents
        query = (
            select(d)
            .where(d.c.account_id == account_id, d.c.kind == kind.value)
            .order_by(d.c.version.desc())
            .limit(1)
            .with_for_update()
        )
        row = self._conn.execute(query).first()
        return _document(row._mapping) if row else None

    def save(self, document: Document) -> None:
        """Write back."""
        values = _document_values(document)
        self._conn.execute(
            update(t.documents).where(t.documents.c.id == values.pop("id")).values(values)
        )

    def due_for_purge(self, now: datetime, limit: int) -> Sequence[Document]:
        """Past retention, not held, not yet purged."""
        d = t.documents
        query = (
            select(d)
            .where(
                d.c.status != DocumentStatus.PURGED.value,
                d.c.legal_hold.is_(False),
                d.c.delete_after <= now,
            )
            .order_by(d.c.delete_after)
            .limit(limit)
        )
        return [_document(row._mapping) for row in self._conn.execute(query)]

    def storage_keys(self) -> Iterator[str]:
        """Keys the database believes exist."""
        query = select(t.documents.c.storage_key).where(t.documents.c.storage_key.is_not(None))
        for (key,) in self._conn.execute(query):
            yield key


def _verification(m: Any, document_ids: tuple[str, ...]) -> Verification:
    return Verification(
        id=m["id"],
        account_id=m["account_id"],
        document_ids=document_ids,
        submitted_at=m["submitted_at"],
        status=IdentityStatus(m["status"]),
        reviewer_id=m["reviewer_id"],
        decided_at=m["decided_at"],
        reason_code=m["reason_code"],
        note=m["note"],
        updated_at=m["updated_at"],
    )


class SqlVerificationRepository:
    """Review submissions and their history."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, verification: Verification) -> None:
        """Insert the submission and the versions it covers."""
        v = verification
        self._conn.execute(
            insert(t.verifications).values(
                id=v.id,
                account_id=v.account_id,
                status=v.status.value,
                submitted_at=v.submitted_at,
                updated_at=v.updated_at,
            )
        )
        if v.document_ids:
            self._conn.execute(
                insert(t.verification_documents),
                [{"verification_id": v.id, "document_id": d} for d in v.document_ids],
            )

    def _documents_of(self, verification_id: str) -> tuple[str, ...]:
        vd = t.verification_documents
        query = select(vd.c.document_id).where(vd.c.verification_id == verification_id)
        return tuple(sorted(self._conn.execute(query).scalars()))

    def get(self, verification_id: str, *, for_update: bool = False) -> Verification | None:
        """By id."""
        query = select(t.verifications).where(t.verifications.c.id == verification_id)
        if for_update:
            query = query.with_for_update()
        row = self._conn.execute(query).first()
        return _verification(row._mapping, self._documents_of(verification_id)) if row else None

    def current(self, account_id: str) -> Verification | None:
        """Newest submission of an account."""
        v = t.verifications
        query = (
            select(v).where(v.c.account_id == account_id).order_by(v.c.submitted_at.desc()).limit(1)
        )
        row = self._conn.execute(query).first()
        return _verification(row._mapping, self._documents_of(row._mapping["id"])) if row else None

    def save(self, verification: Verification) -> None:
        """Write back the mutable columns."""
        v = verification
        self._conn.execute(
            update(t.verifications)
            .where(t.verifications.c.id == v.id)
            .values(
                status=v.status.value,
                reviewer_id=v.reviewer_id,
                decided_at=v.decided_at,
                reason_code=v.reason_code,
                note=v.note,
                updated_at=v.updated_at,
            )
        )

    def queue(self, limit: int) -> Sequence[Verification]:
        """Waiting or under review, oldest first."""
        v = t.verifications
        waiting = [IdentityStatus.SUBMITTED.value, IdentityStatus.IN_REVIEW.value]
        query = select(v).where(v.c.status.in_(waiting)).order_by(v.c.submitted_at).limit(limit)
        rows = list(self._conn.execute(query))
        return [_verification(r._mapping, self._documents_of(r._mapping["id"])) for r in rows]

    def add_entry(self, entry: ReviewEntry) -> None:
        """Append history."""
        e = entry
        self._conn.execute(
            insert(t.review_entries).values(
                id=e.id,
                verification_id=e.verification_id,
                from_status=e.from_status.value,
                to_status=e.to_status.value,
                actor_id=e.actor_id,
                at=e.at,
                reason_code=e.reason_code,
                note=e.note,
            )
        )

    def history(self, verification_id: str) -> Sequence[ReviewEntry]:
        """History, oldest first."""
        r = t.review_entries
        query = select(r).where(r.c.verification_id == verification_id).order_by(r.c.at, r.c.id)
        return [
            ReviewEntry(
                id=m["id"],
                verification_id=m["verification_id"],
                from_status=IdentityStatus(m["from_status"]),
                to_status=IdentityStatus(m["to_status"]),
                actor_id=m["actor_id"],
                at=m["at"],
                reason_code=m["reason_code"],
                note=m["note"],
            )
            for m in (row._mapping for row in self._conn.execute(query))
        ]


class SqlAuditLog:
    """Append-only: this class has no update or delete."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def append(self, event: AuditEvent) -> None:
        """Insert one event."""
        e = event
        self._conn.execute(
            insert(t.audit_events).values(
                id=e.id,
                occurred_at=e.occurred_at,
                event=e.event.value,
                outcome=e.outcome,
                account_id=e.account_id,
                actor_id=e.actor_id,
                ip=e.ip,
                subject_id=e.subject_id,
                details=dict(e.details),
            )
        )

    def for_account(self, account_id: str, limit: int = 100) -> Sequence[AuditEvent]:
        """Newest first."""
        a = t.audit_events
        query = select(a).where(a.c.account_id == account_id).order_by(a.c.seq.desc()).limit(limit)
        return [
            AuditEvent(
                id=m["id"],
                occurred_at=m["occurred_at"],
                event=AuditEventType(m["event"]),
                outcome=m["outcome"],
                account_id=m["account_id"],
                actor_id=m["actor_id"],
                ip=m["ip"],
                subject_id=m["subject_id"],
                details=dict(m["details"] or {}),
            )
            for m in (row._mapping for row in self._conn.execute(query))
        ]
