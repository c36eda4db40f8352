"""The resolved application: every service and handle the entrypoints use, fully typed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import attrs

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
from domestyx.entrypoints.health import HealthCheck
from domestyx.entrypoints.settings import Settings
from domestyx.ports.clock import Clock
from domestyx.ports.messaging import DeliveryWebhook
from domestyx.ports.monitoring import ErrorReporter, Heartbeat
from domestyx.ports.repositories import UnitOfWorkFactory
from domestyx.ports.storage import DocumentStorage
from domestyx.ports.tasks import TaskQueue

if TYPE_CHECKING:
    import dramatiq
    from sqlalchemy import Engine

    from domestyx.adapters.dev.outbox import FileOutbox
    from domestyx.adapters.localfs.storage import LocalDirectoryDocumentStorage


@attrs.frozen(kw_only=True)
class Services:
    """Built once by `build_container`; shared by the app, the worker, the CLI and the tests."""

    settings: Settings
    clock: Clock
    uow: UnitOfWorkFactory
    guard: RequestGuard
    sessions: SessionService
    otp: OtpService
    codes: CodeService
    accounts: AccountService
    recovery: RecoveryService
    contact_change: ContactChangeService
    mfa: MfaService
    delivery: DeliveryService
    documents: DocumentService
    review: ReviewService
    retention: RetentionService
    bucket: BucketGuard
    support: SupportService
    storage: DocumentStorage
    queue: TaskQueue
    reporter: ErrorReporter
    heartbeat: Heartbeat
    broker: dramatiq.Broker
    webhooks: Mapping[str, DeliveryWebhook]
    callbacks: CallbackIntake
    health: Mapping[str, HealthCheck]
    engine: Engine
    outbox: FileOutbox | None = None
    local_files: LocalDirectoryDocumentStorage | None = None
