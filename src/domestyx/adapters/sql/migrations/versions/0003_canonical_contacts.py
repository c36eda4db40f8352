"""Canonical contacts: exact comparison, and a phone is unique only once proven.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 21:30:00

`email` and `phone` become utf8mb4_bin on MariaDB, so `+44` followed by Arabic-Indic digits or `BOB@…` are never folded onto
another row by the collation. The unique key on `phone` moves to `phone_owner`, which holds the
number only once an account has proven it: an unproven claim no longer blocks the real owner.
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

import domestyx.adapters.sql.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_exact = domestyx.adapters.sql.types.exact_string


def _ascii_digits(phone: str) -> str:
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in phone)


def _canonical_phones(conn: sa.Connection) -> None:
    """Numbers stored with other scripts' digits (the old check let them through) in ASCII."""
    rows = conn.execute(sa.text("SELECT id, phone FROM accounts")).all()
    for account_id, phone in rows:
        if not phone.isascii():
            conn.execute(
                sa.text("UPDATE accounts SET phone = :phone WHERE id = :id"),
                {"phone": _ascii_digits(phone), "id": account_id},
            )


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_constraint("uq_accounts_phone", type_="unique")
        batch.alter_column("email", type_=_exact(254), existing_nullable=False)
        batch.alter_column("phone", type_=_exact(16), existing_nullable=False)
        batch.add_column(sa.Column("phone_owner", _exact(16), nullable=True))
    conn = op.get_bind()
    _canonical_phones(conn)
    conn.execute(
        sa.text(
            "UPDATE accounts SET phone_owner = phone"
            " WHERE phone_verified_at IS NOT NULL AND status <> 'deleted'"
        )
    )
    with op.batch_alter_table("accounts") as batch:
        batch.create_unique_constraint(op.f("uq_accounts_phone_owner"), ["phone_owner"])
        batch.create_index(op.f("ix_accounts_phone"), ["phone"])


def downgrade() -> None:
    # Fails loudly if two accounts now name one number (claims may share it): an operator
    # decides which to keep; silently deleting someone's registration would be worse.
    with op.batch_alter_table("accounts") as batch:
        batch.drop_index(op.f("ix_accounts_phone"))
        batch.drop_constraint(op.f("uq_accounts_phone_owner"), type_="unique")
        batch.drop_column("phone_owner")
        batch.alter_column("phone", type_=sa.String(16), existing_nullable=False)
        batch.alter_column("email", type_=sa.String(254), existing_nullable=False)
        batch.create_unique_constraint(op.f("uq_accounts_phone"), ["phone"])
