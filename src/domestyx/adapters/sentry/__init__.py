"""Sentry error reporting with secret and PII scrubbing."""
