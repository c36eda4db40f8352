"""A stray `*` in ALLOWED_HOSTS no longer switches the Host check off (Litestar would)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.app import build_services, embedded_settings, http_client


@pytest.mark.parametrize("hosts", ["*, api.domestyx.test", "api.domestyx.test,*"])
def test_names_beside_a_star_are_still_enforced(tmp_path: Path, hosts: str) -> None:
    services = build_services(embedded_settings(tmp_path, ALLOWED_HOSTS=hosts))
    with http_client(services) as client:
        assert client.get("/api/v1/config", headers={"host": "evil.example"}).status_code == 400
        assert (
            client.get("/api/v1/config", headers={"host": "api.domestyx.test"}).status_code == 200
        )


def test_the_embedded_default_star_alone_accepts_any_host(tmp_path: Path) -> None:
    with http_client(build_services(embedded_settings(tmp_path))) as client:
        assert client.get("/api/v1/config", headers={"host": "anything.example"}).status_code == 200
