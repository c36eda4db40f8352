"""The client address: believed from X-Forwarded-For only through our own proxies; v6 per /64."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from domestyx.domain.model.abuse import ip_bucket
from domestyx.entrypoints.http.client_ip import Network, client_ip, parse_networks
from domestyx.entrypoints.http.middleware import EdgeMiddleware
from domestyx.entrypoints.settings import Settings
from tests.support.app import DUMMY_TOKEN, build_services, embedded_settings, rate_limits
from tests.support.live_server import LOOPBACK_PROXY, ForwardingClient, live_server

# https://www.cloudflare.com/ips-v4 and /ips-v6, as published.
CLOUDFLARE = (
    "173.245.48.0/20,103.21.244.0/22,103.22.200.0/22,103.31.4.0/22,141.101.64.0/18,"
    "108.162.192.0/18,190.93.240.0/20,188.114.96.0/20,197.234.240.0/22,198.41.128.0/17,"
    "162.158.0.0/15,104.16.0.0/13,104.24.0.0/14,172.64.0.0/13,131.0.72.0/22,"
    "2400:cb00::/32,2606:4700::/32,2803:f800::/32,2405:b500::/32,2405:8100::/32,"
    "2a06:98c0::/29,2c0f:f248::/32"
)
RENDER = "10.0.0.0/8"
RENDER_LB, CF_EDGE, CF_EDGE_V6 = "10.201.3.4", "172.70.34.12", "2606:4700:10::6816:1"
CLIENT, SPOOF = "198.51.100.23", "6.6.6.6"


def trusted(value: str) -> tuple[Network, ...]:
    """Networks as the service reads them from TRUSTED_PROXIES."""
    return parse_networks(Settings.from_env({"TRUSTED_PROXIES": value}).http.trusted_proxies)


@pytest.mark.parametrize("xff", [None, "", SPOOF, f"{SPOOF}, {CLIENT}", "127.0.0.1", "10.0.0.1"])
def test_an_untrusted_peer_is_the_client_whatever_xff_claims(xff: str | None) -> None:
    assert client_ip("203.0.113.77", xff, trusted(RENDER)) == "203.0.113.77"


def test_without_trusted_proxies_xff_is_ignored_even_from_loopback() -> None:
    assert client_ip("127.0.0.1", SPOOF, ()) == "127.0.0.1"


def test_a_trusted_peer_gives_the_right_most_untrusted_hop() -> None:
    networks = trusted(f"{RENDER},192.0.2.0/24")
    assert client_ip(RENDER_LB, f"{SPOOF}, {CLIENT}, 192.0.2.9", networks) == CLIENT


def test_render_the_load_balancer_appends_the_real_client() -> None:
    networks = trusted(RENDER)
    assert client_ip(RENDER_LB, CLIENT, networks) == CLIENT
    assert client_ip(RENDER_LB, f"{SPOOF}, {CLIENT}", networks) == CLIENT  # prepended lie


def test_cloudflare_in_front_of_render_skips_the_edge_hop() -> None:
    networks = trusted(f"{CLOUDFLARE},{RENDER}")
    assert client_ip(RENDER_LB, f"{CLIENT}, {CF_EDGE}", networks) == CLIENT
    assert client_ip(RENDER_LB, f"{SPOOF}, {CLIENT}, {CF_EDGE}", networks) == CLIENT
    assert client_ip(RENDER_LB, f"2001:db8:7::5, {CF_EDGE_V6}", networks) == "2001:db8:7::5"


def test_cloudflare_setup_bypassed_straight_to_render_still_finds_the_caller() -> None:
    networks = trusted(f"{CLOUDFLARE},{RENDER}")
    # The caller pretends to come through Cloudflare; Render appends its real address.
    assert client_ip(RENDER_LB, f"{CLIENT}, {CF_EDGE}, 203.0.113.50", networks) == "203.0.113.50"


def test_only_trusted_hops_means_an_internal_caller() -> None:
    assert client_ip(RENDER_LB, "10.9.9.9, 10.1.1.1", trusted(RENDER)) == "10.9.9.9"


@pytest.mark.parametrize(
    "xff",
    ["garbage", "unknown", " , ,", f"{CLIENT}, not-an-ip", "203.0.113.9:443", "1.2.3.4.5"],
)
def test_malformed_xff_falls_back_to_the_peer(xff: str) -> None:
    assert client_ip(RENDER_LB, xff, trusted(RENDER)) == RENDER_LB


def test_junk_left_of_the_real_client_is_harmless() -> None:
    assert client_ip(RENDER_LB, f"garbage, {CLIENT}", trusted(RENDER)) == CLIENT


def test_ipv6_hops_are_normalised() -> None:
    networks = trusted(RENDER)
    assert client_ip(RENDER_LB, "[2001:DB8:0:0::1]", networks) == "2001:db8::1"
    mapped = client_ip(RENDER_LB, "::ffff:203.0.113.9", networks)
    assert ip_bucket(mapped) == "203.0.113.9"


def test_ipv4_counts_per_address_and_ipv6_per_64() -> None:
    assert ip_bucket("203.0.113.9") == "203.0.113.9"
    assert ip_bucket("203.0.113.9") != ip_bucket("203.0.113.10")
    assert ip_bucket("2001:db8:1:2:aaaa::1") == ip_bucket("2001:db8:1:2:ffff:1:2:3")
    assert ip_bucket("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert ip_bucket("2001:db8:1:3::1") != ip_bucket("2001:db8:1:2::1")
    assert ip_bucket("testclient") == "raw:testclient"


class _Recorder:
    def __init__(self) -> None:
        self.seen: str | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.seen = scope["state"]["client_ip"]


@pytest.mark.parametrize(
    ("peer", "expected"), [(RENDER_LB, CLIENT), ("203.0.113.77", "203.0.113.77")]
)
def test_the_edge_middleware_reads_the_socket_peer(peer: str, expected: str) -> None:
    import asyncio

    inner = _Recorder()
    edge = EdgeMiddleware(inner, trusted=trusted(RENDER), hsts=False)
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/health/live",
        "client": (peer, 40000),
        "headers": [(b"x-forwarded-for", f"{SPOOF}, {CLIENT}".encode())],
    }
    asyncio.run(edge(scope, None, None))  # type: ignore[arg-type]
    assert inner.seen == expected


# Every IP-limited endpoint, squeezed to 2 calls, and a body that passes its other checks.
ENDPOINTS: dict[str, tuple[str, str]] = {
    "register": ("/api/v1/auth/register", "2/1h"),
    "login": ("/api/v1/auth/login", "2/10m"),
    "otp_send": ("/api/v1/auth/otp/send", "2/1h"),
    "otp_verify": ("/api/v1/auth/otp/verify", "2/10m"),
    "refresh": ("/api/v1/auth/refresh", "2/10m"),
}


def _body(endpoint: str, n: int) -> dict[str, Any]:
    email = f"p{n}@example.com"
    return {
        "register": {
            "email": email,
            "phone": f"+4477009{n:05d}",
            "password": "correct horse battery staple",
            "role": "worker",
            "turnstile_token": DUMMY_TOKEN,
        },
        "login": {"email": email, "password": "wrong password", "turnstile_token": DUMMY_TOKEN},
        "otp_send": {
            "channel": "email",
            "destination": email,
            "purpose": "verify_email",
            "turnstile_token": DUMMY_TOKEN,
        },
        "otp_verify": {
            "channel": "email",
            "destination": email,
            "purpose": "verify_email",
            "code": "123456",
        },
        "refresh": {"refresh_token": f"rt_not-a-token-{n}"},
    }[endpoint]


@pytest.fixture
def behind_loopback(tmp_path: Path) -> Iterator[ForwardingClient]:
    """The embedded app under uvicorn, trusting loopback as its proxy, limits squeezed."""
    limits = tuple((f"{name}.ip", spec) for name, (_, spec) in ENDPOINTS.items())
    settings = embedded_settings(
        tmp_path, TRUSTED_PROXIES=LOOPBACK_PROXY, RATE_LIMITS=rate_limits(limits)
    )
    with live_server(build_services(settings)) as client:
        yield client


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_ip_limit_counts_an_ipv6_64_as_one_client(
    behind_loopback: ForwardingClient, endpoint: str
) -> None:
    path = ENDPOINTS[endpoint][0]
    for n, ip in enumerate(["2001:db8:1:2::1", "2001:db8:1:2::2"]):
        assert behind_loopback.post(path, ip=ip, json=_body(endpoint, n)).status_code != 429
    sibling = behind_loopback.post(path, ip="2001:db8:1:2:ffff::9", json=_body(endpoint, 2))
    assert sibling.status_code == 429, sibling.text
    assert sibling.headers["RateLimit-Policy"].startswith(f"{endpoint}.ip.")
    other = behind_loopback.post(path, ip="2001:db8:1:3::1", json=_body(endpoint, 3))
    assert other.status_code != 429
