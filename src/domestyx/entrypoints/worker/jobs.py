"""The actors: each takes ids, resolves one service and calls it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
import dramatiq

from domestyx.domain.model.delivery import TransientDeliveryError
from domestyx.domain.model.errors import DependencyUnavailable
from domestyx.domain.model.jobs import Job

if TYPE_CHECKING:
    from domestyx.entrypoints.services import Services

log = logging.getLogger("domestyx.worker")
MAX_DELIVERY_RETRIES = 8


@attrs.define
class ServiceRef:
    """Filled in once the container exists (after fork in a worker, at startup in the app)."""

    services: Services | None = None

    def get(self) -> Services:
        """The services bundle; fails loudly if an actor runs before wiring."""
        if self.services is None:
            raise RuntimeError("worker services are not wired yet")
        return self.services


def _transient(retries: int, exc: BaseException) -> bool:
    """Retry provider hiccups and outages only; everything else fails at once."""
    return retries < MAX_DELIVERY_RETRIES and isinstance(
        exc, (TransientDeliveryError, DependencyUnavailable)
    )


def register_actors(
    broker: dramatiq.Broker, ref: ServiceRef
) -> dict[str, dramatiq.Actor[Any, Any]]:
    """Declare every actor on `broker`; returns them by name."""

    def deliver_message(delivery_id: str) -> None:
        ref.get().delivery.deliver(delivery_id)

    def purge_documents() -> None:
        run = ref.get().retention.purge_due()  # a refusal is reported by the service
        log.info("purge %s", run.status.value, extra={"report": str(run.report)})

    def erase_account(account_id: str) -> None:
        ref.get().retention.erase_account(account_id)

    def reconcile_storage() -> None:
        run = ref.get().retention.reconcile()  # a refusal is reported by the service
        log.info("reconcile %s", run.status.value, extra={"report": str(run.report)})

    def heartbeat(check: str) -> None:
        ref.get().heartbeat.ping(check)

    specs: list[tuple[Callable[..., None], Job, dict[str, Any]]] = [
        (
            deliver_message,
            Job.DELIVER_MESSAGE,
            {
                "retry_when": _transient,
                "min_backoff": 1_000,
                "max_backoff": 120_000,
                "time_limit": 60_000,
            },
        ),
        (purge_documents, Job.PURGE_DOCUMENTS, {"max_retries": 3, "time_limit": 600_000}),
        (erase_account, Job.ERASE_ACCOUNT, {"max_retries": 5, "time_limit": 300_000}),
        (reconcile_storage, Job.RECONCILE_STORAGE, {"max_retries": 1, "time_limit": 900_000}),
        (heartbeat, Job.HEARTBEAT, {"max_retries": 0, "time_limit": 30_000, "max_age": 120_000}),
    ]
    actors = {}
    for fn, job, options in specs:
        queue = "delivery" if job is Job.DELIVER_MESSAGE else "maintenance"
        actors[job.value] = dramatiq.Actor(
            fn, broker=broker, actor_name=job.value, queue_name=queue, priority=0, options=options
        )
    return actors
