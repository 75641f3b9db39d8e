"""The elevator's file in the regulator's console (一机一档), read against the log it comes
from: every entry of the chain with its hash and a proof that verifies, the responsibility rows
the JSON API serves, every identifier the lift has had, its status in the QR page's words, its
open items each with the entry proving it; the replay on both axes of a lift with a late entry,
as ``replay_elevator`` (the JSON replay) gives it; bad input; a damaged chain; and district
scoping — another district's elevator is a 403 page that shows nothing of it."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from psycopg import sql
from sqlalchemy import update

from api.app import create_app
from api.console import file_page
from api.elevator_replay import replay_elevator
from api.local_time import on_ledger_clock
from domain.model.jurisdiction import covers
from domain.model.subjects import SubjectRef
from domain.replay import Axis
from ledger import merkle
from ledger.schema import log_entries
from projections import read
from tests.support.city import NOW, City, statement
from tests.support.filed_lift import NEW_CERTIFICATE, NEW_REGISTRATION, FiledLift, filed_lift
from tests.support.html import Element, parse
from tests.support.lift_states import Parties, in_service
from tests.support.seeded import PlannedCity
from tests.support.web import regulator_user, signed_in

#: the lift is registered in 赫山区 (430902), under 益阳市 (430900)
HOME = ("430900",)


@dataclass
class Filed:
    city: City
    lift: FiledLift
    app: FastAPI

    @property
    def code(self) -> str:
        return self.lift.code

    def get(self, path: str, *, districts: tuple[str, ...] = HOME, **params: Any) -> httpx.Response:
        user = regulator_user(self.lift.parties.bureau.uscc, districts)
        with signed_in(self.app, user), TestClient(self.app) as client:
            response: httpx.Response = client.get(
                path, params=params or None, follow_redirects=False
            )
            return response

    def page(self, path: str, **params: Any) -> Element:
        response = self.get(path, **params)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        return parse(response.text)

    def local(self, at: Any) -> str:
        """``at`` as the replay form's datetime-local field says it (the ledger's clock)."""
        return str(at.astimezone(self.city.node.settings.zone).strftime("%Y-%m-%dT%H:%M"))


def _url(home: Path, request: pytest.FixtureRequest) -> str:
    if request.param != "postgres":
        return f"sqlite:///{home / 'ledger.db'}"
    database = str(request.getfixturevalue("postgres_database"))
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    return f"{database}?options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def filed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Filed]:
    """One lift per backend, read only by the tests that share it."""
    home = tmp_path_factory.mktemp("elevator-file")
    city = City.open(home, _url(home, request))
    try:
        yield Filed(city, filed_lift(city), create_app(node=city.node))
    finally:
        city.node.close()


def _entries(city: City, code: str) -> list[tuple[int, str]]:
    """The lift's chain in the log: (log index, entry hash) of each version, oldest first."""
    chains = city.node.chains()
    return [(e.index, e.leaf_hash.hex()) for e in chains.entries(str(SubjectRef.elevator(code)))]


def _chain(filed: Filed) -> list[tuple[int, str]]:
    return _entries(filed.city, filed.code)


# --- the file --------------------------------------------------------------------------------


def test_every_entry_of_the_chain_is_listed_with_its_hash_and_a_proof_that_verifies(
    filed: Filed,
) -> None:
    doc = filed.page(f"/console/elevators/{filed.code}", history="all")
    rows = doc.one("table", id="entries").all("tr", cls=None)[1:]
    listed = [(int(r["data-log-index"]), r.one("code", "entry-hash").text) for r in rows]
    assert listed == _chain(filed)[::-1], "every version, newest first, as the log holds it"
    checkpoint = filed.city.node.log.latest_checkpoint()
    for row, (index, entry_hash) in zip(rows, listed, strict=True):
        assert row.all("a", href=f"/console/entries/{index}"), "each entry links to its page"
        proof = [base64.b64decode(c.text) for c in row.one("details", "proof").all("code")]
        merkle.verify_inclusion(
            index, checkpoint.size, bytes.fromhex(entry_hash), proof, checkpoint.root
        )
        assert row.one(cls="signers").all("code", "key-id"), "signers' key ids are shown"
    late = [int(r["data-log-index"]) for r in rows if r.all(cls="late-mark")]
    assert late == [filed.lift.late.log_index], "the late mark is on the late entry only"


