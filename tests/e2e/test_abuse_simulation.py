"""Issues 4 and 12: scripted abuse against real Redis, MariaDB and counting provider stubs.

Scenarios (a), (c), (d), (f), (g) and (h) need the app to see many client addresses, so they run
the app under uvicorn behind a trusted loopback "proxy" that sets X-Forwarded-For (the
TestClient's peer is the host name 'testclient', which no TRUSTED_PROXIES entry can match).
Where a scenario spans hours, the app runs on a ManualClock started at the real time and moved
forward between requests; the worker process keeps the system clock, so no message looks
expired to it.
"""

from __future__ import annotations

import threading
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
    sign_in,
    slug,
    superseded,
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
    # An accepted send whose code a later send replaced before the worker got to it is never
    # delivered (a dead code): it is marked expired instead, so sent + superseded = accepted.
    dead = superseded(services, "sms", PHONE)
    assert len(reached) + dead == outcomes["202"] == len(deliveries(services, "sms"))
    assert 1 <= len(reached) <= caps[timedelta(hours=24)]
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
        emails = [
            _verified_email_account(services, stack, i, phone) for i, phone in enumerate(phones)
        ]
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


def _verified_email_account(services: Any, stack: Stack, i: int, phone: str) -> str:
    """Register through the service, then mark the email proven (skips 36 email round trips)."""
    email = f"member{i}@example.com"
    # Each from its own address: registration is limited per IP by the service itself.
    ctx, token = ClientContext(ip=attacker_ip(30_000 + i)), stack.turnstile.issue("register")
    services.accounts.register(email, phone, PASSWORD, Role.WORKER, ctx, token=token)
    with services.uow() as uow:
        account = uow.accounts.by_email(email, for_update=True)
        account.verify_email(services.clock.now())
        uow.accounts.save(account)
        uow.commit()
    return email


GUESSES = 10_000


def test_d_ten_thousand_guesses_never_succeed_count_only_at_the_live_code_and_lock_no_one_out(
    stack: Stack, worker: WorkerProcess
) -> None:
    # 10,000 guesses spread over 23 simulated hours, each from another address: five reach the
    # live code and count; the rest meet an exhausted slot, then no live code at all, and cost
    # only their callers' rate limits. The owner's next code works at once.
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
        lockout = services.guard.lockout
        tally = services.guard.failures.tally(
            f"acct:{account_id}", now=clock.now(), window=lockout.window
        )

        # The owner asks for a fresh code and proves the email with it, from their own address.
        mailed = len(stack.resend.emails)
        fresh = send_code(client, stack, "email", EMAIL, "verify_email", ip=SETUP_IP)
        assert fresh.status_code == 202
        assert wait_until(lambda: len(stack.resend.emails) > mailed, timeout=15)
        proof = verify_code(
            client, "email", EMAIL, "verify_email", email_code(stack, EMAIL), ip=SETUP_IP
        )

    counts = Counter(answers)
    counted = _otp_failures(services, account_id, "counted")
    uncounted = _otp_failures(services, account_id, "not_counted")
    print(
        f"\n[abuse d] {GUESSES} wrong codes from {GUESSES} IPs over 23 simulated hours in "
        f"{elapsed:.1f}s: answers {dict(counts)}; failures counted toward the lockout "
        f"{tally.count} (audited {counted}, not counted {uncounted}); "
        f"real code while the slot was exhausted -> {real_while_exhausted}; the owner's fresh "
        f"code -> {proof.status_code}"
    )
    assert "200" not in counts
    assert answers[:5] == ["invalid-code"] * 5
    assert answers[5] == "code-attempts-exhausted"
    assert real_while_exhausted == "code-attempts-exhausted"
    assert attempts == 5  # the slot stopped counting at its cap
    assert tally.count == counted == 5  # only the guesses at the live code count
    assert audit_count(services, "otp_failed", account_id) == GUESSES + 1
    assert audit_count(services, "lockout", account_id) == 0
    assert answers[-1] == "code-expired"  # long expired: no live code, nothing counted
    assert proof.status_code == 200, proof.text
    assert proof.json()["email_verified"] is True


