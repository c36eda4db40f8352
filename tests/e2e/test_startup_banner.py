"""A real `domestyx serve` prints its banner, and every URL in it answers."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.support.serve import app_server

pytestmark = pytest.mark.e2e


def test_the_banner_of_a_real_server_names_urls_that_answer(tmp_path: Path) -> None:
    with app_server(tmp_path, {"DOMESTYX_ENV": "development"}) as base:
        log = (tmp_path / "serve.log").read_text()
        assert f"(development) listening on {base}" in log
        urls = set(re.findall(rf"{re.escape(base)}/[\w/.-]*", log))
        assert {f"{base}/dev/outbox", f"{base}/schema", f"{base}/health/ready"} <= urls
        for url in sorted(urls):
            assert httpx.get(url, timeout=5).status_code == 200, url
    assert f"SQLite {(tmp_path / 'domestyx.db').resolve()}" in log
    assert "Traceback" not in log
