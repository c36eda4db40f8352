"""Repositories over SQLAlchemy Core: explicit statements, rows mapped to domain records."""

from __future__ import annotations

from domestyx.adapters.sql.repositories.accounts import SqlAccountRepository, _account_values
from domestyx.adapters.sql.repositories.audit import SqlAuditLog
from domestyx.adapters.sql.repositories.contact_changes import SqlContactChangeRepository
from domestyx.adapters.sql.repositories.deliveries import SqlDeliveryRepository
from domestyx.adapters.sql.repositories.documents import SqlDocumentRepository, _document_values
from domestyx.adapters.sql.repositories.sessions import SqlSessionRepository
from domestyx.adapters.sql.repositories.verifications import SqlVerificationRepository

# The row mappings are shared with bench/seed.py, which bulk-inserts through them.
__all__ = [
    "SqlAccountRepository",
    "SqlAuditLog",
    "SqlContactChangeRepository",
    "SqlDeliveryRepository",
    "SqlDocumentRepository",
    "SqlSessionRepository",
    "SqlVerificationRepository",
    "_account_values",
    "_document_values",
]
