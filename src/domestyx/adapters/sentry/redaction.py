"""What counts as a secret or personal data: by key name, and by shape inside free text."""

from __future__ import annotations

import hashlib
import hmac
import re

FILTERED = "[Filtered]"

# Any key containing one of these is secret (new_password, refresh_token, x-twilio-signature).
_SECRET_PARTS = (
    "password",
    "passwd",
    "secret",
    "token",
    "cookie",
    "authorization",
    "signature",
    "jwt",
    "api_key",
    "apikey",
    "credential",
)
# Short names that are secret only as the whole key: "status_code" and "author" are not.
_SECRET_KEYS = frozenset(
    {
        "auth",
        "code",
        "otp",
        "pin",
        "session",
        "sessionid",
        "sealed_code",
        "otp_code",
        "verification_code",
        "cf_turnstile_response",
    }
)

_KEY_IN_TEXT = (
    r"[\w.-]*(?:password|passwd|secret|token|cookie|authorization|signature|jwt|api[_-]?key"
    r"|credential)[\w.-]*|code|otp|pin|auth|session|sessionid|cf-turnstile-response"
)
# key=value, key: value, 'key': 'value', "key":"value" in messages, reprs and query strings.
_KEY_VALUE = re.compile(
    rf"""(?i)(?<![\w-])(?P<key>{_KEY_IN_TEXT})(?![\w-])(?P<sep>["']?\s*[:=]\s*)"""
    r"""(?P<value>\[Filtered\]|"[^"]*"|'[^']*'|[^\s"'&,;)}\]]+)"""
)
# "your code is 123456", "code 123456": the template wording of an OTP.
_CODE_WORDS = re.compile(r"(?i)(?<![\w-])(?P<key>code|otp|pin)(?P<sep>\s+(?:is\s+)?)\d{4,8}(?!\d)")
_BEARER = re.compile(r"(?P<scheme>(?i:bearer)|Basic)\s+[A-Za-z0-9._~+/=-]{6,}")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
# Our opaque refresh tokens (rt_ + 43 url-safe characters), in whatever variable holds them.
_REFRESH_TOKEN = re.compile(r"\brt_[A-Za-z0-9_-]{20,}")
# %40 and %2B: addresses and numbers also travel URL-encoded in query strings.
_EMAIL = re.compile(
    r"(?i)(?<![\w.%+-])[a-z0-9._%+-]+(?:@|%40)[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?![\w-])"
)
_PHONE = re.compile(r"(?i)(?<![\w+%])(?:\+|%2B)[1-9]\d{6,14}(?!\d)")


def is_secret_key(key: str) -> bool:
    """Whether a mapping key names a credential, code or session value."""
    normalized = key.strip().lower().replace("-", "_")
    if normalized in _SECRET_KEYS:
        return True
    return any(part in normalized for part in _SECRET_PARTS)


def pseudonym(kind: str, value: str, key: bytes) -> str:
    """A stable, non-reversible stand-in so one person's events still group together."""
    digest = hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
    return f"{kind}:{digest[:12]}"


def redact_text(text: str, key: bytes) -> str:
    """Replace credentials, codes, emails and E.164 numbers found anywhere in `text`."""
    text = _BEARER.sub(lambda m: f"{m['scheme']} {FILTERED}", text)
    text = _JWT.sub(FILTERED, text)
    text = _REFRESH_TOKEN.sub(FILTERED, text)
    text = _KEY_VALUE.sub(_filtered_value, text)
    text = _CODE_WORDS.sub(lambda m: f"{m['key']}{m['sep']}{FILTERED}", text)
    text = _EMAIL.sub(lambda m: pseudonym("email", _plain(m[0]), key), text)
    return _PHONE.sub(lambda m: pseudonym("phone", "+" + _plain(m[0]).lstrip("+"), key), text)


def _filtered_value(match: re.Match[str]) -> str:
    value = match["value"]
    quote = value[0] if value[0] in "'\"" else ""
    return f"{match['key']}{match['sep']}{quote}{FILTERED}{quote}"


def _plain(found: str) -> str:
    return found.replace("%40", "@").replace("%2B", "+").replace("%2b", "+").lower()
