"""DeliveryWebhook contract: Twilio and Resend callbacks are read only when signed by them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
import resend

from domestyx.adapters.memory.clock import ManualClock
from domestyx.adapters.resend.webhooks import ResendWebhook
from domestyx.adapters.twilio.webhooks import TwilioStatusWebhook
from domestyx.domain.model.delivery import DeliveryStatus, DeliveryUpdate
from domestyx.domain.model.errors import InvalidSignature
from domestyx.ports.messaging import DeliveryWebhook
from tests.stubs.resend_stub import new_signing_secret, svix_headers
from tests.stubs.twilio_stub import AUTH_TOKEN, status_callback

TWILIO_URL = "https://api.domestyx.test/api/v1/webhooks/twilio/status"
RESEND_URL = "https://api.domestyx.test/api/v1/webhooks/resend"
SMS_SID = "SM" + "c3" * 16
EMAIL_ID = "4ef9a417-02e9-4d39-ad75-9611e0fcc33c"
SECRET = new_signing_secret()

Request = tuple[str, dict[str, str], bytes]


def twilio_request(status: str = "delivered", *, token: str = AUTH_TOKEN, **extra: Any) -> Request:
    """A StatusCallback as Twilio would POST it."""
    headers, body = status_callback(TWILIO_URL, sid=SMS_SID, status=status, token=token, **extra)
    return TWILIO_URL, headers, body


def resend_event(kind: str = "email.delivered", **data: Any) -> bytes:
    """A Resend webhook body."""
    payload = {"email_id": EMAIL_ID, "to": ["ana@example.com"], "subject": "Your code", **data}
    event = {"type": kind, "created_at": "2026-01-01T12:00:00.000Z", "data": payload}
    return json.dumps(event).encode()


def resend_request(body: bytes, at: datetime, *, secret: str = SECRET) -> Request:
    """The body with Svix headers stamped at `at`."""
    return RESEND_URL, svix_headers(secret, body, timestamp=int(at.timestamp())), body


@attrs.define
class Harness:
    """One provider's webhook and ways to forge its callbacks."""

    webhook: DeliveryWebhook
    provider_id: str
    delivered: Callable[[], Request]
    other_secret: Callable[[], Request]
    failed_body: Callable[[], bytes]
    stale: Callable[[], Request] | None


@pytest.fixture(params=["twilio", "resend"])
def harness(request: pytest.FixtureRequest, clock: ManualClock) -> Harness:
    """Each provider under the same tests."""
    if request.param == "twilio":
        return Harness(
            TwilioStatusWebhook(AUTH_TOKEN),
            SMS_SID,
            twilio_request,
            lambda: twilio_request(token="another-token"),
            lambda: twilio_request("failed")[2],
            None,
        )
    return Harness(
        ResendWebhook(SECRET, clock=clock.now),
        EMAIL_ID,
        lambda: resend_request(resend_event(), clock.now()),
        lambda: resend_request(resend_event(), clock.now(), secret=new_signing_secret()),
        lambda: resend_event("email.bounced"),
        lambda: resend_request(resend_event(), clock.now() - timedelta(minutes=6)),
    )


def _parse(webhook: DeliveryWebhook, request: Request) -> list[DeliveryUpdate]:
    """The updates, without their callback ids (compared on their own below)."""
    return [attrs.evolve(u, event_id=None) for u in _parse_with_ids(webhook, request)]


def _parse_with_ids(webhook: DeliveryWebhook, request: Request) -> list[DeliveryUpdate]:
    url, headers, body = request
    return webhook.parse(url=url, headers=headers, body=body)


