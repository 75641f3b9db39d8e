"""The FastAPI application: JSON API, log endpoints, problem+json errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from api import (
    body_limit,
    docs_pages,
    log_routes,
    openapi,
    pages,
    problems,
    public_routes,
    regulator_routes,
    replay_routes,
    statement_routes,
)
from api.bootstrap import open_node
from api.console import bundle, dashboard, elevator_file, onboarding, organizations, worklists
from api.desk import pages as desk_pages
from api.node import LedgerNode
from api.settings import Settings
from api.web import account_pages, render, sign_in
from api.web.session import SignInRequired


def create_app(settings: Settings | None = None, node: LedgerNode | None = None) -> FastAPI:
    """Build the app; pass ``node`` to share one already opened (tests, the CLI)."""
    settings = settings or (node.settings if node else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = node is None
        app.state.node = node or open_node(settings)
        try:
            yield
        finally:
            if own:
                app.state.node.close()

    app = FastAPI(
        title="elevator-ledger",
        version="0.1.0",
        description="A publicly verifiable ledger of the whole life of every elevator.",
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc: api/docs_pages.py, assets served by the app
        redoc_url=None,
    )
    problems.install(app)
    app.add_middleware(
        body_limit.BodyLimit,
        limit_of=body_limit.limits(statement_routes.BODY_LIMITS, statement_routes.MAX_BODY),
    )
    app.include_router(log_routes.router)
    app.include_router(statement_routes.router)
    app.include_router(statement_routes.envelopes)
    app.include_router(public_routes.router)
    app.include_router(regulator_routes.router)
    app.include_router(pages.router)
    app.include_router(replay_routes.router)
    for web in (sign_in, dashboard, worklists, elevator_file, bundle, organizations, onboarding):
        app.include_router(web.router)
    app.include_router(desk_pages.router)
    docs_pages.install(app)  # before /static: it mounts /static/docs
    app.include_router(account_pages.router)
    app.mount("/static", StaticFiles(directory=render.STATIC), name="static")

    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, exc: SignInRequired) -> RedirectResponse:
        """A page asked for without a valid session: to the sign-in page, and back after."""
        return RedirectResponse(f"/{exc.desk}/sign-in?next={quote(exc.next_url)}", 303)

    sign_in.install(app)  # a session of the other desk: a 403 page
    openapi.install(app)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
