"""Twilio stub: Messages.json create and list, validated against the 2010-04-01 OAS extract."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from email.utils import format_datetime
from functools import cache
from typing import Any
from urllib.parse import urlencode

from jsonschema import Draft4Validator
from twilio.request_validator import RequestValidator

from tests.stubs.base import Fault, RecordedRequest, Reply, StubServer, Violation, contract_file

ACCOUNT_SID = "AC" + "a1" * 16
AUTH_TOKEN = "stub-auth-token"
MESSAGING_SERVICE_SID = "MG" + "b2" * 16
_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)/Messages\.json$")
_ACCOUNT = re.compile(r"^AC[0-9a-fA-F]{32}$")
# The OAS x-twilio.conditional rules (one of each group; both senders together are allowed),
# with Twilio's missing-parameter codes as remembered from its error dictionary.
_REQUIRED_GROUPS = (
    (("To",), 21604),
    (("From", "MessagingServiceSid"), 21603),
    (("Body", "MediaUrl", "ContentSid"), 21602),
)
# The stub's own code for any other parameter the OAS schema rejects.
_INVALID_PARAMETER = 20001


@cache
def _fixtures() -> dict[str, Any]:
    fixtures: dict[str, Any] = json.loads(contract_file("provider-stub-fixtures.json").read_text())
    return fixtures["twilio"]  # type: ignore[no-any-return]


@cache
def _create_schema() -> Draft4Validator:
    spec = json.loads(contract_file("twilio-api-v2010-messages.json").read_text())
    post = spec["paths"]["/2010-04-01/Accounts/{AccountSid}/Messages.json"]["post"]
    schema = post["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    return Draft4Validator({**schema, "components": spec["components"]})


def twilio_error(
    status: int, code: int, message: str = "stub error", *, retry_after: int | None = None
) -> Reply:
    """Twilio's legacy error body, which the SDK turns into TwilioRestException."""
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    # Twilio documents no Retry-After for 20429; a test may add one to check it is honoured.
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return Reply.json(status, body, headers)


def fail(status: int, code: int | None = None, *, retry_after: int | None = None) -> Fault:
    """A scripted Twilio error for the next request."""
    return Fault.answer(twilio_error(status, code or status, retry_after=retry_after))


class TwilioStub(StubServer):
    """One account; keeps every accepted message and lists them newest first."""

    def __init__(
        self,
        account_sid: str = ACCOUNT_SID,
        auth_token: str = AUTH_TOKEN,
        *,
        clock: Callable[[], datetime] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        _fixtures(), _create_schema()  # load the specs now, not in the first request's budget
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.clock = clock or (lambda: datetime.now(UTC))
        self.messages: list[dict[str, Any]] = []

    def check(self, request: RecordedRequest) -> list[Violation]:
        """Route, Basic auth, then the create form or the list query."""
        route = _PATH.match(request.path)
        if route is None or not _ACCOUNT.match(route["sid"]):
            return [Violation(f"unknown path {request.path}", twilio_error(404, 20404))]
        if not self._authorized(request, route["sid"]):
            return [Violation("bad Basic auth", twilio_error(401, 20003, "Authenticate"))]
        if request.method == "POST":
            return _create_violations(request)
        if request.method == "GET":
            return _list_violations(request)
        return [Violation(f"{request.method} Messages.json", twilio_error(405, 20004))]

    def handle(self, request: RecordedRequest) -> Reply:
        """Create (magic numbers refuse like test credentials do) or list."""
        if request.method == "GET":
            return Reply.json(200, self._page(request))
        form = {k: v[0] for k, v in request.form().items()}
        refusal = _magic_refusal(form)
        if refusal is not None:
            return refusal
        message = self._resource(form)
        self.messages.append(message)
        return Reply.json(201, message)

    def sent(self) -> list[dict[str, Any]]:
        """Accepted messages, oldest first."""
        with self.lock:
            return list(self.messages)

    def _authorized(self, request: RecordedRequest, path_sid: str) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme != "Basic":
            return False
        user, _, password = base64.b64decode(encoded).decode().partition(":")
        return user == path_sid == self.account_sid and password == self.auth_token

    def _resource(self, form: dict[str, str]) -> dict[str, Any]:
        sid = "SM" + uuid.uuid4().hex
        stamp = format_datetime(self.clock().astimezone(UTC).replace(microsecond=0), usegmt=False)
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}"
        return {
            **_fixtures()["create_message"]["response_body"],
            "account_sid": self.account_sid,
            "body": form.get("Body", ""),
            "to": form["To"],
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "sid": sid,
            "status": "queued",
            "date_created": stamp,
            "date_sent": stamp,
            "date_updated": stamp,
            "uri": f"{uri}.json",
            "subresource_uris": {"media": f"{uri}/Media.json"},
        }

    def _page(self, request: RecordedRequest) -> dict[str, Any]:
        query = {k: v[0] for k, v in request.query.items()}
        size, number = int(query.get("PageSize", "50")), int(query.get("Page", "0"))
        found = [m for m in reversed(self.messages) if _matches(m, query)]
        chunk = found[number * size : (number + 1) * size]
        base = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"

        def link(page: int) -> str:
            params = {**query, "PageSize": str(size), "Page": str(page)}
            return f"{base}?{urlencode(params)}"

        more = (number + 1) * size < len(found)
        next_uri = f"{link(number + 1)}&PageToken=PA{uuid.uuid4().hex}" if more else None
        return {
            "messages": chunk,
            "start": number * size,
            "end": number * size + max(len(chunk) - 1, 0),
            "page": number,
            "page_size": size,
            "uri": link(number),
            "first_page_uri": link(0),
            "next_page_uri": next_uri,
            "previous_page_uri": link(number - 1) if number else None,
        }


