"""The settings groups, one per integration; each field declares its variable and default once."""

from __future__ import annotations

import attrs

from domestyx.domain.model.guarded_runs import DeleteLimit
from domestyx.entrypoints.settings.reader import (
    csv,
    flag,
    integer,
    no_trailing_slash,
    one_of,
    var,
)


@attrs.frozen(kw_only=True)
class HttpSettings:
    """The API server: where it listens, who may call it, whom it believes."""

    port: int | None = var("PORT", default=None, parse=integer)
    public_base_url: str | None = var("PUBLIC_BASE_URL", default=None, parse=no_trailing_slash)
    allowed_hosts: tuple[str, ...] = var("ALLOWED_HOSTS", default=("*",), parse=csv)
    cors_allowed_origins: tuple[str, ...] = var("CORS_ALLOWED_ORIGINS", default=(), parse=csv)
    trusted_proxies: tuple[str, ...] = var("TRUSTED_PROXIES", default=(), parse=csv)
    trusted_proxies_allow_public: bool = var(
        "TRUSTED_PROXIES_ALLOW_PUBLIC", default=False, parse=flag
    )
    web_threads: int = var("WEB_THREADS", default=16, parse=integer)
    # Render's convention (and gunicorn's): processes per instance; `serve --workers` wins.
    web_concurrency: int = var("WEB_CONCURRENCY", default=1, parse=integer)
    header_timeout_s: int = var("HEADER_TIMEOUT_SECONDS", default=10, parse=integer)
    body_timeout_s: int = var("BODY_TIMEOUT_SECONDS", default=30, parse=integer)
    upload_min_bytes_per_s: int = var("UPLOAD_MIN_BYTES_PER_SECOND", default=10_000, parse=integer)

    @property
    def listen_port(self) -> int:
        """$PORT (Render sets it) or 8000."""
        return 8000 if self.port is None else self.port

    @property
    def base_url(self) -> str:
        """PUBLIC_BASE_URL, or the loopback address the embedded default listens on."""
        return self.public_base_url or f"http://127.0.0.1:{self.listen_port}"


@attrs.frozen(kw_only=True)
class DatabaseSettings:
    """SQLAlchemy URL and the CA that MySQL's certificate must chain to."""

    url: str = var("DATABASE_URL", secret=True)  # default: SQLite under the var directory
    ca_file: str | None = var("DATABASE_CA_CERT", default=None)
    # Render stores files as variables: the PEM itself, written to a file where it is used.
    ca_pem: str | None = var(
        "DATABASE_CA_PEM", default=None, secret=True, parse=lambda raw: raw.replace("\\n", "\n")
    )


@attrs.frozen(kw_only=True)
class RedisSettings:
    """Shared counters, the OTP store and the job broker; None is in-memory."""

    url: str | None = var("REDIS_URL", default=None, secret=True)


@attrs.frozen(kw_only=True)
class KeySettings:
    """Master keys; empty means 'the embedded default makes its own' (see local_state)."""

    secret_key: str = var("SECRET_KEY", default="", secret=True)
    jwt_signing_key: str = var("JWT_SIGNING_KEY", default="", secret=True)  # private key PEM
    # Public (or private) PEMs that still verify after a rotation, until their tokens expire.
    jwt_previous_signing_keys: str = var("JWT_PREVIOUS_SIGNING_KEYS", default="", secret=True)


@attrs.frozen(kw_only=True)
class EmailSettings:
    """Resend."""

    resend_api_key: str | None = var("RESEND_API_KEY", default=None, secret=True)
    resend_api_url: str = var("RESEND_API_URL", default="https://api.resend.com")
    resend_webhook_secret: str | None = var("RESEND_WEBHOOK_SECRET", default=None, secret=True)
    email_from: str = var("EMAIL_FROM", default="DomestyX <no-reply@localhost>")
    email_reply_to: str | None = var("EMAIL_REPLY_TO", default=None)


@attrs.frozen(kw_only=True)
class SmsSettings:
    """Twilio."""

    twilio_account_sid: str | None = var("TWILIO_ACCOUNT_SID", default=None)
    twilio_auth_token: str | None = var("TWILIO_AUTH_TOKEN", default=None, secret=True)
    twilio_from_number: str | None = var("TWILIO_FROM_NUMBER", default=None)
    twilio_messaging_service_sid: str | None = var("TWILIO_MESSAGING_SERVICE_SID", default=None)
    twilio_api_base_url: str | None = var("TWILIO_API_BASE_URL", default=None)


