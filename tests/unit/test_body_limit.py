"""BodyLimit, the ASGI middleware that holds a body to its route's limit while it streams in:
what the app and the client see, message by message."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator

import orjson
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Message, Receive, Scope, Send

from api.body_limit import BodyLimit, limits

LIMIT = 1000
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class Wire:
    """The server's side of one request: a body offered in chunks, and what is sent back."""

    def __init__(self, chunks: list[bytes], disconnect_after: bool = False) -> None:
        self.pending: Iterator[bytes] = iter(chunks)
        self.last = len(chunks)
        self.read = 0  # chunks handed to the app
        self.disconnect_after = disconnect_after
        self.sent: list[Message] = []

    async def receive(self) -> Message:
        chunk = next(self.pending, None)
        if chunk is None:
            return {"type": "http.disconnect"}
        self.read += 1
        more = self.read < self.last or self.disconnect_after
        return {"type": "http.request", "body": chunk, "more_body": more}

    async def send(self, message: Message) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int | None:
        starts = [m for m in self.sent if m["type"] == "http.response.start"]
        assert len(starts) <= 1, self.sent
        return int(starts[0]["status"]) if starts else None

    def header(self, name: bytes) -> bytes | None:
        start = next(m for m in self.sent if m["type"] == "http.response.start")
        return next((v for k, v in start["headers"] if k == name), None)

    def problem(self) -> dict[str, object]:
        body = b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")
        doc: dict[str, object] = orjson.loads(body)
        return doc


def scope(headers: list[tuple[bytes, bytes]] | None = None, path: str = "/v1/x") -> Scope:
    return {"type": "http", "method": "POST", "path": path, "headers": headers or []}


async def echo_length(scope: Scope, receive: Receive, send: Send) -> None:
    """An app that reads the whole body and answers its length."""
    body = await Request(scope, receive).body()
    await JSONResponse({"length": len(body)})(scope, receive, send)


def run(app: App, sc: Scope, wire: Wire, limit: int = LIMIT) -> None:
    asyncio.run(BodyLimit(app, lambda path: limit)(sc, wire.receive, wire.send))


def test_a_body_within_the_limit_reaches_the_app_whole() -> None:
    wire = Wire([b"x" * 400, b"x" * 600])
    run(echo_length, scope(), wire)
    assert wire.status == 200 and wire.problem() == {"length": 1000}


def test_a_content_length_over_the_limit_is_refused_without_reading_or_calling_the_app() -> None:
    called: list[Scope] = []

    async def app(sc: Scope, receive: Receive, send: Send) -> None:
        called.append(sc)

    wire = Wire([b"x" * 10])
    run(app, scope([(b"content-length", b"1001")]), wire)
    assert (wire.status, wire.read, called) == (413, 0, [])
    assert wire.header(b"connection") == b"close"
    assert str(wire.problem()["type"]).endswith("/too-large")


@pytest.mark.parametrize("value", [b"12x", b"-1", b""], ids=["letters", "negative", "empty"])
def test_a_content_length_that_is_not_a_number_is_a_bad_request(value: bytes) -> None:
    wire = Wire([])
    run(echo_length, scope([(b"content-length", value)]), wire)
    assert wire.status == 400 and wire.read == 0


def test_conflicting_content_lengths_are_a_bad_request() -> None:
    wire = Wire([])
    run(echo_length, scope([(b"content-length", b"5"), (b"content-length", b"6")]), wire)
    assert wire.status == 400


def test_a_streamed_body_is_refused_at_the_first_chunk_past_the_limit() -> None:
    wire = Wire([b"x" * 600, b"x" * 600, *[b"x" * 600] * 1000])
    run(echo_length, scope(), wire)
    assert wire.status == 413 and wire.read == 2  # nothing read after the chunk that passed it
    assert wire.header(b"connection") == b"close"
    assert wire.problem()["detail"] == f"body exceeds {LIMIT} bytes"


def test_the_apps_own_answer_to_a_body_it_never_saw_whole_is_replaced_by_the_413() -> None:
    async def forgiving(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await Request(scope, receive).body()
        except Exception:  # as FastAPI's body parsing does: answer 400 instead
            await JSONResponse({"parse": "error"}, status_code=400)(scope, receive, send)

    wire = Wire([b"x" * 2000])
    run(forgiving, scope(), wire)
    assert wire.status == 413


def test_a_client_that_leaves_mid_body_ends_the_request_quietly() -> None:
    wire = Wire([b"x" * 10], disconnect_after=True)
    run(echo_length, scope(), wire)  # ClientDisconnect raised in the app, and stopped here
    assert wire.sent == []


def test_other_errors_of_the_app_still_propagate() -> None:
    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        run(broken, scope(), Wire([]))


def test_each_path_has_its_own_limit_else_the_default() -> None:
    limit_of = limits({"/v1/statements/batch": 5000}, 1000)
    assert limit_of("/v1/statements/batch") == limit_of("/v1/statements/batch/") == 5000
    assert limit_of("/v1/statements") == limit_of("/anything") == 1000
