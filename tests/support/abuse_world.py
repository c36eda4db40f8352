"""The account, code and guard services wired to in-memory fakes, with a policy of our choosing."""

from __future__ import annotations

import attrs

from domestyx.adapters.contacts.canonical import LibraryContactCanonicalizer
from domestyx.adapters.memory.captcha import ScriptedCaptchaVerifier
from domestyx.adapters.memory.clock import ManualClock
from domestyx.adapters.memory.monitoring import RecordingErrorReporter
from domestyx.adapters.memory.otp_store import InMemoryOtpStore
from domestyx.adapters.memory.randomness import SeededSecretGenerator, SequentialIdGenerator
from domestyx.adapters.memory.rate_limiter import InMemoryFailureCounter, InMemoryRateLimiter
from domestyx.adapters.memory.tasks import RecordingTaskQueue
from domestyx.adapters.memory.unit_of_work import InMemoryDatabase
from domestyx.adapters.system.argon2_hasher import TEST_PARAMETERS, Argon2PasswordHasher
from domestyx.adapters.system.jwt_signer import JwtTokenSigner
from domestyx.adapters.system.signing_keys import generate_pem
from domestyx.adapters.zxcvbn.blocklist import ZxcvbnPasswordBlocklist
from domestyx.domain.model.abuse import AbusePolicy
from domestyx.domain.model.accounts import Account, Role
from domestyx.domain.model.audit import AuditEvent, AuditEventType, ClientContext
from domestyx.domain.model.captcha import CaptchaVerdict
from domestyx.domain.model.keys import CodeSealer, KeyedHasher
from domestyx.domain.model.lockouts import LockoutPolicy
from domestyx.domain.services.accounts import AccountService
from domestyx.domain.services.auditor import Auditor
from domestyx.domain.services.codes import CodeService
from domestyx.domain.services.guards import RequestGuard
from domestyx.domain.services.otp import OtpService
from domestyx.domain.services.passwords import PasswordPolicy
from domestyx.domain.services.sessions import SessionService

PASSWORD = "correct horse battery staple"
TEST_SIGNING_KEY = generate_pem()
CONTACTS = LibraryContactCanonicalizer()  # pure: the real one is the fake


@attrs.define
class AbuseWorld:
    """Fakes for every port the abuse paths touch, and the services over them."""

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
    dummy_hash: str = attrs.Factory(
        lambda w: w.passwords.hash("nobody's password"), takes_self=True
    )
    hasher: KeyedHasher = KeyedHasher(b"h" * 32)

    @property
    def auditor(self) -> Auditor:
        """Stamps events from the fake clock and ids."""
        return Auditor(self.ids, self.clock)

    @property
    def guard(self) -> RequestGuard:
        """Captcha, limits and lockouts over the fakes."""
        return RequestGuard(
            limiter=self.limiter,
            failures=self.failures,
            captcha=self.captcha,
            clock=self.clock,
            uow=self.db,
            auditor=self.auditor,
            reporter=self.reporter,
            policy=self.policy,
            lockout=self.lockout,
        )

    @property
    def sessions(self) -> SessionService:
        """Sessions signed with a test key."""
        signer = JwtTokenSigner(
            TEST_SIGNING_KEY, issuer="domestyx", audience="domestyx-api", clock=self.clock
        )
        return SessionService(
            self.db, signer, self.hasher, self.ids, self.secrets, self.clock, self.auditor
        )

    @property
    def codes(self) -> CodeService:
        """otp/send and otp/verify."""
        return CodeService(
            uow=self.db,
            otp=OtpService(self.otp_store, self.secrets, self.hasher, self.clock),
            guard=self.guard,
            sessions=self.sessions,
            queue=self.queue,
            sealer=CodeSealer(b"s" * 32),
            hasher=self.hasher,
            ids=self.ids,
            clock=self.clock,
            auditor=self.auditor,
            contacts=CONTACTS,
        )

    @property
    def accounts(self) -> AccountService:
        """Registration and password sign-in."""
        return AccountService(
            uow=self.db,
            passwords=self.passwords,
            codes=self.codes,
            sessions=self.sessions,
            guard=self.guard,
            queue=self.queue,
            hasher=self.hasher,
            ids=self.ids,
            clock=self.clock,
            auditor=self.auditor,
            contacts=CONTACTS,
            password_policy=PasswordPolicy(ZxcvbnPasswordBlocklist()),
            dummy_hash=self.dummy_hash,
        )

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
