"""A small HTTP/1.1 load generator: N keep-alive connections POSTing pre-made bodies.

Written on asyncio streams so the client costs little next to the server it
measures (one process; the server under test gets the other core).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    statuses: dict[int, int]
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


async def _connection(
    host: str,
    port: int,
    requests: list[bytes],
    start: int,
    step: int,
    statuses: Counter[int],
    latencies: list[float],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for i in range(start, len(requests), step):
            began = time.perf_counter()
            writer.write(requests[i])
            await writer.drain()
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            statuses[int(status_line.split()[1])] += 1
            latencies.append(time.perf_counter() - began)
    finally:
        writer.close()


def _run(host: str, port: int, requests: list[bytes], clients: int) -> LoadResult:
    statuses: Counter[int] = Counter()
    latencies: list[float] = []

    async def run() -> None:
        await asyncio.gather(
            *(
                _connection(host, port, requests, c, clients, statuses, latencies)
                for c in range(clients)
            )
        )

    start = time.perf_counter()
    asyncio.run(run())
    return LoadResult(len(requests), time.perf_counter() - start, dict(statuses), latencies)


def post_all(host: str, port: int, path: str, bodies: list[bytes], clients: int = 32) -> LoadResult:
    """POST every body once over ``clients`` concurrent connections; time the whole run."""
    requests = [
        b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (path.encode(), host.encode(), len(body), body)
        for body in bodies
    ]
    return _run(host, port, requests, clients)


def get_all(host: str, port: int, paths: list[str], clients: int = 32) -> LoadResult:
    """GET every path once over ``clients`` concurrent connections."""
    requests = [b"GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (p.encode(), host.encode()) for p in paths]
    return _run(host, port, requests, clients)
