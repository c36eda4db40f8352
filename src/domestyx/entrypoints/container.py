"""The composition root: `build_container(settings, overrides=...)` builds the app, the worker,
the CLI and every test world; tests pass fakes as overrides, keyed by port or policy type."""

from __future__ import annotations

from collections.abc import Mapping

import dramatiq
import redis
from dramatiq.middleware import Retries
from sqlalchemy import Engine

from domestyx.adapters.dev.outbox import FileOutbox
from domestyx.adapters.localfs.storage import LocalDirectoryDocumentStorage
from domestyx.domain.services.accounts import AccountService
from domestyx.domain.services.bucket_guard import BucketGuard
from domestyx.domain.services.callbacks import CallbackIntake
from domestyx.domain.services.codes import CodeService
from domestyx.domain.services.contact_change import ContactChangeService
from domestyx.domain.services.delivery import DeliveryService
from domestyx.domain.services.documents import DocumentService
from domestyx.domain.services.guards import RequestGuard
from domestyx.domain.services.mfa import MfaService
from domestyx.domain.services.otp import OtpService
from domestyx.domain.services.recovery import RecoveryService
from domestyx.domain.services.retention import RetentionService
from domestyx.domain.services.review import ReviewService
from domestyx.domain.services.sessions import SessionService
from domestyx.domain.services.support import SupportService
from domestyx.entrypoints.adapters import WEBHOOKS, register_adapters
from domestyx.entrypoints.health import health_checks
from domestyx.entrypoints.local_state import with_local_state
from domestyx.entrypoints.root import Overrides, Root
from domestyx.entrypoints.services import Services
from domestyx.entrypoints.settings import Settings, SettingsError
from domestyx.entrypoints.wiring import register_policies, register_services
from domestyx.entrypoints.worker.failures import DeadLetterReporting, RequestContext
from domestyx.entrypoints.worker.jobs import ServiceRef, register_actors
from domestyx.ports.captcha import CaptchaVerifier
from domestyx.ports.clock import Clock
from domestyx.ports.messaging import EmailSender, SmsSender
from domestyx.ports.monitoring import ErrorReporter, Heartbeat
from domestyx.ports.otp_store import CodeCheck, OtpStore
from domestyx.ports.rate_limiter import FailureCounter, GuardCounters, RateLimiter
from domestyx.ports.replay_guard import ReplayGuard
from domestyx.ports.repositories import DatabaseHealth, UnitOfWorkFactory
from domestyx.ports.storage import DocumentStorage
from domestyx.ports.tasks import TaskQueue

# Ports whose adapter must not be an embedded/dev one in production.
PRODUCTION_PORTS: tuple[object, ...] = (
    UnitOfWorkFactory, TaskQueue, OtpStore, CodeCheck, RateLimiter, GuardCounters, FailureCounter,
    ReplayGuard, EmailSender, SmsSender, CaptchaVerifier, DocumentStorage, ErrorReporter, Heartbeat,
    FileOutbox, LocalDirectoryDocumentStorage, WEBHOOKS,
)  # fmt: skip
DEV_ADAPTER_PACKAGES = (
    "domestyx.adapters.memory",
    "domestyx.adapters.dev",
    "domestyx.adapters.localfs",
    "domestyx.adapters.logging",
)


def build_container(settings: Settings, *, overrides: Overrides | None = None) -> Services:
    """Register every adapter, policy and service, apply overrides, build all of it eagerly."""
    settings = with_local_state(settings)
    if settings.observability.sentry_dsn_backend:
        from domestyx.adapters.sentry.reporter import init_sentry

        # Before the broker exists, or the Dramatiq integration misses it.
        init_sentry(
            settings.observability.sentry_dsn_backend,
            environment=settings.environment,
            release=settings.release,
        )
    root = Root(overrides)
    root.provide(Settings, lambda: settings)
    register_adapters(root, settings)
    register_policies(root, settings)
    register_services(root, settings)
    root.resolve_all()
    if settings.is_production and (dev := dev_adapters_in(root)):
        raise SettingsError([f"dev adapter in production: {item}" for item in dev])
    services = _bundle(root, settings)
    # Actors are declared on this broker only (no import-time global), then pointed at services.
    ref = ServiceRef(services)
    register_actors(services.broker, ref)
    services.broker.add_middleware(DeadLetterReporting(ref), before=Retries)
    services.broker.add_middleware(RequestContext())
    return services


def _bundle(root: Root, settings: Settings) -> Services:
    g = root.get
    return Services(
        settings=settings, clock=g(Clock), uow=g(UnitOfWorkFactory), guard=g(RequestGuard),
        sessions=g(SessionService), otp=g(OtpService), codes=g(CodeService),
        accounts=g(AccountService), mfa=g(MfaService), recovery=g(RecoveryService),
        contact_change=g(ContactChangeService), delivery=g(DeliveryService),
        documents=g(DocumentService), review=g(ReviewService), retention=g(RetentionService),
        support=g(SupportService), bucket=g(BucketGuard),
        storage=g(DocumentStorage),
        queue=g(TaskQueue), reporter=g(ErrorReporter), heartbeat=g(Heartbeat),
        broker=g(dramatiq.Broker), webhooks=g(WEBHOOKS), callbacks=g(CallbackIntake),
        engine=g(Engine),
        health=health_checks(g(DatabaseHealth), g(redis.Redis), g(DocumentStorage),
                             g(dramatiq.Broker)),
        outbox=g(FileOutbox), local_files=g(LocalDirectoryDocumentStorage),
    )  # fmt: skip


def dev_adapters_in(root: Root) -> list[str]:
    """Names of ports served by an embedded/dev adapter (forbidden in production)."""
    found = []
    for port in PRODUCTION_PORTS:
        value = root.get(port)
        for item in value.values() if isinstance(value, Mapping) else [value]:
            if item is not None and type(item).__module__.startswith(DEV_ADAPTER_PACKAGES):
                found.append(f"{getattr(port, '__name__', 'webhooks')} uses {type(item).__name__}")
    return found
