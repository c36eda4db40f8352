"""The account, code and guard services on in-memory fakes, built by the composition root."""

from __future__ import annotations

from typing import Any

import attrs

from domestyx.adapters.memory.captcha import ScriptedCaptchaVerifier
from domestyx.adapters.memory.clock import ManualClock
from domestyx.adapters.memory.monitoring import RecordingErrorReporter
from domestyx.adapters.memory.otp_store import InMemoryOtpStore
from domestyx.adapters.memory.randomness import SeededSecretGenerator, SequentialIdGenerator
from domestyx.adapters.memory.rate_limiter import InMemoryFailureCounter, InMemoryRateLimiter
from domestyx.adapters.memory.storage import InMemoryDocumentStorage
from domestyx.adapters.memory.tasks import RecordingTaskQueue
from domestyx.adapters.memory.unit_of_work import InMemoryDatabase
from domestyx.adapters.system.argon2_hasher import TEST_PARAMETERS, Argon2PasswordHasher
from domestyx.domain.model.abuse import AbusePolicy
from domestyx.domain.model.accounts import Account, Role
from domestyx.domain.model.audit import AuditEvent, AuditEventType, ClientContext
from domestyx.domain.model.captcha import CaptchaVerdict
from domestyx.domain.model.keys import CodeSealer, KeyedHasher
from domestyx.domain.model.lockouts import LockoutPolicy
from domestyx.domain.services.accounts import AccountService
from domestyx.domain.services.codes import CodeService
from domestyx.domain.services.guards import CaptchaPolicy, RequestGuard
from domestyx.domain.services.sessions import SessionService
from domestyx.entrypoints.services import Services
from domestyx.ports.captcha import CaptchaVerifier
from domestyx.ports.otp_store import OtpStore
from domestyx.ports.rate_limiter import FailureCounter, RateLimiter
from domestyx.ports.security import PasswordHasher
from domestyx.ports.storage import DocumentStorage
from domestyx.ports.tasks import TaskQueue
from tests.support.worlds import Fakes, fake_services

PASSWORD = "correct horse battery staple"


@attrs.define
class AbuseWorld:
    """Fakes for every port the abuse paths touch, and the services the root builds over them."""

    lockout: LockoutPolicy = LockoutPolicy()
    policy: AbusePolicy = AbusePolicy()
    clock: ManualClock = attrs.Factory(ManualClock)
    db: InMemoryDatabase = attrs.Factory(InMemoryDatabase)
    ids: SequentialIdGenerator = attrs.Factory(SequentialIdGenerator)
    secrets: SeededSecretGenerator = attrs.Factory(SeededSecretGenerator)
    limiter: InMemoryRateLimiter = attrs.Factory(InMemoryRateLimiter)
    failures: InMemoryFailureCounter = attrs.Factory(InMemoryFailureCounter)
    captcha: ScriptedCaptchaVerifier = attrs.Factory(ScriptedCaptchaVerifier)
    reporter: RecordingErrorReporter = attrs.Factory(RecordingErrorReporter)
    queue: RecordingTaskQueue = attrs.Factory(RecordingTaskQueue)
    otp_store: InMemoryOtpStore = attrs.Factory(InMemoryOtpStore)
    passwords: Argon2PasswordHasher = attrs.Factory(lambda: Argon2PasswordHasher(TEST_PARAMETERS))
    hasher: KeyedHasher = KeyedHasher(b"h" * 32)
    sealer: CodeSealer = CodeSealer(b"s" * 32)
    services: Services = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        fakes = Fakes(self.clock, self.db, self.ids, self.secrets, self.reporter)
        self.services = fake_services(fakes, self._overrides())

    def _overrides(self) -> dict[Any, object]:
        return {
            LockoutPolicy: self.lockout,
            AbusePolicy: self.policy,
            # The guard's own default (strict about actions), not the embedded settings' one.
            CaptchaPolicy: CaptchaPolicy(),
            RateLimiter: self.limiter,
            FailureCounter: self.failures,
            CaptchaVerifier: self.captcha,
            TaskQueue: self.queue,
            OtpStore: self.otp_store,
            PasswordHasher: self.passwords,
            KeyedHasher: self.hasher,
            CodeSealer: self.sealer,
            DocumentStorage: InMemoryDocumentStorage(self.clock),
        }

    @property
    def guard(self) -> RequestGuard:
        """Captcha, limits and lockouts over the fakes."""
        return self.services.guard

    @property
    def sessions(self) -> SessionService:
        """Sessions signed with the test key."""
        return self.services.sessions

    @property
    def codes(self) -> CodeService:
        """otp/send and otp/verify."""
        return self.services.codes

    @property
    def accounts(self) -> AccountService:
        """Registration and password sign-in."""
        return self.services.accounts

    def account(self, email: str, phone: str, *, email_verified: bool = True) -> Account:
        """A registered account (through the service), its email proven unless told otherwise."""
        ctx = ClientContext(ip="192.0.2.1")
        self.accounts.register(
            email, phone, PASSWORD, Role.WORKER, ctx, token=self.human("register")
        )
        with self.db() as uow:
            account = uow.accounts.by_email(email)
            assert account is not None
            if email_verified:
                account.verify_email(self.clock.now())
                uow.accounts.save(account)
                uow.commit()
        return account

    def human(self, action: str) -> str:
        """A one-time token the fake siteverify accepts for this action."""
        token = f"human-{action}-{self.ids.new_id()}"
        self.captcha.verdicts[token] = CaptchaVerdict(True, hostname="localhost", action=action)
        return token

    def events(self, event: AuditEventType) -> list[AuditEvent]:
        """Committed audit events of one type, oldest first."""
        return [e for e in self.db.state.audit if e.event is event]
