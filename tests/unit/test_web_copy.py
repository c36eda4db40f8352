"""The web client has its own sentence for every problem type the server can answer."""

from __future__ import annotations

import re
from pathlib import Path

from domestyx.domain.model import errors
from domestyx.entrypoints.http.problems import HTTP_CODES

PROBLEMS_TS = Path(__file__).resolve().parents[2] / "web" / "src" / "problems.ts"


def _server_codes() -> set[str]:
    domain = {
        cls.code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.DomainError)
    }
    domain.discard(errors.DomainError.code)  # the abstract base is never raised
    return domain | set(HTTP_CODES.values()) | {"http-error", "internal-error", "invalid-request"}


def _client_messages() -> set[str]:
    source = PROBLEMS_TS.read_text()
    block = source[source.index("const MESSAGES") :]
    block = block[: block.index("\n};")]
    return set(re.findall(r'^\s+"?([a-z]+(?:-[a-z]+)*)"?:', block, flags=re.MULTILINE))


def test_every_server_problem_type_has_a_client_sentence() -> None:
    missing = _server_codes() - _client_messages()
    assert missing == set(), f"add sentences to web/src/problems.ts MESSAGES for {missing}"


def test_the_client_never_shows_the_servers_detail() -> None:
    source = PROBLEMS_TS.read_text()
    shown = source[source.index("export function messageFor") :]
    assert "detail" not in shown and "item.message" not in shown
    assert "'detail'" not in source and "problem?.title ??" not in shown


def test_every_document_refusal_reason_has_a_client_sentence() -> None:
    src = Path(__file__).resolve().parents[2] / "src" / "domestyx"
    files = [*(src / "adapters" / "uploads").glob("*.py"), src / "domain" / "model" / "sniffing.py"]
    reasons = {r for f in files for r in re.findall(r'reason="([a-z-]+)"', f.read_text())}
    source = PROBLEMS_TS.read_text()
    block = source[source.index("const DOCUMENT_REASONS") :]
    block = block[: block.index("\n};")]
    known = set(re.findall(r'^\s+"?([a-z]+(?:-[a-z]+)*)"?:', block, flags=re.MULTILINE))
    assert len(reasons) >= 8 and reasons - known == set()
