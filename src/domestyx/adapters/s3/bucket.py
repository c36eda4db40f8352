"""Creating the documents bucket private, for the CLI and the tests."""

from __future__ import annotations

from typing import Any

import attrs

from domestyx.adapters.s3.client import (
    ClientError,
    S3Client,
    error_code,
    http_status,
    make_client,
    outage_as_unavailable,
)

_BLOCK_ALL = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
# Regions where CreateBucket must not name a location: AWS's default and R2's "auto".
_NO_LOCATION = frozenset({"us-east-1", "auto"})


@attrs.frozen
class BucketSetup:
    """What `ensure_private_bucket` did, for humans."""

    created: bool
    access_blocked: bool
    notes: tuple[str, ...] = ()


def ensure_private_bucket(
    bucket: str,
    *,
    access_key: str,
    secret_key: str,
    region: str = "auto",
    endpoint_url: str | None = None,
    timeout_s: float = 10,
) -> BucketSetup:
    """Create the bucket if missing and block public access where the provider supports it."""
    client = make_client(
        access_key=access_key, secret_key=secret_key, region=region,
        endpoint_url=endpoint_url, timeout_s=timeout_s,
    )  # fmt: skip
    notes: list[str] = []
    with outage_as_unavailable():
        created = _create_if_missing(client, bucket, region, notes)
        blocked = _block_public_access(client, bucket, notes)
    return BucketSetup(created=created, access_blocked=blocked, notes=tuple(notes))


def _block_public_access(client: S3Client, bucket: str, notes: list[str]) -> bool:
    try:
        client.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=_BLOCK_ALL)
    except ClientError as exc:
        # R2 has no public access block (buckets are private unless a public domain is attached).
        notes.append(f"public access block not applied: {error_code(exc) or http_status(exc)}")
        return False
    notes.append("public access blocked")
    return True


def _create_if_missing(client: S3Client, bucket: str, region: str, notes: list[str]) -> bool:
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError as exc:
        if http_status(exc) != 404:
            raise
    else:
        notes.append(f"bucket {bucket} exists")
        return False
    options: dict[str, Any] = {}
    if region not in _NO_LOCATION:
        options["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        client.create_bucket(Bucket=bucket, **options)
    except ClientError as exc:
        # Another process won the race; the bucket is ours either way.
        if error_code(exc) != "BucketAlreadyOwnedByYou":
            raise
    notes.append(f"bucket {bucket} created")
    return True
