"""Request bodies are counted as they arrive, so a limit holds while reading, not after.

``await request.body()`` gathers the whole body before anyone can look at its length: a 300 MB
chunked upload (no Content-Length) took 550 MiB of the server's memory before the 64 KiB check
refused it. :class:`BodyLimit` is an ASGI middleware in front of the app:

- a Content-Length over the path's limit is answered 413 at once, before any byte of the body
  is read; a Content-Length that is not a number is a 400;
- otherwise every chunk the app receives is counted, and the first one past the limit ends
  the request: the app is told the client went away, whatever it answered is dropped, and a
  413 is sent instead. uvicorn reads ahead at most its flow-control window (64 KiB), so memory
  stays flat however much the client sends;
- every refusal carries ``Connection: close``: the server closes the connection rather than
  read the rest of a body it refused;
- a client that disconnects mid-body ends its request quietly: Starlette raises
  ``ClientDisconnect`` from ``request.body()``, which is no fault of the server and logs no
  traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import orjson
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import MEDIA_TYPE, PROBLEM_BASE


class _Exceeded(Exception):
    """Raised to the app by ``receive`` once the body is past its limit."""


def problem_message(status: int, slug: str, title: str, detail: str, path: str) -> bytes:
    return orjson.dumps(
        {
            "type": PROBLEM_BASE + slug,
            "title": title,
            "status": status,
            "detail": detail,
            "instance": path,
        }
    )


async def send_problem(
    send: Send, status: int, slug: str, title: str, detail: str, path: str
) -> None:
    """A problem document straight onto the wire, closing the connection after it."""
    body = problem_message(status, slug, title, detail, path)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _declared_length(scope: Scope) -> int | None:
    """The Content-Length header, None when absent; ValueError when it is not one number."""
    values = {v for k, v in scope.get("headers", ()) if k == b"content-length"}
    if not values:
        return None
    if len(values) > 1:
        raise ValueError("conflicting Content-Length headers")
    (value,) = values
    if not value.isdigit():
        raise ValueError("Content-Length is not a number")
    return int(value)


class BodyLimit:
    """Refuses (413) a request body over ``limit_of(path)`` bytes while it streams in."""

    def __init__(self, app: ASGIApp, limit_of: Callable[[str], int]) -> None:
        self.app, self.limit_of = app, limit_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, limit = scope["path"], self.limit_of(scope["path"])
        try:
            declared = _declared_length(scope)
        except ValueError as exc:
            await send_problem(send, 400, "bad-request", "Bad request", str(exc), path)
            return
        too_large = f"body exceeds {limit} bytes"
        if declared is not None and declared > limit:
            await send_problem(send, 413, "too-large", "Request too large", too_large, path)
            return
        seen, exceeded, started = 0, False, False

        async def counted() -> Message:
            nonlocal seen, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    raise _Exceeded
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # the app's answer to a body it never saw whole: replaced by the 413
            started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except _Exceeded:
            pass
        except ClientDisconnect:
            return  # the client left mid-body: nobody to answer, nothing went wrong
        if exceeded and not started:
            await send_problem(send, 413, "too-large", "Request too large", too_large, path)


def limits(by_path: Mapping[str, int], default: int) -> Callable[[str], int]:
    """``limit_of`` for :class:`BodyLimit`: the path's own limit, else ``default``."""
    return lambda path: by_path.get(path.rstrip("/") or "/", default)
