"""The prose of docs/benchmarks.md: how the run was set up, and what the numbers say."""

from __future__ import annotations

from typing import Any


def method(results: dict[str, Any]) -> str:
    """Production shape, inputs, and how each number was taken."""
    ready = results["ready"]
    checks = ", ".join(f"{k} {v['status']}" for k, v in ready.get("checks", {}).items())
    return f"""## How it ran

- **Production mode, no deviation.** `domestyx serve --host 127.0.0.1 --port <free port>` ran
  as its own process (one uvicorn process, which is what `domestyx serve` starts) with
  `DOMESTYX_ENV=production` and every variable of `REQUIRED_IN_PRODUCTION` set, so every real
  adapter was in use: MariaDB (a scratch database, migrated), Redis (database 14, flushed), S3
  through boto3 against `moto_server` over **HTTPS** (a throwaway self-signed certificate for
  127.0.0.1, trusted through `AWS_CA_BUNDLE` and `SSL_CERT_FILE`, so `STORAGE_ENDPOINT_URL`
  passes the production https rule), the Resend, Twilio and Turnstile adapters pointed at the
  contract stubs of `tests/stubs/`, Sentry's DSN at `SentryStub`, the three heartbeat URLs at
  the Better Stack stub, `PUBLIC_BASE_URL` `https://api.domestyx.test`,
  `ALLOWED_HOSTS=api.domestyx.test` (wrk sends that Host header), `TRUSTED_PROXIES=127.0.0.1/32`,
  `SMS_ALLOWED_PREFIXES=+44,+1,+254`, production argon2 and rate limits. `/health/ready`
  answered {ready.get("status")}: {checks}.
- **Load generator:** wrk (Debian package), a separate process on loopback, driven by a Lua
  script that sends one prepared request per input line and stops when the lines run out, so no
  single-use input is ever replayed. Throughput is the responses counted divided by the time from
  the first request to the last response (wrk's Lua timestamps both).
- **Realistic inputs, each valid once:** otp/verify (correct) — one freshly registered pending
  account per request, its live code issued through the service's own `OtpService`, proving its
  email (the success path); otp/verify (wrong) — a wrong code, four per account (below the 5-try
  cap and the lockout's free tries); refresh — one unused refresh token per request (sessions
  made by `SessionService.start`, 500 accounts); GET documents — 200 signed-in owners of two
  documents each, replayed round-robin (GET is idempotent); otp/send — one fresh Turnstile token
  per request, four in five to unknown addresses (the enumeration-safe no-op), one in five to a
  real pending account (email; every tenth of those an SMS to an email-verified account), from
  a pool of one client IP per 25 requests (blocks of 100 requests from 4 IPs, interleaved) through
  `X-Forwarded-For`, so the per-IP limit (20 an hour) is real work and refuses the last 5 of each
  IP's 25 — one request in five; both 202 and 429 count as served.
  Every verify and refresh request also comes from its own client IP, as real users would (the
  per-IP limits of 60 and 120 per 10 minutes would otherwise refuse a single-address load).
- **The worker** (`domestyx worker`, production defaults) ran only during the worker-latency
  measurements and the otp/send run, sharing the two cores with the server.
- Sentry events received by the stub during the whole run: {results["sentry_events"]}.

"""


def _upload_text(results: dict[str, Any]) -> str:
    """The upload's extra time, and where the server's GIL time went meanwhile."""
    up = results["upload"]
    shares, held = results.get("upload_profile") or ({}, 0.0)
    extra = up.size / 2**20 / up.server_mib_s * 1000 - up.size / 2**20 / up.direct_mib_s * 1000
    rows = "\n".join(f"| {k} | {v:.1%} |" for k, v in shares.items())
    pairs = [d / s for d, s in zip(up.direct_seconds, up.server_seconds, strict=True)]
    if up.ratio < 0.7:
        margin = "the goal of 0.7 is missed"
    elif min(pairs) < 0.7:
        margin = "the goal of 0.7 is met by the medians, with little margin"
    else:
        margin = "every upload meets the goal of 0.7"
    return f"""**Upload throughput: {up.ratio:.3f} of a direct put** (upload by upload, each API
upload against the direct put right after it: {min(pairs):.2f} to {max(pairs):.2f}; {margin}).
The API path takes
{extra:.0f} ms more than a direct `put_object` of the same bytes: the body crosses uvicorn,
Litestar parses the multipart stream and writes the file part to its spool file, the sniffer
reads it all once more (type, polyglot checks, SHA-256), the caller is authenticated and two
units of work run, and only then does the same `put_object` start — nothing overlaps the upload
to S3 with receiving the body. py-spy on the server
during {len(up.server_seconds) + 1} more uploads: the GIL was held {held:.0%} of the time (the
rest is waiting for the client, the disk and S3), and the samples that held it were:

| stage | share of GIL samples |
|---|---|
{rows}
"""


