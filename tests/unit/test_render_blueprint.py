"""render.yaml: the services Render will run, checked against the CLI and the settings."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from domestyx.entrypoints.cli.main import build_parser
from domestyx.entrypoints.settings import REQUIRED_IN_PRODUCTION

BLUEPRINT = yaml.safe_load((Path(__file__).resolve().parents[2] / "render.yaml").read_text())
SERVICES = {s["name"]: s for s in BLUEPRINT["services"]}
GROUPS = {g["name"]: g["envVars"] for g in BLUEPRINT.get("envVarGroups", [])}
PYTHON_SERVICES = [s for s in BLUEPRINT["services"] if s["runtime"] == "python"]
SECRET = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|DSN|DATABASE_URL|REDIS_URL|CA_PEM|HEARTBEAT_URL")
CLI_COMMANDS = set(build_parser().commands)


def env_of(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every variable a service receives, its groups included."""
    found: dict[str, dict[str, Any]] = {}
    for item in service.get("envVars", []):
        if "fromGroup" in item:
            found.update({v["key"]: v for v in GROUPS[item["fromGroup"]]})
        else:
            found[item["key"]] = item
    return found


def test_the_service_kinds_are_a_web_api_a_worker_crons_and_a_static_site() -> None:
    kinds = sorted((s["type"], s["runtime"]) for s in BLUEPRINT["services"])
    assert (
        ("web", "python") in kinds and ("worker", "python") in kinds and ("web", "static") in kinds
    )
    assert {s["name"] for s in BLUEPRINT["services"] if s["type"] == "cron"} == {
        "domestyx-purge-expired",
        "domestyx-reconcile",
        "domestyx-backup",
    }


def test_the_api_checks_readiness_and_migrates_before_deploy() -> None:
    api = SERVICES["domestyx-api"]
    assert api["healthCheckPath"] == "/health/ready"
    assert api["preDeployCommand"] == "domestyx migrate"
    assert api["startCommand"].startswith("domestyx serve")


@pytest.mark.parametrize("service", PYTHON_SERVICES, ids=lambda s: s["name"])
def test_every_command_exists_in_the_cli(service: dict[str, Any]) -> None:
    commands = [service["startCommand"], service.get("preDeployCommand", "")]
    for line in commands:
        for part in filter(None, (p.strip() for p in line.split("&&"))):
            words = shlex.split(part)
            assert words[0] == "domestyx" and words[1] in CLI_COMMANDS, part
            build_parser().parse_args(words[1:])  # flags and arguments are valid too


@pytest.mark.parametrize("service", PYTHON_SERVICES, ids=lambda s: s["name"])
def test_every_required_variable_is_declared(service: dict[str, Any]) -> None:
    missing = set(REQUIRED_IN_PRODUCTION) - set(env_of(service))
    assert missing == set()
    assert env_of(service)["DOMESTYX_ENV"]["value"] == "production"


@pytest.mark.parametrize("service", PYTHON_SERVICES, ids=lambda s: s["name"])
def test_secrets_are_never_given_values(service: dict[str, Any]) -> None:
    for key, item in env_of(service).items():
        if SECRET.search(key):
            assert item.get("sync") is False and "value" not in item, key


def test_python_version_is_pinned() -> None:
    versions = {v["value"] for v in GROUPS["domestyx-shared"] if v["key"] == "PYTHON_VERSION"}
    assert len(versions) == 1 and re.fullmatch(r"3\.11\.\d+", versions.pop())


# CPUs of Render's instance types; a Python process uses at most about one.
PLAN_CPUS = {"starter": 1, "standard": 1, "pro": 2, "pro plus": 4, "pro max": 4, "pro ultra": 8}


def test_the_api_runs_one_server_process_per_cpu_of_its_plan() -> None:
    api = SERVICES["domestyx-api"]
    assert env_of(api)["WEB_CONCURRENCY"]["value"] == str(PLAN_CPUS[api["plan"]])
    assert "--workers" not in api["startCommand"]  # WEB_CONCURRENCY is the one knob
