"""Support tools over HTTP on MariaDB + Redis: lookups, actions with their audit rows, refusals."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from domestyx.domain.model.accounts import Role
from domestyx.domain.model.audit import AuditEvent, AuditEventType
from tests.support.problems import assert_problem
from tests.support.stack import Stack, WorkerProcess, email_code, sms_code
from tests.support.totp import staff_tokens

pytestmark = pytest.mark.e2e
ANN, ANN_PHONE = "ann@example.com", "+447700900123"
STAFF, STAFF_PHONE = "sue@example.com", "+447700900999"
PASSWORD = "correct horse battery staple"
BASE = "/api/v1/admin/accounts"
ACTIONS = ("lock", "unlock", "sign-out-everywhere", "resend")


@dataclass
class People:
    """Ann (email proven, phone not), her token body, and a signed-in admin."""

    ann_id: str
    ann: dict[str, Any]
    staff_id: str
    staff: dict[str, str]


def _auth(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _login(api: Any, stack: Stack, email: str) -> Any:
    body = {"email": email, "password": PASSWORD, "turnstile_token": stack.turnstile.issue("login")}
    return api.post("/api/v1/auth/login", json=body)


def _events(api: Any, account_id: str, kind: AuditEventType) -> Sequence[AuditEvent]:
    with api.services.uow() as uow:
        return [e for e in uow.audit.for_account(account_id) if e.event is kind]


@pytest.fixture
def people(api: Any, stack: Stack, worker: WorkerProcess) -> People:
    body = {
        "email": ANN,
        "phone": ANN_PHONE,
        "password": PASSWORD,
        "role": "worker",
        "turnstile_token": stack.turnstile.issue("register"),
    }
    assert api.post("/api/v1/auth/register", json=body).status_code == 202
    verify = {
        "channel": "email",
        "destination": ANN,
        "purpose": "verify_email",
        "code": email_code(stack, ANN),
    }
    assert api.post("/api/v1/auth/otp/verify", json=verify).status_code == 200
    ann = _login(api, stack, ANN).json()
    staff = _staff(api, stack)
    me = api.get("/api/v1/me", headers=_auth(ann)).json()
    staff_me = api.get("/api/v1/me", headers=_auth(staff)).json()
    return People(me["id"], ann, staff_me["id"], _auth(staff))


def _staff(api: Any, stack: Stack) -> dict[str, Any]:
    """An admin signed in with password and TOTP (the staff routes demand the second factor)."""
    tokens, _ = staff_tokens(
        api, api.services, STAFF, STAFF_PHONE, Role.ADMIN,
        turnstile=lambda: stack.turnstile.issue("login"),
    )  # fmt: skip
    return tokens


def test_lookup_by_email_and_phone_in_any_spelling_masks_contacts(api: Any, people: People) -> None:
    for query in ({"email": "ANN@Example.COM"}, {"phone": "+44 7700 900123"}):
        found = api.get(BASE, params=query, headers=people.staff)
        assert found.status_code == 200, found.text
        [row] = found.json()
        assert row["id"] == people.ann_id
        assert (row["email"], row["phone"]) == ("a***@example.com", "+44********23")
        assert (row["status"], row["email_verified"], row["phone_verified"]) == (
            "pending",
            True,
            False,
        )
    nobody = api.get(BASE, params={"email": "nobody@example.com"}, headers=people.staff)
    assert nobody.status_code == 200 and nobody.json() == []
    for bad in ({}, {"email": ANN, "phone": ANN_PHONE}, {"email": "not an email"}):
        assert_problem(api.get(BASE, params=bad, headers=people.staff), 422)


def test_show_has_sessions_deliveries_with_provider_status_and_audit_trail(
    api: Any, people: People
) -> None:
    shown = api.get(f"{BASE}/{people.ann_id}", headers=people.staff)
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["account"]["email"] == "a***@example.com"
    assert len(body["sessions"]) == 1
    [mail] = [d for d in body["deliveries"] if d["channel"] == "email"]
    assert mail["destination"] == "a***@example.com" and mail["provider_id"]
    assert mail["status"] in ("sent", "delivered") and "sealed_code" not in mail
    assert {"register", "otp_verified", "login"} <= {e["event"] for e in body["events"]}
    assert ANN not in shown.text and ANN_PHONE not in shown.text
    [viewed] = _events(api, people.ann_id, AuditEventType.SUPPORT_VIEWED)
    assert viewed.actor_id == people.staff_id


def test_lock_stops_sign_in_refresh_and_old_tokens_then_unlock_restores(
    api: Any, stack: Stack, people: People
) -> None:
    locked = api.post(
        f"{BASE}/{people.ann_id}/lock",
        json={"reason": "ticket 42: phone stolen"},
        headers=people.staff,
    )
    assert locked.status_code == 200, locked.text
    assert locked.json()["sessions_revoked"] == 1
    [event] = _events(api, people.ann_id, AuditEventType.ACCOUNT_LOCKED)
    assert (
        event.actor_id == people.staff_id and event.details["reason"] == "ticket 42: phone stolen"
    )
    assert _login(api, stack, ANN).status_code == 403
    refresh = {"refresh_token": people.ann["refresh_token"]}
    assert_problem(api.post("/api/v1/auth/refresh", json=refresh), 401)
    assert_problem(api.get("/api/v1/me", headers=_auth(people.ann)), 401)
    again = api.post(f"{BASE}/{people.ann_id}/lock", json={"reason": "twice"}, headers=people.staff)
    assert_problem(again, 409)
    unlocked = api.post(
        f"{BASE}/{people.ann_id}/unlock", json={"reason": "owner confirmed"}, headers=people.staff
    )
    assert unlocked.status_code == 200 and unlocked.json()["status"] == "pending"
    [event] = _events(api, people.ann_id, AuditEventType.ACCOUNT_UNLOCKED)
    assert event.actor_id == people.staff_id and event.details["reason"] == "owner confirmed"
    assert _login(api, stack, ANN).status_code == 200


def test_sign_out_everywhere_revokes_every_session(api: Any, stack: Stack, people: People) -> None:
    second = _login(api, stack, ANN).json()
    done = api.post(
        f"{BASE}/{people.ann_id}/sign-out-everywhere",
        json={"reason": "shared laptop"},
        headers=people.staff,
    )
    assert done.status_code == 200 and done.json()["sessions_revoked"] == 2
    for tokens in (people.ann, second):
        refresh = {"refresh_token": tokens["refresh_token"]}
        assert_problem(api.post("/api/v1/auth/refresh", json=refresh), 401)
    [event] = _events(api, people.ann_id, AuditEventType.SUPPORT_SIGNED_OUT)
    assert event.actor_id == people.staff_id and event.details["sessions_revoked"] == "2"


def test_resend_sends_a_fresh_code_for_the_unproven_phone_once_per_cooldown(
    api: Any, stack: Stack, people: People
) -> None:
    url = f"{BASE}/{people.ann_id}/resend"
    done = api.post(url, json={"reason": "never got the SMS"}, headers=people.staff)
    assert done.status_code == 200, done.text
    assert (done.json()["action"], done.json()["channel"]) == ("fresh_code", "sms")
    assert ANN_PHONE not in done.text
    code = sms_code(stack, ANN_PHONE)
    verify = {"channel": "sms", "destination": ANN_PHONE, "purpose": "verify_phone", "code": code}
    verified = api.post("/api/v1/auth/otp/verify", json=verify)
    assert verified.status_code == 200 and verified.json()["status"] == "active"
    [event] = _events(api, people.ann_id, AuditEventType.SUPPORT_RESENT)
    assert event.actor_id == people.staff_id and event.details["reason"] == "never got the SMS"
    # Both contacts proven now and nothing waiting: nothing to resend, said plainly.
    assert_problem(api.post(url, json={"reason": "again"}, headers=people.staff), 409)


def test_every_action_needs_a_reason_and_changes_nothing_without_one(
    api: Any, people: People
) -> None:
    for action in ACTIONS:
        url = f"{BASE}/{people.ann_id}/{action}"
        for body in ({}, {"reason": ""}, {"reason": "x" * 501}, {"reason": "   "}):
            # msgspec refuses the shape (400); blank after trimming is the domain's 422.
            status = 422 if body.get("reason") == "   " else 400
            assert_problem(api.post(url, json=body, headers=people.staff), status)
    assert api.get("/api/v1/me", headers=_auth(people.ann)).status_code == 200
    with api.services.uow() as uow:
        assert not [e for e in uow.audit.for_account(people.ann_id) if e.actor_id]


def test_non_staff_get_404_and_anonymous_401(api: Any, people: People) -> None:
    routes = [("get", BASE + "?email=" + ANN), ("get", f"{BASE}/{people.staff_id}")]
    routes += [("post", f"{BASE}/{people.staff_id}/{a}") for a in ACTIONS]
    for method, url in routes:
        kwargs: dict[str, Any] = {"json": {"reason": "r"}} if method == "post" else {}
        assert_problem(getattr(api, method)(url, headers=_auth(people.ann), **kwargs), 404)
        assert_problem(getattr(api, method)(url, **kwargs), 401)
    with api.services.uow() as uow:
        assert uow.accounts.get(people.staff_id).status.value == "active"


def test_staff_without_a_second_factor_get_403_mfa_required_everywhere(
    api: Any, stack: Stack, people: People
) -> None:
    api.services.accounts.create_staff("rex@example.com", "+447700900998", PASSWORD, Role.ADMIN)
    password_only = _auth(_login(api, stack, "rex@example.com").json())
    routes = [("get", BASE + "?email=" + ANN), ("get", f"{BASE}/{people.ann_id}")]
    routes += [("post", f"{BASE}/{people.ann_id}/{a}") for a in ACTIONS]
    for method, url in routes:
        kwargs: dict[str, Any] = {"json": {"reason": "r"}} if method == "post" else {}
        refused = assert_problem(getattr(api, method)(url, headers=password_only, **kwargs), 403)
        assert refused["type"].endswith("/mfa-required")
    assert api.get("/api/v1/me", headers=_auth(people.ann)).status_code == 200
    assert not _events(api, people.ann_id, AuditEventType.SUPPORT_VIEWED)


def test_staff_cannot_lock_themselves_and_unknown_ids_are_404(api: Any, people: People) -> None:
    own = api.post(f"{BASE}/{people.staff_id}/lock", json={"reason": "r"}, headers=people.staff)
    assert_problem(own, 403)
    for action in ACTIONS:
        url = f"{BASE}/no-such-account/{action}"
        assert_problem(api.post(url, json={"reason": "r"}, headers=people.staff), 404)
    assert_problem(api.get(f"{BASE}/no-such-account", headers=people.staff), 404)


def test_resend_requeues_the_waiting_message_instead_of_minting_a_code(
    api: Any, stack: Stack
) -> None:
    # No worker: the sign-up email stays queued, as when its first enqueue was lost.
    body = {
        "email": ANN,
        "phone": ANN_PHONE,
        "password": PASSWORD,
        "role": "worker",
        "turnstile_token": stack.turnstile.issue("register"),
    }
    assert api.post("/api/v1/auth/register", json=body).status_code == 202
    staff = _auth(_staff(api, stack))
    [row] = api.get(BASE, params={"email": ANN}, headers=staff).json()
    with api.services.uow() as uow:
        [waiting] = uow.deliveries.for_account(row["id"], 10)
    done = api.post(f"{BASE}/{row['id']}/resend", json={"reason": "no email"}, headers=staff)
    assert done.status_code == 200, done.text
    assert (done.json()["action"], done.json()["delivery_id"]) == ("requeued", waiting.id)
    with api.services.uow() as uow:
        assert len(uow.deliveries.for_account(row["id"], 10)) == 1
    [event] = _events(api, row["id"], AuditEventType.SUPPORT_RESENT)
    assert event.details["action"] == "requeued" and event.details["reason"] == "no email"


def test_cli_accounts_commands_act_audit_and_refuse_in_one_line(api: Any, stack: Stack) -> None:
    from tests.e2e.test_operations import domestyx

    body = {
        "email": ANN,
        "phone": ANN_PHONE,
        "password": PASSWORD,
        "role": "worker",
        "turnstile_token": stack.turnstile.issue("register"),
    }
    assert api.post("/api/v1/auth/register", json=body).status_code == 202
    staff = api.services.accounts.create_staff(STAFF, STAFF_PHONE, PASSWORD, Role.ADMIN)
    shown = domestyx(stack.env, "accounts", "show", ANN, "--staff", STAFF, "--json")
    assert shown.returncode == 0, shown.stderr
    dossier = json.loads(shown.stdout)
    assert dossier["account"]["email"] == "a***@example.com" and ANN not in shown.stdout
    args = ("accounts", "lock", "+44 7700 900123", "--staff", STAFF)
    locked = domestyx(stack.env, *args, "--reason", "fraud report")
    assert locked.returncode == 0, locked.stderr
    assert (
        locked.stdout == f"locked {dossier['account']['id']}: now suspended, 0 sessions revoked\n"
    )
    [event] = _events(api, dossier["account"]["id"], AuditEventType.ACCOUNT_LOCKED)
    assert event.actor_id == staff.id and event.details["reason"] == "fraud report"
    for bad, says in (
        ((*args, "--reason", " "), "a reason is required"),
        (("accounts", "lock", ANN, "--staff", ANN, "--reason", "r"), "no staff account"),
        (
            ("accounts", "unlock", "no-such-id", "--staff", STAFF, "--reason", "r"),
            "no such account",
        ),
    ):
        refused = domestyx(stack.env, *bad)
        assert refused.returncode == 1, refused.stderr
        assert says in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
        assert "Traceback" not in refused.stderr
