"""MariaDB's plans for the hot and periodic queries, over 100k seeded accounts: indexed, no scan.

The statements are the repositories' own (captured as they run), each EXPLAINed with its
parameters. Seeding is multi-row INSERTs into a scratch database, then ANALYZE TABLE.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, event, insert, text

from domestyx.adapters.sql import migrate
from domestyx.adapters.sql import tables as t
from domestyx.adapters.sql.engine import normalize_url
from domestyx.adapters.sql.repositories import (
    SqlAccountRepository,
    SqlDeliveryRepository,
    SqlDocumentRepository,
    SqlSessionRepository,
    SqlVerificationRepository,
)
from tests.support.services import scratch_mariadb_database

ACCOUNTS = 100_000
WITH_DOCUMENTS = 20_000  # two documents each
SESSIONS = 20_000
WAITING_EVERY = 10  # one verification in ten is waiting
BATCH = 10_000
NOW = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)


def _hex(prefix: str, n: int) -> str:
    return f"{prefix}{n:031x}"[-32:]


def _batches(rows: Callable[[int], dict[str, Any]], count: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, count, BATCH):
        yield [rows(n) for n in range(start, min(start + BATCH, count))]


def _account(n: int) -> dict[str, Any]:
    pending = n % 50 == 0
    return {
        "id": _hex("a", n),
        "email": f"user{n}@example.com",
        "phone": f"+4477{n:08d}",
        "phone_owner": None if pending else f"+4477{n:08d}",
        "role": "worker",
        "status": "pending" if pending else "active",
        "password_hash": "x",
        "email_verified_at": None if pending else NOW - timedelta(days=1),
        "phone_verified_at": None,
        "identity_status": "not_started",
        "created_at": NOW - timedelta(minutes=n),
        "updated_at": None,
        "deleted_at": None,
    }


def _document(n: int) -> dict[str, Any]:
    owner, kind = divmod(n, 2)
    return {
        "id": _hex("d", n),
        "account_id": _hex("a", owner),
        "kind": ("id_card", "police_clearance")[kind],
        "version": 1,
        "storage_key": f"k/{n}",
        "content_type": "image/png",
        "size": 100,
        "sha256": "0" * 64,
        "status": "active",
        "uploaded_at": NOW - timedelta(days=1),
        # One in a hundred is due; the rest expire in the future.
        "delete_after": NOW - timedelta(hours=1) if n % 100 == 0 else NOW + timedelta(days=n % 365),
        "legal_hold": False,
        "deleted_at": None,
        "purged_at": None,
    }


def _verification(n: int) -> dict[str, Any]:
    return {
        "id": _hex("v", n),
        "account_id": _hex("a", n),
        "status": "submitted" if n % WAITING_EVERY == 0 else "approved",
        "submitted_at": NOW - timedelta(minutes=n),
        "updated_at": None,
    }


def _session(n: int) -> dict[str, Any]:
    return {
        "id": _hex("s", n),
        "account_id": _hex("a", n),
        "created_at": NOW,
        "expires_at": NOW + timedelta(days=30),
        "user_agent": "",
        "ip": "",
        "aal": 1,
    }


def _token(n: int) -> dict[str, Any]:
    return {
        "id": _hex("t", n),
        "session_id": _hex("s", n),
        "token_hash": f"{n:064x}",
        "issued_at": NOW,
        "expires_at": NOW + timedelta(days=30),
    }


def _covers(n: int) -> dict[str, Any]:
    return {"verification_id": _hex("v", n // 2), "document_id": _hex("d", n)}


def _delivery(n: int) -> dict[str, Any]:
    return {
        "id": _hex("m", n),
        "channel": "email",
        "template": "otp",
        "destination": f"user{n}@example.com",
        "account_id": _hex("a", n),
        "status": "sent" if n % 20 else "queued",
        "attempts": 1,
        "created_at": NOW - timedelta(minutes=n),
        "expires_at": NOW + timedelta(minutes=10),
    }


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    """A scratch database, migrated and seeded."""
    with scratch_mariadb_database() as url:
        db_url, args = normalize_url(url)
        engine = create_engine(db_url, connect_args=args)
        migrate.upgrade(engine)
        seeds = [
            (t.accounts, _account, ACCOUNTS),
            (t.documents, _document, 2 * WITH_DOCUMENTS),
            (t.verifications, _verification, ACCOUNTS // 5),
            (t.verification_documents, _covers, 2 * WITH_DOCUMENTS),
            (t.sessions, _session, SESSIONS),
            (t.refresh_tokens, _token, SESSIONS),
            (t.deliveries, _delivery, SESSIONS),
        ]
        with engine.begin() as conn:
            for table, rows, count in seeds:
                for batch in _batches(rows, count):
                    conn.execute(insert(table), batch)  # PyMySQL sends it as multi-row INSERTs
        with engine.connect() as conn:
            names = ", ".join(table.name for table, _, _ in seeds)
            conn.exec_driver_sql(f"ANALYZE TABLE {names}").fetchall()
        yield engine
        engine.dispose()


def _plans(engine: Engine, call: Callable[[Connection], object]) -> list[list[dict[str, Any]]]:
    """EXPLAIN of every statement `call` sends, with its own parameters."""
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
        sent.append((statement, params))

    with engine.connect() as conn:
        event.listen(conn, "before_cursor_execute", capture)
        call(conn)
        event.remove(conn, "before_cursor_execute", capture)
        assert sent, "the call sent no statement"
        plans = []
        for statement, params in sent:
            result = conn.exec_driver_sql("EXPLAIN " + statement, params)
            plans.append([dict(row._mapping) for row in result])
        conn.rollback()
    return plans


def _assert_indexed(plan: list[dict[str, Any]], key: str | None = None) -> None:
    """No full table (or full index) scan on any table of the plan; `key` used when named."""
    for row in plan:
        if row["table"] is None or str(row["table"]).startswith(("<derived", "<union")):
            continue  # a derived table: its rows were bounded by the branches' LIMITs
        assert row["type"] not in ("ALL", "index"), plan
        assert row["key"] is not None, plan
    if key is not None:
        assert key in [row["key"] for row in plan], plan


HOT: dict[str, Callable[[Connection], object]] = {
    "by_email": lambda c: SqlAccountRepository(c).by_email("user77@example.com"),
    "by_phone": lambda c: SqlAccountRepository(c).by_phone("+447700000077"),
    "phone_claims": lambda c: SqlAccountRepository(c).phone_claims("+447700000077"),
    "get for update": lambda c: SqlAccountRepository(c).get(_hex("a", 7), for_update=True),
    "register's lookup": lambda c: SqlAccountRepository(c).by_email_or_phone(
        "user77@example.com", "+447700000078", for_update=True
    ),
    "refresh token": lambda c: SqlSessionRepository(c).find_token(f"{7:064x}"),
    "principal": lambda c: SqlSessionRepository(c).principal(_hex("s", 7), _hex("a", 7), NOW),
    "whoami": lambda c: SqlSessionRepository(c).whoami(_hex("s", 7), _hex("a", 7), NOW),
    "owner's documents": lambda c: SqlDocumentRepository(c).for_account(_hex("a", 7)),
}


@pytest.mark.parametrize("name", sorted(HOT))
def test_hot_queries_use_an_index(engine: Engine, name: str) -> None:
    for plan in _plans(engine, HOT[name]):
        _assert_indexed(plan)


def test_the_reviewer_queue_reads_its_order_off_the_index(engine: Engine) -> None:
    page, documents = _plans(engine, lambda c: SqlVerificationRepository(c).queue(50))
    branches = [row for row in page if row["table"] == "verifications"]
    assert len(branches) == 2, page  # one ordered range per waiting status
    for row in branches:
        assert row["key"] == "ix_verifications_status_submitted_at", page
        assert row["type"] in ("ref", "range"), page
        assert "filesort" not in (row["Extra"] or ""), page  # the index gives the order
    _assert_indexed(documents)


def test_the_document_purge_reads_only_due_rows(engine: Engine) -> None:
    (plan,) = _plans(engine, lambda c: SqlDocumentRepository(c).due_for_purge(NOW, 100))
    (row,) = plan
    assert row["key"] == "ix_documents_legal_hold_delete_after", plan
    assert row["type"] == "range", plan  # delete_after <= now: unexpired rows are never read
    assert "filesort" not in (row["Extra"] or ""), plan
    assert int(row["rows"]) < 2 * WITH_DOCUMENTS // 10, plan  # ~1 % are due, not half the table


def test_the_pending_account_purge_reads_only_old_pending_rows(engine: Engine) -> None:
    cutoff = NOW - timedelta(days=30)
    (plan,) = _plans(engine, lambda c: SqlAccountRepository(c).unproven_before(cutoff, 100))
    (row,) = plan
    assert row["key"] == "ix_accounts_status_created_at", plan
    assert row["type"] == "range", plan
    assert "filesort" not in (row["Extra"] or ""), plan


def test_stale_deliveries_use_their_index(engine: Engine) -> None:
    cutoff = NOW - timedelta(minutes=5)
    for plan in _plans(engine, lambda c: SqlDeliveryRepository(c).stale_queued(cutoff, 100)):
        _assert_indexed(plan, "ix_deliveries_status_created_at")


def test_the_seed_is_the_size_the_plans_are_judged_at(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM accounts")).scalar_one() >= 100_000
