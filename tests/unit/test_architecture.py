"""The import-direction rule of ARCHITECTURE.md, checked over every module's AST."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "domestyx"
STDLIB = set(sys.stdlib_module_names)
CORE_ALLOWED = {"attrs", "domestyx.domain", "domestyx.ports"}
# Each layer of the core may import only itself and the layers below it.
LAYERS = {
    "domain/model": {"attrs", "domestyx.domain.model"},
    "ports": {"attrs", "domestyx.domain.model", "domestyx.ports"},
    "domain/services": {
        "attrs",
        "domestyx.domain.model",
        "domestyx.ports",
        "domestyx.domain.services",
    },
}
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
    "system": {"argon2", "jwt", "pyotp", "cryptography"},
    "contacts": {"phonenumbers", "email_validator"},
    "zxcvbn": {"zxcvbn"},
    "uploads": {"PIL", "pypdf"},
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


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_each_core_layer_imports_only_itself_and_the_layers_below(layer: str) -> None:
    offenders = [
        f"{path.relative_to(SRC)} imports {name}"
        for path in _modules(layer)
        for name in _imports(path)
        if not _allowed(name, LAYERS[layer])
    ]
    assert offenders == []


def test_the_domain_holds_only_the_model_and_the_services() -> None:
    loose = [p.name for p in (SRC / "domain").glob("*.py") if p.name != "__init__.py"]
    assert loose == []


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_targets(path: Path) -> list[str]:
    """What a module imports, `from pkg import mod` read as pkg.mod."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _import_graph(paths: list[Path]) -> dict[str, set[str]]:
    """Module -> the modules of `paths` it imports (TYPE_CHECKING imports included)."""
    known = {_module_name(p): p for p in paths}
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        targets = set()
        for candidate in _import_targets(path):
            # Keep the longest prefix that is one of our modules.
            target = candidate
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                targets.add(target)
        graph[name] = targets
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of two or more modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _package_inits(paths: list[Path]) -> list[Path]:
    # A package's __init__ is imported with each of its modules; it is no edge of its own.
    return [p for p in paths if p.name != "__init__.py"]


def test_no_two_modules_import_each_other_in_a_loop() -> None:
    assert _cycles(_import_graph(_package_inits(_modules("")))) == []


def test_the_loop_check_catches_a_loop(tmp_path: Path) -> None:
    """The checker itself can fail: two modules importing each other are one loop."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


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


def test_the_rule_catches_a_model_importing_a_port(tmp_path: Path) -> None:
    """A model module reaching up to a port or a service is flagged."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from domestyx.ports.otp_store import OtpStore\nfrom domestyx.domain.services import otp\n"
    )
    assert [n for n in _imports(bad) if not _allowed(n, LAYERS["domain/model"])] == [
        "domestyx.ports.otp_store",
        "domestyx.domain.services",
    ]
