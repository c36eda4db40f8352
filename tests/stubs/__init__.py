"""Loopback servers that speak the providers' wire formats, for contract tests."""
