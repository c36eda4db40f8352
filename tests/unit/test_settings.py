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
from domestyx.entrypoints.local_state import with_local_state
from domestyx.entrypoints.settings import REQUIRED_IN_PRODUCTION, Settings, SettingsError
from tests.support.production_env import CA_PEM, GOOD_PRODUCTION, JWT_KEY, SECRET
from tests.support.tls import Authority


def test_embedded_defaults_need_no_environment_and_reading_writes_nothing(tmp_path: Path) -> None:
    settings = Settings.from_env({"DOMESTYX_VAR_DIR": str(tmp_path), "DATABASE_CA_PEM": CA_PEM})
    assert settings.environment == "development"
    assert settings.database.url == f"sqlite:///{tmp_path}/domestyx.db"
    assert settings.redis.url is None and settings.storage.bucket_name is None
    assert settings.keys.secret_key == "" and settings.database.ca_file is None
    assert list(tmp_path.iterdir()) == []


def test_the_composition_root_keeps_embedded_keys_across_restarts(tmp_path: Path) -> None:
    first = with_local_state(Settings.from_env({"DOMESTYX_VAR_DIR": str(tmp_path)}))
    second = with_local_state(Settings.from_env({"DOMESTYX_VAR_DIR": str(tmp_path)}))
    assert len(first.keys.secret_key) >= 32
    assert first.keys.secret_key != first.keys.jwt_signing_key
    assert first.keys == second.keys
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0


def test_a_ca_given_as_pem_text_becomes_a_file_where_the_engine_needs_it(tmp_path: Path) -> None:
    env = {**GOOD_PRODUCTION, "DOMESTYX_VAR_DIR": str(tmp_path)}
    settings = with_local_state(Settings.from_env(env))
    assert settings.database.ca_file == str(tmp_path / "database-ca.pem")
    assert Path(settings.database.ca_file).read_text().splitlines()[1] == "MIIB"
    assert settings.keys.secret_key == SECRET  # production keys are never generated


def test_each_default_is_declared_once_on_its_group() -> None:
    settings = Settings.from_env({"PORT": "10000", "WORKER_THREADS": "7", "LOG_LEVEL": "debug"})
    assert settings.http.listen_port == 10000 and settings.worker.threads == 7
    assert settings.http.base_url == "http://127.0.0.1:10000"
    assert settings.observability.log_level == "DEBUG"
    assert settings.observability.log_format == "text"
    assert Settings.from_env(GOOD_PRODUCTION).observability.log_format == "json"


def test_complete_production_environment_is_accepted() -> None:
    settings = Settings.from_env(GOOD_PRODUCTION)
    assert settings.is_production
    assert settings.policy.sms_allowed_prefixes == ("+44", "+254")
    assert dict(settings.observability.heartbeat_urls)["worker"].endswith("/w")


def test_production_lists_every_missing_variable_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"DOMESTYX_ENV": "production"})
    message = str(caught.value)
    for name in REQUIRED_IN_PRODUCTION:
        assert name in message


def test_secrets_stay_out_of_repr() -> None:
    text = repr(Settings.from_env(GOOD_PRODUCTION))
    for secret in (SECRET, JWT_KEY, "re_123", "0x4AAAAAAA-secret", "t" * 32, "avnadmin:pw"):
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
    assert result.returncode == 2
    assert elapsed < 2.0, f"took {elapsed:.2f}s"
    for name in REQUIRED_IN_PRODUCTION:
        assert name in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("value", ["prod", "staging", "production2", "dev", "prod uction"])
def test_an_unknown_domestyx_env_is_refused_in_every_mode(value: str, tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"DOMESTYX_ENV": value, "DOMESTYX_VAR_DIR": str(tmp_path)})
    assert caught.value.problems == [
        f"DOMESTYX_ENV must be one of development, test, production, got {value!r} "
        "(anything else would silently run the dev adapters)"
    ]


@pytest.mark.parametrize("value", ["development", "test", "", "TEST"])
def test_the_known_non_production_modes_start_on_embedded_defaults(value: str) -> None:
    assert not Settings.from_env({"DOMESTYX_ENV": value}).is_production


def test_the_production_spelling_is_case_insensitive_and_gets_every_check() -> None:
    with pytest.raises(SettingsError, match="DATABASE_URL is required in production"):
        Settings.from_env({"DOMESTYX_ENV": " PRODUCTION"})


def test_serve_with_domestyx_env_prod_exits_2_and_creates_nothing(tmp_path: Path) -> None:
    env = {"PATH": os.environ["PATH"], "DOMESTYX_ENV": "prod", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "domestyx.entrypoints.cli.main", "serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "DOMESTYX_ENV must be one of development, test, production, got 'prod'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "var").exists()  # no SQLite, no outbox, no keys


def test_a_pending_account_lifetime_under_an_hour_is_refused() -> None:
    with pytest.raises(SettingsError, match="PENDING_ACCOUNT_TTL_HOURS must be at least 1"):
        Settings.from_env({"PENDING_ACCOUNT_TTL_HOURS": "0"})
    assert Settings.from_env({}).policy.pending_account_ttl_hours == 72
