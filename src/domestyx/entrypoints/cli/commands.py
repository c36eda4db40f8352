"""The command implementations; each builds the container from the same settings."""

from __future__ import annotations

import argparse
import getpass
import os
import signal
import sys
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import attrs

from domestyx.entrypoints.container import build_container
from domestyx.entrypoints.logs import configure_logging
from domestyx.entrypoints.services import Services
from domestyx.entrypoints.settings import Settings


def _services(settings: Settings) -> Services:
    configure_logging(settings.observability.log_format, settings.observability.log_level)
    return build_container(settings)


def serve(args: argparse.Namespace, settings: Settings) -> int:
    """Run uvicorn on the app, in `--workers` / WEB_CONCURRENCY processes (default 1)."""
    import uvicorn

    from domestyx.entrypoints.http import served
    from domestyx.entrypoints.http.slow_headers import HeaderDeadlineProtocol
    from domestyx.entrypoints.settings import SettingsError

    port = args.port or settings.http.listen_port
    host = args.host or settings.listen_host
    workers = settings.http.web_concurrency if args.workers is None else args.workers
    # Without PUBLIC_BASE_URL, links the app serves itself carry the port it listens on.
    settings = attrs.evolve(settings, http=attrs.evolve(settings.http, port=port))
    if problems := served.multiprocess_problems(settings, workers):
        raise SettingsError(problems)
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": None,
        "access_log": False,
        "server_header": False,
        "proxy_headers": False,
        "timeout_graceful_shutdown": 10,
    }
    if workers == 1:
        uvicorn.run(served.build_app(settings), http=HeaderDeadlineProtocol, **options)
        return 0
    # Build once here so a bad configuration fails now with its message (exit 2), not in a
    # loop of worker restarts; then each worker builds its own services from the same env.
    _services(settings).engine.dispose()
    os.environ[served.PORT_ENV] = str(port)
    uvicorn.run(served.FACTORY, factory=True, workers=workers, http=served.PROTOCOL, **options)
    return 0


def worker(args: argparse.Namespace, settings: Settings) -> int:
    """Consume jobs until SIGTERM, pinging the worker heartbeat through the broker."""
    from domestyx.entrypoints.worker.runner import WorkerRunner

    services = _services(settings)
    runner = WorkerRunner(
        services.broker,
        threads=args.threads or settings.worker.threads,
        heartbeat_check="worker",
        heartbeat_every_s=settings.worker.heartbeat_s,
        sweep=delivery_sweep(services),
        sweep_every_s=settings.worker.sweep_every_s,
    )
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    runner.start()
    stop.wait()
    runner.stop()
    return 0


def delivery_sweep(services: Services) -> Callable[[], int]:
    """One sweeper at a time across workers: whoever takes the Redis lease re-enqueues."""
    older_than = timedelta(seconds=services.settings.worker.delivery_requeue_after_s)
    lease = _sweep_lease(services.settings)

    def sweep() -> int:
        if lease is not None and not lease.acquire(ttl_ms=60_000):
            return 0
        try:
            return services.delivery.requeue_lost(services.queue, older_than)
        finally:
            if lease is not None:
                lease.release()

    return sweep


def _sweep_lease(settings: Settings) -> Any:
    if settings.redis.url is None:
        return None  # one in-process worker: nobody to race with
    import redis

    from domestyx.adapters.redis.lease import RedisLease

    return RedisLease(redis.Redis.from_url(settings.redis.url, socket_timeout=5), "delivery-sweep")


def migrate(args: argparse.Namespace, settings: Settings) -> int:
    """Upgrade to head, or downgrade with --to."""
    from domestyx.adapters.sql import migrate as migrations

    services = _services(settings)
    if args.to:
        migrations.downgrade(services.engine, args.to)
    else:
        migrations.upgrade(services.engine)
    print(f"database at revision {migrations.current_revision(services.engine) or 'base'}")
    return 0


def check(args: argparse.Namespace, settings: Settings) -> int:
    """One line per integration; exit 1 if any configured one fails."""
    from domestyx.entrypoints.health import run_checks

    services = _services(settings)
    results = run_checks(services.health, timeout_s=3.0, verbose=True)
    failing = False
    for name, result in results.items():
        failing |= result["status"] != "ok"
        print(f"{name:<12} {result['status']:<15} {result['detail']}")
    for name, configured in _providers(settings).items():
        print(f"{name:<12} {'configured' if configured else 'not configured':<15}")
    return 1 if failing else 0


def _providers(settings: Settings) -> dict[str, bool]:
    return {
        "email": bool(settings.email.resend_api_key),
        "sms": bool(settings.sms.twilio_account_sid),
        "turnstile": settings.captcha.secret_key not in _test_secrets(),
        "sentry": bool(settings.observability.sentry_dsn_backend),
        "heartbeats": bool(settings.observability.heartbeat_urls),
    }


