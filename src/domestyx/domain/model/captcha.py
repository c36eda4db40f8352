"""What a challenge provider said about one token."""

from __future__ import annotations

import attrs


@attrs.frozen
class CaptchaVerdict:
    """What the challenge provider said about one token."""

    success: bool
    hostname: str | None = None
    action: str | None = None
    error_codes: tuple[str, ...] = ()
