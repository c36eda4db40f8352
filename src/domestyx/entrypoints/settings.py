"""Settings: one frozen object read from the environment once and passed in."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import attrs

from domestyx import __version__
from domestyx.domain.model.abuse import AbusePolicy
from domestyx.domain.model.errors import InvalidInput
from domestyx.domain.model.keys import derive_key

PRODUCTION = "production"
TURNSTILE_TEST_SECRETS = {
    "1x0000000000000000000000000000000AA",
    "2x0000000000000000000000000000000AA",
    "3x0000000000000000000000000000000AA",
}
_PREFIX = re.compile(r"^\+\d{1,6}$")


class SettingsError(Exception):
    """Every configuration problem at once, so an operator fixes them in one pass."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))
        self.problems = problems


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _int(env: Mapping[str, str], name: str, default: int, problems: list[str]) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        problems.append(f"{name} must be an integer, got {raw!r}")
        return default


def _local_secret(var_dir: Path, name: str) -> str:
    """Embedded default only: a random key kept under ./var so sessions survive restarts."""
    path = var_dir / f"{name}.key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value


@attrs.frozen(kw_only=True)
class Settings:
    """Everything the service reads from its environment; secrets are hidden from repr."""

    environment: str = "development"
    release: str = __version__
    var_dir: Path = Path("var")
    port: int = 8000
    public_base_url: str = "http://127.0.0.1:8000"
    database_url: str = "sqlite:///var/domestyx.db"
    database_ca_file: str | None = None
    redis_url: str | None = None
    secret_key: str = attrs.field(default="", repr=False)
    jwt_signing_key: str = attrs.field(default="", repr=False)
    jwt_previous_signing_keys: str = ""
    resend_api_key: str | None = attrs.field(default=None, repr=False)
    resend_api_url: str = "https://api.resend.com"
    resend_webhook_secret: str | None = attrs.field(default=None, repr=False)
    email_from: str = "DomestyX <no-reply@localhost>"
    email_reply_to: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = attrs.field(default=None, repr=False)
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base_url: str | None = None
    turnstile_site_key: str = "1x00000000000000000000AA"
    turnstile_secret_key: str = attrs.field(
        default="1x0000000000000000000000000000000AA", repr=False
    )
    turnstile_siteverify_url: str = "https://challenges.cloudflare.com/turnstile/v0/siteverify"
    turnstile_expected_hostnames: tuple[str, ...] = ()
    turnstile_script_url: str = (
        "https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit"
    )
    storage_bucket_name: str | None = None
    storage_access_key: str | None = attrs.field(default=None, repr=False)
    storage_secret_key: str | None = attrs.field(default=None, repr=False)
    storage_region: str = "auto"
    storage_endpoint_url: str | None = None
    storage_timeout_s: int = 10
    sentry_dsn_backend: str | None = None
    sentry_dsn_frontend: str | None = None
    allowed_hosts: tuple[str, ...] = ("*",)
    cors_allowed_origins: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = ()
    sms_allowed_prefixes: tuple[str, ...] | None = None
    rate_limits: tuple[tuple[str, str], ...] = ()
    heartbeat_urls: tuple[tuple[str, str], ...] = ()
    betterstack_api_token: str | None = attrs.field(default=None, repr=False)
    betterstack_api_url: str = "https://uptime.betterstack.com/api/v2"
    monitor_check_frequency_s: int = 60
    monitor_regions: tuple[str, ...] = ("us", "eu")
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    max_upload_bytes: int = 10 * 1024 * 1024
    pending_account_ttl_hours: int = 72
    worker_threads: int = 4
    broker_requeue_after_ms: int = 15_000
    worker_heartbeat_s: int = 60
    web_threads: int = 16
    header_timeout_s: int = 10
    body_timeout_s: int = 30
    upload_min_bytes_per_s: int = 10_000
    health_detail_token: str | None = attrs.field(default=None, repr=False)
    log_format: str = "text"
    log_level: str = "INFO"

    @property
    def is_production(self) -> bool:
        """Production refuses dev adapters and missing variables."""
        return self.environment == PRODUCTION

    @property
    def uses_redis(self) -> bool:
        """Shared counters and the broker live in Redis."""
        return self.redis_url is not None

    @property
    def uses_s3(self) -> bool:
        """Documents go to R2/S3 rather than ./var."""
        return self.storage_bucket_name is not None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate; raise SettingsError listing every problem."""
        env = dict(os.environ if environ is None else environ)
        problems: list[str] = []
        environment = env.get("DOMESTYX_ENV", "development").strip().lower() or "development"
        production = environment == PRODUCTION
        var_dir = Path(env.get("DOMESTYX_VAR_DIR", "var"))
        values = _read(env, problems, var_dir=var_dir, production=production)
        if production:
            problems += _production_problems(env, values)
        if problems:
            raise SettingsError(problems)
        return cls(environment=environment, var_dir=var_dir, **values)


def _read(
    env: dict[str, str], problems: list[str], *, var_dir: Path, production: bool
) -> dict[str, Any]:
    get = env.get
    port = _int(env, "PORT", 8000, problems)
    prefixes = get("SMS_ALLOWED_PREFIXES")
    overrides = []
    for item in _csv(get("RATE_LIMITS")):
        name, _, spec = item.partition("=")
        overrides.append((name.strip(), spec.strip()))
    for var, name in (
        ("SMS_HOURLY_BUDGET", "otp_send_sms.global"),
        ("SMS_PREFIX_HOURLY_CAP", "otp_send_sms.prefix"),
    ):
        if get(var):
            overrides.append((name, f"{get(var)}/1h"))
    try:
        AbusePolicy().with_overrides(dict(overrides))
    except InvalidInput as exc:
        problems.append(f"RATE_LIMITS: {exc.detail}")
    heartbeats = tuple(
        (key.removeprefix("HEARTBEAT_URL_").lower(), value)
        for key, value in sorted(env.items())
        if key.startswith("HEARTBEAT_URL_") and value
    )
    secret_key = get("SECRET_KEY") or ("" if production else _local_secret(var_dir, "secret"))
    return {
        "release": get("RELEASE") or get("RENDER_GIT_COMMIT") or __version__,
        "port": port,
        "public_base_url": (get("PUBLIC_BASE_URL") or f"http://127.0.0.1:{port}").rstrip("/"),
        "database_url": get("DATABASE_URL") or f"sqlite:///{var_dir}/domestyx.db",
        "database_ca_file": _ca_file(env, var_dir),
        "redis_url": get("REDIS_URL") or None,
        "secret_key": secret_key,
        "jwt_signing_key": get("JWT_SIGNING_KEY") or ("" if production else _dev_jwt(secret_key)),
        "jwt_previous_signing_keys": get("JWT_PREVIOUS_SIGNING_KEYS") or "",
        "resend_api_key": get("RESEND_API_KEY") or None,
        "resend_api_url": get("RESEND_API_URL") or "https://api.resend.com",
        "resend_webhook_secret": get("RESEND_WEBHOOK_SECRET") or None,
        "email_from": get("EMAIL_FROM") or "DomestyX <no-reply@localhost>",
        "email_reply_to": get("EMAIL_REPLY_TO") or None,
        "twilio_account_sid": get("TWILIO_ACCOUNT_SID") or None,
        "twilio_auth_token": get("TWILIO_AUTH_TOKEN") or None,
        "twilio_from_number": get("TWILIO_FROM_NUMBER") or None,
        "twilio_messaging_service_sid": get("TWILIO_MESSAGING_SERVICE_SID") or None,
        "twilio_api_base_url": get("TWILIO_API_BASE_URL") or None,
        "turnstile_site_key": get("TURNSTILE_SITE_KEY") or "1x00000000000000000000AA",
        "turnstile_secret_key": get("TURNSTILE_SECRET_KEY")
        or "1x0000000000000000000000000000000AA",
        "turnstile_siteverify_url": get("TURNSTILE_SITEVERIFY_URL")
        or "https://challenges.cloudflare.com/turnstile/v0/siteverify",
        "turnstile_expected_hostnames": _csv(get("TURNSTILE_EXPECTED_HOSTNAMES")),
        "turnstile_script_url": get("TURNSTILE_SCRIPT_URL")
        or "https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit",
        "storage_bucket_name": get("STORAGE_BUCKET_NAME") or None,
        "storage_access_key": get("STORAGE_ACCESS_KEY") or None,
        "storage_secret_key": get("STORAGE_SECRET_KEY") or None,
        "storage_region": get("STORAGE_REGION") or "auto",
        "storage_endpoint_url": get("STORAGE_ENDPOINT_URL") or None,
        "storage_timeout_s": _int(env, "STORAGE_TIMEOUT_SECONDS", 10, problems),
        "sentry_dsn_backend": get("SENTRY_DSN_BACKEND") or None,
        "sentry_dsn_frontend": get("SENTRY_DSN_FRONTEND") or None,
        "allowed_hosts": _csv(get("ALLOWED_HOSTS")) or ("*",),
        "cors_allowed_origins": _csv(get("CORS_ALLOWED_ORIGINS")),
        "trusted_proxies": _csv(get("TRUSTED_PROXIES")),
        "sms_allowed_prefixes": _csv(prefixes) if prefixes is not None else None,
        "rate_limits": tuple(overrides),
        "heartbeat_urls": heartbeats,
        "betterstack_api_token": get("BETTERSTACK_API_TOKEN") or None,
        "betterstack_api_url": get("BETTERSTACK_API_URL")
        or "https://uptime.betterstack.com/api/v2",
        "monitor_check_frequency_s": _int(env, "MONITOR_CHECK_FREQUENCY", 60, problems),
        "monitor_regions": _csv(get("MONITOR_REGIONS")) or ("us", "eu"),
        "argon2_time_cost": _int(env, "ARGON2_TIME_COST", 3, problems),
        "argon2_memory_kib": _int(env, "ARGON2_MEMORY_KIB", 65536, problems),
        "max_upload_bytes": _int(env, "MAX_UPLOAD_BYTES", 10 * 1024 * 1024, problems),
        "pending_account_ttl_hours": _int(env, "PENDING_ACCOUNT_TTL_HOURS", 72, problems),
        "worker_threads": _int(env, "WORKER_THREADS", 4, problems),
        "broker_requeue_after_ms": _int(env, "BROKER_REQUEUE_AFTER_MS", 15_000, problems),
        "worker_heartbeat_s": _int(env, "WORKER_HEARTBEAT_SECONDS", 60, problems),
        "web_threads": _int(env, "WEB_THREADS", 16, problems),
        "header_timeout_s": _int(env, "HEADER_TIMEOUT_SECONDS", 10, problems),
        "body_timeout_s": _int(env, "BODY_TIMEOUT_SECONDS", 30, problems),
        "upload_min_bytes_per_s": _int(env, "UPLOAD_MIN_BYTES_PER_SECOND", 10_000, problems),
        "health_detail_token": get("HEALTH_DETAIL_TOKEN") or None,
        "log_format": (get("LOG_FORMAT") or ("json" if production else "text")).lower(),
        "log_level": (get("LOG_LEVEL") or "INFO").upper(),
    } | _validate_common(env, problems)


def _validate_common(env: dict[str, str], problems: list[str]) -> dict[str, Any]:
    """Checks that apply in every environment; adds nothing to the values."""
    for prefix in _csv(env.get("SMS_ALLOWED_PREFIXES")):
        if not _PREFIX.match(prefix):
            problems.append(f"SMS_ALLOWED_PREFIXES: {prefix!r} is not an E.164 prefix like +44")
    problems += _signing_key_problems(env)
    if _int(env, "PENDING_ACCOUNT_TTL_HOURS", 72, []) < 1:
        problems.append("PENDING_ACCOUNT_TTL_HOURS must be at least 1")
    for cidr in _csv(env.get("TRUSTED_PROXIES")):
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            problems.append(f"TRUSTED_PROXIES: {cidr!r} is not an IP network")
    return {}


def _dev_jwt(secret_key: str) -> str:
    """Embedded default only: an Ed25519 key derived from SECRET_KEY in memory (no file)."""
    from domestyx.adapters.system.signing_keys import derived_pem

    return derived_pem(derive_key(secret_key.encode(), "domestyx/jwt/v1"))


def _signing_key_problems(env: dict[str, str]) -> list[str]:
    """A set JWT_SIGNING_KEY must be a private key PEM; previous keys must parse."""
    if not env.get("JWT_SIGNING_KEY") and not env.get("JWT_PREVIOUS_SIGNING_KEYS"):
        return []  # nothing to check: don't load the crypto library for a fast failure
    from domestyx.adapters.system.signing_keys import SigningKey, load_public_keys

    problems = []
    if env.get("JWT_SIGNING_KEY"):
        try:
            SigningKey.from_pem(env["JWT_SIGNING_KEY"])
        except ValueError as exc:
            problems.append(f"JWT_SIGNING_KEY: {exc} (run `domestyx keys generate`)")
    try:
        load_public_keys(env.get("JWT_PREVIOUS_SIGNING_KEYS", ""))
    except ValueError as exc:
        problems.append(f"JWT_PREVIOUS_SIGNING_KEYS: {exc}")
    return problems


def _ca_file(env: dict[str, str], var_dir: Path) -> str | None:
    """DATABASE_CA_CERT is a path; DATABASE_CA_PEM is the certificate itself (Render env var)."""
    if env.get("DATABASE_CA_CERT"):
        return env["DATABASE_CA_CERT"]
    pem = env.get("DATABASE_CA_PEM")
    if not pem:
        return None
    path = var_dir / "database-ca.pem"
    var_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(pem.replace("\\n", "\n"))
    return str(path)


REQUIRED_IN_PRODUCTION = (
    "DATABASE_URL",
    "REDIS_URL",
    "RESEND_API_KEY",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TURNSTILE_SITE_KEY",
    "TURNSTILE_SECRET_KEY",
    "STORAGE_BUCKET_NAME",
    "STORAGE_ACCESS_KEY",
    "STORAGE_SECRET_KEY",
    "STORAGE_REGION",
    "SENTRY_DSN_BACKEND",
    "SENTRY_DSN_FRONTEND",
    "ALLOWED_HOSTS",
    "CORS_ALLOWED_ORIGINS",
    "SECRET_KEY",
    "JWT_SIGNING_KEY",
    "EMAIL_FROM",
    "PUBLIC_BASE_URL",
    "TURNSTILE_EXPECTED_HOSTNAMES",
    "SMS_ALLOWED_PREFIXES",
    "TRUSTED_PROXIES",
    "RESEND_WEBHOOK_SECRET",
    "HEARTBEAT_URL_WORKER",
    "HEARTBEAT_URL_PURGE",
    "HEARTBEAT_URL_BACKUP",
)


def _production_problems(env: dict[str, str], values: dict[str, Any]) -> list[str]:
    problems = [
        f"{name} is required in production" for name in REQUIRED_IN_PRODUCTION if not env.get(name)
    ]
    if not env.get("TWILIO_FROM_NUMBER") and not env.get("TWILIO_MESSAGING_SERVICE_SID"):
        problems.append(
            "TWILIO_FROM_NUMBER (or TWILIO_MESSAGING_SERVICE_SID) is required in production"
        )
    scheme = urlparse(env.get("DATABASE_URL", "")).scheme
    if env.get("DATABASE_URL") and not scheme.startswith(("mysql", "mariadb")):
        problems.append("DATABASE_URL must be a MySQL URL (mysql://...) in production")
    if env.get("REDIS_URL") and urlparse(env["REDIS_URL"]).scheme not in ("redis", "rediss"):
        problems.append("REDIS_URL must start with redis:// or rediss://")
    if env.get("SECRET_KEY") and len(env["SECRET_KEY"].encode()) < 32:
        problems.append("SECRET_KEY must be at least 32 bytes")
    if env.get("TURNSTILE_SECRET_KEY") in TURNSTILE_TEST_SECRETS:
        problems.append("TURNSTILE_SECRET_KEY is a Cloudflare test secret (a dev adapter)")
    for name in ("PUBLIC_BASE_URL", "STORAGE_ENDPOINT_URL"):
        if env.get(name) and urlparse(env[name]).scheme != "https":
            problems.append(f"{name} must be an https:// URL")
    if env.get("ALLOWED_HOSTS", "").strip() == "*":
        problems.append("ALLOWED_HOSTS must list the real host names, not *")
    if values.get("log_format") not in ("json", "text"):
        problems.append("LOG_FORMAT must be json or text")
    return problems
