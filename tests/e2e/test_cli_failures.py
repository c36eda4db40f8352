"""Every `domestyx` command, given bad input, fails in one line on stderr with a non-zero exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from domestyx.entrypoints.cli.main import build_parser
from tests.support.production_env import GOOD_PRODUCTION

pytestmark = pytest.mark.e2e


def commands() -> list[str]:
    """The subcommands as the parser declares them, so a new one cannot be forgotten here."""
    return sorted(build_parser().commands)


PRODUCTION_ARGON2 = {"ARGON2_TIME_COST": "3", "ARGON2_MEMORY_KIB": "65536"}
# Per command: arguments, environment and stdin that are wrong in a way the command must explain.
BAD_INPUT: dict[str, tuple[list[str], dict[str, str], str]] = {
    "serve": (["--port", "eighty"], {}, ""),
    "worker": (["--threads", "many"], {}, ""),
    "migrate": (["--to", "no-such-revision"], {}, ""),
    "check": ([], {"DATABASE_URL": "postgres://u:p@db.example.com/app"}, ""),
    "create-admin": (["--email", "a@example.com", "--phone", "+447700900123"], {}, ""),
    "purge-expired": ([], {"RATE_LIMITS": "foo"}, ""),
    "reconcile": ([], {"REDIS_URL": "http://127.0.0.1:6379"}, ""),
    "requeue-deliveries": (["--older-than", "soon"], {}, ""),
    "delivery-pause": (["show", "fax"], {}, ""),
    "backup": (["verify"], {}, ""),  # nothing backed up yet
    "monitors": (["sync"], {}, ""),  # no BETTERSTACK_API_TOKEN
    "accounts": (["show", "ann@example.com", "--staff", "nobody@example.com"], {}, ""),
    "dev": (["reset-limits"], {**GOOD_PRODUCTION, **PRODUCTION_ARGON2}, ""),
    "keys": (["public"], {}, "not a key"),
}
# What each line must say, so "one line" is also the right line.
SAYS = {
    "serve": "invalid int value: 'eighty'",
    "worker": "invalid int value: 'many'",
    "migrate": "no-such-revision",
    "check": "DATABASE_URL: postgres:// is not supported",
    "create-admin": "set DOMESTYX_ADMIN_PASSWORD",
    "purge-expired": "RATE_LIMITS: 'foo': 'foo' is not operation.scope; expected",
    "reconcile": "REDIS_URL: http:// is not a Redis URL",
    "requeue-deliveries": "invalid int value: 'soon'",
    "delivery-pause": "invalid choice: 'fax'",
    "backup": "no backup under 'backups/'",
    "monitors": "BETTERSTACK_API_TOKEN is required",
    "accounts": "no staff account nobody@example.com",
    "dev": "refused in production",
    "keys": "not an unencrypted private key PEM",
}


def run(tmp_path: Path, args: list[str], env: dict[str, str], stdin: str = "") -> tuple[int, str]:
    environ = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DOMESTYX_VAR_DIR": str(tmp_path / "var"),
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "8192",
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-m", "domestyx.entrypoints.cli.main", *args],
        env=environ,
        cwd=tmp_path,
        input=stdin,  # never a terminal: create-admin cannot prompt
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.returncode, result.stderr


def assert_one_line_failure(code: int, stderr: str, command: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"domestyx {command}".strip()), lines[0]
    assert code != 0
    return lines[0]


def test_every_command_has_a_bad_input_case() -> None:
    assert sorted(BAD_INPUT) == commands() == sorted(SAYS)


@pytest.mark.parametrize("command", commands())
def test_bad_input_is_one_clear_line_and_a_non_zero_exit(tmp_path: Path, command: str) -> None:
    args, env, stdin = BAD_INPUT[command]
    code, stderr = run(tmp_path, [command, *args], env, stdin)
    line = assert_one_line_failure(code, stderr, command)
    assert SAYS[command] in line


@pytest.mark.parametrize("command", commands())
def test_an_unknown_flag_is_one_line_naming_the_command(tmp_path: Path, command: str) -> None:
    code, stderr = run(tmp_path, [command, "--no-such-flag"], {})
    line = assert_one_line_failure(code, stderr, command)
    assert code == 2 and f"(see `domestyx {command} --help`)" in line


def test_an_unknown_command_is_one_line(tmp_path: Path) -> None:
    code, stderr = run(tmp_path, ["serv"], {})
    assert code == 2 and "invalid choice: 'serv'" in assert_one_line_failure(code, stderr, "")


def test_a_failing_cron_job_is_one_line_not_the_log(tmp_path: Path) -> None:
    """A database that refuses connections: one line, not the log or a driver's traceback."""
    env = {"DATABASE_URL": "mysql://root@127.0.0.1:9/none"}
    code, stderr = run(tmp_path, ["backup", "create"], env)
    assert code == 1
    assert "backup failed:" in assert_one_line_failure(code, stderr, "backup")


def test_serve_on_a_taken_port_is_one_line_before_anything_starts(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, stderr = run(tmp_path, ["serve", "--port", str(port)], {})
    line = assert_one_line_failure(code, stderr, "serve")
    assert code == 2 and f"cannot listen on 127.0.0.1:{port}: Address already in use" in line
