"""Alembic migrations; one history for MySQL/MariaDB and SQLite."""