def _test_secrets() -> frozenset[str]:
    from domestyx.entrypoints.settings import TURNSTILE_TEST_SECRETS

    return frozenset(TURNSTILE_TEST_SECRETS)


def create_admin(args: argparse.Namespace, settings: Settings) -> int:
    """Password from $DOMESTYX_ADMIN_PASSWORD or a prompt, never from argv (shell history)."""
    from domestyx.domain.model.accounts import Role
    from domestyx.domain.model.errors import Conflict, InvalidInput

    password = os.environ.get("DOMESTYX_ADMIN_PASSWORD") or getpass.getpass("Password: ")
    services = _services(settings)
    try:
        account = services.accounts.create_staff(args.email, args.phone, password, Role(args.role))
    except (InvalidInput, Conflict) as exc:  # a weak password, a bad contact, a taken one
        print(f"domestyx: {exc.detail}", file=sys.stderr)
        return 2
    print(f"created {account.role} {account.id}")
    # Staff routes refuse sessions without TOTP (issue 14): say how to get one.
    print(
        "staff routes need an authenticator: sign in with this password, open Account >"
        " Authenticator (or POST /api/v1/me/mfa/totp, then /api/v1/me/mfa/totp/confirm with a"
        " code), keep the recovery codes, and sign in again with a code"
    )
    return 0


def _scheduled(check: str, settings: Settings, job: Callable[[Services], str]) -> int:
    """Run a cron job and report it to its heartbeat: ping on success, /fail on failure."""
    services = _services(settings)
    try:
        summary = job(services)
    except Exception as exc:  # noqa: BLE001 - any failure must reach the heartbeat and Sentry
        services.heartbeat.fail(check, type(exc).__name__)
        services.reporter.capture_exception(exc, job=check)
        print(f"{check} failed: {type(exc).__name__}", file=sys.stderr)
        return 1
    services.heartbeat.ping(check)
    print(summary)
    return 0


def purge_expired(args: argparse.Namespace, settings: Settings) -> int:
    """Daily retention run."""
    return _scheduled("purge", settings, lambda s: str(s.retention.purge_due()))


def reconcile(args: argparse.Namespace, settings: Settings) -> int:
    """Storage vs database repair."""
    return _scheduled("reconcile", settings, lambda s: str(s.retention.reconcile()))


def requeue(args: argparse.Namespace, settings: Settings) -> int:
    """Lost enqueues."""
    older_than = timedelta(seconds=max(0, args.older_than))
    return _scheduled(
        "requeue",
        settings,
        lambda s: f"requeued {s.delivery.requeue_stale(s.queue, older_than)}",
    )


def delivery_pause(args: argparse.Namespace, settings: Settings) -> int:
    """Show or lift the provider pause on one channel."""
    from domestyx.domain.model.otp import Channel

    channel = Channel(args.channel)
    services = _services(settings)
    if args.action == "resume":
        lifted = services.delivery.resume(channel)
        print(f"{channel.value}: {'resumed' if lifted else 'was not paused'}")
        return 0
    pause = services.delivery.paused(channel)
    if pause is None:
        print(f"{channel.value}: not paused")
    else:
        print(f"{channel.value}: paused until {pause.until.isoformat()} ({pause.reason})")
    return 0


def backup(args: argparse.Namespace, settings: Settings) -> int:
    """create: dump to the private bucket; verify: restore into scratch and compare."""
    from domestyx.adapters.sql.backup import create_backup, verify_backup

    def run(services: Services) -> str:
        if args.action == "create":
            return str(create_backup(services.engine, services.storage, now=services.clock.now()))
        database = services.settings.database  # its CA is a file by now
        report: Any = verify_backup(database.url, services.storage, ca_file=database.ca_file)
        if not report.ok:
            raise BackupMismatch(str(report))
        return str(report)

    return _scheduled("backup", settings, run)


class BackupMismatch(Exception):
    """The restored copy differs from the source."""


def monitors(args: argparse.Namespace, settings: Settings) -> int:
    """Create or update the Better Stack monitors and heartbeats from configuration."""
    from domestyx.entrypoints.cli.monitors import sync_monitors

    configure_logging(settings.observability.log_format, settings.observability.log_level)
    return sync_monitors(settings, dry_run=args.dry_run)


def accounts(args: argparse.Namespace, settings: Settings) -> int:
    """Support tools: show, lock, unlock, sign-out, resend (see cli/accounts.py)."""
    from domestyx.entrypoints.cli.accounts import run

    return run(args, _services(settings))
