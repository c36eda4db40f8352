"""What the guarded jobs (reconcile, purge-expired) print, and the bucket claim of migrate/check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import attrs

from domestyx.domain.model.bucket_marker import MarkerCheck
from domestyx.domain.model.guarded_runs import (
    BatchProgress,
    DeleteLimit,
    GuardedRun,
    Progress,
    RefusalReason,
    RunStatus,
)
from domestyx.entrypoints.cli import results
from domestyx.entrypoints.cli.progress import StepProgress
from domestyx.entrypoints.cli.results import Shown
from domestyx.entrypoints.services import Services

RUNBOOK = "docs/operations.md#guarded-jobs"
Job = Callable[[Services, Progress | None], GuardedRun[Any]]


def progress_printer(job: str) -> Progress:
    """One line per finished batch, flushed so a cron log shows it as it happens."""

    def show(progress: BatchProgress) -> None:
        print(f"{job}: {progress.step} {progress.done}/{progress.total}", flush=True)

    return show


def progress_for(bar: StepProgress, job: str, *, as_json: bool) -> Progress | None:
    """The terminal's bar when there is one, else plain lines; nothing for scripts (--json)."""
    batch = getattr(bar, "batch", None)  # only a drawn bar has it; the silent one does not
    if batch is not None:
        return cast("Progress", batch)
    return None if as_json else progress_printer(job)


def guarded_result(run: GuardedRun[Any], limit: DeleteLimit) -> tuple[Shown, str | None]:
    """What to print (summary, plan or JSON) and, for a refusal, its one line for stderr."""
    data = _data(run)
    pairing = [f"{run.job}: {run.marker.describe()}"] if run.marker and run.marker.ok else []
    if run.status is RunStatus.REFUSED:
        assert run.refusal is not None  # noqa: S101 - set with the status
        line = f"refused, nothing deleted: {run.refusal.message} ({_hint(run, limit)})"
        return Shown("", data, failure=line), line
    if run.status is RunStatus.PLANNED:
        lines = [f"{run.job} plan (dry run, nothing changed):"]
        lines += [
            f"  {step.describe()}{'  ABOVE THE LIMIT' if step.over_limit else ''}"
            for step in run.plan.steps
        ]
        if run.plan.over_limit():
            lines.append(f"a real run would refuse without --force (RECONCILE_MAX_DELETE={limit})")
        return Shown("\n".join([*lines, *pairing]), data), None
    done = results.purge(run.report) if run.job == "purge" else results.reconcile(run.report)
    return Shown("\n".join([done.summary, *pairing]), data), None


def _data(run: GuardedRun[Any]) -> dict[str, Any]:
    """The report's counts at the top (as results.purge/reconcile have them), then the run."""
    return {
        **attrs.asdict(run.report),
        "status": run.status.value,
        "plan": [attrs.asdict(step) | {"over_limit": step.over_limit} for step in run.plan.steps],
        "refusal": None if run.refusal is None else attrs.asdict(run.refusal),
        "marker": None if run.marker is None else run.marker.describe(),
    }


def _hint(run: GuardedRun[Any], limit: DeleteLimit) -> str:
    assert run.refusal is not None  # noqa: S101 - only called for refusals
    if run.refusal.reason is RefusalReason.OVER_LIMIT:
        return (
            f"RECONCILE_MAX_DELETE={limit}; check with --dry-run, then use --force; see {RUNBOOK}"
        )
    return f"--force does not override this; see {RUNBOOK}"


def claim_bucket(services: Services, *, only_if_empty: bool) -> MarkerCheck | str:
    """Give the database its identity if needed and claim an unmarked bucket; or why not."""
    try:
        if not only_if_empty:
            services.bucket.ensure_identity()
        return services.bucket.claim(only_if_empty=only_if_empty)
    except Exception as exc:  # noqa: BLE001 - an outage or an unmigrated schema, said in one line
        return f"could not check the bucket marker: {type(exc).__name__}: {exc}"
