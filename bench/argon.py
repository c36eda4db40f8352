"""The cost of the production argon2id parameters on this machine."""

from __future__ import annotations

import statistics
import threading
import time

import attrs
import psutil

from domestyx.adapters.system.argon2_hasher import Argon2Parameters, Argon2PasswordHasher

PASSWORD = "correct horse battery staple"  # noqa: S105 - a benchmark input


@attrs.frozen
class ArgonResult:
    """Median milliseconds per hash and verify, and parallel throughput."""

    parameters: Argon2Parameters
    hash_ms: float
    verify_ms: float
    rss_growth_mib: float
    per_second_1_thread: float
    per_second_2_threads: float


def _timed(fn: object, runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _throughput(hasher: Argon2PasswordHasher, digest: str, threads: int, seconds: float) -> float:
    done = [0] * threads
    stop = time.perf_counter() + seconds

    def work(slot: int) -> None:
        while time.perf_counter() < stop:
            hasher.verify(digest, PASSWORD)
            done[slot] += 1

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(done) / (time.perf_counter() - started)


def measure_argon2(runs: int = 15) -> ArgonResult:
    """Parameters from Argon2Parameters() (what production builds from its default settings)."""
    parameters = Argon2Parameters()
    hasher = Argon2PasswordHasher(parameters)
    rss = psutil.Process().memory_info().rss
    digest = hasher.hash(PASSWORD)
    growth = (psutil.Process().memory_info().rss - rss) / 2**20
    return ArgonResult(
        parameters=parameters,
        hash_ms=_timed(lambda: hasher.hash(PASSWORD), runs),
        verify_ms=_timed(lambda: hasher.verify(digest, PASSWORD), runs),
        rss_growth_mib=growth,
        per_second_1_thread=_throughput(hasher, digest, 1, 2.0),
        per_second_2_threads=_throughput(hasher, digest, 2, 2.0),
    )
