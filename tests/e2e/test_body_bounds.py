"""Bounds hold while reading: ``elevator-ledger serve`` as a real process, fed over raw sockets.

A body over its route's limit is refused (413 problem+json) before the rest is read, and the
server's memory (VmRSS in /proc) stays flat while a client streams 300 MB at it in chunks; a
Content-Length over the limit is refused before a byte of the body is sent. A client that
disconnects in the middle of its upload, or of the answer, leaves no traceback in the log.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest

from api.statement_routes import MAX_BATCH_BODY, MAX_BODY
from tests.support.servers import HOST, Server, start_server, stop_all

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")

MiB = 1024 * 1024
UPLOAD = 300 * 1000 * 1000  # what the client offers to send
CHUNK = 64 * 1024
RESET = (1).to_bytes(4, "little") + (0).to_bytes(4, "little")  # SO_LINGER on, 0 s: close = RST
SLACK = 16 * MiB  # beyond twice the limit (the chunks, then the joined body), RSS stays flat


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("bounds")
    started = start_server(home, f"sqlite:///{home / 'ledger.db'}")
    try:
        yield started
    finally:
        stop_all([started])


def rss(pid: int) -> int:
    """The process's resident set, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@dataclass
class Exchange:
    """One request on a raw socket; the answer is read on a thread of its own, so a server that
    answers before the client has finished sending is heard."""

    sock: socket.socket
    answer: bytearray = field(default_factory=bytearray)
    reader: threading.Thread | None = None

    @classmethod
    def open(cls, server: Server, head: str) -> Exchange:
        sock = socket.create_connection((HOST, server.port), timeout=30)
        sock.sendall(head.encode())
        exchange = cls(sock)
        exchange.reader = threading.Thread(target=exchange._read, daemon=True)
        exchange.reader.start()
        return exchange

    def _read(self) -> None:
        try:
            while chunk := self.sock.recv(65536):
                self.answer += chunk
        except OSError:
            pass

    def status(self, timeout: float = 10) -> int:
        assert self.reader is not None
        self.reader.join(timeout)
        head = bytes(self.answer).split(b"\r\n", 1)[0]
        assert head.startswith(b"HTTP/1.1 "), bytes(self.answer[:200])
        return int(head.split()[1])

    def body(self) -> dict[str, object]:
        doc: dict[str, object] = orjson.loads(bytes(self.answer).split(b"\r\n\r\n", 1)[1])
        return doc

    def close(self) -> None:
        self.sock.close()


def post_head(path: str, extra: str = "Transfer-Encoding: chunked\r\n") -> str:
    return f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n{extra}\r\n"


def chunks(total: int) -> Iterator[bytes]:
    """``total`` bytes of a JSON-looking body, as HTTP/1.1 chunks, made as they are sent."""
    payload = b" " * CHUNK
    framed = f"{CHUNK:x}\r\n".encode() + payload + b"\r\n"
    for _ in range(total // CHUNK):
        yield framed
    yield b"0\r\n\r\n"


@dataclass
class Upload:
    sent: int  # bytes the server's socket took before it closed the connection
    peak_growth: int  # the most the server's RSS grew over its value before the upload
    status: int
    problem: dict[str, object]


def stream(server: Server, path: str) -> Upload:
    before = rss(server.pid)
    peak, sent = before, 0
    exchange = Exchange.open(server, post_head(path))
    try:
        for i, frame in enumerate(chunks(UPLOAD)):
            try:
                exchange.sock.sendall(frame)
            except OSError:  # the server answered and closed: it reads no further
                break
            sent += len(frame)
            if i % 16 == 0:
                peak = max(peak, rss(server.pid))
        peak = max(peak, rss(server.pid))
        return Upload(sent, peak - before, exchange.status(), exchange.body())
    finally:
        exchange.close()


@pytest.mark.parametrize(
    "path, limit",
    [("/v1/statements", MAX_BODY), ("/v1/statements/batch", MAX_BATCH_BODY)],
    ids=["single", "batch"],
)
def test_a_chunked_upload_over_the_limit_is_refused_while_it_streams_and_memory_stays_flat(
    server: Server, path: str, limit: int
) -> None:
    upload = stream(server, path)
    print(f"{path}: sent {upload.sent} B, RSS +{upload.peak_growth / MiB:.1f} MiB")
    assert upload.status == 413, upload
    assert str(upload.problem["type"]).endswith("/problems/too-large"), upload.problem
    assert upload.peak_growth < 2 * limit + SLACK, f"RSS grew {upload.peak_growth / MiB:.1f} MiB"
    # The server stopped reading soon after the limit: the client could not send the rest.
    assert upload.sent < limit + 16 * MiB < UPLOAD, upload.sent
    assert server.alive()


@pytest.mark.parametrize("path", ["/v1/statements", "/v1/statements/batch", "/v1/envelopes/verify"])
def test_a_content_length_over_the_limit_is_refused_before_the_body_is_sent(
    server: Server, path: str
) -> None:
    exchange = Exchange.open(server, post_head(path, f"Content-Length: {UPLOAD}\r\n"))
    try:
        assert exchange.status(timeout=5) == 413  # not a byte of the body was sent
        assert str(exchange.body()["detail"]).startswith("body exceeds")
        assert b"connection: close" in bytes(exchange.answer).lower()
    finally:
        exchange.close()


def log_since(server: Server, offset: int) -> str:
    return server.output.read_bytes()[offset:].decode(errors="replace")


def test_a_client_that_disconnects_mid_upload_leaves_no_traceback(server: Server) -> None:
    offset = server.output.stat().st_size
    for path in ["/v1/statements", "/v1/statements/batch", "/v1/envelopes/verify"]:
        exchange = Exchange.open(server, post_head(path, "Content-Length: 5000\r\n"))
        exchange.sock.sendall(b'{"payloadType": "')  # and then it is gone
        exchange.close()
        chunked = Exchange.open(server, post_head(path))
        chunked.sock.sendall(b"10\r\n" + b" " * 16 + b"\r\n")
        chunked.close()
    time.sleep(1.0)  # the server notices the disconnections
    assert server.alive()
    logged = log_since(server, offset)
    assert "Traceback" not in logged and "Exception" not in logged, logged


def test_a_client_that_disconnects_mid_answer_leaves_no_traceback(server: Server) -> None:
    """The OpenAPI document (far more than the small receive window the client offers) is
    being sent when the client, having read its first bytes, resets the connection."""
    offset = server.output.stat().st_size
    for _ in range(5):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: the window
        sock.settimeout(10)
        sock.connect((HOST, server.port))
        sock.sendall(f"GET /openapi.json HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
        assert sock.recv(64).startswith(b"HTTP/1.1 200")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET)
        sock.close()
    time.sleep(1.0)
    assert server.alive()
    logged = log_since(server, offset)
    assert "Traceback" not in logged and "Exception" not in logged, logged
