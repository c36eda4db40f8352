"""A Python client generated from /schema/openapi.json (openapi-python-client) runs the whole flow.

Over real HTTP against the app under uvicorn. The generated code is all the test uses for the
API; only the dev outbox (the codes a real user would read in their mail and texts) is read
separately. Errors must come back parsed as problems, not as `None`.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from PIL import Image

from tests.support.app import DUMMY_TOKEN, PASSWORD, build_services, embedded_settings, rate_limits
from tests.support.files import png
from tests.support.live_server import live_server
from tests.support.services import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PACKAGE = "dx_generated_client"
EMAIL, PHONE = "gen@example.com", "+447700900401"
# Low enough that the test reaches it; the flow itself refreshes once.
REFRESH_LIMIT = 3


def generate(document: dict[str, Any], where: Path) -> Path:
    """openapi-python-client, as a client team would run it."""
    spec = where / "openapi.json"
    spec.write_text(json.dumps(document))
    config = where / "config.yaml"
    config.write_text(f"package_name_override: {PACKAGE}\nproject_name_override: dx-client\n")
    tool = Path(sys.executable).with_name("openapi-python-client")
    env = {**os.environ, "PATH": f"{tool.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [str(tool), "generate", "--path", str(spec), "--meta", "none", "--config", str(config),
         "--output-path", str(where / PACKAGE)],
        capture_output=True, text=True, timeout=300, check=False, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return where


class Generated:
    """Imports from the generated package by module path."""

    def __init__(self, root: Path) -> None:
        sys.path.insert(0, str(root))
        self.root = root

    def module(self, dotted: str) -> ModuleType:
        """`models`, `client`, `types`, or `api.<tag>.<operation id>`."""
        return importlib.import_module(f"{PACKAGE}.{dotted}")

    def op(self, operation_id: str) -> ModuleType:
        """The module of one operation, found by its tag prefix."""
        tag = operation_id.split("_", 1)[0]
        return self.module(f"api.{tag}.{operation_id}")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Generated, httpx.Client]]:
    var_dir = Path(tmp_path_factory.mktemp("generated"))
    services = build_services(
        embedded_settings(
            var_dir, RATE_LIMITS=rate_limits((("refresh.ip", f"{REFRESH_LIMIT}/1h"),))
        )
    )
    with live_server(services) as server:
        document = server.http.get("/schema/openapi.json").json()
        root = generate(document, Path(tmp_path_factory.mktemp("client")))
        yield Generated(root), server.http
    sys.path.remove(str(root))


def code_for(http: httpx.Client, to: str) -> str:
    """The newest six-digit code sent to `to`, from the dev outbox (not part of the contract)."""
    found: list[str] = []

    def arrived() -> bool:
        entries = http.get("/dev/outbox", headers={"Accept": "application/json"}).json()
        found[:] = [m.group(1) for e in entries if e["to"] == to
                    for m in [re.search(r"\b(\d{6})\b", e["body"])] if m]  # fmt: skip
        return bool(found)

    assert wait_until(arrived, 10), f"no code for {to}"
    return found[0]


def test_the_generated_client_runs_the_whole_flow(world: tuple[Generated, httpx.Client]) -> None:
    gen, http = world
    m, client_module = gen.module("models"), gen.module("client")
    client = client_module.Client(base_url=str(http.base_url), raise_on_unexpected_status=True)

    accepted = gen.op("auth_register").sync(client=client, body=m.RegisterIn(
        email=EMAIL, phone=PHONE, password=PASSWORD, role=m.RegisterInRole.WORKER,
        turnstile_token=DUMMY_TOKEN))  # fmt: skip
    assert isinstance(accepted, m.AcceptedOut)

    verified = gen.op("auth_verify_code").sync(client=client, body=m.OtpVerifyIn(
        channel=m.OtpVerifyInChannel.EMAIL, destination=EMAIL,
        purpose=m.OtpVerifyInPurpose.VERIFY_EMAIL, code=code_for(http, EMAIL)))  # fmt: skip
    assert isinstance(verified, m.VerifyOut) and verified.email_verified

    sent = gen.op("auth_send_code").sync(client=client, body=m.OtpSendIn(
        channel=m.OtpSendInChannel.SMS, destination=PHONE,
        purpose=m.OtpSendInPurpose.VERIFY_PHONE, turnstile_token=DUMMY_TOKEN))  # fmt: skip
    assert isinstance(sent, m.AcceptedOut)
    verified = gen.op("auth_verify_code").sync(client=client, body=m.OtpVerifyIn(
        channel=m.OtpVerifyInChannel.SMS, destination=PHONE,
        purpose=m.OtpVerifyInPurpose.VERIFY_PHONE, code=code_for(http, PHONE)))  # fmt: skip
    assert isinstance(verified, m.VerifyOut) and verified.phone_verified

    tokens = gen.op("auth_login").sync(client=client, body=m.LoginIn(
        password=PASSWORD, email=EMAIL, turnstile_token=DUMMY_TOKEN))  # fmt: skip
    assert isinstance(tokens, m.TokenOut) and tokens.token_type == "bearer"

    authed = client_module.AuthenticatedClient(
        base_url=str(http.base_url), token=tokens.access_token
    )
    me = gen.op("me_me").sync(client=authed)
    assert isinstance(me, m.MeOut)
    assert (me.email, me.role, me.status) == (EMAIL, m.Role.WORKER, m.AccountStatus.ACTIVE)

    rotated = gen.op("auth_refresh").sync(
        client=client, body=m.RefreshIn(refresh_token=tokens.refresh_token)
    )
    assert isinstance(rotated, m.TokenOut) and rotated.refresh_token != tokens.refresh_token
    authed = client_module.AuthenticatedClient(
        base_url=str(http.base_url), token=rotated.access_token
    )

    image = png(4, 4)
    file = gen.module("types").File(
        payload=io.BytesIO(image), file_name="id.png", mime_type="image/png"
    )
    document = gen.op("documents_upload").sync(
        client=authed, body=m.UploadForm(kind=m.DocumentKind.PASSPORT, file=file)
    )
    assert isinstance(document, m.DocumentOut)
    assert (document.kind, document.content_type) == (
        m.DocumentKind.PASSPORT,
        m.UploadType.IMAGEPNG,
    )

    listed = gen.op("documents_list_documents").sync(client=authed)
    assert [d.id for d in listed] == [document.id]

    link = gen.op("documents_download").sync(client=authed, document_id=document.id)
    assert isinstance(link, m.DownloadOut)
    url = urlparse(link.url)
    # Images are stored re-encoded (no metadata), so the download is the same picture, not
    # the same bytes: a PNG of the uploaded size whose length the API reported.
    downloaded = http.get(f"{url.path}?{url.query}").content
    with Image.open(io.BytesIO(downloaded)) as picture:
        assert (picture.format, picture.size) == ("PNG", (4, 4))
    assert len(downloaded) == document.size

    # A forced 422: both email and phone on login, parsed as a problem with the field.
    invalid = gen.op("auth_login").sync_detailed(client=client, body=m.LoginIn(
        password=PASSWORD, email=EMAIL, phone=PHONE, turnstile_token=DUMMY_TOKEN))  # fmt: skip
    assert invalid.status_code == 422
    problem = invalid.parsed
    assert isinstance(problem, m.Problem)
    assert problem.status == 422 and problem.type_.endswith("/invalid-input")
    assert problem.request_id == invalid.headers["x-request-id"]
    assert [e.field for e in problem.errors] == ["email"]

    # A 429: refreshing until the per-IP limit refuses, parsed with its Retry-After.
    statuses = []
    for _ in range(REFRESH_LIMIT + 1):
        answer = gen.op("auth_refresh").sync_detailed(
            client=client, body=m.RefreshIn(refresh_token="rt_" + "B" * 43)
        )
        statuses.append(answer.status_code)
    assert statuses[-1] == 429, statuses
    limited = answer.parsed
    assert isinstance(limited, m.Problem) and limited.status == 429
    assert limited.retry_after == int(answer.headers["retry-after"]) > 0
    assert answer.headers["ratelimit-remaining"] == "0"


def test_an_anonymous_call_to_a_bearer_operation_is_a_parsed_problem(
    world: tuple[Generated, httpx.Client],
) -> None:
    gen, http = world
    client = gen.module("client").Client(base_url=str(http.base_url))
    answer = gen.op("me_me").sync_detailed(client=client)
    assert answer.status_code == 401
    assert isinstance(answer.parsed, gen.module("models").Problem)
    assert answer.headers["www-authenticate"].startswith("Bearer")
