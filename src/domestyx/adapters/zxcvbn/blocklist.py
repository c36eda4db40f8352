"""zxcvbn's frequency list of passwords seen in breach corpora, as a PasswordBlocklist."""

from __future__ import annotations

from functools import cache


@cache
def _listed() -> frozenset[str]:
    # Imported on first use: a 1 MB module that a CLI failing on its settings should not load.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # noqa: PLC0415 - see above

    # The 30,000 most frequent passwords of the leaked-password corpora zxcvbn is built from.
    words: list[str] = FREQUENCY_LISTS["passwords"]
    return frozenset(word.casefold() for word in words)


class ZxcvbnPasswordBlocklist:
    """Loaded once per process (about 2 MB); membership is a set lookup."""

    def is_listed(self, password: str) -> bool:
        """Whether the password is one of the list's."""
        return password.casefold() in _listed()
