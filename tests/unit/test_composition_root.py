"""Tests get their services from the composition root only: no domain service is built by hand."""

from __future__ import annotations

import ast
from pathlib import Path

import attrs
import pytest

from domestyx.adapters.memory.clock import ManualClock
from domestyx.adapters.memory.storage import InMemoryDocumentStorage
from domestyx.domain.model.jobs import Job
from domestyx.entrypoints.root import OverrideError
from domestyx.entrypoints.services import Services
from domestyx.entrypoints.settings import SettingsError
from domestyx.entrypoints.worker.jobs import ServiceRef
from domestyx.ports.clock import Clock
from domestyx.ports.repositories import UnitOfWorkFactory
from domestyx.ports.storage import DocumentStorage
from tests.support.worlds import Fakes, fake_services, unit_settings

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "src" / "domestyx" / "domain" / "services"
TESTS = ROOT / "tests"


def _port_names(tree: ast.Module) -> set[str]:
    """Names a services module imports from `domestyx.ports` (TYPE_CHECKING blocks included)."""
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("domestyx.ports")
        for alias in node.names
    }


def _field_types(cls: ast.ClassDef) -> set[str]:
    """Every name used in the annotations of a class's fields."""
    return {
        name.id
        for stmt in cls.body
        if isinstance(stmt, ast.AnnAssign)
        for name in ast.walk(stmt.annotation)
        if isinstance(name, ast.Name)
    }


def service_classes(package: Path = SERVICES) -> set[str]:
    """Classes under domain/services holding a port or another service: the use cases."""
    classes: dict[str, set[str]] = {}
    services: set[str] = set()
    for path in sorted(package.glob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        ports = _port_names(tree)
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                classes[node.name] = _field_types(node)
                if classes[node.name] & ports:
                    services.add(node.name)
    grew = True
    while grew:  # a class holding a service is one too (e.g. CodeService holds RequestGuard)
        more = {name for name, types in classes.items() if types & services} - services
        services |= more
        grew = bool(more)
    return services


def constructions(path: Path, services: set[str]) -> list[str]:
    """`file:line Name(` for every call of a service class, through any import alias."""
    tree = ast.parse(path.read_text(), filename=str(path))
    aliases = {
        alias.asname or alias.name: alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if aliases.get(name, name) in services:
            found.append(f"{path.relative_to(path.parents[1])}:{node.lineno} {name}(")
    return found


def test_the_use_cases_are_found() -> None:
    found = service_classes()
    expected = {
        "AccountService", "Auditor", "CodeService", "DeliveryService", "DocumentService",
        "OtpService", "RequestGuard", "RetentionService", "ReviewService", "SessionService",
    }  # fmt: skip
    assert expected <= found
    assert not found & {"PurgeReport", "RequiredKinds", "CaptchaPolicy", "VerifyResult"}


def test_no_test_builds_a_domain_service_by_hand() -> None:
    services = service_classes()
    found = [hit for path in sorted(TESTS.rglob("*.py")) for hit in constructions(path, services)]
    assert found == [], "build services with build_container(..., overrides=...) instead"


@pytest.mark.parametrize(
    "source",
    [
        # Split so that `grep` over tests/ finds no construction, only this scan does.
        "from domestyx.domain.services.sessions import SessionService\nSessionService"
        + "(uow=db)\n",
        "from domestyx.domain.services.otp import OtpService as Otp\nOtp(store=s)\n",
        "from domestyx.domain.services import guards\nguards.RequestGuard" + "(limiter=x)\n",
    ],
)
def test_the_scan_catches_a_hand_built_service(tmp_path: Path, source: str) -> None:
    sneaky = tmp_path / "tests" / "test_sneaky.py"
    sneaky.parent.mkdir()
    sneaky.write_text(source)
    assert len(constructions(sneaky, service_classes())) == 1


def test_the_scan_finds_a_new_service_class(tmp_path: Path) -> None:
    (tmp_path / "thing.py").write_text(
        "from domestyx.ports.clock import Clock\n"
        "class ThingService:\n    clock: Clock\n"
        "class Report:\n    count: int\n"
        "class Wrapper:\n    inner: ThingService\n"
    )
    assert service_classes(tmp_path) == {"ThingService", "Wrapper"}


class TestBuildContainer:
    def test_every_override_is_what_the_services_hold(self) -> None:
        fakes = Fakes()
        services = fake_services(fakes)
        assert services.uow is fakes.db and services.clock is fakes.clock
        for service in (services.sessions, services.codes, services.documents, services.review):
            assert service.uow is fakes.db and service.clock is fakes.clock
        assert services.codes.sessions is services.sessions  # one instance of each, shared
        assert services.accounts.guard is services.guard is services.codes.guard

    def test_an_overridden_port_never_builds_its_default(self, tmp_path: Path) -> None:
        settings = unit_settings(DOMESTYX_VAR_DIR=str(tmp_path))
        storage = InMemoryDocumentStorage()
        services = fake_services(Fakes(), {DocumentStorage: storage}, settings)
        assert services.storage is storage and services.local_files is None
        assert not (tmp_path / "documents").exists()  # the local-directory default never ran

    def test_an_override_for_nothing_is_refused(self) -> None:
        with pytest.raises(OverrideError, match="provides no such thing"):
            fake_services(Fakes(), {ManualClock: ManualClock()})

    def test_an_override_that_is_not_the_port_is_refused(self) -> None:
        with pytest.raises(OverrideError, match="UnitOfWorkFactory: str is not one"):
            fake_services(Fakes(), {UnitOfWorkFactory: "not a database"})

    def test_none_for_a_port_is_refused(self) -> None:
        with pytest.raises(OverrideError, match="Clock: None cannot serve a port"):
            fake_services(Fakes(), {Clock: None})

    def test_services_and_the_worker_hold_no_any(self) -> None:
        for field in attrs.fields(Services):
            assert "Any" not in str(field.type), field.name
        assert "Any" not in str(attrs.fields(ServiceRef).services.type)

    def test_production_refuses_dev_adapters_even_as_overrides(self) -> None:
        settings = attrs.evolve(unit_settings(), environment="production")
        with pytest.raises(SettingsError, match="dev adapter in production: OtpStore uses"):
            fake_services(Fakes(), {}, settings)

    def test_the_jobs_reach_the_services_the_root_built(self) -> None:
        fakes = Fakes()
        services = fake_services(fakes)
        actor = services.broker.get_actor(Job.DELIVER_MESSAGE)
        assert actor.fn("no-such-delivery") is None  # resolved through ServiceRef, no error
