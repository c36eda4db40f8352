"""The OpenAPI contract: security, problems, strict bodies, enums, examples, Allow, strict types."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from litestar import Controller, Request, post
from litestar.di import Provide
from litestar.params import JSONBody
from litestar.testing import TestClient
from openapi_spec_validator import validate

from domestyx.domain.model import errors as e
from domestyx.domain.model.accounts import AccountStatus, IdentityStatus, Role
from domestyx.domain.model.documents import CONTENT_TYPES, DocumentKind, DocumentStatus
from domestyx.entrypoints.http.app import create_app
from domestyx.entrypoints.http.deps import Caller, principal
from domestyx.entrypoints.http.schemas import RefreshIn
from tests.stubs.sentry_stub import isolated_sentry
from tests.support.app import build_services, embedded_settings, http_client
from tests.support.problems import assert_problem

pytestmark = pytest.mark.e2e

PROBLEM_REF = "#/components/schemas/Problem"
RATE_LIMIT_HEADERS = (
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "RateLimit-Policy",
)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient[Any]]:
    services = build_services(embedded_settings(Path(tmp_path_factory.mktemp("contract"))))
    with TestClient(create_app(services, embedded_worker=False)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def doc(client: TestClient[Any]) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/schema/openapi.json").json()
    return document


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    return doc["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "01NOSUCHID", path)


def test_the_document_is_valid_openapi_3_1(doc: dict[str, Any]) -> None:
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_every_operation_that_needs_a_token_says_so_and_no_other(
    client: TestClient[Any], doc: dict[str, Any]
) -> None:
    """Anonymous calls: exactly the operations documented with the bearer scheme answer 401."""
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for path, method, operation in operations(doc):
        documented = operation["security"] == [{"bearer": []}]
        response = client.request(method.upper(), concrete(path))
        challenged = response.status_code == 401
        assert documented == challenged, (method, path, response.status_code)
        if documented:
            assert "401" in operation["responses"]


def test_me_needs_a_bearer_token(doc: dict[str, Any]) -> None:
    assert doc["paths"]["/api/v1/me"]["get"]["security"] == [{"bearer": []}]
    assert doc["paths"]["/api/v1/auth/login"]["post"]["security"] == []


@pytest.mark.parametrize("path", ["/api/v1/auth/otp/send", "/api/v1/auth/otp/verify"])
def test_code_routes_take_an_optional_bearer_token(doc: dict[str, Any], path: str) -> None:
    """Signed in, a phone proof binds to the caller's account; anonymous calls are fine too."""
    assert doc["paths"][path]["post"]["security"] == [{}, {"bearer": []}]


def test_every_error_answer_is_a_problem_with_the_request_id(doc: dict[str, Any]) -> None:
    problem = doc["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "instance", "request_id"} <= set(
        problem["required"]
    )
    assert {"errors", "retry_after"} <= set(problem["properties"])
    for path, method, operation in operations(doc):
        for code, response in operation["responses"].items():
            assert response["headers"]["X-Request-ID"]["required"] is True, (method, path, code)
            if int(code) >= 400:
                (media_type,) = response["content"]
                assert media_type == "application/problem+json", (method, path, code)
                assert response["content"][media_type]["schema"] == {"$ref": PROBLEM_REF}
        assert "500" in operation["responses"], (method, path)


@pytest.mark.parametrize(
    ("label", "statuses"),
    [
        ("post /api/v1/auth/register", {400, 413, 415, 422, 429, 500, 503}),
        ("post /api/v1/auth/login", {400, 401, 413, 415, 422, 429, 500, 503}),
        ("post /api/v1/auth/otp/verify", {400, 413, 415, 422, 429, 500, 503}),
        ("get /api/v1/me", {400, 401, 500, 503}),
        ("post /api/v1/documents", {400, 401, 403, 413, 415, 422, 429, 500, 503}),
        ("get /api/v1/documents/{document_id}", {400, 401, 404, 500, 503}),
        ("get /api/v1/admin/verifications", {400, 401, 403, 500, 503}),
        ("get /api/v1/config", {400, 500}),
        ("get /.well-known/jwks.json", {500}),
    ],
)
def test_operations_list_their_real_error_statuses(
    doc: dict[str, Any], label: str, statuses: set[int]
) -> None:
    method, path = label.split(" ", 1)
    documented = {int(c) for c in doc["paths"][path][method]["responses"] if int(c) >= 400}
    assert documented == statuses


