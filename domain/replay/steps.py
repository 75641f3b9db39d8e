"""What each applied entry changed: :class:`Step`, the field-by-field difference between two
elevator states, and the state as JSON."""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime
from enum import Enum
from itertools import compress, islice
from typing import Any

from domain.model.catalogue import Statement, public_view
from domain.model.elevator import ElevatorState


@dataclass(frozen=True)
class Step:
    """One applied entry: who said what, when, and what it changed in the elevator's state.

    ``changes`` maps a state field (``contracts[WB-1]`` for one item of a mapping,
    ``rescues[R-1].stage`` for one attribute of a record) to its (before, after) rendering;
    unchanged fields are left out. :attr:`statement` is the public view (personal fields
    removed). ``note`` says why a statement could not be applied, which can happen on the
    occurred axis when what it builds on happened after the instant.
    """

    version: int
    entry_hash: str
    type: str
    issuer: str
    signer_key_ids: tuple[str, ...]
    occurred_at: datetime
    recorded_at: datetime
    late: bool
    changes: Mapping[str, tuple[str, str]]
    _statement: Statement = field(repr=False, compare=False)
    note: str | None = None

    @functools.cached_property
    def statement(self) -> dict[str, Any]:
        """The statement's public view (catalogue.public_view), made on first use."""
        return public_view(self._statement)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "version": self.version,
            "entry_hash": self.entry_hash,
            "type": self.type,
            "issuer": self.issuer,
            "signer_key_ids": list(self.signer_key_ids),
            "occurred_at": self.occurred_at.isoformat(),
            "recorded_at": self.recorded_at.isoformat(),
            "late": self.late,
            "changes": {k: {"before": b, "after": a} for k, (b, a) in self.changes.items()},
            "statement": self.statement,
        }
        if self.note is not None:
            doc["note"] = self.note
        return doc


_FIELDS = tuple(f.name for f in fields(ElevatorState))
_ABSENT = object()


def _render(value: Any, name: str = "") -> str:
    if value is None or value is _ABSENT:
        return "—"
    if name == "visits" and isinstance(value, bool):
        return "confirmed" if value else "unconfirmed"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        parts = (
            f"{f.name}={_render(getattr(value, f.name))}"
            for f in fields(value)
            if getattr(value, f.name) is not None
        )
        return ", ".join(parts)
    if isinstance(value, frozenset):
        return ", ".join(sorted(str(v) for v in value)) or "—"
    return str(value)


def _diff(out: dict[str, tuple[str, str]], key: str, b: Any, a: Any, name: str) -> None:
    """Record ``key`` changing from ``b`` to ``a``; two records of one kind field by field."""
    if type(a) is type(b) and is_dataclass(a) and not isinstance(a, type):
        for f in fields(a):
            old, new = getattr(b, f.name), getattr(a, f.name)
            if old != new:
                out[f"{key}.{f.name}"] = (_render(old), _render(new))
    else:
        out[key] = (_render(b, name), _render(a, name))


def _changed_keys(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[list[str], list[str]]:
    """Keys of ``after`` that are new or hold another value, and keys gone from ``before``.

    Evolution copies a mapping and adds or replaces items, so the keys usually keep their order:
    then one C-level pass over keys and values (by identity) finds the candidates, which matters
    when maintenance visits pile up by the thousand. Otherwise, a plain comparison.
    """
    if len(after) >= len(before) and all(map(operator.eq, before, after)):
        moved = compress(before, map(operator.is_not, before.values(), after.values()))
        changed = [k for k in moved if before[k] != after[k]]
        return changed + list(islice(after, len(before), None)), []
    changed = [k for k, v in after.items() if before.get(k, _ABSENT) != v]
    return changed, sorted(before.keys() - after.keys())


def changes_between(before: ElevatorState, after: ElevatorState) -> dict[str, tuple[str, str]]:
    """The fields that differ, rendered; a mapping or set field per item that differs, a
    record (contract, rescue...) per attribute that differs."""
    out: dict[str, tuple[str, str]] = {}
    if before is after:
        return out
    for name in _FIELDS:
        b, a = getattr(before, name), getattr(after, name)
        if b is a:
            continue
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            changed, removed = _changed_keys(b, a)
            for key in changed:
                _diff(out, f"{name}[{key}]", b.get(key, _ABSENT), a[key], name)
            for key in removed:
                out[f"{name}[{key}]"] = (_render(b[key], name), "—")
        elif isinstance(a, frozenset) and isinstance(b, frozenset):
            for item in sorted(a - b):
                out[f"{name}[{item}]"] = ("—", "open")
            for item in sorted(b - a):
                out[f"{name}[{item}]"] = ("open", "—")
        elif b != a:
            _diff(out, name, b, a, name)
    return out


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        return sorted(str(v) for v in value)
    return str(value)


def state_summary(state: ElevatorState) -> dict[str, Any]:
    """The state as JSON; maintenance visits are counted rather than listed."""
    doc: dict[str, Any] = _jsonable(state)
    unconfirmed = sum(1 for confirmed in state.visits.values() if not confirmed)
    doc["visits"] = {"recorded": len(state.visits), "unconfirmed": unconfirmed}
    return doc
