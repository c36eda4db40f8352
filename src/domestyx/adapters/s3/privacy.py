"""Whether a bucket refuses strangers: an unsigned GET of an object that is known to exist."""

from __future__ import annotations

import httpx

REFUSED = frozenset({401, 403})


def anonymous_status(url: str, *, timeout_s: float) -> int | str:
    """The status of an unsigned GET, or the failure's class name when nothing answered."""
    try:
        # Redirects are not followed: a redirect to a public copy would still be a leak to report.
        response = httpx.get(url, timeout=timeout_s, follow_redirects=False)
    except httpx.HTTPError as exc:
        return type(exc).__name__
    return response.status_code


def api_refuses(url: str, *, timeout_s: float) -> tuple[bool, str]:
    """The S3 API must answer 401/403; a 404 on an existing key still means strangers may list."""
    status = anonymous_status(url, timeout_s=timeout_s)
    return status in REFUSED, f"anonymous GET via the S3 API: {status}"


def public_domain_refuses(url: str, *, timeout_s: float) -> tuple[bool, str]:
    """A public domain (r2.dev, custom) must not serve the object; silence proves nothing."""
    status = anonymous_status(url, timeout_s=timeout_s)
    refused = isinstance(status, int) and status >= 400
    return refused, f"anonymous GET via the public domain: {status}"
