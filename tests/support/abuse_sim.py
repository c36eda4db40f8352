"""Helpers for the abuse simulation: attacker addresses, calls through the edge, DB counts."""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import func, select

from domestyx.adapters.memory.clock import ManualClock
from domestyx.adapters.sql import tables as t
from domestyx.domain.model.delivery import DeliveryStatus
from domestyx.entrypoints.services import Services
from domestyx.entrypoints.settings import Settings
from domestyx.ports.monitoring import ErrorReporter
from tests.support.app import PASSWORD, build_services
from tests.support.live_server import LOOPBACK_PROXY, ForwardingClient, live_server
from tests.support.stack import Stack

# RFC 2544 benchmarking space: 131,072 addresses no real client holds.
_ATTACKERS = ipaddress.IPv4Network("198.18.0.0/15")


def attacker_ip(index: int) -> str:
    """The index-th address of the attacker's pool."""
    return str(_ATTACKERS[index + 1])


def slug(response: httpx.Response) -> str:
    """'202', '200', or the problem type's last segment ('rate-limited', ...)."""
    if response.status_code < 400:
        return str(response.status_code)
    problem_type: str = response.json()["type"]
    return problem_type.rsplit("/", 1)[-1]


@contextmanager
def behind_proxy(
    stack: Stack,
    *,
    clock: ManualClock | None = None,
    reporter: ErrorReporter | None = None,
    **env: str,
) -> Iterator[tuple[ForwardingClient, Services]]:
    """The stack's app under uvicorn, trusting loopback as its proxy, jobs on the Redis broker."""
    settings = Settings.from_env({**stack.env, "TRUSTED_PROXIES": LOOPBACK_PROXY, **env})
    overrides = {} if reporter is None else {ErrorReporter: reporter}
    services = build_services(settings, clock=clock, overrides=overrides)
    with live_server(services, embedded_worker=False) as client:
        yield client, services


def register(client: ForwardingClient, stack: Stack, email: str, phone: str, *, ip: str) -> None:
    """Register over HTTP with a real Turnstile token."""
    body = {
        "email": email,
        "phone": phone,
        "password": PASSWORD,
        "role": "worker",
        "turnstile_token": stack.turnstile.issue("register"),
    }
    response = client.post("/api/v1/auth/register", ip=ip, json=body)
    assert response.status_code == 202, response.text


def send_code(
    client: ForwardingClient, stack: Stack, channel: str, to: str, purpose: str, *, ip: str
) -> httpx.Response:
    """otp/send with a fresh, valid Turnstile token (the attacker solves every challenge)."""
    body = {
        "channel": channel,
        "destination": to,
        "purpose": purpose,
        "turnstile_token": stack.turnstile.issue("otp_send"),
    }
    return client.post("/api/v1/auth/otp/send", ip=ip, json=body)


def verify_code(
    client: ForwardingClient, channel: str, to: str, purpose: str, code: str, *, ip: str
) -> httpx.Response:
    """otp/verify (no captcha on code entry)."""
    body = {"channel": channel, "destination": to, "purpose": purpose, "code": code}
    return client.post("/api/v1/auth/otp/verify", ip=ip, json=body)


def wrong_codes(real: str, seed: int = 4) -> Iterator[str]:
    """Endless six-digit guesses that are never the real code."""
    rng = random.Random(seed)
    while True:
        guess = f"{rng.randrange(10**6):06d}"
        if guess != real:
            yield guess


def deliveries(services: Services, channel: str) -> list[Any]:
    """Every delivery row of a channel."""
    query = select(t.deliveries).where(t.deliveries.c.channel == channel)
    with services.engine.connect() as conn:
        return [row._mapping for row in conn.execute(query)]


def superseded(services: Services, channel: str, to: str) -> int:
    """Deliveries to `to` never sent because a newer code replaced theirs first (dead codes)."""
    return sum(
        1
        for row in deliveries(services, channel)
        if row["destination"] == to
        and row["status"] == DeliveryStatus.EXPIRED.value
        and row["error_code"] == "code_not_live"
    )


def all_settled(services: Services, channel: str) -> bool:
    """Every delivery of the channel left the queue (sent, or failed for good)."""
    pending = (DeliveryStatus.QUEUED.value, DeliveryStatus.SENDING.value)
    return all(row["status"] not in pending for row in deliveries(services, channel))


def audit_count(services: Services, event: str, account_id: str | None = None) -> int:
    """How many audit events of a type were written (optionally for one account)."""
    a = t.audit_events
    query = select(func.count()).select_from(a).where(a.c.event == event)
    if account_id is not None:
        query = query.where(a.c.account_id == account_id)
    with services.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def account_id_of(services: Services, email: str) -> str:
    """The id of the account owning an email."""
    with services.uow() as uow:
        account = uow.accounts.by_email(email)
    assert account is not None
    return account.id


def sign_in(
    client: ForwardingClient,
    stack: Stack,
    email: str,
    password: str,
    *,
    ip: str,
    human: bool = True,
) -> httpx.Response:
    """Password sign-in; with a fresh Turnstile token unless `human` is False."""
    body: dict[str, str] = {"email": email, "password": password}
    if human:
        body["turnstile_token"] = stack.turnstile.issue("login")
    return client.post("/api/v1/auth/login", ip=ip, json=body)
