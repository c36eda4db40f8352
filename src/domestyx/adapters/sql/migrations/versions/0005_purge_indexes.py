"""Indexes for the periodic purges: due documents and old pending accounts, no scan of the rest.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 01:15:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_documents_legal_hold_delete_after", "documents", ["legal_hold", "delete_after"]
    )
    op.create_index("ix_accounts_status_created_at", "accounts", ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_accounts_status_created_at", table_name="accounts")
    op.drop_index("ix_documents_legal_hold_delete_after", table_name="documents")
