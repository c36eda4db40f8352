"""The use cases and the policies they hold, each provided once on top of the ports."""

from __future__ import annotations

from datetime import timedelta

from domestyx.domain.model.abuse import AbusePolicy, SmsPolicy
from domestyx.domain.model.documents import RetentionPolicy
from domestyx.domain.model.keys import CodeSealer, KeyedHasher, derive_key
from domestyx.domain.model.lockouts import LockoutPolicy
from domestyx.domain.model.otp import OtpPolicy
from domestyx.domain.model.pauses import PausePolicy
from domestyx.domain.model.sessions import SessionPolicy
from domestyx.domain.model.templates import MessageTemplates
from domestyx.domain.services.accounts import AccountService
from domestyx.domain.services.auditor import Auditor
from domestyx.domain.services.bucket_guard import BucketGuard
from domestyx.domain.services.callbacks import CallbackIntake
from domestyx.domain.services.codes import CodeService
from domestyx.domain.services.contact_change import ContactChangeService
from domestyx.domain.services.delivery import DeliveryService
from domestyx.domain.services.documents import DocumentService
from domestyx.domain.services.guards import CaptchaPolicy, RequestGuard
from domestyx.domain.services.mfa import MfaService
from domestyx.domain.services.otp import OtpService
from domestyx.domain.services.passwords import PasswordPolicy
from domestyx.domain.services.proofs import CodeRedeemer
from domestyx.domain.services.reconcile import Reconciler
from domestyx.domain.services.recovery import RecoveryService
from domestyx.domain.services.retention import RetentionService
from domestyx.domain.services.review import ReviewService
from domestyx.domain.services.review_policy import RequiredKinds
from domestyx.domain.services.run_guard import RunGuard
from domestyx.domain.services.sessions import SessionService
from domestyx.domain.services.support import SupportService
from domestyx.entrypoints.adapters import WEBHOOKS
from domestyx.entrypoints.dev_limits import relaxed_limits
from domestyx.entrypoints.root import Root
from domestyx.entrypoints.settings import Settings
from domestyx.ports.captcha import CaptchaVerifier
from domestyx.ports.clock import Clock
from domestyx.ports.contacts import ContactCanonicalizer
from domestyx.ports.messaging import DeliveryPauses, EmailSender, SmsSender
from domestyx.ports.mfa import SecretBox, TotpAlgorithm
from domestyx.ports.monitoring import ErrorReporter
from domestyx.ports.otp_store import CodeCheck, OtpStore
from domestyx.ports.passwords import PasswordBlocklist
from domestyx.ports.randomness import IdGenerator, SecretGenerator
from domestyx.ports.rate_limiter import FailureCounter, GuardCounters, RateLimiter
from domestyx.ports.replay_guard import ReplayGuard
from domestyx.ports.repositories import UnitOfWorkFactory
from domestyx.ports.security import PasswordHasher, TokenSigner
from domestyx.ports.storage import DocumentStorage
from domestyx.ports.tasks import TaskQueue
from domestyx.ports.uploads import UploadSanitizer


def register_policies(root: Root, settings: Settings) -> None:
    """Keys, limits and templates: from the settings, or the model's defaults."""
    master = settings.keys.secret_key.encode()
    root.provide(KeyedHasher, lambda: KeyedHasher(derive_key(master, "domestyx/hmac/v1")))
    root.provide(CodeSealer, lambda: CodeSealer(derive_key(master, "domestyx/outbox-seal/v1")))
    root.provide(AbusePolicy, lambda: _abuse_policy(settings))
    root.provide(LockoutPolicy, LockoutPolicy)
    root.provide(CaptchaPolicy, lambda: _captcha_policy(settings))
    root.provide(SessionPolicy, SessionPolicy)
    root.provide(OtpPolicy, OtpPolicy)
    root.provide(PasswordPolicy, lambda: PasswordPolicy(root.get(PasswordBlocklist)))
    root.provide(RetentionPolicy, RetentionPolicy)
    root.provide(RequiredKinds, RequiredKinds)
    root.provide(MessageTemplates, lambda: _templates(settings, root))
    root.provide(PausePolicy, lambda: _pause_policy(settings))


def _abuse_policy(settings: Settings) -> AbusePolicy:
    sms = SmsPolicy(settings.policy.sms_allowed_prefixes)
    # Development relaxes the defaults (DEV_LIMIT_FACTOR); test and production keep them.
    policy = AbusePolicy(relaxed_limits(), sms) if settings.relaxed_limits else AbusePolicy(sms=sms)
    return policy.with_overrides(dict(settings.policy.rate_limits))


