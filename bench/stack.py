"""The benchmark's production-shaped stack: MariaDB, Redis, moto over TLS and provider stubs."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import attrs
import redis
from tests.stubs.betterstack_stub import BetterStackStub
from tests.stubs.resend_stub import new_signing_secret
from tests.stubs.sentry_stub import SentryStub
from tests.stubs.turnstile_stub import TurnstileStub
from tests.stubs.twilio_stub import ACCOUNT_SID, AUTH_TOKEN
from tests.support.moto import MOTO_ACCESS_KEY, MOTO_REGION, MOTO_SECRET_KEY
from tests.support.services import free_port, scratch_mariadb_database, wait_until

from bench.stubs import TimedResendStub, TimedTwilioStub
from bench.tls import self_signed
from domestyx.adapters.s3.bucket import ensure_private_bucket
from domestyx.adapters.sql import migrate
from domestyx.adapters.sql.engine import create_database_engine
from domestyx.adapters.system.signing_keys import generate_pem
from domestyx.entrypoints.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
# Its own Redis database, away from the test runs' (/15 by default, helpers' own below it);
# `claim_redis_db` refuses to run on one another client is using.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
API_HOST = "api.domestyx.test"
APP_HOST = "app.domestyx.test"


@attrs.define
class BenchStack:
    """Handles on every server the benchmark starts, and the environment `domestyx` reads."""

    env: dict[str, str]
    workdir: Path
    database_url: str
    redis_url: str
    s3_endpoint: str
    bucket: str
    ca_file: Path
    resend: TimedResendStub
    twilio: TimedTwilioStub
    turnstile: TurnstileStub
    sentry: SentryStub
    betterstack: BetterStackStub
    peer_secret: str = attrs.field(factory=lambda: secrets.token_urlsafe(32), repr=False)

    def settings(self) -> Settings:
        """Exactly what the serve and worker processes read from the same environment."""
        return Settings.from_env(self.env)

    def redis(self) -> redis.Redis:
        """A plain client for INFO and flushing."""
        return redis.Redis.from_url(self.redis_url, decode_responses=True)


def production_env(
    workdir: Path,
    *,
    db_url: str,
    s3: tuple[str, str],
    ca_file: Path,
    stubs: dict[str, Any],
) -> dict[str, str]:
    """DOMESTYX_ENV=production: every REQUIRED_IN_PRODUCTION variable, pointing at loopback."""
    endpoint, bucket = s3
    resend, twilio, turnstile = stubs["resend"], stubs["twilio"], stubs["turnstile"]
    beats = stubs["betterstack"].origin + "/api/v1/heartbeat/"
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(workdir),
        "DOMESTYX_ENV": "production",
        "DOMESTYX_VAR_DIR": str(workdir / "var"),
        "RELEASE": "bench",
        "DATABASE_URL": db_url,
        "REDIS_URL": REDIS_URL,
        "RESEND_API_KEY": resend.api_key,
        "RESEND_API_URL": resend.url,
        "RESEND_WEBHOOK_SECRET": new_signing_secret(),
        "EMAIL_FROM": "DomestyX <no-reply@domestyx.test>",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": "+15005550006",
        "TWILIO_API_BASE_URL": twilio.url,
        "TURNSTILE_SITE_KEY": "0x4AAAAAAAstub-site-key",
        "TURNSTILE_SECRET_KEY": turnstile.secret,
        "TURNSTILE_SITEVERIFY_URL": turnstile.siteverify_url,
        "TURNSTILE_EXPECTED_HOSTNAMES": APP_HOST,
        "STORAGE_BUCKET_NAME": bucket,
        "STORAGE_ACCESS_KEY": MOTO_ACCESS_KEY,
        "STORAGE_SECRET_KEY": MOTO_SECRET_KEY,
        "STORAGE_REGION": MOTO_REGION,
        "STORAGE_ENDPOINT_URL": endpoint,
        # The S3 endpoint's certificate is our own; botocore and httpx trust it through these.
        "AWS_CA_BUNDLE": str(ca_file),
        "SSL_CERT_FILE": str(ca_file),
        "SENTRY_DSN_BACKEND": stubs["sentry"].dsn,
        # Browsers load this one, so production takes https only; no browser runs here.
        "SENTRY_DSN_FRONTEND": "https://pub@sentry.domestyx.test/2",
        "ALLOWED_HOSTS": API_HOST,
        "CORS_ALLOWED_ORIGINS": f"https://{APP_HOST}",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "JWT_SIGNING_KEY": generate_pem(),
        "PUBLIC_BASE_URL": f"https://{API_HOST}",
        "SMS_ALLOWED_PREFIXES": "+44,+1,+254",
        "TRUSTED_PROXIES": "127.0.0.1/32",
        "HEARTBEAT_URL_WORKER": beats + "workerbeat",
        "HEARTBEAT_URL_PURGE": beats + "purgebeat",
        "HEARTBEAT_URL_BACKUP": beats + "backupbeat",
        "NO_PROXY": "127.0.0.1,localhost",
    }


@contextmanager
def moto_over_tls(workdir: Path) -> Iterator[tuple[str, Path]]:
    """`moto_server` in its own process on https://127.0.0.1:<port>; yields (endpoint, CA file)."""
    cert, key = self_signed(workdir / "tls")
    port = free_port()
    binary = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or "moto_server"
    log = (workdir / "moto.log").open("wb")
    process = subprocess.Popen(
        [binary, "-H", "127.0.0.1", "-p", str(port), "-c", str(cert), "-k", str(key)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"https://127.0.0.1:{port}"
    try:
        if not wait_until(lambda: b"Running on" in (workdir / "moto.log").read_bytes(), 30):
            raise RuntimeError("moto_server did not start: " + (workdir / "moto.log").read_text())
        yield endpoint, cert
    finally:
        process.terminate()
        process.wait(10)
        log.close()


@contextmanager
def bench_stack(workdir: Path) -> Iterator[BenchStack]:
    """Start everything, migrate a scratch database, empty the bench Redis DB; tear down after."""
    client = claim_redis_db(REDIS_URL)
    with ExitStack() as stack:
        endpoint, ca_file = stack.enter_context(moto_over_tls(workdir))
        os.environ["AWS_CA_BUNDLE"] = str(ca_file)  # the benchmark's own boto3 client too
        bucket = f"dx-bench-{uuid.uuid4().hex[:10]}"
        ensure_private_bucket(
            bucket, access_key=MOTO_ACCESS_KEY, secret_key=MOTO_SECRET_KEY,
            region=MOTO_REGION, endpoint_url=endpoint,
        )  # fmt: skip
        db_url = stack.enter_context(scratch_mariadb_database())
        engine = create_database_engine(db_url)
        migrate.upgrade(engine)
        engine.dispose()
        stubs = {
            "resend": stack.enter_context(TimedResendStub(timeout_sleep=2.0)),
            "twilio": stack.enter_context(TimedTwilioStub(ACCOUNT_SID, AUTH_TOKEN)),
            "turnstile": stack.enter_context(TurnstileStub(timeout_sleep=2.0)),
            "sentry": stack.enter_context(SentryStub()),
            "betterstack": stack.enter_context(BetterStackStub("bench-token")),
        }
        env = production_env(
            workdir, db_url=db_url, s3=(endpoint, bucket), ca_file=ca_file, stubs=stubs
        )
        yield BenchStack(
            env=env, workdir=workdir, database_url=db_url, redis_url=REDIS_URL,
            s3_endpoint=endpoint, bucket=bucket, ca_file=ca_file, **stubs,
        )  # fmt: skip
    client.flushdb()  # ours alone: claim_redis_db checked that no other client uses it


def claim_redis_db(url: str) -> redis.Redis:
    """A client on the bench's Redis database, emptied, after checking nobody else uses it.

    Refuses when another connection has that database selected, so a test run or another
    benchmark on the same server is never flushed under it; BENCH_REDIS_URL picks another.
    """
    client = redis.Redis.from_url(url)
    db = int(client.connection_pool.connection_kwargs.get("db", 0))
    me = client.client_id()
    others = [
        c for c in client.client_list() if int(c.get("db", -1)) == db and str(c["id"]) != str(me)
    ]
    if others:
        raise RuntimeError(
            f"Redis database {db} is in use by {len(others)} other connection(s) "
            f"({', '.join(sorted({c.get('name') or c['addr'] for c in others}))}): "
            "set BENCH_REDIS_URL to a free database"
        )
    client.flushdb()
    return client
