"""Dead letters: a job that will not be retried again is reported once and recorded."""

from __future__ import annotations

import logging
from typing import Any

import dramatiq

from domestyx.domain.delivery_service import DELIVER_JOB
from domestyx.entrypoints.worker.jobs import ServiceRef

log = logging.getLogger("domestyx.worker")


class DeadLetterReporting(dramatiq.Middleware):
    """Runs after Retries, so `message.failed` means the message is going to the dead letters."""

    def __init__(self, ref: ServiceRef) -> None:
        self._ref = ref

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        """Report the dead-lettered job by name and id, and let its service record it."""
        if exception is None or not message.failed:
            return
        services = self._ref.get()
        log.error(
            "job dead-lettered",
            extra={"job": message.actor_name, "message_id": message.message_id},
        )
        services.reporter.capture_exception(
            exception, job=message.actor_name, message_id=message.message_id
        )
        if message.actor_name == DELIVER_JOB:
            delivery_id = message.kwargs.get("delivery_id", "")
            services.delivery.give_up(delivery_id, f"dead_letter:{type(exception).__name__}")