def test_429_documents_retry_after_and_the_rate_limit_headers(doc: dict[str, Any]) -> None:
    limited = [op for _, _, op in operations(doc) if "429" in op["responses"]]
    assert len(limited) >= 6
    for operation in limited:
        headers = operation["responses"]["429"]["headers"]
        assert headers["Retry-After"]["required"] is True
        for name in RATE_LIMIT_HEADERS:
            assert headers[name] == {"$ref": f"#/components/headers/{name}"}


def test_request_bodies_refuse_unknown_fields_and_have_examples(doc: dict[str, Any]) -> None:
    bodies = 0
    for _, _, operation in operations(doc):
        for media in operation.get("requestBody", {}).get("content", {}).values():
            schema = resolve(doc, media["schema"])
            assert schema["additionalProperties"] is False, schema.get("title")
            (example,) = schema["examples"]
            if "file" not in schema["properties"]:
                jsonschema.validate(example, schema)
            bodies += 1
    assert bodies >= 9


def test_every_success_body_has_an_example_that_fits(doc: dict[str, Any]) -> None:
    for path, method, operation in operations(doc):
        for code, response in operation["responses"].items():
            for media in response.get("content", {}).values() if code.startswith("2") else []:
                schema = media["schema"]
                if "$ref" not in schema.get("items", schema):
                    continue  # only /health/ready: an untyped mapping, owned by the health work
                schema = resolve(doc, schema.get("items", schema))
                assert schema.get("examples"), (method, path, code)
                document = {**schema, "components": doc["components"]}
                jsonschema.validate(schema["examples"][0], document)


def _enum(doc: dict[str, Any], schema_name: str, field: str) -> set[str]:
    prop = doc["components"]["schemas"][schema_name]["properties"][field]
    prop = prop.get("anyOf", prop.get("oneOf", [prop]))[0]
    resolved = resolve(doc, prop)
    return set(resolved["enum"]) if "enum" in resolved else {resolved["const"]}


@pytest.mark.parametrize(
    ("schema", "field", "values"),
    [
        ("RegisterIn", "role", {"worker", "employer"}),
        ("OtpSendIn", "channel", {"email", "sms"}),
        ("OtpVerifyIn", "purpose", {"verify_email", "verify_phone", "login"}),
        ("DecisionIn", "decision", {"approve", "reject", "request_resubmission"}),
        ("UploadForm", "kind", {k.value for k in DocumentKind}),
        ("MeOut", "role", {r.value for r in Role}),
        ("MeOut", "status", {s.value for s in AccountStatus}),
        ("MeOut", "identity_status", {s.value for s in IdentityStatus}),
        ("DocumentOut", "status", {s.value for s in DocumentStatus}),
        ("DocumentOut", "content_type", set(CONTENT_TYPES.values())),
        ("VerificationOut", "status", {s.value for s in IdentityStatus}),
        ("TokenOut", "token_type", {"bearer"}),
    ],
)
def test_closed_sets_are_enums(
    doc: dict[str, Any], schema: str, field: str, values: set[str]
) -> None:
    assert _enum(doc, schema, field) == values


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        ({"email": "a@example.com", "password": "x"}, True),
        ({"phone": "+447700900123", "password": "x"}, True),
        ({"email": "a@example.com", "phone": None, "password": "x"}, True),
        ({"email": "a@example.com", "phone": "+447700900123", "password": "x"}, False),
        ({"password": "x"}, False),
        ({"email": None, "phone": None, "password": "x"}, False),
    ],
)
def test_login_states_the_email_or_phone_rule(
    doc: dict[str, Any], body: dict[str, Any], valid: bool
) -> None:
    schema = doc["components"]["schemas"]["LoginIn"]
    assert jsonschema.Draft202012Validator(schema).is_valid(body) is valid


