"""TOTP credentials and recovery codes over SQLAlchemy Core."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from domestyx.adapters.sql import tables as t
from domestyx.domain.model.mfa import RecoveryCode, TotpCredential


def _credential(m: Any) -> TotpCredential:
    return TotpCredential(
        account_id=m["account_id"],
        sealed_secret=m["sealed_secret"],
        created_at=m["created_at"],
        confirmed_at=m["confirmed_at"],
        last_step=m["last_step"],
    )


class SqlMfaRepository:
    """One credential row per account; recovery codes spent by a guarded UPDATE."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def totp(self, account_id: str, *, for_update: bool = False) -> TotpCredential | None:
        """The account's credential."""
        query = select(t.mfa_totp).where(t.mfa_totp.c.account_id == account_id)
        if for_update:
            query = query.with_for_update()
        row = self._conn.execute(query).first()
        return _credential(row._mapping) if row else None

    def save_totp(self, credential: TotpCredential) -> None:
        """Replace the row (delete + insert: portable between MariaDB and SQLite)."""
        self._conn.execute(
            delete(t.mfa_totp).where(t.mfa_totp.c.account_id == credential.account_id)
        )
        self._conn.execute(
            insert(t.mfa_totp).values(
                account_id=credential.account_id,
                sealed_secret=credential.sealed_secret,
                created_at=credential.created_at,
                confirmed_at=credential.confirmed_at,
                last_step=credential.last_step,
            )
        )

    def replace_recovery_codes(self, account_id: str, codes: Sequence[RecoveryCode]) -> None:
        """Drop the old codes, insert the new ones."""
        table = t.mfa_recovery_codes
        self._conn.execute(delete(table).where(table.c.account_id == account_id))
        if codes:
            self._conn.execute(
                insert(table),
                [
                    {
                        "id": code.id,
                        "account_id": code.account_id,
                        "code_hash": code.code_hash,
                        "created_at": code.created_at,
                        "used_at": code.used_at,
                    }
                    for code in codes
                ],
            )

    def use_recovery_code(self, account_id: str, code_hash: str, at: datetime) -> bool:
        """One UPDATE guarded by `used_at IS NULL`: two concurrent uses cannot both win."""
        table = t.mfa_recovery_codes
        result = self._conn.execute(
            update(table)
            .where(
                table.c.account_id == account_id,
                table.c.code_hash == code_hash,
                table.c.used_at.is_(None),
            )
            .values(used_at=at)
        )
        return result.rowcount == 1
