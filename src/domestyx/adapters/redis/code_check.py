"""RedisCodeCheck: a whole code guess (lockout, attempt, compare, consume or fail), one EVALSHA."""

from __future__ import annotations

import uuid
from datetime import datetime

import redis

from domestyx.adapters.redis.client import run_script
from domestyx.domain.model.otp import CheckOutcome, CheckStatus, CodeLockout

# KEYS: slot (dx:otp:), then with a lockout: its failure log and the known-network log
# (dx:fail:, the sorted sets RedisFailureCounter keeps). ARGV: now_ms, candidate hash ('' when
# malformed), max_attempts, member, then with a lockout: account id, window_ms, max_failures,
# free_failures, base_delay_ms, max_delay_ms, known_for_ms.
# The lockout rule is LockoutPolicy.check (cap first, then the delay doubling from
# base_delay), restated here so the check and the guess it admits are one atomic step.
# Returns {status, bound, retry_ms, rule, failures}; status 1 locked out, 2 missing,
# 3 exhausted, 4 wrong, 5 matched.
_CHECK = """
local now, cand, max_attempts, member = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), ARGV[4]
local guarded, owner, win, tally = #KEYS > 1, ARGV[5], 0, 0
if guarded then
  win = tonumber(ARGV[6])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - win)
  tally = redis.call('ZCARD', KEYS[2])
  if tally > 0 then
    local last = tonumber(redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')[2])
    if tally >= tonumber(ARGV[7]) and last + win > now then
      return {1, '', last + win - now, 'account-lockout', 0}
    end
    local free, delay = tonumber(ARGV[8]), 0
    if tally >= free then
      delay = math.min(tonumber(ARGV[9]) * 2 ^ math.min(tally - free, 20), tonumber(ARGV[10]))
    end
    if last + delay > now then return {1, '', last + delay - now, 'sign-in-delay', 0} end
  end
end
if cand == '' then return {2, '', 0, '', 0} end
local cur = redis.call('HMGET', KEYS[1], 'h', 'a', 'n', 'e')
if not cur[1] then return {2, '', 0, '', 0} end
local e = tonumber(cur[4])
if e <= now then redis.call('DEL', KEYS[1]); return {2, '', 0, '', 0} end
if tonumber(cur[3]) >= max_attempts then return {3, '', e - now, '', 0} end
redis.call('HINCRBY', KEYS[1], 'n', 1)
local bound = cur[2]
local own = guarded and bound ~= '' and bound == owner
-- Plain equality is enough: both sides are keyed HMACs the guesser cannot steer byte by byte.
if cur[1] ~= cand then
  local failures = 0
  if own then
    redis.call('ZADD', KEYS[2], now, member)
    redis.call('PEXPIRE', KEYS[2], win)
    failures = redis.call('ZCARD', KEYS[2])
  end
  return {4, bound, 0, '', failures}
end
redis.call('DEL', KEYS[1])
if own then
  if tally > 0 then redis.call('DEL', KEYS[2]) end
  local known = tonumber(ARGV[11])
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - known)
  redis.call('ZADD', KEYS[3], now, member)
  redis.call('PEXPIRE', KEYS[3], known)
end
return {5, bound, 0, '', 0}
"""

_STATUS = {
    1: CheckStatus.LOCKED_OUT,
    2: CheckStatus.MISSING,
    3: CheckStatus.EXHAUSTED,
    4: CheckStatus.WRONG,
    5: CheckStatus.MATCHED,
}


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def _seconds(ms: float) -> int:
    return max(1, -(-int(ms) // 1000))


class RedisCodeCheck:
    """Shares its keys with RedisOtpStore and RedisFailureCounter (same prefixes)."""

    def __init__(
        self, client: redis.Redis, *, otp_prefix: str = "dx:otp:", fail_prefix: str = "dx:fail:"
    ) -> None:
        self._otp_prefix = otp_prefix
        self._fail_prefix = fail_prefix
        self._check = client.register_script(_CHECK)

    def check(
        self,
        slot_key: str,
        candidate_hash: str | None,
        *,
        now: datetime,
        max_attempts: int,
        lockout: CodeLockout | None,
    ) -> CheckOutcome:
        """One EVALSHA whatever the outcome."""
        keys = [self._otp_prefix + slot_key]
        args: list[int | str] = [_ms(now), candidate_hash or "", max_attempts, uuid.uuid4().hex]
        if lockout is not None:
            policy = lockout.policy
            keys += [self._fail_prefix + lockout.failure_key, self._fail_prefix + lockout.known_key]
            args += [
                lockout.account_id,
                int(policy.window.total_seconds() * 1000),
                policy.max_failures,
                policy.free_failures,
                int(policy.base_delay.total_seconds() * 1000),
                int(policy.max_delay.total_seconds() * 1000),
                int(policy.known_for.total_seconds() * 1000),
            ]
        status, bound, retry_ms, rule, failures = run_script(self._check, keys, args)
        code = _STATUS[int(status)]
        retry = (
            _seconds(float(retry_ms))
            if code in (CheckStatus.LOCKED_OUT, CheckStatus.EXHAUSTED)
            else 0
        )
        return CheckOutcome(
            code,
            bound_to=(bound or None) if code in (CheckStatus.WRONG, CheckStatus.MATCHED) else None,
            retry_after=retry,
            policy=rule or "",
            failures=int(failures),
        )
