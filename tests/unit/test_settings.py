"""Settings: read once from the environment; production refuses to start misconfigured."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from domestyx.adapters.sql.engine import normalize_url
from domestyx.adapters.system.signing_keys import generate_pem
from domestyx.entrypoints.settings import REQUIRED_IN_PRODUCTION, Settings, SettingsError
from tests.support.tls import Authority

GOOD_PRODUCTION = {
    "DOMESTYX_ENV": "production",
    "DATABASE_URL": "mysql://avnadmin:pw@db.aivencloud.com:12345/defaultdb?ssl-mode=REQUIRED",
    "REDIS_URL": "rediss://default:pw@redis.example.com:6380",
    "RESEND_API_KEY": "re_123",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "t" * 32,
    "TWILIO_FROM_NUMBER": "+15005550006",
    "TURNSTILE_SITE_KEY": "0x4AAAAAAA",
    "TURNSTILE_SECRET_KEY": "0x4AAAAAAA-secret",
    "TURNSTILE_EXPECTED_HOSTNAMES": "app.domestyx.com",
    "STORAGE_BUCKET_NAME": "domestyx-documents",
    "STORAGE_ACCESS_KEY": "ak",
    "STORAGE_SECRET_KEY": "sk",
    "STORAGE_REGION": "auto",
    "STORAGE_ENDPOINT_URL": "https://acc.r2.cloudflarestorage.com",
    "SENTRY_DSN_BACKEND": "https://pub@o1.ingest.sentry.io/1",
    "SENTRY_DSN_FRONTEND": "https://pub@o1.ingest.sentry.io/2",
    "ALLOWED_HOSTS": "api.domestyx.com",
    "CORS_ALLOWED_ORIGINS": "https://app.domestyx.com",
    "SECRET_KEY": "s" * 48,
    "JWT_SIGNING_KEY": generate_pem(),
    "EMAIL_FROM": "DomestyX <no-reply@domestyx.com>",
    "PUBLIC_BASE_URL": "https://api.domestyx.com",
    "SMS_ALLOWED_PREFIXES": "+44,+254",
    "TRUSTED_PROXIES": "10.0.0.0/8",
    "RESEND_WEBHOOK_SECRET": "whsec_abc",
    "HEARTBEAT_URL_WORKER": "https://uptime.betterstack.com/api/v1/heartbeat/w",
    "HEARTBEAT_URL_PURGE": "https://uptime.betterstack.com/api/v1/heartbeat/p",
    "HEARTBEAT_URL_BACKUP": "https://uptime.betterstack.com/api/v1/heartbeat/b",
}


def test_embedded_defaults_need_no_environment(tmp_path: Path) -> None:
    settings = Settings.from_env({"DOMESTYX_VAR_DIR": str(tmp_path)})
    assert settings.environment == "development"
    assert settings.database_url.startswith("sqlite:///")
    assert settings.redis_url is None and not settings.uses_s3
    assert len(settings.secret_key) >= 32 and settings.secret_key != settings.jwt_signing_key


def test_embedded_keys_survive_a_restart(tmp_path: Path) -> None:
    first = Settings.from_env({"DOMESTYX_VAR_DIR": str(tmp_path)})
    second = Settings.from_env({"DOMESTYX_VAR_DIR": str(tmp_path)})
    assert first.secret_key == second.secret_key


def test_complete_production_environment_is_accepted() -> None:
    settings = Settings.from_env(GOOD_PRODUCTION)
    assert settings.is_production
    assert settings.sms_allowed_prefixes == ("+44", "+254")
    assert dict(settings.heartbeat_urls)["worker"].endswith("/w")


def test_production_lists_every_missing_variable_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"DOMESTYX_ENV": "production"})
    message = str(caught.value)
    for name in REQUIRED_IN_PRODUCTION:
        assert name in message


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("DATABASE_URL", "sqlite:///x.db", "must be a MySQL URL"),
        ("SECRET_KEY", "short", "at least 32 bytes"),
        ("TURNSTILE_SECRET_KEY", "1x0000000000000000000000000000000AA", "test secret"),
        ("PUBLIC_BASE_URL", "http://api.domestyx.com", "https://"),
        ("SMS_ALLOWED_PREFIXES", "44", "not an E.164 prefix"),
        ("TRUSTED_PROXIES", "not-a-network", "not an IP network"),
        ("RATE_LIMITS", "otp_send.ip=lots", "RATE_LIMITS"),
        ("ALLOWED_HOSTS", "*", "real host names"),
    ],
)
def test_production_rejects_invalid_values(name: str, value: str, complaint: str) -> None:
    with pytest.raises(SettingsError, match=complaint):
        Settings.from_env({**GOOD_PRODUCTION, name: value})


def test_secrets_stay_out_of_repr() -> None:
    text = repr(Settings.from_env(GOOD_PRODUCTION))
    for secret in ("s" * 48, "j" * 48, "re_123", "0x4AAAAAAA-secret", "t" * 32):
        assert secret not in text


def test_aiven_uri_becomes_a_tls_pymysql_url(tmp_path: Path) -> None:
    ca = Authority.create("Aiven test CA").write(tmp_path / "ca.pem")
    url, args = normalize_url(GOOD_PRODUCTION["DATABASE_URL"], ca_file=str(ca))
    assert url.drivername == "mysql+pymysql"
    assert "ssl-mode" not in url.query and url.query["charset"] == "utf8mb4"
    assert args["ssl"].check_hostname and args["ssl"].verify_mode == ssl.CERT_REQUIRED


def test_production_serve_with_nothing_set_exits_fast_naming_everything(tmp_path: Path) -> None:
    env = {"PATH": os.environ["PATH"], "DOMESTYX_ENV": "production", "HOME": str(tmp_path)}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "domestyx.entrypoints.cli.main", "serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert result.returncode != 0
    assert elapsed < 2.0, f"took {elapsed:.2f}s"
    for name in REQUIRED_IN_PRODUCTION:
        assert name in result.stderr
    assert "Traceback" not in result.stderr
