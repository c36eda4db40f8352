"""The command implementations; each builds the container from the same settings."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import attrs

from domestyx.entrypoints.cli import results
from domestyx.entrypoints.cli.failures import CliError, describe
from domestyx.entrypoints.cli.guarded import (
    RUNBOOK,
    Job,
    claim_bucket,
    guarded_result,
    progress_for,
)
from domestyx.entrypoints.cli.progress import StepProgress, progress_bar, wants_bar
from domestyx.entrypoints.cli.results import Shown
from domestyx.entrypoints.container import build_container
from domestyx.entrypoints.logs import configure_logging
from domestyx.entrypoints.services import Services
from domestyx.entrypoints.settings import Settings


def _services(settings: Settings, *, one_shot: bool = True, migrate: bool = True) -> Services:
    """The container; one-shot commands own stderr and run on a migrated embedded database."""
    level = settings.observability.log_level
    if one_shot and "LOG_LEVEL" not in os.environ:
        # The command prints its own summary or one-line failure; LOG_LEVEL=INFO shows the log.
        level = "CRITICAL"
    configure_logging(settings.observability.log_format, level)
    services = build_container(settings)
    if one_shot and migrate and _embedded_sqlite(services):
        from domestyx.adapters.sql import migrate as migrations

        migrations.upgrade(services.engine)  # like serve: the embedded default needs no setup
        claim_bucket(services, only_if_empty=False)  # and its ./var bucket is its own
    return services


def _embedded_sqlite(services: Services) -> bool:
    return services.engine.dialect.name == "sqlite" and not services.settings.is_production


def serve(args: argparse.Namespace, settings: Settings) -> int:
    """Run uvicorn on the app, in `--workers` / WEB_CONCURRENCY processes (default 1)."""
    import uvicorn

    from domestyx.entrypoints.cli.banner import startup_banner
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
    _check_port(host, port)
    banner = startup_banner(settings, host, port)
    if workers == 1:
        app = served.build_app(settings)
        _announce(banner)  # once the app is built: a refused configuration prints no URLs
        uvicorn.run(app, http=HeaderDeadlineProtocol, **options)
        return 0
    # Build once here so a bad configuration fails now with its message (exit 2), not in a
    # loop of worker restarts; then each worker builds its own services from the same env.
    _services(settings, one_shot=False).engine.dispose()
    _announce(banner)
    os.environ[served.PORT_ENV] = str(port)
    uvicorn.run(served.FACTORY, factory=True, workers=workers, http=served.PROTOCOL, **options)
    return 0


def _check_port(host: str, port: int) -> None:
    """A port already taken is one line before anything starts (uvicorn would log it late)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CliError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc} (another server running?"
                " pick a free port with --port)",
                code=2,
            ) from exc


def _announce(banner: str | None) -> None:
    if banner is not None:
        print(banner, flush=True)


def worker(args: argparse.Namespace, settings: Settings) -> int:
    """Consume jobs until SIGTERM, pinging the worker heartbeat through the broker."""
    from domestyx.entrypoints.worker.runner import WorkerRunner

    if settings.redis.url is None:
        # Without REDIS_URL jobs run inside `domestyx serve` (an in-process broker): a separate
        # worker process could never see them, so it says so and stops instead of idling.
        print(NOTHING_TO_DO)
        return 0
    services = _services(settings, one_shot=False)
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


NOTHING_TO_DO = (
    "domestyx worker: nothing to do: without REDIS_URL (the embedded default) jobs run inside"
    " `domestyx serve` itself, on an in-process broker no other process can reach; set"
    " REDIS_URL to run jobs through Redis and a separate worker"
)


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
    """Upgrade to head (then claim an unmarked bucket for this database), or downgrade with --to."""
    from domestyx.adapters.sql import migrate as migrations

    services = _services(settings, migrate=False)  # its own upgrade or downgrade, not the auto one
    if args.to:
        migrations.downgrade(services.engine, args.to)
    else:
        migrations.upgrade(services.engine)
    print(f"database at revision {migrations.current_revision(services.engine) or 'base'}")
    if args.to:
        return 0
    marker = claim_bucket(services, only_if_empty=False)
    if isinstance(marker, str) or not marker.ok:
        line = marker if isinstance(marker, str) else marker.describe()
        # The schema is upgraded; a bucket naming another database must still stop the deploy.
        raise CliError(f"{line} (see {RUNBOOK})")
    print(f"storage: {marker.describe()}")
    return 0