def _captcha_policy(settings: Settings) -> CaptchaPolicy:
    return CaptchaPolicy(settings.captcha.expected_hostnames, require_action=settings.is_production)


def _pause_policy(settings: Settings) -> PausePolicy:
    worker = settings.worker
    return PausePolicy(
        min_quota_pause=timedelta(seconds=worker.quota_min_pause_s),
        recheck_every=timedelta(seconds=worker.pause_recheck_s),
    )


def _templates(settings: Settings, root: Root) -> MessageTemplates:
    twilio = "twilio" in root.get(WEBHOOKS)
    callback = f"{settings.http.base_url}/api/v1/webhooks/twilio/status" if twilio else None
    return MessageTemplates(status_callback_url=callback)


def register_services(root: Root, settings: Settings) -> None:
    """Every use case, its fields resolved from the root."""
    g = root.get
    root.provide(Auditor, lambda: Auditor(ids=g(IdGenerator), clock=g(Clock)))
    root.provide(RequestGuard, lambda: _guard(root))
    root.provide(SessionService, lambda: _sessions(root))
    root.provide(OtpService, lambda: _otp(root))
    root.provide(CodeService, lambda: _codes(root))
    root.provide(MfaService, lambda: _mfa(root))
    root.provide(AccountService, lambda: _accounts(root))
    root.provide(
        CodeRedeemer,
        lambda: CodeRedeemer(otp=g(OtpService), guard=g(RequestGuard), auditor=g(Auditor)),
    )
    root.provide(RecoveryService, lambda: _recovery(root))
    root.provide(ContactChangeService, lambda: _contact_change(root))
    root.provide(DeliveryService, lambda: _delivery(root))
    root.provide(
        CallbackIntake,
        lambda: CallbackIntake(
            uow=g(UnitOfWorkFactory), replays=g(ReplayGuard), auditor=g(Auditor), clock=g(Clock)
        ),
    )
    root.provide(DocumentService, lambda: _documents(root, settings))
    root.provide(
        ReviewService,
        lambda: ReviewService(
            uow=g(UnitOfWorkFactory), ids=g(IdGenerator), clock=g(Clock), auditor=g(Auditor),
            required=g(RequiredKinds),
        ),
    )  # fmt: skip
    root.provide(
        SupportService,
        lambda: SupportService(
            uow=g(UnitOfWorkFactory), codes=g(CodeService), queue=g(TaskQueue), clock=g(Clock),
            auditor=g(Auditor), contacts=g(ContactCanonicalizer),
        ),
    )  # fmt: skip
    _retention(root, settings)


def _retention(root: Root, settings: Settings) -> None:
    g = root.get
    root.provide(
        BucketGuard,
        lambda: BucketGuard(
            uow=g(UnitOfWorkFactory), storage=g(DocumentStorage), ids=g(IdGenerator), clock=g(Clock)
        ),
    )
    root.provide(
        RunGuard,
        lambda: RunGuard(
            bucket=g(BucketGuard), reporter=g(ErrorReporter),
            limit=settings.policy.reconcile_max_delete,
        ),
    )  # fmt: skip
    root.provide(
        Reconciler,
        lambda: Reconciler(
            uow=g(UnitOfWorkFactory), storage=g(DocumentStorage), clock=g(Clock),
            auditor=g(Auditor), reporter=g(ErrorReporter),
        ),
    )  # fmt: skip
    root.provide(
        RetentionService,
        lambda: RetentionService(
            uow=g(UnitOfWorkFactory), storage=g(DocumentStorage), clock=g(Clock),
            auditor=g(Auditor), reporter=g(ErrorReporter), runs=g(RunGuard),
            reconciler=g(Reconciler),
            pending_ttl=timedelta(hours=settings.policy.pending_account_ttl_hours),
        ),
    )  # fmt: skip


def _guard(root: Root) -> RequestGuard:
    g = root.get
    return RequestGuard(
        limiter=g(RateLimiter), failures=g(FailureCounter), counters=g(GuardCounters),
        captcha=g(CaptchaVerifier),
        clock=g(Clock), uow=g(UnitOfWorkFactory), auditor=g(Auditor), reporter=g(ErrorReporter),
        policy=g(AbusePolicy), lockout=g(LockoutPolicy), captcha_policy=g(CaptchaPolicy),
    )  # fmt: skip


