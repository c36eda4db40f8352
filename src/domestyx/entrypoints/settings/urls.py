"""URL and network rules shared by the production checks."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# Ranges a platform's own proxies live in; anything wider lets the internet forge client IPs.
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "fc00::/7",
        "::1/128",
    )
)
# Whitespace, control characters and backslashes parse differently in different URL parsers.
_AMBIGUOUS = re.compile(r"[\x00-\x20\x7f\\]")


def host_of(url: str) -> str | None:
    """The host a URL names, or None when it is ambiguous or missing."""
    if _AMBIGUOUS.search(url):
        return None
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def is_loopback(url: str) -> bool:
    """Only a literal loopback address counts: a name could resolve anywhere."""
    host = host_of(url)
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def scheme_of(url: str) -> str:
    """Lower-case scheme ('' when none)."""
    return urlsplit(url).scheme.lower() if not _AMBIGUOUS.search(url) else ""


def https_problem(name: str, url: str, *, loopback_http: bool) -> str | None:
    """https:// with a host; `loopback_http` also allows http:// to 127.0.0.0/8 or ::1 (tests)."""
    scheme, host = scheme_of(url), host_of(url)
    if scheme == "https" and host:
        return None
    if loopback_http and scheme == "http" and is_loopback(url):
        return None
    if loopback_http:
        return (
            f"{name} must be an https:// URL (http:// only to a loopback address such as 127.0.0.1)"
        )
    return f"{name} must be an https:// URL"


def _within(network: Network, outer: Network) -> bool:
    """subnet_of across versions (the standard library raises on a v4/v6 mix)."""
    if isinstance(network, ipaddress.IPv4Network) and isinstance(outer, ipaddress.IPv4Network):
        return network.subnet_of(outer)
    if isinstance(network, ipaddress.IPv6Network) and isinstance(outer, ipaddress.IPv6Network):
        return network.subnet_of(outer)
    return False


def proxy_problem(cidr: str, *, allow_public: bool) -> str | None:
    """A trusted proxy network must sit inside a private range unless public ones are allowed."""
    network = ipaddress.ip_network(cidr, strict=False)
    if network.prefixlen == 0:
        return f"TRUSTED_PROXIES: {cidr} trusts every client's X-Forwarded-For (per-IP limits off)"
    if allow_public or any(_within(network, private) for private in PRIVATE_NETWORKS):
        return None
    ranges = ", ".join(str(p) for p in PRIVATE_NETWORKS)
    return (
        f"TRUSTED_PROXIES: {cidr} is not inside a private range ({ranges}), so anyone there "
        "could forge client IPs; set TRUSTED_PROXIES_ALLOW_PUBLIC=1 if a public proxy such as "
        "Cloudflare really fronts the API"
    )
