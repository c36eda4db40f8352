"""The few Better Stack Uptime API v2 calls the monitor sync needs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

import attrs
import httpx

Kind = Literal["monitor", "heartbeat"]
_COLLECTIONS: dict[Kind, str] = {"monitor": "monitors", "heartbeat": "heartbeats"}
_NAME_FIELDS: dict[Kind, str] = {"monitor": "pronounceable_name", "heartbeat": "name"}
_MAX_PAGES = 1000  # a server that never stops paginating must not hang the sync


@attrs.frozen
class Resource:
    """A monitor or heartbeat as Better Stack holds it."""

    kind: Kind
    id: str
    attributes: Mapping[str, Any]

    @property
    def name(self) -> str:
        """The name specs are matched on."""
        return str(self.attributes.get(_NAME_FIELDS[self.kind], ""))


class BetterStackError(Exception):
    """The API refused a request or could not be reached; never carries the token."""

    def __init__(self, message: str, *, status: int | None = None, errors: object = None):
        super().__init__(message if errors is None else f"{message}: {errors}")
        self.status = status
        self.errors = errors


class BetterStackClient:
    """The few Uptime API v2 calls the sync needs."""

    def __init__(
        self,
        token: str,
        base_url: str = "https://uptime.betterstack.com/api/v2",
        timeout_s: float = 10,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._origin = urlsplit(self._base)[:2]
        self._http = httpx.Client(
            timeout=timeout_s, headers={"Authorization": f"Bearer {token}"}, follow_redirects=False
        )

    def list_resources(self, kind: Kind) -> list[Resource]:
        """Every resource of `kind`, following `pagination.next`."""
        return list(self._pages(kind))

    def existing(self) -> list[Resource]:
        """All monitors and heartbeats."""
        return self.list_resources("monitor") + self.list_resources("heartbeat")

    def create(self, kind: Kind, attributes: Mapping[str, Any]) -> Resource:
        """POST a new resource."""
        body = self._call("POST", f"{self._base}/{_COLLECTIONS[kind]}", attributes)
        return _resource(kind, body.get("data"))

    def update(self, kind: Kind, resource_id: str, attributes: Mapping[str, Any]) -> Resource:
        """PATCH only the given fields."""
        url = f"{self._base}/{_COLLECTIONS[kind]}/{resource_id}"
        return _resource(kind, self._call("PATCH", url, attributes).get("data"))

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def _pages(self, kind: Kind) -> Iterator[Resource]:
        url: str | None = f"{self._base}/{_COLLECTIONS[kind]}"
        for _ in range(_MAX_PAGES):
            if url is None:
                return
            if urlsplit(url)[:2] != self._origin:
                # The bearer token goes with every request; never follow a link elsewhere.
                raise BetterStackError("pagination left the API origin")
            body = self._call("GET", url, None)
            yield from (_resource(kind, item) for item in body.get("data") or [])
            url = (body.get("pagination") or {}).get("next")
        raise BetterStackError(f"more than {_MAX_PAGES} pages of {kind}s")

    def _call(self, method: str, url: str, payload: Mapping[str, Any] | None) -> dict[str, Any]:
        try:
            response = self._http.request(method, url, json=payload)
        except httpx.HTTPError as exc:
            raise BetterStackError(f"{method} {urlsplit(url).path}: {type(exc).__name__}") from exc
        if response.is_error:
            errors = _json(response).get("errors")
            raise BetterStackError(
                f"{method} {urlsplit(url).path}: HTTP {response.status_code}",
                status=response.status_code,
                errors=errors,
            )
        return _json(response)


def _resource(kind: Kind, data: object) -> Resource:
    if not isinstance(data, dict) or "id" not in data:
        raise BetterStackError(f"unexpected {kind} payload from the API")
    return Resource(kind, str(data["id"]), dict(data.get("attributes") or {}))


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
