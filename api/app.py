"""The FastAPI application: JSON API, log endpoints, problem+json errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import (
    body_limit,
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
from api.node import LedgerNode
from api.settings import Settings


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
    openapi.install(app)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
