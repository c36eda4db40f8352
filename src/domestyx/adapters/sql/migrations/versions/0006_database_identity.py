"""Database identity: the one row the document bucket's marker names (issue 15).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No row here: `domestyx migrate` claims it, so a restore's scratch schema stays empty for
    # the dump's own row.
    op.create_table(
        "database_identity",
        sa.Column("slot", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("slot", name=op.f("pk_database_identity")),
    )


def downgrade() -> None:
    op.drop_table("database_identity")
