"""EmailSender contract: the recording fake, the dev outbox and Resend (via its stub) agree."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest

from domestyx.adapters.dev.outbox import FileOutbox, OutboxEmailSender
from domestyx.adapters.memory.messaging import RecordingEmailSender
from domestyx.adapters.resend.email_sender import ResendEmailSender
from domestyx.domain.model.delivery import (
    DeliveryError,
    EmailMessage,
    PermanentDeliveryError,
    ProviderLimited,
    TransientDeliveryError,
)
from domestyx.ports.messaging import EmailSender
from tests.stubs.base import Fault, Reply
from tests.stubs.resend_stub import ResendStub, fail
from tests.support.services import free_port, wait_until

SENDER = "DomestyX <no-reply@domestyx.test>"
MESSAGE = EmailMessage(
    to="ana@example.com",
    subject="Your code",
    text="Your code is 123456",
    html="<p>Your code is <b>123456</b></p>",
    tags=(("template", "otp"), ("purpose", "signup")),
)
# Short enough to keep the suite quick, long enough for a loaded CI runner.
CLIENT_TIMEOUT = 0.5


@attrs.define
class Harness:
    """One implementation plus the provider's memory of what it accepted."""

    sender: EmailSender
    accepted: Callable[[], int]
    fail_next: Callable[[int], None] | None


@pytest.fixture
def resend_stub() -> Iterator[ResendStub]:
    """A Resend stub on a loopback port."""
    with ResendStub(timeout_sleep=3 * CLIENT_TIMEOUT) as stub:
        yield stub


def resend_sender(stub: ResendStub, *, reply_to: str | None = None) -> ResendEmailSender:
    """The real adapter aimed at the stub."""
    return ResendEmailSender(
        stub.api_key, SENDER, api_url=stub.url, reply_to=reply_to, timeout_s=CLIENT_TIMEOUT
    )


def _fake() -> Harness:
    fake = RecordingEmailSender()

    def fail_next(status: int) -> None:
        kind = TransientDeliveryError if status >= 500 or status == 429 else PermanentDeliveryError
        fake.failures.append(kind(f"resend:{status}"))

    return Harness(fake, lambda: len(fake.sent), fail_next)