def check(args: argparse.Namespace, settings: Settings) -> int:
    """One line per integration; exit 1 if any configured one fails."""
    from domestyx.entrypoints.health import run_checks

    services = _services(settings)
    results = run_checks(services.health, timeout_s=3.0, verbose=True)
    marker_ok, detail = _marker_line(services)
    marker = {"status": "ok" if marker_ok else "failing", "detail": detail}
    failing = not marker_ok or any(result["status"] != "ok" for result in results.values())
    providers = _providers(settings)
    if args.json:
        checks = {**results, "marker": marker}
        print(json.dumps({"ok": not failing, "checks": checks, "providers": providers}, indent=2))
        return 1 if failing else 0
    for name, result in results.items():
        print(f"{name:<12} {result['status']:<15} {result['detail']}".rstrip())
    print(f"{'marker':<12} {marker['status']:<15} {marker['detail']}")
    for name, configured in providers.items():
        print(f"{name:<12} {'configured' if configured else 'not configured'}")
    return 1 if failing else 0


def _marker_line(services: Services) -> tuple[bool, str]:
    """check claims only an empty bucket: it may run against unchecked configuration."""
    from domestyx.adapters.sql import migrate as migrations

    marker = claim_bucket(services, only_if_empty=True)
    if isinstance(marker, str):
        try:
            behind = migrations.current_revision(services.engine) != migrations.head_revision()
        except Exception:  # noqa: BLE001 - the database line already says why
            behind = False
        return False, "the schema is not at head: run `domestyx migrate`" if behind else marker
    return marker.ok, marker.describe()


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

    password = _admin_password()
    services = _services(settings)
    try:
        account = services.accounts.create_staff(args.email, args.phone, password, Role(args.role))
    except (InvalidInput, Conflict) as exc:  # a weak password, a bad contact, a taken one
        raise CliError(exc.detail, code=2) from exc
    print(f"created {account.role} {account.id}")
    # Staff routes refuse sessions without TOTP (issue 14): say how to get one.
    print(
        "staff routes need an authenticator: sign in with this password, open Account >"
        " Authenticator (or POST /api/v1/me/mfa/totp, then /api/v1/me/mfa/totp/confirm with a"
        " code), keep the recovery codes, and sign in again with a code"
    )
    return 0


def _admin_password() -> str:
    """$DOMESTYX_ADMIN_PASSWORD, else a prompt; with no terminal to prompt on, say which."""
    password = os.environ.get("DOMESTYX_ADMIN_PASSWORD")
    if password:
        return password
    if not sys.stdin.isatty():
        raise CliError(
            "no password: set DOMESTYX_ADMIN_PASSWORD (there is no terminal to prompt on)", code=2
        )
    try:
        return getpass.getpass("Password: ")
    except EOFError as exc:
        raise CliError("no password given", code=2) from exc


def _scheduled(
    check: str,
    settings: Settings,
    args: argparse.Namespace,
    job: Callable[[Services, StepProgress], Shown],
) -> int:
    """Run a cron job and report it to its heartbeat: ping on success, /fail on failure.

    A bar on a terminal while it runs (not with --json); then the summary or the JSON on
    stdout; a failure is one line on stderr (after the report, when there is one).
    """
    services = _services(settings)
    as_json = bool(getattr(args, "json", False))
    label = f"{args.command} {getattr(args, 'action', '')}".strip()
    try:
        with progress_bar(label, enabled=wants_bar(as_json)) as bar:
            shown = job(services, bar)
        print(shown.render(as_json=as_json))
        if shown.failure is not None:
            raise JobFailed(shown.failure)
    except Exception as exc:
        services.heartbeat.fail(check, type(exc).__name__)
        services.reporter.capture_exception(exc, job=check)
        raise CliError(f"{check} failed: {describe(exc)}") from exc
    services.heartbeat.ping(check)
    return 0


class JobFailed(Exception):
    """The job ran to its end and found a problem (a backup that does not verify)."""


def purge_expired(args: argparse.Namespace, settings: Settings) -> int:
    """Daily retention run, guarded."""
    return _guarded(
        "purge", settings, args,
        lambda s, progress: s.retention.purge_due(
            dry_run=args.dry_run, force=args.force, progress=progress
        ),
    )  # fmt: skip


def reconcile(args: argparse.Namespace, settings: Settings) -> int:
    """Storage vs database repair, guarded."""
    return _guarded(
        "reconcile", settings, args,
        lambda s, progress: s.retention.reconcile(
            dry_run=args.dry_run, force=args.force, progress=progress
        ),
    )  # fmt: skip