def _create_violations(request: RecordedRequest) -> list[Violation]:
    if request.headers.get("content-type", "").split(";")[0] != "application/x-www-form-urlencoded":
        return [Violation("body is not a urlencoded form", twilio_error(400, _INVALID_PARAMETER))]
    form = request.form()
    found = [
        Violation(
            f"CreateMessageRequest: {e.message}", twilio_error(400, _INVALID_PARAMETER, e.message)
        )
        for e in _create_schema().iter_errors(_typed(form))
    ]
    for group, code in _REQUIRED_GROUPS:
        if not any(form.get(name, [""])[0] for name in group):
            found.append(Violation(f"one of {group} is required", twilio_error(400, code)))
    return found


def _list_violations(request: RecordedRequest) -> list[Violation]:
    found = []
    for name in ("DateSent", "DateSent<", "DateSent>"):
        for value in request.query.get(name, []):
            if _filter_date(value) is None:
                found.append(
                    Violation(f"{name}={value} is no date", twilio_error(400, _INVALID_PARAMETER))
                )
    size = request.query.get("PageSize", ["50"])[0]
    if not size.isdigit() or not 1 <= int(size) <= 1000:
        found.append(Violation(f"PageSize={size}", twilio_error(400, _INVALID_PARAMETER)))
    if not request.query.get("Page", ["0"])[0].isdigit():
        found.append(Violation("Page is not a number", twilio_error(400, _INVALID_PARAMETER)))
    return found


def _typed(form: dict[str, list[str]]) -> dict[str, Any]:
    """Form strings as the OAS types them, so the schema can judge them."""
    props = _create_schema().schema["properties"]
    typed: dict[str, Any] = {}
    for name, values in form.items():
        kind = props.get(name, {}).get("type")
        value: Any = values if kind == "array" else values[0]
        if kind == "boolean" and value in ("true", "false"):
            value = value == "true"
        elif kind in ("integer", "number") and re.fullmatch(r"-?\d+(\.\d+)?", value):
            value = float(value) if kind == "number" else int(value)
        typed[name] = value
    return typed


def _magic_refusal(form: dict[str, str]) -> Reply | None:
    magic = _fixtures()["test_credentials_magic_numbers"]
    titles = {e["code"]: e["title"] for e in _fixtures()["synchronous_errors"]}
    for field in ("From", "To"):
        code = magic[field].get(form.get(field, ""))
        if isinstance(code, int):
            return twilio_error(400, code, titles.get(code, f"Twilio error {code}"))
    return None


def _filter_date(value: str) -> date | None:
    """Twilio documents DateSent filters at day granularity (YYYY-MM-DD); the SDK adds a time."""
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _matches(message: dict[str, Any], query: dict[str, str]) -> bool:
    if "To" in query and message["to"] != query["To"]:
        return False
    if "From" in query and message["from"] != query["From"]:
        return False
    sent = datetime.strptime(message["date_sent"], "%a, %d %b %Y %H:%M:%S %z").date()
    after, before, on = (
        _filter_date(query.get(k, "")) for k in ("DateSent>", "DateSent<", "DateSent")
    )
    return not ((after and sent < after) or (before and sent > before) or (on and sent != on))


def status_callback(
    url: str, *, sid: str, status: str, error_code: str | None = None, token: str = AUTH_TOKEN
) -> tuple[dict[str, str], bytes]:
    """Headers and form body of a StatusCallback Twilio would POST to `url`, signed."""
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": "+15005550006",
        "To": "+14155550100",
        "MessageStatus": status,
        "SmsStatus": status,
        "ApiVersion": "2010-04-01",
    }
    if error_code:
        params["ErrorCode"] = error_code
    signature = RequestValidator(token).compute_signature(url, params)
    headers = {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}
    return headers, urlencode(params).encode()
