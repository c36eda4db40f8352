"""The OpenAPI contract: Litestar's document completed from the routes and the problems table.

Nothing here is written per route. Each operation's error answers follow from what its handler
is (a bearer caller, a body, path or query parameters) plus the domain errors its decorator
names (`errors=[...]`, mapped to statuses by `problems.STATUS_BY_ERROR`); security from the
`caller` dependency; `additionalProperties: false` from the request bodies; examples from
`examples.py`. A route added later is covered the moment it is registered.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

import attrs
import msgspec
from litestar import Litestar, Request
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.routes import HTTPRoute

from domestyx.domain.model.errors import DomainError, MfaRequired
from domestyx.entrypoints.http import problems
from domestyx.entrypoints.http.deps import mfa_principal, principal
from domestyx.entrypoints.http.examples import CROSS_FIELD, EXAMPLES, PROBLEM_EXAMPLES
from domestyx.entrypoints.http.openapi_parts import COMPONENTS, REQUEST_ID, problem_response

_REF_TEMPLATE = "#/components/schemas/{name}"
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


@attrs.frozen
class Operation:
    """What the contract needs to know about a handler that the document does not say."""

    secured: bool
    statuses: frozenset[int]
    optional_bearer: bool
    body: type[msgspec.Struct] | None
    staff: bool = False
    errors: tuple[type[DomainError], ...] = ()


def operations(app: Litestar) -> dict[tuple[str, str], Operation]:
    """(path, method) -> facts, for every documented handler."""
    found = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            dependencies = handler.resolve_dependencies().values()
            errors = handler.opt.get("errors", ())
            data = handler.parsed_fn_signature.parameters.get("data")
            body = getattr(data, "annotation", None)
            found[(route.path_format or "/", method.lower())] = Operation(
                secured=any(_is_principal(p.dependency) for p in dependencies),
                staff=any(_is(p.dependency, (mfa_principal,)) for p in dependencies),
                optional_bearer=bool(handler.opt.get("optional_bearer")),
                statuses=frozenset(problems.status_of_class(error) for error in errors),
                body=body if isinstance(body, type) and issubclass(body, msgspec.Struct) else None,
                errors=tuple(errors),
            )
    return found


def _is_principal(dependency: Any) -> bool:
    # sync_to_thread providers are wrapped in an AsyncCallable holding the function as `func`.
    # mfa_principal (the staff routes') is principal plus the TOTP check: bearer-secured too.
    return _is(dependency, (principal, mfa_principal))


def _is(dependency: Any, providers: tuple[Any, ...]) -> bool:
    return dependency in providers or getattr(dependency, "func", None) in providers


def error_statuses(path: str, operation: dict[str, Any], op: Operation) -> set[int]:
    """The declared errors plus what the app's machinery answers before or around the handler."""
    statuses = set(op.statuses)
    if path.startswith("/api/"):
        statuses |= {400}  # a query parameter the route does not read (request_checks)
    where = {parameter.get("in") for parameter in operation.get("parameters", [])}
    if "requestBody" in operation:
        # Malformed or mistyped, too large, not the declared type; and what reads the body
        # reaches the database or Redis, which may be down.
        statuses |= {400, 413, 415, 503}
    if "path" in where:
        statuses |= {404}  # ids are opaque strings: an unknown (or someone else's) one
    if "query" in where:
        statuses |= {400}
    if op.secured:
        statuses |= {401, 503}  # every bearer call looks its session up in the database
    if op.staff:
        statuses |= {problems.status_of_class(MfaRequired)}  # a staff session without TOTP
    return statuses | {500}  # a bug: reported, and answered as a problem like any other


def complete(document: dict[str, Any], app: Litestar) -> dict[str, Any]:
    """A copy of Litestar's document with security, problems, strict bodies and examples."""
    doc = copy.deepcopy(document)
    components = doc.setdefault("components", {})
    for section, entries in COMPONENTS.items():
        components.setdefault(section, {}).update(copy.deepcopy(entries))
    facts = operations(app)
    for path, item in doc.get("paths", {}).items():
        for method, operation in item.items():
            op = facts.get((path, method))
            if op is not None:
                _complete_operation(path, operation, op)
    _request_bodies(components.setdefault("schemas", {}), [op.body for op in facts.values()])
    _strict_request_bodies(doc)
    _bounded_parameters(doc)
    _examples(components.get("schemas", {}))
    _inventory(doc)
    return doc


