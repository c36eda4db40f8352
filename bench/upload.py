"""10 MiB document upload: server RSS growth, and throughput against a direct boto3 put."""

from __future__ import annotations

import os
import statistics
import threading
import time
import uuid

import attrs
import httpx
from tests.support.files import png
from tests.support.moto import MOTO_ACCESS_KEY, MOTO_REGION, MOTO_SECRET_KEY

from bench.server import ServeProcess
from domestyx.adapters.s3.client import make_client

SIZE = 10 * 1024 * 1024
_ALNUM = bytes(range(48, 58)) + bytes(range(65, 91)) + bytes(range(97, 123))
_TABLE = bytes(_ALNUM[b % len(_ALNUM)] for b in range(256))


def ten_mib_png() -> bytes:
    """A valid PNG of exactly 10 MiB: a 1x1 image and a tEXt chunk of random letters."""
    overhead = len(png()) + 12 + len(b"Comment\x00")  # the chunk's length, tag, CRC, keyword
    text = os.urandom(SIZE - overhead).translate(_TABLE)
    data = png(text=text)
    assert len(data) == SIZE, len(data)
    return data


@attrs.frozen
class UploadResult:
    """Sizes in bytes, times in seconds."""

    size: int
    runs: int
    cold_rss_growth: int
    peak_rss_growth: int
    retained_rss_growth: int
    rss_before: int
    server_seconds: list[float]
    direct_seconds: list[float]

    @property
    def server_mib_s(self) -> float:
        """Median upload throughput through the API."""
        return self.size / 2**20 / statistics.median(self.server_seconds)

    @property
    def direct_mib_s(self) -> float:
        """Median throughput of a direct boto3 put of the same bytes."""
        return self.size / 2**20 / statistics.median(self.direct_seconds)

    @property
    def ratio(self) -> float:
        """API throughput / direct throughput."""
        return self.server_mib_s / self.direct_mib_s


class RssSampler:
    """Peak RSS of the server while a block runs (sampled every 2 ms)."""

    def __init__(self, server: ServeProcess) -> None:
        self.server = server
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.server.rss())
            time.sleep(0.002)

    def __enter__(self) -> RssSampler:
        self.peak = self.server.rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.server.rss())


def measure_upload(
    server: ServeProcess, tokens: list[str], *, endpoint: str, bucket: str
) -> UploadResult:
    """One cold upload, then len(tokens)-1 measured ones, each next to a direct put."""
    data = ten_mib_png()
    direct = make_client(
        access_key=MOTO_ACCESS_KEY, secret_key=MOTO_SECRET_KEY, region=MOTO_REGION,
        endpoint_url=endpoint, timeout_s=60,
    )  # fmt: skip
    direct.put_object(Bucket=bucket, Key="bench/warm", Body=b"warm", ContentLength=4)
    server_s, direct_s, peaks = [], [], []
    with server.client() as http:
        cold_before = server.rss()
        with RssSampler(server) as cold:
            _upload(http, tokens[0], data)
        before = server.rss()
        for token in tokens[1:]:
            start = server.rss()
            with RssSampler(server) as sampler:
                server_s.append(_upload(http, token, data))
            peaks.append(sampler.peak - start)
            direct_s.append(_direct_put(direct, bucket, data))
        after = server.rss()
    return UploadResult(
        size=len(data),
        runs=len(server_s),
        cold_rss_growth=cold.peak - cold_before,
        peak_rss_growth=max(peaks),
        retained_rss_growth=after - before,
        rss_before=before,
        server_seconds=server_s,
        direct_seconds=direct_s,
    )


def upload_many(server: ServeProcess, tokens: list[str]) -> None:
    """One 10 MiB upload per token, unmeasured (for the profiler)."""
    data = ten_mib_png()
    with server.client() as http:
        for token in tokens:
            _upload(http, token, data)


def _upload(http: httpx.Client, token: str, data: bytes) -> float:
    files = {"file": ("scan.png", data, "image/png")}
    headers = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    response = http.post(
        "/api/v1/documents", files=files, data={"kind": "passport"}, headers=headers
    )
    elapsed = time.perf_counter() - started
    if response.status_code != 201:
        raise RuntimeError(f"upload failed: {response.status_code} {response.text[:300]}")
    return elapsed


def _direct_put(client: object, bucket: str, data: bytes) -> float:
    started = time.perf_counter()
    client.put_object(  # type: ignore[attr-defined]
        Bucket=bucket, Key=f"bench/{uuid.uuid4().hex}", Body=data,
        ContentLength=len(data), ContentType="image/png",
    )  # fmt: skip
    return time.perf_counter() - started