def _otp_failures(services: Any, account_id: str, lockout: str) -> int:
    """Failed-code audit events of an account by whether they counted toward its lockout."""
    with services.uow() as uow:
        events = uow.audit.for_account(account_id, limit=20_000)
    return sum(1 for e in events if e.event == "otp_failed" and e.details.get("lockout") == lockout)


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
    expected = dict.fromkeys(tokens, (400, "captcha-failed"))
    if endpoint == "login":  # demanded only after failures (scenario f); a token given is redeemed
        expected |= dict.fromkeys(("missing", "empty"), (401, "invalid-credentials"))
    assert answers == expected


@pytest.mark.parametrize(
    "fault",
    [Fault.disconnect(), Fault.answer(Reply.json(500, {"error-codes": ["internal-error"]}))],
    ids=["network-down", "siteverify-500"],
)
def test_e_siteverify_failure_is_503_never_a_pass(api: Any, stack: Stack, fault: Fault) -> None:
    for n, endpoint in enumerate(("register", "login", "otp_send")):  # login: a token given
        stack.turnstile.script(fault, fault)  # the adapter retries once
        path, body = _captcha_body(endpoint, stack.turnstile.issue(endpoint), n)
        response = api.post(path, json=body)
        assert (response.status_code, slug(response)) == (503, "dependency-unavailable")
        assert response.json()["dependency"] == "turnstile" and "Retry-After" in response.headers
    path, body = _captcha_body("otp_send", stack.turnstile.issue("otp_send"), 9)
    assert api.post(path, json=body).status_code == 202  # recovered once siteverify answers


def test_e_code_entry_needs_no_captcha(api: Any, stack: Stack, worker: WorkerProcess) -> None:
    # A fresh address (n=0 is registered by the captcha tests: a second try only gets a notice).
    path, body = _captcha_body("register", stack.turnstile.issue("register"), 77)
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
        texted_dead = superseded(services, "sms", PHONE)
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
    # Sent + superseded (a newer code replaced it before delivery) = accepted, as in (a).
    assert reset_sms >= 1
    assert reset_sms + superseded(services, "sms", PHONE) - texted_dead == forgot["202"]
    assert forgot["202"] <= caps[timedelta(hours=24)]
    assert _hourly_peak(accepted_at) <= caps[timedelta(hours=1)]
    assert set(forgot) == {"202", "resend-too-soon", "rate-limited"}
    assert change_mail >= 1
    assert change_mail + superseded(services, "email", target) == change["202"]
    assert change["202"] <= min(caps.values())
    assert change["202"] + change["resend-too-soon"] <= account_cap
    assert change["rate-limited"] >= 80 - account_cap


OWNER_IP = "203.0.113.77"
STRANGERS = 400


def test_g_strangers_on_many_addresses_never_keep_the_owner_out(
    stack: Stack, worker: WorkerProcess
) -> None:
    with behind_proxy(stack) as (client, services):
        register(client, stack, EMAIL, PHONE, ip=OWNER_IP)
        proof = verify_code(
            client, "email", EMAIL, "verify_email", email_code(stack, EMAIL), ip=OWNER_IP
        )
        assert proof.status_code == 200, proof.text  # the owner proved the email from here
        account_id = account_id_of(services, EMAIL)
        strangers: Counter[str] = Counter()
        done = threading.Event()

        def hammer() -> None:
            for i in range(STRANGERS):
                # Most strangers solve the challenge (a captcha farm); every fourth does not.
                answer = sign_in(
                    client,
                    stack,
                    EMAIL,
                    "not the password",
                    ip=attacker_ip(20_000 + i),
                    human=i % 4 != 0,
                )
                strangers[slug(answer)] += 1
            done.set()

        thread = threading.Thread(target=hammer, daemon=True)
        thread.start()
        assert wait_until(lambda: _password_failures(services, account_id) >= 100, timeout=120)
        elsewhere = sign_in(client, stack, EMAIL, PASSWORD, ip="192.0.2.200")  # a new network
        owner = []
        for _ in range(3):  # the owner, from their own address, while the hammering goes on
            began = time.monotonic()
            response = sign_in(client, stack, EMAIL, PASSWORD, ip=OWNER_IP)
            owner.append((response.status_code, time.monotonic() - began))
        still_hammering = not done.is_set()
        neighbour = [
            slug(sign_in(client, stack, EMAIL, "guess", ip="198.51.100.66")) for _ in range(7)
        ]
        owner_after = sign_in(client, stack, EMAIL, PASSWORD, ip=OWNER_IP)
        thread.join(timeout=300)

    print(
        f"\n[abuse g] {STRANGERS} wrong passwords from {STRANGERS} addresses: answers "
        f"{dict(strangers)}; a new network with the right password -> {slug(elsewhere)}; the "
        f"owner from their address -> {[(s, f'{t * 1000:.0f} ms') for s, t in owner]} "
        f"(strangers still hammering: {still_hammering}); one network guessing 7 times -> "
        f"{neighbour}; audit: lockout {audit_count(services, 'lockout', account_id)}, "
        f"captcha_demanded {audit_count(services, 'captcha_demanded', account_id)}, "
        f"sign_in_throttled {audit_count(services, 'sign_in_throttled', account_id)}"
    )
    assert "200" not in strangers
    assert {"invalid-credentials", "captcha-required", "account-locked"} <= set(strangers)
    assert slug(elsewhere) == "account-locked"  # the NIST cap holds for networks never proven
    assert all(status == 200 and took < 1.0 for status, took in owner), owner
    assert "200" not in neighbour and neighbour[-1] == "account-locked"  # the failing client waits
    assert owner_after.status_code == 200  # the owner does not
    assert audit_count(services, "lockout", account_id) >= 1
    assert audit_count(services, "captcha_demanded", account_id) >= 1
    assert audit_count(services, "login_failed", account_id) >= strangers["invalid-credentials"]


