"""The desk's pure folds: the open faults and rectification orders of an elevator's entries,
whose orders are ours to complete, and a chain's keys with their revocations."""

from __future__ import annotations

from datetime import date
from typing import Any

from projections.desk import keys, names_us, open_items

US, THEM = "91430900000000001A", "91430900000000002B"


def entry(index: int, kind: str, at: str, issuer: str = THEM, **data: Any) -> dict[str, Any]:
    return {
        "log_index": index,
        "version": index,
        "type": kind,
        "issuer": issuer,
        "occurred_at": at,
        "statement": {"data": data},
    }


def test_a_fault_is_open_until_cleared_and_its_id_free_again_after() -> None:
    faults, _ = open_items(
        [
            entry(1, "fault.reported", "2026-01-01T08:00:00+08:00", fault_id="F1", code="02"),
            entry(2, "fault.reported", "2026-01-02T08:00:00+08:00", fault_id="F2", code="11"),
            entry(3, "fault.cleared", "2026-01-03T08:00:00+08:00", fault_id="F1"),
            entry(4, "fault.reported", "2026-01-04T08:00:00+08:00", fault_id="F1", code="03"),
        ]
    )
    assert sorted((f.fault_id, f.code) for f in faults) == [("F1", "03"), ("F2", "11")]


def test_folded_in_the_order_they_occurred_not_logged() -> None:
    cleared_later_logged_first = [
        entry(2, "fault.cleared", "2026-01-03T00:00:00Z", fault_id="F1"),
        entry(1, "fault.reported", "2026-01-01T00:00:00Z", fault_id="F1", code="02"),
    ]
    assert open_items(cleared_later_logged_first)[0] == []


def test_orders_open_until_completed_and_whose_they_are() -> None:
    _, orders = open_items(
        [
            entry(
                1,
                "rectification.ordered",
                "2026-01-01T00:00:00Z",
                order_id="Z1",
                items=["a"],
                deadline="2026-02-01",
                responsible=US,
            ),
            entry(
                2,
                "rectification.ordered",
                "2026-01-01T00:00:00Z",
                order_id="Z2",
                items=["b"],
                deadline="2026-02-01",
            ),
            entry(
                3,
                "rectification.ordered",
                "2026-01-01T00:00:00Z",
                order_id="Z3",
                items=["c"],
                deadline="2026-02-01",
                responsible=THEM,
            ),
            entry(4, "rectification.completed", "2026-01-05T00:00:00Z", order_id="Z3"),
        ]
    )
    by_id = {o.order_id: o for o in orders}
    assert set(by_id) == {"Z1", "Z2"} and by_id["Z1"].deadline == date(2026, 2, 1)
    assert names_us(by_id["Z1"], US, ())  # named: ours whatever our role
    assert names_us(by_id["Z2"], US, ("maintenance_unit",))  # unnamed: the parties'
    assert not names_us(by_id["Z2"], US, ("insurer",))
    assert not names_us(by_id["Z1"], THEM, ("use_unit",))  # named someone else


def test_keys_with_their_revocations() -> None:
    found = keys(
        [
            entry(
                1,
                "key.registered",
                "2026-01-01T00:00:00Z",
                key_id="k1",
                algorithm="ed25519",
                public_key="P1",
            ),
            entry(
                2,
                "key.registered",
                "2026-01-02T00:00:00Z",
                key_id="k2",
                algorithm="ed25519",
                public_key="P2",
                bound_elevator="311023010201500098",
            ),
            entry(3, "key.revoked", "2026-01-03T00:00:00Z", key_id="k1", reason="lost"),
        ]
    )
    assert [(k.key_id, k.revoked_index, k.revoke_reason, k.bound_elevator) for k in found] == [
        ("k1", 3, "lost", None),
        ("k2", None, None, "311023010201500098"),
    ]
