"""In-memory worlds through the composition root: settings that connect nowhere, fakes in."""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path
from typing import Any

import attrs

from domestyx.adapters.memory.clock import ManualClock
from domestyx.adapters.memory.monitoring import RecordingErrorReporter
from domestyx.adapters.memory.randomness import SeededSecretGenerator, SequentialIdGenerator
from domestyx.adapters.memory.unit_of_work import InMemoryDatabase
from domestyx.adapters.system.argon2_hasher import TEST_PARAMETERS, Argon2PasswordHasher
from domestyx.adapters.system.signing_keys import generate_pem
from domestyx.entrypoints.container import build_container
from domestyx.entrypoints.root import Overrides
from domestyx.entrypoints.services import Services
from domestyx.entrypoints.settings import Settings
from domestyx.ports.clock import Clock
from domestyx.ports.monitoring import ErrorReporter
from domestyx.ports.randomness import IdGenerator, SecretGenerator
from domestyx.ports.repositories import UnitOfWorkFactory
from domestyx.ports.security import PasswordHasher

# One scratch directory for the defaults nobody overrides (never written by these worlds).
_VAR = Path(tempfile.mkdtemp(prefix="domestyx-unit-"))
TEST_SIGNING_KEY = generate_pem()
TEST_SECRET_KEY = secrets.token_urlsafe(48)


def unit_settings(**env: str) -> Settings:
    """Embedded settings with fixed keys, plus environment variables; nothing here connects.

    DOMESTYX_ENV=test: the production rate limits (development relaxes them 100x).
    """
    return Settings.from_env(
        {
            "DOMESTYX_ENV": "test",
            "DOMESTYX_VAR_DIR": str(_VAR),
            "DATABASE_URL": f"sqlite:///{_VAR}/unused.db",
            "SECRET_KEY": TEST_SECRET_KEY,
            "JWT_SIGNING_KEY": TEST_SIGNING_KEY,
            **env,
        }
    )


@attrs.define
class Fakes:
    """The fakes every in-memory world shares; the world adds the ports it cares about."""

    clock: ManualClock = attrs.Factory(ManualClock)
    db: InMemoryDatabase = attrs.Factory(InMemoryDatabase)
    ids: SequentialIdGenerator = attrs.Factory(SequentialIdGenerator)
    secrets: SeededSecretGenerator = attrs.Factory(SeededSecretGenerator)
    reporter: RecordingErrorReporter = attrs.Factory(RecordingErrorReporter)

    def overrides(self) -> dict[Any, object]:
        """These fakes keyed by their ports, plus cheap password hashing."""
        return {
            Clock: self.clock,
            UnitOfWorkFactory: self.db,
            IdGenerator: self.ids,
            SecretGenerator: self.secrets,
            ErrorReporter: self.reporter,
            PasswordHasher: Argon2PasswordHasher(TEST_PARAMETERS),
        }


def fake_services(
    fakes: Fakes, overrides: Overrides | None = None, settings: Settings | None = None
) -> Services:
    """The real composition root over the fakes (and any further overrides)."""
    chosen = {**fakes.overrides(), **(overrides or {})}
    return build_container(settings or unit_settings(), overrides=chosen)
