"""Initial schema: accounts, sessions, outbox, documents, review and audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 17:52:27.548872
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import domestyx.adapters.sql.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("email_verified_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=True),
        sa.Column("phone_verified_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=True),
        sa.Column("identity_status", sa.String(length=32), nullable=False),
        sa.Column("created_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=True),
        sa.Column("deleted_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_accounts_email")),
        sa.UniqueConstraint("phone", name=op.f("uq_accounts_phone")),
    )
    op.create_table(
        "audit_events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=True),
        sa.Column("actor_id", sa.String(length=32), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("subject_id", sa.String(length=32), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("id", name=op.f("uq_audit_events_id")),
    )
    op.create_index(op.f("ix_audit_events_account_id"), "audit_events", ["account_id"])
    op.create_index(
        op.f("ix_audit_events_event_occurred_at"), "audit_events", ["event", "occurred_at"]
    )

    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("template", sa.String(length=32), nullable=False),
        sa.Column("destination", sa.String(length=254), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=True),
        sa.Column("purpose", sa.String(length=32), nullable=True),
        sa.Column("sealed_code", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("created_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=False),
        sa.Column("expires_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=False),
        sa.Column("sending_started_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=True),
        sa.Column("updated_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_deliveries_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("provider_id", name=op.f("uq_deliveries_provider_id")),
    )
    op.create_index(op.f("ix_deliveries_account_id"), "deliveries", ["account_id"])
    op.create_index(op.f("ix_deliveries_status_created_at"), "deliveries", ["status", "created_at"])

    op.create_table(
        "documents",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=128), nullable=True),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("uploaded_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=False),
        sa.Column("delete_after", domestyx.adapters.sql.types.UtcDateTime(), nullable=False),
        sa.Column("legal_hold", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=True),
        sa.Column("purged_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_documents_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint(
            "account_id", "kind", "version", name=op.f("uq_documents_account_id_kind_version")
        ),
        sa.UniqueConstraint("storage_key", name=op.f("uq_documents_storage_key")),
    )
    op.create_index(
        op.f("ix_documents_status_delete_after"), "documents", ["status", "delete_after"]
    )

    op.create_table(
        "sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=False),
        sa.Column("expires_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=False),
        sa.Column("last_used_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=True),
        sa.Column("user_agent", sa.String(length=255), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=True),
        sa.Column("revoked_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_sessions_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
    )
    op.create_index(op.f("ix_sessions_account_id"), "sessions", ["account_id"])

    op.create_table(
        "verifications",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("submitted_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=False),
        sa.Column("reviewer_id", sa.String(length=32), nullable=True),
        sa.Column("decided_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=True),
        sa.Column("reason_code", sa.String(length=32), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("updated_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_verifications_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verifications")),
    )
    op.create_index(op.f("ix_verifications_account_id"), "verifications", ["account_id"])
    op.create_index(
        op.f("ix_verifications_status_submitted_at"), "verifications", ["status", "submitted_at"]
    )

    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=False),
        sa.Column("expires_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=False),
        sa.Column("used_at", domestyx.adapters.sql.types.UtcDateTime(), nullable=True),
        sa.Column("successor_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_refresh_tokens_session_id_sessions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_tokens_token_hash")),
    )
    op.create_index(op.f("ix_refresh_tokens_session_id"), "refresh_tokens", ["session_id"])

    op.create_table(
        "review_entries",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("verification_id", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=False),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.String(length=32), nullable=False),
        sa.Column("at", domestyx.adapters.sql.types.UtcDateTime(), nullable=False),
        sa.Column("reason_code", sa.String(length=32), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["verification_id"],
            ["verifications.id"],
            name=op.f("fk_review_entries_verification_id_verifications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_entries")),
    )
    op.create_index(
        op.f("ix_review_entries_verification_id"), "review_entries", ["verification_id"]
    )

    op.create_table(
        "verification_documents",
        sa.Column("verification_id", sa.String(length=32), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_verification_documents_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["verification_id"],
            ["verifications.id"],
            name=op.f("fk_verification_documents_verification_id_verifications"),
        ),
        sa.PrimaryKeyConstraint(
            "verification_id", "document_id", name=op.f("pk_verification_documents")
        ),
    )


def downgrade() -> None:
    # drop_table removes each table's indexes; dropping an FK-backing index first fails on MariaDB (1553).
    op.drop_table("verification_documents")
    op.drop_table("review_entries")
    op.drop_table("refresh_tokens")
    op.drop_table("verifications")
    op.drop_table("sessions")
    op.drop_table("documents")
    op.drop_table("deliveries")
    op.drop_table("audit_events")
    op.drop_table("accounts")
