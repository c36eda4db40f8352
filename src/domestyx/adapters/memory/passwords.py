"""A blocklist fake: a fixed set of words."""

from __future__ import annotations

import attrs


@attrs.frozen
class SetPasswordBlocklist:
    """Lists exactly the words it was given (case-folded)."""

    words: frozenset[str] = frozenset({"password", "12345678", "qwertyuiop"})

    def is_listed(self, password: str) -> bool:
        """Set membership."""
        return password.casefold() in {w.casefold() for w in self.words}
