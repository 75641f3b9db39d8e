"""The read models: entries, elevator status and identifiers, responsibility timeline,
organizations. Each is a :class:`~projections.runner.Projection` over log entries."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from domain.model.catalogue import (
    ConstructionCompleted,
    ConstructionNotified,
    InspectionConcluded,
    InspectionKind,
    InsurancePolicyIssued,
    MaintenanceContractEnded,
    MaintenanceContractSigned,
    OrgLicenceGranted,
    OrgLicenceRevoked,
    OrgRegistered,
    OrgRoleGranted,
    OrgRoleRevoked,
    RegistrationChanged,
    RegistrationIssued,
    RescueCodeAssigned,
    Statement,
    Subject,
    public_view,
)
from domain.model.identifiers import IdentifierKind
from ledger.instant import offset_seconds
from projections.runner import LoggedEntry
from projections.schema import elevators, entries, identifiers, organizations, responsibilities
from projections.status import ElevatorStatus, Fold, FoldedEntry, from_json, to_json

#: Reads an elevator's chain entries up to a version from the log: (log index, entry bytes), in
#: version order (``domain.application.log_chains``: never from the event store).
ChainReader = Callable[[str, int], Iterable[tuple[int, bytes]]]


class EntriesProjection:
    """Every entry as the public may see it (personal fields removed)."""

    name = "entries"

    def apply(self, conn: Connection, items: Sequence[LoggedEntry]) -> None:
        rows = [
            {
                "log_index": e.index,
                "entry_hash": e.hash,
                "subject": e.entry.subject,
                "version": e.entry.version,
                "type": e.statement.type,
                "issuer": e.statement.issuer,
                "signers": e.signer_key_ids,
                "occurred_at": e.statement.occurred_at,
                "occurred_offset": offset_seconds(e.statement.occurred_at),
                "recorded_at": e.recorded_at,
                "late": e.late,
                "public": public_view(e.statement),
            }
            for e in items
        ]
        if rows:
            conn.execute(insert(entries), rows)

    def reset(self, conn: Connection) -> None:
        conn.execute(delete(entries))


class ElevatorsProjection:
    """One status row per elevator, and every identifier that finds it.

    The fold of each elevator (domain state + status) is kept in memory between
    batches; when this process has not seen an elevator's earlier versions (after
    a restart, or when another runner advanced the model) it replays that
    elevator's chain once through ``read_chain``, from the log's entries.
    """

    name = "elevators"

    def __init__(self, read_chain: ChainReader, cache_size: int = 50_000) -> None:
        self.read_chain, self.cache_size = read_chain, cache_size
        self._folds: OrderedDict[str, Fold] = OrderedDict()

    def apply(self, conn: Connection, items: Sequence[LoggedEntry]) -> None:
        touched: dict[str, Fold] = {}
        for e in items:
            if e.statement.statement_type.subject is not Subject.ELEVATOR:
                continue
            code = e.statement.subject_id
            fold = touched.get(code) or self._fold(code, e.entry.version)
            if fold.is_backdated(e.statement):  # re-read the chain, fold it in occurred order
                fold = self._refold(code, e)
            else:
                fold.apply(e.statement, e.entry.version, e.hash, e.index, e.recorded_at, e.late)
            touched[code] = fold
            self._aliases(conn, code, e.statement)
        for code, fold in touched.items():
            self._save(conn, code, fold.status)
            self._remember(code, fold)

    def reset(self, conn: Connection) -> None:
        conn.execute(delete(elevators))
        conn.execute(delete(identifiers))
        self._folds.clear()

    def _fold(self, code: str, version: int) -> Fold:
        fold = self._folds.get(code)
        if fold is not None and fold.version == version - 1:
            return fold
        return Fold.refolded(code, self._chain(code, version - 1))

    def _chain(self, code: str, version: int) -> list[FoldedEntry]:
        """The elevator's entries up to ``version``, from the log through ``read_chain``."""
        chain = []
        for v, (index, data) in enumerate(self.read_chain(code, version), start=1):
            e = LoggedEntry(index, data)
            chain.append(FoldedEntry(e.statement, v, e.hash, index, e.recorded_at, e.late))
        return chain

    def _refold(self, code: str, e: LoggedEntry) -> Fold:
        """The fold with the back-dated entry ``e``: the chain before it re-read from the log
        (which holds every entry being projected), then all folded in occurred order."""
        version = e.entry.version
        chain = self._chain(code, version - 1)
        chain.append(FoldedEntry(e.statement, version, e.hash, e.index, e.recorded_at, e.late))
        return Fold.refolded(code, chain)

    def _remember(self, code: str, fold: Fold) -> None:
        self._folds[code] = fold
        self._folds.move_to_end(code)
        while len(self._folds) > self.cache_size:
            self._folds.popitem(last=False)

    @staticmethod
    def _save(conn: Connection, code: str, s: ElevatorStatus) -> None:
        row = {
            "lifecycle": s.lifecycle,
            "district": s.district,
            "use_unit": s.use_unit,
            "maintenance_unit": s.maintenance_unit,
            "contract_valid_to": s.contract_valid_to,
            "next_maintenance_due": s.next_maintenance_due,
            "next_inspection_due": s.next_inspection_due,
            "insured_until": s.insured_until,
            "in_use_since": s.in_use_since,
            "assessed_on": s.assessed_on,
            "open_hazards": s.open_hazards,
            "late_entries": s.late_entries,
            "status": to_json(s),
        }
        if (
            conn.execute(update(elevators).where(elevators.c.equipment_code == code), row).rowcount
            == 0
        ):
            conn.execute(insert(elevators).values(equipment_code=code, **row))

    @staticmethod
    def _aliases(conn: Connection, code: str, stmt: Statement) -> None:
        data = stmt.parsed_data()
        found: list[tuple[str, IdentifierKind]] = []
        if stmt.type == "elevator.manufactured":
            found.append((code, IdentifierKind.EQUIPMENT_CODE))
        if isinstance(data, RegistrationIssued | RegistrationChanged):
            found += [
                (data.registration_code, IdentifierKind.REGISTRATION_CODE),
                (data.certificate_number, IdentifierKind.USE_CERTIFICATE_NUMBER),
            ]
        if isinstance(data, RescueCodeAssigned):
            found.append((data.rescue_code, IdentifierKind.RESCUE_CODE))
        for ident, kind in found:
            conn.execute(delete(identifiers).where(identifiers.c.identifier == ident))
            conn.execute(
                insert(identifiers).values(identifier=ident, kind=str(kind), equipment_code=code)
            )


