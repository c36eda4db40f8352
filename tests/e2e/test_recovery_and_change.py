"""Issue 12 recovery and contact change over HTTP on MariaDB, Redis, the worker and the stubs."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.e2e.test_documents_flow import verified_worker
from tests.e2e.test_verification_flow import EMAIL, PASSWORD, PHONE, login
from tests.support.abuse_sim import audit_count
from tests.support.problems import assert_problem
from tests.support.services import wait_until
from tests.support.stack import Stack, WorkerProcess, sms_code

pytestmark = pytest.mark.e2e
NEW_PASSWORD = "a new and long pass phrase"
OTHER_EMAIL, OTHER_PHONE = "bob@example.com", "+447700900777"


def emails_to(stack: Stack, to: str) -> list[dict[str, Any]]:
    """Every email the Resend stub accepted for one address, oldest first."""
    out = []
    for e in stack.resend.emails:
        recipients = e.params["to"] if isinstance(e.params["to"], list) else [e.params["to"]]
        if to in recipients:
            out.append(e.params)
    return out


def newest_code(stack: Stack, to: str, after: int = 0) -> str:
    """The code of the newest code email to `to`, once more than `after` such emails arrived."""

    def coded() -> list[str]:
        found = [re.search(r"\b(\d{6})\b", e["text"]) for e in emails_to(stack, to)]
        return [m.group(1) for m in found if m]

    assert wait_until(lambda: len(coded()) > after, timeout=15), f"no code email for {to}"
    return coded()[-1]


def newest_sms(stack: Stack, to: str, after: int = 0) -> str:
    """The code of the newest SMS to `to`, once more than `after` of them arrived."""

    def mine() -> list[str]:
        return [m["body"] for m in stack.twilio.sent() if m["to"] == to]

    assert wait_until(lambda: len(mine()) > after, timeout=15), f"no SMS for {to}"
    match = re.search(r"\b(\d{6})\b", mine()[-1])
    assert match is not None
    return match.group(1)


def code_count(stack: Stack, to: str) -> int:
    return sum(1 for e in emails_to(stack, to) if re.search(r"\b\d{6}\b", e["text"]))


def subjects(stack: Stack, to: str) -> list[str]:
    return [e["subject"] for e in emails_to(stack, to)]


def forgot(api: Any, stack: Stack, channel: str, destination: str) -> Any:
    body = {
        "channel": channel,
        "destination": destination,
        "turnstile_token": stack.turnstile.issue("password_forgot"),
    }
    return api.post("/api/v1/auth/password/forgot", json=body)


def reset(api: Any, channel: str, destination: str, code: str, new: str = NEW_PASSWORD) -> Any:
    body = {"channel": channel, "destination": destination, "code": code, "new_password": new}
    return api.post("/api/v1/auth/password/reset", json=body)


def password_login(api: Any, stack: Stack, email: str, password: str) -> Any:
    body = {"email": email, "password": password, "turnstile_token": stack.turnstile.issue("login")}
    return api.post("/api/v1/auth/login", json=body)


def test_reset_by_email_revokes_everything_notifies_and_is_single_use(
    api: Any, stack: Stack, worker: WorkerProcess
) -> None:
    auth = verified_worker(api, stack)
    second = login(api, stack)
    sent = forgot(api, stack, "email", EMAIL)
    assert sent.status_code == 202
    code = newest_code(stack, EMAIL, after=1)  # the first was the registration code

    weak = reset(api, "email", EMAIL, code, new="short")
    assert assert_problem(weak, 422)["type"].endswith("/weak-password")
    assert reset(api, "email", EMAIL, code).status_code == 204  # the weak try cost nothing

    assert api.get("/api/v1/me", headers=auth).status_code == 401
    refreshed = api.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert refreshed.status_code == 401
    assert password_login(api, stack, EMAIL, PASSWORD).status_code == 401
    assert password_login(api, stack, EMAIL, NEW_PASSWORD).status_code == 200
    assert wait_until(lambda: any("was reset" in s for s in subjects(stack, EMAIL)), timeout=15)

    replay = reset(api, "email", EMAIL, code, new="yet another pass phrase")
    assert assert_problem(replay, 400)["type"].endswith("/code-expired")  # used: ask anew
    assert password_login(api, stack, EMAIL, NEW_PASSWORD).status_code == 200
    assert audit_count(api.services, "password_reset") == 1


def test_reset_by_sms_and_the_code_is_bound_to_its_purpose(
    api: Any, stack: Stack, worker: WorkerProcess
) -> None:
    verified_worker(api, stack)
    assert forgot(api, stack, "sms", PHONE).status_code == 202
    code = newest_sms(stack, PHONE, after=1)  # the reset code, not the proof code
    as_login = {"channel": "sms", "destination": PHONE, "purpose": "login", "code": code}
    assert api.post("/api/v1/auth/otp/verify", json=as_login).status_code == 400
    other_purpose = {**as_login, "purpose": "reset_password"}
    assert_problem(api.post("/api/v1/auth/otp/verify", json=other_purpose), 400)
    assert reset(api, "email", EMAIL, code).status_code == 400  # another channel's slot
    assert reset(api, "sms", PHONE, code).status_code == 204
    assert password_login(api, stack, EMAIL, NEW_PASSWORD).status_code == 200


def test_forgot_answers_alike_for_unknown_unproven_and_proven_contacts(
    api: Any, stack: Stack, worker: WorkerProcess
) -> None:
    verified_worker(api, stack)
    body = {
        "email": OTHER_EMAIL,
        "phone": OTHER_PHONE,
        "password": PASSWORD,
        "role": "worker",
        "turnstile_token": stack.turnstile.issue("register"),
    }
    assert api.post("/api/v1/auth/register", json=body).status_code == 202  # nothing proven
    assert wait_until(lambda: code_count(stack, OTHER_EMAIL) == 1, timeout=15)
    mailed = len(stack.resend.emails)
    answers = {}
    for name, (channel, to) in {
        "proven email": ("email", EMAIL),
        "unproven email": ("email", OTHER_EMAIL),
        "unknown email": ("email", "nobody@example.com"),
        "unproven phone": ("sms", OTHER_PHONE),
        "unknown phone": ("sms", "+447700900888"),
    }.items():
        response = forgot(api, stack, channel, to)
        answers[name] = (response.status_code, response.json()["detail"])
        again = forgot(api, stack, channel, to)  # the cooldown starts for every one of them
        answers[name + " again"] = (again.status_code, again.json()["type"].rsplit("/")[-1])
    assert len({answers[n] for n in answers if not n.endswith("again")}) == 1
    assert {answers[n] for n in answers if n.endswith("again")} == {(429, "resend-too-soon")}
    assert wait_until(lambda: len(stack.resend.emails) == mailed + 1, timeout=15)
    assert emails_to(stack, OTHER_EMAIL)[-1]["text"].count("reset") == 0  # no reset code there
    assert [m for m in stack.twilio.sent() if m["to"] == OTHER_PHONE] == []
    assert audit_count(api.services, "otp_suppressed") == 4


def test_reset_guesses_exhaust_the_code_and_never_touch_the_sign_in(
    api: Any, stack: Stack, worker: WorkerProcess
) -> None:
    verified_worker(api, stack)
    assert forgot(api, stack, "email", EMAIL).status_code == 202
    code = newest_code(stack, EMAIL, after=1)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    answers = [reset(api, "email", EMAIL, wrong).json()["type"].rsplit("/")[-1] for _ in range(5)]
    assert answers == ["invalid-code"] * 5
    slowed = reset(api, "email", EMAIL, code)  # this network now waits out a rising delay
    assert assert_problem(slowed, 429)["type"].endswith("/account-locked")
    time.sleep(float(slowed.headers["Retry-After"]) + 0.2)
    exhausted = reset(api, "email", EMAIL, code)  # even the right code: its 5 tries are spent
    assert assert_problem(exhausted, 429)["type"].endswith("/code-attempts-exhausted")
    assert password_login(api, stack, EMAIL, PASSWORD).status_code == 200  # login unaffected


def _change(api: Any, auth: dict[str, str], kind: str, value: str, pw: str = PASSWORD) -> Any:
    field = "new_email" if kind == "email" else "new_phone"
    return api.post(f"/api/v1/me/{kind}", json={field: value, "password": pw}, headers=auth)


def _prove(api: Any, auth: dict[str, str], kind: str, code: str) -> Any:
    return api.post(f"/api/v1/me/{kind}/verify", json={"code": code}, headers=auth)


def test_email_change_applies_only_after_proof_and_tells_the_old_address(
    api: Any, stack: Stack, worker: WorkerProcess
) -> None:
    auth = verified_worker(api, stack)
    other = {"Authorization": f"Bearer {login(api, stack)['access_token']}"}
    new = "ann.new@example.com"
    wrong = _change(api, auth, "email", new, pw="not my password")
    assert assert_problem(wrong, 422)["errors"][0]["field"] == "password"
    assert _change(api, auth, "email", new).status_code == 202
    code = newest_code(stack, new)
    assert api.get("/api/v1/me", headers=auth).json()["email"] == EMAIL  # nothing changed yet
    assert password_login(api, stack, new, PASSWORD).status_code == 401

    assert _prove(api, auth, "email", f"{(int(code) + 1) % 10**6:06d}").status_code == 400
    proved = _prove(api, auth, "email", code)
    assert proved.status_code == 200, proved.text
    assert proved.json()["email"] == new and proved.json()["email_verified"] is True
    assert api.get("/api/v1/me", headers=other).status_code == 401  # other sessions signed out
    assert api.get("/api/v1/me", headers=auth).json()["email"] == new  # this one kept
    assert password_login(api, stack, new, PASSWORD).status_code == 200
    assert password_login(api, stack, EMAIL, PASSWORD).status_code == 401
    assert wait_until(
        lambda: any("email address was changed" in s for s in subjects(stack, EMAIL)), timeout=15
    )
    assert _prove(api, auth, "email", code).status_code == 400  # replay
    assert audit_count(api.services, "contact_changed") == 1
    assert audit_count(api.services, "contact_change_refused") == 1


def test_phone_change_by_sms_and_a_second_request_voids_the_first_code(
    api: Any, stack: Stack, worker: WorkerProcess
) -> None:
    auth = verified_worker(api, stack)
    first, second = "+447700900301", "+447700900302"
    assert _change(api, auth, "phone", first).status_code == 202
    first_code = sms_code(stack, first)
    assert _change(api, auth, "phone", second).status_code == 202
    second_code = sms_code(stack, second)
    assert _prove(api, auth, "phone", first_code).status_code == 400
    assert api.get("/api/v1/me", headers=auth).json()["phone"] == PHONE
    proved = _prove(api, auth, "phone", second_code)
    assert proved.status_code == 200 and proved.json()["phone"] == second
    assert wait_until(
        lambda: any("phone number was changed" in s for s in subjects(stack, EMAIL)), timeout=15
    )
    assert forgot(api, stack, "sms", second).status_code == 202  # the new phone recovers
    assert reset(api, "sms", second, newest_sms(stack, second, after=1)).status_code == 204


def test_a_contact_another_account_proved_is_refused_without_saying_so(
    api: Any, stack: Stack, worker: WorkerProcess
) -> None:
    auth = verified_worker(api, stack)  # ann proves EMAIL and PHONE
    # Bob, with his own proven email, tries to take Ann's email and phone.
    from tests.e2e.test_verification_flow import register, verify

    register(api, stack, OTHER_EMAIL, OTHER_PHONE)
    assert (
        verify(
            api, "email", OTHER_EMAIL, "verify_email", newest_code(stack, OTHER_EMAIL)
        ).status_code
        == 200
    )
    signed_in = password_login(api, stack, OTHER_EMAIL, PASSWORD).json()
    bob = {"Authorization": f"Bearer {signed_in['access_token']}"}
    mailed, texted = len(stack.resend.emails), len(stack.twilio.sent())
    taken = _change(api, bob, "email", EMAIL.upper())
    free = _change(api, bob, "email", "bob.new@example.com")
    assert (taken.status_code, taken.json()) == (free.status_code, free.json())
    arabic = PHONE[:3] + PHONE[3:].translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert _change(api, bob, "phone", arabic).status_code == 202  # Ann's number, spelled otherwise
    assert wait_until(lambda: len(stack.resend.emails) == mailed + 1, timeout=15)
    assert len(stack.twilio.sent()) == texted  # nothing went to Ann's phone
    assert [e.params["to"] for e in stack.resend.emails[mailed:]] in (
        ["bob.new@example.com"],
        [["bob.new@example.com"]],
    )
    for guess in ("000000", "123456"):
        assert _prove(api, bob, "phone", guess).status_code == 400
    me = api.get("/api/v1/me", headers=auth).json()
    assert (me["email"], me["phone"]) == (EMAIL, PHONE)
    assert audit_count(api.services, "contact_change_requested") == 3


def test_proving_after_another_account_took_the_contact_changes_nothing(
    api: Any, stack: Stack, worker: WorkerProcess
) -> None:
    auth = verified_worker(api, stack)
    from tests.e2e.test_verification_flow import register, verify

    assert _change(api, auth, "email", OTHER_EMAIL).status_code == 202
    change_code = newest_code(stack, OTHER_EMAIL)
    # Meanwhile the address's owner registers and proves it.
    register(api, stack, OTHER_EMAIL, OTHER_PHONE)
    proof = newest_code(stack, OTHER_EMAIL, after=1)
    assert verify(api, "email", OTHER_EMAIL, "verify_email", proof).status_code == 200
    late = _prove(api, auth, "email", change_code)
    assert assert_problem(late, 409)["type"].endswith("/conflict")
    assert api.get("/api/v1/me", headers=auth).json()["email"] == EMAIL
    assert password_login(api, stack, OTHER_EMAIL, PASSWORD).status_code == 200  # still Bob's


def _race(*calls: Any) -> list[str]:
    """Run the calls at once; what each ended with ('ok' or the error's problem code)."""
    import threading

    start, results = threading.Barrier(len(calls)), [""] * len(calls)

    def run(i: int) -> None:
        start.wait()
        try:
            calls[i]()
            results[i] = "ok"
        except Exception as exc:  # the domain error's problem code is the outcome
            results[i] = getattr(exc, "code", repr(exc))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_racing_changes_and_proofs_leave_one_consistent_outcome(
    api: Any, stack: Stack, worker: WorkerProcess
) -> None:
    from domestyx.domain.model.audit import ClientContext
    from domestyx.domain.model.otp import Channel

    auth = verified_worker(api, stack)
    services, ctx = api.services, ClientContext(ip="192.0.2.9")
    me = services.sessions.authenticate(auth["Authorization"].removeprefix("Bearer "))
    change = services.contact_change
    x, y = "ann.x@example.com", "ann.y@example.com"
    outcomes = _race(
        lambda: change.request(me, Channel.EMAIL, x, PASSWORD, ctx),
        lambda: change.request(me, Channel.EMAIL, y, PASSWORD, ctx),
    )
    assert outcomes == ["ok", "ok"]
    codes = {to: newest_code(stack, to) for to in (x, y)}
    with services.uow() as uow:
        pending = uow.contact_changes.get(me.account_id, Channel.EMAIL)
    assert pending is not None and pending.new_value in (x, y)
    loser = y if pending.new_value == x else x
    assert _prove(api, auth, "email", codes[loser]).status_code == 400  # the replaced request
    winner = codes[pending.new_value]
    proofs = _race(
        lambda: change.verify(me, Channel.EMAIL, winner, ctx),
        lambda: change.verify(me, Channel.EMAIL, winner, ctx),
    )
    # A code applies once, even at once: the other finds it used (or mid-use, so wrong).
    assert sorted(proofs) in (["code-expired", "ok"], ["invalid-code", "ok"])
    assert api.get("/api/v1/me", headers=auth).json()["email"] == pending.new_value
    assert audit_count(services, "contact_changed") == 1
