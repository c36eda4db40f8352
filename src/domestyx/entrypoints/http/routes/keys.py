"""The public keys that verify access tokens, for other services (RFC 7517 JWKS)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.datastructures import CacheControlHeader

from domestyx.entrypoints.http.deps import services_of
from domestyx.entrypoints.http.schemas import JwksOut

Req = Request[Any, Any, Any]
# Verifiers cache the set; one that meets an unknown `kid` refetches (PyJWKClient does).
JWKS_MAX_AGE_S = 300


class KeysController(Controller):
    """GET /.well-known/jwks.json: public keys only; the current one first."""

    tags = ["keys"]

    @get(
        "/.well-known/jwks.json",
        cache_control=CacheControlHeader(max_age=JWKS_MAX_AGE_S, public=True),
    )
    async def jwks(self, request: Req) -> JwksOut:
        """Current and still-trusted previous keys (EdDSA/Ed25519 or ES256/P-256)."""
        return JwksOut.of(services_of(request).sessions.signer.jwks())
