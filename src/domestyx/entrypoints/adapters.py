"""Choosing adapters: real providers in production, embedded ones by default; one key per port."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import dramatiq
import redis
from sqlalchemy import Engine

from domestyx.adapters.contacts.canonical import LibraryContactCanonicalizer
from domestyx.adapters.dev.captcha import TestSecretCaptchaVerifier
from domestyx.adapters.dev.limits_stamp import (
    STAMP_NAME,
    ResetStamp,
    StampedFailureCounter,
    StampedRateLimiter,
)
from domestyx.adapters.dev.outbox import FileOutbox, OutboxEmailSender, OutboxSmsSender
from domestyx.adapters.dramatiq.task_queue import DramatiqTaskQueue
from domestyx.adapters.localfs.storage import LocalDirectoryDocumentStorage
from domestyx.adapters.logging.monitoring import LoggingErrorReporter, LoggingHeartbeat
from domestyx.adapters.memory.code_check import InMemoryCodeCheck
from domestyx.adapters.memory.guard_counters import InMemoryGuardCounters
from domestyx.adapters.memory.otp_store import InMemoryOtpStore
from domestyx.adapters.memory.pauses import InMemoryDeliveryPauses
from domestyx.adapters.memory.rate_limiter import InMemoryFailureCounter, InMemoryRateLimiter
from domestyx.adapters.memory.replay_guard import InMemoryReplayGuard
from domestyx.adapters.sql.engine import create_database_engine
from domestyx.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from domestyx.adapters.system.argon2_hasher import Argon2Parameters, Argon2PasswordHasher
from domestyx.adapters.system.clock import SystemClock
from domestyx.adapters.system.jwt_signer import JwtTokenSigner
from domestyx.adapters.system.randomness import CsprngSecretGenerator, UuidIdGenerator
from domestyx.adapters.zxcvbn.blocklist import ZxcvbnPasswordBlocklist
from domestyx.domain.model.keys import derive_key
from domestyx.entrypoints.http.context import current_request_id
from domestyx.entrypoints.root import Root
from domestyx.entrypoints.settings import Settings
from domestyx.entrypoints.worker.broker import make_broker
from domestyx.ports.captcha import CaptchaVerifier
from domestyx.ports.clock import Clock
from domestyx.ports.contacts import ContactCanonicalizer
from domestyx.ports.messaging import DeliveryPauses, DeliveryWebhook, EmailSender, SmsSender
from domestyx.ports.mfa import SecretBox, TotpAlgorithm
from domestyx.ports.monitoring import ErrorReporter, Heartbeat
from domestyx.ports.otp_store import CodeCheck, OtpStore
from domestyx.ports.passwords import PasswordBlocklist
from domestyx.ports.randomness import IdGenerator, SecretGenerator
from domestyx.ports.rate_limiter import FailureCounter, GuardCounters, RateLimiter
from domestyx.ports.replay_guard import ReplayGuard
from domestyx.ports.repositories import DatabaseHealth, UnitOfWorkFactory
from domestyx.ports.security import PasswordHasher, TokenSigner
from domestyx.ports.storage import DocumentStorage
from domestyx.ports.tasks import TaskQueue
from domestyx.ports.uploads import UploadSanitizer

# The key for the provider webhooks (a mapping has no class of its own to key on).
WEBHOOKS = Mapping[str, DeliveryWebhook]


def register_adapters(root: Root, settings: Settings) -> None:
    """Provide every port from the settings; nothing connects yet."""
    root.provide(Clock, SystemClock)
    root.provide(IdGenerator, UuidIdGenerator)
    root.provide(SecretGenerator, CsprngSecretGenerator)
    root.provide(PasswordHasher, lambda: _passwords(settings))
    root.provide(PasswordBlocklist, ZxcvbnPasswordBlocklist)
    root.provide(ContactCanonicalizer, LibraryContactCanonicalizer)  # pure: tests use it too
    root.provide(UploadSanitizer, _sanitizer)  # pure too (Pillow, pypdf): tests use it over HTTP
    root.provide(TotpAlgorithm, _totp)
    root.provide(SecretBox, lambda: _secret_box(settings))
    root.provide(TokenSigner, lambda: _signer(settings, root.get(Clock)))
    root.provide(Engine, lambda: _engine(settings))
    root.provide(UnitOfWorkFactory, lambda: SqlUnitOfWorkFactory(root.get(Engine)))
    # Both units of work answer `ping`; a fake passed for the database serves readiness too.
    root.provide(DatabaseHealth, lambda: root.get(UnitOfWorkFactory))
    root.provide(dramatiq.Broker, lambda: make_broker(settings))
    root.provide(TaskQueue, lambda: _queue(root.get(dramatiq.Broker)))
    _register_counters(root, settings)
    _register_messaging(root, settings)
    root.provide(CaptchaVerifier, lambda: _captcha(settings))
    root.provide(DocumentStorage, lambda: _storage(settings))
    root.provide(LocalDirectoryDocumentStorage, lambda: _local_files(root.get(DocumentStorage)))
    root.provide(ErrorReporter, lambda: _reporter(settings))
    root.provide(Heartbeat, lambda: _heartbeat(settings))
    root.provide(WEBHOOKS, lambda: _webhooks(settings))


def _passwords(settings: Settings) -> PasswordHasher:
    params = Argon2Parameters(
        time_cost=settings.policy.argon2_time_cost,
        memory_cost_kib=settings.policy.argon2_memory_kib,
    )
    return Argon2PasswordHasher(params)


def _signer(settings: Settings, clock: Clock) -> TokenSigner:
    return JwtTokenSigner(
        settings.keys.jwt_signing_key,
        previous_pems=settings.keys.jwt_previous_signing_keys,
        issuer="domestyx",
        audience="domestyx-api",
        clock=clock,
    )


def _engine(settings: Settings) -> Engine:
    return create_database_engine(
        settings.database.url,
        ca_file=settings.database.ca_file,
        pool_size=settings.http.web_threads,
    )


def _queue(broker: dramatiq.Broker) -> TaskQueue:
    return DramatiqTaskQueue(broker, request_id=current_request_id)


def _register_counters(root: Root, settings: Settings) -> None:
    if settings.redis.url is None:
        root.provide(redis.Redis, lambda: None)
        root.provide(OtpStore, InMemoryOtpStore)
        # `domestyx dev reset-limits` from another process reaches these through a stamp file.
        stamp = settings.var_dir / STAMP_NAME
        root.provide(RateLimiter, lambda: _stamped_limiter(stamp))
        root.provide(FailureCounter, lambda: _stamped_failures(stamp))
        # Over whichever store and counter the root holds (test overrides included).
        root.provide(
            CodeCheck, lambda: InMemoryCodeCheck(root.get(OtpStore), root.get(FailureCounter))
        )
        root.provide(
            GuardCounters,
            lambda: InMemoryGuardCounters(
                root.get(RateLimiter), root.get(FailureCounter), root.get(OtpStore)
            ),
        )
        root.provide(ReplayGuard, InMemoryReplayGuard)
        root.provide(DeliveryPauses, InMemoryDeliveryPauses)  # one process: the in-process worker
        return
    from domestyx.adapters.redis.client import connect
    from domestyx.adapters.redis.code_check import RedisCodeCheck
    from domestyx.adapters.redis.otp_store import RedisOtpStore
    from domestyx.adapters.redis.pauses import RedisDeliveryPauses
    from domestyx.adapters.redis.rate_limiter import RedisFailureCounter, RedisRateLimiter
    from domestyx.adapters.redis.replay_guard import RedisReplayGuard

    url = settings.redis.url
    root.provide(redis.Redis, lambda: connect(url))
    root.provide(OtpStore, lambda: RedisOtpStore(root.get(redis.Redis)))
    root.provide(RateLimiter, lambda: RedisRateLimiter(root.get(redis.Redis)))
    root.provide(GuardCounters, lambda: RedisRateLimiter(root.get(redis.Redis)))
    root.provide(FailureCounter, lambda: RedisFailureCounter(root.get(redis.Redis)))
    root.provide(CodeCheck, lambda: RedisCodeCheck(root.get(redis.Redis)))
    root.provide(ReplayGuard, lambda: RedisReplayGuard(root.get(redis.Redis)))
    root.provide(DeliveryPauses, lambda: RedisDeliveryPauses(root.get(redis.Redis)))


def _stamped_limiter(stamp: Path) -> RateLimiter:
    """Typed as the port, so mypy holds the wrapper to the protocol."""
    return StampedRateLimiter(InMemoryRateLimiter(), ResetStamp(stamp))


def _stamped_failures(stamp: Path) -> FailureCounter:
    """Typed as the port, so mypy holds the wrapper to the protocol."""
    return StampedFailureCounter(InMemoryFailureCounter(), ResetStamp(stamp))


def uses_dev_outbox(settings: Settings) -> bool:
    """Messages go to the file outbox (and /dev/outbox) unless both real providers are set."""
    return not (settings.email.resend_api_key and settings.sms.twilio_account_sid)


def _register_messaging(root: Root, settings: Settings) -> None:
    if not uses_dev_outbox(settings):
        root.provide(FileOutbox, lambda: None)
        root.provide(EmailSender, lambda: _resend(settings))
        root.provide(SmsSender, lambda: _twilio(settings))
        return
    root.provide(FileOutbox, lambda: FileOutbox(settings.var_dir / "outbox.jsonl"))
    root.provide(EmailSender, lambda: OutboxEmailSender(root.get(FileOutbox)))
    root.provide(SmsSender, lambda: OutboxSmsSender(root.get(FileOutbox)))


def _resend(settings: Settings) -> EmailSender:
    from domestyx.adapters.resend.email_sender import ResendEmailSender

    return ResendEmailSender(
        settings.email.resend_api_key or "",
        settings.email.email_from,
        api_url=settings.email.resend_api_url,
        reply_to=settings.email.email_reply_to,
    )


def _twilio(settings: Settings) -> SmsSender:
    from domestyx.adapters.twilio.sms_sender import TwilioSmsSender

    return TwilioSmsSender(
        settings.sms.twilio_account_sid or "",
        settings.sms.twilio_auth_token or "",
        from_number=settings.sms.twilio_from_number,
        messaging_service_sid=settings.sms.twilio_messaging_service_sid,
        api_base_url=settings.sms.twilio_api_base_url,
    )


def _captcha(settings: Settings) -> CaptchaVerifier:
    if (
        settings.captcha.secret_key in TestSecretCaptchaVerifier.SECRETS
        and not settings.is_production
    ):
        return TestSecretCaptchaVerifier(settings.captcha.secret_key)
    from domestyx.adapters.turnstile.captcha import TurnstileCaptchaVerifier

    return TurnstileCaptchaVerifier(
        settings.captcha.secret_key, siteverify_url=settings.captcha.siteverify_url
    )


def _storage(settings: Settings) -> DocumentStorage:
    if settings.storage.bucket_name:
        from domestyx.adapters.s3.storage import S3DocumentStorage

        return S3DocumentStorage(
            settings.storage.bucket_name,
            access_key=settings.storage.access_key or "",
            secret_key=settings.storage.secret_key or "",
            region=settings.storage.region,
            endpoint_url=settings.storage.endpoint_url,
            timeout_s=settings.storage.timeout_s,
        )
    return LocalDirectoryDocumentStorage(
        Path(settings.var_dir) / "documents",
        signing_key=derive_key(settings.keys.secret_key.encode(), "domestyx/local-files"),
        base_url=settings.http.base_url,
    )


def _local_files(storage: DocumentStorage) -> LocalDirectoryDocumentStorage | None:
    """The local directory store, when it is the one in use (the app then serves its links)."""
    return storage if isinstance(storage, LocalDirectoryDocumentStorage) else None


def _reporter(settings: Settings) -> ErrorReporter:
    if not settings.observability.sentry_dsn_backend:
        return LoggingErrorReporter()
    from domestyx.adapters.sentry.reporter import SentryErrorReporter

    return SentryErrorReporter()


def _heartbeat(settings: Settings) -> Heartbeat:
    if not settings.observability.heartbeat_urls:
        return LoggingHeartbeat()
    from domestyx.adapters.betterstack.heartbeat import HttpHeartbeat

    return HttpHeartbeat(dict(settings.observability.heartbeat_urls))


def _webhooks(settings: Settings) -> dict[str, DeliveryWebhook]:
    hooks: dict[str, DeliveryWebhook] = {}
    if settings.sms.twilio_auth_token:
        from domestyx.adapters.twilio.webhooks import TwilioStatusWebhook

        hooks["twilio"] = TwilioStatusWebhook(settings.sms.twilio_auth_token)
    if settings.email.resend_webhook_secret:
        from domestyx.adapters.resend.webhooks import ResendWebhook

        hooks["resend"] = ResendWebhook(settings.email.resend_webhook_secret)
    return hooks


def _sanitizer() -> UploadSanitizer:
    from domestyx.adapters.uploads.sanitizer import ParsingSanitizer

    return ParsingSanitizer()


def _totp() -> TotpAlgorithm:
    from domestyx.adapters.system.totp import PyotpTotp

    return PyotpTotp()


def _secret_box(settings: Settings) -> SecretBox:
    from domestyx.adapters.system.aead import AesGcmSecretBox

    master = settings.keys.secret_key.encode()
    return AesGcmSecretBox(derive_key(master, "domestyx/totp-secret/v1"))
