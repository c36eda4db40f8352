"""Embedded default only: the dev outbox page and the files under /dev/assets it and the
Turnstile stand-in are served from (no inline script, so the page runs under script-src 'self')."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litestar.static_files import create_static_files_router

if TYPE_CHECKING:
    from litestar import Router

DEV_ASSETS_DIR = Path(__file__).resolve().parent / "static" / "dev"
DEV_ASSETS_PATH = "/dev/assets"
OUTBOX_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_CODE = re.compile(r"\b(\d{6})\b")
_CHANNELS = {"email": "Email", "sms": "SMS"}


def code_in(body: str) -> str | None:
    """The 6-digit code a message carries, if any (every code template has exactly one)."""
    match = _CODE.search(body or "")
    return match.group(1) if match else None


def dev_asset_handlers() -> list[Router]:
    """Static files for the dev pages: outbox.js, outbox.css, turnstile-stand-in.js."""
    return [
        create_static_files_router(
            path=DEV_ASSETS_PATH,
            directories=[DEV_ASSETS_DIR],
            name="dev-assets",
            include_in_schema=False,
        )
    ]


def _clock(iso: str) -> str:
    """HH:MM:SS UTC of an ISO timestamp (the script shows local time once it runs)."""
    return f"{iso[11:19]} UTC" if len(iso) >= 19 else iso


def _entry(e: dict[str, Any]) -> str:
    esc = html.escape
    code = e.get("code")
    code_row = (
        f'<p class="code-row"><code class="code">{esc(code)}</code> '
        f'<button type="button" class="copy" data-copy="{esc(code)}">Copy code</button></p>'
        if code
        else ""
    )
    subject = f'<p class="subject">{esc(e["subject"])}</p>' if e.get("subject") else ""
    channel = _CHANNELS.get(str(e["channel"]), str(e["channel"]))
    return (
        f'<li class="message" data-channel="{esc(str(e["channel"]))}">'
        f'<p class="meta"><span class="channel">{esc(channel)}</span> to '
        f'<strong class="to">{esc(str(e["to"]))}</strong> · '
        f'<time datetime="{esc(str(e["created_at"]))}">{esc(_clock(str(e["created_at"])))}</time>'
        "</p>"
        f'{subject}{code_row}<pre class="body">{esc(str(e["body"]))}</pre></li>'
    )


def outbox_page(entries: list[dict[str, Any]]) -> str:
    """The page as first served; outbox.js then refreshes the list from the JSON form."""
    items = "".join(_entry(e) for e in entries)
    empty = "" if entries else " hidden"
    assets = DEV_ASSETS_PATH
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>DomestyX dev outbox</title><link rel="stylesheet" href="{assets}/outbox.css">'
        '<noscript><meta http-equiv="refresh" content="5"></noscript>'
        f'<script src="{assets}/outbox.js" defer></script></head><body><main>'
        "<h1>Dev outbox</h1>"
        "<p>Every email and SMS the embedded default would have sent, newest first. "
        'This page refreshes itself; <a href="/">back to the web client</a>.</p>'
        '<p id="outbox-status" class="status" role="status"></p>'
        f'<p id="outbox-empty" class="empty"{empty}>Nothing sent yet. Register in the web '
        "client and the code appears here.</p>"
        f'<ol id="outbox" class="messages">{items}</ol></main></body></html>'
    )
