"""Where a verifier reads a published log from: a server's HTTP API, or an export's files.

Modelled on tessera's client fetchers (client/fetcher.go: one interface, an HTTP fetcher and a
file fetcher): a source only fetches. It trusts nothing it reads and checks nothing but the
shape of what it was sent (a page holds the entries asked for, a proof is a list of base64
hashes); the signatures, the entries, the root and the consistency with what was seen before
are the reader's to check (:mod:`ledger.note`, :mod:`ledger.audit`).

Errors: :class:`Missing` when the source has no such thing (an HTTP 404, a file not there: by
contract, as tessera's fetchers return ``os.ErrNotExist``), :class:`Malformed` when what came
back is not of the shape asked for, :class:`LogSourceError` for the rest (a server unreachable
or answering another error status, a file that cannot be read).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import httpx

from ledger.export import ENTRIES_FILE, EntryLines, ExportError

#: Entries per page of ``GET /v1/log/entries``: the most a server serves per request.
MAX_PAGE = 1000


class LogSourceError(Exception):
    """What was asked could not be read from the source."""


class Missing(LogSourceError):
    """The source has no such thing: an HTTP 404, a file that is not there."""


class Malformed(LogSourceError):
    """What the source gave is not of the shape asked for."""


class LogSource(Protocol):
    """A log's entries as published, for a reader that checks them all."""

    def read_entries(self, size: int) -> Iterator[tuple[int, bytes]]:
        """The entries of the tree of ``size``, as ``(index, exact bytes)`` in the order the
        source holds them: the reader names an index missing, out of order or past ``size``.
        Raises :class:`LogSourceError` where reading stops."""
        ...


class HttpLogSource:
    """A log served over HTTP (api/log_routes.py): the verifier key, the latest signed
    checkpoint, consistency proofs, and the entries a page per request.

    ``client`` carries the server's base URL (``httpx.Client(base_url=…)``); closing it is
    the caller's.
    """

    def __init__(self, client: httpx.Client, page: int = MAX_PAGE) -> None:
        self.client, self.page = client, page

    def read_key(self) -> str:
        """The log's verifier key as the server names it (``name+keyid+base64``)."""
        return self._fetch("/v1/log/key").text.strip()

    def read_checkpoint(self) -> str:
        """The latest signed checkpoint: a C2SP signed note, not yet verified."""
        return self._fetch("/v1/log/checkpoint").text

    def read_consistency_proof(self, old: int, size: int) -> list[bytes]:
        """The hashes proving the tree of ``size`` extends the tree of ``old`` (RFC 9162
        §2.1.4), not yet verified."""
        response = self._fetch(f"/v1/log/proof/consistency?old={old}&size={size}")
        doc = _json_of(response)
        try:
            return [base64.b64decode(h, validate=True) for h in doc["proof"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise Malformed(f"{response.request.url}: malformed proof: {exc}") from exc

    def read_entries(self, size: int) -> Iterator[tuple[int, bytes]]:
        """Entries 0 to ``size - 1``, a page per request: each line of a page is an entry's
        exact bytes (canonical JSON holds no line break), so a page of ``count`` entries is
        ``count`` lines each ending in a newline."""
        index = 0
        while index < size:
            count = min(self.page, size - index)
            page = self._fetch(f"/v1/log/entries?start={index}&count={count}").content
            lines = page.split(b"\n")
            if len(lines) != count + 1 or lines[-1] != b"":
                raise Malformed(f"the server sent a malformed page of entries at {index}")
            for data in lines[:-1]:
                yield index, data
                index += 1

    def read_json(self, path: str) -> Any:
        """Another JSON document the server publishes beside its log (``path`` from its base
        URL), e.g. the trust configuration a verifier pins on first use."""
        return _json_of(self._fetch(path))

    def _fetch(self, path: str) -> httpx.Response:
        """``GET path``, which must answer 200."""
        try:
            response = self.client.get(path)
        except httpx.HTTPError as exc:
            raise LogSourceError(str(exc)) from exc
        if response.status_code != 200:
            error = Missing if response.status_code == 404 else LogSourceError
            raise error(f"GET {path} answered {response.status_code}: {response.text[:200]}")
        return response


def _json_of(response: httpx.Response) -> Any:
    """The response's JSON body; :class:`Malformed` if it is not JSON."""
    try:
        return response.json()
    except ValueError:
        raise Malformed(f"{response.request.url} answered something other than JSON") from None


class FileLogSource:
    """A log exported to files (:mod:`ledger.export`): the entries of ``entries.jsonl``, each
    line ``{"index": i, "entry": "…"}``, read as a stream (the file may be a pipe), hashed as
    it is read so that the reader can compare it with the SHA-256 the signed manifest names.
    The manifest itself is :func:`ledger.export.open_manifest`'s."""

    def __init__(self, directory: Path) -> None:
        self.lines = EntryLines(directory / ENTRIES_FILE)

    def read_entries(self, size: int) -> Iterator[tuple[int, bytes]]:
        """Every line of ``entries.jsonl`` with the index it gives: an export of the tree of
        ``size`` holds ``size`` lines, and one holding more or fewer is for the reader to name
        (``size`` is not needed to read a file to its end)."""
        try:
            yield from self.lines
        except ExportError as exc:
            cause = exc.__cause__
            if isinstance(cause, FileNotFoundError):
                raise Missing(str(exc)) from exc
            raise (LogSourceError if isinstance(cause, OSError) else Malformed)(str(exc)) from exc

    def entries_sha256(self) -> str:
        """Hex SHA-256 of ``entries.jsonl`` as read: the whole file once read to its end."""
        return self.lines.hexdigest()
