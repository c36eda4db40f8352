"""Which keys may name a file under the root: no traversal, no hidden names, a tight alphabet."""

from __future__ import annotations

import re
from pathlib import Path

_KEY = re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*")
_PREFIX = re.compile(r"[A-Za-z0-9/_.-]*")
_MAX_KEY = 1024


def is_valid_key(key: str) -> bool:
    """Relative, slash-separated, no segment starting with a dot (so no `..` and no internals)."""
    if len(key) > _MAX_KEY or not _KEY.fullmatch(key):
        return False
    return not any(segment.startswith(".") for segment in key.split("/"))


def checked_key(key: str) -> str:
    """The key itself, or ValueError."""
    if not is_valid_key(key):
        raise ValueError(f"invalid storage key: {key!r}")
    return key


def prefix_directory(root: Path, prefix: str) -> Path:
    """The deepest directory every key under `prefix` lives in."""
    directory, _, _ = prefix.rpartition("/")
    if len(prefix) > _MAX_KEY or not _PREFIX.fullmatch(prefix):
        raise ValueError(f"invalid storage prefix: {prefix!r}")
    if directory and not is_valid_key(directory):
        raise ValueError(f"invalid storage prefix: {prefix!r}")
    return root / directory if directory else root


def is_internal(name: str) -> bool:
    """Sidecars and temp files start with a dot, which no key segment may."""
    return name.startswith(".")


def sidecar(path: Path) -> Path:
    """Where an object's content type is kept."""
    return path.with_name(f".{path.name}.meta.json")
