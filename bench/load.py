"""wrk (Debian's package) driving the server from its own process, one request line at a time."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from bench.stack import API_HOST

# One request per input line: METHOD \t PATH \t X-Forwarded-For \t Authorization \t JSON body.
# "once" mode stops the thread when the lines run out, so no input is ever replayed.
LUA = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *ts);
]]
local ts = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

requests, index, mode, statuses, first_us, last_us = {}, 0, "once", {}, 0, 0
local fallback

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do fields[#fields + 1] = field end
  return fields
end

function init(args)
  mode = args[2]
  for line in io.lines(args[1]) do
    local f = split(line)
    local headers = { ["Host"] = args[3] }
    if f[3] ~= "" then headers["X-Forwarded-For"] = f[3] end
    if f[4] ~= "" then headers["Authorization"] = f[4] end
    local body = nil
    if f[5] ~= nil and f[5] ~= "" then
      body = f[5]
      headers["Content-Type"] = "application/json"
    end
    requests[#requests + 1] = wrk.format(f[1], f[2], headers, body)
  end
  fallback = wrk.format("GET", "/health/live", { ["Host"] = args[3] })
end

function request()
  if first_us == 0 then first_us = now_us() end
  index = index + 1
  if index > #requests then
    if mode == "cycle" then
      index = 1
    else
      wrk.thread:stop()
      statuses["exhausted"] = (statuses["exhausted"] or 0) + 1
      return fallback
    end
  end
  return requests[index]
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  last_us = now_us()
end

local threads = {}
function setup(thread) threads[#threads + 1] = thread end

function done(summary, latency, requests)
  local merged, used, first, last = {}, 0, nil, 0
  for _, thread in ipairs(threads) do
    for k, v in pairs(thread:get("statuses")) do merged[k] = (merged[k] or 0) + v end
    used = used + thread:get("index")
    local f = thread:get("first_us")
    if f > 0 and (first == nil or f < first) then first = f end
    if thread:get("last_us") > last then last = thread:get("last_us") end
  end
  local parts = {}
  for k, v in pairs(merged) do parts[#parts + 1] = string.format('"%s": %d', k, v) end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "active_us": %d, "lines_used": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "p999": %d, "mean": %.1f, "max": %d}, ' ..
    '"statuses": {%s}}\n',
    summary.requests, summary.duration, last - (first or last), used,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.mean, latency.max, table.concat(parts, ", ")))
end
"""


@attrs.frozen
class Line:
    """One prepared request."""

    method: str
    path: str
    forwarded_for: str = ""
    authorization: str = ""
    body: Any = None

    def render(self) -> str:
        """The tab-separated line the Lua script reads."""
        body = "" if self.body is None else json.dumps(self.body, separators=(",", ":"))
        return "\t".join((self.method, self.path, self.forwarded_for, self.authorization, body))


@attrs.frozen
class LoadResult:
    """What wrk measured (latencies in milliseconds)."""

    name: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[str, int]
    errors: dict[str, int]
    lines_used: int
    command: str


def ensure_wrk() -> str:
    """wrk on PATH, installed from Debian's package when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    apt = ["apt-get", "install", "-y", "-qq", "wrk"]
    if subprocess.run(apt, check=False, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True)
        subprocess.run(apt, check=True, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk could not be installed (apt-get install wrk)")
    return found


def wrk_version() -> str:
    """The first line wrk prints about itself."""
    out = subprocess.run([ensure_wrk(), "--version"], capture_output=True, text=True, check=False)
    first = (out.stdout or out.stderr).splitlines()[0]
    return first.split(" Copyright")[0].strip()


def run_wrk(
    name: str,
    url: str,
    lines: Iterable[Line],
    workdir: Path,
    *,
    seconds: int,
    connections: int,
    cycle: bool = False,
) -> LoadResult:
    """Drive `url` with the lines (replayed only if `cycle`) for `seconds` from one wrk thread."""
    script = workdir / "requests.lua"
    script.write_text(LUA)
    inputs = workdir / f"{name}.tsv"
    inputs.write_text("".join(line.render() + "\n" for line in lines))
    command = [
        ensure_wrk(), "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(script), url, "--", str(inputs), "cycle" if cycle else "once", API_HOST,
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    (workdir / f"{name}.wrk.txt").write_text(out.stdout + out.stderr)
    marker = next(x for x in out.stdout.splitlines() if x.startswith("BENCH_JSON "))
    data = json.loads(marker.removeprefix("BENCH_JSON "))
    # From the first request to the last response: in "once" mode the thread stops early.
    seconds_run = data["active_us"] / 1e6
    lat = data["latency_us"]
    shown = " ".join(command[:-3]).replace(str(workdir) + "/", "")
    return LoadResult(
        name=name,
        requests=data["requests"],
        seconds=seconds_run,
        rps=data["requests"] / seconds_run,
        p50_ms=lat["p50"] / 1000,
        p90_ms=lat["p90"] / 1000,
        p99_ms=lat["p99"] / 1000,
        max_ms=lat["max"] / 1000,
        statuses=data["statuses"],
        errors=data["errors"],
        lines_used=min(data["lines_used"], data["requests"]),
        command=shown + f" {name}.tsv {'cycle' if cycle else 'once'} {API_HOST}",
    )
