"""Engines for MySQL (Aiven URIs accepted as given, TLS with a CA) and SQLite."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

_AIVEN_SSL_MODES = {"REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY"}
# PyMySQL's own TLS keys; any of them in the URL asks for TLS, which we then build ourselves.
_PYMYSQL_SSL_KEYS = ("ssl_ca", "ssl_cert", "ssl_key", "ssl_check_hostname", "ssl_verify_cert")


def normalize_url(raw: str, *, ca_file: str | None = None) -> tuple[URL, dict[str, Any]]:
    """Turn `mysql://u:p@h:port/db?ssl-mode=REQUIRED` into a PyMySQL URL and TLS connect args.

    Whenever TLS is used it verifies the chain and the host name (VERIFY_IDENTITY), whatever
    ssl-mode says: PyMySQL would make an ssl dict without a CA, or `REQUIRED`, unverified.
    """
    url = make_url(raw)
    connect_args: dict[str, Any] = {}
    if url.get_backend_name() in ("mysql", "mariadb"):
        query = dict(url.query)
        ssl_mode = str(query.pop("ssl-mode", query.pop("ssl_mode", ""))).upper()
        url_ca = query.pop("ssl_ca", None)
        asks_tls = any(query.pop(key, None) is not None for key in _PYMYSQL_SSL_KEYS)
        url = url.set(drivername="mysql+pymysql", query=query).update_query_dict(
            {"charset": "utf8mb4"}
        )
        ca = ca_file or (str(url_ca) if url_ca else None)
        if ssl_mode in _AIVEN_SSL_MODES or ca or asks_tls:
            connect_args["ssl"] = verifying_context(ca)
        elif ssl_mode == "DISABLED":
            connect_args["ssl_disabled"] = True  # PyMySQL would otherwise try unverified TLS
        connect_args["connect_timeout"] = 5
        connect_args["read_timeout"] = 30
        connect_args["write_timeout"] = 30
    return url, connect_args


def verifying_context(ca_file: str | None) -> ssl.SSLContext:
    """TLS 1.2+, certificate chained to the CA (system roots if none) and the host name checked."""
    context = ssl.create_default_context(cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def create_database_engine(
    raw_url: str, *, ca_file: str | None = None, pool_size: int = 10, echo: bool = False
) -> Engine:
    """An engine tuned for the backend; nothing connects until first use."""
    url, connect_args = normalize_url(raw_url, ca_file=ca_file)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo)
    return create_engine(
        url,
        connect_args=connect_args,
        pool_pre_ping=True,
        # Units of work always end their transaction; the pool's own ROLLBACK would be a second.
        pool_reset_on_return=None,
        pool_recycle=280,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=10,
        isolation_level="READ COMMITTED",
        echo=echo,
    )


def _sqlite_engine(url: URL, *, echo: bool) -> Engine:
    database = url.database or ""
    if database in ("", ":memory:"):
        engine = create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False}, echo=echo
        )
    else:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 15}, echo=echo
        )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy own transactions so writers queue on BEGIN IMMEDIATE instead of
        # failing with "database is locked" when a reader upgrades to a writer.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
