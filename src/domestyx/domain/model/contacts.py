"""Email and phone values: normalisation, E.164 checks, calling codes and masking."""

from __future__ import annotations

import re

from domestyx.domain.model.calling_codes import CALLING_CODES
from domestyx.domain.model.errors import InvalidInput

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# Deliberately simple: one @, a dot in the domain, no spaces; deliverability is proven by the OTP.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MAX_EMAIL_LENGTH = 254


def normalize_email(raw: str) -> str:
    """Trim and lower-case an address; refuse anything that is clearly not one."""
    email = raw.strip().lower()
    if len(email) > MAX_EMAIL_LENGTH or not _EMAIL.match(email):
        raise InvalidInput("email is not a valid address", field="email")
    return email


def normalize_phone(raw: str) -> str:
    """Accept E.164 only (+ and 7 to 15 digits, spaces and dashes tolerated)."""
    phone = re.sub(r"[\s\-().]", "", raw.strip())
    if not _E164.match(phone):
        raise InvalidInput("phone must be in E.164 form, e.g. +447700900123", field="phone")
    if calling_code(phone) is None:
        raise InvalidInput("phone has an unknown country calling code", field="phone")
    return phone


def calling_code(phone: str) -> str | None:
    """Return the ITU country calling code of an E.164 number, as '+NNN', or None."""
    digits = phone.removeprefix("+")
    for length in (1, 2, 3):
        if digits[:length] in CALLING_CODES:
            return "+" + digits[:length]
    return None


def mask_email(email: str) -> str:
    """Show enough of an address for support staff, never the whole of it."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str) -> str:
    """Keep the calling code and the last two digits."""
    code = calling_code(phone) or phone[:2]
    return f"{code}***{phone[-2:]}"
