"""Development limits: 100x the defaults in development only; `dev reset-limits` forgets them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from domestyx.domain.model.abuse import DEFAULT_LIMITS, AbusePolicy, Limit, Operation, Scope
from domestyx.domain.model.rate_limits import RateRule
from domestyx.entrypoints.dev_limits import DEV_LIMIT_FACTOR
from domestyx.entrypoints.root import Root
from domestyx.entrypoints.services import Services
from domestyx.entrypoints.settings import Settings
from domestyx.entrypoints.wiring import register_policies
from tests.support.app import build_services, embedded_settings
from tests.support.production_env import GOOD_PRODUCTION
from tests.support.services import require_redis

HOUR = timedelta(hours=1)


def policy_for(settings: Settings) -> AbusePolicy:
    """The abuse policy the composition root gives these settings."""
    root = Root()
    register_policies(root, settings)
    policy: AbusePolicy = root.get(AbusePolicy)
    return policy


def test_development_multiplies_every_default_count_by_100_and_keeps_the_windows(
    tmp_path: Path,
) -> None:
    policy = policy_for(embedded_settings(tmp_path, DOMESTYX_ENV="development"))
    assert DEV_LIMIT_FACTOR == 100  # the number the README and docs/security.md state
    for operation, defaults in DEFAULT_LIMITS.items():
        relaxed = policy.limits[operation]
        assert [(x.scope, x.window) for x in relaxed] == [(d.scope, d.window) for d in defaults]
        assert [x.count for x in relaxed] == [d.count * 100 for d in defaults]
    assert Limit(Scope.IP, 1000, HOUR) in policy.limits[Operation.REGISTER]


@pytest.mark.parametrize(
    "env",
    [{"DOMESTYX_ENV": "test"}, GOOD_PRODUCTION],
    ids=["test", "production"],
)
def test_test_and_production_keep_the_production_defaults(
    tmp_path: Path, env: dict[str, str]
) -> None:
    settings = Settings.from_env({**env, "DOMESTYX_VAR_DIR": str(tmp_path)})
    assert not settings.relaxed_limits
    policy = policy_for(settings)
    assert {op: tuple(ls) for op, ls in policy.limits.items()} == dict(DEFAULT_LIMITS)
    assert Limit(Scope.IP, 10, HOUR) in policy.limits[Operation.REGISTER]


def test_an_explicit_rate_limit_still_wins_in_development(tmp_path: Path) -> None:
    settings = embedded_settings(tmp_path, DOMESTYX_ENV="development", RATE_LIMITS="login.ip=3/1h")
    policy = policy_for(settings)
    assert policy.limits[Operation.LOGIN] == (Limit(Scope.IP, 3, HOUR),)
    assert policy.limits[Operation.REFRESH][0].count == 120 * 100


def reset_limits(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`domestyx dev reset-limits` as its own process, as a developer would run it."""
    environ = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), **env}
    environ["DOMESTYX_VAR_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "domestyx.entrypoints.cli.main", "dev", "reset-limits"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result


def rule(key: str) -> RateRule:
    return RateRule(name=key, key=key, limit=1, window=HOUR)


def exhaust(services: Services, *keys: str) -> None:
    now = services.clock.now()
    for key in keys:
        services.guard.limiter.hit([rule(key)], now=now)
        assert not services.guard.limiter.hit([rule(key)], now=now).allowed
    services.guard.failures.add("login:ann", now=now, window=HOUR)


def allowed(services: Services, key: str) -> bool:
    return services.guard.limiter.hit([rule(key)], now=services.clock.now()).allowed


def test_reset_limits_reaches_a_running_embedded_server(tmp_path: Path) -> None:
    """The server's counters are in its memory; the CLI asks through the stamp under ./var."""
    server = build_services(embedded_settings(tmp_path, DOMESTYX_ENV="development"))
    exhaust(server, "rl:register:ip:3600:127.0.0.1", "notice:welcome:acct")
    result = reset_limits(tmp_path)
    assert "embedded server forgets them on its next request" in result.stdout
    assert allowed(server, "rl:register:ip:3600:127.0.0.1")
    assert not allowed(server, "notice:welcome:acct")  # once-only notices are not limits
    tally = server.guard.failures.tally("login:ann", now=server.clock.now(), window=HOUR)
    assert tally.count == 0
    assert not allowed(server, "rl:register:ip:3600:127.0.0.1")  # counting again, from zero


def test_reset_limits_deletes_the_rate_keys_in_redis_and_nothing_else(
    tmp_path: Path, redis_client: object
) -> None:
    url = require_redis()
    server = build_services(embedded_settings(tmp_path, DOMESTYX_ENV="development", REDIS_URL=url))
    exhaust(server, "rl:otp_send:destination:3600:x", "rl:login:ip:600:y", "notice:welcome:a")
    result = reset_limits(tmp_path, REDIS_URL=url)
    assert "limits reset: 3 rate-limit and failure keys deleted from Redis" in result.stdout
    assert allowed(server, "rl:otp_send:destination:3600:x")
    assert allowed(server, "rl:login:ip:600:y")
    assert not allowed(server, "notice:welcome:a")
