"""Benchmarks: ratios measured in one run against the same server."""
