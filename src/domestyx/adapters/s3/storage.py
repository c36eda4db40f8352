"""S3DocumentStorage: one adapter for Cloudflare R2 and AWS S3 (boto3, SigV4, path-style)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, BinaryIO
from urllib.parse import quote

from domestyx.adapters.s3.bucket import BucketSetup, ensure_private_bucket
from domestyx.adapters.s3.client import (
    ClientError,
    error_code,
    http_status,
    make_client,
    outage_as_unavailable,
)
from domestyx.adapters.s3.privacy import api_refuses, public_domain_refuses
from domestyx.adapters.s3.streams import BoundedReader
from domestyx.domain.model.download_links import attachment, checked_content_type, link_seconds
from domestyx.domain.model.errors import DependencyUnavailable, NotFound
from domestyx.domain.model.storage import SignedUrl, StorageHealth, StoredObject

__all__ = ["BucketSetup", "S3DocumentStorage", "ensure_private_bucket"]

PROBE_KEY = "_health/probe"
_PROBE_BODY = b"domestyx storage probe: this object must never be readable anonymously\n"


class S3DocumentStorage:
    """A private bucket; `server_side_encryption` (e.g. "AES256") only where the provider has it."""

    def __init__(
        self,
        bucket: str,
        *,
        access_key: str,
        secret_key: str,
        region: str = "auto",
        endpoint_url: str | None = None,
        public_base_url: str | None = None,
        timeout_s: float = 10,
        server_side_encryption: str | None = None,
    ) -> None:
        self.bucket = bucket
        self._client = make_client(
            access_key=access_key, secret_key=secret_key, region=region,
            endpoint_url=endpoint_url, timeout_s=timeout_s,
        )  # fmt: skip
        self._public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self._timeout_s = timeout_s
        self._sse = server_side_encryption

    def put(self, key: str, body: BinaryIO, *, size: int, content_type: str) -> None:
        """Stream exactly `size` bytes; botocore reads the file in chunks, never whole."""
        extra: dict[str, Any] = {"ServerSideEncryption": self._sse} if self._sse else {}
        window = BoundedReader(body, size)
        with outage_as_unavailable():
            self._client.put_object(
                Bucket=self.bucket, Key=key, Body=window, ContentLength=size,
                ContentType=content_type, **extra,
            )  # fmt: skip

    def create(self, key: str, data: bytes, *, content_type: str) -> bool:
        """PutObject with `If-None-Match: *` (S3 and R2 both honour it): 412 means it exists."""
        extra: dict[str, Any] = {"ServerSideEncryption": self._sse} if self._sse else {}
        with outage_as_unavailable():
            try:
                self._client.put_object(
                    Bucket=self.bucket, Key=key, Body=data, ContentType=content_type,
                    IfNoneMatch="*", **extra,
                )  # fmt: skip
            except ClientError as exc:
                # 409: a concurrent conditional write of the same key is in flight; it wins.
                if http_status(exc) in (409, 412):
                    return False
                raise
        return True

    def read(self, key: str) -> bytes:
        """Whole object; NotFound if absent."""
        with outage_as_unavailable():
            stream = self._get(key)
            try:
                data: bytes = stream.read()
            finally:
                stream.close()
        return data

    def stream(self, key: str, *, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """get_object's Body read in chunks (botocore streams it off the socket)."""
        with outage_as_unavailable():
            body = self._get(key)
        return _body_chunks(body, chunk_size)

    def _get(self, key: str) -> Any:
        try:
            return self._client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as exc:
            # A missing bucket is misconfiguration, not a missing document.
            if error_code(exc) == "NoSuchKey":
                raise NotFound(f"no object {key}") from exc
            raise

    def head(self, key: str) -> StoredObject | None:
        """Metadata, or None on 404."""
        with outage_as_unavailable():
            try:
                response = self._client.head_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if http_status(exc) == 404:
                    return None
                raise
        return StoredObject(
            key=key,
            size=int(response["ContentLength"]),
            last_modified=response.get("LastModified"),
            content_type=response.get("ContentType"),
        )

    def delete(self, key: str) -> None:
        """S3 answers 204 for absent keys too, so this is idempotent."""
        with outage_as_unavailable():
            try:
                self._client.delete_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if error_code(exc) != "NoSuchKey":
                    raise

    def list(self, prefix: str) -> Iterator[StoredObject]:
        """Every object under the prefix, page by page, in key order."""
        pages = self._client.get_paginator("list_objects_v2")
        with outage_as_unavailable():
            for page in pages.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", ()):
                    yield StoredObject(
                        key=item["Key"], size=int(item["Size"]),
                        last_modified=item.get("LastModified"),
                    )  # fmt: skip

    def signed_download_url(
        self, key: str, *, filename: str, content_type: str, expires_in: timedelta, now: datetime
    ) -> SignedUrl:
        """Presigned GET (query auth, SignedHeaders=host), attachment disposition, at most 300 s."""
        seconds = link_seconds(expires_in)
        params = {
            "Bucket": self.bucket,
            "Key": key,
            "ResponseContentDisposition": attachment(filename),
            "ResponseContentType": checked_content_type(content_type),
        }
        # Presigning is local computation; it never touches the network.
        url: str = self._client.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=seconds
        )
        return SignedUrl(url=url, expires_at=now + timedelta(seconds=seconds))

    def health(self) -> StorageHealth:
        """Reachable: HEAD bucket works. Private: unsigned GETs of a probe object are refused."""
        try:
            with outage_as_unavailable():
                self._client.head_bucket(Bucket=self.bucket)
                self._ensure_probe()
        except (DependencyUnavailable, ClientError) as exc:
            return StorageHealth(reachable=False, private=False, detail=_describe(exc))
        checks = [api_refuses(self.object_url(PROBE_KEY), timeout_s=self._timeout_s)]
        if self._public_base_url:
            public_url = f"{self._public_base_url}/{quote(PROBE_KEY)}"
            checks.append(public_domain_refuses(public_url, timeout_s=self._timeout_s))
        private = all(refused for refused, _ in checks)
        return StorageHealth(
            reachable=True, private=private, detail="; ".join(text for _, text in checks)
        )

    def object_url(self, key: str) -> str:
        """The unsigned path-style URL of an object on the S3 API endpoint."""
        endpoint: str = self._client.meta.endpoint_url
        return f"{endpoint.rstrip('/')}/{quote(self.bucket)}/{quote(key)}"

    def _ensure_probe(self) -> None:
        try:
            self._client.head_object(Bucket=self.bucket, Key=PROBE_KEY)
        except ClientError as exc:
            if http_status(exc) != 404:
                raise
            self.put(PROBE_KEY, io.BytesIO(_PROBE_BODY), size=len(_PROBE_BODY),
                     content_type="text/plain")  # fmt: skip


def _describe(exc: Exception) -> str:
    cause = exc.__cause__ or exc
    return f"bucket unreachable: {type(cause).__name__}: {str(cause).splitlines()[0][:200]}"


def _body_chunks(body: Any, size: int) -> Iterator[bytes]:
    """A cut connection mid-object is an outage like any other, not a raw botocore error."""
    try:
        with outage_as_unavailable():
            yield from body.iter_chunks(size)
    finally:
        body.close()
