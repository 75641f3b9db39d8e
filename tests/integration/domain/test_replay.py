"""Regulator replay of one elevator as of an instant: which entries count on each axis, who was
responsible, the live state at the end, tampering caught by version, and the HTTP and CLI faces.

The history is submitted through the real signed write path with ``recorded_at`` set per entry
(one minute after it occurred, unless it is the late one), so both axes mean something.
"""

from __future__ import annotations

import base64
import dataclasses
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.auth import TokenStore
from api.cli.main import app as cli_app
from api.elevator_replay import chain_entries
from domain.application.log_chains import LogChains
from domain.application.log_order import LedgerOrder
from domain.application.service import Receipt
from domain.model.errors import Rejected, RuleBroken
from domain.model.roles import Role
from domain.model.trust import KeyInfo
from domain.replay import Axis, Replay, parse_instant, replay
from ledger.canonical import canonical_json
from ledger.entry import Entry
from tests.support.city import NOW, City, Org, statement
from tests.support.lift_states import UNHURRIED, Commissioners, commissioned
from tests.support.timeline import Days

CODE = "311023010201500098"
CST = timezone(timedelta(hours=8))
#: Midnight in Yiyang, 800 days ago.
D0 = (NOW - timedelta(days=800)).astimezone(CST).replace(hour=0, minute=0, second=0)
day = Days(D0).day


def on_day(days: int, hour: int = 9, minute: int = 0, second: int = 0) -> datetime:
    """A clock time in Yiyang on day ``days`` after D0: 9:00 unless told otherwise."""
    return D0 + timedelta(days=days, hours=hour, minutes=minute, seconds=second)


@dataclass
class History:
    city: City
    maker: Org
    builder: Org
    institute: Org
    owner: Org
    first_maintainer: Org
    second_maintainer: Org
    platform: Org
    insurer: Org
    bureau: Org
    receipts: dict[int, Receipt]

    @property
    def entries(self) -> list[str]:
        return chain_entries(self.city.node, CODE)

    @property
    def order(self) -> LedgerOrder:
        return LedgerOrder(self.city.node.app, LogChains(self.city.node.app, self.city.node.engine))

    def replay(self, as_of: datetime, axis: Axis = Axis.OCCURRED) -> Replay:
        return replay(self.entries, as_of, axis, self.city.node.app.key_info, order=self.order)


