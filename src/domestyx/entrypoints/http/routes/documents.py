"""The caller's identity documents: upload (multipart, streamed), list, read, delete, download."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, BinaryIO, cast

from litestar import Controller, Request, delete, get, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.params import FromPath, MultipartBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from domestyx.domain.model import errors as e
from domestyx.domain.model.documents import Document, DocumentKind
from domestyx.entrypoints.http.deps import Caller, client_context, principal, services_of
from domestyx.entrypoints.http.schemas import DocumentOut, DownloadOut, UploadType

Req = Request[Any, Any, Any]
# Room for the multipart boundaries and the `kind` field around a file at the size cap.
MULTIPART_OVERHEAD = 64 * 1024
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024 + MULTIPART_OVERHEAD


@dataclass
class UploadForm:
    """multipart/form-data: `kind` and `file`."""

    kind: DocumentKind
    file: UploadFile


def document_out(doc: Document) -> DocumentOut:
    """Metadata only: never the storage key, never a client-chosen name."""
    return DocumentOut(
        id=doc.id,
        kind=doc.kind,
        version=doc.version,
        content_type=UploadType(doc.content_type),
        size=doc.size,
        sha256=doc.sha256,
        status=doc.status,
        uploaded_at=doc.uploaded_at,
        delete_after=doc.delete_after,
        legal_hold=doc.legal_hold,
    )


class DocumentsController(Controller):
    """/api/v1/documents: other people's documents are always 404."""

    path = "/api/v1/documents"
    tags = ["documents"]
    dependencies = {"caller": Provide(principal, sync_to_thread=True)}

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        request_max_body_size=DEFAULT_UPLOAD_LIMIT,
        errors=[
            e.NotVerified,
            e.RateLimited,
            e.UnsupportedMediaType,
            e.PayloadTooLarge,
            e.UnprocessableDocument,
        ],
    )
    def upload(self, request: Req, caller: Caller, data: MultipartBody[UploadForm]) -> DocumentOut:
        """Type from the bytes, never the header or the name; stored under a random key."""
        services, ctx = services_of(request), client_context(request)
        with data.file.file as spooled:
            document = services.documents.upload(
                caller,
                data.kind,
                cast("BinaryIO", spooled),
                ctx,
                declared_type=data.file.content_type or "",
            )
        return document_out(document)

    @get("/", sync_to_thread=True)
    def list_documents(self, request: Req, caller: Caller) -> list[DocumentOut]:
        """Visible versions, newest first."""
        return [document_out(d) for d in services_of(request).documents.list(caller)]

    @get("/{document_id:str}", sync_to_thread=True)
    def read(self, request: Req, caller: Caller, document_id: FromPath[str]) -> DocumentOut:
        """One of the caller's documents."""
        return document_out(services_of(request).documents.get(caller, document_id))

    @delete(
        "/{document_id:str}",
        status_code=HTTP_204_NO_CONTENT,
        sync_to_thread=True,
        errors=[e.Conflict],
    )
    def remove(self, request: Req, caller: Caller, document_id: FromPath[str]) -> None:
        """Delete; the object is erased by the purge job."""
        services_of(request).documents.delete(caller, document_id, client_context(request))

    @get("/{document_id:str}/download", sync_to_thread=True)
    def download(self, request: Req, caller: Caller, document_id: FromPath[str]) -> DownloadOut:
        """A presigned GET valid at most five minutes, saved as an attachment; audited."""
        url = services_of(request).documents.download_url(
            caller, document_id, client_context(request)
        )
        return DownloadOut(url=url.url, expires_at=url.expires_at)