class TestDeliveryWebhookContract:
    """One behaviour per test, for every provider."""

    def test_implements_the_port(self, harness: Harness) -> None:
        assert isinstance(harness.webhook, DeliveryWebhook)

    def test_signed_callback_is_read(self, harness: Harness) -> None:
        updates = _parse(harness.webhook, harness.delivered())
        assert updates == [DeliveryUpdate(harness.provider_id, DeliveryStatus.DELIVERED)]

    def test_a_callback_carries_its_own_id_and_a_replay_the_same(self, harness: Harness) -> None:
        request = harness.delivered()
        first, again = (_parse_with_ids(harness.webhook, request) for _ in range(2))
        assert first[0].event_id and first[0].event_id == again[0].event_id

    def test_unsigned_callback_is_refused(self, harness: Harness) -> None:
        url, _, body = harness.delivered()
        with pytest.raises(InvalidSignature):
            harness.webhook.parse(url=url, headers={}, body=body)

    def test_callback_signed_with_another_secret_is_refused(self, harness: Harness) -> None:
        with pytest.raises(InvalidSignature):
            _parse(harness.webhook, harness.other_secret())

    def test_tampered_body_is_refused(self, harness: Harness) -> None:
        url, headers, _ = harness.delivered()
        with pytest.raises(InvalidSignature):
            harness.webhook.parse(url=url, headers=headers, body=harness.failed_body())


class TestTwilioStatusWebhook:
    """Twilio's statuses, error codes and URL rules."""

    @pytest.mark.parametrize(
        ("status", "expected"),
        [("queued", DeliveryStatus.SENT), ("sending", DeliveryStatus.SENT),
         ("sent", DeliveryStatus.SENT), ("delivered", DeliveryStatus.DELIVERED),
         ("undelivered", DeliveryStatus.UNDELIVERED), ("failed", DeliveryStatus.FAILED)],
    )  # fmt: skip
    def test_statuses_map_to_delivery_statuses(self, status: str, expected: DeliveryStatus) -> None:
        updates = _parse(TwilioStatusWebhook(AUTH_TOKEN), twilio_request(status))
        assert [u.status for u in updates] == [expected]

    @pytest.mark.parametrize("status", ["accepted", "scheduled", "read", "canceled"])
    def test_other_statuses_change_nothing(self, status: str) -> None:
        assert _parse(TwilioStatusWebhook(AUTH_TOKEN), twilio_request(status)) == []

    def test_the_replay_id_is_the_message_and_its_status(self) -> None:
        webhook = TwilioStatusWebhook(AUTH_TOKEN)
        ids = [_parse_with_ids(webhook, twilio_request(s))[0].event_id for s in ("sent", "failed")]
        assert ids == [f"{SMS_SID}:sent", f"{SMS_SID}:failed"]

    def test_error_code_is_kept(self) -> None:
        updates = _parse(
            TwilioStatusWebhook(AUTH_TOKEN), twilio_request("undelivered", error_code="30007")
        )
        assert updates == [DeliveryUpdate(SMS_SID, DeliveryStatus.UNDELIVERED, "twilio:30007")]

    def test_signature_for_another_url_is_refused(self) -> None:
        _, headers, body = twilio_request()
        with pytest.raises(InvalidSignature):
            TwilioStatusWebhook(AUTH_TOKEN).parse(
                url=TWILIO_URL + "?x=1", headers=headers, body=body
            )

    def test_header_name_case_does_not_matter(self) -> None:
        url, headers, body = twilio_request()
        lowered = {k.lower(): v for k, v in headers.items()}
        assert TwilioStatusWebhook(AUTH_TOKEN).parse(url=url, headers=lowered, body=body)

    def test_explicit_default_port_in_the_url_is_accepted(self) -> None:
        _, headers, body = twilio_request()
        url = TWILIO_URL.replace(".test/", ".test:443/")
        assert TwilioStatusWebhook(AUTH_TOKEN).parse(url=url, headers=headers, body=body)

    def test_an_empty_auth_token_refuses_everything(self) -> None:
        with pytest.raises(InvalidSignature):
            _parse(TwilioStatusWebhook(""), twilio_request(token=""))