def test_the_history_is_paged_and_the_pages_hold_every_entry_once(
    filed: Filed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(file_page, "PAGE_SIZE", 5)
    chain = _chain(filed)
    seen: list[int] = []
    pages = -(-len(chain) // 5)
    for number in range(1, pages + 1):
        doc = filed.page(f"/console/elevators/{filed.code}", page=number)
        rows = doc.one("table", id="entries").all("tr")[1:]
        assert len(rows) == (5 if number < pages else len(chain) - 5 * (pages - 1))
        seen += [int(r["data-log-index"]) for r in rows]
        assert f"第 {number} / {pages} 页" in doc.one("section", id="history").text
    assert seen == [index for index, _ in chain][::-1]


def test_the_responsibility_rows_are_the_json_apis(filed: Filed) -> None:
    api = filed.get(f"/v1/elevators/{filed.code}/responsibility").json()["timeline"]
    doc = filed.page(f"/console/elevators/{filed.code}")
    rows = doc.one("table", id="timeline").all("tr")[1:]

    def instant(cell: Element) -> str | None:
        times = cell.all("time")
        return times[0]["datetime"] if times else None

    def index(cell: Element) -> int | None:
        links = cell.all("a", cls="entry-link")
        return int(links[0]["href"].rsplit("/", 1)[1]) if links else None

    shown = [
        {
            "role": r["data-role"],
            "organization": r["data-organization"],
            "from": instant(r.one(cls="from")),
            "to": instant(r.one(cls="to")),
            "since_log_index": index(r.one(cls="since")),
            "until_log_index": index(r.one(cls="until")),
        }
        for r in rows
    ]
    assert shown == api
    assert {r["role"] for r in api} >= {"manufacturer", "use_unit", "maintenance_unit", "insurer"}
    assert any(r["until_log_index"] is not None for r in api), "a closed interval (the change)"
    for r, row in zip(rows, api, strict=True):  # each organization linked, by name
        assert r.all("a", href=f"/console/organizations/{row['organization']}")
    assert "益阳电梯制造有限公司" in doc.one("table", id="timeline").text


def test_every_identifier_the_lift_has_had_is_shown_with_the_entries_that_gave_and_ended_it(
    filed: Filed,
) -> None:
    doc = filed.page(f"/console/elevators/{filed.code}")
    rows = {
        r.one(cls="identifier").text: r for r in doc.one("table", id="identity-table").all("tr")[1:]
    }
    first, changed = filed.lift.first, filed.lift.changed.log_index
    for old in (first["registration_code"], first["certificate_number"]):
        assert "已停用" in rows[old].text
        assert rows[old].all("a", href=f"/console/entries/{changed}"), "ended by the change"
    for current in (filed.code, NEW_REGISTRATION, NEW_CERTIFICATE, f"09{filed.code[-4:]}"):
        assert "现用" in rows[current].text, current
    assert rows[NEW_REGISTRATION].all("a", href=f"/console/entries/{changed}")


@pytest.mark.parametrize("which", ["registration", "certificate", "rescue", "old registration"])
def test_any_identifier_opens_the_file_at_its_equipment_code(filed: Filed, which: str) -> None:
    identifier = {
        "registration": NEW_REGISTRATION,
        "certificate": NEW_CERTIFICATE,
        "rescue": f"09{filed.code[-4:]}",
        "old registration": filed.lift.first["registration_code"],
    }[which]
    target = f"/console/elevators/{filed.code}"
    opened = filed.get(f"/console/elevators/{quote(identifier)}")
    assert (opened.status_code, opened.headers["location"]) == (303, target)
    searched = filed.get("/console/elevators", q=identifier)
    assert (searched.status_code, searched.headers["location"]) == (303, target)
    replay = filed.get(f"/console/elevators/{quote(identifier)}/replay", as_of="2026-01-01T08:00")
    assert replay.headers["location"] == f"{target}/replay?as_of=2026-01-01T08%3A00"


def test_a_prefix_finds_the_lifts_of_the_users_districts_and_the_list_pages_them(
    filed: Filed,
) -> None:
    doc = filed.page("/console/elevators", q=NEW_REGISTRATION[:12])
    assert doc.one("ul", id="matches").all("a", href=f"/console/elevators/{filed.code}")
    listed = filed.page("/console/elevators").one("section", id="my-elevators")
    assert "共 1 台" in listed.text
    assert listed.all("a", href=f"/console/elevators/{filed.code}")
    assert "赫山花园物业服务有限公司" in listed.text and NEW_REGISTRATION in listed.text


def test_the_status_says_what_the_qr_page_says(filed: Filed) -> None:
    doc = filed.page(f"/console/elevators/{filed.code}")
    qr = parse(filed.get(f"/e/{filed.code}").text)
    badge = qr.by_id("status-badge")
    assert badge is not None
    assert doc.one(id="status-badge").text == badge.text
    flags = doc.one("ul", id="flags").text
    assert "有逾期补录的记录" in flags  # late_entries, raised by the late visit
    assert "维保逾期" not in flags and "无有效维保合同" not in flags


def test_open_items_name_the_entry_that_proves_each(filed: Filed) -> None:
    doc = filed.page(f"/console/elevators/{filed.code}")
    items = doc.one("table", id="open")
    [fault] = [r for r in items.all("tr")[1:] if "F-OPEN-0131" in r.text]
    assert fault.all("a", href=f"/console/entries/{filed.lift.fault.log_index}")
    assert "关门故障" in fault.text  # fault code 02, in the catalogue example
    assert doc.by_id("overdue-none") is not None, "nothing overdue today"


# --- the replay ------------------------------------------------------------------------------


def _replay(filed: Filed, axis: str) -> Element:
    return filed.page(
        f"/console/elevators/{filed.code}/replay", as_of=filed.local(filed.lift.between), axis=axis
    )


def _step_versions(doc: Element) -> list[int]:
    return [int(r["data-version"]) for r in doc.one("table", id="step-list").all("tr")[1:]]


def _proved(table: Element | None) -> list[set[int]]:
    """The log indexes linked from each row of a claims table."""
    if table is None:
        return []
    return [
        {int(a["href"].rsplit("/", 1)[1]) for a in row.all("a", cls="entry-link")}
        for row in table.all("tr")[1:]
    ]


@pytest.mark.parametrize("axis", ["occurred", "recorded"])
def test_the_replay_is_the_json_replays_on_either_axis(filed: Filed, axis: str) -> None:
    node = filed.city.node
    at = on_ledger_clock(filed.lift.between, node.settings.zone).replace(second=0)
    expected = replay_elevator(node, filed.code, at, Axis(axis))
    assert expected is not None and expected.verified
    doc = _replay(filed, axis)
    assert doc.one(id="report")["data-axis"] == axis
    assert _step_versions(doc) == [s.version for s in expected.steps]
    of = {version: e[0] for version, e in enumerate(_chain(filed), 1)}  # version -> log index
    for table, claims in (
        ("parties", expected.report.parties),
        ("overdue", expected.report.overdue),
        ("open", expected.report.open_items),
    ):
        shown = _proved(doc.by_id(table))
        assert shown == [{of[e.version] for e in c.evidence} for c in claims], table
    parties = doc.by_id("parties")
    assert parties is not None
    for party in expected.report.parties:
        assert parties.all("a", href=f"/console/organizations/{party.uscc}")


def test_the_late_visit_is_in_on_the_occurred_axis_and_out_on_the_recorded_axis(
    filed: Filed,
) -> None:
    late = filed.lift.late
    occurred, recorded = _replay(filed, "occurred"), _replay(filed, "recorded")
    assert late.version in _step_versions(occurred)
    assert late.version not in _step_versions(recorded)
    for doc in (occurred, recorded):  # both axes side by side, the late entry named
        only = doc.one("ul", id="occurred-only")
        assert only.all("a", href=f"/console/entries/{late.log_index}")
        assert "按发生时间" in doc.one(id="axes-explained").text
        assert "按记录时间" in doc.one(id="axes-explained").text
    # as the ledger knew it then, no visit since the lift went into service: maintenance overdue
    assert "维保应于" in recorded.one("table", id="overdue").text
    assert occurred.by_id("overdue") is None and occurred.by_id("overdue-none") is not None
    switch = occurred.one("a", cls="axis-switch")
    assert switch["data-axis"] == "recorded" and "axis=recorded" in switch["href"]


def test_an_instant_with_its_offset_is_the_same_instant(filed: Filed) -> None:
    at = filed.lift.between.replace(second=0)
    local = _replay(filed, "recorded")
    offset = filed.page(
        f"/console/elevators/{filed.code}/replay", as_of=at.isoformat(), axis="recorded"
    )
    assert _step_versions(local) == _step_versions(offset)


@pytest.mark.parametrize(
    ("as_of", "axis", "says"),
    [
        ("yesterday", "occurred", "不是有效的时刻"),
        ("", "occurred", "请填写回放时刻"),
        ("2026-13-40T25:00", "recorded", "不是有效的时刻"),
        ("2026-01-01T08:00", "sideways", "时间轴只能是"),
    ],
)
def test_a_bad_instant_or_axis_is_a_400_that_shows_nothing_else(
    filed: Filed, as_of: str, axis: str, says: str
) -> None:
    response = filed.get(f"/console/elevators/{filed.code}/replay", as_of=as_of, axis=axis)
    assert response.status_code == 400
    doc = parse(response.text)
    error = doc.by_id("replay-error")
    assert error is not None and says in error.text
    for section in ("compare", "report", "steps"):
        assert doc.by_id(section) is None


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/console/elevators", {"page": "0"}),
        ("/console/elevators", {"page": "abc"}),
        ("/console/elevators", {"q": "3" * 300}),
        ("/console/elevators/{code}", {"page": "-1"}),
        ("/console/elevators/{code}/replay", {"as_of": "2026-01-01T08:00", "page": "x"}),
        ("/console/elevators/{code}/replay", {"as_of": "2" * 500}),
    ],
)
def test_bad_query_values_are_a_400_page_not_json(
    filed: Filed, path: str, params: dict[str, str]
) -> None:
    response = filed.get(f"{path.format(code=filed.code)}?{urlencode(params)}")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert parse(response.text).by_id("refusal") or parse(response.text).by_id("replay-error")