def _history(city: City) -> History:
    maker = city.org(Role.MANUFACTURER, name="日立电梯（中国）有限公司")
    builder = city.org(Role.CONSTRUCTION_UNIT, name="益阳市安装工程有限公司")
    institute = city.org(Role.INSPECTION_INSTITUTE, name="湖南省特检院益阳分院")
    owner = city.org(Role.USE_UNIT, name="幸福里物业管理有限公司")
    m1 = city.org(Role.MAINTENANCE_UNIT, name="安顺电梯维保有限公司")
    m2 = city.org(Role.MAINTENANCE_UNIT, name="顺达电梯工程有限公司")
    platform = city.org(Role.RESCUE_PLATFORM, name="益阳96333应急处置平台")
    insurer = city.org(Role.INSURER, name="人保财险益阳分公司")
    bureau = city.org(Role.REGULATOR, name="益阳市赫山区市场监督管理局")
    receipts: dict[int, Receipt] = {}

    def say(
        org: Org, stmt: dict[str, Any], *cosigners: Org, recorded: datetime | None = None
    ) -> None:
        when = recorded or datetime.fromisoformat(stmt["occurred_at"]) + timedelta(minutes=1)
        envelope = city.envelope([org, *cosigners], stmt)
        [result] = city.node.service.submit_batch([envelope], recorded_at=[when])
        assert not isinstance(result, Rejected), result
        receipts[result.version] = result

    def visit(org: Org, visit_id: str, when: datetime, recorded: datetime | None = None) -> None:
        stmt = statement(
            "maintenance.performed",
            CODE,
            org,
            when,
            visit_id=visit_id,
            arrived_at=when.isoformat(),
            departed_at=(when + timedelta(hours=1)).isoformat(),
        )
        say(org, stmt, recorded=recorded)

    def contract(org: Org, number: str, when: datetime, valid_from: int) -> None:
        stmt = statement(
            "maintenance_contract.signed",
            CODE,
            org,
            when,
            contract_number=number,
            maintenance_unit=org.uscc,
            use_unit=owner.uscc,
            valid_from=day(valid_from),
            valid_to=day(850),
        )
        say(org, stmt, owner)

    crew = Commissioners(maker, builder, institute, owner, m1, bureau)
    nine_o_clock = Days(D0 + timedelta(hours=9))  # on_day(n) is nine_o_clock.at(n)
    for step in commissioned(  # v1-v6
        crew,
        CODE,
        nine_o_clock,
        UNHURRIED,
        next_due=day(400),
        contract_fields={"contract_number": "WB-A"},
    ):
        say(step.signer, step.statement, *step.cosigners)
    visit(m1, "V-1", on_day(60))  # v7
    say(
        insurer,
        statement(
            "insurance.policy_issued",
            CODE,
            insurer,
            on_day(68),
            insured=owner.uscc,
            valid_from=day(68),
            valid_to=day(433),
        ),
    )  # v8
    visit(m1, "V-2", on_day(100))  # v9
    say(bureau, statement("hazard.listed", CODE, bureau, on_day(120), deadline=day(130)))  # v10
    # the incident: the platform logs the alarm (14:00) at 14:02, after dispatching at 14:01
    say(
        platform,
        statement(
            "rescue.alarm",
            CODE,
            platform,
            on_day(150, 14, 0),
            rescue_id="R-1",
            alarm_at=on_day(150, 14, 0).isoformat(),
        ),
        recorded=on_day(150, 14, 2),
    )  # v11
    say(
        platform,
        statement(
            "rescue.dispatched",
            CODE,
            platform,
            on_day(150, 14, 1),
            rescue_id="R-1",
            dispatched_at=on_day(150, 14, 1).isoformat(),
            responder=m1.uscc,
        ),
    )  # v12
    say(
        m1,
        statement(
            "rescue.arrived",
            CODE,
            m1,
            on_day(150, 14, 20),
            rescue_id="R-1",
            arrived_at=on_day(150, 14, 20).isoformat(),
        ),
    )  # v13
    say(
        m1,
        statement(
            "rescue.released",
            CODE,
            m1,
            on_day(150, 14, 30),
            rescue_id="R-1",
            released_at=on_day(150, 14, 30).isoformat(),
        ),
    )  # v14
    say(bureau, statement("hazard.closed", CODE, bureau, on_day(160)))  # v15
    say(
        owner,
        statement("maintenance_contract.ended", CODE, owner, on_day(200), contract_number="WB-A"),
    )  # v16
    contract(m2, "WB-B", on_day(200, 10), 200)  # v17
    visit(m2, "V-3", on_day(205))  # v18
    say(
        m2,
        statement("fault.reported", CODE, m2, on_day(212), detected_at=on_day(212).isoformat()),
    )  # v19
    visit(m2, "V-4", on_day(210), recorded=on_day(215))  # v20: late, recorded five days after
    return History(
        city, maker, builder, institute, owner, m1, m2, platform, insurer, bureau, receipts
    )


@pytest.fixture
def history(tmp_path: Path, database_url: str) -> Iterator[History]:
    city = City.open(tmp_path, database_url)
    try:
        yield _history(city)
    finally:
        city.node.close()


def versions(result: Replay) -> list[int]:
    return [s.version for s in result.steps]


# --------------------------------------------------------------------------------------------
# Which entries count
# --------------------------------------------------------------------------------------------


def test_an_instant_between_two_statements_includes_exactly_the_earlier_ones(
    history: History,
) -> None:
    between = on_day(64)  # after the first visit (v7, day 60), before the policy (v8, day 68)
    for axis in Axis:
        result = history.replay(between, axis)
        assert result.verified, result.problem
        assert versions(result) == list(range(1, 8))
        assert result.entries_checked == 20 and result.entries_excluded == 13
        assert result.head is not None and result.head.version == 20
    registration = history.replay(between).steps[4]
    assert registration.type == "registration.issued"
    assert registration.changes["lifecycle"] == ("inspected", "in_service")
    assert registration.issuer == history.bureau.uscc
    assert registration.signer_key_ids == (history.bureau.key.key_id,)
    assert registration.entry_hash == history.receipts[5].entry_hash
    visit = history.replay(between).steps[6]
    assert visit.changes == {"visits[V-1]": ("—", "unconfirmed")}
    assert visit.statement["data"]["technicians"] == [{}, {}]  # personal fields never shown
    assert "李四" not in str(visit.statement)
    exactly_at = history.replay(on_day(68))  # the boundary itself is included
    assert versions(exactly_at)[-1] == 8


