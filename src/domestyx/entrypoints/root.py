"""The registry under the composition root: punq singletons, overrides, eager resolution."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import punq

Overrides = Mapping[Any, object]


class OverrideError(TypeError):
    """An override names nothing the root provides, or does not implement its key."""


class Root:
    """Each key is provided once: by its default factory, or by the test's override instance."""

    def __init__(self, overrides: Overrides | None = None) -> None:
        self._container = punq.Container()
        self._overrides = dict(overrides or {})
        self._keys: list[Any] = []

    def provide(self, key: Any, factory: Callable[[], object]) -> None:
        """Register `key`; an override for it wins and the default factory never runs."""
        if key in self._keys:
            raise ValueError(f"{_name(key)} is provided twice")
        self._keys.append(key)
        if key in self._overrides:
            self._container.register(key, instance=self._overrides[key])
        else:
            self._container.register(key, factory=factory, scope=punq.Scope.singleton)

    def get(self, key: Any) -> Any:
        """The one instance behind `key` (built on first use, then shared)."""
        return self._container.resolve(key)

    def resolve_all(self) -> None:
        """Build every key now, on this thread (lazy punq singletons race across threads)."""
        self._check_overrides()
        for key in self._keys:
            self.get(key)

    def _check_overrides(self) -> None:
        """Fail loudly on a typo'd key or a fake that does not fit its port."""
        for key, value in self._overrides.items():
            if key not in self._keys:
                raise OverrideError(f"override for {_name(key)}: the root provides no such thing")
            if value is None and getattr(key, "_is_protocol", False):
                raise OverrideError(f"override for {_name(key)}: None cannot serve a port")
            if value is not None and _checkable(key) and not isinstance(value, key):
                raise OverrideError(f"override for {_name(key)}: {type(value).__name__} is not one")


def _checkable(key: Any) -> bool:
    """Plain classes and runtime-checkable Protocols support isinstance; aliases do not."""
    if not isinstance(key, type):
        return False
    if getattr(key, "_is_protocol", False):
        return bool(getattr(key, "_is_runtime_protocol", False))
    return True


def _name(key: Any) -> str:
    return getattr(key, "__qualname__", None) or repr(key)
