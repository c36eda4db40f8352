"""SmsSender contract: the recording fake, the dev outbox and Twilio (via its stub) agree."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest

from domestyx.adapters.dev.outbox import FileOutbox, OutboxSmsSender
from domestyx.adapters.memory.clock import ManualClock
from domestyx.adapters.memory.messaging import RecordingSmsSender
from domestyx.adapters.twilio.sms_sender import TwilioSmsSender
from domestyx.domain.model.delivery import (
    PermanentDeliveryError,
    ProviderLimited,
    SmsMessage,
    TransientDeliveryError,
)
from domestyx.ports.messaging import SmsSender
from tests.stubs.base import Fault
from tests.stubs.twilio_stub import ACCOUNT_SID, AUTH_TOKEN, MESSAGING_SERVICE_SID, TwilioStub, fail
from tests.support.services import free_port, wait_until

FROM = "+15005550006"
MESSAGE = SmsMessage(to="+14155550100", body="DomestyX code: 123456")
CLIENT_TIMEOUT = 0.5


@attrs.define
class Harness:
    """One implementation plus the provider's memory of what it accepted."""

    sender: SmsSender
    accepted: Callable[[], int]
    fail_next: Callable[[int, int], None] | None


@pytest.fixture
def twilio_stub() -> Iterator[TwilioStub]:
    """A Twilio stub on a loopback port."""
    with TwilioStub(timeout_sleep=3 * CLIENT_TIMEOUT) as stub:
        yield stub


def twilio_sender(stub: TwilioStub, **options: str) -> TwilioSmsSender:
    """The real adapter aimed at the stub."""
    sender = options or {"from_number": FROM}
    return TwilioSmsSender(
        ACCOUNT_SID, AUTH_TOKEN, api_base_url=stub.url, timeout_s=CLIENT_TIMEOUT, **sender
    )


def _fake() -> Harness:
    fake = RecordingSmsSender()

    def fail_next(status: int, code: int) -> None:
        permanent = 400 <= status < 500 and status != 429
        kind = PermanentDeliveryError if permanent else TransientDeliveryError
        fake.failures.append(kind(f"twilio:{code}"))

    return Harness(fake, lambda: len(fake.sent), fail_next)


