"""The web client: the built assets shipped in the package, served at / with a page CSP."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from litestar.enums import ScopeType
from litestar.middleware import DefineMiddleware
from litestar.static_files import create_static_files_router

from domestyx.entrypoints.http.turnstile_script import turnstile_script_url

if TYPE_CHECKING:
    from litestar import Router
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

    from domestyx.entrypoints.settings import Settings

WEB_DIR = Path(__file__).resolve().parents[1] / "static" / "web"
# Turnstile runs its challenges in frames from this origin, whatever URL the script came from.
TURNSTILE_FRAMES = "https://challenges.cloudflare.com"
# These prefixes belong to the API; its own (stricter) headers apply to them.
_API_PREFIXES = ("/api/", "/health", "/dev/", "/files/", "/schema")
_IMMUTABLE = b"public, max-age=31536000, immutable"  # hashed file names never change content
_REVALIDATE = b"no-cache"


def origin_of(url: str | None) -> str | None:
    """scheme://host[:port] of a URL, without credentials or path; None when it has none."""
    if not url:
        return None
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def page_csp(settings: Settings) -> str:
    """'self' plus exactly the third parties the client talks to: Turnstile and Sentry.

    The embedded stand-in is same-origin and draws no frames, so it adds nothing.
    """
    turnstile = origin_of(turnstile_script_url(settings))
    sentry = origin_of(settings.observability.sentry_dsn_frontend)
    frames = dict.fromkeys(o for o in (turnstile, TURNSTILE_FRAMES) if o) if turnstile else {}
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *([turnstile] if turnstile else [])],
        "frame-src": list(frames) or ["'none'"],
        "connect-src": ["'self'", *([sentry] if sentry else [])],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


class WebHeaders:
    """Security and caching headers for the client's pages and assets."""

    def __init__(self, app: ASGIApp, *, csp: str) -> None:
        self.app = app
        self.page_headers = [
            (b"content-security-policy", csp.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the headers to the response start; API paths keep their own."""
        path = scope.get("path", "")
        if scope["type"] != ScopeType.HTTP or path.startswith(_API_PREFIXES):
            await self.app(scope, receive, send)
            return
        cache = _IMMUTABLE if path.startswith("/assets/") else _REVALIDATE
        extra = [*self.page_headers, (b"cache-control", cache)]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                added = [(k, v) for k, v in extra if k not in names]
                message["headers"] = [*message.get("headers", []), *added]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def web_handlers(settings: Settings) -> list[Router]:
    """The client at /, when its build is in the package (a source tree may lack it)."""
    if not (WEB_DIR / "index.html").is_file():
        return []
    router = create_static_files_router(
        path="/",
        directories=[WEB_DIR],
        html_mode=True,
        name="web",
        include_in_schema=False,
        middleware=[DefineMiddleware(WebHeaders, csp=page_csp(settings))],
    )
    return [router]
