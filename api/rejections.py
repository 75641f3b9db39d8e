"""A rejected statement as the RFC 9457 problem document the ledger answers with: the write
routes raise it, and ``elevator-ledger submit`` reports a batch's rejections with it whether it
submitted directly or over HTTP (the server's batch answer carries the same documents)."""

from __future__ import annotations

from api.problems import Problem
from domain.model.errors import Rejected


def problem_of(exc: Rejected) -> Problem:
    """The problem document of a rejection: its status, type, title, detail and any members
    it adds (the rule broken, the chain head…)."""
    return Problem(exc.status, exc.slug, exc.title, exc.detail, **exc.extra)
