"""A log entry's personal values, revealed and checked against the digests the signer signed.

The one place personal values leave the ledger: ``GET /v1/regulator/entries/{index}`` (a
bearer token) and the console's reveal (``POST /console/entries/{index}/reveal``, a signed-in
member of a bureau's staff) both ask :func:`reveal`. The public entry holds only salted digests
of personal fields; the disclosures are kept in the chain event beside the entry, and each one
must hash to a digest of the entry read from the log, so the values shown are provably the ones
the signer committed to. A disclosure that is missing, unreadable or does not match is a
:class:`NotRevealed` (HTTP 409 on both sides) and nothing is shown. Recording the read is the
caller's (api/personal_reads.py), after this succeeds and before anything is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.node import LedgerNode
from domain.application.elevator_ledger import UnreadableEvent
from domain.model.catalogue import Statement, public_view
from domain.model.personal import revealed_data
from domain.model.subjects import SubjectError
from domain.model.submission import statement_of
from ledger.disclosure import DisclosureError, fields_at
from ledger.entry import Entry


class NotRevealed(Exception):
    """The personal values cannot be shown: ``slug`` names why (a problem type)."""

    def __init__(self, slug: str, title: str, detail: str, log_index: int) -> None:
        super().__init__(detail)
        self.slug, self.title, self.detail, self.log_index = slug, title, detail, log_index


@dataclass(frozen=True)
class LoggedStatement:
    """An entry as the log holds it, and the statement it carries."""

    index: int
    entry: Entry
    statement: Statement

    @classmethod
    def of(cls, index: int, data: bytes) -> LoggedStatement:
        return cls(index, Entry.from_bytes(data), statement_of(data.decode()))

    @property
    def where(self) -> str:
        return f"entry {self.index} ({self.entry.subject} version {self.entry.version})"

    def personal_locations(self) -> list[str]:
        """Where the statement holds a (concealed) personal field: ``technicians[0].name``…"""
        paths = self.statement.statement_type.personal_fields
        return [loc for loc, *_ in fields_at(self.statement.data, paths)]


@dataclass(frozen=True)
class Revealed:
    """The statement with its personal values, and the disclosures they were checked from."""

    logged: LoggedStatement
    data: dict[str, Any]
    disclosures: list[str]

    @property
    def statement(self) -> dict[str, Any]:
        dumped = self.logged.statement.model_dump(mode="json", exclude_none=True)
        return dumped | {"data": self.data}

    @property
    def public_statement(self) -> dict[str, Any]:
        return public_view(self.logged.statement)

    def values(self) -> list[tuple[str, Any]]:
        """(location, value) of every personal field, in the catalogue's order."""
        paths = self.logged.statement.statement_type.personal_fields
        return [(loc, value) for loc, _name, _parent, value in fields_at(self.data, paths)]


def reveal(node: LedgerNode, logged: LoggedStatement) -> Revealed:
    """The entry's personal values from the disclosures stored beside it, each checked against
    the signed digests in the log's entry; :class:`NotRevealed` if they are missing, unreadable
    or do not match (blocking: call it from a worker thread in an async route)."""
    entry, where, index = logged.entry, logged.where, logged.index
    try:
        disclosures = node.app.disclosures_of(entry.subject, entry.version)
    except (KeyError, SubjectError):  # no stored event beside it (deleted, or no chain's)
        raise NotRevealed(
            "disclosures-missing",
            "The stored disclosures are missing",
            f"{where}: the event store holds no event beside this log entry, so no"
            " personal values can be shown",
            index,
        ) from None
    except UnreadableEvent as exc:  # the stored event's row was damaged or edited
        raise NotRevealed(
            "disclosures-unreadable",
            "The stored disclosures cannot be read",
            f"{where}: {exc}; no personal values are shown",
            index,
        ) from None
    try:  # checked against the digests in the signed entry from the log
        data = revealed_data(logged.statement, disclosures)
    except DisclosureError as exc:  # the stored event was tampered with
        raise NotRevealed(
            "disclosures-mismatch",
            "The stored disclosures do not match the signed entry",
            f"{where}: {exc}; no personal values are shown",
            index,
        ) from exc
    return Revealed(logged, data, list(disclosures))
