"""The files settings imply, written where they are needed (the composition root), not on read."""

from __future__ import annotations

import secrets
from pathlib import Path

import attrs

from domestyx.domain.model.keys import derive_key
from domestyx.entrypoints.settings import Settings


def with_local_state(settings: Settings) -> Settings:
    """Embedded keys (SECRET_KEY kept under the var directory); a CA PEM written to a file."""
    keys, database = settings.keys, settings.database
    if not settings.is_production:  # production refuses to start without both keys
        secret_key = keys.secret_key or _local_secret(settings.var_dir, "secret")
        keys = attrs.evolve(
            keys,
            secret_key=secret_key,
            jwt_signing_key=keys.jwt_signing_key or _derived_jwt_key(secret_key),
        )
    if database.ca_pem and not database.ca_file:
        path = settings.var_dir / "database-ca.pem"
        _write(path, database.ca_pem)
        database = attrs.evolve(database, ca_file=str(path))
    return attrs.evolve(settings, keys=keys, database=database)


def _derived_jwt_key(secret_key: str) -> str:
    """An Ed25519 key derived from SECRET_KEY in memory (no file)."""
    from domestyx.adapters.system.signing_keys import derived_pem

    return derived_pem(derive_key(secret_key.encode(), "domestyx/jwt/v1"))


def _local_secret(var_dir: Path, name: str) -> str:
    """A random key kept under ./var so sessions survive restarts."""
    path = var_dir / f"{name}.key"
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(48)
    _write(path, value)
    return value


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(text)