def _inventory(doc: dict[str, Any]) -> None:
    """Every tag used is declared; servers say they are the public deployment."""
    used = sorted({tag for item in doc.get("paths", {}).values() for op in item.values()
                   for tag in op.get("tags", [])})  # fmt: skip
    declared = {tag["name"] for tag in doc.get("tags", [])}
    doc["tags"] = [*doc.get("tags", []), *({"name": t} for t in used if t not in declared)]
    for server in doc.get("servers", []):
        server.setdefault("x-internal", False)


def _complete_operation(path: str, operation: dict[str, Any], op: Operation) -> None:
    responses = operation.setdefault("responses", {})
    for code in [c for c in responses if c.isdigit() and int(c) >= 400]:
        del responses[code]  # Litestar's default 400 is not what the app sends
    for status in sorted(error_statuses(path, operation, op)):
        response = problem_response(status, PROBLEM_EXAMPLES.get(status))
        _name_problem_types(response, status, op)
        responses[str(status)] = response
    for code, response in responses.items():
        if code.startswith("2"):
            response.setdefault("headers", {}).setdefault("X-Request-ID", dict(REQUEST_ID))
    # `optional_bearer=True` on a route: a token changes what the call does, not whether it may.
    operation["security"] = BEARER if op.secured else [{}, *BEARER] if op.optional_bearer else []


def _name_problem_types(response: dict[str, Any], status: int, op: Operation) -> None:
    """List the problem `type`s the route's declared errors answer with at this status."""
    types = sorted(
        {problems.PROBLEM_BASE + error.code for error in op.errors
         if problems.status_of_class(error) == status}
    )  # fmt: skip
    if types:
        response["x-problem-types"] = types
        response["description"] += ": " + ", ".join(f"`{uri}`" for uri in types)


def _request_bodies(schemas: dict[str, Any], bodies: list[type[msgspec.Struct] | None]) -> None:
    """msgspec's own schema of each JSON body: every constraint it enforces, none lost."""
    types = sorted({body for body in bodies if body is not None}, key=lambda t: t.__name__)
    _, generated = msgspec.json.schema_components(types, ref_template=_REF_TEMPLATE)
    for name, schema in generated.items():
        schemas[name] = _typed_enums({**schema, **CROSS_FIELD.get(name, {})})


def _typed_enums(schema: Any) -> Any:
    """msgspec writes string enums without `type`; generators want it."""
    if isinstance(schema, list):
        return [_typed_enums(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    fixed = {key: _typed_enums(value) for key, value in schema.items()}
    if "enum" in fixed and "type" not in fixed and all(isinstance(v, str) for v in fixed["enum"]):
        fixed["type"] = "string"
    return fixed


def _bounded_parameters(doc: dict[str, Any]) -> None:
    """Ids in paths are opaque and short; an unknown one is a 404 whatever its length."""
    for item in doc.get("paths", {}).values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "path" and schema.get("type") == "string":
                    schema.setdefault("maxLength", 64)
                    schema.setdefault("pattern", "^[A-Za-z0-9_-]+$")
                if schema.get("type") == "integer":
                    schema.setdefault("format", "int32")


def _strict_request_bodies(doc: dict[str, Any]) -> None:
    """Bodies refuse unknown fields (msgspec forbid_unknown_fields); the schema says so."""
    schemas = doc.get("components", {}).get("schemas", {})
    for name in _request_body_refs(doc):
        if name in schemas:
            schemas[name]["additionalProperties"] = False


def _request_body_refs(doc: dict[str, Any]) -> Iterable[str]:
    for item in doc.get("paths", {}).values():
        for operation in item.values():
            content = operation.get("requestBody", {}).get("content", {})
            for media in content.values():
                ref = media.get("schema", {}).get("$ref", "")
                if ref.startswith("#/components/schemas/"):
                    yield ref.rsplit("/", 1)[1]


def _examples(schemas: dict[str, Any]) -> None:
    for name, example in EXAMPLES.items():
        if name in schemas:
            schemas[name]["examples"] = [example]


def operation_id(handler: HTTPRouteHandler, method: Any, path: Any) -> str:
    """`<tag>_<handler>`, e.g. `auth_login`: the function names a generated client gets."""
    tags = handler.resolve_tags()
    return f"{tags[0]}_{handler.handler_name}" if tags else handler.handler_name


def completed(app: Litestar, document: dict[str, Any]) -> dict[str, Any]:
    """`complete`, once per app (Litestar hands the same generated document each time)."""
    cached = app.state.get("contract")
    if cached is None or cached[0] is not document:
        cached = (document, complete(document, app))
        app.state["contract"] = cached
    result: dict[str, Any] = cached[1]
    return result


class ContractJson(JsonRenderPlugin):
    """/schema/openapi.json: the completed contract."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """The JSON document."""
        return self.render_json(request, completed(request.app, openapi_schema))
