"""The schema: every table has a primary key (Aiven enforces it) and named constraints."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

from domestyx.adapters.sql.types import BigId, UtcDateTime, exact_string

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = 32  # hex ids from the IdGenerator

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(ID), primary_key=True),
    # Canonical contacts, compared exactly (see exact_string). A phone is unique only among
    # owners: `phone_owner` holds the number once it is proven, NULL while it is only a claim.
    Column("email", exact_string(254), nullable=False),
    Column("phone", exact_string(16), nullable=False, index=True),
    Column("phone_owner", exact_string(16)),
    Column("role", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("email_verified_at", UtcDateTime()),
    Column("phone_verified_at", UtcDateTime()),
    Column("identity_status", String(32), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime()),
    Column("deleted_at", UtcDateTime()),
    UniqueConstraint("email"),
    UniqueConstraint("phone_owner"),
    # The pending-account purge (unproven_before): oldest pending first, off the index.
    Index(None, "status", "created_at"),
)

# A pending email or phone change: the new contact waits here until its code proves it.
contact_changes = Table(
    "contact_changes",
    metadata,
    # Cascade: a purged account takes its pending change (and the contact typed in it) along.
    Column(
        "account_id", String(ID), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("channel", String(8), primary_key=True),
    Column("new_value", String(254), nullable=False),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("account_id", String(ID), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("last_used_at", UtcDateTime()),
    Column("user_agent", String(255), nullable=False, default=""),
    Column("ip", String(64), nullable=False, default=""),
    Column("revoked_at", UtcDateTime()),
    Column("revoked_reason", String(32)),
    Column("aal", Integer, nullable=False, server_default="1"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("session_id", String(ID), ForeignKey("sessions.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("used_at", UtcDateTime()),
    Column("successor_hash", String(64)),
    UniqueConstraint("token_hash"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("channel", String(8), nullable=False),
    Column("template", String(32), nullable=False),
    Column("destination", String(254), nullable=False),
    Column("account_id", String(ID), ForeignKey("accounts.id"), index=True),
    Column("purpose", String(32)),
    Column("sealed_code", String(16)),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("provider_id", String(64)),
    Column("error_code", String(64)),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("sending_started_at", UtcDateTime()),
    Column("updated_at", UtcDateTime()),
    UniqueConstraint("provider_id"),
    Index(None, "status", "created_at"),
)

documents = Table(
    "documents",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("account_id", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("storage_key", String(128)),
    Column("content_type", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("uploaded_at", UtcDateTime(), nullable=False),
    Column("delete_after", UtcDateTime(), nullable=False),
    Column("legal_hold", Boolean, nullable=False, default=False),
    Column("deleted_at", UtcDateTime()),
    Column("purged_at", UtcDateTime()),
    UniqueConstraint("account_id", "kind", "version"),
    UniqueConstraint("storage_key"),
    Index(None, "status", "delete_after"),
    # The purge query (due_for_purge): a range over due, unheld rows, already in its order.
    Index(None, "legal_hold", "delete_after"),
)

verifications = Table(
    "verifications",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("account_id", String(ID), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("status", String(32), nullable=False),
    Column("submitted_at", UtcDateTime(), nullable=False),
    Column("reviewer_id", String(ID)),
    Column("decided_at", UtcDateTime()),
    Column("reason_code", String(32)),
    Column("note", String(1000)),
    Column("updated_at", UtcDateTime()),
    Index(None, "status", "submitted_at"),
)

verification_documents = Table(
    "verification_documents",
    metadata,
    Column("verification_id", String(ID), ForeignKey("verifications.id"), primary_key=True),
    Column("document_id", String(ID), ForeignKey("documents.id"), primary_key=True),
)

review_entries = Table(
    "review_entries",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column(
        "verification_id", String(ID), ForeignKey("verifications.id"), nullable=False, index=True
    ),
    Column("from_status", String(32), nullable=False),
    Column("to_status", String(32), nullable=False),
    Column("actor_id", String(ID), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("reason_code", String(32)),
    Column("note", String(1000)),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=True),
    Column("id", String(ID), nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("event", String(32), nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("account_id", String(ID), index=True),
    Column("actor_id", String(ID)),
    Column("ip", String(64)),
    Column("subject_id", String(ID)),
    Column("details", JSON, nullable=False),
    UniqueConstraint("id"),
    Index(None, "event", "occurred_at"),
)

mfa_totp = Table(
    "mfa_totp",
    metadata,
    Column("account_id", String(ID), ForeignKey("accounts.id"), primary_key=True),
    Column("sealed_secret", String(255), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("confirmed_at", UtcDateTime()),
    Column("last_step", Integer, nullable=False),
)

mfa_recovery_codes = Table(
    "mfa_recovery_codes",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("account_id", String(ID), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("used_at", UtcDateTime()),
    UniqueConstraint("code_hash"),
)

# The database's stable identity, named by the bucket's marker (one row, slot 1, written once by
# `domestyx migrate`; dumps and forks carry it, so a restored database keeps its bucket).
database_identity = Table(
    "database_identity",
    metadata,
    Column("slot", Integer, primary_key=True, autoincrement=False),
    Column("id", String(ID), nullable=False),
)
