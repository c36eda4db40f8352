"""Provider stubs from tests/stubs that also note when each message arrived (wall clock)."""

from __future__ import annotations

import time

from tests.stubs.base import Fault, RecordedRequest, Reply
from tests.stubs.resend_stub import ResendStub
from tests.stubs.twilio_stub import TwilioStub


class TimedResendStub(ResendStub):
    """Arrival time per Idempotency-Key (domestyx-delivery-<delivery id>)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.arrivals: dict[str, float] = {}

    def dispatch(self, request: RecordedRequest) -> Fault | Reply:
        """Stamp, then behave exactly like the contract stub."""
        stamp = time.time()
        key = request.headers.get("idempotency-key")
        if key:
            with self.lock:
                self.arrivals.setdefault(key.removeprefix("domestyx-delivery-"), stamp)
        return super().dispatch(request)


class TimedTwilioStub(TwilioStub):
    """Arrival time per destination number (every benchmark account has its own)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.arrivals: dict[str, float] = {}

    def dispatch(self, request: RecordedRequest) -> Fault | Reply:
        """Stamp creates only (not the crash-recovery lookups)."""
        stamp = time.time()
        if request.method == "POST":
            to = request.form().get("To", [""])[0]
            with self.lock:
                self.arrivals.setdefault(to, stamp)
        return super().dispatch(request)
