"""Choosing adapters: real providers in production, embedded ones by default."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from domestyx.adapters.dev.captcha import TestSecretCaptchaVerifier
from domestyx.adapters.logging.monitoring import LoggingErrorReporter, LoggingHeartbeat
from domestyx.adapters.memory.otp_store import InMemoryOtpStore
from domestyx.adapters.memory.rate_limiter import InMemoryFailureCounter, InMemoryRateLimiter
from domestyx.adapters.memory.replay_guard import InMemoryReplayGuard
from domestyx.domain.model.keys import derive_key
from domestyx.entrypoints.settings import Settings
from domestyx.ports.captcha import CaptchaVerifier
from domestyx.ports.messaging import DeliveryWebhook, EmailSender, SmsSender
from domestyx.ports.monitoring import ErrorReporter, Heartbeat
from domestyx.ports.otp_store import OtpStore
from domestyx.ports.rate_limiter import FailureCounter, RateLimiter
from domestyx.ports.replay_guard import ReplayGuard
from domestyx.ports.storage import DocumentStorage


@attrs.define(kw_only=True)
class Infrastructure:
    """The adapters behind every port, before services are wired on top."""

    otp_store: OtpStore
    limiter: RateLimiter
    failures: FailureCounter
    email: EmailSender
    sms: SmsSender
    captcha: CaptchaVerifier
    storage: DocumentStorage
    reporter: ErrorReporter
    heartbeat: Heartbeat
    webhooks: Mapping[str, DeliveryWebhook]
    replays: ReplayGuard
    redis: Any = None
    outbox: Any = None
    local_files: Any = None


def build_infrastructure(settings: Settings) -> Infrastructure:
    """Pick every adapter from the settings; nothing connects yet."""
    redis_client, otp_store, limiter, failures = _counters(settings)
    email, sms, outbox = _messaging(settings)
    storage, local_files = _storage(settings)
    return Infrastructure(
        otp_store=otp_store,
        limiter=limiter,
        failures=failures,
        email=email,
        sms=sms,
        captcha=_captcha(settings),
        storage=storage,
        reporter=_reporter(settings),
        heartbeat=_heartbeat(settings),
        webhooks=_webhooks(settings),
        replays=_replays(redis_client),
        redis=redis_client,
        outbox=outbox,
        local_files=local_files,
    )


def _counters(settings: Settings) -> tuple[Any, OtpStore, RateLimiter, FailureCounter]:
    if settings.redis.url is None:
        return None, InMemoryOtpStore(), InMemoryRateLimiter(), InMemoryFailureCounter()
    from domestyx.adapters.redis.client import connect
    from domestyx.adapters.redis.otp_store import RedisOtpStore
    from domestyx.adapters.redis.rate_limiter import RedisFailureCounter, RedisRateLimiter

    client = connect(settings.redis.url)
    return client, RedisOtpStore(client), RedisRateLimiter(client), RedisFailureCounter(client)


def _replays(redis_client: Any) -> ReplayGuard:
    if redis_client is None:
        return InMemoryReplayGuard()
    from domestyx.adapters.redis.replay_guard import RedisReplayGuard

    return RedisReplayGuard(redis_client)


def _messaging(settings: Settings) -> tuple[EmailSender, SmsSender, Any]:
    if settings.email.resend_api_key and settings.sms.twilio_account_sid:
        from domestyx.adapters.resend.email_sender import ResendEmailSender
        from domestyx.adapters.twilio.sms_sender import TwilioSmsSender

        email = ResendEmailSender(
            settings.email.resend_api_key,
            settings.email.email_from,
            api_url=settings.email.resend_api_url,
            reply_to=settings.email.email_reply_to,
        )
        sms = TwilioSmsSender(
            settings.sms.twilio_account_sid,
            settings.sms.twilio_auth_token or "",
            from_number=settings.sms.twilio_from_number,
            messaging_service_sid=settings.sms.twilio_messaging_service_sid,
            api_base_url=settings.sms.twilio_api_base_url,
        )
        return email, sms, None
    from domestyx.adapters.dev.outbox import FileOutbox, OutboxEmailSender, OutboxSmsSender

    outbox = FileOutbox(settings.var_dir / "outbox.jsonl")
    return OutboxEmailSender(outbox), OutboxSmsSender(outbox), outbox


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


def _storage(settings: Settings) -> tuple[DocumentStorage, Any]:
    if settings.storage.bucket_name:
        from domestyx.adapters.s3.storage import S3DocumentStorage

        storage = S3DocumentStorage(
            settings.storage.bucket_name,
            access_key=settings.storage.access_key or "",
            secret_key=settings.storage.secret_key or "",
            region=settings.storage.region,
            endpoint_url=settings.storage.endpoint_url,
            timeout_s=settings.storage.timeout_s,
        )
        return storage, None
    from domestyx.adapters.localfs.storage import LocalDirectoryDocumentStorage

    local = LocalDirectoryDocumentStorage(
        Path(settings.var_dir) / "documents",
        signing_key=derive_key(settings.keys.secret_key.encode(), "domestyx/local-files"),
        base_url=settings.http.base_url,
    )
    return local, local


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


DEV_ADAPTER_PACKAGES = (
    "domestyx.adapters.memory",
    "domestyx.adapters.dev",
    "domestyx.adapters.localfs",
    "domestyx.adapters.logging",
)


def dev_adapters_in(infra: Infrastructure) -> list[str]:
    """Names of ports served by an embedded/dev adapter (forbidden in production)."""
    found = []
    for field in attrs.fields(Infrastructure):
        value = getattr(infra, field.name)
        values = value.values() if isinstance(value, Mapping) else [value]
        for item in values:
            module = type(item).__module__
            if item is not None and module.startswith(DEV_ADAPTER_PACKAGES):
                found.append(f"{field.name} uses {type(item).__name__}")
    return found
