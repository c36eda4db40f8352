"""Accounts over SQLAlchemy Core: rows mapped to `Account` and back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from domestyx.adapters.sql import tables as t
from domestyx.domain.model.accounts import Account, AccountStatus, IdentityStatus, Role
from domestyx.domain.model.errors import Conflict


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
        "phone_owner": a.phone if a.owns_phone else None,
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


# The hot statements, built once; each call only binds its values.
_ADD = insert(t.accounts)
_SAVE = update(t.accounts).where(t.accounts.c.id == bindparam("b_id"))
_ONE = {
    (column, locked): (
        select(t.accounts).where(t.accounts.c[column] == bindparam("value")).with_for_update()
        if locked
        else select(t.accounts).where(t.accounts.c[column] == bindparam("value"))
    )
    for column in ("id", "email", "phone_owner")
    for locked in (False, True)
}
_BY_EMAIL_OR_PHONE = select(t.accounts).where(
    or_(
        t.accounts.c.email == bindparam("email"),
        t.accounts.c.phone_owner == bindparam("phone"),
    )
)
_BY_EMAIL_OR_PHONE_LOCKED = _BY_EMAIL_OR_PHONE.with_for_update()


class SqlAccountRepository:
    """Accounts table."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        # Rows read FOR UPDATE: id -> (transaction, email, phone_owner) as the row holds them.
        self._locked: dict[str, tuple[object, str, str | None]] = {}

    def add(self, account: Account) -> None:
        """Insert; a taken email or phone becomes Conflict."""
        try:
            with self._conn.begin_nested():
                self._conn.execute(_ADD, _account_values(account))
        except IntegrityError as exc:
            raise Conflict("email already registered or phone already owned") from exc

    def get(self, account_id: str, *, for_update: bool = False) -> Account | None:
        """By id."""
        return self._one("id", account_id, for_update=for_update)

    def by_email(self, email: str, *, for_update: bool = False) -> Account | None:
        """By normalised email."""
        return self._one("email", email, for_update=for_update)

    def by_phone(self, phone: str, *, for_update: bool = False) -> Account | None:
        """The owner of a proven E.164 phone."""
        return self._one("phone_owner", phone, for_update=for_update)

    def by_email_or_phone(
        self, email: str, phone: str, *, for_update: bool = False
    ) -> tuple[Account | None, Account | None]:
        """One statement over both unique indexes (email, phone_owner)."""
        rows = self._conn.execute(
            _BY_EMAIL_OR_PHONE_LOCKED if for_update else _BY_EMAIL_OR_PHONE,
            {"email": email, "phone": phone},
        )
        found = [_account(row._mapping) for row in rows]
        by_email = next((a for a in found if a.email == email), None)
        by_phone = next((a for a in found if a.owns_phone and a.phone == phone), None)
        return by_email, by_phone

    def phone_claims(self, phone: str, *, for_update: bool = False) -> Sequence[Account]:
        """Every account naming the phone, newest first (id breaks ties so the order is fixed)."""
        query = (
            select(t.accounts)
            .where(t.accounts.c.phone == phone)
            .order_by(t.accounts.c.created_at.desc(), t.accounts.c.id.desc())
        )
        if for_update:
            query = query.with_for_update()
        return [_account(row._mapping) for row in self._conn.execute(query)]

    def remove(self, account_id: str) -> None:
        """Tokens, sessions and outbox rows first (they refer to the account), then the row."""
        sessions = select(t.sessions.c.id).where(t.sessions.c.account_id == account_id)
        try:
            with self._conn.begin_nested():
                self._conn.execute(
                    delete(t.refresh_tokens).where(t.refresh_tokens.c.session_id.in_(sessions))
                )
                self._conn.execute(delete(t.sessions).where(t.sessions.c.account_id == account_id))
                self._conn.execute(
                    delete(t.contact_changes).where(t.contact_changes.c.account_id == account_id)
                )
                self._conn.execute(
                    delete(t.deliveries).where(t.deliveries.c.account_id == account_id)
                )
                self._conn.execute(delete(t.accounts).where(t.accounts.c.id == account_id))
        except IntegrityError as exc:
            raise Conflict("the account still has documents or reviews") from exc

    def unproven_before(self, cutoff: datetime, limit: int) -> Sequence[Account]:
        """Pending, email never proven, created before the cutoff; oldest first."""
        query = (
            select(t.accounts)
            .where(
                t.accounts.c.status == AccountStatus.PENDING.value,
                t.accounts.c.email_verified_at.is_(None),
                t.accounts.c.created_at < cutoff,
            )
            .order_by(t.accounts.c.created_at)
            .limit(limit)
        )
        return [_account(row._mapping) for row in self._conn.execute(query)]

    def _one(self, column: str, value: str, *, for_update: bool) -> Account | None:
        row = self._conn.execute(_ONE[column, for_update], {"value": value}).first()
        if row is None:
            return None
        if for_update:
            self._hold(row._mapping)
        return _account(row._mapping)

    def _hold(self, m: Any) -> None:
        """Remember the unique columns of a row this transaction has locked."""
        self._locked[m["id"]] = (self._tx(), m["email"], m["phone_owner"])

    def _tx(self) -> object:
        """The transaction under way (a commit ends it, and with it every row lock)."""
        return self._conn.get_transaction()

    def _contacts_unchanged(self, account_id: str, values: dict[str, Any]) -> bool:
        """Locked in this very transaction and writing back the email and phone it holds."""
        held = self._locked.get(account_id)
        if held is None or held[0] is None or held[0] is not self._tx():
            return False
        return held[1:] == (values["email"], values["phone_owner"])

    def save(self, account: Account) -> None:
        """Write every column back; a contact another account holds becomes Conflict."""
        values = _account_values(account)
        account_id = values.pop("id")
        if self._contacts_unchanged(account_id, values):
            # The row is ours since it was read and keeps its unique values, so no constraint
            # can fail: no savepoint (two statements saved on every email proof).
            self._conn.execute(_SAVE, {"b_id": account_id, **values})
            return
        try:
            with self._conn.begin_nested():
                self._conn.execute(_SAVE, {"b_id": account_id, **values})
        except IntegrityError as exc:
            raise Conflict("email already registered or phone already owned") from exc
        if account_id in self._locked and self._locked[account_id][0] is self._tx():
            self._hold({"id": account_id, **values})  # still ours, now with the values written