def test_the_axes_differ_for_a_late_entry(history: History) -> None:
    between = on_day(212, 12)  # V-4 occurred on day 210, recorded on day 215
    happened = history.replay(between, Axis.OCCURRED)
    known = history.replay(between, Axis.RECORDED)
    # on the occurred axis in the order it happened: V-4 (day 210) before the fault (day 212)
    assert versions(happened) == [*range(1, 19), 20, 19]
    assert versions(known) == list(range(1, 20))
    late = happened.steps[-2]
    assert late.late and late.recorded_at > between >= late.occurred_at
    assert "V-4" in happened.state.visits and "V-4" not in known.state.visits
    assert [s.version for s in happened.steps if s.late] == [20]


def test_a_rescue_step_dated_before_the_alarm_it_follows_is_refused(history: History) -> None:
    # judged on the occurred axis: at 15:01 there was no alarm R-2 yet (it is dated 15:02)
    h = history
    alarm = statement(
        "rescue.alarm",
        CODE,
        h.platform,
        on_day(150, 15, 2),
        rescue_id="R-2",
        alarm_at=on_day(150, 15, 2).isoformat(),
    )
    h.city.say(h.platform, alarm)
    dispatched = statement(
        "rescue.dispatched",
        CODE,
        h.platform,
        on_day(150, 15, 1),
        rescue_id="R-2",
        dispatched_at=on_day(150, 15, 1).isoformat(),
        responder=h.first_maintainer.uscc,
    )
    with pytest.raises(RuleBroken) as info:
        h.city.say(h.platform, dispatched)
    assert info.value.rule == "rescue-not-open"


def test_before_the_elevator_existed_nothing_is_known(history: History) -> None:
    result = history.replay(on_day(-1))
    assert result.verified and result.steps == ()
    assert result.state.lifecycle is None and result.equipment_code == CODE
    assert result.report.parties == () and result.report.open_items == ()


# --------------------------------------------------------------------------------------------
# Accountability
# --------------------------------------------------------------------------------------------


def test_who_was_responsible_at_14_05_on_the_day_of_the_incident(history: History) -> None:
    h = history
    report = h.replay(on_day(150, 14, 5)).report
    maintainer = report.party(Role.MAINTENANCE_UNIT)
    assert maintainer is not None
    assert maintainer.uscc == h.first_maintainer.uscc  # not the later second maintainer
    assert "WB-A" in maintainer.basis
    assert [(e.version, e.entry_hash) for e in maintainer.evidence] == [
        (6, h.receipts[6].entry_hash)
    ]
    parties = {p.role: p.uscc for p in report.parties}
    assert parties == {
        Role.MANUFACTURER: h.maker.uscc,
        Role.CONSTRUCTION_UNIT: h.builder.uscc,
        Role.INSPECTION_INSTITUTE: h.institute.uscc,
        Role.USE_UNIT: h.owner.uscc,
        Role.MAINTENANCE_UNIT: h.first_maintainer.uscc,
        Role.INSURER: h.insurer.uscc,
    }
    use_unit = report.party(Role.USE_UNIT)
    assert use_unit is not None and [e.version for e in use_unit.evidence] == [5]
    # what was open then: the rescue under way, and the hazard past its deadline
    open_items = {(i.kind, i.id): i for i in report.open_items}
    assert set(open_items) == {("rescue", "R-1"), ("hazard", "H-2024-012")}
    assert [e.version for e in open_items["rescue", "R-1"].evidence] == [11, 12]
    hazard = open_items["hazard", "H-2024-012"]
    assert hazard.overdue and hazard.deadline == on_day(130).date()
    assert [e.entry_hash for e in hazard.evidence] == [h.receipts[10].entry_hash]
    # and overdue: no visit since day 100, the first maintainer's duty
    [overdue] = report.overdue
    assert overdue.obligation == "maintenance" and overdue.responsible == h.first_maintainer.uscc
    assert overdue.due == on_day(115).date() and [e.version for e in overdue.evidence] == [9]

    after_change = h.replay(on_day(250, 14, 5)).report
    second = after_change.party(Role.MAINTENANCE_UNIT)
    assert second is not None and second.uscc == h.second_maintainer.uscc
    assert [e.version for e in second.evidence] == [17]


