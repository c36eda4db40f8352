"""Sentry adapter against a loopback ingest stub: what arrives, and what never leaves."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest
import sentry_sdk
from dramatiq.brokers.stub import StubBroker
from litestar import Litestar, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import MultipartBody
from litestar.testing import TestClient

from domestyx.adapters.sentry.redaction import FILTERED, pseudonym
from domestyx.adapters.sentry.reporter import SentryErrorReporter, attach_request_id, init_sentry
from domestyx.adapters.sentry.scrubber import BODY_REMOVED, BYTES_REMOVED, Scrubber
from domestyx.domain.model.errors import DependencyUnavailable, InvalidCode, NotFound
from domestyx.ports.monitoring import ErrorReporter
from tests.stubs.sentry_stub import SentryStub, isolated_sentry

# The secrets live here, far from any frame the tests raise in: Sentry ships ~5 lines of
# source around each frame, and a literal next to a `raise` would leak through the source.
PASSWORD = "hunter2-Zebra-Quartz-91"
CODE = "739251"
TOKEN = "dxat_Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA"
EMAIL = "maria.worker@example.org"
PHONE = "+447700900123"
KEY = b"k" * 32
RELEASE = "domestyx@1.2.3"
UPLOAD = {"file": ("maria-passport.pdf", b"%PDF-1.7 scanned passport", "application/pdf")}
FORBIDDEN = (PASSWORD, CODE, TOKEN, EMAIL, "maria.worker", PHONE, "447700900123")


def _start(stub: SentryStub, integrations: tuple[str, ...] = ()) -> None:
    init_sentry(
        stub.dsn,
        environment="contract-test",
        release=RELEASE,
        server_name="web-1",
        integrations=integrations,
        pseudonym_key=KEY,
    )


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[SentryStub]:
    """A fresh ingest stub; Sentry is shut down and unset afterwards so tests never share it."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    with isolated_sentry() as server:
        yield server


@pytest.fixture
def reporter(stub: SentryStub) -> SentryErrorReporter:
    """Initialised without integrations: the core reporting path only."""
    _start(stub)
    return SentryErrorReporter()


def _exception_values(event: dict[str, Any]) -> list[dict[str, Any]]:
    return list(event["exception"]["values"])


def test_reporter_satisfies_the_port() -> None:
    assert isinstance(SentryErrorReporter(), ErrorReporter)


def test_exception_arrives_with_stack_trace_environment_and_release(
    reporter: SentryErrorReporter, stub: SentryStub
) -> None:
    try:
        _explode()
    except ValueError as exc:
        reporter.capture_exception(exc, job="purge")
    sentry_sdk.flush(5)
    (event,) = stub.wait_for(1)
    (value,) = _exception_values(event)
    assert value["type"] == "ValueError"
    assert [f["function"] for f in value["stacktrace"]["frames"]][-1] == "_explode"
    assert (event["environment"], event["release"]) == ("contract-test", RELEASE)
    assert event["tags"]["job"] == "purge"
    assert "sentry_key=public" in stub.auth_headers[0]


def test_no_secret_or_contact_survives_anywhere_in_the_envelope(
    reporter: SentryErrorReporter, stub: SentryStub
) -> None:
    try:
        _fail_login(EMAIL, PHONE, PASSWORD, CODE, TOKEN)
    except RuntimeError as exc:
        reporter.capture_exception(exc, destination=PHONE, query=f"code={CODE}&email={EMAIL}")
    sentry_sdk.flush(5)
    (event,) = stub.wait_for(1)
    raw = stub.raw.decode()
    leaked = [secret for secret in FORBIDDEN if secret in raw]
    assert leaked == []
    # Frames carry no local variables at all (include_local_variables=False).
    assert all("vars" not in f for f in _exception_values(event)[0]["stacktrace"]["frames"])
    assert pseudonym("email", EMAIL, KEY) in raw
    assert pseudonym("phone", PHONE, KEY) in event["tags"]["destination"]
    (crumb,) = [c for c in event["breadcrumbs"]["values"] if c["category"] == "domestyx.contract"]
    assert "'Authorization': '[Filtered]'" in crumb["message"]
    assert not sentry_sdk.get_client().should_send_default_pii()


