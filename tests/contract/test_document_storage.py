"""DocumentStorage contract: the fake, the local directory and S3 (moto server) behave the same."""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest

from domestyx.adapters.localfs.storage import LocalDirectoryDocumentStorage
from domestyx.adapters.memory.clock import ManualClock
from domestyx.adapters.memory.storage import InMemoryDocumentStorage
from domestyx.adapters.s3.client import make_client
from domestyx.adapters.s3.storage import S3DocumentStorage
from domestyx.domain.model.errors import DependencyUnavailable, NotFound
from domestyx.ports.storage import DocumentStorage
from tests.support.moto import MOTO_ACCESS_KEY, MOTO_REGION, MOTO_SECRET_KEY
from tests.support.services import free_port

MiB = 1024 * 1024
MAX_TTL = timedelta(seconds=300)
SIGNING_KEY = b"contract-test-link-signing-key!!"
BASE_URL = "http://app.test"
PDF = "application/pdf"


def _s3(endpoint_url: str, bucket: str, **options: Any) -> S3DocumentStorage:
    return S3DocumentStorage(
        bucket, access_key=MOTO_ACCESS_KEY, secret_key=MOTO_SECRET_KEY, region=MOTO_REGION,
        endpoint_url=endpoint_url, **options,
    )  # fmt: skip


def _local(tmp_path: Path) -> LocalDirectoryDocumentStorage:
    return LocalDirectoryDocumentStorage(
        tmp_path / "documents", signing_key=SIGNING_KEY, base_url=BASE_URL
    )


