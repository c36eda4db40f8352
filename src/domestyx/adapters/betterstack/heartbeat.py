"""Heartbeat over Better Stack heartbeat URLs: a failed ping is logged, never raised."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

import httpx

log = logging.getLogger(__name__)

MAX_DETAIL = 2000
_REDACTIONS = (
    (re.compile(r"(?i)(bearer|basic)\s+\S+"), r"\1 [redacted]"),
    (
        re.compile(
            r"(?i)((?:password|passwd|secret|token|api[_-]?key|authorization|signature|code|otp)"
            r"""["']?\s*[:=]\s*)\S+"""
        ),
        r"\1[redacted]",
    ),
    (re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(r"\+[1-9]\d{6,14}\b"), "[phone]"),
)


def clean_detail(detail: str) -> str:
    """What a job failure may tell the uptime monitor: no credentials, codes or contacts."""
    for pattern, replacement in _REDACTIONS:
        detail = pattern.sub(replacement, detail)
    return detail.strip()[:MAX_DETAIL]


class HttpHeartbeat:
    """Pings `urls[check]`; unknown checks and network failures only log a warning."""

    def __init__(self, urls: Mapping[str, str], *, timeout_s: float = 5) -> None:
        self._urls = dict(urls)
        self._client = httpx.Client(timeout=timeout_s, follow_redirects=False)

    def ping(self, check: str) -> None:
        """Report success: GET the heartbeat URL."""
        url = self._url(check)
        if url is not None:
            self._send(check, "GET", url, None)

    def fail(self, check: str, detail: str = "") -> None:
        """Report failure: POST `<url>/fail` with a scrubbed, trimmed detail as the body."""
        url = self._url(check)
        if url is not None:
            self._send(check, "POST", f"{url.rstrip('/')}/fail", clean_detail(detail).encode())

    def close(self) -> None:
        """Release the connection pool."""
        self._client.close()

    def _url(self, check: str) -> str | None:
        url = self._urls.get(check)
        if url is None:
            log.warning("heartbeat for unknown check ignored", extra={"check": check})
        return url

    def _send(self, check: str, method: str, url: str, body: bytes | None) -> None:
        # The URL embeds the heartbeat's secret token, so it never reaches the log.
        headers = {"Content-Type": "text/plain; charset=utf-8"} if body is not None else {}
        try:
            response = self._client.request(method, url, content=body, headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            log.warning(
                "heartbeat not delivered",
                extra={"check": check, "error": type(exc).__name__},
            )
            return
        if response.is_error:
            log.warning(
                "heartbeat refused",
                extra={"check": check, "status": response.status_code},
            )
