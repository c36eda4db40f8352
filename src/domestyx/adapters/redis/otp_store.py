"""RedisOtpStore: one hash per slot; every method is one Lua call (one round trip)."""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

import redis

from domestyx.adapters.redis.client import outage_as_unavailable, run_script
from domestyx.domain.model.otp import AttemptOutcome, AttemptStatus, IssueOutcome, IssueStatus

# Fields: h code hash, a account id, n attempts, e expiry (ms), s last send (ms).
_ISSUE = """
local k, now = KEYS[1], tonumber(ARGV[3])
local cur = redis.call('HMGET', k, 'n', 'e', 's')
local n, e, s = tonumber(cur[1]), tonumber(cur[2]), tonumber(cur[3])
if e and e <= now then redis.call('DEL', k); n = nil end
if n then
  if n >= tonumber(ARGV[6]) then return {2, e - now} end
  if now < s + tonumber(ARGV[5]) then return {1, s + tonumber(ARGV[5]) - now} end
else
  n = 0
end
redis.call('HSET', k, 'h', ARGV[1], 'a', ARGV[2], 'n', n, 'e', now + tonumber(ARGV[4]), 's', now)
redis.call('PEXPIRE', k, tonumber(ARGV[4]))
return {0, 0}
"""
_ATTEMPT = """
local k, now = KEYS[1], tonumber(ARGV[1])
local cur = redis.call('HMGET', k, 'h', 'a', 'n', 'e')
if not cur[1] then return {0} end
local e = tonumber(cur[4])
if e <= now then redis.call('DEL', k); return {0} end
if tonumber(cur[3]) >= tonumber(ARGV[2]) then return {1, e - now} end
local n = redis.call('HINCRBY', k, 'n', 1)
return {2, cur[1], cur[2], n}
"""
_CONSUME = """
if redis.call('HGET', KEYS[1], 'h') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def _ms(value: datetime | timedelta) -> int:
    if isinstance(value, timedelta):
        return int(value.total_seconds() * 1000)
    return int(value.timestamp() * 1000)


def _seconds(ms: int) -> int:
    return max(1, -(-int(ms) // 1000))


class RedisOtpStore:
    """Expiry is decided against the caller's clock; the Redis TTL only reclaims memory."""

    def __init__(self, client: redis.Redis, *, prefix: str = "dx:otp:") -> None:
        self._client = client
        self._prefix = prefix
        self._issue = client.register_script(_ISSUE)
        self._attempt = client.register_script(_ATTEMPT)
        self._consume = client.register_script(_CONSUME)

    def issue(
        self,
        slot_key: str,
        code_hash: str,
        *,
        account_id: str | None,
        now: datetime,
        valid_for: timedelta,
        cooldown: timedelta,
        max_attempts: int,
    ) -> IssueOutcome:
        """Atomic replace-unless-cooldown-or-locked."""
        args = [code_hash, account_id or "", _ms(now), _ms(valid_for), _ms(cooldown), max_attempts]
        status, wait = run_script(self._issue, [self._prefix + slot_key], args)
        if status == 0:
            return IssueOutcome(IssueStatus.ISSUED)
        return IssueOutcome(
            IssueStatus.LOCKED if status == 2 else IssueStatus.COOLDOWN, _seconds(wait)
        )

    def cooldown_remaining(self, slot_key: str, *, now: datetime, cooldown: timedelta) -> int:
        """One HMGET."""
        with outage_as_unavailable():
            expires, sent = self._client.hmget(self._prefix + slot_key, ["e", "s"])
        if expires is None or sent is None or int(expires) <= _ms(now):
            return 0
        wait = int(sent) + _ms(cooldown) - _ms(now)
        return _seconds(wait) if wait > 0 else 0

    def register_attempt(
        self, slot_key: str, *, now: datetime, max_attempts: int
    ) -> AttemptOutcome:
        """Count, then return the challenge."""
        result = run_script(self._attempt, [self._prefix + slot_key], [_ms(now), max_attempts])
        if result[0] == 0:
            return AttemptOutcome(AttemptStatus.MISSING)
        if result[0] == 1:
            return AttemptOutcome(AttemptStatus.LOCKED, retry_after=_seconds(result[1]))
        return AttemptOutcome(
            AttemptStatus.COUNTED,
            code_hash=result[1],
            account_id=result[2] or None,
            attempts=int(result[3]),
        )

    def holds(self, slot_key: str, code_hash: str, *, now: datetime) -> bool:
        """One HMGET; a lost or replaced slot does not hold the code."""
        with outage_as_unavailable():
            stored, expires = self._client.hmget(self._prefix + slot_key, ["h", "e"])
        if stored is None or expires is None or int(expires) <= _ms(now):
            return False
        text = stored.decode() if isinstance(stored, bytes) else str(stored)
        return hmac.compare_digest(text.encode(), code_hash.encode())

    def consume(self, slot_key: str, code_hash: str) -> bool:
        """Compare-and-delete."""
        return bool(run_script(self._consume, [self._prefix + slot_key], [code_hash]))
