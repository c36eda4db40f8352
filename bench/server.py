"""`domestyx serve` as a separate process on loopback, with its pid for RSS readings."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

import httpx
import psutil
from tests.support.services import free_port, wait_until

from bench.stack import API_HOST, ROOT


def domestyx_command(*args: str) -> list[str]:
    """The installed `domestyx` console script (the module entry point if it is missing)."""
    script = shutil.which("domestyx", path=str(Path(sys.executable).parent))
    if script:
        return [script, *args]
    return [sys.executable, "-m", "domestyx.entrypoints.cli.main", *args]


class ServeProcess:
    """A server on loopback; by default `domestyx serve --host 127.0.0.1 --port N`, as Render runs.

    `command` replaces the command line (the port is appended as `--port N`): the floor and peer
    apps and the counting wrapper are started the same way. CPU time includes child processes,
    so `--workers N` is measured whole.
    """

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        *,
        command: list[str] | None = None,
        args: tuple[str, ...] = (),
        ready_path: str = "/health/live",
    ) -> None:
        self.env = env
        self.log_path = log_path
        self.port = free_port()
        self.command = command or domestyx_command("serve", "--host", "127.0.0.1")
        self.args = args
        self.ready_path = ready_path
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL on loopback."""
        return f"http://127.0.0.1:{self.port}"

    def client(self, **kwargs: Any) -> httpx.Client:
        """An HTTP client that names the production host (ALLOWED_HOSTS is enforced)."""
        return httpx.Client(base_url=self.url, headers={"Host": API_HOST}, timeout=30, **kwargs)

    def start(self) -> ServeProcess:
        """Start and wait for /health/live."""
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [*self.command, "--port", str(self.port), *self.args],
            env=self.env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        with self.client() as http:
            if not wait_until(lambda: _live(http, self.ready_path), timeout=90, interval=0.2):
                raise RuntimeError("serve did not start:\n" + self.log_path.read_text()[-4000:])
        return self

    def rss(self) -> int:
        """Resident set size of the server process, bytes."""
        assert self.process is not None
        return int(psutil.Process(self.process.pid).memory_info().rss)

    def threads(self) -> int:
        """OS threads in the server process."""
        assert self.process is not None
        return int(psutil.Process(self.process.pid).num_threads())

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process and its live children so far."""
        assert self.process is not None
        parent = psutil.Process(self.process.pid)
        total = 0.0
        for process in [parent, *parent.children(recursive=True)]:
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system
        return total

    def signal(self, signum: int) -> None:
        """Send a signal to the server process."""
        assert self.process is not None
        self.process.send_signal(signum)

    def stop(self) -> None:
        """SIGTERM, then wait (uvicorn shuts down gracefully)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self._log is not None:
            self._log.close()

    def __enter__(self) -> ServeProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _live(http: httpx.Client, path: str) -> bool:
    try:
        return http.get(path).status_code == 200
    except httpx.HTTPError:
        return False
