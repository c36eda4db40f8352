"""The embedded default's own pages over HTTP: the Turnstile stand-in, the config that names
it, the page CSP that allows exactly what is loaded, and the self-refreshing dev outbox."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import attrs
import pytest
from litestar.testing import TestClient

from domestyx.entrypoints.http.app import create_app
from domestyx.entrypoints.http.dev_pages import OUTBOX_CSP, outbox_page
from domestyx.entrypoints.http.routes.web import page_csp
from domestyx.entrypoints.http.turnstile_script import (
    CLOUDFLARE_SCRIPT,
    STAND_IN_SCRIPT,
    TEST_SITE_KEYS,
    turnstile_script_url,
    uses_stand_in,
)
from domestyx.entrypoints.settings import Settings
from tests.support.app import (
    DUMMY_TOKEN,
    PASSWORD,
    build_services,
    embedded_settings,
    http_client,
    wait_for_outbox,
)
from tests.support.production_env import GOOD_PRODUCTION

CLOUDFLARE = "https://challenges.cloudflare.com"


def _csp(header: str) -> dict[str, list[str]]:
    parts = (d.strip().split() for d in header.split(";") if d.strip())
    return {name: values for name, *values in parts}


@pytest.fixture
def services(tmp_path: Path) -> Any:
    return build_services(embedded_settings(tmp_path))


def test_embedded_default_loads_the_app_served_stand_in_and_the_csp_allows_only_self(
    services: Any,
) -> None:
    with http_client(services) as client:
        config = client.get("/api/v1/config").json()
        script = client.get(config["turnstile_script_url"])
        page = client.get("/")
    assert config["turnstile_site_key"] == "1x00000000000000000000AA"
    assert config["turnstile_script_url"] == STAND_IN_SCRIPT
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert script.headers["x-content-type-options"] == "nosniff"
    for key in TEST_SITE_KEYS:  # every documented dummy key has its behaviour
        assert key in script.text
    assert DUMMY_TOKEN in script.text and "window.turnstile" in script.text
    csp = _csp(page.headers["content-security-policy"])
    assert csp["script-src"] == ["'self'"]
    assert csp["frame-src"] == ["'none'"]
    assert "cloudflare" not in page.headers["content-security-policy"]


def test_a_real_site_key_loads_cloudflares_script_and_the_csp_allows_exactly_it(
    tmp_path: Path,
) -> None:
    services = build_services(embedded_settings(tmp_path, TURNSTILE_SITE_KEY="0x4AAAAAAAreal"))
    with http_client(services) as client:
        config = client.get("/api/v1/config").json()
        page = client.get("/")
    assert config["turnstile_script_url"] == CLOUDFLARE_SCRIPT
    csp = _csp(page.headers["content-security-policy"])
    assert csp["script-src"] == ["'self'", CLOUDFLARE]
    assert csp["frame-src"] == [CLOUDFLARE]


def test_an_explicit_script_url_wins_and_production_never_gets_the_stand_in(
    tmp_path: Path,
) -> None:
    url = "https://turnstile.example.net/v0/api.js?render=explicit"
    explicit = embedded_settings(tmp_path, TURNSTILE_SCRIPT_URL=url)
    assert turnstile_script_url(explicit) == url
    assert _csp(page_csp(explicit))["script-src"] == ["'self'", "https://turnstile.example.net"]
    # Even with a test site key, production loads Cloudflare's script (and CSP allows it).
    test_key = {"TURNSTILE_SITE_KEY": "1x00000000000000000000AA"}
    production = Settings.from_env({**GOOD_PRODUCTION, **test_key})
    assert production.is_production and not uses_stand_in(production)
    assert turnstile_script_url(production) == CLOUDFLARE_SCRIPT
    assert _csp(page_csp(production))["frame-src"] == [CLOUDFLARE]


def test_config_names_the_upload_cap_and_the_dev_outbox(tmp_path: Path) -> None:
    services = build_services(embedded_settings(tmp_path, MAX_UPLOAD_BYTES="123456"))
    with http_client(services) as client:
        config = client.get("/api/v1/config").json()
        schema = client.get("/schema/openapi.json").json()
    assert config["max_upload_bytes"] == 123456
    assert config["dev_outbox_url"] == "/dev/outbox"
    out = schema["components"]["schemas"]["ConfigOut"]
    assert "max_upload_bytes" in out["required"]
    assert out["properties"]["max_upload_bytes"]["description"]
    assert out["examples"][0]["max_upload_bytes"] == 10485760


def _register(client: Any, email: str, phone: str) -> None:
    body = {"email": email, "phone": phone, "password": PASSWORD, "role": "worker"}
    response = client.post("/api/v1/auth/register", json={**body, "turnstile_token": DUMMY_TOKEN})
    assert response.status_code == 202, response.text


def test_outbox_page_lists_newest_first_with_the_code_and_runs_no_inline_script(
    services: Any,
) -> None:
    with http_client(services) as client:
        _register(client, "old@example.com", "+447700900501")
        wait_for_outbox(services, "old@example.com")
        _register(client, "new@example.com", "+447700900502")
        wait_for_outbox(services, "new@example.com")
        entries = client.get("/dev/outbox", headers={"accept": "application/json"}).json()
        page = client.get("/dev/outbox", headers={"accept": "text/html"})
        assets = {
            src: client.get(src)
            for src in re.findall(r'(?:src|href)="(/dev/assets/[^"]+)"', page.text)
        }
    assert [e["to"] for e in entries[:2]] == ["new@example.com", "old@example.com"]
    assert re.fullmatch(r"\d{6}", entries[0]["code"]) and entries[0]["code"] in entries[0]["body"]
    assert page.headers["content-security-policy"] == OUTBOX_CSP
    assert "'unsafe-inline'" not in OUTBOX_CSP
    assert re.findall(r"<script(?![^>]*\bsrc=)", page.text) == []  # every script is a file
    assert page.text.index("new@example.com") < page.text.index("old@example.com")
    assert f'<code class="code">{entries[0]["code"]}</code>' in page.text
    assert 'data-copy="' + entries[0]["code"] + '"' in page.text
    assert sorted(assets) == ["/dev/assets/outbox.css", "/dev/assets/outbox.js"]
    assert all(r.status_code == 200 for r in assets.values())
    assert "setInterval(refresh" in assets["/dev/assets/outbox.js"].text


def test_outbox_page_escapes_what_it_shows() -> None:
    entry = {"channel": "email", "to": "<img src=x onerror=1>", "subject": "<b>hi</b>",
             "body": "</pre><script>alert(1)</script>", "created_at": "2026-12-02T01:00:00+00:00",
             "code": None}  # fmt: skip
    page = outbox_page([entry])
    assert "<img" not in page and "<b>" not in page and "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "01:00:00 UTC" in page


def test_production_serves_neither_the_stand_in_nor_the_outbox(services: Any) -> None:
    production = Settings.from_env(GOOD_PRODUCTION)
    app = create_app(attrs.evolve(services, settings=production), embedded_worker=False)
    with TestClient(app=app, base_url="https://api.domestyx.com") as client:
        assert client.get("/health/live").status_code == 200  # the app does answer
        assert client.get(STAND_IN_SCRIPT).status_code == 404
        assert client.get("/dev/assets/outbox.js").status_code == 404
        assert client.get("/dev/outbox").status_code == 404
        assert client.get("/api/v1/config").json()["turnstile_script_url"] == CLOUDFLARE_SCRIPT


@pytest.mark.parametrize(
    ("secret", "passes"),
    [
        ("1x0000000000000000000000000000000AA", True),  # always passes
        ("2x0000000000000000000000000000000AA", False),  # always fails
        ("3x0000000000000000000000000000000AA", False),  # "token already spent"
    ],
)
def test_the_stand_ins_token_meets_each_test_secret_as_cloudflare_documents(
    tmp_path: Path, secret: str, passes: bool
) -> None:
    services = build_services(embedded_settings(tmp_path, TURNSTILE_SECRET_KEY=secret))
    body = {"email": "kit@example.com", "phone": "+447700900504", "password": PASSWORD}
    with http_client(services) as client:
        answer = client.post(
            "/api/v1/auth/register",
            json={**body, "role": "worker", "turnstile_token": DUMMY_TOKEN},
        )
    assert answer.status_code == (202 if passes else 400), answer.text
    if not passes:
        assert answer.json()["type"].endswith("/captcha-failed")
