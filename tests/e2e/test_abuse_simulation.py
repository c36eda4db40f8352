"""Issue 4 acceptance: scripted abuse against real Redis, MariaDB and counting provider stubs.

Scenarios (a), (c) and (d) need the app to see many client addresses, so they run the app under
uvicorn behind a trusted loopback "proxy" that sets X-Forwarded-For (the TestClient's peer is
the host name 'testclient', which no TRUSTED_PROXIES entry can match). Where a scenario spans
hours, the app runs on a ManualClock started at the real time and moved forward between
requests; the worker process keeps the system clock, so no message looks expired to it.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis

from domestyx.adapters.memory.clock import ManualClock
from domestyx.adapters.memory.monitoring import RecordingErrorReporter
from domestyx.domain.model.abuse import Scope
from domestyx.domain.model.accounts import Role
from domestyx.domain.model.audit import ClientContext
from domestyx.domain.model.otp import OtpSlot, Purpose
from tests.stubs.base import Fault, Reply
from tests.support.abuse_sim import (
    account_id_of,
    all_settled,
    attacker_ip,
    audit_count,
    behind_proxy,
    deliveries,
    register,
    send_code,
    slug,
    verify_code,
    wrong_codes,
)
from tests.support.app import PASSWORD
from tests.support.services import wait_until
from tests.support.stack import Stack, WorkerProcess, email_code

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
EMAIL, PHONE = "victim@example.com", "+447700900555"
SETUP_IP = "203.0.113.10"


def _hourly_peak(moments: list[datetime]) -> int:
    """The most moments inside any sliding hour."""
    return max(
        (sum(1 for m in moments if s <= m < s + timedelta(hours=1)) for s in moments), default=0
    )


def test_a_one_number_from_200_ips_gets_at_most_its_destination_cap(
    stack: Stack, worker: WorkerProcess
) -> None:
    clock = ManualClock(datetime.now(UTC))
    with behind_proxy(stack, clock=clock) as (client, services):
        register(client, stack, EMAIL, PHONE, ip=SETUP_IP)
        code = email_code(stack, EMAIL)
        proof = verify_code(client, "email", EMAIL, "verify_email", code, ip=SETUP_IP)
        assert proof.json()["email_verified"] is True  # so SMS to PHONE is really deliverable
        captcha_calls = len(stack.turnstile.requests)

        outcomes: Counter[str] = Counter()
        accepted_at: list[datetime] = []
        for i in range(1000):  # one every 30 s: 8.3 simulated hours
            clock.advance(30)
            response = send_code(
                client, stack, "sms", PHONE, "verify_phone", ip=attacker_ip(i % 200)
            )
            outcomes[slug(response)] += 1
            if response.status_code == 202:
                accepted_at.append(clock.now())
        assert wait_until(lambda: all_settled(services, "sms"), timeout=30)

    caps = {
        limit.window: limit.count
        for limit in services.guard.policy.limits["otp_send"]
        if limit.scope is Scope.DESTINATION
    }
    seen_ips = {r.form()["remoteip"][0] for r in stack.turnstile.requests[captcha_calls:]}
    reached = [m for m in stack.twilio.sent() if m["to"] == PHONE]
    print(
        f"\n[abuse a] 1000 OTP sends to one number from {len(seen_ips)} client IPs: "
        f"{len(reached)} SMS reached the Twilio stub; answers {dict(outcomes)}"
    )
    assert len(seen_ips) == 200  # the app saw every rotating address, through the proxy
    assert len(reached) == outcomes["202"] == len(deliveries(services, "sms"))
    assert len(reached) <= caps[timedelta(hours=24)]
    assert _hourly_peak(accepted_at) <= caps[timedelta(hours=1)]
    assert set(outcomes) == {"202", "resend-too-soon", "rate-limited"}


def test_b_a_thousand_numbers_in_a_refused_prefix_get_no_sms(
    api: Any, stack: Stack, worker: WorkerProcess
) -> None:
    assert not any(p.startswith("+371") for p in api.services.settings.policy.sms_allowed_prefixes)
    outcomes: Counter[tuple[int, str]] = Counter()
    for i in range(1000):
        body = {
            "channel": "sms",
            "destination": f"+3712{i:07d}",  # Latvian mobiles: a classic pumping range
            "purpose": "verify_phone",
            "turnstile_token": stack.turnstile.issue("otp_send"),
        }
        response = api.post("/api/v1/auth/otp/send", json=body)
        outcomes[(response.status_code, slug(response))] += 1
    time.sleep(1)  # a job, had one been queued, would have reached the stub by now
    reached = len(stack.twilio.requests)
    print(f"\n[abuse b] 1000 sends to 1000 numbers in +371: {reached} requests reached Twilio")
    assert outcomes == {(422, "destination-not-allowed"): 1000}
    assert reached == 0
    assert deliveries(api.services, "sms") == []


def test_c_the_global_budget_trips_the_breaker_and_email_still_works(
    stack: Stack, worker: WorkerProcess
) -> None:
    budget, reporter = 20, RecordingErrorReporter()
    prefixes = ("+4477009", "+1415555", "+2547000")
    phones = [f"{prefixes[i % 3]}{i:04d}" for i in range(36)]
    with behind_proxy(stack, reporter=reporter, SMS_HOURLY_BUDGET=str(budget)) as (
        client,
        services,
    ):
        emails = [_verified_email_account(services, i, phone) for i, phone in enumerate(phones)]
        outcomes: list[tuple[int, str]] = []
        for i, phone in enumerate(phones):
            response = send_code(client, stack, "sms", phone, "verify_phone", ip=attacker_ip(i))
            outcomes.append((response.status_code, slug(response)))
            assert response.status_code in (202, 503), response.text
        for i in range(100):  # keep hammering, now at numbers nobody owns
            to = f"{prefixes[i % 3]}{5000 + i:04d}"
            response = send_code(client, stack, "sms", to, "verify_phone", ip=attacker_ip(100 + i))
            outcomes.append((response.status_code, slug(response)))
        assert "Retry-After" in response.headers

        mail = send_code(client, stack, "email", emails[0], "login", ip=attacker_ip(999))
        assert mail.status_code == 202
        assert wait_until(lambda: _login_code_sent(services, emails[0]), timeout=15)
        assert wait_until(lambda: all_settled(services, "sms"), timeout=30)

    reached = len(stack.twilio.sent())
    alerts = [m for m in reporter.messages if "breaker" in m[0]]
    print(
        f"\n[abuse c] {len(outcomes)} SMS sends across {len(prefixes)} allowed prefixes, "
        f"budget {budget}/h: {reached} SMS reached the Twilio stub; "
        f"answers {dict(Counter(outcomes))}; breaker alerts {len(alerts)}"
    )
    assert reached <= budget
    assert outcomes[:budget] == [(202, "202")] * budget
    assert outcomes[budget:] == [(503, "sms-budget-exhausted")] * (len(outcomes) - budget)
    assert len(alerts) == 1 and alerts[0][1] == "error"
    assert audit_count(services, "sms_breaker_tripped") == 1


def _login_code_sent(services: Any, email: str) -> bool:
    """The sign-in code email left through the Resend stub."""
    return any(
        row["destination"] == email and row["purpose"] == "login" and row["status"] == "sent"
        for row in deliveries(services, "email")
    )


def _verified_email_account(services: Any, i: int, phone: str) -> str:
    """Register through the service, then mark the email proven (skips 36 email round trips)."""
    email = f"member{i}@example.com"
    services.accounts.register(email, phone, PASSWORD, Role.WORKER, ClientContext(ip=SETUP_IP))
    with services.uow() as uow:
        account = uow.accounts.by_email(email, for_update=True)
        account.verify_email(services.clock.now())
        uow.accounts.save(account)
        uow.commit()
    return email


GUESSES = 10_000


def test_d_ten_thousand_guesses_never_succeed_and_stop_counting_at_the_caps(
    stack: Stack, worker: WorkerProcess
) -> None:
    # 10,000 guesses spread over 23 simulated hours: long enough for the rising delay to reach
    # the lockout cap, short enough that no failure leaves the 24-hour window meanwhile.
    clock = ManualClock(datetime.now(UTC))
    step = timedelta(hours=23) / GUESSES
    started = time.monotonic()
    with behind_proxy(stack, clock=clock) as (client, services):
        register(client, stack, EMAIL, PHONE, ip=SETUP_IP)
        code = email_code(stack, EMAIL)
        account_id = account_id_of(services, EMAIL)
        guesses = wrong_codes(code)
        answers: list[str] = []
        real_while_exhausted, attempts = "", -1
        for i in range(GUESSES):
            clock.advance(step)
            answer = slug(
                verify_code(
                    client, "email", EMAIL, "verify_email", next(guesses), ip=attacker_ip(i)
                )
            )
            answers.append(answer)
            if answer == "code-attempts-exhausted" and not real_while_exhausted:
                clock.advance(step)
                real = verify_code(client, "email", EMAIL, "verify_email", code, ip=attacker_ip(i))
                real_while_exhausted = slug(real)
                attempts = _slot_attempts(stack, services, EMAIL)
        elapsed = time.monotonic() - started

        # A fresh code is mailed, and the right code is still refused while the account is locked.
        mailed = len(stack.resend.emails)
        fresh = send_code(client, stack, "email", EMAIL, "verify_email", ip=attacker_ip(0))
        assert fresh.status_code == 202
        assert wait_until(lambda: len(stack.resend.emails) > mailed, timeout=15)
        locked = verify_code(
            client, "email", EMAIL, "verify_email", email_code(stack, EMAIL), ip=attacker_ip(1)
        )

    lockout = services.guard.lockout
    tally = services.guard.failures.tally(
        f"acct:{account_id}", now=clock.now(), window=lockout.window
    )
    counts = Counter(answers)
    print(
        f"\n[abuse d] {GUESSES} wrong codes from {GUESSES} IPs over 23 simulated hours in "
        f"{elapsed:.1f}s: answers {dict(counts)}; failures counted {tally.count} "
        f"(cap {lockout.max_failures}); real code while the slot was exhausted -> "
        f"{real_while_exhausted}, while locked -> {slug(locked)}"
    )
    assert "200" not in counts
    assert answers[:5] == ["invalid-code"] * 5
    assert next(a for a in answers[5:] if a != "account-locked") == "code-attempts-exhausted"
    assert real_while_exhausted == "code-attempts-exhausted"
    assert attempts == 5  # the slot stopped counting at its cap
    assert tally.count == lockout.max_failures  # so did the account
    assert audit_count(services, "otp_failed", account_id) == lockout.max_failures
    assert audit_count(services, "lockout", account_id) == 1
    assert answers[-1] == "account-locked"
    assert (locked.status_code, slug(locked)) == (429, "account-locked")
    assert int(locked.headers["Retry-After"]) > 3600


def _slot_attempts(stack: Stack, services: Any, email: str) -> int:
    """The attempt counter Redis holds for the code slot."""
    key = "dx:otp:" + OtpSlot(Purpose.VERIFY_EMAIL, email).key(services.codes.hasher)
    client = redis.Redis.from_url(stack.redis_url)
    try:
        return int(client.hget(key, "n") or 0)
    finally:
        client.close()


def _captcha_body(endpoint: str, token: str | None, n: int) -> tuple[str, dict[str, Any]]:
    bodies: dict[str, tuple[str, dict[str, Any]]] = {
        "register": (
            "/api/v1/auth/register",
            {
                "email": f"new{n}@example.com",
                "phone": f"+4477009{n:05d}",
                "password": PASSWORD,
                "role": "employer",
            },
        ),
        "login": ("/api/v1/auth/login", {"email": EMAIL, "password": PASSWORD}),
        "otp_send": (
            "/api/v1/auth/otp/send",
            {"channel": "email", "destination": f"x{n}@example.com", "purpose": "verify_email"},
        ),
    }
    path, body = bodies[endpoint]
    return path, body if token is None else {**body, "turnstile_token": token}


def _expired(stack: Stack, action: str) -> str:
    token = stack.turnstile.issue(action)
    stack.turnstile.tokens[token].issued_at -= 301  # Turnstile tokens live 300 s
    return token


@pytest.mark.parametrize("endpoint", ["register", "login", "otp_send"])
def test_e_missing_wrong_expired_or_reused_tokens_are_refused(
    api: Any, stack: Stack, endpoint: str
) -> None:
    other_action = "login" if endpoint != "login" else "register"
    spent = stack.turnstile.issue(endpoint)
    path, body = _captcha_body(endpoint, spent, 0)
    assert api.post(path, json=body).status_code != 400  # its first use is fine
    tokens = {
        "missing": None,
        "empty": "",
        "wrong": "not-a-turnstile-token",
        "dummy": "XXXX.DUMMY.TOKEN.XXXX",  # refused once a real secret is configured
        "expired": _expired(stack, endpoint),
        "reused": spent,
        "other action": stack.turnstile.issue(other_action),
        "other hostname": stack.turnstile.issue(endpoint, hostname="evil.example"),
    }
    answers = {}
    for n, (kind, token) in enumerate(tokens.items(), start=1):
        path, body = _captcha_body(endpoint, token, n)
        response = api.post(path, json=body)
        answers[kind] = (response.status_code, slug(response))
    assert answers == dict.fromkeys(tokens, (400, "captcha-failed"))


@pytest.mark.parametrize(
    "fault",
    [Fault.disconnect(), Fault.answer(Reply.json(500, {"error-codes": ["internal-error"]}))],
    ids=["network-down", "siteverify-500"],
)
def test_e_siteverify_failure_is_503_never_a_pass(api: Any, stack: Stack, fault: Fault) -> None:
    for n, endpoint in enumerate(("register", "login", "otp_send")):
        stack.turnstile.script(fault, fault)  # the adapter retries once
        path, body = _captcha_body(endpoint, stack.turnstile.issue(endpoint), n)
        response = api.post(path, json=body)
        assert (response.status_code, slug(response)) == (503, "dependency-unavailable")
        assert response.json()["dependency"] == "turnstile" and "Retry-After" in response.headers
    path, body = _captcha_body("otp_send", stack.turnstile.issue("otp_send"), 9)
    assert api.post(path, json=body).status_code == 202  # recovered once siteverify answers


def test_e_code_entry_needs_no_captcha(api: Any, stack: Stack, worker: WorkerProcess) -> None:
    path, body = _captcha_body("register", stack.turnstile.issue("register"), 0)
    assert api.post(path, json=body).status_code == 202
    code = email_code(stack, body["email"])
    asked = len(stack.turnstile.requests)
    verify = {"channel": "email", "destination": body["email"], "purpose": "verify_email"}
    response = api.post("/api/v1/auth/otp/verify", json={**verify, "code": code})
    assert response.status_code == 200, response.text
    assert len(stack.turnstile.requests) == asked


def _forgot(client: Any, stack: Stack, channel: str, to: str, *, ip: str) -> Any:
    body = {
        "channel": channel,
        "destination": to,
        "turnstile_token": stack.turnstile.issue("password_forgot"),
    }
    return client.post("/api/v1/auth/password/forgot", ip=ip, json=body)


def _proven_member(client: Any, stack: Stack, services: Any, email: str, phone: str) -> None:
    """Register over HTTP and prove both contacts, as the owner would."""
    register(client, stack, email, phone, ip=SETUP_IP)
    code = email_code(stack, email)
    assert verify_code(client, "email", email, "verify_email", code, ip=SETUP_IP).status_code == 200
    assert send_code(client, stack, "sms", phone, "verify_phone", ip=SETUP_IP).status_code == 202
    assert wait_until(lambda: any(m["to"] == phone for m in stack.twilio.sent()), timeout=15)
    sms = next(m for m in stack.twilio.sent() if m["to"] == phone)["body"][:6]
    assert verify_code(client, "sms", phone, "verify_phone", sms, ip=SETUP_IP).status_code == 200


def test_f_recovery_and_change_sends_are_capped_like_other_sends(
    stack: Stack, worker: WorkerProcess
) -> None:
    clock = ManualClock(datetime.now(UTC))
    with behind_proxy(stack, clock=clock) as (client, services):
        _proven_member(client, stack, services, EMAIL, PHONE)
        texted = len(stack.twilio.sent())
        forgot: Counter[str] = Counter()
        accepted_at: list[datetime] = []
        for i in range(600):  # one every 30 s from 200 addresses: 5 simulated hours
            clock.advance(30)
            response = _forgot(client, stack, "sms", PHONE, ip=attacker_ip(i % 200))
            forgot[slug(response)] += 1
            if response.status_code == 202:
                accepted_at.append(clock.now())
        assert wait_until(lambda: all_settled(services, "sms"), timeout=30)
        reset_sms = len(stack.twilio.sent()) - texted

        # A signed-in attacker asks for change codes to one address, from rotating addresses.
        login = {
            "email": EMAIL,
            "password": PASSWORD,
            "turnstile_token": stack.turnstile.issue("login"),
        }
        tokens = client.post("/api/v1/auth/login", ip=SETUP_IP, json=login).json()
        auth = {"X-Forwarded-For": "", "Authorization": f"Bearer {tokens['access_token']}"}
        target, change = "inbox@example.net", Counter[str]()
        for i in range(80):  # one every 10 s: 13 simulated minutes, inside the token's life
            clock.advance(10)
            auth["X-Forwarded-For"] = attacker_ip(300 + i)
            body = {"new_email": target, "password": PASSWORD}
            change[slug(client.http.post("/api/v1/me/email", json=body, headers=auth))] += 1
        assert wait_until(lambda: all_settled(services, "email"), timeout=30)

    caps = {
        limit.window: limit.count
        for limit in services.guard.policy.limits["otp_send"]
        if limit.scope is Scope.DESTINATION
    }
    account_cap = next(
        limit.count
        for limit in services.guard.policy.limits["contact_change"]
        if limit.scope is Scope.ACCOUNT
    )
    change_mail = len([e for e in stack.resend.emails if e.params["to"] in (target, [target])])
    print(
        f"\n[abuse f] 600 password/forgot by SMS to one number from 200 IPs: {reset_sms} SMS "
        f"reached the Twilio stub; answers {dict(forgot)}. 80 email-change requests to one "
        f"address: {change_mail} emails reached the Resend stub; answers {dict(change)}"
    )
    assert reset_sms == forgot["202"] <= caps[timedelta(hours=24)]
    assert _hourly_peak(accepted_at) <= caps[timedelta(hours=1)]
    assert set(forgot) == {"202", "resend-too-soon", "rate-limited"}
    assert 1 <= change_mail == change["202"] <= min(caps.values())
    assert change["202"] + change["resend-too-soon"] <= account_cap
    assert change["rate-limited"] >= 80 - account_cap
