"""Pending email and phone changes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 21:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import domestyx.adapters.sql.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_changes",
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("new_value", sa.String(length=254), nullable=False),
        sa.Column("requested_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=False),
        sa.Column("expires_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_contact_changes_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "channel", name=op.f("pk_contact_changes")),
    )


def downgrade() -> None:
    op.drop_table("contact_changes")
