"""Schemathesis against the app's own OpenAPI, in-process, as anonymous, worker and reviewer.

Every documented operation with valid, realistic and invalid data, bounded and derandomized;
then the links schemathesis infers between operations (upload -> read -> download -> delete,
sessions -> revoke, queue -> claim -> decide). Every check schemathesis has for a single answer
runs on every answer, errors included (the contract documents each operation's problems): status,
content type, response schema, response headers, negative data, ignored auth, missing required
header, unsupported method and Allow; the linked workflows add use-after-free and resource
availability. No waivers were needed. (The schemathesis pytest plugin's
`from_fixture` cannot run under pytest 9.2, it writes `node._nodeid`: hence this driver over
`APIOperation.as_strategy`.)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import sentry_sdk
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Flaky, HypothesisException
from schemathesis import Case, Response
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import ensure_resource_availability, use_after_free

from domestyx.entrypoints.http.app import create_app
from domestyx.entrypoints.services import Services
from tests.stubs.sentry_stub import SentryStub, isolated_sentry
from tests.support.app import build_services, embedded_settings, http_client, rate_limits
from tests.support.callers import staff, submit_for_review, unverified_worker, verified_worker
from tests.support.files import png
from tests.support.fuzzing import ANSWER_CHECKS, CHECKS, Identity, cases

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Every operation of the OpenAPI; a new route fails the inventory test until it is added here.
OPERATIONS = (
    "GET /health/live",
    "GET /health/ready",
    "GET /api/v1/config",
    "GET /.well-known/jwks.json",
    "POST /api/v1/auth/register",
    "POST /api/v1/auth/otp/send",
    "POST /api/v1/auth/otp/verify",
    "POST /api/v1/auth/login",
    "POST /api/v1/auth/refresh",
    "POST /api/v1/auth/logout",
    "POST /api/v1/auth/password/forgot",
    "POST /api/v1/auth/password/reset",
    "GET /api/v1/me",
    "POST /api/v1/me/password",
    "POST /api/v1/me/email",
    "POST /api/v1/me/phone",
    "POST /api/v1/me/email/verify",
    "POST /api/v1/me/phone/verify",
    "GET /api/v1/me/sessions",
    "DELETE /api/v1/me/sessions/{session_id}",
    "POST /api/v1/me/mfa/totp",
    "POST /api/v1/me/mfa/totp/confirm",
    "GET /api/v1/documents",
    "POST /api/v1/documents",
    "GET /api/v1/documents/{document_id}",
    "DELETE /api/v1/documents/{document_id}",
    "GET /api/v1/documents/{document_id}/download",
    "GET /api/v1/verification",
    "POST /api/v1/verification/submit",
    "GET /api/v1/admin/verifications",
    "POST /api/v1/admin/verifications/{verification_id}/claim",
    "POST /api/v1/admin/verifications/{verification_id}/decision",
    "GET /api/v1/admin/documents/{document_id}",
    "GET /api/v1/admin/documents/{document_id}/download",
    "GET /api/v1/admin/accounts",
    "GET /api/v1/admin/accounts/{account_id}",
    "POST /api/v1/admin/accounts/{account_id}/lock",
    "POST /api/v1/admin/accounts/{account_id}/unlock",
    "POST /api/v1/admin/accounts/{account_id}/sign-out-everywhere",
    "POST /api/v1/admin/accounts/{account_id}/resend",
)
# Closing the account ends every later authenticated call, so it runs on throwaway accounts.
ACCOUNT_DELETION = "DELETE /api/v1/me"
CALLERS = ("anonymous", "worker", "reviewer")
# Examples per operation and caller; argon2 runs on every login, register and password change,
# refusals included (timing safety), so those get fewer.
DEFAULT_BUDGET = 80
BUDGET = {
    "POST /api/v1/auth/register": 40,
    "POST /api/v1/auth/login": 40,
    "POST /api/v1/me/password": 40,
    "POST /api/v1/auth/password/reset": 40,
    "POST /api/v1/me/email": 40,
    "POST /api/v1/me/phone": 40,
    "POST /api/v1/documents": 40,
}
# Requests take milliseconds; seconds means something spins (ReDoS, a lock, a runaway hash).
DEADLINE = timedelta(seconds=5)
# The server keeps its state between scenarios, so a replay is not the same run: no shrinking.
STATEFUL = settings(
    phases=[Phase.explicit, Phase.generate],
    max_examples=40,
    stateful_step_count=10,
    deadline=DEADLINE,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
MIN_STATEFUL_STEPS = 100
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261125,
        # The callers' tokens are sent by the driver (World.headers); generated ones would be
        # overridden, so a "missing Authorization" case would be a valid request in disguise.
        "generation": {"deterministic": True, "database": "none",
                       "with-security-parameters": False},
        # Linked workflows send valid data; invalid data is the per-operation tests' job.
        "phases": {"stateful": {"generation": {"mode": "positive"}}},
        # The defaults, plus 413: an oversized invalid body is rightly refused as too large.
        "checks": {"negative_data_rejection": {"expected-statuses": [
            "400", "401", "403", "404", "405", "409", "413", "415", "422", "429"]}},
    }
)  # fmt: skip
# One fuzzer is one IP sending thousands of requests: per-IP limits would stop it at the door.
# Per-account and per-destination limits keep their defaults.
GENEROUS_IP_LIMITS = tuple(
    (f"{endpoint}.ip", "100000/1h")
    for endpoint in ("register", "login", "otp_send", "otp_verify", "refresh")
)


class World:
    """The callers, made on the embedded app; the fuzzer drives a second app on its services."""

    def __init__(self, services: Services, client: Any) -> None:
        self.app = create_app(services, embedded_worker=False)  # `client`'s app runs the jobs
        self.identities = {
            "worker": Identity(
                services, verified_worker(client, services, "fuzz@example.com", "+447700900201")
            ),
            "reviewer": Identity(
                services, staff(client, services, "rev@example.com", "+447700900202")
            ),
        }
        # Someone whose submission fills the reviewer queue, so claims and decisions are real.
        submit_for_review(
            client, verified_worker(client, services, "applicant@example.com", "+447700900203")
        )
        self.doomed = (
            unverified_worker(client, services, "doomed@example.com", "+447700900204"),
            staff(client, services, "doomed-rev@example.com", "+447700900205"),
        )

    def headers(self, who: str) -> dict[str, str]:
        """Authorization for a caller name; anonymous sends none."""
        return self.identities[who].headers() if who in self.identities else {}


@pytest.fixture(scope="module")
def sentry() -> Iterator[SentryStub]:
    """Sentry on, as in production: its integration reads bodies before the routes do."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NO_PROXY", "127.0.0.1,localhost")
        with isolated_sentry() as stub:
            yield stub


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sentry: SentryStub) -> Iterator[World]:
    var_dir = Path(tmp_path_factory.mktemp("fuzz"))
    settings = embedded_settings(
        var_dir, RATE_LIMITS=rate_limits(GENEROUS_IP_LIMITS), SENTRY_DSN_BACKEND=sentry.dsn
    )
    services = build_services(settings)
    assert sentry_sdk.get_client().is_active()  # zero events means nothing with Sentry off
    with http_client(services) as client:
        yield World(services, client)