# --- scoping ---------------------------------------------------------------------------------


@pytest.mark.parametrize("scope", ["430000", "430900", "430902", "430903", "430100", "440000"])
def test_a_regulator_sees_the_lift_exactly_when_a_scope_covers_its_district(
    filed: Filed, scope: str
) -> None:
    sees = covers(scope, "430902")
    listed = filed.get("/console/elevators", districts=(scope,))
    assert (filed.code in listed.text) is sees
    opened = filed.get(f"/console/elevators/{filed.code}", districts=(scope,))
    assert opened.status_code == (200 if sees else 403)


def test_another_districts_elevator_is_a_403_page_that_shows_nothing_of_it(filed: Filed) -> None:
    elsewhere = ("430100",)  # 长沙市
    secrets = [filed.code, NEW_REGISTRATION, NEW_CERTIFICATE, "赫山花园物业服务有限公司"]
    for path, params in (
        (f"/console/elevators/{filed.code}", {}),
        (f"/console/elevators/{quote(NEW_CERTIFICATE)}", {}),
        (f"/console/elevators/{filed.code}/replay", {"as_of": "2026-01-01T08:00"}),
        ("/console/elevators", {"q": NEW_REGISTRATION}),
    ):
        response = filed.get(path, districts=elsewhere, **params)
        assert response.status_code == 403, path
        assert "不在您的辖区" in response.text
        refusal = parse(response.text).one("main").text
        assert not [s for s in secrets if s in refusal], path
    prefix = filed.get("/console/elevators", districts=elsewhere, q=filed.code[:10])
    assert prefix.status_code == 200 and filed.code not in prefix.text