def _guarded(check: str, settings: Settings, args: argparse.Namespace, job: Job) -> int:
    """A guarded cron job: a refusal fails its heartbeat (so Better Stack alerts) and exits 1.

    Progress: a bar on a terminal, a plain line per batch otherwise (cron logs), none with
    --json. Then the summary (or plan) or the JSON on stdout; a refusal is one line on stderr.
    """
    services = _services(settings)
    label = args.command
    try:
        with progress_bar(label, enabled=wants_bar(args.json)) as bar:
            run = job(services, progress_for(bar, check, as_json=args.json))
    except Exception as exc:
        services.heartbeat.fail(check, type(exc).__name__)
        services.reporter.capture_exception(exc, job=check)
        raise CliError(f"{check} failed: {describe(exc)}") from exc
    shown, refusal = guarded_result(run, services.settings.policy.reconcile_max_delete)
    if shown.summary or args.json:
        print(shown.render(as_json=args.json))
    if refusal is not None:
        # The service already told Sentry; the heartbeat's /fail makes Better Stack alert too.
        services.heartbeat.fail(check, f"refused: {run.refusal.reason if run.refusal else ''}")
        raise CliError(refusal)
    if not args.dry_run:  # a dry run is not the scheduled run: the heartbeat stays as it was
        services.heartbeat.ping(check)
    return 0


def requeue(args: argparse.Namespace, settings: Settings) -> int:
    """Lost enqueues."""
    seconds = max(0, args.older_than)

    def run(services: Services, bar: StepProgress) -> Shown:
        count = services.delivery.requeue_stale(services.queue, timedelta(seconds=seconds), bar)
        return results.requeued(count, seconds)

    return _scheduled("requeue", settings, args, run)


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

    if args.action == "restore":
        return _restore(args, settings)
    if args.key is not None:
        raise CliError("--key is for `backup restore` only", code=2)

    def run(services: Services, bar: StepProgress) -> Shown:
        if args.action == "create":
            now = services.clock.now()
            return results.backup_created(
                create_backup(services.engine, services.storage, now=now, progress=bar)
            )
        database = services.settings.database  # its CA is a file by now
        report = verify_backup(
            database.url, services.storage, ca_file=database.ca_file, progress=bar
        )
        return results.backup_verified(report)

    return _scheduled("backup", settings, args, run)


def _restore(args: argparse.Namespace, settings: Settings) -> int:
    """Load a dump into the empty DATABASE_URL and compare; not a cron, so no heartbeat."""
    from domestyx.adapters.sql.backup import (
        DUMP_SUFFIX,
        MANIFEST_SUFFIX,
        BackupManifest,
        compare,
        latest_manifest,
        restore_backup,
    )

    services = _services(settings, migrate=False)  # the target must stay empty until the load
    as_json = bool(args.json)
    if args.key is None:
        manifest = latest_manifest(services.storage)
    else:
        if not args.key.endswith(DUMP_SUFFIX):
            raise CliError(f"--key must name a dump ({DUMP_SUFFIX}), got {args.key!r}", code=2)
        sidecar = args.key.removesuffix(DUMP_SUFFIX) + MANIFEST_SUFFIX
        manifest = BackupManifest.from_json(services.storage.read(sidecar))
    with progress_bar("backup restore", enabled=wants_bar(as_json)) as bar:
        revision = restore_backup(services.storage, manifest.key, services.engine, bar)
        checks = compare(manifest, services.engine, bar)
    shown = results.backup_restored(manifest, revision, checks, _target(settings))
    print(shown.render(as_json=as_json))
    if shown.failure is not None:
        raise CliError(f"restore failed: {shown.failure}")
    return 0


def _target(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.database.url).render_as_string(hide_password=True)


def monitors(args: argparse.Namespace, settings: Settings) -> int:
    """Create or update the Better Stack monitors and heartbeats from configuration."""
    from domestyx.entrypoints.cli.monitors import sync_monitors

    configure_logging(settings.observability.log_format, settings.observability.log_level)
    return sync_monitors(settings, dry_run=args.dry_run)


def accounts(args: argparse.Namespace, settings: Settings) -> int:
    """Support tools: show, lock, unlock, sign-out, resend (see cli/accounts.py)."""
    from domestyx.entrypoints.cli.accounts import run

    return run(args, _services(settings))


def dev(args: argparse.Namespace, settings: Settings) -> int:
    """`dev reset-limits`: forget every rate counter and failure tally (never in production)."""
    from domestyx.adapters.dev.limits_stamp import STAMP_NAME, ResetStamp

    if settings.is_production:
        raise CliError("dev commands are refused in production", code=2)
    if settings.redis.url is None:
        # The counters live in the memory of `domestyx serve`: ask it through the stamp file.
        stamp = settings.var_dir / STAMP_NAME
        ResetStamp(stamp).touch()
        print(f"limits reset: the embedded server forgets them on its next request ({stamp})")
        return 0
    forgotten = _services(settings).guard.forget_limits()
    print(f"limits reset: {forgotten} rate-limit and failure keys deleted from Redis")
    return 0