class TestResendWebhook:
    """Resend's events, Svix's signature rules."""

    @pytest.mark.parametrize(
        ("kind", "expected"),
        [("email.sent", DeliveryUpdate(EMAIL_ID, DeliveryStatus.SENT)),
         ("email.delivered", DeliveryUpdate(EMAIL_ID, DeliveryStatus.DELIVERED)),
         ("email.complained", DeliveryUpdate(EMAIL_ID, DeliveryStatus.FAILED, "complained"))],
    )  # fmt: skip
    def test_events_map_to_updates(
        self, clock: ManualClock, kind: str, expected: DeliveryUpdate
    ) -> None:
        webhook = ResendWebhook(SECRET, clock=clock.now)
        assert _parse(webhook, resend_request(resend_event(kind), clock.now())) == [expected]

    def test_bounce_keeps_its_type(self, clock: ManualClock) -> None:
        body = resend_event("email.bounced", bounce={"type": "Permanent", "subType": "General"})
        updates = _parse(ResendWebhook(SECRET, clock=clock.now), resend_request(body, clock.now()))
        assert updates == [
            DeliveryUpdate(EMAIL_ID, DeliveryStatus.BOUNCED, "bounced:Permanent:General")
        ]

    def test_the_replay_id_is_the_svix_id(self, clock: ManualClock) -> None:
        url, headers, body = resend_request(resend_event(), clock.now())
        updates = ResendWebhook(SECRET, clock=clock.now).parse(url=url, headers=headers, body=body)
        assert [u.event_id for u in updates] == [headers["svix-id"]]

    @pytest.mark.parametrize("kind", ["email.delivery_delayed", "email.opened", "contact.created"])
    def test_other_events_change_nothing(self, clock: ManualClock, kind: str) -> None:
        webhook = ResendWebhook(SECRET, clock=clock.now)
        assert _parse(webhook, resend_request(resend_event(kind), clock.now())) == []

    def test_one_matching_signature_among_several_is_enough(self, clock: ManualClock) -> None:
        url, headers, body = resend_request(resend_event(), clock.now())
        headers["svix-signature"] = f"v1,bm90IGl0 {headers['svix-signature']}"
        assert ResendWebhook(SECRET, clock=clock.now).parse(url=url, headers=headers, body=body)

    def test_unknown_signature_version_is_refused(self, clock: ManualClock) -> None:
        url, headers, body = resend_request(resend_event(), clock.now())
        headers["svix-signature"] = headers["svix-signature"].replace("v1,", "v2,")
        with pytest.raises(InvalidSignature):
            ResendWebhook(SECRET, clock=clock.now).parse(url=url, headers=headers, body=body)

    @pytest.mark.parametrize("minutes", [-6, 6])
    def test_timestamps_beyond_five_minutes_are_refused(
        self, clock: ManualClock, minutes: int
    ) -> None:
        request = resend_request(resend_event(), clock.now() + timedelta(minutes=minutes))
        with pytest.raises(InvalidSignature):
            _parse(ResendWebhook(SECRET, clock=clock.now), request)

    def test_timestamps_within_five_minutes_are_accepted(self, clock: ManualClock) -> None:
        request = resend_request(resend_event(), clock.now() - timedelta(minutes=4))
        assert _parse(ResendWebhook(SECRET, clock=clock.now), request)

    def test_tampered_svix_id_is_refused(self, clock: ManualClock) -> None:
        url, headers, body = resend_request(resend_event(), clock.now())
        headers["svix-id"] = "msg_other"
        with pytest.raises(InvalidSignature):
            ResendWebhook(SECRET, clock=clock.now).parse(url=url, headers=headers, body=body)

    def test_signing_helper_agrees_with_the_resend_sdk(self) -> None:
        _, headers, body = resend_request(resend_event(), datetime.now(UTC))
        svix = {"id": headers["svix-id"], "timestamp": headers["svix-timestamp"],
                "signature": headers["svix-signature"]}  # fmt: skip
        verified = resend.Webhooks.verify(
            {"payload": body.decode(), "headers": svix, "webhook_secret": SECRET}
        )
        assert verified["data"]["email_id"] == EMAIL_ID

    def test_a_secret_that_is_not_whsec_base64_is_rejected_at_startup(self) -> None:
        with pytest.raises(ValueError, match="whsec_"):
            ResendWebhook("whsec_not base64!")
