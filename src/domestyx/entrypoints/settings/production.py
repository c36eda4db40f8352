"""What production refuses: each problem names the variable, the rule and the fix."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from domestyx.entrypoints.settings.urls import https_problem, is_loopback, proxy_problem, scheme_of

if TYPE_CHECKING:
    from domestyx.entrypoints.settings import Settings

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
TURNSTILE_TEST_SECRETS = frozenset(
    {
        "1x0000000000000000000000000000000AA",
        "2x0000000000000000000000000000000AA",
        "3x0000000000000000000000000000000AA",
    }
)
# OWASP Password Storage Cheat Sheet, argon2id minimum: 19 MiB of memory, 2 iterations.
ARGON2_MIN_MEMORY_KIB, ARGON2_MIN_TIME_COST = 19 * 1024, 2
KEY_MIN_BYTES, KEY_MIN_DISTINCT_BYTES = 32, 16
_TLS_MODES = {"REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY"}
_FIX_KEY = "generate one with `openssl rand -base64 48`"


def production_problems(env: Mapping[str, str], settings: Settings) -> list[str]:
    """Every reason this environment must not serve real users."""
    problems = [f"{name} is required in production" for name in REQUIRED_IN_PRODUCTION
                if not env.get(name, "").strip()]  # fmt: skip
    if not env.get("TWILIO_FROM_NUMBER") and not env.get("TWILIO_MESSAGING_SERVICE_SID"):
        problems.append(
            "TWILIO_FROM_NUMBER (or TWILIO_MESSAGING_SERVICE_SID) is required in production"
        )
    if settings.captcha.secret_key in TURNSTILE_TEST_SECRETS:
        problems.append("TURNSTILE_SECRET_KEY is a Cloudflare test secret (a dev adapter)")
    for check in (_database, _redis, _keys, _urls, _http, _argon2):
        problems += check(env, settings)
    return problems


def _database(env: Mapping[str, str], settings: Settings) -> list[str]:
    if not env.get("DATABASE_URL"):
        return []
    url = settings.database.url
    if not scheme_of(url).startswith(("mysql", "mariadb")):
        return ["DATABASE_URL must be a MySQL URL (mysql://...) in production"]
    query = parse_qs(urlsplit(url).query)
    mode = (query.get("ssl-mode") or query.get("ssl_mode") or [""])[0].upper()
    has_ca = bool(settings.database.ca_file or settings.database.ca_pem or query.get("ssl_ca"))
    asks_tls = mode in _TLS_MODES or any(key.startswith("ssl_") for key in query)
    tls = asks_tls or (has_ca and mode not in ("DISABLED", "PREFERRED"))
    if not tls and not is_loopback(url):
        return [
            "DATABASE_URL: MySQL without TLS sends passwords and data in clear; use "
            "?ssl-mode=REQUIRED (Aiven's service URI has it) and set DATABASE_CA_PEM"
        ]
    if tls and not has_ca:
        return [
            "DATABASE_CA_PEM (or DATABASE_CA_CERT): TLS without a CA cannot verify the server; "
            "paste the service's CA certificate (Aiven: Overview -> CA certificate)"
        ]
    return []


def _redis(env: Mapping[str, str], settings: Settings) -> list[str]:
    url = settings.redis.url
    if not url or scheme_of(url) == "rediss" or (scheme_of(url) == "redis" and is_loopback(url)):
        return []
    return [
        "REDIS_URL must start with rediss:// (TLS): plain redis:// sends the password and "
        "every code in clear (allowed only to a loopback address such as 127.0.0.1)"
    ]


def _keys(env: Mapping[str, str], settings: Settings) -> list[str]:
    """SECRET_KEY; JWT_SIGNING_KEY is a private key PEM, checked in every mode."""
    raw = settings.keys.secret_key.encode()
    if raw and len(raw) < KEY_MIN_BYTES:
        return [f"SECRET_KEY must be at least {KEY_MIN_BYTES} bytes; {_FIX_KEY}"]
    if raw and len(set(raw)) < KEY_MIN_DISTINCT_BYTES:
        return [
            f"SECRET_KEY has low entropy ({len(set(raw))} distinct bytes, at least "
            f"{KEY_MIN_DISTINCT_BYTES}); {_FIX_KEY}"
        ]
    return []


def _urls(env: Mapping[str, str], settings: Settings) -> list[str]:
    """Servers call providers (loopback http allowed for stubs); browsers load the rest."""
    o, e, s, c = settings.observability, settings.email, settings.sms, settings.captcha
    server_side = [
        ("RESEND_API_URL", e.resend_api_url),
        ("TWILIO_API_BASE_URL", s.twilio_api_base_url),
        ("TURNSTILE_SITEVERIFY_URL", c.siteverify_url),
        ("BETTERSTACK_API_URL", o.betterstack_api_url),
        ("SENTRY_DSN_BACKEND", o.sentry_dsn_backend),
    ] + [(f"HEARTBEAT_URL_{check.upper()}", url) for check, url in o.heartbeat_urls]
    browser_or_public = [
        ("PUBLIC_BASE_URL", settings.http.public_base_url),
        ("STORAGE_ENDPOINT_URL", settings.storage.endpoint_url),
        ("TURNSTILE_SCRIPT_URL", c.script_url),
        ("SENTRY_DSN_FRONTEND", o.sentry_dsn_frontend),
    ]
    problems = [https_problem(n, u, loopback_http=True) for n, u in server_side if u]
    problems += [https_problem(n, u, loopback_http=False) for n, u in browser_or_public if u]
    return [p for p in problems if p]


def _http(env: Mapping[str, str], settings: Settings) -> list[str]:
    http = settings.http
    problems = []
    for origin in http.cors_allowed_origins:
        split = urlsplit(origin)
        if "*" in origin or split.scheme != "https" or not split.hostname or split.path:
            problems.append(
                f"CORS_ALLOWED_ORIGINS: {origin!r} must be an exact https:// origin "
                "(scheme and host, no wildcard, no path), e.g. https://app.domestyx.com"
            )
    if "*" in http.allowed_hosts:
        problems.append(
            "ALLOWED_HOSTS must list the real host names, not *: any * switches the Host check off"
        )
    for cidr in http.trusted_proxies:
        try:
            problem = proxy_problem(cidr, allow_public=http.trusted_proxies_allow_public)
        except ValueError:
            continue  # reported in every mode
        if problem:
            problems.append(problem)
    return problems


def _argon2(env: Mapping[str, str], settings: Settings) -> list[str]:
    policy, problems = settings.policy, []
    if policy.argon2_memory_kib < ARGON2_MIN_MEMORY_KIB:
        problems.append(
            f"ARGON2_MEMORY_KIB={policy.argon2_memory_kib} is below OWASP's minimum of "
            f"{ARGON2_MIN_MEMORY_KIB} (19 MiB); leave it unset for the default 65536"
        )
    if policy.argon2_time_cost < ARGON2_MIN_TIME_COST:
        problems.append(
            f"ARGON2_TIME_COST={policy.argon2_time_cost} is below OWASP's minimum of "
            f"{ARGON2_MIN_TIME_COST}; leave it unset for the default 3"
        )
    return problems
