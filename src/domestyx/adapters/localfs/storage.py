"""LocalDirectoryDocumentStorage: the embedded default's bucket, a directory behind signed links."""

from __future__ import annotations

import json
import os
import stat as stat_module
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from domestyx.adapters.localfs.files import chunks, discard, replace_atomically, write_temp
from domestyx.adapters.localfs.keys import (
    checked_key,
    is_internal,
    is_valid_key,
    prefix_directory,
    sidecar,
)
from domestyx.adapters.localfs.signing import LinkSigner
from domestyx.domain.model.download_links import attachment, checked_content_type, link_seconds
from domestyx.domain.model.errors import NotFound
from domestyx.domain.model.storage import SignedUrl, StorageHealth, StoredObject

_MISSING = (FileNotFoundError, NotADirectoryError, IsADirectoryError)


class LocalDirectoryDocumentStorage:
    """Files under `root` (dirs 0700, files 0600), readable only through signed `/files/` links."""

    def __init__(self, root: Path, *, signing_key: bytes, base_url: str) -> None:
        self.root = Path(root)
        self._links = LinkSigner(signing_key, base_url)
        # The embedded default must work on a fresh checkout, so the directory is made here.
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)

    def put(self, key: str, body: BinaryIO, *, size: int, content_type: str) -> None:
        """Stream into a temp file, then rename: readers see the old object or the new one."""
        path = self._path(key)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temp = write_temp(path.parent, path.name, chunks(body, size))
        try:
            meta = json.dumps({"content_type": content_type}).encode()
            replace_atomically(sidecar(path), [meta])
            os.replace(temp, path)
        finally:
            discard(temp)

    def create(self, key: str, data: bytes, *, content_type: str) -> bool:
        """Link a finished temp file into place: link(2) fails if the name exists, atomically."""
        path = self._path(key)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temp = write_temp(path.parent, path.name, [data])
        try:
            os.link(temp, path)
        except FileExistsError:
            return False
        finally:
            discard(temp)
        replace_atomically(sidecar(path), [json.dumps({"content_type": content_type}).encode()])
        return True

    def read(self, key: str) -> bytes:
        """Whole object; NotFound if absent."""
        try:
            return self._path(key).read_bytes()
        except _MISSING as exc:
            raise NotFound(f"no object {key}") from exc

    def stream(self, key: str, *, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """The file in chunks; opened now, so a missing object fails before the first chunk."""
        try:
            handle = self._path(key).open("rb")
        except _MISSING as exc:
            raise NotFound(f"no object {key}") from exc
        return _file_chunks(handle, chunk_size)

    def head(self, key: str) -> StoredObject | None:
        """Size, modification time and the content type from the sidecar."""
        return self._describe(self._path(key), key)

    def delete(self, key: str) -> None:
        """Idempotent; the sidecar goes last so a half-done delete leaves nothing visible."""
        path = self._path(key)
        if path.is_dir():
            return
        discard(path)
        discard(sidecar(path))

    def list(self, prefix: str) -> Iterator[StoredObject]:
        """Objects whose key starts with `prefix`, in key order, skipping internal files."""
        start = prefix_directory(self.root, prefix)
        keys: list[str] = []
        for directory, subdirs, names in os.walk(start):
            subdirs[:] = [name for name in subdirs if not is_internal(name)]
            base = Path(directory).relative_to(self.root).as_posix()
            for name in names:
                key = name if base == "." else f"{base}/{name}"
                if not is_internal(name) and key.startswith(prefix):
                    keys.append(key)
        for key in sorted(keys):
            found = self._describe(self.root / key, key)
            if found is not None:  # deleted while we were walking
                yield found

    def signed_download_url(
        self, key: str, *, filename: str, content_type: str, expires_in: timedelta, now: datetime
    ) -> SignedUrl:
        """An app-served link with the same rules as a presigned S3 GET: at most 300 s."""
        seconds = link_seconds(expires_in)
        expires_at = now + timedelta(seconds=seconds)
        url = self._links.url(
            checked_key(key), expires=int(expires_at.timestamp()),
            disposition=attachment(filename), content_type=checked_content_type(content_type),
        )  # fmt: skip
        return SignedUrl(url=url, expires_at=expires_at)

    def verify_signed_request(  # noqa: PLR0917 - the HTTP layer passes the link's fields in order
        self,
        key: str,
        expires: int | str,
        disposition: str,
        content_type: str,
        sig: str,
        now: datetime,
    ) -> bool:
        """Whether `/files/{key}?expires&disposition&type&sig` is ours, unchanged and unexpired."""
        return self._links.verify(key, str(expires), disposition, content_type, sig, now=now)

    def open_for_download(self, key: str) -> BinaryIO:
        """The object's bytes for the HTTP layer to stream, after `verify_signed_request`."""
        if not is_valid_key(key):
            raise NotFound(f"no object {key}")
        try:
            return (self.root / key).open("rb")
        except _MISSING as exc:
            raise NotFound(f"no object {key}") from exc

    def health(self) -> StorageHealth:
        """Reachable when a file can be written under root; private by construction."""
        try:
            discard(write_temp(self.root, "health", [b"probe"]))
        except OSError as exc:
            detail = f"document directory not writable: {type(exc).__name__}"
            return StorageHealth(reachable=False, private=True, detail=detail)
        return StorageHealth(reachable=True, private=True, detail="local directory, signed links")

    def _path(self, key: str) -> Path:
        return self.root / checked_key(key)

    def _describe(self, path: Path, key: str) -> StoredObject | None:
        try:
            stat = path.stat()
        except _MISSING:
            return None
        if not stat_module.S_ISREG(stat.st_mode):
            return None
        modified = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
        return StoredObject(key, stat.st_size, modified, _content_type(path))


def _content_type(path: Path) -> str | None:
    try:
        meta = json.loads(sidecar(path).read_text())
    except (OSError, ValueError):
        return None
    value = meta.get("content_type") if isinstance(meta, dict) else None
    return value if isinstance(value, str) else None


def _file_chunks(handle: BinaryIO, size: int) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(size):
            yield chunk
