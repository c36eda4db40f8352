"""The import-direction rule of ARCHITECTURE.md, checked over every module's AST."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "domestyx"
STDLIB = set(sys.stdlib_module_names)
CORE_ALLOWED = {"attrs", "domestyx.domain", "domestyx.ports"}
# Each adapter family may use these SDKs (besides the core and the standard library).
ADAPTER_SDKS = {
    "sql": {"sqlalchemy", "alembic", "pymysql"},
    "redis": {"redis"},
    "resend": {"resend", "requests"},  # the SDK is built on requests; its errors surface
    "twilio": {"twilio", "requests"},
    "turnstile": {"httpx"},
    "s3": {"boto3", "botocore", "httpx"},
    "localfs": set(),
    "sentry": {"sentry_sdk", "litestar", "dramatiq"},
    "betterstack": {"httpx"},
    "dramatiq": {"dramatiq", "redis"},
    "memory": set(),
    "dev": set(),
    "logging": set(),
    "system": {"argon2", "jwt"},
}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _modules(package: str) -> list[Path]:
    return sorted((SRC / package).rglob("*.py"))


def _allowed(name: str, allowed: set[str]) -> bool:
    top = name.split(".", maxsplit=1)[0]
    return top in STDLIB or any(name == a or name.startswith(a + ".") for a in allowed)


@pytest.mark.parametrize("package", ["domain", "ports"])
def test_core_imports_only_stdlib_attrs_and_itself(package: str) -> None:
    offenders = [
        f"{path.relative_to(SRC)} imports {name}"
        for path in _modules(package)
        for name in _imports(path)
        if not _allowed(name, CORE_ALLOWED)
    ]
    assert offenders == []


@pytest.mark.parametrize("family", sorted(ADAPTER_SDKS))
def test_adapters_import_the_core_and_their_own_sdk_only(family: str) -> None:
    allowed = CORE_ALLOWED | ADAPTER_SDKS[family] | {f"domestyx.adapters.{family}"}
    offenders = [
        f"{path.relative_to(SRC)} imports {name}"
        for path in _modules(f"adapters/{family}")
        for name in _imports(path)
        if not _allowed(name, allowed)
    ]
    assert offenders == []


def test_every_adapter_family_is_declared() -> None:
    families = {
        p.name for p in (SRC / "adapters").iterdir() if p.is_dir() and p.name != "__pycache__"
    }
    assert families <= set(ADAPTER_SDKS), families - set(ADAPTER_SDKS)


def test_nothing_imports_entrypoints() -> None:
    offenders = [
        f"{path.relative_to(SRC)} imports {name}"
        for package in ("domain", "ports", "adapters")
        for path in _modules(package)
        for name in _imports(path)
        if name.startswith("domestyx.entrypoints")
    ]
    assert offenders == []


def test_the_rule_catches_a_violation(tmp_path: Path) -> None:
    """The checker itself can fail: a domain-like module importing SQLAlchemy is flagged."""
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlalchemy\nfrom domestyx.adapters.sql import tables\n")
    assert [n for n in _imports(bad) if not _allowed(n, CORE_ALLOWED)] == [
        "sqlalchemy",
        "domestyx.adapters.sql",
    ]