def test_options_allows_every_method_of_the_path(
    client: TestClient[Any], doc: dict[str, Any]
) -> None:
    """Litestar answered only the first handler's methods where two share a path."""
    for path, item in doc["paths"].items():
        response = client.options(concrete(path))
        assert response.status_code == 204, path
        allowed = set(response.headers["allow"].split(", "))
        assert {m.upper() for m in item} | {"OPTIONS"} <= allowed, (path, allowed)
    assert client.options("/api/v1/documents").headers["allow"] == "GET, OPTIONS, POST"
    assert client.options("/api/v1/me").headers["allow"] == "DELETE, GET, OPTIONS"
    assert client.options("/api/v1/documents/x").headers["allow"] == "DELETE, GET, OPTIONS"


@pytest.mark.parametrize("value", [0, 1, "false", "true", "", None, [], {}])
def test_a_boolean_field_takes_only_json_booleans(client: TestClient[Any], value: Any) -> None:
    body = {"refresh_token": "rt_" + "A" * 43, "all": value}
    problem = assert_problem(client.post("/api/v1/auth/logout", json=body), 400)
    assert problem["errors"][0]["field"] == "all"


@pytest.mark.parametrize("body", [{"refresh_token": 7}, {"refresh_token": ["rt_x"]}])
def test_a_string_field_takes_only_json_strings(client: TestClient[Any], body: Any) -> None:
    assert_problem(client.post("/api/v1/auth/refresh", json=body), 400)


def test_a_real_boolean_passes_the_strict_check(client: TestClient[Any]) -> None:
    body = {"refresh_token": "rt_" + "A" * 43, "all": False}
    assert client.post("/api/v1/auth/logout", json=body).status_code != 400


class LaterController(Controller):
    """A route another helper might add tomorrow, with no contract code of its own."""

    path = "/api/v1/later"
    dependencies = {"caller": Provide(principal, sync_to_thread=True)}  # noqa: RUF012 - Litestar reads it

    @post("/{thing_id:str}", sync_to_thread=True, errors=[e.Conflict, e.RateLimited])
    def act(
        self, request: Request[Any, Any, Any], caller: Caller, data: JSONBody[RefreshIn]
    ) -> None:
        """Do something."""


def test_a_route_added_later_is_covered_without_contract_code(tmp_path: Path) -> None:
    services = build_services(embedded_settings(tmp_path))
    app = create_app(services, embedded_worker=False)
    app.register(LaterController)
    with TestClient(app) as later:
        operation = later.get("/schema/openapi.json").json()["paths"]["/api/v1/later/{thing_id}"]
    post_op = operation["post"]
    assert post_op["security"] == [{"bearer": []}]
    assert set(post_op["responses"]) == {
        "201",
        "400",
        "401",
        "404",
        "409",
        "413",
        "415",
        "429",
        "500",
        "503",
    }


@pytest.mark.parametrize("query", ["?limit=5&debug=1", "?x=1"])
def test_unknown_query_parameters_are_refused(client: TestClient[Any], query: str) -> None:
    problem = assert_problem(client.get("/api/v1/admin/verifications" + query), 400)
    assert problem["errors"][-1]["message"] == "unknown query parameter"


def test_a_declared_query_parameter_passes_the_check(client: TestClient[Any]) -> None:
    assert client.get("/api/v1/admin/verifications?limit=5").status_code == 401  # needs a token


@pytest.mark.parametrize("body", [b"\n", b"   ", b"\t\r\n"])
def test_a_body_of_only_whitespace_is_a_400_with_sentry_on(tmp_path: Path, body: bytes) -> None:
    """Sentry's integration parses the body before the route: its parse error is still a 400."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NO_PROXY", "127.0.0.1,localhost")
        with isolated_sentry() as stub:
            settings = embedded_settings(tmp_path, SENTRY_DSN_BACKEND=stub.dsn)
            with http_client(build_services(settings)) as sentried:
                response = sentried.post(
                    "/api/v1/auth/refresh",
                    content=body,
                    headers={"content-type": "application/json"},
                )
    assert_problem(response, 400)
