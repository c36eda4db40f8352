"""Sessions: issue, rotate with reuse detection, authenticate, list and revoke."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from domestyx.domain.model.abuse import Operation
from domestyx.domain.model.accounts import Account
from domestyx.domain.model.audit import AuditEventType, ClientContext
from domestyx.domain.model.errors import InvalidToken, NotFound
from domestyx.domain.model.keys import KeyedHasher
from domestyx.domain.model.mfa import AAL_PASSWORD
from domestyx.domain.model.sessions import (
    AccessClaims,
    Principal,
    RefreshToken,
    Session,
    SessionPolicy,
    SessionView,
    TokenPair,
    Whoami,
)
from domestyx.domain.services.auditor import Auditor
from domestyx.domain.services.guards import RequestGuard

if TYPE_CHECKING:
    from domestyx.ports.clock import Clock
    from domestyx.ports.randomness import IdGenerator, SecretGenerator
    from domestyx.ports.repositories import UnitOfWork, UnitOfWorkFactory
    from domestyx.ports.security import TokenSigner

_PREFIX = "rt_"


@attrs.frozen
class SessionService:
    """Refresh tokens are opaque, stored as keyed hashes, and rotate on every use."""

    uow: UnitOfWorkFactory
    signer: TokenSigner
    hasher: KeyedHasher
    ids: IdGenerator
    secrets: SecretGenerator
    clock: Clock
    auditor: Auditor
    guard: RequestGuard
    policy: SessionPolicy = SessionPolicy()

    def start(
        self, uow: UnitOfWork, account: Account, ctx: ClientContext, *, aal: int = AAL_PASSWORD
    ) -> TokenPair:
        """Open a new family inside the caller's transaction, at the assurance level reached."""
        now = self.clock.now()
        session = Session(
            id=self.ids.new_id(),
            account_id=account.id,
            created_at=now,
            expires_at=now + self.policy.absolute_ttl,
            user_agent=ctx.user_agent[:255],
            ip=ctx.ip,
            last_used_at=now,
            aal=aal,
        )
        raw = _PREFIX + self.secrets.token(32)
        uow.sessions.add_session(session)
        uow.sessions.add_token(self._token_row(session, raw))
        return self._pair(account, session, raw)

    def refresh(self, raw: str, ctx: ClientContext) -> TokenPair:
        """Rotate; a second use after the grace window revokes the whole family."""
        self.guard.limit({Operation.REFRESH: {}}, ctx)  # the guard buckets the IP (v6 per /64)
        now = self.clock.now()
        with self.uow() as uow:
            found = uow.sessions.find_token(self._hash(raw)) if raw.startswith(_PREFIX) else None
            if found is None:
                raise InvalidToken
            token, session, account = found
            if not session.is_live(now) or not account.can_sign_in or token.expires_at <= now:
                raise InvalidToken
            successor = self._successor(raw)
            if token.used_at is not None:
                concurrent = now - token.used_at <= self.policy.reuse_grace
                if concurrent and token.successor_hash == self._hash(successor):
                    # Two tabs refreshed at once: both get the same successor.
                    return self._pair(account, session, successor)
                uow.sessions.revoke(session.id, now, "reuse")
                uow.audit.append(
                    self.auditor.event(
                        AuditEventType.TOKEN_REUSE,
                        outcome="family_revoked",
                        account_id=account.id,
                        ip=ctx.ip,
                        subject_id=session.id,
                    )
                )
                uow.commit()
                raise InvalidToken("refresh token reuse detected; the session was revoked")
            uow.sessions.mark_used(token.id, now, self._hash(successor))
            uow.sessions.add_token(self._token_row(session, successor))
            uow.commit()
        return self._pair(account, session, successor)

    def authenticate(self, bearer: str) -> Principal:
        """Check the JWT, then that its session and account are still live (one statement)."""
        claims = self.signer.verify(bearer)
        with self.uow() as uow:
            principal = uow.sessions.principal(claims.sid, claims.sub, self.clock.now())
        if principal is None:
            raise InvalidToken
        # The level is the signed claim's: refreshes copy it from the session row.
        return attrs.evolve(principal, aal=claims.aal)

    def whoami(self, bearer: str) -> Whoami:
        """GET /me: as `authenticate`, with the account and its TOTP state in the same read."""
        claims = self.signer.verify(bearer)
        with self.uow() as uow:
            found = uow.sessions.whoami(claims.sid, claims.sub, self.clock.now())
        if found is None:
            raise InvalidToken
        return attrs.evolve(found, principal=attrs.evolve(found.principal, aal=claims.aal))

    def logout(self, raw: str, *, everywhere: bool, ctx: ClientContext) -> None:
        """Revoke this family, or every family of the account; unknown tokens are ignored."""
        now = self.clock.now()
        with self.uow() as uow:
            found = uow.sessions.find_token(self._hash(raw)) if raw.startswith(_PREFIX) else None
            if found is None:
                return
            _, session, account = found
            if everywhere:
                uow.sessions.revoke_all(account.id, now, "logout_all", keep=None)
            else:
                uow.sessions.revoke(session.id, now, "logout")
            uow.audit.append(
                self.auditor.event(
                    AuditEventType.LOGOUT,
                    account_id=account.id,
                    ip=ctx.ip,
                    subject_id=session.id,
                    scope="all" if everywhere else "session",
                )
            )
            uow.commit()

    def list_sessions(self, principal: Principal) -> Sequence[SessionView]:
        """The caller's live sessions."""
        with self.uow() as uow:
            sessions = uow.sessions.live_sessions(principal.account_id, self.clock.now())
        return [
            SessionView(
                id=s.id,
                created_at=s.created_at,
                last_used_at=s.last_used_at,
                expires_at=s.expires_at,
                user_agent=s.user_agent,
                ip=s.ip,
                current=s.id == principal.session_id,
            )
            for s in sessions
        ]

    def revoke_session(self, principal: Principal, session_id: str, ctx: ClientContext) -> None:
        """Revoke one of the caller's own sessions; anyone else's is NotFound."""
        now = self.clock.now()
        with self.uow() as uow:
            session = uow.sessions.get_session(session_id)
            if session is None or session.account_id != principal.account_id:
                raise NotFound("no such session")
            uow.sessions.revoke(session_id, now, "revoked_by_owner")
            uow.audit.append(
                self.auditor.event(
                    AuditEventType.SESSION_REVOKED,
                    account_id=principal.account_id,
                    ip=ctx.ip,
                    subject_id=session_id,
                )
            )
            uow.commit()

    def _hash(self, raw: str) -> str:
        return self.hasher.digest("refresh", raw)

    def _successor(self, raw: str) -> str:
        return _PREFIX + self.hasher.token("successor", raw)

    def _token_row(self, session: Session, raw: str) -> RefreshToken:
        now = self.clock.now()
        return RefreshToken(
            id=self.ids.new_id(),
            session_id=session.id,
            token_hash=self._hash(raw),
            issued_at=now,
            expires_at=min(now + self.policy.refresh_idle_ttl, session.expires_at),
        )

    def _pair(self, account: Account, session: Session, refresh: str) -> TokenPair:
        now = int(self.clock.now().timestamp())
        ttl = int(self.policy.access_ttl.total_seconds())
        claims = AccessClaims(
            sub=account.id,
            role=account.role,
            sid=session.id,
            jti=self.ids.new_id(),
            iat=now,
            exp=now + ttl,
            iss=self.policy.issuer,
            aud=self.policy.audience,
            aal=session.aal,
        )
        return TokenPair(
            access_token=self.signer.sign(claims),
            refresh_token=refresh,
            expires_in=ttl,
            session_id=session.id,
        )
