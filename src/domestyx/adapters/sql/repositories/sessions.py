"""Sessions and refresh tokens over SQLAlchemy Core."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, insert, select, update

from domestyx.adapters.sql import tables as t
from domestyx.adapters.sql.repositories.accounts import _account
from domestyx.domain.model.accounts import Account, AccountStatus, Role
from domestyx.domain.model.sessions import Principal, RefreshToken, Session, Whoami


def _session(m: Any) -> Session:
    return Session(
        id=m["id"],
        account_id=m["account_id"],
        created_at=m["created_at"],
        expires_at=m["expires_at"],
        user_agent=m["user_agent"],
        ip=m["ip"],
        revoked_at=m["revoked_at"],
        revoked_reason=m["revoked_reason"],
        last_used_at=m["last_used_at"],
        aal=m["aal"],
    )


# The hot statements, built once; each call only binds its values.
_ADD_SESSION = insert(t.sessions)
_ADD_TOKEN = insert(t.refresh_tokens)
_FIND_TOKEN = (
    select(t.refresh_tokens, t.sessions, t.accounts)
    .select_from(
        t.refresh_tokens.join(t.sessions, t.refresh_tokens.c.session_id == t.sessions.c.id).join(
            t.accounts, t.sessions.c.account_id == t.accounts.c.id
        )
    )
    .where(t.refresh_tokens.c.token_hash == bindparam("token_hash"))
    .with_for_update(of=t.refresh_tokens)
)
_MARK_USED = (
    update(t.refresh_tokens)
    .where(t.refresh_tokens.c.id == bindparam("b_id"))
    .values(
        used_at=bindparam("b_used_at", type_=t.refresh_tokens.c.used_at.type),
        successor_hash=bindparam("b_successor", type_=t.refresh_tokens.c.successor_hash.type),
    )
)
# One statement: the session is live and the account may sign in.
_LIVE = (
    t.sessions.c.id == bindparam("session_id"),
    t.accounts.c.id == bindparam("account_id"),
    t.sessions.c.revoked_at.is_(None),
    t.sessions.c.expires_at > bindparam("now", type_=t.sessions.c.expires_at.type),
    t.accounts.c.status.in_([AccountStatus.PENDING.value, AccountStatus.ACTIVE.value]),
    t.accounts.c.email_verified_at.is_not(None),  # as Account.can_sign_in
)
_SESSION_ACCOUNT = t.sessions.join(t.accounts, t.sessions.c.account_id == t.accounts.c.id)
_PRINCIPAL = select(t.accounts.c.role).select_from(_SESSION_ACCOUNT).where(*_LIVE)
# GET /me: the same liveness, the whole account row and the TOTP enrolment, in one statement.
_TOTP_CONFIRMED = "totp_confirmed_at"
_WHOAMI = (
    select(t.accounts, t.mfa_totp.c.confirmed_at.label(_TOTP_CONFIRMED))
    .select_from(_SESSION_ACCOUNT.outerjoin(t.mfa_totp, t.mfa_totp.c.account_id == t.accounts.c.id))
    .where(*_LIVE)
)


class SqlSessionRepository:
    """Sessions and refresh tokens."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add_session(self, session: Session) -> None:
        """Insert a family."""
        self._conn.execute(
            _ADD_SESSION,
            {
                "id": session.id,
                "account_id": session.account_id,
                "created_at": session.created_at,
                "expires_at": session.expires_at,
                "user_agent": session.user_agent[:255],
                "ip": session.ip[:64],
                "last_used_at": session.last_used_at,
                "aal": session.aal,
            },
        )

    def add_token(self, token: RefreshToken) -> None:
        """Insert a token."""
        self._conn.execute(
            _ADD_TOKEN,
            {
                "id": token.id,
                "session_id": token.session_id,
                "token_hash": token.token_hash,
                "issued_at": token.issued_at,
                "expires_at": token.expires_at,
            },
        )

    def find_token(self, token_hash: str) -> tuple[RefreshToken, Session, Account] | None:
        """Token, family and account in one locking statement."""
        rt, s, a = t.refresh_tokens, t.sessions, t.accounts
        row = self._conn.execute(_FIND_TOKEN, {"token_hash": token_hash}).first()
        if row is None:
            return None
        values = list(row)
        n_rt, n_s = len(rt.c), len(s.c)
        token_m = dict(zip(rt.c.keys(), values[:n_rt], strict=True))
        session_m = dict(zip(s.c.keys(), values[n_rt : n_rt + n_s], strict=True))
        account_row = dict(zip(a.c.keys(), values[n_rt + n_s :], strict=True))
        token = RefreshToken(
            id=token_m["id"],
            session_id=token_m["session_id"],
            token_hash=token_m["token_hash"],
            issued_at=token_m["issued_at"],
            expires_at=token_m["expires_at"],
            used_at=token_m["used_at"],
            successor_hash=token_m["successor_hash"],
        )
        return token, _session(session_m), _account(account_row)

    def mark_used(self, token_id: str, used_at: datetime, successor_hash: str) -> None:
        """Rotate."""
        self._conn.execute(
            _MARK_USED, {"b_id": token_id, "b_used_at": used_at, "b_successor": successor_hash}
        )

    def get_session(self, session_id: str) -> Session | None:
        """One family."""
        row = self._conn.execute(select(t.sessions).where(t.sessions.c.id == session_id)).first()
        return _session(row._mapping) if row else None

    def revoke(self, session_id: str, at: datetime, reason: str) -> None:
        """Revoke one family once."""
        self._conn.execute(
            update(t.sessions)
            .where(and_(t.sessions.c.id == session_id, t.sessions.c.revoked_at.is_(None)))
            .values(revoked_at=at, revoked_reason=reason)
        )

    def revoke_all(self, account_id: str, at: datetime, reason: str, *, keep: str | None) -> int:
        """Revoke an account's live families."""
        condition = and_(t.sessions.c.account_id == account_id, t.sessions.c.revoked_at.is_(None))
        if keep is not None:
            condition = and_(condition, t.sessions.c.id != keep)
        result = self._conn.execute(
            update(t.sessions).where(condition).values(revoked_at=at, revoked_reason=reason)
        )
        return int(result.rowcount)

    def live_sessions(self, account_id: str, now: datetime) -> Sequence[Session]:
        """Live families, newest first."""
        s = t.sessions
        query = (
            select(s)
            .where(
                and_(s.c.account_id == account_id, s.c.revoked_at.is_(None), s.c.expires_at > now)
            )
            .order_by(s.c.created_at.desc())
        )
        return [_session(row._mapping) for row in self._conn.execute(query)]

    def principal(self, session_id: str, account_id: str, now: datetime) -> Principal | None:
        """One statement: the session is live and the account may sign in."""
        params = {"session_id": session_id, "account_id": account_id, "now": now}
        role = self._conn.execute(_PRINCIPAL, params).scalar_one_or_none()
        if role is None:
            return None
        return Principal(account_id=account_id, role=Role(role), session_id=session_id)

    def whoami(self, session_id: str, account_id: str, now: datetime) -> Whoami | None:
        """One statement: the principal's liveness, its account and its TOTP enrolment."""
        params = {"session_id": session_id, "account_id": account_id, "now": now}
        row = self._conn.execute(_WHOAMI, params).first()
        if row is None:
            return None
        m = row._mapping
        account = _account(m)
        return Whoami(
            principal=Principal(account_id=account_id, role=account.role, session_id=session_id),
            account=account,
            totp_enabled=m[_TOTP_CONFIRMED] is not None,  # as TotpCredential.active
        )