def test_overdue_inspection_and_open_fault(history: History) -> None:
    report = history.replay(on_day(450)).report
    overdue = {o.obligation: o for o in report.overdue}
    assert set(overdue) == {"maintenance", "inspection"}
    assert overdue["inspection"].due == on_day(400).date()
    assert overdue["inspection"].responsible == history.owner.uscc
    assert [e.version for e in overdue["inspection"].evidence] == [4]
    assert overdue["maintenance"].responsible == history.second_maintainer.uscc
    assert [e.version for e in overdue["maintenance"].evidence] == [20]  # V-4, day 210
    assert [(i.kind, i.id) for i in report.open_items] == [("fault", "F-20240507-01")]
    assert report.party(Role.INSURER) is None  # the policy ended on day 433


def test_replay_as_of_the_last_instant_equals_the_live_state(history: History) -> None:
    live = history.city.node.app.elevator(CODE)
    assert live is not None
    last_recorded = max(
        Entry.from_bytes(e.encode()).recorded_at for e in history.entries
    ).astimezone(CST)
    for axis in Axis:
        result = history.replay(last_recorded, axis)
        assert result.verified and len(result.steps) == live.version == 20
        assert result.state == live.state
        assert result.head is not None and result.head.entry_hash == live.head


# --------------------------------------------------------------------------------------------
# Tampering
# --------------------------------------------------------------------------------------------


def _flip_signature_byte(text: str) -> str:
    doc = orjson.loads(text)
    signature = doc["envelope"]["signatures"][0]
    raw = bytearray(base64.b64decode(signature["sig"]))
    raw[10] ^= 0x01
    signature["sig"] = base64.b64encode(bytes(raw)).decode()
    return canonical_json(doc).decode()


def test_a_changed_signature_byte_is_caught_at_its_version(history: History) -> None:
    entries = history.entries
    entries[6] = _flip_signature_byte(entries[6])  # version 7
    result = replay(
        entries, on_day(300), Axis.OCCURRED, history.city.node.app.key_info, order=history.order
    )
    assert not result.verified and result.failed_version == 7
    assert result.problem is not None
    assert result.problem.startswith("version 7: signature 1") and "does not verify" in (
        result.problem
    )
    assert versions(result) == list(range(1, 7)) and result.entries_checked == 6
    assert result.to_json()["verified"] is False


def test_a_broken_prev_is_caught_at_its_version(history: History) -> None:
    entries = history.entries
    entry = Entry.from_bytes(entries[8].encode())  # version 9
    entries[8] = dataclasses.replace(entry, prev="0" * 64).to_bytes().decode()
    result = replay(
        entries, on_day(300), Axis.RECORDED, history.city.node.app.key_info, order=history.order
    )
    assert not result.verified and result.failed_version == 9
    assert result.problem is not None and result.problem.startswith("version 9: prev 0000")
    assert "does not match the hash of version 8" in result.problem


def test_missing_entries_and_unknown_keys_are_caught(history: History) -> None:
    entries = history.entries
    key_info, order = history.city.node.app.key_info, history.order
    gap = replay(entries[:3] + entries[4:], on_day(300), Axis.OCCURRED, key_info, order=order)
    assert gap.problem == (
        "version 4: the entry says version 5; entries are missing, repeated or out of order"
    )
    maintainer_key = history.first_maintainer.key.key_id
    forgotten = replay(
        entries,
        on_day(300),
        Axis.OCCURRED,
        lambda k: None if k == maintainer_key else key_info(k),
        order=order,
    )
    assert forgotten.failed_version == 6 and "is not known" in (forgotten.problem or "")
    edited = entries[0].replace('"version":1', '"version":1 ')
    bad_json = replay([edited, *entries[1:]], on_day(300), Axis.OCCURRED, key_info, order=order)
    assert bad_json.failed_version == 1 and bad_json.state.lifecycle is None
    empty = replay([], on_day(300), Axis.OCCURRED, key_info, order=order, equipment_code=CODE)
    assert not empty.verified and empty.problem == "version 1: the chain is empty"
    wrong = replay(
        entries,
        on_day(300),
        Axis.OCCURRED,
        key_info,
        order=order,
        equipment_code="311023010201500099",
    )
    assert wrong.failed_version == 1 and "not elevator:311023010201500099" in (wrong.problem or "")


