"""Provider delivery callbacks, accepted only with a valid provider signature."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.concurrency import sync_to_thread
from litestar.status_codes import HTTP_200_OK

from domestyx.domain.model.errors import InvalidSignature
from domestyx.entrypoints.http.deps import services_of

Req = Request[Any, Any, Any]


class WebhookController(Controller):
    """/api/v1/webhooks: signature first, then the outbox record is moved forward."""

    path = "/api/v1/webhooks"
    tags = ["webhooks"]
    include_in_schema = False

    @post("/twilio/status", status_code=HTTP_200_OK)
    async def twilio_status(self, request: Req) -> dict[str, int]:
        """X-Twilio-Signature over our public URL and the form fields."""
        return await _handle(request, "twilio", "/api/v1/webhooks/twilio/status")

    @post("/resend", status_code=HTTP_200_OK)
    async def resend(self, request: Req) -> dict[str, int]:
        """Svix signature over id, timestamp and body."""
        return await _handle(request, "resend", "/api/v1/webhooks/resend")


async def _handle(request: Req, provider: str, path: str) -> dict[str, int]:
    services = services_of(request)
    hook = services.webhooks.get(provider)
    if hook is None:
        raise InvalidSignature("this provider's callbacks are not configured")
    body = await request.body()
    # Twilio signs the URL it called: our public one, not what the proxy forwarded.
    url = services.settings.http.base_url + path
    if request.url.query:
        url += "?" + request.url.query
    headers = dict(request.headers)

    def apply() -> dict[str, int]:
        # A replay of a signed callback is acknowledged (200): a refusal would only make the
        # provider retry it. It changes nothing and is not audited twice.
        tally = services.callbacks.accept(provider, hook.parse(url=url, headers=headers, body=body))
        return {"received": tally.received, "applied": tally.applied, "replayed": tally.replayed}

    return await sync_to_thread(apply)
