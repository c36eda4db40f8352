"""Spectral with the OWASP API ruleset over the live contract: no finding of any severity.

Spectral and the ruleset are npm packages pinned in .ci/spectral (installed by .ci/spectral.sh);
what the ruleset turns off or narrows is in .ci/spectral/ruleset.yaml, each with its reason.
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from domestyx.entrypoints.http.app import create_app
from tests.support.app import build_services, embedded_settings
from tests.support.services import unavailable

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SPECTRAL_DIR = ROOT / ".ci" / "spectral"
SPECTRAL = SPECTRAL_DIR / "node_modules" / ".bin" / "spectral"
RULESET = SPECTRAL_DIR / "ruleset.yaml"


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    # The public URL a deployment has (production refuses anything but https).
    settings = embedded_settings(
        Path(tmp_path_factory.mktemp("lint")), PUBLIC_BASE_URL="https://api.domestyx.test"
    )
    with TestClient(create_app(build_services(settings), embedded_worker=False)) as client:
        body: dict[str, Any] = client.get("/schema/openapi.json").json()
    return body


def lint(document: dict[str, Any], tmp_path: Path) -> list[dict[str, Any]]:
    """Spectral's findings, every severity."""
    if not SPECTRAL.exists():
        unavailable("spectral", "run `bash .ci/spectral.sh` (npm)")
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(document))
    result = subprocess.run(
        [str(SPECTRAL), "lint", str(path), "--ruleset", str(RULESET), "-f", "json", "-q"],
        cwd=SPECTRAL_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    findings: list[dict[str, Any]] = json.loads(result.stdout or "[]")
    return findings


def test_spectral_and_owasp_find_nothing(document: dict[str, Any], tmp_path: Path) -> None:
    findings = lint(document, tmp_path)
    summary = [(f["code"], ".".join(map(str, f["path"]))) for f in findings]
    assert summary == []


def test_the_lint_does_catch_an_unbounded_input(document: dict[str, Any], tmp_path: Path) -> None:
    """The control: the same run flags a body string without a limit and a route without 500."""
    broken = copy.deepcopy(document)
    broken["components"]["schemas"]["RefreshIn"]["properties"]["refresh_token"].pop("maxLength")
    del broken["paths"]["/api/v1/me"]["get"]["responses"]["500"]
    codes = {f["code"] for f in lint(broken, tmp_path)}
    assert {"domestyx-input-string-limit", "owasp:api8:2023-define-error-responses-500"} <= codes
