"""Delivery webhooks over HTTP: signed callbacks move the outbox forward; anything else is 401."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from domestyx.domain.model.delivery import DeliveryStatus
from tests.stubs.resend_stub import new_signing_secret, svix_headers
from tests.stubs.twilio_stub import AUTH_TOKEN, status_callback
from tests.support.app import build_services, embedded_settings, http_client, register_and_verify

TWILIO_PATH, RESEND_PATH = "/api/v1/webhooks/twilio/status", "/api/v1/webhooks/resend"
SECRET = new_signing_secret()


@pytest.fixture
def world(tmp_path: Path) -> Any:
    settings = embedded_settings(
        tmp_path,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        RESEND_WEBHOOK_SECRET=SECRET,
        PUBLIC_BASE_URL="https://api.domestyx.test",
    )
    services = build_services(settings)
    with http_client(services) as client:
        register_and_verify(client, services, "ann@example.com", "+447700900123")
        yield client, services


def sent(services: Any, channel: str) -> Any:
    with services.engine.connect() as conn:
        from sqlalchemy import select

        from domestyx.adapters.sql import tables as t

        query = select(t.deliveries).where(t.deliveries.c.channel == channel)
        return [row._mapping for row in conn.execute(query)][-1]


def test_signed_twilio_callback_marks_the_sms_delivered(world: Any) -> None:
    client, services = world
    sid = sent(services, "sms")["provider_id"]
    headers, body = status_callback(
        "https://api.domestyx.test" + TWILIO_PATH, sid=sid, status="delivered"
    )
    response = client.post(TWILIO_PATH, content=body, headers=headers)
    assert response.status_code == 200
    assert response.json() == {"received": 1, "applied": 1, "replayed": 0}
    assert sent(services, "sms")["status"] == DeliveryStatus.DELIVERED.value


def test_undelivered_with_an_error_code_is_recorded(world: Any) -> None:
    client, services = world
    sid = sent(services, "sms")["provider_id"]
    headers, body = status_callback(
        "https://api.domestyx.test" + TWILIO_PATH, sid=sid, status="undelivered", error_code="30007"
    )
    assert client.post(TWILIO_PATH, content=body, headers=headers).status_code == 200
    row = sent(services, "sms")
    assert (row["status"], row["error_code"]) == ("undelivered", "twilio:30007")


@pytest.mark.parametrize("attack", ["unsigned", "wrong-token", "other-url", "tampered"])
def test_bad_twilio_signatures_get_401_and_change_nothing(world: Any, attack: str) -> None:
    client, services = world
    sid = sent(services, "sms")["provider_id"]
    url = "https://api.domestyx.test" + TWILIO_PATH
    headers, body = status_callback(
        "https://evil.example/cb" if attack == "other-url" else url,
        sid=sid,
        status="delivered",
        token="x" * 32 if attack == "wrong-token" else AUTH_TOKEN,
    )
    if attack == "unsigned":
        headers = {k: v for k, v in headers.items() if k.lower() != "x-twilio-signature"}
    if attack == "tampered":
        body = body.replace(b"delivered", b"failed")
    response = client.post(TWILIO_PATH, content=body, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert sent(services, "sms")["status"] == DeliveryStatus.SENT.value


def test_svix_signed_resend_event_marks_the_email_delivered(world: Any) -> None:
    client, services = world
    email_id = sent(services, "email")["provider_id"]
    body = json.dumps(
        {
            "type": "email.delivered",
            "created_at": "2026-11-25T10:00:00Z",
            "data": {"email_id": email_id},
        }
    ).encode()
    response = client.post(
        RESEND_PATH,
        content=body,
        headers={**svix_headers(SECRET, body), "content-type": "application/json"},
    )
    assert response.status_code == 200 and response.json()["applied"] == 1
    assert sent(services, "email")["status"] == DeliveryStatus.DELIVERED.value


@pytest.mark.parametrize("attack", ["unsigned", "other-secret", "stale"])
def test_bad_svix_signatures_get_401_and_change_nothing(world: Any, attack: str) -> None:
    client, services = world
    email_id = sent(services, "email")["provider_id"]
    body = json.dumps({"type": "email.bounced", "data": {"email_id": email_id}}).encode()
    headers = {
        "unsigned": {},
        "other-secret": svix_headers(new_signing_secret(), body),
        "stale": svix_headers(SECRET, body, timestamp=1_000_000_000),
    }[attack]
    response = client.post(RESEND_PATH, content=body, headers=headers)
    assert response.status_code == 401
    assert sent(services, "email")["status"] == DeliveryStatus.SENT.value


def test_webhooks_of_an_unconfigured_provider_are_refused(tmp_path: Path) -> None:
    services = build_services(embedded_settings(tmp_path))
    with http_client(services) as client:
        assert client.post(RESEND_PATH, content=b"{}").status_code == 401
        assert client.post(TWILIO_PATH, content=b"a=b").status_code == 401


def audited_callbacks(services: Any) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from domestyx.adapters.sql import tables as t

    query = select(t.audit_events).where(t.audit_events.c.event == "delivery_callback")
    with services.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def test_a_replayed_svix_event_is_acknowledged_and_changes_nothing(world: Any) -> None:
    client, services = world
    email_id = sent(services, "email")["provider_id"]
    delivered = json.dumps({"type": "email.delivered", "data": {"email_id": email_id}}).encode()
    headers = {**svix_headers(SECRET, delivered), "content-type": "application/json"}
    first = client.post(RESEND_PATH, content=delivered, headers=headers)
    assert first.json() == {"received": 1, "applied": 1, "replayed": 0}
    for _ in range(3):
        again = client.post(RESEND_PATH, content=delivered, headers=headers)
        assert again.status_code == 200
        assert again.json() == {"received": 1, "applied": 0, "replayed": 1}
    audited = audited_callbacks(services)
    assert len(audited) == 1 and audited[0]["details"]["event_id"] == headers["svix-id"]
    assert audited[0]["outcome"] == "applied"


def test_a_new_svix_id_is_no_replay(world: Any) -> None:
    client, services = world
    email_id = sent(services, "email")["provider_id"]
    body = json.dumps({"type": "email.delivered", "data": {"email_id": email_id}}).encode()
    for applied in (1, 0):  # the second is a new event (new id) with a stale status
        headers = {**svix_headers(SECRET, body), "content-type": "application/json"}
        response = client.post(RESEND_PATH, content=body, headers=headers)
        assert response.json() == {"received": 1, "applied": applied, "replayed": 0}
    assert [a["outcome"] for a in audited_callbacks(services)] == ["applied", "unchanged"]


def test_a_replayed_twilio_callback_is_acknowledged_and_changes_nothing(world: Any) -> None:
    client, services = world
    sid = sent(services, "sms")["provider_id"]
    url = "https://api.domestyx.test" + TWILIO_PATH
    undelivered = status_callback(url, sid=sid, status="undelivered", error_code="30007")
    assert client.post(TWILIO_PATH, content=undelivered[1], headers=undelivered[0]).json() == {
        "received": 1, "applied": 1, "replayed": 0}  # fmt: skip
    replay = client.post(TWILIO_PATH, content=undelivered[1], headers=undelivered[0])
    assert replay.status_code == 200
    assert replay.json() == {"received": 1, "applied": 0, "replayed": 1}
    row = sent(services, "sms")
    assert (row["status"], row["error_code"]) == ("undelivered", "twilio:30007")
    audited = audited_callbacks(services)
    assert [a["details"]["event_id"] for a in audited] == [f"{sid}:undelivered"]
