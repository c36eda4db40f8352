"""Production refuses weak settings: one problem per setting, naming the variable and the rule."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from domestyx.entrypoints.settings import Settings, SettingsError
from tests.support.production_env import GOOD_PRODUCTION

LOW_ENTROPY_15 = "abcdefghijklmno" * 3  # 45 bytes, 15 distinct
HIGH_ENTROPY_16 = "abcdefghijklmnop" * 2  # 32 bytes, 16 distinct


def problems_with(**changes: str | None) -> list[str]:
    """The problems of GOOD_PRODUCTION with some variables changed (None removes one)."""
    env = {**GOOD_PRODUCTION, **changes}
    env = {k: v for k, v in env.items() if v is not None}
    try:
        Settings.from_env(env)
    except SettingsError as exc:
        return exc.problems
    return []


REFUSED = [
    # (variable, value, the rule the message must state)
    ("CORS_ALLOWED_ORIGINS", "*", "exact https:// origin"),
    ("CORS_ALLOWED_ORIGINS", "https://app.domestyx.com,http://app.domestyx.com", "https://"),
    ("CORS_ALLOWED_ORIGINS", "https://*.domestyx.com", "no wildcard"),
    ("CORS_ALLOWED_ORIGINS", "https://app.domestyx.com/path", "no path"),
    ("ALLOWED_HOSTS", "*", "not *"),
    ("ALLOWED_HOSTS", "*, api.domestyx.com", "switches the Host check off"),
    ("TRUSTED_PROXIES", "0.0.0.0/0", "trusts every client"),
    ("TRUSTED_PROXIES", "::/0", "trusts every client"),
    ("TRUSTED_PROXIES", "10.0.0.0/8,8.8.8.0/24", "not inside a private range"),
    ("TRUSTED_PROXIES", "10.0.0.0/7", "not inside a private range"),
    ("TRUSTED_PROXIES", "::ffff:0.0.0.0/96", "not inside a private range"),
    ("REDIS_URL", "redis://default:pw@redis.example.com:6379", "rediss://"),
    ("REDIS_URL", "redis://localhost:6379", "rediss://"),
    ("REDIS_URL", "redis://evil.example\\@127.0.0.1:6379", "rediss://"),
    ("DATABASE_URL", "mysql://u:p@db.example.com:3306/x?ssl-mode=DISABLED", "without TLS"),
    ("DATABASE_URL", "mysql://u:p@db.example.com:3306/x?ssl-mode=PREFERRED", "without TLS"),
    ("DATABASE_URL", "sqlite:///x.db", "must be a MySQL URL"),
    ("SECRET_KEY", "short", "at least 32 bytes"),
    ("SECRET_KEY", "s" * 48, "low entropy"),
    ("SECRET_KEY", LOW_ENTROPY_15, "at least 16"),
    ("JWT_SIGNING_KEY", "j" * 48, "not an unencrypted private key PEM"),
    ("RESEND_API_URL", "http://api.resend.com", "https://"),
    ("TWILIO_API_BASE_URL", "http://api.twilio.com", "https://"),
    ("TURNSTILE_SITEVERIFY_URL", "http://challenges.cloudflare.com/x", "https://"),
    ("BETTERSTACK_API_URL", "http://uptime.betterstack.com/api/v2", "https://"),
    ("SENTRY_DSN_BACKEND", "http://pub@o1.ingest.sentry.io/1", "https://"),
    ("HEARTBEAT_URL_WORKER", "http://uptime.betterstack.com/api/v1/heartbeat/w", "https://"),
    ("HEARTBEAT_URL_RECONCILE", "http://uptime.betterstack.com/h/r", "https://"),
    # Loaded by browsers or public: no loopback exception.
    ("TURNSTILE_SCRIPT_URL", "http://127.0.0.1:9/api.js", "https://"),
    ("SENTRY_DSN_FRONTEND", "http://pub@127.0.0.1:9/2", "https://"),
    ("PUBLIC_BASE_URL", "http://127.0.0.1:8000", "https://"),
    ("STORAGE_ENDPOINT_URL", "http://127.0.0.1:9000", "https://"),
    ("TURNSTILE_SECRET_KEY", "1x0000000000000000000000000000000AA", "test secret"),
    ("RATE_LIMITS", "otp_send.ip=2001/1h", "ceiling of 100x"),
    ("RATE_LIMITS", "otp_send.ip=20/1s", "ceiling of 100x"),
    ("RATE_LIMITS", "otp_send.destination=1001/100d", "ceiling of 100x"),
    ("SMS_HOURLY_BUDGET", "100001", "ceiling of 100x"),
    ("SMS_PREFIX_HOURLY_CAP", "10001", "ceiling of 100x"),
    ("ARGON2_MEMORY_KIB", "8", "below OWASP's minimum of 19456"),
    ("ARGON2_MEMORY_KIB", "19455", "below OWASP's minimum of 19456"),
    ("ARGON2_TIME_COST", "1", "below OWASP's minimum of 2"),
    ("SMS_ALLOWED_PREFIXES", "44", "not an E.164 prefix"),
    ("TRUSTED_PROXIES", "not-a-network", "not an IP network"),
]


@pytest.mark.parametrize(("name", "value", "rule"), REFUSED)
def test_each_weak_setting_is_refused_naming_its_variable_and_rule(
    name: str, value: str, rule: str
) -> None:
    problems = problems_with(**{name: value})
    assert len(problems) == 1, problems
    assert problems[0].startswith(name) or f" {name}" in problems[0][:40], problems
    assert rule in problems[0], problems


def test_mysql_without_tls_is_refused_unless_on_loopback() -> None:
    (problem,) = problems_with(DATABASE_URL="mysql://u:p@db.example.com/x", DATABASE_CA_PEM=None)
    assert problem.startswith("DATABASE_URL: MySQL without TLS")
    assert "ssl-mode=REQUIRED" in problem
    assert problems_with(DATABASE_URL="mysql://root@127.0.0.1/x", DATABASE_CA_PEM=None) == []


def test_tls_without_a_ca_is_refused_naming_both_ca_variables() -> None:
    (problem,) = problems_with(DATABASE_CA_PEM=None)
    assert problem.startswith("DATABASE_CA_PEM (or DATABASE_CA_CERT)")
    assert "cannot verify the server" in problem


def test_every_problem_is_listed_in_one_message() -> None:
    problems = problems_with(
        CORS_ALLOWED_ORIGINS="*",
        REDIS_URL="redis://r.example.com",
        ARGON2_MEMORY_KIB="8",
        SECRET_KEY="x" * 40,
        RATE_LIMITS="logn.ip=1/1h",
    )
    variables = [p.split(maxsplit=1)[0].rstrip(":=") for p in problems]
    assert sorted(v.split("=")[0] for v in variables) == sorted(
        ["CORS_ALLOWED_ORIGINS", "REDIS_URL", "ARGON2_MEMORY_KIB", "SECRET_KEY", "RATE_LIMITS"]
    )


ACCEPTED = [
    ("TRUSTED_PROXIES", "10.0.0.0/8,172.16.0.0/12,192.168.1.0/24,100.64.0.0/10,fd00::/8"),
    ("TRUSTED_PROXIES", "127.0.0.1/32,::1"),
    ("REDIS_URL", "redis://127.0.0.1:6379/0"),
    ("REDIS_URL", "redis://[::1]:6379/0"),
    ("DATABASE_URL", "mysql://root@127.0.0.1:3306/x"),
    ("DATABASE_URL", "mysql://u:p@db.example.com/x?ssl-mode=VERIFY_IDENTITY"),
    ("DATABASE_URL", "mysql://u:p@db.example.com/x"),  # the CA alone turns verified TLS on
    ("SECRET_KEY", HIGH_ENTROPY_16),
    ("RESEND_API_URL", "http://127.0.0.1:8025"),
    ("TWILIO_API_BASE_URL", "http://[::1]:8026"),
    ("SENTRY_DSN_BACKEND", "http://pub@127.0.0.1:9000/1"),
    ("HEARTBEAT_URL_WORKER", "http://127.0.0.2:9/beat"),
    ("RATE_LIMITS", "otp_send.ip=2000/1h,login.ip=3000/10m,otp_send.destination=1000/1d"),
    ("SMS_HOURLY_BUDGET", "100000"),
    ("ARGON2_MEMORY_KIB", "19456"),
    ("ARGON2_TIME_COST", "2"),
    ("ALLOWED_HOSTS", "api.domestyx.com,*.api.domestyx.com"),
]


@pytest.mark.parametrize(("name", "value"), ACCEPTED)
def test_strong_settings_and_loopback_test_stubs_are_accepted(name: str, value: str) -> None:
    assert problems_with(**{name: value}) == []


def test_a_ca_file_path_satisfies_the_ca_rule() -> None:
    assert problems_with(DATABASE_CA_PEM=None, DATABASE_CA_CERT="/etc/ssl/aiven-ca.pem") == []
    in_url = "mysql://u:p@db.example.com/x?ssl-mode=REQUIRED&ssl_ca=/etc/ssl/aiven-ca.pem"
    assert problems_with(DATABASE_CA_PEM=None, DATABASE_URL=in_url) == []


def test_pymysql_tls_keys_in_the_url_also_need_a_ca() -> None:
    url = "mysql://u:p@db.example.com/x?ssl_check_hostname=true"
    (problem,) = problems_with(DATABASE_CA_PEM=None, DATABASE_URL=url)
    assert problem.startswith("DATABASE_CA_PEM (or DATABASE_CA_CERT)")


def test_public_proxies_need_the_explicit_opt_in_and_never_the_whole_internet() -> None:
    cloudflare = "173.245.48.0/20,2400:cb00::/32"
    assert problems_with(TRUSTED_PROXIES=cloudflare)
    assert problems_with(TRUSTED_PROXIES=cloudflare, TRUSTED_PROXIES_ALLOW_PUBLIC="1") == []
    (problem,) = problems_with(TRUSTED_PROXIES="0.0.0.0/0", TRUSTED_PROXIES_ALLOW_PUBLIC="1")
    assert "trusts every client" in problem
    (problem,) = problems_with(TRUSTED_PROXIES_ALLOW_PUBLIC="maybe")
    assert problem.startswith("TRUSTED_PROXIES_ALLOW_PUBLIC must be 1 or 0")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1.nip.io/",  # a name that merely starts like loopback
        "http://localhost:8025/",  # names resolve wherever DNS or /etc/hosts says
        "http://evil.example\\@127.0.0.1/",  # parsers disagree on backslashes
        "http://127.0.0.1:80@evil.example/",  # userinfo, the host is evil.example
        "http://evil.example#@127.0.0.1/",
        "http://evil.example?@127.0.0.1/",
        "http://2130706433/",  # 127.0.0.1 as an integer: not a literal we accept
        "http://[::ffff:127.0.0.1]/",  # IPv4-mapped: not ::1
        "http://127.0.0.1\t.evil.example/",
        "HTTP://0.0.0.0:8025/",
    ],
)
def test_the_loopback_exception_cannot_be_stretched_to_another_host(url: str) -> None:
    (problem,) = problems_with(RESEND_API_URL=url)
    assert problem.startswith("RESEND_API_URL must be an https:// URL")


def test_the_checks_are_production_only_except_typos() -> None:
    weak = {
        "CORS_ALLOWED_ORIGINS": "*",
        "REDIS_URL": "redis://r.example.com",
        "ARGON2_MEMORY_KIB": "8",
        "RATE_LIMITS": "otp_send.ip=100000/1h",
        "RESEND_API_URL": "http://stub.example",
    }
    for mode in ("development", "test"):
        assert Settings.from_env({**weak, "DOMESTYX_ENV": mode}).policy.argon2_memory_kib == 8


def test_the_benchmark_production_environment_passes_the_rules(tmp_path: Path) -> None:
    """bench/stack.py runs DOMESTYX_ENV=production on loopback stubs: the documented exceptions."""
    from bench.stack import production_env

    def stub(**attributes: str) -> SimpleNamespace:
        return SimpleNamespace(**attributes)

    loopback = "http://127.0.0.1:9"
    stubs = {
        "resend": stub(api_key="re_bench", url=loopback),
        "twilio": stub(url=loopback),
        "turnstile": stub(secret="0x4AAAAAAAbench-secret", siteverify_url=f"{loopback}/siteverify"),
        "betterstack": stub(origin=loopback),
        "sentry": stub(dsn="http://pub@127.0.0.1:9/1"),
    }
    env = production_env(
        tmp_path,
        db_url="mysql://root@127.0.0.1:3306/bench",
        s3=("https://127.0.0.1:9443", "bench"),
        ca_file=tmp_path / "ca.pem",
        stubs=stubs,
    )
    assert Settings.from_env(env).is_production
