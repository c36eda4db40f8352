"""What the fuzz suite checks on every answer, and the realistic inputs it mixes into its cases."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from schemathesis import Case, CheckContext, GenerationMode, Response
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from domestyx.domain.model.audit import ClientContext
from domestyx.domain.model.errors import InvalidToken
from domestyx.entrypoints.services import Services
from tests.support.app import DUMMY_TOKEN
from tests.support.callers import Caller
from tests.support.files import jpeg, pdf, png
from tests.support.problems import problem_violations, stack_trace_in


def errors_are_problems(ctx: CheckContext, response: Response, case: Case) -> None:
    """Every 4xx/5xx is problem+json with type, title, status, detail and the request id."""
    if response.status_code >= 400:
        headers = {name.lower(): values[0] for name, values in response.headers.items()}
        violations = problem_violations(response.status_code, headers, response.content)
        assert not violations, f"not a proper problem: {violations}"


def no_stack_trace(ctx: CheckContext, response: Response, case: Case) -> None:
    """No traceback or frame text in any body."""
    marker = stack_trace_in(response.content)
    assert marker is None, f"the body carries {marker!r}"


# What every answer must satisfy, whatever was sent: the documented status, media type, body
# schema and headers (errors included: the contract documents every problem), and our own rules.
ANSWER_CHECKS = [
    not_a_server_error,
    no_stack_trace,
    errors_are_problems,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# ...and invalid data must be refused, a bearer operation must refuse the call without its token,
# and methods the path lacks are 405 with a truthful Allow.
CHECKS = [
    *ANSWER_CHECKS,
    negative_data_rejection,
    ignored_auth,
    missing_required_header,
    unsupported_method,
    allow_header_conformance,
]

EMAILS = st.from_regex(r"[a-z]{1,12}@example\.(com|org)", fullmatch=True)
PHONES = st.from_regex(r"\+4477009[0-9]{5}", fullmatch=True)
PASSING = st.just(DUMMY_TOKEN)
CONTACTS = st.one_of(
    st.fixed_dictionaries(
        {
            "channel": st.just("email"),
            "destination": EMAILS,
            "purpose": st.sampled_from(["verify_email", "login"]),
        }
    ),
    st.fixed_dictionaries(
        {
            "channel": st.just("sms"),
            "destination": PHONES,
            "purpose": st.sampled_from(["verify_phone", "login"]),
        }
    ),
)
# Per operation, the fields a real client sends, laid over a generated valid body.
REALISTIC: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "POST /api/v1/auth/register": st.fixed_dictionaries(
        {
            "email": EMAILS,
            "phone": PHONES,
            "password": st.text(min_size=8, max_size=64),
            "turnstile_token": PASSING,
        }
    ),
    "POST /api/v1/auth/login": st.fixed_dictionaries(
        {"email": EMAILS, "phone": st.none(), "turnstile_token": PASSING}
    ),
    "POST /api/v1/auth/otp/send": CONTACTS.map(lambda c: {**c, "turnstile_token": DUMMY_TOKEN}),
    "POST /api/v1/auth/otp/verify": st.builds(
        lambda contact, code: {**contact, "code": code},
        CONTACTS,
        st.from_regex(r"[0-9]{6}", fullmatch=True),
    ),
    "POST /api/v1/documents": st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["id_card", "passport", "proof_of_address", "other"]),
            "file": st.sampled_from([png(), jpeg(), pdf()]),
        }
    ),
}


def _realistic(operation: Any, case: Case) -> st.SearchStrategy[Case]:
    """The valid case with what random data rarely hits: real contacts, a passing captcha, a file.

    Without it registration, sign-in and code sending stop at the captcha or the address check,
    and every upload at the content sniffer. The body is fixed through the strategy, so the case
    stays positive and the negative-data check stays honest.
    """
    overrides = REALISTIC.get(operation.label)
    if overrides is None or not isinstance(case.body, dict):
        return st.just(case)
    body = case.body
    bodies = overrides.map(lambda drawn: {**body, **drawn})
    return bodies.flatmap(lambda fixed: operation.as_strategy(GenerationMode.POSITIVE, body=fixed))


def cases(operation: Any) -> st.SearchStrategy[Case]:
    """Generated valid cases, realistic valid cases and invalid cases, in equal shares."""
    positive = operation.as_strategy(GenerationMode.POSITIVE)
    realistic = positive.flatmap(lambda case: _realistic(operation, case))
    return st.one_of(positive, realistic, operation.as_strategy(GenerationMode.NEGATIVE))


class Identity:
    """A caller whose session survives the fuzzer revoking it: a fresh one is opened when needed.

    Opened through the session service, not a login: the fuzzer may revoke the current session
    on every step, and per-account login limits would soon refuse a re-login.
    """

    CTX = ClientContext(ip="198.51.100.10", user_agent="fuzz-fixture")

    def __init__(self, services: Services, caller: Caller) -> None:
        self.services = services
        self.caller = caller

    def headers(self) -> dict[str, str]:
        """A live bearer header."""
        try:
            self.services.sessions.authenticate(self.caller.tokens["access_token"])
        except InvalidToken:
            with self.services.uow() as uow:
                account = uow.accounts.get(self.caller.account_id)
                assert account is not None
                pair = self.services.sessions.start(uow, account, self.CTX)
                uow.commit()
            self.caller.tokens = {"access_token": pair.access_token}
        return self.caller.headers
