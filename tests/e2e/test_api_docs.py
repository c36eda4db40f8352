"""Issue 13: /schema is self-hosted: only same-origin assets, under a strict CSP, and it works."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.browser_support import CHROMIUM, CHROMIUM_ARGS
from tests.support.app import build_services, embedded_settings, http_client
from tests.support.serve import app_server
from tests.support.services import unavailable

pytestmark = pytest.mark.e2e


class _References(HTMLParser):
    """Every URL the page makes the browser load."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        for key in ("src", "href"):
            if named.get(key):
                self.urls.append(str(named[key]))
        self._in_script = tag == "script"

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    services = build_services(embedded_settings(Path(tmp_path_factory.mktemp("docs"))))
    with http_client(services) as c:
        yield c


def test_the_page_references_only_same_origin_assets(client: Any) -> None:
    page = client.get("/schema")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    parsed = _References()
    parsed.feed(page.text)
    assert len(parsed.urls) >= 3 and parsed.inline_scripts == 0
    for url in parsed.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc and url.startswith("/"), url
        asset = client.get(url)
        assert asset.status_code == 200 and asset.content, url


def test_the_page_carries_a_csp_that_allows_no_other_origin(client: Any) -> None:
    csp = client.get("/schema").headers["content-security-policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ")}
    assert directives["default-src"] == ["'none'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["connect-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    for values in directives.values():
        assert not any(v.startswith(("http", "*")) or v == "'unsafe-eval'" for v in values)


def test_the_spec_the_page_names_is_served(client: Any) -> None:
    spec = client.get("/schema/openapi.json")
    assert spec.status_code == 200 and spec.json()["info"]["title"] == "DomestyX trust core"
    assert "/schema/assets" not in spec.text  # the assets are no API operation


def test_the_page_renders_in_a_browser_without_leaving_the_origin(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        unavailable("chromium", f"{CHROMIUM} is missing; run .ci/browser.sh (Debian's package)")
    from playwright.sync_api import sync_playwright

    with app_server(tmp_path, {}) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        requested: list[str] = []
        console: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.on("console", lambda message: console.append(message.text))
        page.goto(base + "/schema")
        page.wait_for_selector(".opblock", timeout=20_000)
        assert page.locator(".opblock").count() >= 10
        browser.close()
    assert requested and all(url.startswith(base + "/") for url in requested), requested
    assert not [line for line in console if "Content Security Policy" in line], console
