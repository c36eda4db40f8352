"""Development limits: the default table relaxed for the development environment."""

from __future__ import annotations

import attrs

from domestyx.domain.model.abuse import DEFAULT_LIMITS, Limit, Operation

# The development environment multiplies every default count by this (the window is kept):
# ten registrations an hour lock a developer out in minutes; a thousand never do.
DEV_LIMIT_FACTOR = 100


def relaxed_limits() -> dict[Operation, tuple[Limit, ...]]:
    """The default table with every count multiplied by DEV_LIMIT_FACTOR."""
    return {
        operation: tuple(attrs.evolve(limit, count=limit.count * DEV_LIMIT_FACTOR) for limit in ls)
        for operation, ls in DEFAULT_LIMITS.items()
    }
