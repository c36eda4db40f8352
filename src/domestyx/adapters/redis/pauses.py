"""RedisDeliveryPauses: channel pauses every worker sees, decided atomically in Lua."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import redis

from domestyx.adapters.redis.client import outage_as_unavailable, run_script
from domestyx.domain.model.otp import Channel
from domestyx.domain.model.pauses import ChannelPause

# Value "until_ms|reason". A pause past its `until` counts as absent even before Redis drops
# the key, so the callers' clock decides, and the key's TTL only cleans up.
_PAUSE = """
local now, new_until = tonumber(ARGV[3]), tonumber(ARGV[1])
local cur_until, cur_reason = 0, ''
local cur = redis.call('GET', KEYS[1])
if cur then
  local sep = string.find(cur, '|', 1, true)
  cur_until = tonumber(string.sub(cur, 1, sep - 1))
  cur_reason = string.sub(cur, sep + 1)
  if cur_until <= now then cur_until, cur_reason = 0, '' end
end
if new_until <= cur_until then return 0 end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'PX', ARGV[4])
if cur_reason == ARGV[2] then return 0 end
return 1
"""
# Kept a little past `until`, so a caller whose clock runs behind still sees it end by time.
_MARGIN = timedelta(minutes=1)


class RedisDeliveryPauses:
    """One key per channel under `prefix`."""

    def __init__(self, client: redis.Redis, *, prefix: str = "dx:pause:") -> None:
        self._client = client
        self._prefix = prefix
        self._pause = client.register_script(_PAUSE)

    def pause(self, pause: ChannelPause, *, now: datetime) -> bool:
        """Extend, never shorten; True when no pause of this reason was in force."""
        ttl = pause.until - now + _MARGIN
        args = [_ms(pause.until), pause.reason, _ms(now), max(1, int(ttl.total_seconds() * 1000))]
        return bool(run_script(self._pause, [self._key(pause.channel)], args))

    def current(self, channel: Channel, *, now: datetime) -> ChannelPause | None:
        """The pause in force at `now`."""
        with outage_as_unavailable():
            raw = self._client.get(self._key(channel))
        if not raw:
            return None
        until_ms, _, reason = str(raw).partition("|")
        until = datetime.fromtimestamp(int(until_ms) / 1000, tz=UTC)
        return ChannelPause(channel, until, reason) if until > now else None

    def resume(self, channel: Channel) -> bool:
        """Delete the channel's pause."""
        with outage_as_unavailable():
            return bool(self._client.delete(self._key(channel)))

    def _key(self, channel: Channel) -> str:
        return self._prefix + channel.value


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