def test_transactions_are_scrubbed_too(stub: SentryStub) -> None:
    init_sentry(stub.dsn, environment="t", release="r", integrations=(), traces_sample_rate=1.0)
    with sentry_sdk.start_transaction(name="verify", op="task") as transaction:
        transaction.set_data("destination", EMAIL)
        with sentry_sdk.start_span(op="http.client", name=f"GET /lookup?phone={PHONE}"):
            pass
    sentry_sdk.flush(5)
    assert b'"type":"transaction"' in stub.raw
    assert EMAIL.encode() not in stub.raw
    assert PHONE.encode() not in stub.raw


def test_domain_errors_are_not_sent(reporter: SentryErrorReporter, stub: SentryStub) -> None:
    reporter.capture_exception(InvalidCode())
    reporter.capture_exception(NotFound("no such document"))
    reporter.capture_message("marker")
    sentry_sdk.flush(5)
    assert [e.get("message") for e in stub.wait_for(1)] == ["marker"]


def test_litestar_client_errors_are_not_sent_but_server_errors_are(
    reporter: SentryErrorReporter, stub: SentryStub
) -> None:
    reporter.capture_exception(NotFoundException())
    reporter.capture_exception(HTTPException(status_code=502, detail="upstream"))
    sentry_sdk.flush(5)
    events = stub.wait_for(1)
    assert [_exception_values(e)[0]["type"] for e in events] == ["HTTPException"]


def test_dependency_outage_is_sent_although_it_is_a_domain_error(
    reporter: SentryErrorReporter, stub: SentryStub
) -> None:
    reporter.capture_exception(DependencyUnavailable("redis down", dependency="redis"))
    sentry_sdk.flush(5)
    (event,) = stub.wait_for(1)
    assert _exception_values(event)[0]["type"] == "DependencyUnavailable"


def test_capture_message_with_context_arrives_once(
    reporter: SentryErrorReporter, stub: SentryStub
) -> None:
    reporter.capture_message(
        "sms budget breaker open", level="warning", prefix="+44", detail="x" * 300
    )
    sentry_sdk.flush(5)
    events = stub.wait_for(2, timeout=1)
    assert len(events) == 1
    (event,) = events
    assert (event["message"], event["level"]) == ("sms budget breaker open", "warning")
    assert event["tags"]["prefix"] == "+44"
    assert event["extra"]["detail"] == "x" * 300


def test_unknown_level_is_reported_as_error(
    reporter: SentryErrorReporter, stub: SentryStub
) -> None:
    reporter.capture_message("odd", level="shouting")
    sentry_sdk.flush(5)
    assert stub.wait_for(1)[0]["level"] == "error"


def test_request_id_tags_every_event_of_the_scope(
    reporter: SentryErrorReporter, stub: SentryStub
) -> None:
    with sentry_sdk.isolation_scope():
        attach_request_id("req-42")
        reporter.capture_message("inside")
    reporter.capture_message("outside")
    sentry_sdk.flush(5)
    tags = {e["message"]: e.get("tags", {}) for e in stub.wait_for(2)}
    assert tags["inside"]["request_id"] == "req-42"
    assert "request_id" not in tags["outside"]


def test_unknown_integration_is_refused(stub: SentryStub) -> None:
    with pytest.raises(ValueError, match="celery"):
        init_sentry(stub.dsn, environment="t", release="r", integrations=("celery",))


def test_litestar_upload_failure_sends_no_document_bytes(stub: SentryStub) -> None:
    _start(stub, ("litestar",))

    @post("/upload", sync_to_thread=False)
    def upload(data: MultipartBody[dict[str, UploadFile]]) -> None:
        raise RuntimeError("storage rejected the upload")

    @post("/domain", sync_to_thread=False)
    def domain() -> None:
        raise InvalidCode()

    with TestClient(Litestar([upload, domain])) as client:
        assert client.post("/domain").status_code == 500  # no handler: the integration sees it
        assert client.post("/upload", files=UPLOAD).status_code == 500
    sentry_sdk.flush(5)
    events = stub.wait_for(2, timeout=1)
    assert [_exception_values(e)[0]["value"] for e in events] == ["storage rejected the upload"]
    assert events[0]["request"]["data"] == BODY_REMOVED
    assert b"scanned passport" not in stub.raw
    assert b"maria-passport" not in stub.raw
    assert all("vars" not in f for f in _exception_values(events[0])[0]["stacktrace"]["frames"])


