"""Phones through phonenumbers, emails through email-validator: one spelling for each contact."""

from __future__ import annotations

import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from domestyx.domain.model.errors import InvalidInput

MAX_RAW_LENGTH = 64  # longer than any written-out E.164 number; refuses junk before parsing
_SEPARATORS = frozenset(" -().")
_PHONE_HINT = "give the number in international form, e.g. +447700900123"


def _ascii_digits(raw: str) -> str:
    """Every Unicode decimal digit read as its ASCII digit; anything else but '+' is refused."""
    out: list[str] = []
    for ch in raw.strip():
        if ch in _SEPARATORS:
            continue
        if ch == "+" and not out:
            out.append(ch)
        elif ch.isdecimal():
            out.append(str(unicodedata.decimal(ch)))
        else:
            raise InvalidInput(
                f"phone may hold only digits, spaces and dashes; {_PHONE_HINT}", field="phone"
            )
    return "".join(out)


class LibraryContactCanonicalizer:
    """The ContactCanonicalizer of production and tests alike (pure, no I/O)."""

    def email(self, raw: str) -> str:
        """Syntax and IDNA by email-validator (no DNS); the local part NFC and lower-cased."""
        text = unicodedata.normalize("NFC", raw.strip())
        try:
            info = validate_email(text, check_deliverability=False)
        except EmailNotValidError as exc:
            raise InvalidInput(f"email is not a valid address: {exc}", field="email") from exc
        # Mailboxes are case-insensitive at every provider people use; one spelling per person.
        return f"{info.local_part.lower()}@{info.ascii_domain}"

    def phone(self, raw: str) -> str:
        """International numbers only (no default region), of a possible length for the country."""
        if len(raw) > MAX_RAW_LENGTH:
            raise InvalidInput(f"phone is too long; {_PHONE_HINT}", field="phone")
        digits = _ascii_digits(raw)
        if not digits.startswith("+"):
            raise InvalidInput(
                f"phone must start with + and the country code; {_PHONE_HINT}", field="phone"
            )
        try:
            number = phonenumbers.parse(digits, None)
        except phonenumbers.NumberParseException as exc:
            raise InvalidInput(f"phone is not a number; {_PHONE_HINT}", field="phone") from exc
        # "Possible" (the right length for its country), not "valid": number ranges change
        # faster than releases, and the code sent to the number is the real proof.
        reason = phonenumbers.is_possible_number_with_reason(number)
        if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
            raise InvalidInput(f"phone is not a possible number; {_PHONE_HINT}", field="phone")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def calling_code(self, phone: str) -> str:
        """'+' and the country code phonenumbers reads from the number."""
        try:
            return f"+{phonenumbers.parse(phone, None).country_code}"
        except phonenumbers.NumberParseException as exc:
            raise InvalidInput("phone is not a number", field="phone") from exc