class _Counting:
    """The ledger's log order, counting what the replay asks of it."""

    def __init__(self, order: LedgerOrder) -> None:
        self.order = order
        self.asked: Counter[tuple[str, object]] = Counter()

    def of_entry(self, subject: str, version: int) -> int | None:
        self.asked["entry", (subject, version)] += 1
        return self.order.of_entry(subject, version)

    def of_registration(self, key: KeyInfo) -> int | None:
        self.asked["registration", key.key_id] += 1
        return self.order.of_registration(key)

    def of_revocation(self, key: KeyInfo) -> int | None:
        self.asked["revocation", key.key_id] += 1
        return self.order.of_revocation(key)


def test_the_log_order_is_asked_once_per_entry_and_once_per_key(
    history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Judging keys by log order costs a few queries, not one per entry per key: each
    signing key's registration and revocation are asked for once, each entry's position once,
    and the ledger reads each chain's positions in one query."""
    reads: Counter[UUID] = Counter()
    app = history.city.node.app
    chain = history.entries  # read from the log (through the positions) before counting
    read_positions = app.chain_positions

    def counted(chain: UUID, version: int | None = None) -> dict[int, int]:
        reads[chain] += 1
        return read_positions(chain, version)

    monkeypatch.setattr(app, "chain_positions", counted)
    order = _Counting(history.order)
    result = replay(chain, on_day(300), Axis.OCCURRED, app.key_info, order=order)
    assert result.verified and len(result.steps) == 20, result.problem
    assert set(order.asked.values()) == {1}
    entries = {what for kind, what in order.asked if kind == "entry"}
    assert entries == {(f"elevator:{CODE}", version) for version in range(1, 21)}
    signers = {key for step in result.steps for key in step.signer_key_ids}  # co-signers too
    for kind in ("registration", "revocation"):
        assert {what for k, what in order.asked if k == kind} == signers
    owners = {info.owner for info in map(app.key_info, signers) if info is not None}
    assert len(owners) == 9  # every organization of the history, the use unit as co-signer
    assert set(reads.values()) == {1} and len(reads) == 1 + len(owners)


def test_instants_must_carry_an_offset() -> None:
    assert parse_instant("2025-03-01T14:05:00+08:00") == datetime(2025, 3, 1, 14, 5, tzinfo=CST)
    assert parse_instant("2025-03-01T14:05:00 08:00").utcoffset() == timedelta(hours=8)
    assert parse_instant("2025-03-01T06:05:00Z") == parse_instant("2025-03-01T14:05:00+08:00")
    for bad in ("2025-03-01T14:05:00", "2025-03-01", "yesterday", "2025-13-01T00:00:00Z"):
        with pytest.raises(ValueError):
            parse_instant(bad)
    with pytest.raises(ValueError, match="timezone-aware"):
        replay([], datetime(2025, 3, 1), Axis.OCCURRED, lambda k: None, order=_Nowhere())


class _Nowhere:
    """A log that holds nothing (the replay never gets to ask)."""

    def of_entry(self, subject: str, version: int) -> None:
        return None

    def of_registration(self, key: KeyInfo) -> None:
        return None

    def of_revocation(self, key: KeyInfo) -> None:
        return None


# --------------------------------------------------------------------------------------------
# HTTP and CLI
# --------------------------------------------------------------------------------------------


def test_the_http_endpoint(history: History) -> None:
    store = TokenStore.open(history.city.node.engine)  # a regulator's token (api/auth.py)
    # the bureau is registered in 430902 and the lift in 430903: a token for the whole city
    token, _ = store.issue(history.bureau.uscc, "test", timedelta(hours=1), districts=("430900",))
    bearer = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(node=history.city.node), headers=bearer) as client:
        url = f"/v1/elevators/{CODE}/replay"
        as_of = on_day(150, 14, 5).isoformat()
        response = client.get(url, params={"as_of": as_of, "axis": "recorded"})
        assert response.status_code == 200, response.text
        doc = response.json()
        assert doc["verified"] is True and doc["problem"] is None and doc["axis"] == "recorded"
        assert [s["version"] for s in doc["steps"]] == list(range(1, 13))
        assert doc["state"]["lifecycle"] == "in_service"
        assert doc["state"]["visits"] == {"recorded": 2, "unconfirmed": 2}
        parties = {p["role"]: p for p in doc["report"]["parties"]}
        assert parties["maintenance_unit"]["uscc"] == history.first_maintainer.uscc
        assert parties["maintenance_unit"]["evidence"][0]["version"] == 6
        assert doc["steps"][4]["changes"]["lifecycle"] == {
            "before": "inspected",
            "after": "in_service",
        }
        # an unencoded "+" arrives as a space and still means +08:00
        raw = client.get(f"{url}?as_of=2025-03-01T14:05:00+08:00")
        assert raw.status_code == 200 and raw.json()["as_of"] == "2025-03-01T14:05:00+08:00"
        assert raw.json()["axis"] == "occurred"

        unknown = client.get("/v1/elevators/311023010201500099/replay", params={"as_of": as_of})
        assert unknown.status_code == 404
        assert unknown.headers["content-type"].startswith("application/problem+json")
        assert unknown.json()["type"].endswith("/not-found")
        for bad in ("2025-03-01T14:05:00", "not-a-time"):
            problem = client.get(url, params={"as_of": bad})
            assert problem.status_code == 422, bad
            assert problem.headers["content-type"].startswith("application/problem+json")
            assert problem.json()["detail"].startswith("as_of: ")
        assert client.get(url, params={"as_of": as_of, "axis": "sideways"}).status_code == 422
        assert client.get(url).status_code == 422
        operation = client.get("/openapi.json").json()["paths"]["/v1/elevators/{code}/replay"][
            "get"
        ]
        assert operation["tags"] == ["regulator"]


