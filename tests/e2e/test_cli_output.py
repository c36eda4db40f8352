"""Operator commands print readable summaries, JSON with --json, and a bar only on a terminal."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

REPRS = ("Report(", "Manifest(", "TableCheck(", "=0,", "{'")  # what a Python repr looks like


def environ(tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DOMESTYX_VAR_DIR": str(tmp_path / "var"),
        "COLUMNS": "120",
    }


def domestyx(
    tmp_path: Path, *args: str, ok: bool = True, **env: str
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "domestyx.entrypoints.cli.main", *args],
        env={**environ(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (result.returncode == 0) is ok, result.stderr
    return result


def on_a_terminal(tmp_path: Path, *args: str) -> tuple[str, bytes]:
    """Run with stderr on a pseudo-terminal: (stdout, what the terminal received)."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "domestyx.entrypoints.cli.main", *args],
        env=environ(tmp_path),
        stdout=subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert process.wait(120) == 0, seen.decode(errors="replace")
    assert process.stdout is not None
    return process.stdout.read().decode(), seen


@pytest.mark.parametrize(
    ("args", "summary", "keys"),
    [
        (["purge-expired"], "purge-expired: 0 documents erased, 0 kept under legal hold", "purged"),
        (
            ["reconcile"],
            "reconcile: 0 orphan objects deleted, 0 missing objects tombstoned",
            "failed",
        ),
        (["requeue-deliveries"], "requeue-deliveries: 0 deliveries waiting over 120s", "requeued"),
        (["check"], "database     ok", "checks"),
    ],
)
def test_a_result_is_a_summary_or_json_never_a_repr(
    tmp_path: Path, args: list[str], summary: str, keys: str
) -> None:
    plain = domestyx(tmp_path, *args)
    assert plain.stdout.startswith(summary), plain.stdout
    assert not any(r in plain.stdout for r in REPRS), plain.stdout
    assert plain.stderr == ""
    document = json.loads(domestyx(tmp_path, *args, "--json").stdout)
    assert document["ok"] is True and keys in document


def test_backup_create_and_verify_summaries_and_json(tmp_path: Path) -> None:
    plain = tmp_path / "plain"  # its own state: two backups within one second would share a name
    plain.mkdir()
    created = domestyx(plain, "backup", "create").stdout
    assert created.startswith("backup created: backups/") and "tables" in created
    assert not any(r in created for r in REPRS), created
    made = json.loads(domestyx(tmp_path, "backup", "create", "--json").stdout)
    assert made["key"].startswith("backups/") and "accounts" in made["tables"]
    verified = domestyx(tmp_path, "backup", "verify").stdout.splitlines()
    assert verified[0] == f"backup {made['key']}: ok"
    assert "accounts: rows 0 checksum ok" in verified
    report = json.loads(domestyx(tmp_path, "backup", "verify", "--json").stdout)
    assert report["ok"] is True and report["backup_key"] == made["key"]
    assert {t["table"] for t in report["tables"]} >= {"accounts", "documents"}


@pytest.mark.parametrize(
    ("args", "label"),
    [
        (["backup", "create"], "backup create"),
        (["requeue-deliveries"], "requeue-deliveries"),
        (["purge-expired"], "purge-expired"),
        (["reconcile"], "reconcile"),
    ],
)
def test_a_bar_is_drawn_on_a_terminal_only(tmp_path: Path, args: list[str], label: str) -> None:
    # Each run has its own state: two backups within one second would share a name.
    tty, piped_dir, json_dir = (tmp_path / name for name in ("tty", "piped", "json"))
    for folder in (tty, piped_dir, json_dir):
        folder.mkdir()
    stdout, terminal = on_a_terminal(tty, *args)
    assert label.encode() in terminal  # rich drew (then cleared) the bar on stderr
    assert "\x1b" not in stdout  # stdout keeps only the summary
    piped = domestyx(piped_dir, *args)
    assert piped.stderr == ""  # no terminal: no bar, no redraw noise in a cron log
    stdout, terminal = on_a_terminal(json_dir, *args, "--json")
    assert terminal == b"" and json.loads(stdout)["ok"] is True


def test_restore_loads_a_dump_into_an_empty_database_and_refuses_a_full_one(
    tmp_path: Path,
) -> None:
    admin = {"DOMESTYX_ADMIN_PASSWORD": "correct horse battery staple"}
    domestyx(
        tmp_path, "create-admin", "--email", "r@example.com", "--phone", "+447700900999", **admin
    )
    made = json.loads(domestyx(tmp_path, "backup", "create", "--json").stdout)
    target = {"DATABASE_URL": f"sqlite:///{tmp_path}/restored.db"}
    restored = domestyx(tmp_path, "backup", "restore", "--key", made["key"], **target).stdout
    assert restored.startswith(f"restored {made['key']} (revision {made['revision']}) into sqlite")
    assert restored.rstrip().endswith("all match") and "0 rows" not in restored
    again = domestyx(tmp_path, "backup", "restore", ok=False, **target)
    assert again.returncode == 1 and again.stdout == ""
    assert again.stderr == "domestyx backup: the restore target is not empty\n"


def test_worker_on_the_embedded_default_says_why_it_has_nothing_to_do(tmp_path: Path) -> None:
    result = domestyx(tmp_path, "worker")  # returns at once instead of idling until killed
    assert result.stdout.startswith("domestyx worker: nothing to do: without REDIS_URL")
    assert "inside `domestyx serve`" in result.stdout and result.stderr == ""
