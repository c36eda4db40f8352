"""The Litestar app factory: routes, middleware, errors, OpenAPI and the embedded worker."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from litestar import Litestar
from litestar.config.allowed_hosts import AllowedHostsConfig
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Contact, Server

from domestyx import __version__
from domestyx.entrypoints.health import ReadinessProbe
from domestyx.entrypoints.http.api_docs import SelfHostedSwaggerPlugin
from domestyx.entrypoints.http.body_guard import BodyGuard, BodyLimits
from domestyx.entrypoints.http.client_ip import parse_networks
from domestyx.entrypoints.http.connection_scope import OneConnection
from domestyx.entrypoints.http.contract import ContractJson, operation_id
from domestyx.entrypoints.http.dev_pages import dev_asset_handlers
from domestyx.entrypoints.http.middleware import EdgeMiddleware
from domestyx.entrypoints.http.problems import EXCEPTION_HANDLERS
from domestyx.entrypoints.http.request_checks import check_request
from domestyx.entrypoints.http.routes.auth import AuthController
from domestyx.entrypoints.http.routes.contacts import ContactController
from domestyx.entrypoints.http.routes.dev import DevOutboxController, LocalFilesController
from domestyx.entrypoints.http.routes.documents import DocumentsController
from domestyx.entrypoints.http.routes.keys import KeysController
from domestyx.entrypoints.http.routes.me import MeController
from domestyx.entrypoints.http.routes.recovery import PasswordController
from domestyx.entrypoints.http.routes.review import AdminController, VerificationController
from domestyx.entrypoints.http.routes.support import SupportController
from domestyx.entrypoints.http.routes.system import SystemController
from domestyx.entrypoints.http.routes.web import web_handlers
from domestyx.entrypoints.http.routes.webhooks import WebhookController
from domestyx.entrypoints.services import Services
from domestyx.entrypoints.settings import Settings
from domestyx.entrypoints.worker.runner import WorkerRunner

JSON_BODY_LIMIT = 64 * 1024


def create_app(services: Services, *, embedded_worker: bool | None = None) -> Litestar:
    """Build the app around already-built services; nothing connects here."""
    settings = services.settings
    handlers: list[Any] = [
        SystemController,
        KeysController,
        AuthController,
        PasswordController,
        MeController,
        ContactController,
        DocumentsController,
        VerificationController,
        AdminController,
        SupportController,
        WebhookController,
        *web_handlers(settings),
    ]
    if not settings.is_production:
        handlers += dev_asset_handlers()  # the outbox page's files and the Turnstile stand-in
        if services.outbox is not None:
            handlers.append(DevOutboxController)
    if services.local_files is not None:
        handlers.append(LocalFilesController)
    run_worker = (settings.redis.url is None) if embedded_worker is None else embedded_worker
    runner = WorkerRunner(services.broker, threads=2) if run_worker else None
    return Litestar(
        route_handlers=handlers,
        middleware=[
            DefineMiddleware(
                EdgeMiddleware,
                trusted=parse_networks(settings.http.trusted_proxies),
                hsts=settings.is_production,
                on_request=_sentry_tagger(settings.observability.sentry_dsn_backend),
            ),
            # Before the route, and so before Sentry's integration parses the body.
            DefineMiddleware(BodyGuard, limits=body_limits(settings)),
            OneConnection,
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=check_request,
        openapi_config=OpenAPIConfig(
            title="DomestyX trust core",
            version=__version__,
            path="/schema",
            description="Accounts, one-time codes, sessions and identity documents.",
            servers=[
                Server(
                    url=settings.http.base_url,
                    description="production" if settings.is_production else "local development",
                )
            ],
            contact=Contact(name="DomestyX support", email="support@domestyx.com"),
            use_handler_docstrings=True,
            operation_id_creator=operation_id,
            render_plugins=[SelfHostedSwaggerPlugin(), ContractJson()],
        ),
        cors_config=_cors(settings.http.cors_allowed_origins),
        allowed_hosts=_hosts(settings.http.allowed_hosts),
        request_max_body_size=JSON_BODY_LIMIT,
        state=State(
            {
                "services": services,
                "readiness": ReadinessProbe(services.health),
                # The app reports its own 5xx: Sentry's Litestar integration is not installed
                # (its per-request transaction, body parsing and spans are not worth paying).
                "unhandled_reporter": services.reporter,
            }
        ),
        # Lambdas: Litestar passes the app to hooks that take arguments.
        on_startup=[lambda: runner.start()] if runner else [],  # noqa: PLW0108
        on_shutdown=[lambda: runner.stop()] if runner else [],  # noqa: PLW0108
        logging_config=None,
        debug=False,
    )


def body_limits(settings: Settings) -> BodyLimits:
    """The body bounds the settings ask for."""
    return BodyLimits(
        json_max_bytes=JSON_BODY_LIMIT,
        json_timeout_s=settings.http.body_timeout_s,
        upload_grace_s=settings.http.body_timeout_s,
        upload_min_bytes_per_s=settings.http.upload_min_bytes_per_s,
    )


def _sentry_tagger(dsn: str | None) -> Callable[[str], AbstractContextManager[None]] | None:
    if not dsn:
        return None
    from domestyx.adapters.sentry.reporter import request_scope

    return request_scope


def _cors(origins: tuple[str, ...]) -> CORSConfig | None:
    if not origins:
        return None
    return CORSConfig(
        allow_origins=list(origins),
        allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
        allow_headers=["authorization", "content-type", "x-request-id", "sentry-trace", "baggage"],
        expose_headers=[
            "x-request-id",
            "retry-after",
            "ratelimit-limit",
            "ratelimit-remaining",
            "ratelimit-reset",
            "ratelimit-policy",
        ],
        allow_credentials=False,
        max_age=600,
    )


def _hosts(hosts: tuple[str, ...]) -> AllowedHostsConfig | None:
    if not hosts or hosts == ("*",):
        return None
    # Fail closed: Litestar turns the whole check off for any "*", so a stray one is dropped.
    hosts = tuple(host for host in hosts if host != "*")
    # Platform health probes may use an internal Host header; health routes are host-agnostic.
    return AllowedHostsConfig(allowed_hosts=list(hosts), exclude=["/health"])
