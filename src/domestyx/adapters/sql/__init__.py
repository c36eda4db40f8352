"""SQLAlchemy 2 (Core) persistence for MySQL/MariaDB and SQLite."""