@pytest.fixture(params=["fake", "outbox", "twilio"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    """Each implementation under the same tests."""
    return _build(request, tmp_path)


def _build(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    if request.param == "fake":
        return _fake()
    if request.param == "outbox":
        outbox = FileOutbox(tmp_path / "outbox.jsonl")
        return Harness(OutboxSmsSender(outbox), lambda: len(outbox.entries()), None)
    stub: TwilioStub = request.getfixturevalue("twilio_stub")
    return Harness(
        twilio_sender(stub), lambda: len(stub.sent()), lambda s, c: stub.script(fail(s, c))
    )


@pytest.fixture(params=["fake", "twilio"])
def refusable(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    """The implementations whose provider can be scripted to refuse (the outbox never refuses)."""
    return _build(request, tmp_path)


def _scripted(harness: Harness, status: int, code: int) -> None:
    assert harness.fail_next is not None
    harness.fail_next(status, code)


def _lookback() -> datetime:
    return datetime.now(UTC) - timedelta(minutes=5)


class TestSmsSenderContract:
    """One behaviour per test, for every implementation."""

    def test_implements_the_port(self, harness: Harness) -> None:
        assert isinstance(harness.sender, SmsSender)

    def test_send_is_accepted_with_a_receipt(self, harness: Harness) -> None:
        receipt = harness.sender.send(MESSAGE)
        assert receipt.provider_id.startswith("SM")
        assert harness.accepted() == 1

    def test_find_sent_finds_the_accepted_identical_message(self, harness: Harness) -> None:
        receipt = harness.sender.send(MESSAGE)
        assert harness.sender.find_sent(MESSAGE, since=_lookback()) == receipt

    def test_find_sent_ignores_another_body(self, harness: Harness) -> None:
        harness.sender.send(MESSAGE)
        other = attrs.evolve(MESSAGE, body="DomestyX code: 654321")
        assert harness.sender.find_sent(other, since=_lookback()) is None

    def test_find_sent_ignores_another_recipient(self, harness: Harness) -> None:
        harness.sender.send(MESSAGE)
        other = attrs.evolve(MESSAGE, to="+14155550199")
        assert harness.sender.find_sent(other, since=_lookback()) is None

    def test_invalid_recipient_is_permanent_with_the_twilio_code(self, refusable: Harness) -> None:
        _scripted(refusable, 400, 21211)
        with pytest.raises(PermanentDeliveryError) as caught:
            refusable.sender.send(MESSAGE)
        assert caught.value.code == "twilio:21211"
        assert refusable.accepted() == 0

    @pytest.mark.parametrize(("status", "code"), [(429, 20429), (500, 500), (503, 503)])
    def test_throttling_and_server_errors_are_transient(
        self, refusable: Harness, status: int, code: int
    ) -> None:
        _scripted(refusable, status, code)
        with pytest.raises(TransientDeliveryError):
            refusable.sender.send(MESSAGE)
        assert refusable.accepted() == 0


def _kept_contract(stub: TwilioStub) -> None:
    broken = [(r.method, r.path, r.violations) for r in stub.requests if r.violations]
    assert broken == []


class TestTwilioSmsSender:
    """Wire details and failure modes only the real adapter has."""

    def test_form_carries_to_from_and_body(self, twilio_stub: TwilioStub) -> None:
        twilio_sender(twilio_stub).send(MESSAGE)
        _kept_contract(twilio_stub)
        form = twilio_stub.requests[0].form()
        assert form == {"To": [MESSAGE.to], "From": [FROM], "Body": [MESSAGE.body]}

    def test_status_callback_is_sent_when_set(self, twilio_stub: TwilioStub) -> None:
        callback = "https://api.domestyx.test/api/v1/webhooks/twilio/status"
        twilio_sender(twilio_stub).send(attrs.evolve(MESSAGE, status_callback=callback))
        assert twilio_stub.requests[0].form()["StatusCallback"] == [callback]

    def test_messaging_service_replaces_from(self, twilio_stub: TwilioStub) -> None:
        twilio_sender(twilio_stub, messaging_service_sid=MESSAGING_SERVICE_SID).send(MESSAGE)
        _kept_contract(twilio_stub)
        form = twilio_stub.requests[0].form()
        assert (form["MessagingServiceSid"], "From" in form) == ([MESSAGING_SERVICE_SID], False)

    @pytest.mark.parametrize("options", [{}, {"from_number": FROM, "messaging_service_sid": "MGx"}])
    def test_exactly_one_sender_is_required(self, options: dict[str, str]) -> None:
        with pytest.raises(ValueError, match="exactly one"):
            TwilioSmsSender(ACCOUNT_SID, AUTH_TOKEN, **options)

    @pytest.mark.parametrize(
        ("to", "code"),
        [("+15005550001", 21211), ("+15005550002", 21612), ("+15005550003", 21408),
         ("+15005550004", 21610), ("+15005550009", 21614)],
    )  # fmt: skip
    def test_refused_recipients_are_permanent(
        self, twilio_stub: TwilioStub, to: str, code: int
    ) -> None:
        with pytest.raises(PermanentDeliveryError) as caught:
            twilio_sender(twilio_stub).send(attrs.evolve(MESSAGE, to=to))
        assert caught.value.code == f"twilio:{code}"
        _kept_contract(twilio_stub)

    @pytest.mark.parametrize(("sender", "code"), [("+15005550001", 21212), ("+15005550007", 21606)])
    def test_refused_senders_are_permanent(
        self, twilio_stub: TwilioStub, sender: str, code: int
    ) -> None:
        with pytest.raises(PermanentDeliveryError) as caught:
            twilio_sender(twilio_stub, from_number=sender).send(MESSAGE)
        assert caught.value.code == f"twilio:{code}"

    def test_full_sender_queue_is_transient(self, twilio_stub: TwilioStub) -> None:
        with pytest.raises(TransientDeliveryError) as caught:
            twilio_sender(twilio_stub, from_number="+15005550008").send(MESSAGE)
        assert caught.value.code == "twilio:21611"

    def test_bad_credentials_are_permanent(self, twilio_stub: TwilioStub) -> None:
        sender = TwilioSmsSender(
            ACCOUNT_SID, "wrong", from_number=FROM, api_base_url=twilio_stub.url
        )
        with pytest.raises(PermanentDeliveryError) as caught:
            sender.send(MESSAGE)
        assert caught.value.code == "twilio:20003"

    def test_connection_refused_is_transient(self) -> None:
        sender = TwilioSmsSender(
            ACCOUNT_SID,
            AUTH_TOKEN,
            from_number=FROM,
            api_base_url=f"http://127.0.0.1:{free_port()}",
        )
        with pytest.raises(TransientDeliveryError) as caught:
            sender.send(MESSAGE)
        assert caught.value.code == "twilio:network"

    @pytest.mark.parametrize(
        ("fault", "code"),
        [(Fault.timeout(), "twilio:timeout"), (Fault.malformed(), "twilio:malformed-response"),
         (Fault.disconnect(), "twilio:network")],
    )  # fmt: skip
    def test_transport_failures_are_transient(
        self, twilio_stub: TwilioStub, fault: Fault, code: str
    ) -> None:
        twilio_stub.script(fault)
        with pytest.raises(TransientDeliveryError) as caught:
            twilio_sender(twilio_stub).send(MESSAGE)
        assert caught.value.code == code

    def test_find_sent_recovers_a_message_whose_answer_was_lost(
        self, twilio_stub: TwilioStub
    ) -> None:
        twilio_stub.delay_s = 2 * CLIENT_TIMEOUT  # Twilio takes it, the worker gives up first
        sender = twilio_sender(twilio_stub)
        with pytest.raises(TransientDeliveryError):
            sender.send(MESSAGE)
        assert wait_until(lambda: len(twilio_stub.sent()) == 1)
        twilio_stub.delay_s = 0
        found = sender.find_sent(MESSAGE, since=_lookback())
        assert found is not None
        assert found.provider_id == twilio_stub.sent()[0]["sid"]
        _kept_contract(twilio_stub)

    def test_find_sent_asks_by_recipient_without_a_date_filter(
        self, twilio_stub: TwilioStub
    ) -> None:
        since = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
        twilio_sender(twilio_stub).find_sent(MESSAGE, since=since)
        query = twilio_stub.requests[0].query
        # A still-queued message has no DateSent yet; filtering on it would miss it.
        assert query["To"] == [MESSAGE.to]
        assert "DateSent>" not in query

    def test_find_sent_ignores_messages_older_than_since(self, twilio_stub: TwilioStub) -> None:
        clock = ManualClock(datetime.now(UTC).replace(hour=0, minute=0, second=1))
        twilio_stub.clock = clock.now
        sender = twilio_sender(twilio_stub)
        sender.send(MESSAGE)
        # Same day, so Twilio's day-granular filter returns it; the adapter narrows to the instant.
        assert sender.find_sent(MESSAGE, since=clock.now() + timedelta(seconds=1)) is None

    def test_find_sent_reads_past_the_first_page(self, twilio_stub: TwilioStub) -> None:
        sender = twilio_sender(twilio_stub)
        wanted = sender.send(MESSAGE)
        for i in range(60):
            sender.send(attrs.evolve(MESSAGE, body=f"DomestyX notice {i}"))
        assert sender.find_sent(MESSAGE, since=_lookback()) == wanted
        assert [r.query.get("Page") for r in twilio_stub.requests if r.method == "GET"] == [
            None,
            ["1"],
        ]
        _kept_contract(twilio_stub)

    @pytest.mark.parametrize(
        ("status", "error"), [(500, TransientDeliveryError), (401, PermanentDeliveryError)]
    )
    def test_find_sent_failures_are_classified_like_sends(
        self, twilio_stub: TwilioStub, status: int, error: type[Exception]
    ) -> None:
        twilio_stub.script(fail(status))
        with pytest.raises(error):
            twilio_sender(twilio_stub).find_sent(MESSAGE, since=_lookback())


class TestOutboxSmsSender:
    """The dev outbox answers crash-recovery lookups like Twilio does."""

    def test_find_sent_ignores_messages_older_than_since(self, tmp_path: Path) -> None:
        clock = ManualClock()
        sender = OutboxSmsSender(FileOutbox(tmp_path / "o.jsonl", clock=clock.now))
        sender.send(MESSAGE)
        clock.advance(60)
        assert sender.find_sent(MESSAGE, since=clock.now()) is None

    def test_entries_are_newest_first_and_limited(self, tmp_path: Path) -> None:
        outbox = FileOutbox(tmp_path / "o.jsonl")
        for i in range(3):
            OutboxSmsSender(outbox).send(attrs.evolve(MESSAGE, body=f"m{i}"))
        assert [e.body for e in outbox.entries(limit=2)] == ["m2", "m1"]

    def test_a_torn_line_loses_only_itself(self, tmp_path: Path) -> None:
        path = tmp_path / "o.jsonl"
        OutboxSmsSender(FileOutbox(path)).send(attrs.evolve(MESSAGE, body="before"))
        with path.open("a") as out:
            out.write('{"channel": "sms", "to"')  # a crash mid-write
        OutboxSmsSender(FileOutbox(path)).send(attrs.evolve(MESSAGE, body="after"))
        assert [e.body for e in FileOutbox(path).entries()] == ["after", "before"]


class TestTwilioLimits:
    """Twilio's 429 (20429): a Retry-After, when sent, is honoured; without one, plain backoff."""

    def test_429_with_retry_after_names_the_wait(self, twilio_stub: TwilioStub) -> None:
        twilio_stub.script(fail(429, 20429, retry_after=7))
        with pytest.raises(ProviderLimited) as caught:
            twilio_sender(twilio_stub).send(MESSAGE)
        assert (caught.value.retry_after_s, caught.value.quota) == (7.0, None)
        assert caught.value.code == "twilio:20429"

    def test_429_without_retry_after_is_ordinary_throttling(self, twilio_stub: TwilioStub) -> None:
        twilio_stub.script(fail(429, 20429))
        with pytest.raises(TransientDeliveryError) as caught:
            twilio_sender(twilio_stub).send(MESSAGE)
        assert not isinstance(caught.value, ProviderLimited)

    def test_a_later_success_does_not_see_an_old_retry_after(self, twilio_stub: TwilioStub) -> None:
        sender = twilio_sender(twilio_stub)
        twilio_stub.script(fail(429, 20429, retry_after=7), fail(500))
        with pytest.raises(ProviderLimited):
            sender.send(MESSAGE)
        with pytest.raises(TransientDeliveryError) as caught:
            sender.send(MESSAGE)
        assert not isinstance(caught.value, ProviderLimited)
