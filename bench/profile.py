"""Where the serve process holds the GIL during one route (py-spy --gil), by package."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bench.load import Line, run_wrk
from bench.server import ServeProcess

# Checked against the whole stack first: work these cause, wherever it happens.
_CAUSES = (
    ("domestyx/adapters/sentry/", "Sentry: domestyx scrubber (before_breadcrumb/before_send)"),
    ("sentry_sdk/integrations/logging.py", "Sentry: a breadcrumb per log record"),
)
# Otherwise the innermost frame of a known package.
_PACKAGES = (
    ("sentry_sdk/", "Sentry: SDK (ASGI/Litestar spans, scopes, Redis/SQL hooks)"),
    ("domestyx/entrypoints/logs", "logging (JSON formatter)"),
    ("logging/", "logging (stdlib)"),
    ("json/", "logging (JSON formatter)"),
    ("sqlalchemy/", "SQLAlchemy"),
    ("pymysql/", "PyMySQL"),
    ("redis/", "redis-py"),
    ("litestar/", "Litestar"),
    ("msgspec/", "Litestar"),
    ("uvicorn/", "uvicorn"),
    ("jwt/", "PyJWT"),
    ("domestyx/", "domestyx (domain, adapters, middleware)"),
    ("asyncio/", "event loop and thread offload"),
    ("concurrent/", "event loop and thread offload"),
    ("threading.py", "event loop and thread offload"),
)


# For uploads: the innermost frame of the upload path's stages.
_UPLOAD = (
    ("domestyx/domain/model/sniffing", "size cap and SHA-256 (domestyx)"),
    ("PIL/", "image decoding and re-encoding (Pillow)"),
    ("pypdf/", "PDF parsing (pypdf)"),
    ("domestyx/adapters/uploads", "container walks (domestyx)"),
    ("upload_file.py", "spool-file writes (Litestar UploadFile.write)"),
    ("litestar/_multipart", "multipart parsing (Litestar)"),
    ("multipart.py", "multipart parsing (Litestar)"),
    ("botocore/", "S3 client (botocore, urllib3, TLS)"),
    ("urllib3/", "S3 client (botocore, urllib3, TLS)"),
    ("ssl.py", "S3 client (botocore, urllib3, TLS)"),
    ("domestyx/adapters/s3", "S3 client (botocore, urllib3, TLS)"),
    ("uvicorn/", "uvicorn (receiving the body)"),
    ("sentry_sdk/", "Sentry"),
    ("domestyx/adapters/sentry", "Sentry"),
    ("sqlalchemy/", "database"),
    ("pymysql/", "database"),
    ("concurrent/", "thread-pool hops"),
    ("asyncio/", "event loop"),
)


def classify(frames: list[str]) -> str:
    """One sample's cost centre."""
    for needle, name in _CAUSES:
        if any(needle in f for f in frames):
            return name
    return innermost(frames, _PACKAGES)


def innermost(frames: list[str], packages: tuple[tuple[str, str], ...]) -> str:
    """The name of the innermost frame that belongs to one of `packages`."""
    for frame in reversed(frames):
        for needle, name in packages:
            if needle in frame:
                return name
    return "other (stdlib)"


def py_spy() -> str | None:
    """py-spy from the venv (pip install py-spy; it is not a project dependency)."""
    return shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")


def gil_profile(
    server: ServeProcess, lines: list[Line], workdir: Path, name: str, *, seconds: int = 8
) -> dict[str, float]:
    """Share of GIL-holding samples per cost centre while wrk drives the route ({} w/o py-spy)."""
    binary = py_spy()
    if binary is None or server.process is None:
        return {}
    out = workdir / f"profile-{name}.txt"
    command = [binary, "record", "-p", str(server.process.pid), "-d", str(seconds - 3),
               "-r", "250", "-f", "raw", "-o", str(out), "--gil", "--nonblocking"]  # fmt: skip
    spy = threading.Thread(target=subprocess.run, args=(command,), kwargs={"capture_output": True})
    timer = threading.Timer(1.5, spy.start)
    timer.start()
    run_wrk(f"profile_{name}", server.url, lines, workdir, seconds=seconds, connections=16)
    timer.join()
    spy.join()
    time.sleep(0.5)
    return _shares(out, classify)


def _shares(out: Path, by: Callable[[list[str]], str]) -> dict[str, float]:
    if not out.exists():
        return {}
    shares: Counter[str] = Counter()
    for row in out.read_text().splitlines():
        stack, _, count = row.rpartition(" ")
        shares[by(stack.split(";"))] += int(count)
    total = sum(shares.values()) or 1
    return {k: v / total for k, v in shares.most_common()}


def upload_profile(
    server: ServeProcess, uploads: Callable[[], object], workdir: Path
) -> tuple[dict[str, float], float]:
    """GIL samples by upload stage while `uploads` runs, and the share of time GIL was held."""
    binary = py_spy()
    if binary is None or server.process is None:
        return {}, 0.0
    out = workdir / "profile-upload.txt"
    rate = 500
    spy = subprocess.Popen(
        [binary, "record", "-p", str(server.process.pid), "-r", str(rate), "-f", "raw",
         "-o", str(out), "--gil", "--nonblocking"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1.0)
    started = time.monotonic()
    uploads()
    elapsed = time.monotonic() - started
    spy.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
    spy.wait(30)
    samples = (
        sum(int(r.rpartition(" ")[2]) for r in out.read_text().splitlines()) if out.exists() else 0
    )
    return _shares(out, lambda frames: innermost(frames, _UPLOAD)), samples / (rate * elapsed)
