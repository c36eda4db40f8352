"""The boto3 client for R2 and AWS S3, and the translation of outages into a domain error."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeAlias

# botocore ships no types; `unused-ignore` keeps mypy quiet once boto3-stubs is installed.
import boto3  # type: ignore[import-untyped, unused-ignore]
from botocore import exceptions as boto_errors  # type: ignore[import-untyped, unused-ignore]
from botocore.config import Config  # type: ignore[import-untyped, unused-ignore]

from domestyx.domain.model.errors import DependencyUnavailable

__all__ = [
    "ClientError",
    "S3Client",
    "error_code",
    "http_status",
    "make_client",
    "outage_as_unavailable",
    "unavailable",
]

# boto3 builds the S3 client class at runtime, so the adapter's boundary with it is Any.
S3Client: TypeAlias = Any

# Callers catch 4xx answers (404 above all) as this class.
ClientError = boto_errors.ClientError

# A dead host must fail a request in seconds, not hang a web thread for the read timeout.
_MAX_CONNECT_TIMEOUT_S = 3.0


def make_client(
    *,
    access_key: str,
    secret_key: str,
    region: str,
    endpoint_url: str | None,
    timeout_s: float,
) -> S3Client:
    """SigV4, path-style, checksums only where required (R2), bounded time and one retry."""
    if endpoint_url is None and region == "auto":
        raise ValueError("region 'auto' is for R2 and needs an endpoint_url")
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        connect_timeout=min(timeout_s, _MAX_CONNECT_TIMEOUT_S),
        read_timeout=timeout_s,
        retries={"total_max_attempts": 2, "mode": "standard"},
    )
    # A private session: the default one is shared global state and not thread-safe to build.
    session = boto3.session.Session(
        aws_access_key_id=access_key, aws_secret_access_key=secret_key, region_name=region
    )
    return session.client("s3", endpoint_url=endpoint_url, config=config)


def http_status(exc: Any) -> int:
    """The HTTP status behind a botocore ClientError (0 when unknown)."""
    status: int = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return status


def error_code(exc: Any) -> str:
    """The S3 error code of a ClientError, such as NoSuchKey or a bare "404" from HEAD."""
    code: str = exc.response.get("Error", {}).get("Code", "")
    return code


def unavailable(detail: str) -> DependencyUnavailable:
    """The one error callers see when storage cannot answer."""
    return DependencyUnavailable(detail, dependency="storage")


@contextmanager
def outage_as_unavailable() -> Iterator[None]:
    """Network failures and 5xx answers become DependencyUnavailable; 4xx stay ClientError."""
    try:
        yield
    except (boto_errors.ConnectionError, boto_errors.HTTPClientError) as exc:
        raise unavailable("document storage is unreachable") from exc
    except ClientError as exc:
        if http_status(exc) >= 500:
            raise unavailable("document storage is failing") from exc
        raise