def test_an_unknown_identifier_is_a_404_page(filed: Filed) -> None:
    response = filed.get("/console/elevators/311023010201599999")
    assert response.status_code == 404 and "未找到该电梯" in response.text
    long = filed.get("/console/elevators/" + "9" * 200)
    assert long.status_code == 404


def test_without_a_session_the_file_asks_to_sign_in(filed: Filed) -> None:
    with TestClient(filed.app) as client:
        response = client.get(f"/console/elevators/{filed.code}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/sign-in?next=")


# --- a damaged chain -------------------------------------------------------------------------


def test_a_damaged_entry_is_a_red_box_naming_it_never_a_replay(
    tmp_path: Path, database_url: str
) -> None:
    city = City.open(tmp_path / "home", database_url)
    try:
        parties = Parties.onboard(city)
        code = "311023010201500132"
        in_service(city, parties, code)
        city.node.projections.catch_up()
        [(made, _), *_] = _entries(city, code)
        stored = city.node.log.entry(made)
        with city.node.engine.begin() as conn:
            conn.execute(
                update(log_entries)
                .where(log_entries.c.idx == made)
                .values(data=stored.replace(b'"version":1', b'"version":7'))
            )
        app = create_app(node=city.node)
        user = regulator_user(parties.bureau.uscc, HOME)
        with signed_in(app, user), TestClient(app) as client:
            replay = client.get(
                f"/console/elevators/{code}/replay", params={"as_of": "2099-01-01T00:00"}
            )
            file = client.get(f"/console/elevators/{code}")
        assert replay.status_code == 409
        box = parse(replay.text).by_id("chain-fault")
        assert box is not None and f"elevator:{code} 第 1 版" in box.text
        assert box.all("a", href=f"/console/entries/{made}")
        assert parse(replay.text).by_id("report") is None
        assert file.status_code == 200  # the file still shows what the read models hold
        named = parse(file.text).by_id("chain-fault")
        assert named is not None and named.all("a", href=f"/console/entries/{made}")
    finally:
        city.node.close()


