"""Health, public client configuration."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from domestyx.entrypoints.health import ReadinessProbe, may_see_details, public_view
from domestyx.entrypoints.http.deps import services_of
from domestyx.entrypoints.http.schemas import ConfigOut, LiveOut
from domestyx.entrypoints.http.turnstile_script import turnstile_script_url

Req = Request[Any, Any, Any]


class SystemController(Controller):
    """Uptime probes and the config the web client reads at start."""

    tags = ["system"]

    @get("/health/live")
    async def live(self) -> LiveOut:
        """The process answers (no dependency is touched)."""
        return LiveOut(status="ok")

    @get("/health/ready", sync_to_thread=True)
    def ready(self, request: Req) -> Response[dict[str, Any]]:
        """200 when every dependency answers, else 503; details only for HEALTH_DETAIL_TOKEN."""
        probe: ReadinessProbe = request.app.state["readiness"]
        checks = probe.results()
        healthy = all(check["status"] == "ok" for check in checks.values())
        token = services_of(request).settings.observability.health_detail_token
        if not may_see_details(token, request.headers.get("authorization", "")):
            checks = public_view(checks)
        body = {"status": "ok" if healthy else "unavailable", "checks": checks}
        return Response(body, status_code=HTTP_200_OK if healthy else HTTP_503_SERVICE_UNAVAILABLE)

    @get("/api/v1/config")
    async def config(self, request: Req) -> ConfigOut:
        """Public settings for browsers and apps; nothing secret."""
        services = services_of(request)
        settings = services.settings
        dev_outbox = services.outbox is not None and not settings.is_production
        return ConfigOut(
            turnstile_site_key=settings.captcha.site_key,
            sentry_dsn_frontend=settings.observability.sentry_dsn_frontend,
            environment=settings.environment,
            release=settings.release,
            turnstile_script_url=turnstile_script_url(settings),
            max_upload_bytes=settings.policy.max_upload_bytes,
            dev_outbox_url="/dev/outbox" if dev_outbox else None,
        )
