"""Sliding-log rate limiter and failure counter in Redis; each decision is one Lua call."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import redis

from domestyx.adapters.redis.client import outage_as_unavailable, run_script
from domestyx.domain.model.rate_limits import FailureTally, GuardReading, RateDecision, RateRule

# Exact sliding window: a sorted set of hit timestamps per key. All rules of a decision are
# checked first and counted only if every one allows, so a refused request costs nothing.
# A rule whose spend flag is 0 is checked like the others but never counted (a gate).
# KEYS: n rule keys, then optionally n audit keys, then m failure-log keys to tally, then
# optionally one code slot (RedisOtpStore's hash) whose resend cooldown is peeked first.
# ARGV: now_ms, member, n, m, audit_ms, cooldown_ms (0: no slot), (limit, window_ms, spend)
# per rule, window_ms per tally. Returns {2, 0, wait_ms, 0} while the slot waits out its
# cooldown (nothing else done); {0, i, wait_ms, audit, tallies...} when rule i refuses (audit 1
# when it is the first refusal under rule i's audit key within audit_ms); or
# {1, i, remaining, reset_ms, tallies...} for the tightest rule i. Tallies are
# (count, newest ms or -1) per failure log, read before the decision.
_HIT = """
local now, member = tonumber(ARGV[1]), ARGV[2]
local n, m = tonumber(ARGV[3]), tonumber(ARGV[4])
local audit_ms, cool = tonumber(ARGV[5]), tonumber(ARGV[6])
local c = 0
if cool > 0 then
  c = 1
  local cur = redis.call('HMGET', KEYS[#KEYS], 'e', 's')
  local e, s = tonumber(cur[1]), tonumber(cur[2])
  if e and s and e > now and s + cool > now then return {2, 0, s + cool - now, 0} end
end
local tallies = {}
for j = 1, m do
  local key, win = KEYS[#KEYS - c - m + j], tonumber(ARGV[6 + 3 * n + j])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - win)
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  tallies[#tallies + 1] = redis.call('ZCARD', key)
  tallies[#tallies + 1] = tonumber(last[2] or -1)
end
local function answer(head)
  for _, v in ipairs(tallies) do head[#head + 1] = v end
  return head
end
local counts, worst, worst_wait = {}, 0, -1
for i = 1, n do
  local limit, win = tonumber(ARGV[4 + 3 * i]), tonumber(ARGV[5 + 3 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - win)
  local c = redis.call('ZCARD', KEYS[i])
  counts[i] = c
  if c >= limit then
    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    local wait = win
    if oldest[2] then wait = tonumber(oldest[2]) + win - now end
    if wait > worst_wait then worst, worst_wait = i, wait end
  end
end
if worst > 0 then
  local audit = 0
  if #KEYS - m - c == 2 * n then
    local akey, awin = KEYS[n + worst], audit_ms
    redis.call('ZREMRANGEBYSCORE', akey, '-inf', now - awin)
    if redis.call('ZCARD', akey) == 0 then
      redis.call('ZADD', akey, now, member)
      redis.call('PEXPIRE', akey, awin)
      audit = 1
    end
  end
  return answer({0, worst, worst_wait, audit})
end
local tight, tight_rem, tight_reset = 0, nil, 0
for i = 1, n do
  local limit, win, spend = tonumber(ARGV[4 + 3 * i]), tonumber(ARGV[5 + 3 * i]), ARGV[6 + 3 * i]
  local rem = limit - counts[i]
  if spend == '1' then
    redis.call('ZADD', KEYS[i], now, member)
    redis.call('PEXPIRE', KEYS[i], win)
    rem = rem - 1
  end
  if tight_rem == nil or rem < tight_rem then
    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    local reset = win
    if oldest[2] then reset = tonumber(oldest[2]) + win - now end
    tight, tight_rem, tight_reset = i, rem, reset
  end
end
return answer({1, tight, tight_rem or 0, tight_reset})
"""
_FAIL_ADD = """
local now, win = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - win)
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], win)
return redis.call('ZCARD', KEYS[1])
"""
_FAIL_TALLY = """
local now, win = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - win)
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
return {redis.call('ZCARD', KEYS[1]), last[2] or false}
"""


def _ms(value: datetime | timedelta) -> int:
    if isinstance(value, timedelta):
        return int(value.total_seconds() * 1000)
    return int(value.timestamp() * 1000)


def _s(ms: int) -> int:
    return max(1, -(-int(ms) // 1000))


class RedisRateLimiter:
    """Keys are namespaced; one EVALSHA per decision whatever the number of rules.

    It also serves GuardCounters: the same script tallies failure logs (RedisFailureCounter's
    keys, under `fail_prefix`) before it decides, in the same round trip.
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = "dx:",
        fail_prefix: str = "dx:fail:",
        otp_prefix: str = "dx:otp:",
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._fail_prefix = fail_prefix
        self._otp_prefix = otp_prefix
        self._hit = client.register_script(_HIT)

    def hit(
        self,
        rules: Sequence[RateRule],
        *,
        now: datetime,
        audit_keys: Sequence[str] = (),
        audit_every: timedelta = timedelta(minutes=1),
    ) -> RateDecision:
        """All-or-nothing decision, and the refusal's audit sampling, in one EVALSHA."""
        if not rules:
            return RateDecision(True, 0, 0, 0)
        return self._run(rules, now, audit_keys, audit_every, tallies=(), cooldown=None).decision

    def hit_and_tally(
        self,
        rules: Sequence[RateRule],
        *,
        now: datetime,
        tallies: Sequence[tuple[str, timedelta]] = (),
        cooldown: tuple[str, timedelta] | None = None,
        audit_keys: Sequence[str] = (),
        audit_every: timedelta = timedelta(minutes=1),
    ) -> GuardReading:
        """The resend wait, the tallies, then the decision: one EVALSHA."""
        if not rules and not tallies and cooldown is None:
            return GuardReading(RateDecision(True, 0, 0, 0))
        return self._run(rules, now, audit_keys, audit_every, tallies=tallies, cooldown=cooldown)

    def _run(
        self,
        rules: Sequence[RateRule],
        now: datetime,
        audit_keys: Sequence[str],
        audit_every: timedelta,
        *,
        tallies: Sequence[tuple[str, timedelta]],
        cooldown: tuple[str, timedelta] | None,
    ) -> GuardReading:
        if audit_keys and len(audit_keys) != len(rules):
            raise ValueError("one audit key per rule")
        keys = [self._prefix + key for key in [*(r.key for r in rules), *audit_keys]]
        keys += [self._fail_prefix + key for key, _ in tallies]
        args: list[int | str] = [_ms(now), uuid.uuid4().hex, len(rules), len(tallies)]
        args += [_ms(audit_every), _ms(cooldown[1]) if cooldown else 0]
        if cooldown is not None:
            keys.append(self._otp_prefix + cooldown[0])
        for rule in rules:
            args += [rule.limit, _ms(rule.window), int(rule.spend)]
        args += [_ms(window) for _, window in tallies]
        result = run_script(self._hit, keys, args)
        if result[0] == 2:
            return GuardReading(RateDecision(True, 0, 0, 0), cooldown=_s(result[2]))
        counted = result[4:]
        found = tuple(
            FailureTally(
                int(counted[2 * j]),
                datetime.fromtimestamp(int(counted[2 * j + 1]) / 1000, UTC)
                if int(counted[2 * j + 1]) >= 0
                else None,
            )
            for j in range(len(tallies))
        )
        if not rules:
            return GuardReading(RateDecision(True, 0, 0, 0), found)
        rule = rules[int(result[1]) - 1]
        if result[0] == 0:
            wait = _s(result[2])
            decision = RateDecision(False, rule.limit, 0, wait, wait, rule.name, bool(result[3]))
        else:
            decision = RateDecision(True, rule.limit, int(result[2]), _s(result[3]), 0, rule.name)
        return GuardReading(decision, found)

    def reset(self, key: str) -> None:
        """Forget a key."""
        with outage_as_unavailable():
            self._client.delete(self._prefix + key)

    def reset_prefix(self, prefix: str) -> int:
        """SCAN and delete every key under a prefix (a development tool, not a hot path)."""
        return _delete_matching(self._client, self._prefix + prefix)


class RedisFailureCounter:
    """Rolling failure log per key in a sorted set."""

    def __init__(self, client: redis.Redis, *, prefix: str = "dx:fail:") -> None:
        self._client = client
        self._prefix = prefix
        self._add = client.register_script(_FAIL_ADD)
        self._tally = client.register_script(_FAIL_TALLY)

    def add(self, key: str, *, now: datetime, window: timedelta) -> FailureTally:
        """Record and count."""
        count = run_script(
            self._add, [self._prefix + key], [_ms(now), _ms(window), uuid.uuid4().hex]
        )
        return FailureTally(int(count), now)

    def tally(self, key: str, *, now: datetime, window: timedelta) -> FailureTally:
        """Count only."""
        count, last = run_script(self._tally, [self._prefix + key], [_ms(now), _ms(window)])
        last_at = datetime.fromtimestamp(float(last) / 1000, UTC) if last else None
        return FailureTally(int(count), last_at)

    def clear(self, key: str) -> None:
        """Forget."""
        with outage_as_unavailable():
            self._client.delete(self._prefix + key)

    def clear_prefix(self, prefix: str) -> int:
        """SCAN and delete every key under a prefix."""
        return _delete_matching(self._client, self._prefix + prefix)


def _delete_matching(client: redis.Redis, prefix: str) -> int:
    """Delete the keys starting with `prefix` (glob characters in it matched literally)."""
    pattern = re.sub(r"([*?\[\]\\])", r"\\\1", prefix) + "*"
    deleted = 0
    with outage_as_unavailable():
        batch: list[Any] = []
        for key in client.scan_iter(match=pattern, count=500):
            batch.append(key)
            if len(batch) >= 500:
                deleted += int(client.delete(*batch))
                batch = []
        if batch:
            deleted += int(client.delete(*batch))
    return deleted