def test_the_cli_command(
    history: History, tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env: dict[str, str | None] = {
        "LEDGER_HOME": str(tmp_path),
        "LEDGER_DATABASE_URL": database_url,
        "LEDGER_ORIGIN": None,
        "COLUMNS": "250",  # Rich's width when stdout is not a terminal
    }
    runner = CliRunner()
    as_of = on_day(150, 14, 5).isoformat()

    table = runner.invoke(cli_app, ["replay", CODE, "--as-of", as_of], env=env)
    assert table.exit_code == 0, table.output
    assert "responsible at" in table.stdout and "maintenance_unit" in table.stdout
    assert "安顺电梯维保有限公司" in table.stdout
    assert "open rescue R-1" in table.stdout
    assert table.stderr.startswith("chain and signatures verified (20 entries")

    as_json = runner.invoke(
        cli_app, ["replay", CODE, "--as-of", as_of, "--axis", "recorded", "--json"], env=env
    )
    assert as_json.exit_code == 0, as_json.output
    doc = orjson.loads(as_json.stdout)
    assert doc["verified"] is True and len(doc["steps"]) == 12 and doc["axis"] == "recorded"

    unknown = runner.invoke(cli_app, ["replay", "311023010201500099", "--as-of", as_of], env=env)
    assert unknown.exit_code == 1 and unknown.stdout == ""
    assert unknown.stderr.strip() == "error: no elevator 311023010201500099 in this ledger"

    naive = runner.invoke(cli_app, ["replay", CODE, "--as-of", "2025-03-01T14:05"], env=env)
    assert naive.exit_code == 1 and len(naive.stderr.splitlines()) == 1
    assert "no UTC offset" in naive.stderr

    import api.elevator_replay

    def tampered(app: Any, code: str) -> list[str]:
        entries = chain_entries(app, code)
        entries[6] = _flip_signature_byte(entries[6])
        return entries

    monkeypatch.setattr(api.elevator_replay, "chain_entries", tampered)
    broken = runner.invoke(cli_app, ["replay", CODE, "--as-of", as_of], env=env)
    assert broken.exit_code == 1
    assert broken.stderr.splitlines() == [
        "error: chain verification failed: version 7: signature 1 (key "
        f"{history.first_maintainer.key.key_id[:16]}…) does not verify"
    ]
