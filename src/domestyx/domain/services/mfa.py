"""TOTP enrolment, confirmation and the second factor at sign-in, with recovery codes."""

from __future__ import annotations

import hmac
import math
from datetime import datetime
from typing import TYPE_CHECKING, NoReturn

import attrs

from domestyx.domain.model.accounts import Account
from domestyx.domain.model.audit import AuditEventType, ClientContext
from domestyx.domain.model.errors import (
    CodeAttemptsExhausted,
    Conflict,
    InvalidCode,
    InvalidCredentials,
    TotpRequired,
)
from domestyx.domain.model.keys import KeyedHasher
from domestyx.domain.model.mfa import (
    AAL_MFA,
    AAL_PASSWORD,
    Enrolment,
    MfaPolicy,
    RecoveryCode,
    TotpCredential,
    is_totp_code,
    normalize_code,
    recovery_code,
)
from domestyx.domain.model.sessions import Principal
from domestyx.domain.services.auditor import Auditor

if TYPE_CHECKING:
    from domestyx.ports.clock import Clock
    from domestyx.ports.mfa import SecretBox, TotpAlgorithm
    from domestyx.ports.randomness import IdGenerator, SecretGenerator
    from domestyx.ports.rate_limiter import FailureCounter
    from domestyx.ports.repositories import UnitOfWork, UnitOfWorkFactory


