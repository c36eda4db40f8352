"""`domestyx`: serve, worker, migrate, check and the operator commands."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import NoReturn

from domestyx.entrypoints.cli.failures import CliError, describe, settings_line
from domestyx.entrypoints.settings import Settings, SettingsError

Command = Callable[[argparse.Namespace, Settings], int]


class _Parser(argparse.ArgumentParser):
    """Bad arguments are one line naming the command, not a usage block."""

    commands: Mapping[str, argparse.ArgumentParser]

    def error(self, message: str) -> NoReturn:
        """Exit 2 with `domestyx CMD: what is wrong (see --help)`."""
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def build_parser() -> _Parser:
    """The whole command line; `.commands` maps each command to its own parser."""
    parser = _Parser(prog="domestyx", description="DomestyX trust core")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    parser.commands = sub.choices

    def add(name: str, func: str, help_text: str) -> argparse.ArgumentParser:
        # By name: the commands import the whole stack, which a refused configuration never needs.
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(func=func)
        return command

    def json_flag(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--json", action="store_true", help="machine-readable output (no progress bar)"
        )

    serve = add("serve", "serve", "Run the HTTP API (migrates the embedded SQLite database first).")
    serve.add_argument(
        "--host",
        default=None,
        help="interface to bind (default 127.0.0.1; 0.0.0.0 in production or when $PORT is set)",
    )
    serve.add_argument("--port", type=int, default=None, help="port (default: $PORT or 8000)")
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes, one per core (default $WEB_CONCURRENCY or 1; >1 needs MariaDB and Redis)",
    )
    worker = add("worker", "worker", "Run the Dramatiq worker on the Redis broker.")
    worker.add_argument(
        "--threads", type=int, default=None, help="worker threads (default $WORKER_THREADS)"
    )
    migrate = add("migrate", "migrate", "Upgrade the database schema (or downgrade with --to).")
    migrate.add_argument("--to", default=None, help="downgrade to this revision ('base' for empty)")
    json_flag(add("check", "check", "Check every integration: ok / failing / not configured."))
    admin = add("create-admin", "create_admin", "Create a verified reviewer or admin account.")
    admin.add_argument("--email", required=True)
    admin.add_argument("--phone", required=True, help="E.164, e.g. +447700900123")
    admin.add_argument("--role", choices=["reviewer", "admin"], default="reviewer")
    for name, func, help_text in (
        ("purge-expired", "purge_expired", PURGE_HELP),
        ("reconcile", "reconcile", RECONCILE_HELP),
    ):
        guarded = add(name, func, help_text)
        json_flag(guarded)
        guarded.add_argument(
            "--dry-run", action="store_true", help="print the plan, change nothing"
        )
        guarded.add_argument(
            "--force",
            action="store_true",
            help="delete even above RECONCILE_MAX_DELETE (never overrides the bucket marker)",
        )
    requeue = add("requeue-deliveries", "requeue", "Re-enqueue messages the broker lost.")
    requeue.add_argument(
        "--older-than",
        type=int,
        default=120,
        metavar="SECONDS",
        help="only messages waiting at least this long (default 120; the worker sweeps by itself)",
    )
    pause = add("delivery-pause", "delivery_pause", PAUSE_HELP)
    pause.add_argument("action", choices=["show", "resume"])
    pause.add_argument("channel", choices=["email", "sms"])
    json_flag(requeue)
    backup = add("backup", "backup", BACKUP_HELP)
    backup.add_argument("action", choices=["create", "verify", "restore"])
    backup.add_argument(
        "--key", default=None, help="restore: this dump (default: the newest complete backup)"
    )
    json_flag(backup)
    monitors = add("monitors", "monitors", "Uptime monitors and heartbeats on Better Stack.")
    monitors.add_argument("action", choices=["sync"])
    monitors.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    support = add("accounts", "accounts", ACCOUNTS_HELP)
    support.add_argument("action", choices=["show", "lock", "unlock", "sign-out", "resend"])
    support.add_argument("account", help="account id, email or E.164 phone")
    support.add_argument("--staff", required=True, help="email of the staff member acting")
    support.add_argument("--reason", default="", help="why (required except for show)")
    json_flag(support)
    dev = add("dev", "dev", DEV_HELP)
    dev.add_argument("action", choices=["reset-limits"])
    keys = add("keys", "keys", KEYS_HELP)
    keys.add_argument("action", choices=["generate", "public"])
    return parser


PAUSE_HELP = (
    "Show a provider pause on email or SMS delivery (a quota or rate limit), or lift it now "
    "(after raising the quota); a pause otherwise ends by itself at the reset."
)
PURGE_HELP = (
    "Erase documents past retention (skips legal holds) and expired unproven registrations; "
    "refuses unless the bucket's marker names this database."
)
RECONCILE_HELP = (
    "Repair storage vs database drift (orphans, missing objects); "
    "refuses unless the bucket's marker names this database."
)
BACKUP_HELP = (
    "Database backup drill: `create` dumps to the private bucket, `verify` restores the newest "
    "into a scratch database and compares; `restore` loads a dump into the EMPTY database of "
    "DATABASE_URL (the runbook's last resort) and compares it with the manifest."
)
ACCOUNTS_HELP = "Support tools: show an account, lock, unlock, sign out everywhere, resend a code."
DEV_HELP = (
    "Development helpers (refused in production): `reset-limits` forgets every rate-limit "
    "counter and sign-in failure tally (Redis, or the embedded server's memory)."
)
KEYS_HELP = (
    "Access-token keys: `generate` prints a new Ed25519 private key PEM (JWT_SIGNING_KEY); "
    "`public` reads a private key PEM on stdin and prints its public half "
    "(for JWT_PREVIOUS_SIGNING_KEYS)."
)


def keys(action: str) -> int:
    """Needs no settings: it runs before a deployment has any."""
    from domestyx.adapters.system.signing_keys import generate_pem, public_pem

    try:
        print(generate_pem() if action == "generate" else public_pem(sys.stdin.read()), end="")
    except ValueError as exc:
        raise CliError(str(exc), code=2) from exc
    return 0


def _run(args: argparse.Namespace) -> int:
    if args.command == "keys":
        return keys(args.action)
    settings = Settings.from_env()
    from domestyx.entrypoints.cli import commands

    command: Command = getattr(commands, args.func)
    return command(args, settings)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, read settings once, run one command; every failure is one line on stderr."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # said by the command's own parser, so the line names the command
        parser.commands[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    prog = f"domestyx {args.command}"
    try:
        return _run(args)
    except CliError as exc:
        return _fail(prog, str(exc), exc.code)
    except SettingsError as exc:  # configuration: exit 2, like bad arguments
        return _fail(prog, settings_line(exc), 2)
    except KeyboardInterrupt:
        return _fail(prog, "interrupted", 130)
    except BrokenPipeError:  # `domestyx ... | head`: the reader left, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, no traceback
        _debug_traceback(exc)
        return _fail(prog, describe(exc), 1)


def _fail(prog: str, message: str, code: int) -> int:
    print(f"{prog}: {message}", file=sys.stderr)
    return code


def _debug_traceback(exc: BaseException) -> None:
    """LOG_LEVEL=DEBUG asks for the traceback (a developer chasing a bug), through the log."""
    import logging

    if os.environ.get("LOG_LEVEL", "").upper() == "DEBUG":
        logging.getLogger("domestyx.cli").debug("command failed", exc_info=exc)


if __name__ == "__main__":
    sys.exit(main())
