"""Declarative Better Stack Uptime sync: specs, a plan of changes, and applying it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Literal

import attrs

from domestyx.adapters.betterstack.api import BetterStackClient, BetterStackError, Kind, Resource

__all__ = [
    "BetterStackClient",
    "BetterStackError",
    "Change",
    "HeartbeatSpec",
    "MonitorSpec",
    "Resource",
    "Spec",
    "apply",
    "plan",
]

Action = Literal["create", "update", "unchanged"]


@attrs.frozen
class MonitorSpec:
    """An uptime check, matched to the live monitor by `pronounceable_name`."""

    kind: ClassVar[Kind] = "monitor"
    name: str
    url: str
    check_frequency: int = 180
    regions: tuple[str, ...] = ("us", "eu")
    expected_status_codes: tuple[int, ...] = (200,)
    request_timeout: int = 15
    monitor_type: str = "status"
    http_method: str = "get"
    confirmation_period: int = 0
    recovery_period: int = 180
    required_keyword: str | None = None
    policy_id: str | None = None

    def attributes(self) -> dict[str, Any]:
        """The API body; fields left as None are not managed."""
        body: dict[str, Any] = {
            "pronounceable_name": self.name,
            "url": self.url,
            "monitor_type": self.monitor_type,
            "check_frequency": self.check_frequency,
            "regions": list(self.regions),
            "expected_status_codes": list(self.expected_status_codes),
            "request_timeout": self.request_timeout,
            "http_method": self.http_method,
            "confirmation_period": self.confirmation_period,
            "recovery_period": self.recovery_period,
            "required_keyword": self.required_keyword,
            "policy_id": self.policy_id,
        }
        return {key: value for key, value in body.items() if value is not None}


@attrs.frozen
class HeartbeatSpec:
    """A scheduled job that must ping every `period` seconds, `grace` seconds late at most."""

    kind: ClassVar[Kind] = "heartbeat"
    name: str
    period: int = attrs.field(validator=attrs.validators.ge(30))
    grace: int = attrs.field(validator=attrs.validators.ge(0))

    def attributes(self) -> dict[str, Any]:
        """The API body."""
        return {"name": self.name, "period": self.period, "grace": self.grace}


Spec = MonitorSpec | HeartbeatSpec


@attrs.frozen
class Change:
    """One step of a plan; `attributes` is the body to send (only changed fields on update)."""

    action: Action
    kind: Kind
    name: str
    resource_id: str | None = None
    attributes: Mapping[str, Any] = attrs.field(factory=dict)
    current: Mapping[str, Any] = attrs.field(factory=dict)

    def __str__(self) -> str:
        where = f" (id {self.resource_id})" if self.resource_id else ""
        fields = f": {', '.join(sorted(self.attributes))}" if self.action == "update" else ""
        return f"{self.action} {self.kind} {self.name!r}{where}{fields}"


def plan(desired: Iterable[Spec], existing: Iterable[Resource]) -> list[Change]:
    """What to create or update so Better Stack matches `desired`; nothing is ever deleted."""
    live: dict[tuple[Kind, str], Resource] = {}
    for resource in existing:
        if (resource.kind, resource.name) in live:
            raise BetterStackError(f"two {resource.kind}s are named {resource.name!r}")
        live[resource.kind, resource.name] = resource
    changes: list[Change] = []
    for spec in desired:
        if any((c.kind, c.name) == (spec.kind, spec.name) for c in changes):
            raise ValueError(f"{spec.kind} {spec.name!r} is declared twice")
        changes.append(_change(spec, live.get((spec.kind, spec.name))))
    return changes


def apply(client: BetterStackClient, changes: Iterable[Change]) -> dict[str, str]:
    """Carry out a plan; returns each planned heartbeat's ping URL by name."""
    urls: dict[str, str] = {}
    for change in changes:
        current: Mapping[str, Any] = change.current
        if change.action == "create":
            current = client.create(change.kind, change.attributes).attributes
        elif change.action == "update" and change.resource_id is not None:
            current = client.update(change.kind, change.resource_id, change.attributes).attributes
        if change.kind == "heartbeat":
            if not current.get("url"):
                raise BetterStackError(f"heartbeat {change.name!r} has no ping URL")
            urls[change.name] = str(current["url"])
    return urls


def _change(spec: Spec, resource: Resource | None) -> Change:
    wanted = spec.attributes()
    if resource is None:
        return Change("create", spec.kind, spec.name, attributes=wanted)
    differing = {
        key: value
        for key, value in wanted.items()
        if _comparable(value) != _comparable(resource.attributes.get(key))
    }
    action: Action = "update" if differing else "unchanged"
    return Change(action, spec.kind, spec.name, resource.id, differing, resource.attributes)


def _comparable(value: object) -> object:
    # The API may return regions and status codes in any order.
    if isinstance(value, list | tuple):
        return sorted(map(str, value))
    return value
