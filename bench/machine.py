"""Facts about the machine and the software versions, for the report."""

from __future__ import annotations

import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from bench.load import wrk_version
from bench.stack import ROOT


def _run(*command: str) -> str:
    out = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    return out.stdout.strip()


def _meminfo() -> str:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            kib = int(line.split()[1])
            return f"{kib / 2**20:.1f} GiB ({kib} kB)"
    return "?"


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def machine_facts(mariadb_version: str, redis_version: str) -> dict[str, str]:
    """Everything docs/benchmarks.md says about where it ran."""
    dirty = _run("git", "status", "--porcelain")
    debian = Path("/etc/debian_version")
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "git": _run("git", "rev-parse", "--short=12", "HEAD") + (" (dirty tree)" if dirty else ""),
        "cpus": _run("nproc") + f" x {_cpu_model()}",
        "memory": _meminfo(),
        "os": f"Debian {debian.read_text().strip() if debian.exists() else '?'}, "
        f"Linux {platform.release()}",
        "python": sys.version.split()[0],
        "mariadb": mariadb_version,
        "redis": redis_version,
        "load generator": wrk_version(),
        "packages": ", ".join(
            f"{name} {version(name)}"
            for name in (
                "litestar",
                "uvicorn",
                "sqlalchemy",
                "pymysql",
                "redis",
                "dramatiq",
                "boto3",
                "moto",
                "argon2-cffi",
                "sentry-sdk",
            )
        ),
    }
