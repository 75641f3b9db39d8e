"""/docs (Swagger UI) and /redoc served with their assets from the app, so they work on a
closed network.

FastAPI's own pages load swagger-ui and redoc from jsdelivr, a favicon from fastapi.tiangolo.com
and redoc's fonts from Google Fonts: on a bureau's network without the Internet both pages are
blank. The assets come from the ``fastapi-offline`` package (MIT; it bundles swagger-ui-dist 5
and redoc 2's standalone build, and is updated with them), mounted under ``/static/docs``;
the HTML is FastAPI's own (``get_swagger_ui_html``, ``get_redoc_html``) pointed at them, with
Swagger UI's online validator badge (an image from validator.swagger.io) turned off.

One request remains in redoc's bundle: the side menu's "API docs by Redocly" logo, an image
from cdn.redoc.ly. The bundle is served with that one address replaced by an empty inline SVG
(:func:`redoc_bundle`), so nothing asks another host; the rest of the file is the package's.
"""

from __future__ import annotations

import functools
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
    swagger_ui_default_parameters,
)
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

#: Where the bundled assets are served from.
ASSETS_URL = "/static/docs"
#: The package's static directory: swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js,
#: favicon.png. Found without importing the package (it ships no type information).
ASSETS = Path(str(files("fastapi_offline") / "static"))
#: The remote logo redoc's side menu shows, and what is shown instead.
REDOC_LOGO = b'src:"https://cdn.redoc.ly/redoc/logo-mini.svg"'
NO_LOGO = b"src:\"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E\""


@functools.cache
def redoc_bundle() -> bytes:
    """redoc's standalone bundle with its one remote image replaced (read once)."""
    return (ASSETS / "redoc.standalone.js").read_bytes().replace(REDOC_LOGO, NO_LOGO)


def install(app: FastAPI) -> None:
    """Serve /docs and /redoc from the app. ``app`` must be built with ``docs_url=None`` and
    ``redoc_url=None`` (FastAPI's CDN pages), mounted before the app's /static."""

    @app.get(f"{ASSETS_URL}/redoc.standalone.js", include_in_schema=False)
    def redoc_script() -> Response:
        return Response(
            redoc_bundle(),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    oauth2_redirect = app.swagger_ui_oauth2_redirect_url

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} — Swagger UI",
            oauth2_redirect_url=f"{root}{oauth2_redirect}" if oauth2_redirect else None,
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            swagger_ui_parameters={**swagger_ui_default_parameters, "validatorUrl": None},
        )

    if oauth2_redirect:

        @app.get(oauth2_redirect, include_in_schema=False)
        async def swagger_ui_redirect() -> HTMLResponse:
            return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} — ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
