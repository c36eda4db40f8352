"""What `domestyx serve` runs in each process: the app, its thread pool and header deadline."""

from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import ThreadPoolExecutor

import attrs
from litestar import Litestar

from domestyx.entrypoints.container import build_container
from domestyx.entrypoints.http.app import create_app
from domestyx.entrypoints.http.slow_headers import HeaderDeadlineProtocol
from domestyx.entrypoints.logs import configure_logging
from domestyx.entrypoints.services import Services
from domestyx.entrypoints.settings import Settings

# uvicorn imports these by name in every worker process (`--workers N` spawns them).
FACTORY = "domestyx.entrypoints.http.served:app_from_env"
PROTOCOL = "domestyx.entrypoints.http.slow_headers:HeaderDeadlineProtocol"
# The port the parent bound, so links the app serves itself carry it in every worker too.
PORT_ENV = "DOMESTYX_SERVE_PORT"
log = logging.getLogger("domestyx.serve")


def multiprocess_problems(settings: Settings, workers: int) -> list[str]:
    """Why `workers` processes can't share this configuration (empty: they can)."""
    if workers < 1:
        return [f"--workers / WEB_CONCURRENCY must be at least 1, not {workers}"]
    if workers == 1:
        return []
    problems = []
    if settings.redis.url is None:
        problems.append(
            f"--workers {workers} needs REDIS_URL: without it one-time codes, rate limits and "
            "jobs live in one process's memory, and each process would keep its own"
        )
    if settings.database.url.startswith("sqlite"):
        problems.append(
            f"--workers {workers} needs DATABASE_URL (MariaDB): the embedded SQLite database "
            "is for one process"
        )
    return problems


def build_app(settings: Settings) -> Litestar:
    """Services, the handler pool and the app for this process; SQLite is migrated first."""
    from domestyx.adapters.sql import migrate

    configure_logging(settings.observability.log_format, settings.observability.log_level)
    services = build_container(settings)
    if services.engine.dialect.name == "sqlite":
        migrate.upgrade(services.engine)
        _claim_bucket(services)
    HeaderDeadlineProtocol.header_timeout_s = settings.http.header_timeout_s
    app = create_app(services)
    # Handlers run in this pool; size it like the database pool, not the loop's default (CPU+4).
    # It becomes the loop's default executor, which Litestar's sync_to_thread falls back to:
    # uvicorn calls a worker's factory inside its running loop, where set_asyncio_executor refuses.
    pool = ThreadPoolExecutor(settings.http.web_threads, thread_name_prefix="web")
    app.on_startup.append(lambda: asyncio.get_running_loop().set_default_executor(pool))
    return app


def _claim_bucket(services: Services) -> None:
    """The embedded default's `migrate`: the database's identity, and its bucket's marker."""
    try:
        services.bucket.ensure_identity()
        marker = services.bucket.claim(only_if_empty=False)
    except Exception:  # the app serves anyway; reconcile and purge refuse until it is fixed
        log.exception("could not check the bucket marker")
        return
    if not marker.ok:
        log.warning("bucket marker: %s", marker.describe())


def app_from_env() -> Litestar:
    """uvicorn's factory in each worker process: the same settings, read from the environment."""
    settings = Settings.from_env()
    port = os.environ.get(PORT_ENV)
    if port:
        settings = attrs.evolve(settings, http=attrs.evolve(settings.http, port=int(port)))
    return build_app(settings)