@pytest.fixture(params=["fake", "outbox", "resend"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    """Each implementation under the same tests."""
    return _build(request, tmp_path)


def _build(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    if request.param == "fake":
        return _fake()
    if request.param == "outbox":
        outbox = FileOutbox(tmp_path / "outbox.jsonl")
        return Harness(OutboxEmailSender(outbox), lambda: len(outbox.entries()), None)
    stub: ResendStub = request.getfixturevalue("resend_stub")
    return Harness(resend_sender(stub), lambda: len(stub.emails), lambda s: stub.script(fail(s)))


@pytest.fixture(params=["fake", "resend"])
def refusable(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    """The implementations whose provider can be scripted to refuse (the outbox never refuses)."""
    return _build(request, tmp_path)


def _scripted(harness: Harness, status: int) -> None:
    assert harness.fail_next is not None
    harness.fail_next(status)


class TestEmailSenderContract:
    """One behaviour per test, for every implementation."""

    def test_implements_the_port(self, harness: Harness) -> None:
        assert isinstance(harness.sender, EmailSender)

    def test_send_is_accepted_with_a_receipt(self, harness: Harness) -> None:
        receipt = harness.sender.send(MESSAGE, idempotency_key="delivery-1")
        assert receipt.provider_id
        assert harness.accepted() == 1

    def test_same_idempotency_key_twice_sends_once_with_one_receipt(self, harness: Harness) -> None:
        first = harness.sender.send(MESSAGE, idempotency_key="delivery-1")
        second = harness.sender.send(MESSAGE, idempotency_key="delivery-1")
        assert first.provider_id == second.provider_id
        assert harness.accepted() == 1

    def test_different_keys_send_separately(self, harness: Harness) -> None:
        first = harness.sender.send(MESSAGE, idempotency_key="delivery-1")
        second = harness.sender.send(MESSAGE, idempotency_key="delivery-2")
        assert first.provider_id != second.provider_id
        assert harness.accepted() == 2

    def test_concurrent_sends_with_one_key_send_once(self, harness: Harness) -> None:
        receipts = []
        threads = [
            threading.Thread(
                target=lambda: receipts.append(harness.sender.send(MESSAGE, idempotency_key="k"))
            )
            for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len({r.provider_id for r in receipts}) == 1
        assert harness.accepted() == 1

    def test_server_error_is_transient(self, refusable: Harness) -> None:
        _scripted(refusable, 500)
        with pytest.raises(TransientDeliveryError):
            refusable.sender.send(MESSAGE, idempotency_key="delivery-1")
        assert refusable.accepted() == 0

    def test_validation_error_is_permanent(self, refusable: Harness) -> None:
        _scripted(refusable, 422)
        with pytest.raises(PermanentDeliveryError):
            refusable.sender.send(MESSAGE, idempotency_key="delivery-1")
        assert refusable.accepted() == 0


def _kept_contract(stub: ResendStub) -> None:
    broken = [(r.method, r.path, r.violations) for r in stub.requests if r.violations]
    assert broken == []


def _send_with_retries(sender: EmailSender, key: str, attempts: int = 5) -> str:
    """What the worker does: retry transient errors with the same idempotency key."""
    last: DeliveryError | None = None
    for _ in range(attempts):
        try:
            return sender.send(MESSAGE, idempotency_key=key).provider_id
        except TransientDeliveryError as exc:
            last = exc
    raise AssertionError(f"never sent: {last}")


class TestResendEmailSender:
    """Wire details and failure modes only the real adapter has."""

    def test_two_failures_then_success_sends_exactly_one_email(
        self, resend_stub: ResendStub
    ) -> None:
        resend_stub.script(fail(500), fail(500))
        provider_id = _send_with_retries(resend_sender(resend_stub), "domestyx-delivery-42")
        assert [e.id for e in resend_stub.emails] == [provider_id]
        keys = {r.headers.get("idempotency-key") for r in resend_stub.requests}
        assert keys == {"domestyx-delivery-42"}
        assert len(resend_stub.requests) == 3
        _kept_contract(resend_stub)

    def test_request_carries_the_whole_message(self, resend_stub: ResendStub) -> None:
        resend_sender(resend_stub, reply_to="help@domestyx.test").send(MESSAGE, idempotency_key="k")
        _kept_contract(resend_stub)
        assert resend_stub.requests[0].json() == {
            "from": SENDER,
            "to": ["ana@example.com"],
            "subject": "Your code",
            "text": MESSAGE.text,
            "html": MESSAGE.html,
            "tags": [{"name": "template", "value": "otp"}, {"name": "purpose", "value": "signup"}],
            "reply_to": "help@domestyx.test",
        }
        assert resend_stub.requests[0].headers["authorization"] == f"Bearer {resend_stub.api_key}"

    def test_error_code_names_status_and_resend_error(self, resend_stub: ResendStub) -> None:
        resend_stub.script(fail(422))
        with pytest.raises(PermanentDeliveryError) as caught:
            resend_sender(resend_stub).send(MESSAGE, idempotency_key="k")
        assert caught.value.code == "resend:422:validation_error"

    @pytest.mark.parametrize("status", [429, 500, 502, 503])
    def test_throttling_and_server_errors_are_transient(
        self, resend_stub: ResendStub, status: int
    ) -> None:
        resend_stub.script(fail(status))
        with pytest.raises(TransientDeliveryError):
            resend_sender(resend_stub).send(MESSAGE, idempotency_key="k")

    @pytest.mark.parametrize(
        ("status", "name"),
        [(400, "validation_error"), (403, "validation_error"), (422, "missing_required_field")],
    )
    def test_refusals_are_permanent(self, resend_stub: ResendStub, status: int, name: str) -> None:
        resend_stub.script(fail(status, name))
        with pytest.raises(PermanentDeliveryError) as caught:
            resend_sender(resend_stub).send(MESSAGE, idempotency_key="k")
        assert caught.value.code == f"resend:{status}:{name}"

    def test_wrong_api_key_is_permanent(self, resend_stub: ResendStub) -> None:
        sender = ResendEmailSender("re_wrong", SENDER, api_url=resend_stub.url)
        with pytest.raises(PermanentDeliveryError) as caught:
            sender.send(MESSAGE, idempotency_key="k")
        assert caught.value.code == "resend:403:invalid_api_key"

    def test_same_key_with_another_message_is_permanent(self, resend_stub: ResendStub) -> None:
        sender = resend_sender(resend_stub)
        sender.send(MESSAGE, idempotency_key="k")
        with pytest.raises(PermanentDeliveryError) as caught:
            sender.send(attrs.evolve(MESSAGE, subject="Other"), idempotency_key="k")
        assert caught.value.code == "resend:409:invalid_idempotent_request"

    def test_timeout_is_transient(self, resend_stub: ResendStub) -> None:
        resend_stub.script(Fault.timeout())
        with pytest.raises(TransientDeliveryError) as caught:
            resend_sender(resend_stub).send(MESSAGE, idempotency_key="k")
        assert caught.value.code == "resend:timeout"

    def test_malformed_json_is_transient(self, resend_stub: ResendStub) -> None:
        resend_stub.script(Fault.malformed())
        with pytest.raises(TransientDeliveryError):
            resend_sender(resend_stub).send(MESSAGE, idempotency_key="k")

    @pytest.mark.parametrize("payload", [None, {}, {"id": ""}])
    def test_an_answer_without_an_id_is_transient(
        self, resend_stub: ResendStub, payload: object
    ) -> None:
        resend_stub.script(Fault.answer(Reply.json(200, payload)))
        with pytest.raises(TransientDeliveryError) as caught:
            resend_sender(resend_stub).send(MESSAGE, idempotency_key="k")
        assert caught.value.code == "resend:malformed-response"

    def test_dropped_connection_is_transient(self, resend_stub: ResendStub) -> None:
        resend_stub.script(Fault.disconnect())
        with pytest.raises(TransientDeliveryError) as caught:
            resend_sender(resend_stub).send(MESSAGE, idempotency_key="k")
        assert caught.value.code == "resend:network"

    def test_connection_refused_is_transient(self) -> None:
        sender = ResendEmailSender("re_x", SENDER, api_url=f"http://127.0.0.1:{free_port()}")
        with pytest.raises(TransientDeliveryError) as caught:
            sender.send(MESSAGE, idempotency_key="k")
        assert caught.value.code == "resend:network"

    def test_call_cut_off_mid_flight_then_retried_sends_once(self, resend_stub: ResendStub) -> None:
        resend_stub.delay_s = 2 * CLIENT_TIMEOUT  # Resend takes it, the worker gives up first
        sender = resend_sender(resend_stub)
        with pytest.raises(TransientDeliveryError):
            sender.send(MESSAGE, idempotency_key="k")
        resend_stub.delay_s = 0
        assert wait_until(lambda: len(resend_stub.emails) == 1)
        assert _send_with_retries(sender, "k") == resend_stub.emails[0].id
        assert len(resend_stub.emails) == 1

    def test_senders_with_different_keys_never_cross(self) -> None:
        with ResendStub("re_team_a") as a, ResendStub("re_team_b") as b:
            senders = [ResendEmailSender(s.api_key, SENDER, api_url=s.url) for s in (a, b)]

            def burst(sender: ResendEmailSender, prefix: str) -> None:
                for i in range(10):
                    sender.send(MESSAGE, idempotency_key=f"{prefix}-{i}")

            threads = [
                threading.Thread(target=burst, args=(s, p))
                for s, p in zip(senders, "ab", strict=True)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert (len(a.emails), len(b.emails)) == (10, 10)
            _kept_contract(a)
            _kept_contract(b)


class TestOutboxEmailSender:
    """The dev outbox keeps its promises across restarts."""

    def test_idempotency_survives_a_restart(self, tmp_path: Path) -> None:
        first = OutboxEmailSender(FileOutbox(tmp_path / "o.jsonl")).send(
            MESSAGE, idempotency_key="k"
        )
        again = OutboxEmailSender(FileOutbox(tmp_path / "o.jsonl")).send(
            MESSAGE, idempotency_key="k"
        )
        assert again == first
        assert len(FileOutbox(tmp_path / "o.jsonl").entries()) == 1

    def test_entry_shows_subject_text_and_html(self, tmp_path: Path) -> None:
        outbox = FileOutbox(tmp_path / "o.jsonl")
        receipt = OutboxEmailSender(outbox).send(MESSAGE, idempotency_key="k")
        (entry,) = outbox.entries()
        assert (entry.channel, entry.to, entry.subject) == ("email", MESSAGE.to, MESSAGE.subject)
        assert (entry.body, entry.html, entry.provider_id) == (
            MESSAGE.text,
            MESSAGE.html,
            receipt.provider_id,
        )


class TestResendLimits:
    """Resend's 429s: quotas and rate limits name themselves and carry Retry-After."""

    @pytest.mark.parametrize(
        ("name", "quota"),
        [("daily_quota_exceeded", "daily"), ("monthly_quota_exceeded", "monthly"),
         ("rate_limit_exceeded", None)],
    )  # fmt: skip
    def test_429_says_which_limit_and_when(
        self, resend_stub: ResendStub, name: str, quota: str | None
    ) -> None:
        resend_stub.script(fail(429, name, retry_after=42))
        with pytest.raises(ProviderLimited) as caught:
            resend_sender(resend_stub).send(MESSAGE, idempotency_key="k")
        assert (caught.value.quota, caught.value.retry_after_s) == (quota, 42.0)
        assert caught.value.code == f"resend:429:{name}"

    def test_429_without_retry_after_leaves_the_wait_open(self, resend_stub: ResendStub) -> None:
        resend_stub.script(fail(429, "daily_quota_exceeded", retry_after=None))
        with pytest.raises(ProviderLimited) as caught:
            resend_sender(resend_stub).send(MESSAGE, idempotency_key="k")
        assert caught.value.retry_after_s is None and caught.value.quota == "daily"

    def test_the_stub_refuses_until_the_quota_resets(self, resend_stub: ResendStub) -> None:
        resend_stub.exhaust_quota("daily_quota_exceeded", resets_in=0.5)
        with pytest.raises(ProviderLimited):
            resend_sender(resend_stub).send(MESSAGE, idempotency_key="k")
        assert wait_until(lambda: _sends(resend_stub), timeout=5)
        assert resend_stub.quota_refusals >= 1 and len(resend_stub.emails) == 1


def _sends(stub: ResendStub) -> bool:
    try:
        resend_sender(stub).send(MESSAGE, idempotency_key="k")
    except ProviderLimited:
        return False
    return True
