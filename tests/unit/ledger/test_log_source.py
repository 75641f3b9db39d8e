"""Where a verifier reads a log from (ledger/log_source.py): a server's HTTP API or an export's
files. A source fetches and checks only the shape of what it was sent; it says which of three
ways a read failed: the thing is missing, what came back is malformed, or reading failed."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from pathlib import Path

import httpx
import orjson
import pytest

from ledger.export import ENTRIES_FILE
from ledger.log_source import (
    FileLogSource,
    HttpLogSource,
    LogSource,
    LogSourceError,
    Malformed,
    Missing,
)

BASE = "http://ledger.test"
ENTRIES = [b'{"n":%d}' % i for i in range(5)]


def serving(handler: Callable[[httpx.Request], httpx.Response], page: int = 1000) -> HttpLogSource:
    return HttpLogSource(
        httpx.Client(base_url=BASE, transport=httpx.MockTransport(handler)), page=page
    )


def log_server(requests: list[str]) -> Callable[[httpx.Request], httpx.Response]:
    """A log of ENTRIES, answering as api/log_routes.py does; every request path recorded."""

    def handle(request: httpx.Request) -> httpx.Response:
        target = request.url.raw_path.decode()
        requests.append(target)
        if request.url.path == "/v1/log/entries":
            start, count = int(request.url.params["start"]), int(request.url.params["count"])
            return httpx.Response(200, content=b"".join(e + b"\n" for e in ENTRIES[start:][:count]))
        if target == "/v1/log/key":
            return httpx.Response(200, text="example.org/log+0a1b2c3d+AAAA\n")
        if target == "/v1/log/checkpoint":
            return httpx.Response(200, text="example.org/log\n5\nroot\n\n— sig\n")
        return httpx.Response(404, text="no such thing")

    return handle


def answering(status: int, content: bytes) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(status, content=content)


def every_entry(source: LogSource, size: int) -> list[tuple[int, bytes]]:
    return list(source.read_entries(size))


# --- over HTTP ---------------------------------------------------------------------------


def test_the_key_and_the_checkpoint_are_read_as_served() -> None:
    source = serving(log_server([]))
    assert source.read_key() == "example.org/log+0a1b2c3d+AAAA"
    assert source.read_checkpoint() == "example.org/log\n5\nroot\n\n— sig\n"


def test_entries_are_read_a_page_per_request_each_its_exact_bytes() -> None:
    requests: list[str] = []
    source = serving(log_server(requests), page=2)
    assert every_entry(source, 5) == list(enumerate(ENTRIES))
    assert requests == [
        "/v1/log/entries?start=0&count=2",
        "/v1/log/entries?start=2&count=2",
        "/v1/log/entries?start=4&count=1",
    ]


def test_an_empty_tree_needs_no_request() -> None:
    requests: list[str] = []
    assert every_entry(serving(log_server(requests)), 0) == []
    assert requests == []


def test_a_page_with_an_entry_short_is_malformed_naming_where_it_starts() -> None:
    def short(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params["start"])
        return httpx.Response(200, content=b"".join(e + b"\n" for e in ENTRIES[start:][:1]))

    entries = serving(short, page=2).read_entries(4)
    with pytest.raises(Malformed) as raised:
        next(entries)
    assert str(raised.value) == "the server sent a malformed page of entries at 0"


def test_a_page_cut_off_mid_line_is_malformed() -> None:
    truncated = b"".join(e + b"\n" for e in ENTRIES[:2])[:-1]
    with pytest.raises(Malformed, match="malformed page of entries at 0"):
        every_entry(serving(answering(200, truncated)), 2)


def test_the_entries_of_the_pages_before_a_bad_one_are_read_first() -> None:
    def second_page_short(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params["start"])
        count = 2 if start == 0 else 1
        return httpx.Response(200, content=b"".join(e + b"\n" for e in ENTRIES[start:][:count]))

    entries = serving(second_page_short, page=2).read_entries(4)
    assert [next(entries), next(entries)] == [(0, ENTRIES[0]), (1, ENTRIES[1])]
    with pytest.raises(Malformed) as raised:
        next(entries)
    assert str(raised.value) == "the server sent a malformed page of entries at 2"


def test_an_error_status_fails_naming_the_request_and_the_answer() -> None:
    source = serving(answering(503, b"no checkpoint yet"))
    with pytest.raises(LogSourceError) as raised:
        source.read_checkpoint()
    assert str(raised.value) == "GET /v1/log/checkpoint answered 503: no checkpoint yet"
    assert not isinstance(raised.value, (Missing, Malformed))


def test_a_404_is_missing() -> None:
    with pytest.raises(Missing) as raised:
        serving(log_server([])).read_json("/v1/trust")
    assert str(raised.value) == "GET /v1/trust answered 404: no such thing"


def test_only_200_is_an_answer() -> None:
    with pytest.raises(LogSourceError, match="answered 204"):
        serving(answering(204, b"")).read_key()


def test_a_server_out_of_reach_fails_with_what_the_client_said() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(LogSourceError) as raised:
        serving(refuse).read_checkpoint()
    assert str(raised.value) == "connection refused"
    assert isinstance(raised.value.__cause__, httpx.ConnectError)


def test_a_consistency_proof_is_decoded_from_base64() -> None:
    hashes = [bytes([i]) * 32 for i in range(3)]
    doc = {"old": 2, "size": 5, "proof": [base64.b64encode(h).decode() for h in hashes]}
    requests: list[str] = []

    def prove(request: httpx.Request) -> httpx.Response:
        requests.append(request.url.raw_path.decode())
        return httpx.Response(200, content=orjson.dumps(doc))

    assert serving(prove).read_consistency_proof(2, 5) == hashes
    assert requests == ["/v1/log/proof/consistency?old=2&size=5"]


@pytest.mark.parametrize(
    "doc", [{"proof": ["not base64!"]}, {"hashes": []}, {"proof": [1]}, ["a list"]]
)
def test_a_proof_that_is_not_a_list_of_base64_hashes_is_malformed(doc: object) -> None:
    source = serving(answering(200, orjson.dumps(doc)))
    with pytest.raises(Malformed) as raised:
        source.read_consistency_proof(2, 5)
    assert str(raised.value).startswith(
        f"{BASE}/v1/log/proof/consistency?old=2&size=5: malformed proof: "
    )


def test_an_answer_that_is_not_json_is_malformed() -> None:
    source = serving(answering(200, b"<html>"))
    with pytest.raises(Malformed) as raised:
        source.read_json("/v1/trust")
    assert str(raised.value) == f"{BASE}/v1/trust answered something other than JSON"


# --- from an export's files --------------------------------------------------------------


def exported(directory: Path, lines: list[bytes]) -> FileLogSource:
    directory.mkdir(exist_ok=True)
    (directory / ENTRIES_FILE).write_bytes(b"".join(lines))
    return FileLogSource(directory)


def line(index: int, entry: bytes) -> bytes:
    return orjson.dumps({"index": index, "entry": entry.decode()}) + b"\n"


def test_an_exports_entries_are_read_with_the_index_each_line_gives(tmp_path: Path) -> None:
    lines = [line(0, ENTRIES[0]), line(2, ENTRIES[2]), line(1, ENTRIES[1])]
    source = exported(tmp_path, lines)
    assert every_entry(source, 3) == [(0, ENTRIES[0]), (2, ENTRIES[2]), (1, ENTRIES[1])]
    assert source.entries_sha256() == hashlib.sha256(b"".join(lines)).hexdigest()


def test_every_line_is_read_whatever_the_size(tmp_path: Path) -> None:
    """An export holding more entries than its checkpoint is for the reader to name."""
    source = exported(tmp_path, [line(i, e) for i, e in enumerate(ENTRIES)])
    assert len(every_entry(source, 2)) == len(ENTRIES)


def test_an_export_without_its_entries_is_missing(tmp_path: Path) -> None:
    with pytest.raises(Missing) as raised:
        every_entry(FileLogSource(tmp_path), 1)
    assert str(raised.value) == f"cannot read {tmp_path / ENTRIES_FILE}: No such file or directory"


def test_an_entries_file_that_cannot_be_read_fails(tmp_path: Path) -> None:
    (tmp_path / ENTRIES_FILE).mkdir()
    with pytest.raises(LogSourceError) as raised:
        every_entry(FileLogSource(tmp_path), 1)
    assert str(raised.value) == f"cannot read {tmp_path / ENTRIES_FILE}: Is a directory"
    assert not isinstance(raised.value, (Missing, Malformed))


def test_a_line_that_is_not_an_entry_is_malformed_after_the_lines_before_it(
    tmp_path: Path,
) -> None:
    source = exported(tmp_path, [line(0, ENTRIES[0]), b'{"index": 1}\n'])
    entries = source.read_entries(2)
    assert next(entries) == (0, ENTRIES[0])
    with pytest.raises(Malformed, match=f"{ENTRIES_FILE} line 2 is not"):
        next(entries)


def test_a_truncated_export_line_is_malformed(tmp_path: Path) -> None:
    source = exported(tmp_path, [line(0, ENTRIES[0])[:-5]])
    with pytest.raises(Malformed, match=f"{ENTRIES_FILE} line 1 is not JSON"):
        every_entry(source, 1)
