"""Embedded default only: the dev outbox and app-served signed file downloads."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath
from litestar.response import Stream

from domestyx.domain.model.errors import NotFound
from domestyx.entrypoints.http.deps import services_of
from domestyx.entrypoints.http.dev_pages import OUTBOX_CSP, code_in, outbox_page

Req = Request[Any, Any, Any]


class DevOutboxController(Controller):
    """GET /dev/outbox: what would have been emailed or texted, newest first."""

    tags = ["dev"]
    include_in_schema = False

    @get("/dev/outbox", sync_to_thread=True)
    def outbox(self, request: Req) -> Response[Any]:
        """JSON for Accept: application/json, an HTML page otherwise."""
        outbox = services_of(request).outbox
        if outbox is None:
            raise NotFound
        entries = [
            {"channel": str(e.channel), "to": e.to, "subject": e.subject, "body": e.body,
             "created_at": e.created_at.isoformat(), "code": code_in(e.body)}
            for e in outbox.entries(limit=100)
        ]  # fmt: skip
        if "application/json" in request.headers.get("accept", ""):
            return Response(entries)
        headers = {"Content-Security-Policy": OUTBOX_CSP}
        return Response(outbox_page(entries), media_type="text/html", headers=headers)


class LocalFilesController(Controller):
    """GET /files/{key}: serves local-directory documents behind an expiring signature."""

    tags = ["dev"]
    include_in_schema = False

    @get("/files/{key:path}", sync_to_thread=True)
    def download(self, request: Req, key: FromPath[str]) -> Stream:
        """Stream the file when the signature is valid and unexpired; 404 otherwise."""
        services = services_of(request)
        files, query = services.local_files, request.query_params
        key = key.lstrip("/")
        disposition, content_type = query.get("disposition", ""), query.get("type", "")
        try:
            expires = int(query.get("expires", ""))
        except ValueError:
            raise NotFound from None
        signed = files is not None and files.verify_signed_request(
            key, expires, disposition, content_type, query.get("sig", ""), services.clock.now()
        )
        if not signed or files is None:
            raise NotFound
        handle = files.open_for_download(key)
        headers = {"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"}
        return Stream(_chunks(handle), media_type=content_type, headers=headers)


def _chunks(handle: Any) -> Any:
    with handle:
        while chunk := handle.read(64 * 1024):
            yield chunk
