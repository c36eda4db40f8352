"""Domain failures; the HTTP layer maps each class to a status in one table."""

from __future__ import annotations


class DomainError(Exception):
    """Base for every expected failure; `code` is the stable problem type slug."""

    code = "domain-error"

    def __init__(self, detail: str = "", *, retry_after: int | None = None) -> None:
        super().__init__(detail or self.__class__.__doc__ or self.code)
        self.detail = detail or (self.__class__.__doc__ or self.code).strip()
        self.retry_after = retry_after


class InvalidInput(DomainError):
    """The request is well-formed but a value is not acceptable."""

    code = "invalid-input"

    def __init__(self, detail: str = "", *, field: str | None = None) -> None:
        super().__init__(detail)
        self.field = field


class WeakPassword(InvalidInput):
    """The password does not meet the length policy."""

    code = "weak-password"


class InvalidCredentials(DomainError):
    """The email/phone and password do not match an active account."""

    code = "invalid-credentials"


class InvalidCode(DomainError):
    """The code is wrong, expired or already used."""

    code = "invalid-code"

    def __init__(self, detail: str = "", *, bound_to: str | None = None) -> None:
        super().__init__(detail)
        self.bound_to = bound_to  # the account of the live code guessed at, if any


class NoLiveCode(InvalidCode):
    """The code is wrong, expired or already used."""

    # The same answer as any wrong code; only the service knows no code was waiting, so a
    # guess at a destination with nothing live never counts toward anyone's lockout.


class CodeExpired(NoLiveCode):
    """This code has expired or was already used; request a new code."""

    code = "code-expired"
    # Not an enumeration hint: a send to an unknown contact stores a code just the same, so
    # "nothing waiting" means only that no code was requested (or it ran out) in the last minutes.


class CodeAttemptsExhausted(DomainError):
    """Too many wrong codes; wait for the code to expire and request a new one."""

    code = "code-attempts-exhausted"


class ResendTooSoon(DomainError):
    """A code was sent moments ago; wait before asking again."""

    code = "resend-too-soon"


class RateLimited(DomainError):
    """Too many requests; slow down."""

    code = "rate-limited"

    def __init__(
        self,
        detail: str = "",
        *,
        retry_after: int,
        limit: int = 0,
        remaining: int = 0,
        reset_after: int = 0,
        policy: str = "",
    ) -> None:
        super().__init__(detail, retry_after=retry_after)
        self.limit = limit
        self.remaining = remaining
        self.reset_after = reset_after or retry_after
        self.policy = policy


class AccountLocked(RateLimited):
    """Too many failed attempts on this account; try again later."""

    code = "account-locked"


class DestinationNotAllowed(DomainError):
    """SMS to this country is not enabled."""

    code = "destination-not-allowed"


class SmsBudgetExhausted(DomainError):
    """SMS sending is paused by the hourly budget breaker; use email or try later."""

    code = "sms-budget-exhausted"


class CaptchaFailed(DomainError):
    """The anti-bot challenge was missing, invalid, expired or already used."""

    code = "captcha-failed"


class CaptchaRequired(CaptchaFailed):
    """This account had repeated failed sign-ins: solve the challenge and send its token."""

    code = "captcha-required"


class DependencyUnavailable(DomainError):
    """A required service is unavailable; nothing was changed, try again shortly."""

    code = "dependency-unavailable"

    def __init__(self, detail: str = "", *, dependency: str = "", retry_after: int = 5) -> None:
        super().__init__(detail, retry_after=retry_after)
        self.dependency = dependency


class Unauthenticated(DomainError):
    """A valid bearer token is required."""

    code = "unauthenticated"


class InvalidToken(Unauthenticated):
    """The token is invalid, expired or revoked."""

    code = "invalid-token"


class Forbidden(DomainError):
    """This account may not perform the action."""

    code = "forbidden"


class MfaRequired(Forbidden):
    """Staff routes need a session that passed a second factor (TOTP); enrol and sign in again."""

    code = "mfa-required"


class TotpRequired(InvalidCredentials):
    """This account has an authenticator: give its current code (or a recovery code) too."""

    code = "totp-required"


class NotVerified(Forbidden):
    """Verify both your email and your phone first."""

    code = "contacts-not-verified"


class NotFound(DomainError):
    """No such resource."""

    code = "not-found"


class Conflict(DomainError):
    """The resource is not in a state that allows this action."""

    code = "conflict"


class IllegalTransition(Conflict):
    """That status change is not allowed from the current status."""

    code = "illegal-transition"


class UnsupportedMediaType(DomainError):
    """Only PDF, JPEG and PNG files are accepted, as detected from their content."""

    code = "unsupported-media-type"


class UnprocessableDocument(DomainError):
    """The file is damaged, truncated, encrypted or otherwise unusable."""

    code = "unprocessable-document"

    def __init__(self, detail: str = "", *, reason: str = "damaged") -> None:
        super().__init__(detail)
        # A stable slug for the audit log and the problem body: what was wrong with the file.
        self.reason = reason


class ActiveContent(UnprocessableDocument):
    """The PDF carries scripts, actions, embedded files or forms that run when it is opened."""

    code = "active-content"


class PayloadTooLarge(DomainError):
    """The file exceeds the size limit."""

    code = "payload-too-large"


class InvalidSignature(DomainError):
    """The webhook signature is missing or does not match."""

    code = "invalid-signature"


class NestedUnitOfWork(RuntimeError):
    """A unit of work was opened inside another on the same thread (a programming error)."""