class ResponsibilityProjection:
    """Who held each role for an elevator over which interval."""

    name = "responsibilities"

    def apply(self, conn: Connection, items: Sequence[LoggedEntry]) -> None:
        for e in items:
            stmt = e.statement
            if stmt.statement_type.subject is not Subject.ELEVATOR:
                continue
            for change in _responsibility_changes(stmt):
                self._change(conn, stmt.subject_id, e.index, *change)

    def reset(self, conn: Connection) -> None:
        conn.execute(delete(responsibilities))

    @staticmethod
    def _change(
        conn: Connection,
        code: str,
        index: int,
        role: str,
        org: str | None,
        start: datetime,
        end: datetime | None,
        exclusive: bool,
    ) -> None:
        """Open an interval for ``org`` (closing the role's open one if the role is held by
        one organization at a time), or close ``role``'s open interval when ``org`` is None."""
        r = responsibilities.c
        if exclusive or org is None:
            conn.execute(
                update(responsibilities)
                .where(
                    r.equipment_code == code,
                    r.role == role,
                    (r.valid_to.is_(None)) | (r.valid_to > start),
                    r.valid_from <= start,
                )
                .values(
                    valid_to=start, valid_to_offset=offset_seconds(start), until_log_index=index
                )
            )
        if org is not None:
            conn.execute(
                insert(responsibilities).values(
                    equipment_code=code,
                    role=role,
                    organization=org,
                    valid_from=start,
                    valid_from_offset=offset_seconds(start),
                    valid_to=end,
                    valid_to_offset=None if end is None else offset_seconds(end),
                    since_log_index=index,
                    until_log_index=None,
                )
            )


def _day_start(day: Any, like: datetime) -> datetime:
    return datetime.combine(day, time.min, tzinfo=like.tzinfo)


def _responsibility_changes(
    stmt: Statement,
) -> list[tuple[str, str | None, datetime, datetime | None, bool]]:
    """(role, organization or None to close, from, to, one-at-a-time) for one statement."""
    data, at, issuer = stmt.parsed_data(), stmt.occurred_at, stmt.issuer
    if stmt.type == "elevator.manufactured":
        return [("manufacturer", issuer, at, None, True)]
    if isinstance(data, ConstructionNotified):
        return [("construction_unit", issuer, at, None, True)]
    if isinstance(data, ConstructionCompleted):
        return [("construction_unit", None, at, None, True)]
    if isinstance(data, RegistrationIssued | RegistrationChanged):
        return [("use_unit", data.use_unit, at, None, True)]
    if stmt.type in ("registration.cancelled", "elevator.scrapped"):
        return [("use_unit", None, at, None, True), ("maintenance_unit", None, at, None, True)]
    if isinstance(data, MaintenanceContractSigned):
        start = _day_start(data.valid_from, at)
        return [
            (
                "maintenance_unit",
                data.maintenance_unit,
                start,
                _day_start(data.valid_to + timedelta(days=1), at),
                True,
            )
        ]
    if isinstance(data, MaintenanceContractEnded):
        return [
            ("maintenance_unit", None, _day_start(at.date() + timedelta(days=1), at), None, True)
        ]
    if isinstance(data, InspectionConcluded) and data.kind != InspectionKind.SELF_TEST:
        return [("inspection_institute", issuer, at, None, True)]
    if isinstance(data, InsurancePolicyIssued):
        return [
            (
                "insurer",
                issuer,
                _day_start(data.valid_from, at),
                _day_start(data.valid_to + timedelta(days=1), at),
                False,
            )
        ]
    return []