@pytest.fixture(autouse=True)
def nothing_reaches_sentry(sentry: SentryStub) -> Iterator[None]:
    """No fuzzed input is an incident: zero events (and zero 5xx, checked on every answer)."""
    yield
    sentry_sdk.flush(5)
    assert sentry.events == [], [e.get("exception") for e in sentry.events]


@pytest.fixture(scope="module")
def api_schema(world: World) -> Any:
    return schemathesis.openapi.from_asgi("/schema/openapi.json", world.app, config=CONFIG)


def _operation(api_schema: Any, label: str) -> Any:
    method, path = label.split(" ", 1)
    return api_schema[path][method]


def fuzz(operation: Any, headers: Callable[[], dict[str, str]]) -> None:
    """Run one operation's budget; `headers` is asked per case, as sessions may be revoked."""

    @settings(
        max_examples=BUDGET.get(operation.label, DEFAULT_BUDGET),
        deadline=DEADLINE,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases(operation))
    def run(case: Case) -> None:
        case.call_and_validate(headers=headers(), checks=CHECKS)

    run()


def test_the_fuzzed_operations_are_every_documented_one(api_schema: Any) -> None:
    documented = {result.ok().label for result in api_schema.get_all_operations()}
    assert documented == {*OPERATIONS, ACCOUNT_DELETION}


@pytest.mark.parametrize("label", OPERATIONS)
@pytest.mark.parametrize("who", CALLERS)
def test_no_server_error_and_every_answer_keeps_its_contract(
    api_schema: Any, world: World, who: str, label: str
) -> None:
    fuzz(_operation(api_schema, label), lambda: world.headers(who))


def test_closing_an_account_never_fails_on_the_server(api_schema: Any, world: World) -> None:
    operation = _operation(api_schema, ACCOUNT_DELETION)
    fuzz(operation, dict)
    for caller in world.doomed:
        fuzz(operation, lambda caller=caller: caller.headers)


@pytest.mark.parametrize("who", ["worker", "reviewer"])
def test_linked_workflows_keep_every_contract(api_schema: Any, world: World, who: str) -> None:
    """Upload -> read -> download -> delete, sessions -> revoke, queue -> claim -> decide.

    Failures are kept as they happen. Hypothesis replays what it drew to check its own
    determinism, and a live server's state has moved on by then, so a run may end in `Flaky`
    with nothing wrong (schemathesis' own engine treats it the same way); it must still have
    walked far enough, and carried real ids to successful calls, to count.
    """
    failures: list[BaseException] = []
    answered: list[tuple[str, int]] = []

    class Workflow(api_schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return {"headers": world.headers(who)}

        def before_call(self, case: Case) -> None:
            # Random bytes never pass the sniffer; a real file lets the upload's links be walked.
            if case.operation.label == "POST /api/v1/documents" and isinstance(case.body, dict):
                case.body = {**case.body, "kind": "passport", "file": png()}

        def step(self, input: Any) -> Any:  # noqa: A002 - the base class names it so
            try:
                output = super().step(input)
            except (FailureGroup, Exception) as exc:
                if not isinstance(exc, HypothesisException):
                    failures.append(exc)
                raise
            answered.append((input.case.operation.label, output.response.status_code))
            return output

        def validate_response(
            self, response: Response, case: Case, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            # Valid data only here (see CONFIG); the per-operation tests send the invalid kind.
            case.validate_response(
                response,
                checks=[*ANSWER_CHECKS, use_after_free, ensure_resource_availability],
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    with contextlib.suppress(Flaky):
        Workflow.run(settings=STATEFUL)
    if failures:
        raise failures[0]
    assert len(answered) >= MIN_STATEFUL_STEPS, answered
    assert any(status < 300 and "{" in label for label, status in answered), answered
