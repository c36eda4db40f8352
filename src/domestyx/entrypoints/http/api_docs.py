"""/schema: the API reference UI from assets shipped in the package, under a strict CSP.

Nothing is loaded from another origin (Litestar's default plugins pull an unpinned script
from a CDN). The page is Swagger UI (vendored, version in static/api-docs/VERSION.md).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.static_files import create_static_files_router

if TYPE_CHECKING:
    from litestar import Request, Router

ASSETS_DIR = Path(__file__).resolve().parent / "static" / "api-docs"
ASSETS_PATH = "/assets"
# Swagger UI sets style attributes at run time, hence 'unsafe-inline' for styles only.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-spec-url="{spec}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/init.js"></script>
</body>
</html>
"""


class SelfHostedSwaggerPlugin(OpenAPIRenderPlugin):
    """Renders the page at /schema and serves its assets at /schema/assets."""

    def __init__(self) -> None:
        super().__init__(path="/")
        self._base = "/schema"

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """The page: same-origin stylesheet, bundle and initialiser; no inline script."""
        title = html.escape(str(openapi_schema.get("info", {}).get("title", "API")))
        page = _PAGE.format(
            title=title,
            assets=self._base + ASSETS_PATH,
            spec=html.escape(self.get_openapi_json_route(request)),
        )
        return page.encode()

    def receive_router(self, router: Router) -> None:
        """Mount the vendored assets under the OpenAPI router's own path."""
        self._base = router.path.rstrip("/")
        router.register(
            create_static_files_router(
                path=ASSETS_PATH, directories=[ASSETS_DIR], include_in_schema=False
            )
        )
