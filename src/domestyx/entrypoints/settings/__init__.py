"""Settings: one frozen object of groups, read from the environment once, without side effects."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from pathlib import Path

import attrs

from domestyx import __version__
from domestyx.entrypoints.settings.groups import (
    CaptchaSettings,
    DatabaseSettings,
    EmailSettings,
    HttpSettings,
    KeySettings,
    ObservabilitySettings,
    PolicySettings,
    RedisSettings,
    SmsSettings,
    StorageSettings,
    WorkerSettings,
)
from domestyx.entrypoints.settings.production import (
    REQUIRED_IN_PRODUCTION,
    TURNSTILE_TEST_SECRETS,
    production_problems,
)
from domestyx.entrypoints.settings.rate_limits import read_rate_limits
from domestyx.entrypoints.settings.reader import mapping_by_prefix, read, read_field, var

__all__ = ["REQUIRED_IN_PRODUCTION", "TURNSTILE_TEST_SECRETS", "Settings", "SettingsError"]

PRODUCTION = "production"
DEVELOPMENT = "development"
ENVIRONMENTS = (DEVELOPMENT, "test", PRODUCTION)
_PREFIX = re.compile(r"^\+\d{1,6}$")


class SettingsError(Exception):
    """Every configuration problem at once, so an operator fixes them in one pass."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))
        self.problems = problems


@attrs.frozen(kw_only=True)
class Settings:
    """Everything the service reads from its environment, grouped by integration."""

    environment: str = "development"
    release: str = var("RELEASE", "RENDER_GIT_COMMIT", default=__version__)
    var_dir: Path = var("DOMESTYX_VAR_DIR", default=Path("var"), parse=Path)
    http: HttpSettings
    database: DatabaseSettings
    redis: RedisSettings
    keys: KeySettings
    email: EmailSettings
    sms: SmsSettings
    captcha: CaptchaSettings
    storage: StorageSettings
    observability: ObservabilitySettings
    policy: PolicySettings
    worker: WorkerSettings

    @property
    def is_production(self) -> bool:
        """Production refuses dev adapters, missing variables and weak values."""
        return self.environment == PRODUCTION

    @property
    def relaxed_limits(self) -> bool:
        """Development (the embedded default) multiplies the default rate limits by 100."""
        return self.environment == DEVELOPMENT

    @property
    def listen_host(self) -> str:
        """Loopback for the embedded default; every interface in production or behind $PORT."""
        public = self.is_production or self.http.port is not None
        return "0.0.0.0" if public else "127.0.0.1"  # noqa: S104 - the platform's router in front

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate; raise SettingsError listing every problem. Writes nothing."""
        env = dict(os.environ if environ is None else environ)
        problems: list[str] = []
        environment = env.get("DOMESTYX_ENV", "").strip().lower() or "development"
        if environment not in ENVIRONMENTS:
            problems.append(
                f"DOMESTYX_ENV must be one of {', '.join(ENVIRONMENTS)}, got "
                f"{env['DOMESTYX_ENV']!r} (anything else would silently run the dev adapters)"
            )
        production = environment == PRODUCTION
        settings = _read_groups(env, problems, environment=environment, production=production)
        problems += _common_problems(settings)
        if production:
            problems += production_problems(env, settings)
        if problems:
            raise SettingsError(problems)
        return settings


def _read_groups(
    env: Mapping[str, str], problems: list[str], *, environment: str, production: bool
) -> Settings:
    var_dir = read_field(Settings, "var_dir", env, [])
    return read(
        Settings,
        env,
        problems,
        environment=environment,
        http=read(HttpSettings, env, problems),
        database=read(DatabaseSettings, env, problems, url=f"sqlite:///{var_dir}/domestyx.db"),
        redis=read(RedisSettings, env, problems),
        keys=read(KeySettings, env, problems),
        email=read(EmailSettings, env, problems),
        sms=read(SmsSettings, env, problems),
        captcha=read(CaptchaSettings, env, problems),
        storage=read(StorageSettings, env, problems),
        observability=read(
            ObservabilitySettings,
            env,
            problems,
            heartbeat_urls=mapping_by_prefix(env, "HEARTBEAT_URL_"),
            log_format="json" if production else "text",
        ),
        policy=read(
            PolicySettings,
            env,
            problems,
            rate_limits=read_rate_limits(env, problems, production=production),
        ),
        worker=read(WorkerSettings, env, problems),
    )


def _common_problems(settings: Settings) -> list[str]:
    """Checks that apply in every environment."""
    problems = []
    for prefix in settings.policy.sms_allowed_prefixes or ():
        if not _PREFIX.match(prefix):
            problems.append(f"SMS_ALLOWED_PREFIXES: {prefix!r} is not an E.164 prefix like +44")
    if settings.policy.pending_account_ttl_hours < 1:
        problems.append("PENDING_ACCOUNT_TTL_HOURS must be at least 1")
    for cidr in settings.http.trusted_proxies:
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            problems.append(f"TRUSTED_PROXIES: {cidr!r} is not an IP network")
    return problems + _url_problems(settings) + _signing_key_problems(settings.keys)


# What the engine and the Redis client can open; anything else would fail deep in a driver.
_DATABASE_SCHEMES = ("mysql", "mysql+pymysql", "mariadb", "mariadb+pymysql", "sqlite")
_REDIS_SCHEMES = ("redis", "rediss", "unix")


def _url_problems(settings: Settings) -> list[str]:
    """A URL whose scheme no adapter speaks is refused here, in one line, not as a traceback."""
    problems = []
    scheme = settings.database.url.partition("://")[0].lower()
    if scheme not in _DATABASE_SCHEMES:
        problems.append(
            f"DATABASE_URL: {scheme + '://' if scheme else 'the value'} is not supported; "
            "use MySQL/MariaDB (mysql://user:password@host:3306/db, Aiven's URI as given) "
            "or SQLite (sqlite:///var/domestyx.db)"
        )
    if settings.redis.url is not None:
        scheme = settings.redis.url.partition("://")[0].lower()
        if scheme not in _REDIS_SCHEMES:
            problems.append(
                f"REDIS_URL: {scheme + '://' if scheme else 'the value'} is not a Redis URL; "
                "use rediss://user:password@host:6379 (or redis:// to a loopback IP)"
            )
    return problems


def _signing_key_problems(keys: KeySettings) -> list[str]:
    """A set JWT_SIGNING_KEY must be a private key PEM; previous keys must parse."""
    if not keys.jwt_signing_key and not keys.jwt_previous_signing_keys:
        return []  # nothing to check: don't load the crypto library for a fast failure
    from domestyx.adapters.system.signing_keys import SigningKey, load_public_keys

    problems = []
    if keys.jwt_signing_key:
        try:
            SigningKey.from_pem(keys.jwt_signing_key)
        except ValueError as exc:
            problems.append(f"JWT_SIGNING_KEY: {exc} (run `domestyx keys generate`)")
    try:
        load_public_keys(keys.jwt_previous_signing_keys)
    except ValueError as exc:
        problems.append(f"JWT_PREVIOUS_SIGNING_KEYS: {exc}")
    return problems
