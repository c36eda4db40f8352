"""Adapters over the standard library and pure-computation SDKs (argon2, PyJWT)."""