def _password_failures(services: Any, account_id: str) -> int:
    """The account-wide count of consecutive wrong passwords."""
    now, window = services.clock.now(), services.guard.lockout.window
    return int(
        services.guard.failures.tally(f"login:acct:{account_id}", now=now, window=window).count
    )


def test_h_sends_to_numbers_nobody_owns_never_spend_the_sms_caps(
    stack: Stack, worker: WorkerProcess
) -> None:
    cap = 5
    with behind_proxy(stack, SMS_PREFIX_HOURLY_CAP=str(cap), SMS_HOURLY_BUDGET="50") as (
        client,
        services,
    ):
        noop: Counter[str] = Counter()
        for i in range(300):  # a pumping run at numbers no account holds
            to = f"+4477009{6000 + i:05d}"
            noop[slug(send_code(client, stack, "sms", to, "verify_phone", ip=attacker_ip(i)))] += 1
        phones = [f"+4477009{7000 + i:05d}" for i in range(cap + 1)]
        for i, phone in enumerate(phones):
            _verified_email_account(services, stack, 100 + i, phone)
        real = [
            slug(send_code(client, stack, "sms", phone, "verify_phone", ip=attacker_ip(500 + i)))
            for i, phone in enumerate(phones[:cap])
        ]
        exhausted_real = send_code(
            client, stack, "sms", phones[cap], "verify_phone", ip=attacker_ip(600)
        )
        exhausted_noop = send_code(
            client, stack, "sms", "+447700990001", "verify_phone", ip=attacker_ip(601)
        )
        _verified_email_account(services, stack, 200, "+14155550199")
        us = send_code(client, stack, "sms", "+14155550199", "verify_phone", ip=attacker_ip(602))
        assert wait_until(lambda: all_settled(services, "sms"), timeout=30)

    reached = [m["to"] for m in stack.twilio.sent()]
    print(
        f"\n[abuse h] 300 SMS sends to unowned +44 numbers: answers {dict(noop)}, "
        f"{sum(1 for to in reached if to.startswith('+44770096'))} reached Twilio; then {cap} "
        f"real sends -> {real}; with the +44 cap spent, a real send -> {slug(exhausted_real)} "
        f"and a no-op -> {slug(exhausted_noop)}; +1 still -> {slug(us)}; Twilio got {len(reached)}"
    )
    assert noop == {"202": 300}
    assert real == ["202"] * cap  # the no-ops spent nothing
    assert sorted(reached) == sorted([*phones[:cap], "+14155550199"])
    pair = (exhausted_real, exhausted_noop)
    assert [(r.status_code, slug(r)) for r in pair] == [(429, "rate-limited")] * 2
    assert pair[0].json()["detail"] == pair[1].json()["detail"]
    assert slug(us) == "202"
