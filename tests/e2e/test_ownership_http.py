"""Issue 12 over HTTP on MariaDB + Redis: one owner per contact, no pre-hijack, no squatting.

A live uvicorn server behind a trusted proxy (so callers have their own addresses), jobs on the
Redis broker with a real worker process, provider stubs for email and SMS, and a ManualClock
started at the real time so cooldowns and the pending TTL pass without waiting.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domestyx.adapters.memory.clock import ManualClock
from domestyx.entrypoints.services import Services
from tests.support.abuse_sim import audit_count, behind_proxy, send_code, verify_code
from tests.support.live_server import ForwardingClient
from tests.support.services import wait_until
from tests.support.spellings import spellings
from tests.support.stack import Stack, WorkerProcess, email_code, sms_code

pytestmark = pytest.mark.e2e
OWNER_EMAIL, OWNER_PHONE, OWNER_PW = "owner@example.com", "+447700900123", "maple syrup river 42"
STRANGER_PHONE, STRANGER_PW = "+447700900666", "quiet violet engine 77"
OWNER_IP, STRANGER_IP = "198.51.100.10", "203.0.113.66"
ARABIC_OWNER_PHONE = "+٤٤٧٧٠٠٩٠٠١٢٣"  # the owner's number in Arabic-Indic digits
COOLDOWN = 61


@pytest.fixture
def app(stack: Stack, worker: WorkerProcess) -> Iterator[tuple[ForwardingClient, Services]]:
    with behind_proxy(stack, clock=ManualClock(datetime.now(UTC))) as running:
        yield running


def clock_of(services: Services) -> ManualClock:
    clock = services.clock
    assert isinstance(clock, ManualClock)
    return clock


def register(
    client: ForwardingClient, stack: Stack, email: str, phone: str, password: str, *, ip: str
) -> httpx.Response:
    body = {
        "email": email,
        "phone": phone,
        "password": password,
        "role": "worker",
        "turnstile_token": stack.turnstile.issue("register"),
    }
    return client.post("/api/v1/auth/register", ip=ip, json=body)


def login(
    client: ForwardingClient, stack: Stack, password: str, *, ip: str, **who: str
) -> httpx.Response:
    body = {**who, "password": password, "turnstile_token": stack.turnstile.issue("login")}
    return client.post("/api/v1/auth/login", ip=ip, json=body)


def emails_to(stack: Stack, to: str) -> list[Any]:
    return [e for e in stack.resend.emails if to in str(e.params["to"])]


def nth_code(stack: Stack, to: str, n: int) -> str:
    """The code of the n-th email (1-based) to `to`, once it has arrived."""
    assert wait_until(lambda: len(emails_to(stack, to)) >= n, 15), f"email {n} to {to} missing"
    import re

    match = re.search(r"\b(\d{6})\b", emails_to(stack, to)[n - 1].params["text"])
    assert match is not None
    return match.group(1)


def claims(services: Services, phone: str) -> list[Any]:
    with services.uow() as uow:
        return list(uow.accounts.phone_claims(phone))


def refusal(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.status_code, body["type"], body["detail"]


def prove_email(client: ForwardingClient, stack: Stack, email: str, *, ip: str) -> None:
    response = verify_code(client, "email", email, "verify_email", email_code(stack, email), ip=ip)
    assert response.status_code == 200, response.text


def signed_in_post(
    client: ForwardingClient, path: str, token: str, *, ip: str, json: Any
) -> httpx.Response:
    headers = {"X-Forwarded-For": ip, "Authorization": f"Bearer {token}"}
    return client.http.post(path, json=json, headers=headers)


def prove_phone(
    client: ForwardingClient,
    stack: Stack,
    services: Services,
    phone: str,
    *,
    ip: str,
    token: str | None = None,
) -> httpx.Response:
    """Send and enter an SMS code, signed in when `token` is given."""
    clock_of(services).advance(COOLDOWN)
    target = {"channel": "sms", "destination": phone, "purpose": "verify_phone"}
    send = {**target, "turnstile_token": stack.turnstile.issue("otp_send")}
    if token is None:
        assert client.post("/api/v1/auth/otp/send", ip=ip, json=send).status_code == 202
    else:
        sent = signed_in_post(client, "/api/v1/auth/otp/send", token, ip=ip, json=send)
        assert sent.status_code == 202, sent.text
    verify = {**target, "code": sms_code(stack, services.accounts.contacts.phone(phone))}
    if token is None:
        return client.post("/api/v1/auth/otp/verify", ip=ip, json=verify)
    return signed_in_post(client, "/api/v1/auth/otp/verify", token, ip=ip, json=verify)


def test_pre_hijack_ends_with_the_owner_holding_the_account(
    app: tuple[ForwardingClient, Services], stack: Stack
) -> None:
    client, services = app
    r = register(client, stack, OWNER_EMAIL, STRANGER_PHONE, STRANGER_PW, ip=STRANGER_IP)
    assert r.status_code == 202
    # Signed in before any proof? Exactly the answer of a wrong password.
    early = login(client, stack, STRANGER_PW, ip=STRANGER_IP, email=OWNER_EMAIL)
    wrong = login(client, stack, "no such password here", ip=STRANGER_IP, email=OWNER_EMAIL)
    assert refusal(early) == refusal(wrong) and early.status_code == 401
    strangers_code = nth_code(stack, OWNER_EMAIL, 1)

    clock_of(services).advance(COOLDOWN)
    r = register(client, stack, OWNER_EMAIL, OWNER_PHONE, OWNER_PW, ip=OWNER_IP)
    assert r.status_code == 202
    owners_code = nth_code(stack, OWNER_EMAIL, 2)
    stale = verify_code(client, "email", OWNER_EMAIL, "verify_email", strangers_code, ip=OWNER_IP)
    assert stale.status_code in (400, 422) and "invalid-code" in refusal(stale)[1]
    proof = verify_code(client, "email", OWNER_EMAIL, "verify_email", owners_code, ip=OWNER_IP)
    assert proof.status_code == 200, proof.text

    assert login(client, stack, OWNER_PW, ip=OWNER_IP, email=OWNER_EMAIL).status_code == 200
    assert login(client, stack, STRANGER_PW, ip=STRANGER_IP, email=OWNER_EMAIL).status_code == 401
    assert claims(services, STRANGER_PHONE) == []  # the stranger's phone is gone
    (account,) = claims(services, OWNER_PHONE)
    assert account.email == OWNER_EMAIL
    assert prove_phone(client, stack, services, OWNER_PHONE, ip=OWNER_IP).json()["status"] == (
        "active"
    )
    assert audit_count(services, "register_replaced") == 1


def test_phone_squatting_never_blocks_the_owner(
    app: tuple[ForwardingClient, Services], stack: Stack
) -> None:
    client, services = app
    squatter = "squatter@example.com"
    assert (
        register(client, stack, squatter, OWNER_PHONE, STRANGER_PW, ip=STRANGER_IP).status_code
        == 202
    )
    prove_email(client, stack, squatter, ip=STRANGER_IP)
    # The owner, writing the number in Arabic-Indic digits, is not blocked by the claim.
    r = register(client, stack, OWNER_EMAIL, ARABIC_OWNER_PHONE, OWNER_PW, ip=OWNER_IP)
    assert r.status_code == 202
    prove_email(client, stack, OWNER_EMAIL, ip=OWNER_IP)
    # Two email-proven claims: the phone proof is bound to whoever is signed in.
    signed_in = login(client, stack, OWNER_PW, ip=OWNER_IP, email=OWNER_EMAIL)
    assert signed_in.status_code == 200, signed_in.text
    token = signed_in.json()["access_token"]
    proof = prove_phone(client, stack, services, ARABIC_OWNER_PHONE, ip=OWNER_IP, token=token)
    assert proof.status_code == 200 and proof.json()["status"] == "active"

    with services.uow() as uow:
        owner = uow.accounts.by_phone(OWNER_PHONE)
        squatting = uow.accounts.by_email(squatter)
    assert owner is not None and owner.email == OWNER_EMAIL
    assert squatting is not None and squatting.phone == ""  # released
    by_phone = login(client, stack, STRANGER_PW, ip=STRANGER_IP, phone=OWNER_PHONE)
    assert by_phone.status_code == 401
    assert login(client, stack, OWNER_PW, ip=OWNER_IP, phone=OWNER_PHONE).status_code == 200
    assert audit_count(services, "phone_released", squatting.id) == 1


def test_proven_contacts_cannot_be_claimed_and_the_cooldown_says_nothing(
    app: tuple[ForwardingClient, Services], stack: Stack
) -> None:
    client, services = app
    register(client, stack, OWNER_EMAIL, OWNER_PHONE, OWNER_PW, ip=OWNER_IP)
    prove_email(client, stack, OWNER_EMAIL, ip=OWNER_IP)
    assert prove_phone(client, stack, services, OWNER_PHONE, ip=OWNER_IP).status_code == 200
    clock_of(services).advance(COOLDOWN)
    assert _notices(stack) == []

    answers = []
    for email in (OWNER_EMAIL, "fresh@example.com"):
        r = register(client, stack, email, STRANGER_PHONE, STRANGER_PW, ip=STRANGER_IP)
        then = send_code(client, stack, "email", email, "verify_email", ip=STRANGER_IP)
        answers.append((r.status_code, r.json(), then.status_code, refusal(then)[1]))
    assert answers[0] == answers[1] and answers[0][2] == 429
    assert wait_until(lambda: len(_notices(stack)) == 1, 15)  # the owner is told

    clock_of(services).advance(3700)  # past the once-an-hour notice limit
    r = register(client, stack, "thief@example.com", OWNER_PHONE, STRANGER_PW, ip=STRANGER_IP)
    assert r.status_code == 202
    with services.uow() as uow:
        assert uow.accounts.by_email("thief@example.com") is None  # the proven phone refused
        owner = uow.accounts.by_email(OWNER_EMAIL)
    assert owner is not None and owner.phone == OWNER_PHONE
    assert wait_until(lambda: len(_notices(stack)) >= 2, 15)
    assert audit_count(services, "register_duplicate", owner.id) == 2
    assert login(client, stack, OWNER_PW, ip=OWNER_IP, email=OWNER_EMAIL).status_code == 200


def _notices(stack: Stack) -> list[Any]:
    return [e for e in emails_to(stack, OWNER_EMAIL) if "tried to sign up" in e.params["subject"]]


def test_unproven_registrations_expire_and_free_their_contacts(
    app: tuple[ForwardingClient, Services], stack: Stack
) -> None:
    client, services = app
    assert (
        register(client, stack, OWNER_EMAIL, OWNER_PHONE, STRANGER_PW, ip=STRANGER_IP).status_code
        == 202
    )
    (squat,) = claims(services, OWNER_PHONE)
    clock_of(services).advance(timedelta(hours=71))
    assert services.retention.purge_due().report.pending_deleted == 0
    clock_of(services).advance(timedelta(hours=2))
    assert services.retention.purge_due().report.pending_deleted == 1  # the purge job's own call
    assert claims(services, OWNER_PHONE) == []
    assert audit_count(services, "pending_expired", squat.id) == 1
    assert (
        register(client, stack, OWNER_EMAIL, OWNER_PHONE, OWNER_PW, ip=OWNER_IP).status_code == 202
    )
    (fresh,) = claims(services, OWNER_PHONE)
    assert fresh.id != squat.id


def test_weak_passwords_are_refused_with_a_reason_and_nothing_written(
    app: tuple[ForwardingClient, Services], stack: Stack
) -> None:
    client, services = app
    for password, why in (
        ("password123", "common or breached"),
        ("owner-is-me-2026", "email address"),
        ("domestyx-rocks", "name of the service"),
        ("short", "8 to 128"),
    ):
        r = register(client, stack, OWNER_EMAIL, OWNER_PHONE, password, ip=OWNER_IP)
        status, kind, detail = refusal(r)
        assert status == 422 and kind.endswith("weak-password") and why in detail, r.text
    assert claims(services, OWNER_PHONE) == []
    assert audit_count(services, "password_rejected") == 4


_numbers = itertools.count(1)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_spelling_is_one_row_value_and_one_limit_key(
    app: tuple[ForwardingClient, Services], stack: Stack, data: st.DataObject
) -> None:
    client, services = app
    n = next(_numbers)
    number = f"+4477009{n:05d}"
    spelled = data.draw(st.lists(spellings(number), min_size=2, max_size=3), label="spellings")
    limiter = redis.Redis.from_url(stack.redis_url)
    pattern = "dx:rl:otp_send:destination:3600:*"
    before = set(limiter.scan_iter(pattern))
    for i, raw in enumerate(spelled):
        ip = f"192.0.2.{n * 3 + i}"  # per-address limits stay out of the way
        r = register(client, stack, f"p{n}-{i}@example.com", raw, OWNER_PW, ip=ip)
        assert r.status_code == 202, r.text
        clock_of(services).advance(COOLDOWN)
        sent = send_code(client, stack, "sms", raw, "verify_phone", ip=ip)
        assert sent.status_code == 202, sent.text
    rows = claims(services, number)
    assert len(rows) == len(spelled) and {row.phone for row in rows} == {number}
    assert len(set(limiter.scan_iter(pattern)) - before) == 1  # one destination key


def test_bad_input_on_the_changed_routes_is_a_4xx_problem(
    app: tuple[ForwardingClient, Services], stack: Stack
) -> None:
    client, services = app
    for phone in (
        "+44 \u0667\u0667\u0660\u0660 9001",
        "+44 7700 900123 ext 9",
        "+999 1234 5678",
        "07700900123",
    ):
        r = register(client, stack, OWNER_EMAIL, phone, OWNER_PW, ip=OWNER_IP)
        status, kind, detail = refusal(r)
        assert (status, kind.rsplit("/", 1)[-1]) == (
            422,
            "invalid-input",
        ) and "+447700900123" in detail
        assert r.json()["errors"][0]["field"] == "phone"
    for email in ("owner@", "Owner <owner@example.com>", "owner@[127.0.0.1]"):
        r = register(client, stack, email, OWNER_PHONE, OWNER_PW, ip=OWNER_IP)
        assert refusal(r)[0] == 422 and r.json()["errors"][0]["field"] == "email"
    send = {"channel": "sms", "destination": OWNER_PHONE, "purpose": "verify_phone"}
    send["turnstile_token"] = stack.turnstile.issue("otp_send")
    garbage = signed_in_post(client, "/api/v1/auth/otp/send", "not-a-jwt", ip=OWNER_IP, json=send)
    assert refusal(garbage)[0] == 401
    verify = {"channel": "sms", "destination": OWNER_PHONE, "purpose": "verify_phone"}
    verify["code"] = "123456"
    forged = signed_in_post(client, "/api/v1/auth/otp/verify", "x.y.z", ip=OWNER_IP, json=verify)
    assert refusal(forged)[0] == 401
    assert claims(services, OWNER_PHONE) == []  # nothing was written by any of these
