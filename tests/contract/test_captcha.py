"""CaptchaVerifier contract: Turnstile adapter against the siteverify stub, and the dev verifier."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from domestyx.adapters.dev.captcha import ALREADY_SPENT, ALWAYS_FAIL, TestSecretCaptchaVerifier
from domestyx.adapters.memory.captcha import ScriptedCaptchaVerifier
from domestyx.adapters.turnstile.captcha import TurnstileCaptchaVerifier
from domestyx.domain.model.captcha import CaptchaVerdict
from domestyx.domain.model.errors import DependencyUnavailable
from tests.stubs.base import Fault, Reply
from tests.stubs.turnstile_stub import DUMMY_TOKEN, TurnstileStub


@pytest.fixture
def stub() -> Iterator[TurnstileStub]:
    with TurnstileStub(timeout_sleep=2.0) as server:
        yield server


def verifier(stub: TurnstileStub, secret: str | None = None) -> TurnstileCaptchaVerifier:
    return TurnstileCaptchaVerifier(
        secret or stub.secret, siteverify_url=stub.siteverify_url, timeout_s=0.5
    )


class TestTurnstileCaptchaVerifier:
    def test_a_fresh_token_passes_with_its_action_and_hostname(self, stub: TurnstileStub) -> None:
        verdict = verifier(stub).verify(stub.issue("login"), remote_ip="203.0.113.9")
        assert (
            verdict.success
            and verdict.action == "login"
            and verdict.hostname == "app.domestyx.test"
        )

    def test_the_request_carries_secret_response_remoteip_and_idempotency_key(
        self, stub: TurnstileStub
    ) -> None:
        token = stub.issue("register")
        verifier(stub).verify(token, remote_ip="203.0.113.9")
        form = stub.requests[0].form()
        assert form["secret"] == [stub.secret] and form["response"] == [token]
        assert form["remoteip"] == ["203.0.113.9"] and len(form["idempotency_key"][0]) == 36

    def test_a_token_is_single_use(self, stub: TurnstileStub) -> None:
        token = stub.issue("login")
        verifier(stub).verify(token, remote_ip=None)
        second = verifier(stub).verify(token, remote_ip=None)
        assert not second.success and second.error_codes == ("timeout-or-duplicate",)

    def test_an_expired_token_is_refused(self, stub: TurnstileStub) -> None:
        now = [1_000_000.0]
        stub.clock = lambda: now[0]
        token = stub.issue("login")
        now[0] += 301
        assert verifier(stub).verify(token, remote_ip=None).error_codes == ("timeout-or-duplicate",)

    def test_the_dummy_token_fails_with_a_real_secret(self, stub: TurnstileStub) -> None:
        assert not verifier(stub).verify(DUMMY_TOKEN, remote_ip=None).success

    def test_a_retry_after_a_5xx_reuses_the_idempotency_key_and_passes(
        self, stub: TurnstileStub
    ) -> None:
        stub.script(Fault.answer(Reply.json(500, {})))
        assert verifier(stub).verify(stub.issue("login"), remote_ip=None).success
        keys = {r.form()["idempotency_key"][0] for r in stub.requests}
        assert len(stub.requests) == 2 and len(keys) == 1

    def test_internal_error_is_retried_once(self, stub: TurnstileStub) -> None:
        stub.script(
            Fault.answer(Reply.json(200, {"success": False, "error-codes": ["internal-error"]}))
        )
        assert verifier(stub).verify(stub.issue("login"), remote_ip=None).success

    @pytest.mark.parametrize("fault", [Fault.timeout, Fault.malformed, Fault.disconnect])
    def test_no_answer_fails_closed(self, stub: TurnstileStub, fault: object) -> None:
        stub.script(fault(), fault())  # type: ignore[operator]
        with pytest.raises(DependencyUnavailable):
            verifier(stub).verify(stub.issue("login"), remote_ip=None)

    def test_unreachable_siteverify_fails_closed(self) -> None:
        closed = TurnstileCaptchaVerifier(
            "s", siteverify_url="http://127.0.0.1:9/siteverify", timeout_s=0.5
        )
        with pytest.raises(DependencyUnavailable):
            closed.verify("token", remote_ip=None)


class TestTestSecretVerifier:
    """Cloudflare's documented test secrets, offline."""

    def test_always_pass_accepts_only_the_dummy_token(self) -> None:
        dev = TestSecretCaptchaVerifier()
        assert dev.verify(DUMMY_TOKEN, remote_ip=None).success
        assert not dev.verify("anything-else", remote_ip=None).success

    @pytest.mark.parametrize(
        ("secret", "code"),
        [(ALWAYS_FAIL, "invalid-input-response"), (ALREADY_SPENT, "timeout-or-duplicate")],
    )
    def test_failing_secrets_refuse_even_the_dummy_token(self, secret: str, code: str) -> None:
        verdict = TestSecretCaptchaVerifier(secret).verify(DUMMY_TOKEN, remote_ip=None)
        assert not verdict.success and verdict.error_codes == (code,)


@pytest.fixture(params=["fake", "turnstile"])
def redeem(request: pytest.FixtureRequest) -> Iterator[tuple[Any, Any]]:
    """(verifier, issue(action) -> token) for the fake and for the adapter on the stub."""
    if request.param == "fake":
        fake = ScriptedCaptchaVerifier()

        def issue(action: str) -> str:
            token = f"token-{len(fake.verdicts)}"
            fake.verdicts[token] = CaptchaVerdict(True, hostname="app.domestyx.test", action=action)
            return token

        yield fake, issue
        return
    with TurnstileStub(timeout_sleep=1.0) as server:
        yield verifier(server), server.issue


class TestCaptchaVerifierContract:
    """The fake and the real adapter agree on Turnstile's token rules."""

    def test_a_fresh_token_passes_with_its_action(self, redeem: tuple[Any, Any]) -> None:
        verify, issue = redeem
        verdict = verify.verify(issue("otp_send"), remote_ip=None)
        assert verdict.success and verdict.action == "otp_send"

    def test_a_replayed_token_fails_as_a_duplicate(self, redeem: tuple[Any, Any]) -> None:
        verify, issue = redeem
        token = issue("login")
        verify.verify(token, remote_ip=None)
        assert verify.verify(token, remote_ip=None).error_codes == ("timeout-or-duplicate",)

    def test_an_unknown_token_fails(self, redeem: tuple[Any, Any]) -> None:
        verify, _ = redeem
        verdict = verify.verify("never-issued", remote_ip=None)
        assert not verdict.success and verdict.error_codes == ("invalid-input-response",)
