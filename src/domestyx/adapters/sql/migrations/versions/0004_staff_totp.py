"""Staff TOTP: sealed authenticator secrets, recovery codes, and each session's assurance level.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 21:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import domestyx.adapters.sql.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sessions", sa.Column("aal", sa.Integer(), server_default="1", nullable=False))
    op.create_table(
        "mfa_totp",
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("sealed_secret", sa.String(length=255), nullable=False),
        sa.Column("created_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=False),
        sa.Column("confirmed_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=True),
        sa.Column("last_step", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_mfa_totp_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_mfa_totp")),
    )
    op.create_table(
        "mfa_recovery_codes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=False),
        sa.Column("used_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_mfa_recovery_codes_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mfa_recovery_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_mfa_recovery_codes_code_hash")),
    )
    op.create_index(op.f("ix_mfa_recovery_codes_account_id"), "mfa_recovery_codes", ["account_id"])


def downgrade() -> None:
    # drop_table removes each table's indexes (an FK-backing index cannot go first on MariaDB).
    op.drop_table("mfa_recovery_codes")
    op.drop_table("mfa_totp")
    with op.batch_alter_table("sessions") as batch:  # SQLite needs the batch copy to drop it
        batch.drop_column("aal")