def test_dramatiq_attempt_failures_are_left_to_the_dead_letter_report(stub: SentryStub) -> None:
    """The integration reports every failed attempt; we drop those and the worker's dead-letter
    middleware reports the final failure once (tests/e2e/test_sentry_events.py)."""
    _start(stub, ("dramatiq",))
    broker = StubBroker()  # built after init_sentry, as the integration requires

    @dramatiq.actor(broker=broker, max_retries=0, queue_name="sentry-contract")
    def deliver(destination: str) -> None:
        raise RuntimeError(f"provider refused {destination}")

    worker = dramatiq.Worker(broker, worker_timeout=100, worker_threads=1)
    worker.start()
    try:
        deliver.send(PHONE)
        broker.join(deliver.queue_name, fail_fast=False)
    finally:
        worker.stop()
        broker.close()
    sentry_sdk.flush(5)
    assert stub.wait_for(1, timeout=1.5) == []
    assert PHONE.encode() not in stub.raw


class TestScrubber:
    """The scrubbing rules on their own, without the SDK."""

    scrubber = Scrubber(KEY)

    @pytest.mark.parametrize(
        "key",
        [
            "password",
            "new_password",
            "Authorization",
            "set-cookie",
            "x-twilio-signature",
            "svix-signature",
            "cf-turnstile-response",
            "turnstile_token",
            "refresh_token",
            "api_key",
            "code",
            "otp",
            "auth",
            "jwt",
            "session",
            "secret",
            "passwd",
        ],
    )
    def test_secret_keys_are_filtered(self, key: str) -> None:
        assert self.scrubber.scrub({key: "value"}) == {key: FILTERED}

    @pytest.mark.parametrize("key", ["status_code", "error_code", "author", "kind", "otp_store"])
    def test_ordinary_keys_are_kept(self, key: str) -> None:
        assert self.scrubber.scrub({key: "value"}) == {key: "value"}

    @pytest.mark.parametrize(
        ("text", "kept"),
        [
            (f"Authorization: Bearer {TOKEN}", "Authorization"),
            (f"{{'password': '{PASSWORD}', 'kind': 'passport'}}", "'kind': 'passport'"),
            ("code=739251&next=%2Fme&email=maria.worker%40example.org", "next=%2Fme"),
            (f"Your DomestyX code is {CODE}", "Your DomestyX code is"),
            ("to=%2B447700900123 status=sent", "status=sent"),
            ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl done", "done"),
        ],
    )
    def test_secrets_in_free_text_are_redacted(self, text: str, kept: str) -> None:
        scrubbed = str(self.scrubber.scrub(text))
        assert kept in scrubbed
        assert not any(s in scrubbed for s in (*FORBIDDEN, "eyJhbGciOiJIUzI1NiJ9", "%40"))

    def test_numbers_that_are_not_phones_survive(self) -> None:
        text = "at 2026-11-25T10:00:00+00:00 HTTP 503 after 1500 ms, Twilio error 21211"
        assert self.scrubber.scrub(text) == text

    def test_bytes_never_leave(self) -> None:
        local_vars = {"head": "b'%PDF-1.7 scanned'", "chunk": b"\x89PNG", "kind": "'passport'"}
        assert self.scrubber.scrub(local_vars) == {
            "head": BYTES_REMOVED,
            "chunk": BYTES_REMOVED,
            "kind": "'passport'",
        }

    def test_scrubbing_twice_changes_nothing_more(self) -> None:
        once = self.scrubber.scrub({"msg": f"password={PASSWORD} to {EMAIL}", "token": TOKEN})
        assert self.scrubber.scrub(once) == once

    def test_cyclic_breadcrumb_data_terminates(self) -> None:
        data: dict[str, Any] = {"email": EMAIL}
        data["self"] = data
        crumb = self.scrubber.before_breadcrumb({"data": data}, {})
        assert crumb is not None
        assert EMAIL not in repr(crumb)


def _explode() -> None:
    raise ValueError("boom")


def _fail_login(email: str, phone: str, password: str, code: str, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    form = {"email": email, "phone": phone, "password": password, "code": code}
    logging.getLogger("domestyx.contract").warning(
        "retrying with headers %s for %s", headers, email
    )
    assert form
    raise RuntimeError(
        f"login failed for {email} / {phone}: password={password} code={code} "
        f"Authorization: Bearer {token}"
    )
