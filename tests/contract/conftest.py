"""Fixtures for the contract suites."""

from tests.support.moto import s3_bucket, s3_server  # noqa: F401
