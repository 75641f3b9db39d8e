"""RFC 9457 problem details for every error the HTTP API returns."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_BASE = "https://elevator-ledger.org/problems/"
MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


class ProblemDocument(BaseModel):
    """RFC 9457 problem details. Some types add members: ``errors`` (each field error),
    ``rule`` (the rule a statement breaks), ``head`` and ``version`` (the chain head),
    ``renamed_to`` (a work list's name now, ``worklist-renamed``)."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str = Field(description=f"{PROBLEM_BASE}<slug>, one per failure class")
    title: str
    status: int
    detail: str
    instance: str | None = Field(None, description="the request path")


#: What each status means across the API (a route may say more).
STATUS_MEANING = {
    400: "malformed request",
    401: "no valid signature or token",
    403: "not authorized",
    404: "not found",
    409: "conflict with the current state",
    413: "request too large",
    415: "unsupported media type",
    422: "invalid request",
    500: "internal error",
    503: "unavailable for now; retry",
}


def problem_responses(*statuses: int | tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for the problem documents a route answers with: a status, or
    (status, description)."""
    out: dict[int | str, dict[str, Any]] = {}
    for item in statuses:
        status, description = item if isinstance(item, tuple) else (item, STATUS_MEANING[item])
        out[status] = {"description": description, "content": {MEDIA_TYPE: {"schema": PROBLEM_REF}}}
    return out


class Problem(Exception):
    """Raise anywhere in a route to answer with a problem document."""

    def __init__(self, status: int, slug: str, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail, self.extra = (
            status,
            slug,
            title,
            detail,
            extra,
        )

    def body(self, instance: str) -> dict[str, Any]:
        doc = {
            "type": PROBLEM_BASE + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            **self.extra,
        }
        if instance:
            doc["instance"] = instance
        return doc

    def response(self, instance: str) -> JSONResponse:
        return JSONResponse(self.body(instance), status_code=self.status, media_type=MEDIA_TYPE)


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return exc.response(request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        detail = f"{'.'.join(first['loc'])}: {first['msg']}"
        return Problem(422, "invalid-request", "Invalid request", detail, errors=errors).response(
            request.url.path
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        """A bug: answered as a problem too, without details (Starlette re-raises it after
        answering, so the server still logs the traceback)."""
        return Problem(500, "internal-error", "Internal error", "see the server log").response(
            request.url.path
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        """Starlette's own refusals (404, 405...), as problems; their headers kept, so a 405
        says in ``Allow`` which methods the path takes."""
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        answer = Problem(exc.status_code, slug, str(exc.detail), str(exc.detail)).response(
            request.url.path
        )
        answer.headers.update(exc.headers or {})
        return answer
