"""A small declarative reader: each settings field names its variable and default once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs

T = TypeVar("T", bound=attrs.AttrsInstance)
_VAR = "domestyx.variable"


@attrs.frozen
class Variable:
    """Where a field comes from: the first set variable of `names`, read by `parse`."""

    names: tuple[str, ...]
    parse: Callable[[str], Any]
    keep_empty: bool


def var(
    *names: str,
    default: Any = attrs.NOTHING,
    parse: Callable[[str], Any] = str,
    secret: bool = False,
    keep_empty: bool = False,
) -> Any:
    """An attrs field read from `names`; `keep_empty` makes `NAME=` a value, not unset."""
    spec = Variable(names, parse, keep_empty)
    return attrs.field(default=default, repr=not secret, metadata={_VAR: spec})


def read(cls: type[T], env: Mapping[str, str], problems: list[str], **given: Any) -> T:
    """Build one group from `env`; unset variables keep `given` or the declared default."""
    values = dict(given)
    for field in attrs.fields(cls):
        value = _value(field, env, problems)
        if value is not attrs.NOTHING:
            values[field.name] = value
    return cls(**values)


def read_field(cls: type[T], name: str, env: Mapping[str, str], problems: list[str]) -> Any:
    """One field's value (or its default), for defaults that depend on it."""
    field = attrs.fields_dict(cls)[name]
    value = _value(field, env, problems)
    return field.default if value is attrs.NOTHING else value


def _value(field: attrs.Attribute[Any], env: Mapping[str, str], problems: list[str]) -> Any:
    spec: Variable | None = field.metadata.get(_VAR)
    if spec is None:
        return attrs.NOTHING
    for name in spec.names:
        raw = env.get(name)
        if raw is None or (raw.strip() == "" and not spec.keep_empty):
            continue
        try:
            return spec.parse(raw.strip())
        except ValueError as exc:
            problems.append(f"{name} {exc}")
            return attrs.NOTHING
    return attrs.NOTHING


def variable_of(cls: type[Any], field_name: str) -> str:
    """The (first) environment variable behind a field, for messages."""
    spec: Variable = attrs.fields_dict(cls)[field_name].metadata[_VAR]
    return spec.names[0]


def csv(raw: str) -> tuple[str, ...]:
    """`a, b,,c` -> ('a', 'b', 'c')."""
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def integer(raw: str) -> int:
    """A base-10 integer."""
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"must be an integer, got {raw!r}") from None


def flag(raw: str) -> bool:
    """1/true/yes or 0/false/no."""
    lowered = raw.lower()
    if lowered in ("1", "true", "yes"):
        return True
    if lowered in ("0", "false", "no"):
        return False
    raise ValueError(f"must be 1 or 0, got {raw!r}")


def one_of(*choices: str) -> Callable[[str], str]:
    """A case-insensitive choice, returned lower-case."""

    def parse(raw: str) -> str:
        if raw.lower() not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}, got {raw!r}")
        return raw.lower()

    return parse


def no_trailing_slash(raw: str) -> str:
    """Base URLs are joined with paths that start with /."""
    return raw.rstrip("/")


def mapping_by_prefix(env: Mapping[str, str], prefix: str) -> tuple[tuple[str, str], ...]:
    """`HEARTBEAT_URL_WORKER=u` -> (('worker', 'u'),), sorted by variable name."""
    return tuple(
        (key.removeprefix(prefix).lower(), value.strip())
        for key, value in sorted(env.items())
        if key.startswith(prefix) and value.strip()
    )
