"""`domestyx serve` names its URLs and where state lives, outside production only."""

from __future__ import annotations

from pathlib import Path

from domestyx.entrypoints.cli.banner import startup_banner
from domestyx.entrypoints.settings import Settings
from tests.support.app import embedded_settings
from tests.support.production_env import GOOD_PRODUCTION


def test_the_embedded_default_names_every_url_and_where_state_lives(tmp_path: Path) -> None:
    banner = startup_banner(
        embedded_settings(tmp_path, DOMESTYX_ENV="development"), "127.0.0.1", 8123
    )
    assert banner is not None
    base = "http://127.0.0.1:8123"
    for url in (f"{base}/dev/outbox", f"{base}/schema", f"{base}/health/ready"):
        assert url in banner
    assert f"SQLite {(tmp_path / 'domestyx.db').resolve()}" in banner
    assert str((tmp_path / "documents").resolve()) in banner
    assert "in-process (no REDIS_URL)" in banner
    assert "100x production (development); `domestyx dev reset-limits`" in banner


def test_every_interface_is_shown_as_a_url_a_browser_can_open(tmp_path: Path) -> None:
    banner = startup_banner(embedded_settings(tmp_path), "0.0.0.0", 10000)  # noqa: S104 - a value under test
    assert banner is not None and "http://127.0.0.1:10000/schema" in banner
    assert "rate limits  production defaults" in banner  # DOMESTYX_ENV=test


def test_a_real_database_is_shown_without_its_password(tmp_path: Path) -> None:
    settings = embedded_settings(
        tmp_path,
        DATABASE_URL="mysql://dx:hunter2secret@127.0.0.1:9/app",
        REDIS_URL="redis://127.0.0.1:9/0",
    )
    banner = startup_banner(settings, "127.0.0.1", 8000)
    assert banner is not None
    assert "hunter2secret" not in banner and "127.0.0.1:9/app" in banner
    assert "Redis broker: run `domestyx worker`" in banner


def test_production_prints_no_banner(tmp_path: Path) -> None:
    production = Settings.from_env({**GOOD_PRODUCTION, "DOMESTYX_VAR_DIR": str(tmp_path)})
    assert startup_banner(production, "0.0.0.0", 10000) is None  # noqa: S104
