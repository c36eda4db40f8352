"""The background jobs by name: services queue them, the worker declares an actor for each."""

from __future__ import annotations

import enum


class Job(enum.StrEnum):
    """Every job name; the value is the Dramatiq actor name (kept stable for queued messages)."""

    DELIVER_MESSAGE = "deliver_message"
    PURGE_DOCUMENTS = "purge_documents"
    ERASE_ACCOUNT = "erase_account"
    RECONCILE_STORAGE = "reconcile_storage"
    HEARTBEAT = "heartbeat"
