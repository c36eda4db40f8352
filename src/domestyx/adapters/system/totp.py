"""RFC 6238 codes with pyotp."""

from __future__ import annotations

import pyotp

SECRET_LENGTH = 32  # base32 characters: 160 bits, RFC 4226's recommended key size


class PyotpTotp:
    """SHA-1, 6 digits, 30 s: what every authenticator app reads from an otpauth URI."""

    def new_secret(self) -> str:
        """A CSPRNG base32 secret."""
        return pyotp.random_base32(SECRET_LENGTH)

    def code_at(self, secret: str, step: int) -> str:
        """The HOTP of the step counter (RFC 6238 section 4)."""
        return pyotp.TOTP(secret).generate_otp(step)

    def provisioning_uri(self, secret: str, *, account_name: str, issuer: str) -> str:
        """otpauth://totp/Issuer:name?secret=...&issuer=..."""
        return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=issuer)