class OrganizationsProjection:
    """Organizations' public profile: name, district, roles, licences.

    Folded in the order the statements occurred, as the write path's organization state is
    (domain.model.timeline): a statement dated before one already folded (a grant back-dated
    before a revocation) has the profile rebuilt from the organization's chain, read through
    ``read_chain`` (USCC, up to version); so does the first statement this process sees of an
    organization it has not seen since it started, if it has a ``read_chain``.
    """

    name = "organizations"

    def __init__(self, read_chain: ChainReader | None = None) -> None:
        self.read_chain = read_chain
        self._latest: dict[str, datetime] = {}  # USCC -> latest occurred_at folded

    def apply(self, conn: Connection, items: Sequence[LoggedEntry]) -> None:
        for e in items:
            stmt = e.statement
            if stmt.statement_type.subject is not Subject.ORGANIZATION:
                continue
            uscc = stmt.subject_id
            row = conn.execute(select(organizations).where(organizations.c.uscc == uscc)).first()
            latest = self._latest.get(uscc)
            if (
                self.read_chain is not None
                and e.entry.version > 1
                and (latest is None or stmt.occurred_at < latest)
            ):
                updated = self._refolded(uscc, e)
            else:
                current = (
                    _NO_PROFILE
                    if row is None
                    else {
                        "name": row.name,
                        "district": row.district,
                        "roles": dict(row.roles),
                        "licences": dict(row.licences),
                    }
                )
                updated = _organization(current, stmt)
                if latest is None or stmt.occurred_at > latest:
                    self._latest[uscc] = stmt.occurred_at
            if row is None:
                conn.execute(insert(organizations).values(uscc=stmt.subject_id, **updated))
            else:
                conn.execute(
                    update(organizations)
                    .where(organizations.c.uscc == stmt.subject_id)
                    .values(**updated)
                )

    def reset(self, conn: Connection) -> None:
        conn.execute(delete(organizations))
        self._latest.clear()

    def _refolded(self, uscc: str, e: LoggedEntry) -> dict[str, Any]:
        """The profile from the organization's whole chain up to ``e``, in occurred order."""
        assert self.read_chain is not None
        chain = [LoggedEntry(i, d) for i, d in self.read_chain(uscc, e.entry.version - 1)]
        chain.append(e)
        profile = _NO_PROFILE
        for c in sorted(chain, key=lambda c: (c.statement.occurred_at, c.entry.version)):
            profile = _organization(profile, c.statement)
        self._latest[uscc] = max(c.statement.occurred_at for c in chain)
        return profile


_NO_PROFILE: dict[str, Any] = {"name": None, "district": None, "roles": {}, "licences": {}}


def _organization(current: dict[str, Any], stmt: Statement) -> dict[str, Any]:
    data, on = stmt.parsed_data(), stmt.occurred_at.date().isoformat()
    out = dict(current)
    if isinstance(data, OrgRegistered):
        out.update(name=data.name, district=data.district)
    elif isinstance(data, OrgRoleGranted):
        out["roles"] = {
            **out["roles"],
            str(data.role): {
                "from": data.valid_from.isoformat(),
                "to": data.valid_to.isoformat() if data.valid_to else None,
            },
        }
    elif isinstance(data, OrgRoleRevoked):
        roles = dict(out["roles"])
        if str(data.role) in roles:
            roles[str(data.role)] = {**roles[str(data.role)], "to": on}
        out["roles"] = roles
    elif isinstance(data, OrgLicenceGranted):
        out["licences"] = {
            **out["licences"],
            data.number: {
                "kind": str(data.kind),
                "scope": [str(c) for c in data.scope],
                "from": data.valid_from.isoformat(),
                "to": data.valid_to.isoformat(),
            },
        }
    elif isinstance(data, OrgLicenceRevoked) and data.number in out["licences"]:
        out["licences"] = {
            **out["licences"],
            data.number: {**out["licences"][data.number], "revoked": on},
        }
    return out


def load_status(row: Any) -> ElevatorStatus:
    return from_json(dict(row.status))
