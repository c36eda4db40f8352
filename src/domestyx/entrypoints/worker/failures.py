"""Dead letters: a job that will not be retried again is reported once and recorded."""

from __future__ import annotations

import logging
from typing import Any

import dramatiq

from domestyx.domain.model.jobs import Job
from domestyx.entrypoints.http.context import set_request_id
from domestyx.entrypoints.worker.jobs import ServiceRef

log = logging.getLogger("domestyx.worker")


class DeadLetteredJob(Exception):
    """A job that exhausted its retries (or failed permanently) and went to the dead letters."""

    def __init__(self, job: str, message_id: str) -> None:
        super().__init__(f"job {job} ({message_id}) was dead-lettered")


class DeadLetterReporting(dramatiq.Middleware):
    """Must sit before Retries in the list: `after_*` hooks run in reverse, so it then runs after
    Retries and `message.failed` means the message is going to the dead letters."""

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
        # A fresh exception chained to the job's: error trackers dedupe by exception object, and
        # the per-attempt reports of the original are dropped, so this is the one report.
        try:
            raise DeadLetteredJob(message.actor_name, message.message_id) from exception
        except DeadLetteredJob as dead:
            services.reporter.capture_exception(
                dead,
                job=message.actor_name,
                message_id=message.message_id,
                request_id=message.options.get("request_id") or "",
            )
        if message.actor_name == Job.DELIVER_MESSAGE:
            delivery_id = message.kwargs.get("delivery_id", "")
            services.delivery.give_up(delivery_id, f"dead_letter:{type(exception).__name__}")


class RequestContext(dramatiq.Middleware):
    """A job's log lines carry the id of the request that queued it."""

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        """Bind the request id for this job's thread."""
        set_request_id(message.options.get("request_id"))

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        """Unbind it."""
        set_request_id(None)