def _cpu(runs: dict[str, Any], name: str) -> float:
    return float(runs[name].server_cpu_ms_per_request)


def analysis(results: dict[str, Any]) -> str:
    """Why the missed goals are missed, from this run's own numbers."""
    load, attribution = results["load"], results["attribution"]
    runs = load.runs
    serve_cores = max(run.cores.get("domestyx serve", 0.0) for run in runs.values())
    verify = runs["otp_verify_correct"]
    cores = verify.cores
    live_cpu, verify_cpu = _cpu(runs, "health_live"), _cpu(runs, "otp_verify_correct")
    no_verify = _cpu(attribution, "otp_verify_correct")
    sentry_share = 1 - no_verify / verify_cpu if verify_cpu else 0.0
    rows = "\n".join(
        f"| {label} | {_cpu(runs, name):.2f} | {_cpu(attribution, name):.2f} "
        f"| {runs[name].load.rps:.0f} | {attribution[name].load.rps:.0f} |"
        for name, label in (
            ("health_live", "GET /health/live"),
            ("otp_verify_correct", "otp/verify (correct code)"),
            ("otp_verify_wrong", "otp/verify (wrong code)"),
            ("auth_refresh", "refresh"),
        )
    )
    profiles = results.get("profile") or {}
    correct_p = profiles.get("otp_verify_correct", {})
    wrong_p = profiles.get("otp_verify_wrong", {})
    sentry_gil = sum(v for k, v in correct_p.items() if k.startswith("Sentry"))
    wrong_gil = sum(v for k, v in wrong_p.items() if k.startswith("Sentry"))
    centres = list(dict.fromkeys([*correct_p, *wrong_p]))
    profile_rows = "\n".join(
        f"| {k} | {correct_p.get(k, 0.0):.1%} | {wrong_p.get(k, 0.0):.1%} |" for k in centres
    )
    wrong_cpu, no_wrong = _cpu(runs, "otp_verify_wrong"), _cpu(attribution, "otp_verify_wrong")
    verify_redis = next(r for r in results["routes"] if r.name == "otp/verify (correct code)").redis
    up = results["upload"]
    idle, busy = load.worker_idle, load.worker_loaded
    others = max(run.cores.get("everything else on the machine", 0.0) for run in runs.values())
    shared = (
        f"Other work on the machine took up to {others:.2f} cores during these runs (the "
        "'everything else' column), so the server did not always get a whole core; the "
        "CPU-time ratios of the throughput table, which that cannot skew, agree with the "
        "throughput ratios."
        if others > 0.3
        else "Nothing else on the machine took a noticeable share of the CPU during these runs."
    )
    lives = [run.load.p99_ms for name, run in runs.items() if name.startswith("health_live")]
    steal = max(run.cores.get("stolen by the hypervisor (steal)", 0.0) for run in runs.values())
    stolen = f" The hypervisor took up to {steal:.2f} cores (steal)." if steal >= 0.05 else ""
    return f"""
## What dominates, and why the missed goals are missed

**p99 verdicts are not stable.** /health/live's own p99 ranged from {min(lives):.0f} to
{max(lives):.0f} ms across its {len(lives)} runs in this one benchmark, so a route's p99 ratio
mostly tracks the baseline's tail and can land on either side of 0.5 from run to run.
Throughput and p50 are the stable comparisons.{stolen}

**Throughput ratios.** The serve process is one Python process: its Python code runs under one
GIL, so it can use about one core however many threads it has. During the otp/verify run it used
{cores.get("domestyx serve", 0):.2f} cores (at most {serve_cores:.2f} in any run) while MariaDB
used {cores.get("MariaDB", 0):.2f} and Redis {cores.get("Redis", 0):.2f}: the databases are not the
limit, the server's CPU time per request is. /health/live costs {live_cpu:.2f} ms of server CPU per
request; otp/verify costs {verify_cpu:.2f} ms ({verify_cpu / live_cpu:.0f} times as much), so its
throughput can't come near half of /health/live's on the same process. A ratio of 0.5 would
need a route to cost at most about twice an async no-op, while each of these routes does a
thread offload, one or two database transactions and several Redis round trips. {shared}

**The biggest single cost is the Sentry SDK's instrumentation**, not the route's own work. The
same routes on a second server with identical settings except no backend DSN (test mode, because
production refuses to start without one; diagnosis only, not used for any goal):

| route | server CPU ms/req with Sentry | without | req/s with | without |
|---|---|---|---|---|
{rows}

So about {sentry_share:.0%} of a successful otp/verify's CPU is Sentry, and
{1 - no_wrong / wrong_cpu if wrong_cpu else 0:.0%} of a wrong-code one's. py-spy (`--gil`,
250 Hz) on the production server during an otp/verify wrk run, after the measured runs, says
where the GIL was held; the "Sentry" rows add up to {sentry_gil:.0%} (correct code) and
{wrong_gil:.0%} (wrong code). The two measures differ because GIL samples only cover Python code
holding the GIL; the CPU time of the same server with and without Sentry is the direct one.

| cost centre | share of GIL samples, correct code | wrong code |
|---|---|---|
{profile_rows}

What in `src/` causes it:

1. Breadcrumbs: `init_sentry` (`adapters/sentry/reporter.py`) now keeps log records as
   breadcrumbs from WARNING up only (it was INFO, one breadcrumb per access-log line, when this
   analysis was first written); the auto-enabled Redis and SQLAlchemy integrations still add one
   per Redis command and per SQL statement.
2. Every breadcrumb goes through `Scrubber.before_breadcrumb` (`adapters/sentry/scrubber.py`),
   which walks it and runs the regular expressions of `adapters/sentry/redaction.py` over every
   string — on the request path, for breadcrumbs that are thrown away unless an error is reported.
   Scrubbing at record time is deliberate (nothing secret is kept in memory), and costs this.
3. The ASGI and Litestar integrations open a transaction and wrap every middleware call in a span
   (`enable_span_for_middleware`), sampled or not (`traces_sample_rate=0`).
4. **Every expected 4xx is turned into a full Sentry event and then dropped.** Domain errors
   (wrong code, 429, 401, 404...) are raised through Litestar's exception handling; the
   Litestar integration's `after_exception` hook only skips Litestar's own `HTTPException`s by
   status, so for a domain error it runs `event_from_exception` (the whole stack trace) and
   `capture_event` (event preparation and serialisation), and only then does
   `Scrubber.before_send` discard it (`is_expected_client_error`). That is why a wrong code
   costs {wrong_cpu:.2f} ms of CPU against {verify_cpu:.2f} ms for a correct one, although it
   does less work ({no_wrong:.2f} ms without Sentry). Letting the expected domain errors reach
   Litestar as `HTTPException` subclasses (whose status the integration does filter), or
   reporting 5xx from the app's own exception handler instead of the integration's hook, would
   remove that cost.

Even without Sentry the ratios stay far below 0.5 (for example otp/verify
{attribution["otp_verify_correct"].load.rps / attribution["health_live"].load.rps:.2f} of
/health/live): /health/live gets cheaper too. The remaining cost is the work itself in Python:
thread offload, SQLAlchemy Core compilation and PyMySQL (every unit of work is a pool checkout
with a pre-ping, the statements and its COMMIT or ROLLBACK — the pool no longer adds a second
ROLLBACK; see the general-log column), redis-py, JSON logging. The way to more throughput per
machine is more processes (uvicorn `--workers` or more
instances), which `domestyx serve` does not offer today: one process can't use the second core.

**Redis round trips per OTP verify: {verify_redis.round_trips:.0f}, not ≤ 2.** The OTP store itself
is two EVALSHAs (count the attempt, then compare-and-delete), but the request around it adds the
per-IP rate-limit decision (one EVALSHA) and the lockout check (`failures.tally`, one EVALSHA);
`clear_failures` sends its DEL only when the tally showed failures to clear. Folding the
lockout tally into the rate-limit script, and attempt + compare + consume + clear into one script
(the candidate code's HMAC can be computed before the call and compared inside Lua) would make it
two round trips.

**Rate-limit decisions are one round trip each** (one EVALSHA whatever the number of rules); a
*refused* request costs a second decision, because `_audit_sampled` asks the limiter whether this
refusal should be audited. On otp/send the Turnstile siteverify call happens *before* the rate
limit (`require_human` precedes `codes.send`), so refused requests still cost a provider round
trip and spend the user's token; register checks the limit first.

{_upload_text(results)}

**Upload memory.** RSS stays flat ({up.peak_rss_growth / 2**20:.1f} MiB worst warm peak): Litestar
spools the multipart file to disk past 1 MiB and the S3 adapter streams it from there.

**Worker latency.** When idle, dramatiq's Redis consumer polls with a back-off capped by the
worker timeout (`WorkerRunner` passes `worker_timeout=200` ms), so a message can wait up to that
long before it is fetched (idle: p50 {idle.p50_ms:.0f} ms, p99 {idle.p99_ms:.0f} ms). Under load
the worker shares the two cores with the server, MariaDB and wrk (it used
{runs["otp_send"].cores.get("domestyx worker", 0):.2f} cores, the server
{runs["otp_send"].cores.get("domestyx serve", 0):.2f}): p50 {busy.p50_ms:.0f} ms, p99
{busy.p99_ms:.0f} ms. Each delivery is two transactions around the provider call (lock and mark
as sending, then record the outcome).

**Thread pool.** The serve process had {load.server_threads} OS threads during the load phase.
`domestyx serve` sets Litestar's handler executor to `WEB_THREADS` (default 16) threads, the size
of the database pool; here the CPU limit is reached first, so the pool is not what limits these
numbers.
"""