@attrs.frozen(kw_only=True)
class CaptchaSettings:
    """Cloudflare Turnstile; the defaults are Cloudflare's always-pass test keys."""

    site_key: str = var("TURNSTILE_SITE_KEY", default="1x00000000000000000000AA")
    secret_key: str = var(
        "TURNSTILE_SECRET_KEY", default="1x0000000000000000000000000000000AA", secret=True
    )
    siteverify_url: str = var(
        "TURNSTILE_SITEVERIFY_URL",
        default="https://challenges.cloudflare.com/turnstile/v0/siteverify",
    )
    expected_hostnames: tuple[str, ...] = var("TURNSTILE_EXPECTED_HOSTNAMES", default=(), parse=csv)
    # Unset: Cloudflare's script, or the app's stand-in for test site keys (turnstile_script.py).
    script_url: str | None = var("TURNSTILE_SCRIPT_URL", default=None)


@attrs.frozen(kw_only=True)
class StorageSettings:
    """The private documents bucket (R2/S3); no bucket means ./var/documents."""

    bucket_name: str | None = var("STORAGE_BUCKET_NAME", default=None)
    access_key: str | None = var("STORAGE_ACCESS_KEY", default=None, secret=True)
    secret_key: str | None = var("STORAGE_SECRET_KEY", default=None, secret=True)
    region: str = var("STORAGE_REGION", default="auto")
    endpoint_url: str | None = var("STORAGE_ENDPOINT_URL", default=None)
    timeout_s: int = var("STORAGE_TIMEOUT_SECONDS", default=10, parse=integer)


@attrs.frozen(kw_only=True)
class ObservabilitySettings:
    """Sentry, Better Stack heartbeats and monitors, logs."""

    sentry_dsn_backend: str | None = var("SENTRY_DSN_BACKEND", default=None)
    sentry_dsn_frontend: str | None = var("SENTRY_DSN_FRONTEND", default=None)
    heartbeat_urls: tuple[tuple[str, str], ...] = ()  # every HEARTBEAT_URL_<CHECK>
    betterstack_api_token: str | None = var("BETTERSTACK_API_TOKEN", default=None, secret=True)
    betterstack_api_url: str = var(
        "BETTERSTACK_API_URL", default="https://uptime.betterstack.com/api/v2"
    )
    monitor_check_frequency_s: int = var("MONITOR_CHECK_FREQUENCY", default=60, parse=integer)
    monitor_regions: tuple[str, ...] = var("MONITOR_REGIONS", default=("us", "eu"), parse=csv)
    health_detail_token: str | None = var("HEALTH_DETAIL_TOKEN", default=None, secret=True)
    log_format: str = var("LOG_FORMAT", parse=one_of("json", "text"))  # json in production
    log_level: str = var("LOG_LEVEL", default="INFO", parse=str.upper)


@attrs.frozen(kw_only=True)
class PolicySettings:
    """Abuse limits, the SMS allow-list, password hashing cost, the upload cap."""

    # Unset allows every country (embedded default only); set but empty allows none.
    sms_allowed_prefixes: tuple[str, ...] | None = var(
        "SMS_ALLOWED_PREFIXES", default=None, parse=csv, keep_empty=True
    )
    rate_limits: tuple[tuple[str, str], ...] = ()  # RATE_LIMITS, SMS_* budgets: see rate_limits
    argon2_time_cost: int = var("ARGON2_TIME_COST", default=3, parse=integer)
    argon2_memory_kib: int = var("ARGON2_MEMORY_KIB", default=65536, parse=integer)
    max_upload_bytes: int = var("MAX_UPLOAD_BYTES", default=10 * 1024 * 1024, parse=integer)
    pending_account_ttl_hours: int = var("PENDING_ACCOUNT_TTL_HOURS", default=72, parse=integer)
    # reconcile / purge-expired refuse to delete more than this per run without --force.
    reconcile_max_delete: DeleteLimit = var(
        "RECONCILE_MAX_DELETE", default=DeleteLimit(), parse=DeleteLimit.parse
    )


@attrs.frozen(kw_only=True)
class WorkerSettings:
    """`domestyx worker` and the broker."""

    threads: int = var("WORKER_THREADS", default=4, parse=integer)
    heartbeat_s: int = var("WORKER_HEARTBEAT_SECONDS", default=60, parse=integer)
    broker_requeue_after_ms: int = var("BROKER_REQUEUE_AFTER_MS", default=15_000, parse=integer)
    # A delivery still queued this long and absent from the broker is re-enqueued by the sweeper.
    delivery_requeue_after_s: int = var("DELIVERY_REQUEUE_AFTER_SECONDS", default=30, parse=integer)
    sweep_every_s: int = var("DELIVERY_SWEEP_SECONDS", default=5, parse=integer)
    # A provider quota error pauses its channel at least this long, even if Retry-After is less.
    quota_min_pause_s: int = var("PROVIDER_QUOTA_MIN_PAUSE_SECONDS", default=60, parse=integer)
    # Jobs waiting out a pause look again at least this often (so `resume-delivery` is seen).
    pause_recheck_s: int = var("DELIVERY_PAUSE_RECHECK_SECONDS", default=300, parse=integer)
