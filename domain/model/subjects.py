"""The reference to a chain's subject, as every ledger entry carries it: ``elevator:<equipment
code>`` or ``organization:<USCC>``.

The log itself never reads an entry's ``subject`` (ledger/ knows no elevators); the domain does,
to find a chain, to check that an entry belongs to the elevator replayed, to query a read model.
:class:`SubjectRef` is the one place that wire form is built (``str(ref)``) and read
(:meth:`SubjectRef.parse`), so the form cannot drift between the modules that use it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from domain.model.catalogue import Subject


class SubjectError(ValueError):
    """Text that is not a subject reference (a ``ValueError``, as a bad form always was)."""


@dataclass(frozen=True, slots=True)
class SubjectRef:
    """Which chain: an elevator by equipment code, or an organization by USCC."""

    kind: Subject
    id: str

    @classmethod
    def elevator(cls, equipment_code: str) -> SubjectRef:
        return cls(Subject.ELEVATOR, equipment_code)

    @classmethod
    def organization(cls, uscc: str) -> SubjectRef:
        return cls(Subject.ORGANIZATION, uscc)

    @staticmethod
    def parse(text: str) -> SubjectRef:
        """The reference an entry's ``subject`` field holds; raises :class:`SubjectError`.

        Cached: the write path and the audits parse the same few subjects again and again.
        """
        return _parse(text)

    def __str__(self) -> str:
        """The wire form, as in an entry's ``subject`` field."""
        return f"{self.kind.value}:{self.id}"


_KINDS = {kind.value: kind for kind in Subject}


@functools.lru_cache(maxsize=65536)
def _parse(text: str) -> SubjectRef:
    kind, colon, ident = text.partition(":")
    if colon and ident and kind in _KINDS:
        return SubjectRef(_KINDS[kind], ident)
    raise SubjectError(
        f"not a subject reference: {text!r} (expected elevator:<equipment code> or"
        " organization:<USCC>)"
    )
