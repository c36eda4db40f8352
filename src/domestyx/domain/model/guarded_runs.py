"""Destructive jobs (reconcile, purge) as plans: how much a run may delete, what it did."""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from typing import Generic, TypeVar

import attrs

from domestyx.domain.model.bucket_marker import MarkerCheck

R = TypeVar("R")


@attrs.frozen
class DeleteLimit:
    """RECONCILE_MAX_DELETE: a run may delete `count` items or `percent` %, whichever is larger."""

    count: int = 10
    percent: float = 1.0

    def allowance(self, population: int) -> int:
        """How many of `population` one run may delete without --force."""
        return max(self.count, math.floor(population * self.percent / 100))

    @classmethod
    def parse(cls, raw: str) -> DeleteLimit:
        """`10,1%`, `25` or `2%`: one count and/or one percentage; ValueError otherwise."""
        count: int | None = None
        percent: float | None = None
        for part in (p.strip() for p in raw.split(",")):
            if part.endswith("%") and percent is None:
                percent = float(part[:-1])
                if not (0 <= percent <= 100 and math.isfinite(percent)):
                    raise ValueError(f"a percentage from 0% to 100%, got {part!r}")
            elif part.isdigit() and count is None:
                count = int(part)
            else:
                raise ValueError(f"must look like 10,1% (a count and/or a percentage), got {raw!r}")
        return cls(count or 0, percent or 0.0)

    def __str__(self) -> str:
        return f"{self.count},{self.percent:g}%"


class RunStatus(enum.StrEnum):
    """How a guarded run ended."""

    DONE = "done"
    PLANNED = "planned"  # --dry-run: nothing changed
    REFUSED = "refused"  # nothing changed


class RefusalReason(enum.StrEnum):
    """Why a run refused to delete anything."""

    MARKER = "marker"  # the bucket is not (provably) this database's
    OVER_LIMIT = "over_limit"


@attrs.frozen
class Refusal:
    """A refusal, one line an operator can act on."""

    reason: RefusalReason
    message: str


@attrs.frozen
class PlannedStep:
    """One kind of deletion a run intends: how many of how many, and its allowance."""

    name: str
    count: int
    population: int | None = None
    allowance: int | None = None  # None: not limited (e.g. unproven registrations)

    @property
    def over_limit(self) -> bool:
        """More than the allowance."""
        return self.allowance is not None and self.count > self.allowance

    def describe(self) -> str:
        """`orphaned objects: 3 of 1200 (limit 12)`."""
        limit = "no limit" if self.allowance is None else f"limit {self.allowance}"
        of = "" if self.population is None else f" of {self.population}"
        return f"{self.name}: {self.count}{of} ({limit})"


@attrs.frozen
class Plan:
    """What a run would delete, step by step."""

    steps: tuple[PlannedStep, ...] = ()

    @property
    def total(self) -> int:
        """Everything the plan deletes."""
        return sum(step.count for step in self.steps)

    def over_limit(self) -> tuple[PlannedStep, ...]:
        """The steps above their allowance."""
        return tuple(step for step in self.steps if step.over_limit)


@attrs.frozen
class BatchProgress:
    """Reported after each batch of a real run."""

    step: str
    done: int
    total: int


Progress = Callable[[BatchProgress], None]


@attrs.frozen
class GuardedRun(Generic[R]):
    """A run's outcome: its plan, what it did (`report`), or why it refused."""

    job: str
    status: RunStatus
    plan: Plan
    report: R
    refusal: Refusal | None = None
    marker: MarkerCheck | None = None  # what the bucket said before anything else happened

    @property
    def refused(self) -> bool:
        """Nothing was deleted because a guard said no."""
        return self.status is RunStatus.REFUSED
