"""Regulator replay: one elevator's history as of any instant, re-verified entry by entry.

Given the entries of one elevator's chain (from the log, in version order), :func:`replay`
checks each again — well-formed and canonical, versions 1..n, ``prev`` equal to the hash of the
entry before, every envelope signature valid under the key its ``keyid`` names, a key of the
issuer among them (and, for a type that needs a co-signer, a key of the co-signer) whose
registration comes before the entry in the log and whose revocation, if any, after it
(registration and revocation count by log order, as on the write path and in ``verify``: a
``recorded_at`` dated back or ahead does not help) — and folds the statements that fall on the
chosen side of the instant through :func:`~domain.model.elevator.evolve_elevator`:

* :attr:`Axis.OCCURRED` — *as it happened by T*: statements whose ``occurred_at`` ≤ T, applied in
  chain order. A late entry (recorded after T, about something that happened before T) is in.
* :attr:`Axis.RECORDED` — *as the ledger knew it at T*: entries whose ``recorded_at`` ≤ T.

Each applied statement becomes a :class:`Step` saying what it changed; the result carries the
state at T and an :class:`AccountabilityReport`: who answered for the elevator at T, which
obligations were overdue, what was open, and for every claim the entries that prove it.

Nothing here raises for bad data: a chain that does not verify gives ``verified=False`` and a
``problem`` naming the first version that failed; the replay stops there. The only outside
access is the key lookup, a callable such as ``ElevatorLedger.key_info``, and the
:class:`LogOrder` placing entries and key registrations and revocations in the log, such as
``LedgerOrder(app, chains)``.
"""

from __future__ import annotations

from domain.replay.axes import Axis, parse_instant
from domain.replay.evidence import Evidence
from domain.replay.fold import Replay, replay
from domain.replay.log_order import BEFORE_THE_LOG, LogOrder
from domain.replay.report import AccountabilityReport, Obligation, OpenItem, Party
from domain.replay.steps import Step, state_summary
from domain.replay.verify import KeyLookup

__all__ = [
    "BEFORE_THE_LOG",
    "AccountabilityReport",
    "Axis",
    "Evidence",
    "KeyLookup",
    "LogOrder",
    "Obligation",
    "OpenItem",
    "Party",
    "Replay",
    "Step",
    "parse_instant",
    "replay",
    "state_summary",
]