@pytest.fixture(params=["memory", "localfs", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> DocumentStorage:
    """Each implementation; only the S3 case asks for the moto server."""
    if request.param == "memory":
        return InMemoryDocumentStorage()
    if request.param == "localfs":
        return _local(tmp_path)
    return _s3(*request.getfixturevalue("s3_bucket"))


def _put(storage: DocumentStorage, key: str, data: bytes, content_type: str = PDF) -> None:
    storage.put(key, io.BytesIO(data), size=len(data), content_type=content_type)


class RecordingReader:
    """A file wrapper that remembers the largest single read asked of it."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.largest_read = 0

    def read(self, n: int | None = -1) -> bytes:
        data = self.raw.read(n)
        self.largest_read = max(self.largest_read, len(data))
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True


class TestDocumentStorageContract:
    """One behaviour per test, for every implementation."""

    def test_head_reports_size_and_content_type(self, storage: DocumentStorage) -> None:
        _put(storage, "documents/a1/t1", b"%PDF-1.7 hello")
        found = storage.head("documents/a1/t1")
        assert found is not None
        assert (found.key, found.size, found.content_type) == ("documents/a1/t1", 14, PDF)

    def test_read_returns_the_stored_bytes(self, storage: DocumentStorage) -> None:
        _put(storage, "backups/db.gz", b"\x1f\x8b backup", "application/gzip")
        assert storage.read("backups/db.gz") == b"\x1f\x8b backup"

    def test_put_stores_exactly_size_bytes(self, storage: DocumentStorage) -> None:
        storage.put("documents/a1/t2", io.BytesIO(b"keep|drop"), size=4, content_type=PDF)
        assert storage.read("documents/a1/t2") == b"keep"

    def test_put_replaces_an_existing_object(self, storage: DocumentStorage) -> None:
        _put(storage, "documents/a1/t3", b"old")
        _put(storage, "documents/a1/t3", b"newer", "image/png")
        found = storage.head("documents/a1/t3")
        assert found is not None
        assert (found.size, found.content_type) == (5, "image/png")

    def test_head_of_a_missing_key_is_none(self, storage: DocumentStorage) -> None:
        assert storage.head("documents/nobody/nothing") is None

    def test_read_of_a_missing_key_is_not_found(self, storage: DocumentStorage) -> None:
        with pytest.raises(NotFound):
            storage.read("documents/nobody/nothing")

    def test_delete_removes_and_repeats_harmlessly(self, storage: DocumentStorage) -> None:
        _put(storage, "documents/a1/t4", b"bytes")
        storage.delete("documents/a1/t4")
        storage.delete("documents/a1/t4")
        storage.delete("documents/never/existed")
        assert storage.head("documents/a1/t4") is None

    def test_list_yields_only_keys_under_the_prefix_in_order(
        self, storage: DocumentStorage
    ) -> None:
        for key in ("documents/a2/t2", "documents/a2/t1", "documents/a20/t1", "backups/x"):
            _put(storage, key, key.encode())
        listed = [(o.key, o.size) for o in storage.list("documents/a2/")]
        assert listed == [("documents/a2/t1", 15), ("documents/a2/t2", 15)]
        assert [o.key for o in storage.list("documents/a2")][-1] == "documents/a20/t1"

    def test_list_of_an_unknown_prefix_is_empty(self, storage: DocumentStorage) -> None:
        assert list(storage.list("documents/nobody/")) == []

    def test_large_object_is_streamed_in_chunks(
        self, storage: DocumentStorage, tmp_path: Path
    ) -> None:
        source = tmp_path / "large.bin"
        with source.open("wb") as out:
            for _ in range(12):
                out.write(os.urandom(MiB))
        with source.open("rb") as raw:
            body = RecordingReader(raw)
            storage.put("documents/a1/large", body, size=12 * MiB, content_type=PDF)  # type: ignore[arg-type]
        stored = storage.read("documents/a1/large")
        assert hashlib.sha256(stored).digest() == hashlib.sha256(source.read_bytes()).digest()
        if not isinstance(storage, InMemoryDocumentStorage):  # the fake holds bytes by design
            assert body.largest_read <= MiB

    def test_stream_yields_the_bytes_in_bounded_chunks(self, storage: DocumentStorage) -> None:
        data = os.urandom(3 * MiB + 123)
        storage.put("backups/big.gz", io.BytesIO(data), size=len(data), content_type=PDF)
        chunks = list(storage.stream("backups/big.gz", chunk_size=MiB))
        assert b"".join(chunks) == data
        assert max(len(c) for c in chunks) <= MiB and len(chunks) >= 4

    def test_stream_of_an_empty_object_yields_nothing(self, storage: DocumentStorage) -> None:
        _put(storage, "backups/empty", b"")
        assert b"".join(storage.stream("backups/empty")) == b""

    def test_stream_of_a_missing_key_is_not_found_at_once(self, storage: DocumentStorage) -> None:
        with pytest.raises(NotFound):
            storage.stream("documents/nobody/nothing")  # before any chunk is asked for

    def test_a_stream_closed_early_leaves_the_object_readable(
        self, storage: DocumentStorage
    ) -> None:
        data = os.urandom(2 * MiB)
        storage.put("backups/partial", io.BytesIO(data), size=len(data), content_type=PDF)
        chunks = storage.stream("backups/partial", chunk_size=64 * 1024)
        first = next(chunks)
        getattr(chunks, "close", lambda: None)()
        assert first == data[: len(first)]
        assert storage.read("backups/partial") == data

    def test_create_stores_an_absent_object(self, storage: DocumentStorage) -> None:
        assert storage.create("_domestyx/m.json", b'{"a": 1}', content_type="application/json")
        assert storage.read("_domestyx/m.json") == b'{"a": 1}'
        found = storage.head("_domestyx/m.json")
        assert found is not None and found.content_type == "application/json"

    def test_create_never_replaces_an_existing_object(self, storage: DocumentStorage) -> None:
        _put(storage, "_domestyx/m.json", b"first", "application/json")
        assert not storage.create("_domestyx/m.json", b"second", content_type="application/json")
        assert storage.read("_domestyx/m.json") == b"first"
        assert storage.create("_domestyx/other.json", b"x", content_type="application/json")
        assert [o.key for o in storage.list("_domestyx/")] == [
            "_domestyx/m.json",
            "_domestyx/other.json",
        ]

    def test_health_is_reachable_and_private(self, storage: DocumentStorage) -> None:
        health = storage.health()
        assert (health.reachable, health.private) == (True, True), health.detail

    def test_download_url_lives_exactly_the_requested_time(
        self, storage: DocumentStorage, clock: ManualClock
    ) -> None:
        _put(storage, "documents/a1/t5", b"%PDF-")
        link = storage.signed_download_url(
            "documents/a1/t5", filename="passport-v1.pdf", content_type=PDF,
            expires_in=MAX_TTL, now=clock.now(),
        )  # fmt: skip
        assert link.expires_at == clock.now() + MAX_TTL
        assert link.url

    def test_download_url_longer_than_300_s_is_refused(
        self, storage: DocumentStorage, clock: ManualClock
    ) -> None:
        with pytest.raises(ValueError, match="300"):
            storage.signed_download_url(
                "documents/a1/t5", filename="passport-v1.pdf", content_type=PDF,
                expires_in=MAX_TTL + timedelta(seconds=1), now=clock.now(),
            )  # fmt: skip


@pytest.mark.parametrize("kind", ["localfs", "s3"])
def test_hostile_filename_becomes_a_safe_attachment_name(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock
) -> None:
    """Quotes, CR/LF, slashes and non-ASCII never reach the Content-Disposition header."""
    storage = _local(tmp_path) if kind == "localfs" else _s3(*request.getfixturevalue("s3_bucket"))
    link = storage.signed_download_url(
        "documents/a1/t1", filename='../évil"\r\nSet-Cookie: x.pdf', content_type=PDF,
        expires_in=MAX_TTL, now=clock.now(),
    )  # fmt: skip
    query = parse_qs(urlsplit(link.url).query)
    disposition = query["disposition" if kind == "localfs" else "response-content-disposition"]
    assert disposition == ['attachment; filename="evil_Set-Cookie_x.pdf"']


class TestS3DocumentStorage:
    """What moto cannot enforce is checked on the presigned URL itself."""

    KEY = "documents/acc-1/tok_EN-1"

    @pytest.fixture
    def s3(self, s3_bucket: tuple[str, str]) -> S3DocumentStorage:
        storage = _s3(*s3_bucket)
        _put(storage, self.KEY, b"%PDF-1.7 signed")
        return storage

    def _link(self, s3: S3DocumentStorage, clock: ManualClock) -> str:
        return s3.signed_download_url(
            self.KEY, filename="passport-v1.pdf", content_type=PDF,
            expires_in=MAX_TTL, now=clock.now(),
        ).url  # fmt: skip

    def test_presigned_url_is_a_short_query_signed_get_of_the_exact_key(
        self, s3: S3DocumentStorage, clock: ManualClock
    ) -> None:
        parts = urlsplit(self._link(s3, clock))
        query = {name: values[0] for name, values in parse_qs(parts.query).items()}
        assert unquote(parts.path) == f"/{s3.bucket}/{self.KEY}"
        assert int(query["X-Amz-Expires"]) <= 300
        assert query["X-Amz-SignedHeaders"] == "host"
        assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
        assert query["response-content-disposition"] == 'attachment; filename="passport-v1.pdf"'
        assert query["response-content-type"] == PDF

    def test_presigned_url_downloads_the_bytes_as_an_attachment(
        self, s3: S3DocumentStorage, clock: ManualClock
    ) -> None:
        response = httpx.get(self._link(s3, clock), timeout=5)
        assert response.status_code == 200
        assert response.content == b"%PDF-1.7 signed"
        assert response.headers["content-disposition"] == 'attachment; filename="passport-v1.pdf"'
        assert response.headers["content-type"] == PDF

    def test_anonymous_get_of_the_object_is_refused(self, s3: S3DocumentStorage) -> None:
        assert httpx.get(s3.object_url(self.KEY), timeout=5).status_code == 403

    def test_server_side_encryption_is_requested_when_configured(
        self, s3_bucket: tuple[str, str]
    ) -> None:
        storage = _s3(*s3_bucket, server_side_encryption="AES256")
        _put(storage, self.KEY, b"secret")
        client = make_client(
            access_key=MOTO_ACCESS_KEY, secret_key=MOTO_SECRET_KEY, region=MOTO_REGION,
            endpoint_url=s3_bucket[0], timeout_s=5,
        )  # fmt: skip
        head = client.head_object(Bucket=storage.bucket, Key=self.KEY)
        assert head["ServerSideEncryption"] == "AES256"

    def test_health_reports_a_bucket_readable_by_anyone_as_not_private(
        self, s3: S3DocumentStorage, s3_bucket: tuple[str, str]
    ) -> None:
        client = make_client(
            access_key=MOTO_ACCESS_KEY, secret_key=MOTO_SECRET_KEY, region=MOTO_REGION,
            endpoint_url=s3_bucket[0], timeout_s=5,
        )  # fmt: skip
        client.delete_public_access_block(Bucket=s3.bucket)
        statement = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                     "Resource": f"arn:aws:s3:::{s3.bucket}/*"}  # fmt: skip
        client.put_bucket_policy(Bucket=s3.bucket, Policy=json.dumps({"Statement": [statement]}))
        health = s3.health()
        assert (health.reachable, health.private) == (True, False)
        assert "200" in health.detail

    def test_health_reports_a_public_domain_serving_objects_as_not_private(
        self, s3_bucket: tuple[str, str], open_web_server: str
    ) -> None:
        health = _s3(*s3_bucket, public_base_url=open_web_server).health()
        assert (health.reachable, health.private) == (True, False)
        assert "public domain: 200" in health.detail


@contextmanager
def _web_server(status: int) -> Iterator[str]:
    """A server that answers every GET with `status`: a public bucket domain, or a failing S3."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def open_web_server() -> Iterator[str]:
    """Serves anything to anyone, standing in for a public bucket domain."""
    with _web_server(200) as url:
        yield url


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """Accepts connections (the kernel does) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


class TestS3Outage:
    """Storage down, hung or failing: every call fails fast with DependencyUnavailable."""

    @pytest.fixture
    def dead(self) -> S3DocumentStorage:
        return _s3(f"http://127.0.0.1:{free_port()}", "dx-down", timeout_s=1)

    @pytest.mark.parametrize(
        "call",
        [
            lambda s: _put(s, "documents/a/b", b"x"),
            lambda s: s.read("documents/a/b"),
            lambda s: s.head("documents/a/b"),
            lambda s: s.delete("documents/a/b"),
            lambda s: list(s.list("documents/")),
        ],
        ids=["put", "read", "head", "delete", "list"],
    )
    def test_call_raises_dependency_unavailable_within_3_s(
        self, dead: S3DocumentStorage, call: Callable[[S3DocumentStorage], object]
    ) -> None:
        started = time.monotonic()
        with pytest.raises(DependencyUnavailable) as raised:
            call(dead)
        assert raised.value.dependency == "storage"
        assert time.monotonic() - started < 3

    def test_health_reports_unreachable_within_3_s(self, dead: S3DocumentStorage) -> None:
        started = time.monotonic()
        health = dead.health()
        assert (health.reachable, health.private) == (False, False)
        assert time.monotonic() - started < 3

    def test_hung_storage_times_out_as_dependency_unavailable(self, silent_endpoint: str) -> None:
        hung = _s3(silent_endpoint, "dx-hung", timeout_s=0.5)
        started = time.monotonic()
        with pytest.raises(DependencyUnavailable):
            hung.read("documents/a/b")
        assert time.monotonic() - started < 3

    def test_5xx_answers_become_dependency_unavailable(self) -> None:
        with _web_server(503) as url, pytest.raises(DependencyUnavailable):
            _s3(url, "dx-failing", timeout_s=1).read("documents/a/b")


class TestLocalDirectoryLinks:
    """The app-served links: only an unchanged, unexpired link this app signed opens a file."""

    KEY = "documents/acc-1/tok_EN-1"

    @pytest.fixture
    def local(self, tmp_path: Path) -> LocalDirectoryDocumentStorage:
        storage = _local(tmp_path)
        _put(storage, self.KEY, b"%PDF-1.7 local")
        return storage

    def _request(self, local: LocalDirectoryDocumentStorage, clock: ManualClock) -> dict[str, str]:
        link = local.signed_download_url(
            self.KEY, filename="passport-v1.pdf", content_type=PDF,
            expires_in=MAX_TTL, now=clock.now(),
        )  # fmt: skip
        parts = urlsplit(link.url)
        assert parts.path.startswith("/files/")
        query = {name: values[0] for name, values in parse_qs(parts.query).items()}
        return {"key": unquote(parts.path.removeprefix("/files/")), **query}

    def _verify(self, local: LocalDirectoryDocumentStorage, now: Any, **req: str) -> bool:
        # Positional, as the /files route calls it.
        return local.verify_signed_request(
            req["key"], req["expires"], req["disposition"], req["type"], req["sig"], now
        )

    def test_issued_link_verifies_and_opens_the_file(
        self, local: LocalDirectoryDocumentStorage, clock: ManualClock
    ) -> None:
        req = self._request(local, clock)
        assert req["disposition"] == 'attachment; filename="passport-v1.pdf"'
        assert req["type"] == PDF
        assert self._verify(local, clock.now(), **req)
        with local.open_for_download(req["key"]) as served:
            assert served.read() == b"%PDF-1.7 local"

    def test_expires_may_arrive_already_parsed_as_an_int(
        self, local: LocalDirectoryDocumentStorage, clock: ManualClock
    ) -> None:
        req = self._request(local, clock)
        assert local.verify_signed_request(
            req["key"], int(req["expires"]), req["disposition"], req["type"], req["sig"],
            now=clock.now(),
        )  # fmt: skip

    def test_link_url_has_the_documented_shape(
        self, local: LocalDirectoryDocumentStorage, clock: ManualClock
    ) -> None:
        req = self._request(local, clock)
        assert int(req["expires"]) == int((clock.now() + MAX_TTL).timestamp())
        assert len(req["sig"]) == 64

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("sig", "0" * 64),
            ("sig", ""),
            ("key", "documents/acc-1/tok_EN-2"),
            ("disposition", 'inline; filename="passport-v1.pdf"'),
            ("type", "text/html"),
            ("expires", "9999999999"),
        ],
        ids=["forged-sig", "no-sig", "other-key", "inline", "other-type", "later-expiry"],
    )
    def test_any_changed_field_fails_verification(
        self, local: LocalDirectoryDocumentStorage, clock: ManualClock, field: str, value: str
    ) -> None:
        req = self._request(local, clock)
        req[field] = value
        assert not self._verify(local, clock.now(), **req)

    def test_link_works_until_it_expires_and_never_after(
        self, local: LocalDirectoryDocumentStorage, clock: ManualClock
    ) -> None:
        req = self._request(local, clock)
        clock.advance(299)
        assert self._verify(local, clock.now(), **req)
        clock.advance(1)
        assert not self._verify(local, clock.now(), **req)

    def test_another_signing_key_does_not_verify(
        self, local: LocalDirectoryDocumentStorage, clock: ManualClock, tmp_path: Path
    ) -> None:
        req = self._request(local, clock)
        other = LocalDirectoryDocumentStorage(
            tmp_path / "documents", signing_key=b"x" * 32, base_url=BASE_URL
        )
        assert not self._verify(other, clock.now(), **req)


TRAVERSALS = ["../x", "documents/../../etc/passwd", "/etc/passwd", "a//b", "a/./b", ".meta",
              "a/.b.meta.json", "a\\b", "a b", "", "documents/a/"]  # fmt: skip


class TestLocalDirectoryFiles:
    """Keys stay inside the root; internal files stay invisible; writes are all or nothing."""

    @pytest.mark.parametrize("key", TRAVERSALS)
    def test_keys_outside_the_alphabet_or_root_are_refused(self, key: str, tmp_path: Path) -> None:
        local = _local(tmp_path)
        with pytest.raises(ValueError, match="invalid storage key"):
            _put(local, key, b"x")
        with pytest.raises(ValueError, match="invalid storage key"):
            local.head(key)
        with pytest.raises(NotFound):
            local.open_for_download(key)

    @pytest.mark.parametrize("key", TRAVERSALS)
    def test_links_for_bad_keys_never_verify(
        self, key: str, tmp_path: Path, clock: ManualClock
    ) -> None:
        expires = str(int(clock.now().timestamp()) + 60)
        assert not _local(tmp_path).verify_signed_request(
            key, expires, 'attachment; filename="x.pdf"', PDF, "0" * 64, now=clock.now()
        )

    def test_list_skips_sidecars_and_temp_files(self, tmp_path: Path) -> None:
        local = _local(tmp_path)
        _put(local, "documents/a1/t1", b"x")
        (local.root / "documents" / "a1" / ".t2.abc123.tmp").write_bytes(b"partial")
        assert [o.key for o in local.list("")] == ["documents/a1/t1"]

    def test_truncated_body_leaves_no_object_and_no_temp_file(self, tmp_path: Path) -> None:
        local = _local(tmp_path)
        with pytest.raises(ValueError, match="ended after 3 of 10 bytes"):
            local.put("documents/a1/t1", io.BytesIO(b"abc"), size=10, content_type=PDF)
        assert local.head("documents/a1/t1") is None
        assert list((local.root / "documents" / "a1").iterdir()) == []

    def test_files_are_readable_by_the_owner_only(self, tmp_path: Path) -> None:
        local = _local(tmp_path)
        _put(local, "documents/a1/t1", b"x")
        assert (local.root / "documents/a1/t1").stat().st_mode & 0o077 == 0
