"""Which Turnstile script the web client loads: Cloudflare's, or the app's offline stand-in."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domestyx.entrypoints.settings import Settings

CLOUDFLARE_SCRIPT = "https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit"
# Served by the app itself (static/dev/turnstile-stand-in.js); same origin, so CSP 'self'.
STAND_IN_SCRIPT = "/dev/assets/turnstile-stand-in.js"
# Cloudflare's documented dummy site keys (troubleshooting/testing): the stand-in mimics each.
TEST_SITE_KEYS = frozenset(
    {
        "1x00000000000000000000AA",  # always passes, visible
        "2x00000000000000000000AB",  # always fails, visible
        "1x00000000000000000000BB",  # always passes, invisible
        "2x00000000000000000000BB",  # always fails, invisible
        "3x00000000000000000000FF",  # forces an interactive challenge
    }
)


def uses_stand_in(settings: Settings) -> bool:
    """Test site key, no explicit script URL, outside production: nothing leaves the machine."""
    return (
        not settings.is_production
        and settings.captcha.script_url is None
        and settings.captcha.site_key in TEST_SITE_KEYS
    )


def turnstile_script_url(settings: Settings) -> str:
    """TURNSTILE_SCRIPT_URL when set; else the stand-in for test keys, Cloudflare's otherwise."""
    if settings.captcha.script_url:
        return settings.captcha.script_url
    return STAND_IN_SCRIPT if uses_stand_in(settings) else CLOUDFLARE_SCRIPT
