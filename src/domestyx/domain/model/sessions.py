"""Sessions: short access tokens, rotating refresh tokens in families, revocation."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from domestyx.domain.model.accounts import Account, Role
from domestyx.domain.model.mfa import AAL_MFA, AAL_PASSWORD, AMR


@attrs.frozen
class SessionPolicy:
    """Token lifetimes; the grace window covers two tabs refreshing at once."""

    issuer: str = "domestyx"
    audience: str = "domestyx-api"
    access_ttl: timedelta = timedelta(minutes=15)
    refresh_idle_ttl: timedelta = timedelta(days=14)
    absolute_ttl: timedelta = timedelta(days=30)
    reuse_grace: timedelta = timedelta(seconds=10)


@attrs.frozen
class AccessClaims:
    """The claims of an access JWT."""

    sub: str
    role: Role
    sid: str
    jti: str
    iat: int
    exp: int
    iss: str
    aud: str
    aal: int = AAL_PASSWORD  # 2 once the session passed a second factor

    @property
    def amr(self) -> tuple[str, ...]:
        """The RFC 8176 methods behind `aal`."""
        return AMR.get(self.aal, AMR[AAL_PASSWORD])


@attrs.frozen
class TokenPair:
    """What login and refresh hand back."""

    access_token: str = attrs.field(repr=False)
    refresh_token: str = attrs.field(repr=False)
    expires_in: int
    session_id: str
    token_type: str = "bearer"  # noqa: S105 - a name, not a secret


@attrs.define
class Session:
    """A refresh-token family: one device's sign-in, revoked as a whole."""

    id: str
    account_id: str
    created_at: datetime
    expires_at: datetime
    user_agent: str = ""
    ip: str = ""
    revoked_at: datetime | None = None
    revoked_reason: str | None = None
    last_used_at: datetime | None = None
    aal: int = AAL_PASSWORD  # kept by every refresh of the family

    def is_live(self, now: datetime) -> bool:
        """Neither revoked nor past its absolute lifetime."""
        return self.revoked_at is None and now < self.expires_at


@attrs.define
class RefreshToken:
    """One link of a family; stored only as a keyed hash."""

    id: str
    session_id: str
    token_hash: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    successor_hash: str | None = None


@attrs.frozen
class SessionView:
    """What the owner sees of one of their sessions."""

    id: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime
    user_agent: str
    ip: str
    current: bool


@attrs.frozen
class Principal:
    """The authenticated caller of a request."""

    account_id: str
    role: Role
    session_id: str
    aal: int = AAL_PASSWORD

    @property
    def has_staff_rights(self) -> bool:
        """Staff whose session passed a second factor: a password alone opens no review."""
        return self.role.is_staff and self.aal >= AAL_MFA


@attrs.frozen
class Whoami:
    """GET /me in one read: the caller, their account and whether sign-in asks for a code."""

    principal: Principal
    account: Account
    totp_enabled: bool