# --- a lift of the demo city -----------------------------------------------------------------


def test_a_demo_lift_with_a_late_entry_replays_it_on_the_occurred_axis_only(
    planned_city: PlannedCity,
) -> None:
    """The demo's planned city (its statements planned by demo/, some recorded days late):
    at an instant between a late entry's occurred_at and recorded_at, the occurred axis counts
    it and the recorded axis does not, as the JSON replay does; each axis's steps and parties
    are the replay's."""
    city = planned_city.city
    node, engine = city.node, city.node.engine
    found = [
        (code, e)
        for code in planned_city.plan.elevators
        for e in read.elevator_entries(engine, code, 0, 10_000)[1]
        if e["late"]
    ]
    assert found, "the demo city records some entries late"
    code, late = found[0]
    occurred_at = datetime.fromisoformat(late["occurred_at"])
    recorded_at = datetime.fromisoformat(late["recorded_at"])
    middle = on_ledger_clock(occurred_at + (recorded_at - occurred_at) / 2, node.settings.zone)
    at = middle.replace(second=0, microsecond=0)
    app = create_app(node=node)
    user = regulator_user(city.authority.uscc, ("430900",))
    with signed_in(app, user), TestClient(app) as client:
        docs = {
            axis: client.get(
                f"/console/elevators/{code}/replay",
                params={"as_of": at.strftime("%Y-%m-%dT%H:%M"), "axis": axis},
            )
            for axis in ("occurred", "recorded")
        }
    for axis, response in docs.items():
        assert response.status_code == 200, response.text
        doc = parse(response.text)
        expected = replay_elevator(node, code, at, Axis(axis))
        assert expected is not None and expected.verified
        assert _step_versions(doc) == [s.version for s in expected.steps]
        assert (late["version"] in _step_versions(doc)) is (axis == "occurred")
        parties = doc.by_id("parties")
        shown = {a["href"].rsplit("/", 1)[1] for a in parties.all("a")} if parties else set()
        assert {p.uscc for p in expected.report.parties} <= shown
        assert doc.one("ul", id="occurred-only").all(
            "a", href=f"/console/entries/{late['log_index']}"
        )


def test_a_file_read_again_after_a_new_entry_shows_what_the_new_entry_changed(
    tmp_path: Path, database_url: str
) -> None:
    """The open items come from a replay kept for the same chain head on the same day: a new
    entry is a new head, so a fault cleared after the file was read is no longer open."""
    city = City.open(tmp_path / "home", database_url)
    try:
        parties = Parties.onboard(city)
        code = "311023010201500133"
        in_service(city, parties, code)
        at = NOW - timedelta(hours=2)
        reported = statement(
            "fault.reported",
            code,
            parties.maintainer,
            at,
            fault_id="F-1",
            detected_at=at.isoformat(),
        )
        city.say(parties.maintainer, reported)
        city.node.projections.catch_up()
        app = create_app(node=city.node)
        user = regulator_user(parties.bureau.uscc, HOME)
        with signed_in(app, user), TestClient(app) as client:
            before = parse(client.get(f"/console/elevators/{code}").text)
            assert "F-1" in before.one("table", id="open").text
            cleared = statement("fault.cleared", code, parties.maintainer, NOW, fault_id="F-1")
            city.say(parties.maintainer, cleared)
            city.node.projections.catch_up()
            after = parse(client.get(f"/console/elevators/{code}").text)
        assert after.by_id("open") is None and after.by_id("open-none") is not None
    finally:
        city.node.close()