def _sessions(root: Root) -> SessionService:
    g = root.get
    return SessionService(
        uow=g(UnitOfWorkFactory), signer=g(TokenSigner), hasher=g(KeyedHasher),
        ids=g(IdGenerator), secrets=g(SecretGenerator), clock=g(Clock), auditor=g(Auditor),
        policy=g(SessionPolicy), guard=g(RequestGuard),
    )  # fmt: skip


def _otp(root: Root) -> OtpService:
    g = root.get
    return OtpService(
        store=g(OtpStore), checks=g(CodeCheck), secrets=g(SecretGenerator), hasher=g(KeyedHasher),
        clock=g(Clock), policy=g(OtpPolicy),
    )  # fmt: skip


def _codes(root: Root) -> CodeService:
    g = root.get
    return CodeService(
        uow=g(UnitOfWorkFactory), otp=g(OtpService), guard=g(RequestGuard),
        sessions=g(SessionService), queue=g(TaskQueue), sealer=g(CodeSealer),
        hasher=g(KeyedHasher), ids=g(IdGenerator), clock=g(Clock), auditor=g(Auditor),
        contacts=g(ContactCanonicalizer),
    )  # fmt: skip


def _accounts(root: Root) -> AccountService:
    g = root.get
    passwords: PasswordHasher = g(PasswordHasher)
    # Unknown emails are checked against this hash so both paths cost one argon2 verify.
    dummy_hash = passwords.hash(g(SecretGenerator).token(16))
    return AccountService(
        uow=g(UnitOfWorkFactory), passwords=passwords, codes=g(CodeService),
        sessions=g(SessionService), guard=g(RequestGuard), queue=g(TaskQueue),
        hasher=g(KeyedHasher), ids=g(IdGenerator), clock=g(Clock), auditor=g(Auditor),
        contacts=g(ContactCanonicalizer), password_policy=g(PasswordPolicy),
        dummy_hash=dummy_hash, mfa=g(MfaService),
    )  # fmt: skip


def _recovery(root: Root) -> RecoveryService:
    g = root.get
    return RecoveryService(
        uow=g(UnitOfWorkFactory), codes=g(CodeService), redeemer=g(CodeRedeemer),
        passwords=g(PasswordHasher), password_policy=g(PasswordPolicy), queue=g(TaskQueue),
        ids=g(IdGenerator), clock=g(Clock), auditor=g(Auditor),
    )  # fmt: skip


def _contact_change(root: Root) -> ContactChangeService:
    g = root.get
    return ContactChangeService(
        uow=g(UnitOfWorkFactory), codes=g(CodeService), redeemer=g(CodeRedeemer),
        passwords=g(PasswordHasher), queue=g(TaskQueue), ids=g(IdGenerator), clock=g(Clock),
        auditor=g(Auditor),
    )  # fmt: skip


def _delivery(root: Root) -> DeliveryService:
    g = root.get
    return DeliveryService(
        uow=g(UnitOfWorkFactory), email=g(EmailSender), sms=g(SmsSender), sealer=g(CodeSealer),
        clock=g(Clock), auditor=g(Auditor), otp=g(OtpService), templates=g(MessageTemplates),
        pauses=g(DeliveryPauses), queue=g(TaskQueue), reporter=g(ErrorReporter),
        pause_policy=g(PausePolicy),
    )  # fmt: skip


def _documents(root: Root, settings: Settings) -> DocumentService:
    g = root.get
    return DocumentService(
        uow=g(UnitOfWorkFactory), storage=g(DocumentStorage), ids=g(IdGenerator),
        secrets=g(SecretGenerator), clock=g(Clock), auditor=g(Auditor),
        retention=g(RetentionPolicy), max_size=settings.policy.max_upload_bytes,
        sanitizer=g(UploadSanitizer), guard=g(RequestGuard),
    )  # fmt: skip


def _mfa(root: Root) -> MfaService:
    g = root.get
    return MfaService(
        uow=g(UnitOfWorkFactory), totp=g(TotpAlgorithm), box=g(SecretBox), hasher=g(KeyedHasher),
        secrets=g(SecretGenerator), ids=g(IdGenerator), clock=g(Clock), auditor=g(Auditor),
        failures=g(FailureCounter),
    )  # fmt: skip
