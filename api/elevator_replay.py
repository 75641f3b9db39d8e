"""Replaying one elevator as of an instant: its chain read from the log, then the pure replay
fold (:mod:`domain.replay`) with the key index and the log's order. What the regulators' replay
route serves and ``elevator-ledger replay`` prints."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from domain.application.log_order import LedgerOrder
from domain.model.subjects import SubjectRef
from domain.replay import Axis, Replay, replay

if TYPE_CHECKING:
    from api.node import LedgerNode


def chain_entries(node: LedgerNode, equipment_code: str) -> list[str]:
    """The elevator's chain entries in version order, from the log (the event store only says
    where they are: ``domain.application.log_chains``); [] if unknown. Raises ``ChainFault``."""
    chains = node.chains()
    return [e.data.decode() for e in chains.entries(str(SubjectRef.elevator(equipment_code)))]


def replay_elevator(
    node: LedgerNode, equipment_code: str, as_of: datetime, axis: Axis | str
) -> Replay | None:
    """Replay one elevator from its chain in the log, the key index and the log order; None
    if it has no chain. Raises ``ChainFault`` where the log and the event store disagree."""
    entries = chain_entries(node, equipment_code)
    if not entries:
        return None
    return replay(
        entries,
        as_of,
        axis,
        node.app.key_info,
        order=LedgerOrder(node.app, node.chains()),
        equipment_code=equipment_code,
    )
