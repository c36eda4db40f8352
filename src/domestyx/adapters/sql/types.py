"""Column types that behave the same on MySQL and SQLite."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, String, TypeDecorator
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect

# SQLite autoincrements only INTEGER primary keys.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC with microseconds; returned timezone-aware."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        """DATETIME(6) on MySQL, which otherwise drops microseconds."""
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes; store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC."""
        return None if value is None else value.replace(tzinfo=UTC)


def exact_string(length: int) -> Any:
    """VARCHAR compared byte for byte: MariaDB's default utf8mb4 collations fold case, accents
    and digit scripts, which would let two spellings of one contact meet behind the code's back.
    SQLite's default BINARY collation already compares exactly."""
    return String(length).with_variant(
        mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )
