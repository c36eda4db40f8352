"""Cloudflare Turnstile siteverify (httpx; there is no official Python SDK)."""
