"""A production-shaped stack on loopback: MariaDB, Redis, moto S3 and provider stubs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Any

import attrs

from domestyx.adapters.system.signing_keys import generate_pem
from domestyx.entrypoints.settings import Settings
from tests.stubs.resend_stub import ResendStub
from tests.stubs.turnstile_stub import TurnstileStub
from tests.stubs.twilio_stub import ACCOUNT_SID, AUTH_TOKEN, TwilioStub
from tests.support.services import require_redis, scratch_mariadb_database, wait_until

ROOT = Path(__file__).resolve().parents[2]


@attrs.define
class Stack:
    """Everything a test needs to drive the service and inspect its providers."""

    env: dict[str, str]
    resend: ResendStub
    twilio: TwilioStub
    turnstile: TurnstileStub
    redis_url: str
    database_url: str

    def settings(self) -> Settings:
        """The same configuration the subprocesses read."""
        return Settings.from_env(self.env)


def stack_env(
    tmp_path: Path,
    *,
    db_url: str,
    redis_url: str,
    s3: tuple[str, str],
    resend: ResendStub,
    twilio: TwilioStub,
    turnstile: TurnstileStub,
) -> dict[str, str]:
    """Environment variables of a production-like (but not production) deployment."""
    endpoint, bucket = s3
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DOMESTYX_ENV": "test",
        "DOMESTYX_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "RESEND_API_KEY": resend.api_key,
        "RESEND_API_URL": resend.url,
        "EMAIL_FROM": "DomestyX <no-reply@domestyx.test>",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": "+15005550006",
        "TWILIO_API_BASE_URL": twilio.url,
        "TURNSTILE_SITE_KEY": "0x4AAAAAAAstub-site-key",
        "TURNSTILE_SECRET_KEY": turnstile.secret,
        "TURNSTILE_SITEVERIFY_URL": turnstile.siteverify_url,
        "TURNSTILE_EXPECTED_HOSTNAMES": "app.domestyx.test",
        "STORAGE_BUCKET_NAME": bucket,
        "STORAGE_ACCESS_KEY": "testing",
        "STORAGE_SECRET_KEY": "testing",
        "STORAGE_REGION": "us-east-1",
        "STORAGE_ENDPOINT_URL": endpoint,
        "SECRET_KEY": "k" * 48,
        "JWT_SIGNING_KEY": generate_pem(),
        "PUBLIC_BASE_URL": "http://testserver",
        "SMS_ALLOWED_PREFIXES": "+44,+1,+254",
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "1024",
        "BROKER_REQUEUE_AFTER_MS": "3000",
        "WORKER_THREADS": "2",
        "LOG_FORMAT": "json",
        "NO_PROXY": "127.0.0.1,localhost",
    }


@contextmanager
def real_stack(tmp_path: Path, s3_bucket: tuple[str, str]) -> Iterator[Stack]:
    """Start stubs, a scratch database and a flushed Redis; tear them all down afterwards."""
    import redis

    from domestyx.adapters.sql import migrate
    from domestyx.adapters.sql.engine import create_database_engine

    redis_url = require_redis()
    redis.Redis.from_url(redis_url).flushdb()
    with ExitStack() as stack:
        db_url = stack.enter_context(scratch_mariadb_database())
        resend = stack.enter_context(ResendStub(timeout_sleep=2.0))
        twilio = stack.enter_context(TwilioStub(ACCOUNT_SID, AUTH_TOKEN, timeout_sleep=2.0))
        turnstile = stack.enter_context(TurnstileStub(timeout_sleep=2.0))
        engine = create_database_engine(db_url)
        migrate.upgrade(engine)
        engine.dispose()
        env = stack_env(tmp_path, db_url=db_url, redis_url=redis_url, s3=s3_bucket,
                        resend=resend, twilio=twilio, turnstile=turnstile)  # fmt: skip
        yield Stack(env, resend, twilio, turnstile, redis_url, db_url)
    redis.Redis.from_url(redis_url).flushdb()


class WorkerProcess:
    """`domestyx worker` as a real process, so it can be killed with SIGKILL."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> WorkerProcess:
        """Start and wait until it consumes."""
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "domestyx.entrypoints.cli.main", "worker", "--threads", "2"],
            env=self.env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        started = wait_until(lambda: b"worker started" in self.log_path.read_bytes(), timeout=20)
        assert started, self.log_path.read_text()
        return self

    def kill(self) -> None:
        """SIGKILL: no cleanup, unacked messages stay with the dead worker."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM and wait."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._log is not None:
            self._log.close()

    def __enter__(self) -> WorkerProcess:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _six_digits(text: str) -> str:
    import re

    match = re.search(r"\b(\d{6})\b", text)
    assert match is not None, "no code in the message"
    return match.group(1)


def email_code(stack: Stack, to: str, timeout: float = 15.0) -> str:
    """The code in the newest email the Resend stub accepted for `to`."""

    def mine() -> list[Any]:
        return [
            e
            for e in stack.resend.emails
            if to in (e.params["to"] if isinstance(e.params["to"], list) else [e.params["to"]])
        ]

    assert wait_until(lambda: bool(mine()), timeout), f"no email reached the stub for {to}"
    return _six_digits(mine()[-1].params["text"])


def sms_code(stack: Stack, to: str, timeout: float = 15.0) -> str:
    """The code in the newest SMS the Twilio stub accepted for `to`."""

    def mine() -> list[dict[str, Any]]:
        return [m for m in stack.twilio.sent() if m["to"] == to]

    assert wait_until(lambda: bool(mine()), timeout), f"no SMS reached the stub for {to}"
    return _six_digits(mine()[-1]["body"])