@attrs.frozen
class MfaService:
    """Secrets sealed at rest; codes single use (by time step); guessing capped per account."""

    uow: UnitOfWorkFactory
    totp: TotpAlgorithm
    box: SecretBox
    hasher: KeyedHasher
    secrets: SecretGenerator
    ids: IdGenerator
    clock: Clock
    auditor: Auditor
    failures: FailureCounter
    policy: MfaPolicy = MfaPolicy()

    def enrol(self, principal: Principal, ctx: ClientContext) -> Enrolment:
        """A new secret and recovery codes, shown once; active only after `confirm`."""
        now = self.clock.now()
        secret = self.totp.new_secret()
        codes = tuple(
            recovery_code(
                self.secrets.token(self.policy.recovery_entropy), self.policy.recovery_entropy
            )
            for _ in range(self.policy.recovery_codes)
        )
        with self.uow() as uow:
            account = uow.accounts.get(principal.account_id, for_update=True)
            if account is None:
                raise InvalidCredentials
            existing = uow.mfa.totp(account.id, for_update=True)
            if existing is not None and existing.active:
                raise Conflict("an authenticator is already active on this account")
            sealed = self.box.seal(secret, account.id)
            uow.mfa.save_totp(TotpCredential(account.id, sealed, now))
            uow.mfa.replace_recovery_codes(account.id, self._recovery_rows(account.id, codes, now))
            self._audit(uow, AuditEventType.MFA_ENROLMENT_STARTED, account.id, ctx)
            uow.commit()
        uri = self.totp.provisioning_uri(
            secret, account_name=account.email, issuer=self.policy.issuer
        )
        return Enrolment(secret=secret, otpauth_uri=uri, recovery_codes=codes)

    def confirm(self, principal: Principal, code: str, ctx: ClientContext) -> None:
        """The first good code activates the authenticator; other sessions are signed out."""
        now = self.clock.now()
        with self.uow() as uow:
            credential = uow.mfa.totp(principal.account_id, for_update=True)
            if credential is None or credential.active:
                raise Conflict("start an enrolment first (POST /api/v1/me/mfa/totp)")
            self._check_totp(uow, credential, normalize_code(code), ctx)
            credential.confirmed_at = now
            uow.mfa.save_totp(credential)
            # They signed in with a password alone; from now on that is not enough.
            uow.sessions.revoke_all(
                principal.account_id, now, "mfa_enabled", keep=principal.session_id
            )
            self._audit(uow, AuditEventType.MFA_ENABLED, principal.account_id, ctx)
            uow.commit()

    def enabled(self, principal: Principal) -> bool:
        """Whether sign-in asks this account for a code."""
        with self.uow() as uow:
            credential = uow.mfa.totp(principal.account_id)
        return credential is not None and credential.active

    def second_factor(self, account: Account, code: str | None, ctx: ClientContext) -> int:
        """At sign-in, once the password matched: the assurance level the new session gets."""
        with self.uow() as uow:
            credential = uow.mfa.totp(account.id, for_update=True)
            if credential is None or not credential.active:
                return AAL_PASSWORD
            if not code:
                raise TotpRequired
            typed = normalize_code(code)
            if is_totp_code(typed, self.policy):
                self._check_totp(uow, credential, typed, ctx)
                uow.mfa.save_totp(credential)
            else:
                self._check_recovery(uow, account.id, typed, ctx)
            uow.commit()
        return AAL_MFA

    def _check_totp(
        self, uow: UnitOfWork, credential: TotpCredential, code: str, ctx: ClientContext
    ) -> None:
        """Accept a code of a step after the last one used; advance `last_step` to it."""
        now, key = self.clock.now(), self._key(credential.account_id)
        tally = self._refuse_while_locked(key, now)
        secret = self.box.open(credential.sealed_secret, credential.account_id)
        matched = [
            step
            for step in self.policy.candidates(now, credential.last_step)
            # Bytes: compare_digest refuses non-ASCII str (a typed "١٢٣٤٥٦" would be a 500).
            if hmac.compare_digest(self.totp.code_at(secret, step).encode(), code.encode())
        ]
        if not matched:
            self._fail(uow, credential.account_id, key, ctx, "totp")
        credential.last_step = max(matched)
        if tally:
            self.failures.clear(key)

    def _check_recovery(
        self, uow: UnitOfWork, account_id: str, code: str, ctx: ClientContext
    ) -> None:
        now, key = self.clock.now(), self._key(account_id)
        tally = self._refuse_while_locked(key, now)
        if not uow.mfa.use_recovery_code(account_id, self._hash(account_id, code), now):
            self._fail(uow, account_id, key, ctx, "recovery_code")
        self._audit(uow, AuditEventType.MFA_RECOVERY_USED, account_id, ctx)
        if tally:
            self.failures.clear(key)

    def _refuse_while_locked(self, key: str, now: datetime) -> int:
        """Five wrong codes lock the factor for the policy's period; returns the count."""
        tally = self.failures.tally(key, now=now, window=self.policy.lockout)
        if tally.count >= self.policy.max_failures and tally.last_at is not None:
            wait = (tally.last_at + self.policy.lockout - now).total_seconds()
            raise CodeAttemptsExhausted(
                "too many wrong authenticator codes; try again later",
                retry_after=max(1, math.ceil(wait)),
            )
        return tally.count

    def _fail(
        self, uow: UnitOfWork, account_id: str, key: str, ctx: ClientContext, how: str
    ) -> NoReturn:
        """Count and audit (committed: the refusal itself rolls nothing else back), then raise."""
        tally = self.failures.add(key, now=self.clock.now(), window=self.policy.lockout)
        outcome = "locked" if tally.count >= self.policy.max_failures else "failed"
        self._audit(uow, AuditEventType.MFA_FAILED, account_id, ctx, outcome=outcome, method=how)
        uow.commit()
        raise InvalidCode("the authenticator code is wrong, expired or already used")

    def _recovery_rows(
        self, account_id: str, codes: tuple[str, ...], now: datetime
    ) -> list[RecoveryCode]:
        return [
            RecoveryCode(self.ids.new_id(), account_id, self._hash(account_id, code), now)
            for code in codes
        ]

    def _hash(self, account_id: str, code: str) -> str:
        return self.hasher.digest("recovery", account_id, normalize_code(code))

    @staticmethod
    def _key(account_id: str) -> str:
        return f"totp:{account_id}"

    def _audit(
        self,
        uow: UnitOfWork,
        event: AuditEventType,
        account_id: str,
        ctx: ClientContext,
        *,
        outcome: str = "ok",
        **details: str,
    ) -> None:
        uow.audit.append(
            self.auditor.event(event, outcome=outcome, account_id=account_id, ip=ctx.ip, **details)
        )
