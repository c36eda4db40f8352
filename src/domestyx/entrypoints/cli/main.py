"""`domestyx`: serve, worker, migrate, check and the operator commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from domestyx.entrypoints.settings import Settings, SettingsError

Command = Callable[[argparse.Namespace, Settings], int]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="domestyx", description="DomestyX trust core")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: str, help_text: str) -> argparse.ArgumentParser:
        # By name: the commands import the whole stack, which a refused configuration never needs.
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(func=func)
        return command

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
    add("check", "check", "Check every integration: ok / failing / not configured.")
    admin = add("create-admin", "create_admin", "Create a verified reviewer or admin account.")
    admin.add_argument("--email", required=True)
    admin.add_argument("--phone", required=True, help="E.164, e.g. +447700900123")
    admin.add_argument("--role", choices=["reviewer", "admin"], default="reviewer")
    add(
        "purge-expired",
        "purge_expired",
        "Erase documents past retention (skips legal holds) and expired unproven registrations.",
    )
    add("reconcile", "reconcile", "Repair storage vs database drift (orphans, missing objects).")
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
    backup = add("backup", "backup", "Database backup drill.")
    backup.add_argument("action", choices=["create", "verify"])
    monitors = add("monitors", "monitors", "Uptime monitors and heartbeats on Better Stack.")
    monitors.add_argument("action", choices=["sync"])
    monitors.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    support = add("accounts", "accounts", ACCOUNTS_HELP)
    support.add_argument("action", choices=["show", "lock", "unlock", "sign-out", "resend"])
    support.add_argument("account", help="account id, email or E.164 phone")
    support.add_argument("--staff", required=True, help="email of the staff member acting")
    support.add_argument("--reason", default="", help="why (required except for show)")
    support.add_argument("--json", action="store_true", help="machine-readable output")
    keys = sub.add_parser("keys", help=KEYS_HELP, description=KEYS_HELP)
    keys.add_argument("action", choices=["generate", "public"])
    return parser


PAUSE_HELP = (
    "Show a provider pause on email or SMS delivery (a quota or rate limit), or lift it now "
    "(after raising the quota); a pause otherwise ends by itself at the reset."
)
ACCOUNTS_HELP = "Support tools: show an account, lock, unlock, sign out everywhere, resend a code."
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
        print(f"domestyx: {exc}", file=sys.stderr)
        return 2
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, read settings once, run one command; configuration errors exit 2."""
    args = _parser().parse_args(argv)
    if args.command == "keys":
        return keys(args.action)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"domestyx: {exc}", file=sys.stderr)
        return 2
    from domestyx.entrypoints.cli import commands

    command: Command = getattr(commands, args.func)
    try:
        code: int = command(args, settings)
    except SettingsError as exc:
        print(f"domestyx: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
