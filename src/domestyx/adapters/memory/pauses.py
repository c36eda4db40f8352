"""In-memory channel pauses: one process's view, for tests and the embedded default."""

from __future__ import annotations

import threading
from datetime import datetime

from domestyx.domain.model.otp import Channel
from domestyx.domain.model.pauses import ChannelPause


class InMemoryDeliveryPauses:
    """The same rules as the Redis adapter, under a lock."""

    def __init__(self) -> None:
        self._pauses: dict[Channel, ChannelPause] = {}
        self._lock = threading.Lock()

    def pause(self, pause: ChannelPause, *, now: datetime) -> bool:
        """Extend, never shorten; True when no pause of this reason was in force."""
        with self._lock:
            current = self._live(pause.channel, now)
            if current is not None and pause.until <= current.until:
                return False
            self._pauses[pause.channel] = pause
            return current is None or current.reason != pause.reason

    def current(self, channel: Channel, *, now: datetime) -> ChannelPause | None:
        """The pause in force at `now`."""
        with self._lock:
            return self._live(channel, now)

    def resume(self, channel: Channel) -> bool:
        """Forget the channel's pause."""
        with self._lock:
            return self._pauses.pop(channel, None) is not None

    def _live(self, channel: Channel, now: datetime) -> ChannelPause | None:
        found = self._pauses.get(channel)
        return found if found is not None and found.until > now else None
