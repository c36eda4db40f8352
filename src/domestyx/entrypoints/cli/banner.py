"""The start-up banner of `domestyx serve` outside production: where to click, where state is."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from domestyx.entrypoints.adapters import uses_dev_outbox
from domestyx.entrypoints.dev_limits import DEV_LIMIT_FACTOR
from domestyx.entrypoints.http.routes.web import WEB_DIR
from domestyx.entrypoints.settings import Settings

EVERY_INTERFACE = ("0.0.0.0", "::", "")  # noqa: S104 - compared with, never bound here


def startup_banner(settings: Settings, host: str, port: int) -> str | None:
    """Lines naming the URLs and the state; None in production (its log is for machines).

    From the settings alone: with `--workers N` the services are built in each worker process.
    """
    if settings.is_production:
        return None
    shown = "127.0.0.1" if host in EVERY_INTERFACE else host
    base = f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"
    rows = []
    if (WEB_DIR / "index.html").is_file():
        rows.append(("web client", f"{base}/"))
    if uses_dev_outbox(settings):
        rows.append(("dev outbox", f"{base}/dev/outbox  (every email and SMS: the codes)"))
    rows += [
        ("API docs", f"{base}/schema  (OpenAPI JSON at /schema/openapi.json)"),
        ("health", f"{base}/health/ready  (liveness: /health/live)"),
        ("database", _database(settings.database.url)),
        ("documents", _documents(settings)),
        ("state", f"{settings.var_dir.resolve()}/  (local keys, outbox; delete it to start over)"),
        ("jobs", _jobs(settings.redis.url)),
        ("rate limits", _limits(settings)),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"DomestyX {settings.release} ({settings.environment}) listening on {base}"]
    lines += [f"  {name:<{width}}  {value}" for name, value in rows]
    return "\n".join(lines)


def _database(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        name = parsed.database or ""
        return "SQLite in memory" if name in ("", ":memory:") else f"SQLite {Path(name).resolve()}"
    return parsed.render_as_string(hide_password=True)


def _documents(settings: Settings) -> str:
    if settings.storage.bucket_name:
        return f"bucket {settings.storage.bucket_name}"
    return str((settings.var_dir / "documents").resolve())  # as the composition root puts them


def _jobs(redis_url: str | None) -> str:
    if redis_url is None:
        return "in-process (no REDIS_URL): no worker to start"
    return "Redis broker: run `domestyx worker` beside this"


def _limits(settings: Settings) -> str:
    if settings.relaxed_limits:
        return f"{DEV_LIMIT_FACTOR}x production (development); `domestyx dev reset-limits` clears"
    return "production defaults"
