"""Predictable ids and secrets for tests."""

from __future__ import annotations

import itertools
import random
import threading


class SequentialIdGenerator:
    """Ids 000...001, 000...002, and so on."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def new_id(self) -> str:
        """The next id."""
        with self._lock:
            return f"{next(self._counter):032x}"


class SeededSecretGenerator:
    """Reproducible codes and tokens; never used outside tests."""

    def __init__(self, seed: int = 0) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.issued_codes: list[str] = []

    def numeric_code(self, digits: int) -> str:
        """A reproducible code, remembered for assertions."""
        with self._lock:
            code = f"{self._random.randrange(10**digits):0{digits}d}"
            self.issued_codes.append(code)
            return code

    def token(self, nbytes: int) -> str:
        """A reproducible token."""
        with self._lock:
            return self._random.randbytes(nbytes).hex()
