"""Benchmark data written through the service's own adapters: accounts, codes, sessions, docs."""

from __future__ import annotations

import hashlib
import itertools
import secrets
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
from sqlalchemy import insert

from domestyx.adapters.sql import tables as t
from domestyx.adapters.sql.repositories import _account_values, _document_values
from domestyx.domain.model.accounts import Account, AccountStatus, Role
from domestyx.domain.model.audit import ClientContext
from domestyx.domain.model.documents import Document, DocumentKind, RetentionPolicy, storage_key
from domestyx.domain.model.otp import OtpSlot, Purpose
from domestyx.domain.model.sessions import TokenPair
from domestyx.entrypoints.services import Services

PASSWORD = "correct horse battery staple"  # noqa: S105 - a benchmark input
CHUNK = 1000
_serial = itertools.count(1)


@attrs.define
class Seeder:
    """Creates rows in bulk with the repositories' own column mapping."""

    services: Services
    password_hash: str

    def accounts(
        self, n: int, tag: str, *, email_verified: bool = False, phone_verified: bool = False
    ) -> list[Account]:
        """`n` fresh worker accounts, each with its own email and +44 number."""
        now = self.services.clock.now()
        made = []
        for _ in range(n):
            serial = next(_serial)
            made.append(
                Account(
                    id=uuid.uuid4().hex,
                    email=f"bench-{tag}-{serial}@example.com",
                    phone=f"+4474{serial:08d}",
                    role=Role.WORKER,
                    password_hash=self.password_hash,
                    created_at=now,
                    status=(
                        AccountStatus.ACTIVE
                        if email_verified and phone_verified
                        else AccountStatus.PENDING
                    ),
                    email_verified_at=now if email_verified else None,
                    phone_verified_at=now if phone_verified else None,
                )
            )
        self._bulk(t.accounts, [_account_values(a) for a in made])
        return made

    def email_codes(self, accounts: Iterable[Account]) -> list[str]:
        """A live verify_email code per account, issued exactly as otp/send would."""
        otp = self.services.codes.otp
        return [otp.issue(OtpSlot(Purpose.VERIFY_EMAIL, a.email), a.id).code for a in accounts]

    def sessions(self, accounts: Sequence[Account], n: int) -> list[TokenPair]:
        """`n` signed-in sessions spread over the accounts (SessionService.start)."""
        pairs: list[TokenPair] = []
        ctx = ClientContext(ip="198.51.100.7", user_agent="bench")
        for start in range(0, n, CHUNK):
            with self.services.uow() as uow:
                for i in range(start, min(n, start + CHUNK)):
                    account = accounts[i % len(accounts)]
                    pairs.append(self.services.sessions.start(uow, account, ctx))
                uow.commit()
        return pairs

    def documents(self, accounts: Iterable[Account], kinds: Sequence[DocumentKind]) -> int:
        """Version 1 of each kind per account (rows only: the list route never reads objects)."""
        now = self.services.clock.now()
        retention = RetentionPolicy()
        rows = []
        for account in accounts:
            for kind in kinds:
                token = secrets.token_urlsafe(32)
                rows.append(
                    _document_values(
                        Document(
                            id=uuid.uuid4().hex,
                            account_id=account.id,
                            kind=kind,
                            version=1,
                            storage_key=storage_key(account.id, token),
                            content_type="image/png",
                            size=123_456,
                            sha256=hashlib.sha256(token.encode()).hexdigest(),
                            uploaded_at=now,
                            delete_after=retention.delete_after(kind, now),
                        )
                    )
                )
        self._bulk(t.documents, rows)
        return len(rows)

    def _bulk(self, table: Any, rows: list[dict[str, Any]]) -> None:
        with self.services.engine.begin() as conn:
            for start in range(0, len(rows), CHUNK):
                conn.execute(insert(table), rows[start : start + CHUNK])


def wrong_code(code: str) -> str:
    """A six-digit code that is certainly not `code`."""
    return f"{(int(code) + 1) % 1_000_000:06d}"


def client_ip(i: int) -> str:
    """The i-th address of a large pool (10.0.0.0/8), as a trusted proxy would report it."""
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
