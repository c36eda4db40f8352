"""The composition root: one `build_container(settings)` for the app, worker, CLI and tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import punq
from dramatiq.middleware import Retries

from domestyx.adapters.contacts.canonical import LibraryContactCanonicalizer
from domestyx.adapters.dramatiq.task_queue import DramatiqTaskQueue
from domestyx.adapters.sql.engine import create_database_engine
from domestyx.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from domestyx.adapters.system.argon2_hasher import Argon2Parameters, Argon2PasswordHasher
from domestyx.adapters.system.clock import SystemClock
from domestyx.adapters.system.jwt_signer import JwtTokenSigner
from domestyx.adapters.system.randomness import CsprngSecretGenerator, UuidIdGenerator
from domestyx.adapters.zxcvbn.blocklist import ZxcvbnPasswordBlocklist
from domestyx.domain.model.abuse import AbusePolicy, SmsPolicy
from domestyx.domain.model.keys import CodeSealer, KeyedHasher, derive_key
from domestyx.domain.model.templates import MessageTemplates
from domestyx.domain.services.accounts import AccountService
from domestyx.domain.services.auditor import Auditor
from domestyx.domain.services.callbacks import CallbackIntake
from domestyx.domain.services.codes import CodeService
from domestyx.domain.services.contact_change import ContactChangeService
from domestyx.domain.services.delivery import DeliveryService
from domestyx.domain.services.documents import DocumentService
from domestyx.domain.services.guards import CaptchaPolicy, RequestGuard
from domestyx.domain.services.otp import OtpService
from domestyx.domain.services.passwords import PasswordPolicy
from domestyx.domain.services.proofs import CodeRedeemer
from domestyx.domain.services.recovery import RecoveryService
from domestyx.domain.services.retention import RetentionService
from domestyx.domain.services.review import ReviewService
from domestyx.domain.services.sessions import SessionService
from domestyx.entrypoints.adapters import Infrastructure, build_infrastructure, dev_adapters_in
from domestyx.entrypoints.health import health_checks
from domestyx.entrypoints.http.context import current_request_id
from domestyx.entrypoints.local_state import with_local_state
from domestyx.entrypoints.services import Services
from domestyx.entrypoints.settings import Settings, SettingsError
from domestyx.entrypoints.worker.broker import make_broker
from domestyx.entrypoints.worker.failures import DeadLetterReporting, RequestContext
from domestyx.entrypoints.worker.jobs import ServiceRef, register_actors
from domestyx.ports.clock import Clock
from domestyx.ports.randomness import IdGenerator, SecretGenerator
from domestyx.ports.security import PasswordHasher, TokenSigner

Override = Callable[[Infrastructure], None]


def build_container(
    settings: Settings,
    *,
    customize: Override | None = None,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
    secrets: SecretGenerator | None = None,
    passwords: PasswordHasher | None = None,
) -> punq.Container:
    """Build everything eagerly (punq singletons are not thread-safe to build lazily)."""
    settings = with_local_state(settings)
    if settings.observability.sentry_dsn_backend:
        from domestyx.adapters.sentry.reporter import init_sentry

        # Before the broker exists, or the Dramatiq integration misses it.
        init_sentry(
            settings.observability.sentry_dsn_backend,
            environment=settings.environment,
            release=settings.release,
        )
    infra = build_infrastructure(settings)
    if customize is not None:
        customize(infra)
    if settings.is_production and (dev := dev_adapters_in(infra)):
        raise SettingsError([f"dev adapter in production: {item}" for item in dev])
    container = punq.Container()
    container.register(Settings, instance=settings)
    container.register(Infrastructure, instance=infra)
    services = _wire(
        settings,
        infra,
        clock=clock or SystemClock(),
        ids=ids or UuidIdGenerator(),
        secrets=secrets or CsprngSecretGenerator(),
        passwords=passwords,
    )
    container.register(Services, instance=services)
    for name in (
        "guard",
        "sessions",
        "codes",
        "accounts",
        "recovery",
        "contact_change",
        "delivery",
        "documents",
        "review",
        "retention",
    ):
        service = getattr(services, name)
        container.register(type(service), instance=service)
    return container


def _wire(
    settings: Settings,
    infra: Infrastructure,
    *,
    clock: Clock,
    ids: IdGenerator,
    secrets: SecretGenerator,
    passwords: PasswordHasher | None,
) -> Services:
    master = settings.keys.secret_key.encode()
    hasher = KeyedHasher(derive_key(master, "domestyx/hmac/v1"))
    sealer = CodeSealer(derive_key(master, "domestyx/outbox-seal/v1"))
    engine = create_database_engine(
        settings.database.url,
        ca_file=settings.database.ca_file,
        pool_size=settings.http.web_threads,
    )
    uow = SqlUnitOfWorkFactory(engine)
    broker = make_broker(settings)
    queue = DramatiqTaskQueue(broker, request_id=current_request_id)
    auditor = Auditor(ids=ids, clock=clock)
    passwords = passwords or Argon2PasswordHasher(
        Argon2Parameters(
            time_cost=settings.policy.argon2_time_cost,
            memory_cost_kib=settings.policy.argon2_memory_kib,
        )
    )
    signer: TokenSigner = JwtTokenSigner(
        settings.keys.jwt_signing_key,
        previous_pems=settings.keys.jwt_previous_signing_keys,
        issuer="domestyx",
        audience="domestyx-api",
        clock=clock,
    )
    policy = AbusePolicy(sms=SmsPolicy(settings.policy.sms_allowed_prefixes)).with_overrides(
        dict(settings.policy.rate_limits)
    )
    guard = RequestGuard(
        limiter=infra.limiter,
        failures=infra.failures,
        captcha=infra.captcha,
        clock=clock,
        uow=uow,
        auditor=auditor,
        reporter=infra.reporter,
        policy=policy,
        captcha_policy=CaptchaPolicy(
            settings.captcha.expected_hostnames, require_action=settings.is_production
        ),
    )
    sessions = SessionService(
        uow=uow,
        signer=signer,
        hasher=hasher,
        ids=ids,
        secrets=secrets,
        clock=clock,
        auditor=auditor,
    )
    otp = OtpService(store=infra.otp_store, secrets=secrets, hasher=hasher, clock=clock)
    contacts = LibraryContactCanonicalizer()
    codes = CodeService(
        uow=uow,
        otp=otp,
        guard=guard,
        sessions=sessions,
        queue=queue,
        sealer=sealer,
        hasher=hasher,
        ids=ids,
        clock=clock,
        auditor=auditor,
        contacts=contacts,
    )
    accounts = AccountService(
        uow=uow,
        passwords=passwords,
        codes=codes,
        sessions=sessions,
        guard=guard,
        queue=queue,
        hasher=hasher,
        ids=ids,
        clock=clock,
        auditor=auditor,
        contacts=contacts,
        password_policy=PasswordPolicy(ZxcvbnPasswordBlocklist()),
        dummy_hash=passwords.hash(secrets.token(16)),
    )
    recovery, contact_change = _flow_services(accounts, uow, queue, ids=ids, auditor=auditor)
    callback = (
        f"{settings.http.base_url}/api/v1/webhooks/twilio/status"
        if "twilio" in infra.webhooks
        else None
    )
    delivery = DeliveryService(
        uow=uow,
        email=infra.email,
        sms=infra.sms,
        sealer=sealer,
        clock=clock,
        auditor=auditor,
        templates=MessageTemplates(status_callback_url=callback),
    )
    documents, review, retention = _document_services(
        settings, infra, uow, ids=ids, secrets=secrets, clock=clock, auditor=auditor
    )
    services = Services(
        settings=settings,
        clock=clock,
        uow=uow,
        guard=guard,
        sessions=sessions,
        codes=codes,
        accounts=accounts,
        recovery=recovery,
        contact_change=contact_change,
        delivery=delivery,
        documents=documents,
        review=review,
        retention=retention,
        storage=infra.storage,
        queue=queue,
        reporter=infra.reporter,
        heartbeat=infra.heartbeat,
        broker=broker,
        webhooks=infra.webhooks,
        callbacks=CallbackIntake(uow=uow, replays=infra.replays, auditor=auditor, clock=clock),
        health=health_checks(settings, uow, infra, broker),
        outbox=infra.outbox,
        local_files=infra.local_files,
        engine=engine,
    )
    # Actors are declared on this broker only (no import-time global), then pointed at services.
    ref = ServiceRef(services)
    register_actors(broker, ref)
    broker.add_middleware(DeadLetterReporting(ref), before=Retries)
    broker.add_middleware(RequestContext())
    return services


def _flow_services(
    accounts: AccountService, uow: Any, queue: Any, *, ids: IdGenerator, auditor: Auditor
) -> tuple[RecoveryService, ContactChangeService]:
    codes = accounts.codes
    redeemer = CodeRedeemer(otp=codes.otp, guard=codes.guard, auditor=auditor)
    common = {"uow": uow, "codes": codes, "redeemer": redeemer, "passwords": accounts.passwords}
    recovery = RecoveryService(
        **common,
        password_policy=accounts.password_policy,
        queue=queue,
        ids=ids,
        clock=accounts.clock,
        auditor=auditor,
    )
    change = ContactChangeService(
        **common, queue=queue, ids=ids, clock=accounts.clock, auditor=auditor
    )
    return recovery, change


def _document_services(
    settings: Settings,
    infra: Infrastructure,
    uow: Any,
    *,
    ids: IdGenerator,
    secrets: SecretGenerator,
    clock: Clock,
    auditor: Auditor,
) -> tuple[DocumentService, ReviewService, RetentionService]:
    documents = DocumentService(
        uow=uow,
        storage=infra.storage,
        ids=ids,
        secrets=secrets,
        clock=clock,
        auditor=auditor,
        max_size=settings.policy.max_upload_bytes,
    )
    review = ReviewService(uow=uow, ids=ids, clock=clock, auditor=auditor)
    retention = RetentionService(
        uow=uow,
        storage=infra.storage,
        clock=clock,
        auditor=auditor,
        reporter=infra.reporter,
        pending_ttl=timedelta(hours=settings.policy.pending_account_ttl_hours),
    )
    return documents, review, retention


def services_of(container: punq.Container) -> Services:
    """The resolved bundle."""
    services: Services = container.resolve(Services)
    return services
