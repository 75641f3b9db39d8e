"""The desk's log of rejected submissions: only refusals whose signatures verified are filed,
under each signing organization; 5xx and unattributed refusals never; at most ``keep`` rows
and none older than ``keep_for`` per issuer, the rest deleted as new ones are filed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from api.auth import metadata
from api.rejection_log import MAX_DETAIL, RejectionLog, rows_of
from domain.model.errors import (
    Attribution,
    BadSignature,
    Conflict,
    InvalidStatement,
    NotAuthorized,
    Rejected,
    RuleBroken,
)

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
A, B = "91430900000000001A", "91430900000000002B"


def signed_by(exc: Rejected, *owners: str, type_: str = "fault.cleared") -> Rejected:
    exc.attribution = Attribution(
        tuple((o, f"key-of-{o}") for o in owners), type_, "elevator:311023010201500098", "n1"
    )
    return exc


@pytest.fixture
def log(tmp_path: Path) -> RejectionLog:
    engine = create_engine(f"sqlite:///{tmp_path / 'api.db'}")
    metadata.create_all(engine)
    return RejectionLog(engine, keep=3, keep_for=timedelta(days=30))


def test_only_attributed_refusals_below_500_give_rows() -> None:
    rows = rows_of(
        [
            signed_by(RuleBroken("fault-not-open", "no open fault F-1"), A),
            BadSignature("does not verify"),  # nobody's
            signed_by(Conflict("retry"), A),  # the server's, not the statement's
            "not a refusal at all",
        ],
        T0,
    )
    assert [(r["issuer"], r["rule"], r["status"], r["problem_type"]) for r in rows] == [
        (A, "fault-not-open", 422, "rule-violation")
    ]
    assert rows[0]["key_id"] == f"key-of-{A}" and rows[0]["subject"].startswith("elevator:")


def test_a_cosigned_refusal_is_filed_under_each_signer_once() -> None:
    exc = NotAuthorized("cosignature-required", "must also be signed by use_unit")
    exc.attribution = Attribution(((A, "k1"), (B, "k2"), (A, "k3")), "x", None, None)
    assert [(r["issuer"], r["key_id"]) for r in rows_of([exc], T0)] == [(A, "k1"), (B, "k2")]


def test_the_detail_says_how_many_more_errors_and_is_bounded() -> None:
    errors = [{"loc": "data.code", "msg": "bad"}, {"loc": "data.x", "msg": "bad"}]
    [row] = rows_of([signed_by(InvalidStatement("data.code: bad", errors=errors), A)], T0)
    assert row["detail"] == "data.code: bad（另有 1 处错误）" and row["rule"] is None
    [long] = rows_of([signed_by(RuleBroken("r", "x" * 10_000), A)], T0)
    assert len(long["detail"]) == MAX_DETAIL


def test_at_most_keep_rows_per_issuer_newest_first(log: RejectionLog) -> None:
    log.record([signed_by(RuleBroken("r", "B's"), B)], now=T0)
    for i in range(5):
        assert (
            log.record([signed_by(RuleBroken("r", f"A{i}"), A)], now=T0 + timedelta(minutes=i)) == 1
        )
    assert [r.detail for r in log.page(A)] == ["A4", "A3", "A2"]
    assert log.count(A) == 3 and [r.detail for r in log.page(B)] == ["B's"]


def test_a_batch_over_the_bound_keeps_its_newest(log: RejectionLog) -> None:
    log.record([signed_by(RuleBroken("r", f"A{i}"), A) for i in range(7)], now=T0)
    assert [r.detail for r in log.page(A)] == ["A6", "A5", "A4"]


def test_rows_older_than_keep_for_go_with_the_next_refusal(log: RejectionLog) -> None:
    log.record([signed_by(RuleBroken("r", "old"), A)], now=T0)
    log.record([signed_by(RuleBroken("r", "new"), A)], now=T0 + timedelta(days=31))
    assert [r.detail for r in log.page(A)] == ["new"]


def test_nothing_to_file_writes_nothing_and_a_failure_is_swallowed(tmp_path: Path) -> None:
    broken = RejectionLog(create_engine(f"sqlite:///{tmp_path / 'no-tables.db'}"))
    assert broken.record([BadSignature("x")]) == 0
    assert broken.record([signed_by(RuleBroken("r", "d"), A)]) == 0  # no table: logged, not raised


def test_paging(log: RejectionLog) -> None:
    log.record([signed_by(RuleBroken("r", f"A{i}"), A) for i in range(3)], now=T0)
    assert [r.detail for r in log.page(A, offset=1, limit=1)] == ["A1"]
