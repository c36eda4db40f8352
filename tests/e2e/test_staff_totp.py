"""Issue 14 over HTTP on real services: staff routes need a session that passed TOTP."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from domestyx.adapters.sql import tables as t
from domestyx.domain.model.accounts import Role
from domestyx.domain.model.audit import AuditEventType
from tests.e2e.test_reviewer_scope import worker_headers
from tests.support.problems import assert_problem
from tests.support.stack import Stack
from tests.support.tokens import claims_of
from tests.support.totp import bearer, code, enrol, login

pytestmark = pytest.mark.e2e
EMAIL, PHONE = "rev@example.com", "+447700900990"
QUEUE = "/api/v1/admin/verifications"


def sign_in(api: Any, stack: Stack, totp_code: str | None = None) -> Any:
    return login(api, EMAIL, totp_code=totp_code, turnstile=lambda: stack.turnstile.issue("login"))


def events(api: Any, account_id: str, kind: AuditEventType) -> list[Any]:
    with api.services.uow() as uow:
        return [e for e in uow.audit.for_account(account_id, limit=500) if e.event is kind]


def test_enrol_confirm_and_sign_in_with_a_code_replays_and_recovery_codes(
    api: Any, stack: Stack
) -> None:
    account = api.services.accounts.create_staff(
        EMAIL, PHONE, "correct horse battery staple", Role.REVIEWER
    )
    first = sign_in(api, stack)
    assert first.status_code == 200, first.text
    password_only = first.json()["access_token"]
    assert (claims_of(password_only)["aal"], claims_of(password_only)["amr"]) == (1, ["pwd"])
    problem = assert_problem(api.get(QUEUE, headers=bearer(password_only)), 403)
    assert problem["type"].endswith("/mfa-required")
    assert api.get("/api/v1/me", headers=bearer(password_only)).json()["totp_enabled"] is False

    started = api.post("/api/v1/me/mfa/totp", headers=bearer(password_only))
    assert started.status_code == 200, started.text
    enrolment = started.json()
    uri = urlparse(enrolment["otpauth_uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert parse_qs(uri.query)["secret"] == [enrolment["secret"]]
    assert parse_qs(uri.query)["issuer"] == ["DomestyX"]
    recovery = enrolment["recovery_codes"]
    assert len(recovery) == len(set(recovery)) == 10
    # Not active before confirmation: the password alone still signs in.
    assert sign_in(api, stack).status_code == 200

    wrong = api.post(
        "/api/v1/me/mfa/totp/confirm", json={"code": "000000"}, headers=bearer(password_only)
    )
    assert_problem(wrong, 400)
    confirmed = api.post(
        "/api/v1/me/mfa/totp/confirm",
        json={"code": code(enrolment["secret"])},
        headers=bearer(password_only),
    )
    assert confirmed.status_code == 204, confirmed.text
    assert api.get("/api/v1/me", headers=bearer(password_only)).json()["totp_enabled"] is True
    # A second enrolment cannot silently replace an active authenticator.
    assert_problem(api.post("/api/v1/me/mfa/totp", headers=bearer(password_only)), 409)
    # The session that enrolled is still a password-only session: no staff rights.
    assert_problem(api.get(QUEUE, headers=bearer(password_only)), 403)

    refused = sign_in(api, stack)
    assert_problem(refused, 401)
    assert refused.json()["type"].endswith("/totp-required")

    next_code = code(enrolment["secret"], 1)
    with_code = sign_in(api, stack, next_code)
    assert with_code.status_code == 200, with_code.text
    tokens = with_code.json()
    claims = claims_of(tokens["access_token"])
    assert claims["aal"] == 2 and "otp" in claims["amr"] and "mfa" in claims["amr"]
    assert api.get(QUEUE, headers=bearer(tokens["access_token"])).status_code == 200

    # The same code again (and the older one the confirmation spent): refused.
    assert_problem(sign_in(api, stack, next_code), 400)
    assert_problem(sign_in(api, stack, code(enrolment["secret"])), 400)

    # A refresh keeps the level the session reached.
    refreshed = api.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert claims_of(refreshed.json()["access_token"])["aal"] == 2
    assert api.get(QUEUE, headers=bearer(refreshed.json()["access_token"])).status_code == 200

    # Recovery codes: each works once, however it is typed.
    by_recovery = sign_in(api, stack, recovery[0])
    assert by_recovery.status_code == 200, by_recovery.text
    assert claims_of(by_recovery.json()["access_token"])["aal"] == 2
    assert_problem(sign_in(api, stack, recovery[0]), 400)
    assert sign_in(api, stack, recovery[1].upper().replace("-", " ")).status_code == 200

    # At rest: the secret sealed, the recovery codes keyed-hashed.
    with api.services.engine.connect() as conn:
        sealed = conn.execute(t.mfa_totp.select()).one()._mapping["sealed_secret"]
        hashes = [row.code_hash for row in conn.execute(t.mfa_recovery_codes.select())]
    assert enrolment["secret"] not in sealed and sealed.startswith("v1.")
    assert len(hashes) == 10 and not set(hashes) & {c.replace("-", "") for c in recovery}
    assert len(events(api, account.id, AuditEventType.MFA_ENABLED)) == 1
    assert len(events(api, account.id, AuditEventType.MFA_RECOVERY_USED)) == 2
    failed = events(api, account.id, AuditEventType.MFA_FAILED)
    assert len(failed) == 4  # the wrong confirmation, two replays, a spent recovery code
    assert all(enrolment["secret"] not in repr(e.details) for e in failed)


def test_five_wrong_codes_lock_the_factor_even_for_the_right_code(api: Any, stack: Stack) -> None:
    api.services.accounts.create_staff(EMAIL, PHONE, "correct horse battery staple", Role.ADMIN)
    enrolment = enrol(api, sign_in(api, stack).json()["access_token"])
    good = code(enrolment["secret"], 1)
    wrong = "111111" if good != "111111" else "222222"
    for _ in range(5):
        assert_problem(sign_in(api, stack, wrong), 400)
    locked = sign_in(api, stack, good)
    assert_problem(locked, 429)
    assert locked.json()["type"].endswith("/code-attempts-exhausted")
    assert int(locked.headers["Retry-After"]) > 0
    assert_problem(sign_in(api, stack, enrolment["recovery_codes"][0]), 429)


def test_a_worker_may_enrol_too_and_gains_no_staff_rights(
    api: Any, stack: Stack, worker: Any
) -> None:

    headers = worker_headers(api, stack, "wanda@example.com", "+447700900511")
    enrolment = enrol(api, headers["Authorization"].split()[1])
    assert_problem(
        login(api, "wanda@example.com", turnstile=lambda: stack.turnstile.issue("login")), 401
    )
    signed_in = login(
        api,
        "wanda@example.com",
        totp_code=code(enrolment["secret"], 1),
        turnstile=lambda: stack.turnstile.issue("login"),
    )
    assert signed_in.status_code == 200, signed_in.text
    token = signed_in.json()["access_token"]
    assert claims_of(token)["aal"] == 2
    assert_problem(api.get(QUEUE, headers=bearer(token)), 403)  # forbidden: not staff
    missing = api.get("/api/v1/admin/documents/" + "0" * 32, headers=bearer(token))
    assert_problem(missing, 404)
