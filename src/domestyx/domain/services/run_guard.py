"""Runs a destructive job only against its own bucket, within its delete limit, or as a plan."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, TypeVar

import attrs

from domestyx.domain.model.guarded_runs import (
    BatchProgress,
    DeleteLimit,
    GuardedRun,
    Plan,
    PlannedStep,
    Progress,
    Refusal,
    RefusalReason,
    RunStatus,
)

if TYPE_CHECKING:
    from domestyx.domain.services.bucket_guard import BucketGuard
    from domestyx.ports.monitoring import ErrorReporter

R = TypeVar("R")
T = TypeVar("T")
Out = TypeVar("Out")
BATCH = 100

# Builds the plan (reading only), and the function that carries it out.
Planner = Callable[[DeleteLimit], tuple[Plan, Callable[[Progress | None], R]]]


@attrs.frozen
class RunGuard:
    """The marker first, then the plan, then the limit; alerts on every refusal and deletion."""

    bucket: BucketGuard
    reporter: ErrorReporter
    limit: DeleteLimit = DeleteLimit()

    def run(
        self,
        job: str,
        planner: Planner[R],
        empty: R,
        *,
        dry_run: bool,
        force: bool,
        progress: Progress | None,
        deleted: Callable[[R], int],
    ) -> GuardedRun[R]:
        """Refuse, plan (dry run) or execute; nothing is deleted before the marker matched."""
        check = self.bucket.inspect()
        if not check.ok:
            refused = self._refuse(job, RefusalReason.MARKER, check.describe(), Plan(), empty)
            return attrs.evolve(refused, marker=check)
        plan, execute = planner(self.limit)
        if dry_run:
            return GuardedRun(job, RunStatus.PLANNED, plan, empty, marker=check)
        over = plan.over_limit()
        if over and not force:
            detail = "; ".join(f"{s.count} {s.name} (limit {s.allowance})" for s in over)
            refused = self._refuse(
                job, RefusalReason.OVER_LIMIT, f"would delete {detail}", plan, empty
            )
            return attrs.evolve(refused, marker=check)
        report = execute(progress)
        count = deleted(report)
        if count:
            # Every real deletion is worth a human glance; one alert per run, not per item.
            self.reporter.capture_message(
                f"{job} deleted {count} item(s)", level="warning", job=job, deleted=str(count),
                forced=str(bool(over)), report=str(report),
            )  # fmt: skip
        return GuardedRun(job, RunStatus.DONE, plan, report, marker=check)

    def _refuse(
        self, job: str, reason: RefusalReason, message: str, plan: Plan, empty: R
    ) -> GuardedRun[R]:
        self.reporter.capture_message(
            f"{job} refused: {message}", level="error", job=job, reason=reason.value
        )
        return GuardedRun(job, RunStatus.REFUSED, plan, empty, Refusal(reason, message))


def step(name: str, count: int, population: int, limit: DeleteLimit) -> PlannedStep:
    """A planned step within `limit` of its population."""
    return PlannedStep(name, count, population, limit.allowance(population))


def in_batches(
    name: str, items: Sequence[T], act: Callable[[T], Out], progress: Progress | None
) -> list[Out]:
    """Act on each item, reporting progress after each batch; returns the outcomes in order."""
    outcomes: list[Out] = []
    for start in range(0, len(items), BATCH):
        outcomes.extend(act(item) for item in _slice(items, start))
        if progress is not None:
            progress(BatchProgress(name, len(outcomes), len(items)))
    return outcomes


def _slice(items: Sequence[T], start: int) -> Iterable[T]:
    return items[start : start + BATCH]
