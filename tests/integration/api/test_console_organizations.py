"""The console's organizations, scorecards, entries and reveals, on both backends.

An organization's page shows its roles, licences and keys with the entries behind each; a
scorecard's every point links to the entries that caused it, and those entries are of the
elevator the point names; an entry's personal fields are hidden until revealed by a form post
with a reason, recorded before anything is shown; a missing CSRF token or an elevator outside
the user's districts is refused with nothing recorded; the bureau's record lists each reveal
with who, when and which entry, and `elevator-ledger token reads` lists it too."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.auth import TokenStore
from api.cli.main import app as cli_app
from api.personal_reads import PersonalReads, personal_reads
from api.web import render as web_render
from projections import organizations as orgs
from projections import read
from tests.support import lift_states as ls
from tests.support.city import NOW, City, statement
from tests.support.web import CSRF, regulator_user, signed_in

CODE = ls.CODES["rescue"]
TECHNICIANS = ("李四", "王五", "T430902198001011234", "T430903198502022345")


@dataclass
class Console:
    city: City
    parties: ls.Parties
    client: TestClient
    maintenance_index: int  # an entry with technicians' names and certificate numbers
    faults: list[int]

    def get(self, url: str, **params: Any) -> tuple[int, str]:
        response = self.client.get(url, params=params)
        return response.status_code, response.text

    def reveal(
        self, index: int, reason: str = "核查维保记录真实性", csrf: str | None = CSRF
    ) -> Any:
        form = {"reason": reason} | ({"csrf_token": csrf} if csrf is not None else {})
        return self.client.post(f"/console/entries/{index}/reveal", data=form)

    def recorded(self) -> list[Any]:
        return PersonalReads(self.city.node.engine).list()


def _faults(city: City, p: ls.Parties, n: int) -> None:
    """``n`` faults on the rescue lift in the last hours (one calendar month: the scheme's
    faults-in-a-month rule)."""
    for i in range(n):
        at = NOW - timedelta(minutes=30 - i)
        city.say(
            p.maintainer,
            statement(
                "fault.reported",
                CODE,
                p.maintainer,
                at,
                fault_id=f"F-{i:04d}",
                detected_at=at.isoformat(),
            ),
        )


@pytest.fixture
def console(tmp_path: Path, database_url: str) -> Iterator[Console]:
    city = City.open(tmp_path, database_url)
    try:
        p = ls.Parties.onboard(city)
        ls.build(city, ("rescue",), p)
        _faults(city, p, 3)
        city.node.projections.catch_up()
        _, entries = read.elevator_entries(city.node.engine, CODE, 0, 100)
        [visit] = [e["log_index"] for e in entries if e["type"] == "maintenance.performed"]
        faults = sorted(e["log_index"] for e in entries if e["type"] == "fault.reported")
        app = create_app(node=city.node)
        user = regulator_user(p.bureau.uscc, ("430900",), name="赵监管")
        with signed_in(app, user), TestClient(app) as client:
            yield Console(city, p, client, visit, faults)
    finally:
        city.node.close()


def links(html: str, prefix: str) -> list[str]:
    return re.findall(rf'href="({re.escape(prefix)}[^"]*)"', html)


def section(html: str, ident: str) -> str:
    match = re.search(rf'<section class="card" id="{ident}">(.*?)</section>', html, re.S)
    assert match, f"no section {ident}"
    return match.group(1)


def text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


# --- organizations -----------------------------------------------------------------------


def test_the_directory_lists_each_organization_with_its_roles_in_chinese(console: Console) -> None:
    p = console.parties
    status, html = console.get("/console/organizations")
    assert status == 200
    for org in (p.maintainer, p.owner, p.bureau, p.institute):
        assert f'href="/console/organizations/{org.uscc}"' in html
    assert "安达电梯维保有限公司" in html and "维保单位" in html and "使用单位" in html
    assert "安装改造修理许可" in html  # the maintainer's licence
    _, only = console.get("/console/organizations", role="maintenance_unit")
    assert p.maintainer.uscc in only and p.owner.uscc not in only
    _, found = console.get("/console/organizations", q="赫山花园")
    assert p.owner.uscc in found and p.maintainer.uscc not in found
    _, none = console.get("/console/organizations", q="不存在的单位")
    assert "没有符合条件的单位" in none


def test_an_organizations_page_shows_roles_licences_keys_history_and_its_lifts(
    console: Console,
) -> None:
    p, engine = console.parties, console.city.node.engine
    status, html = console.get(f"/console/organizations/{p.maintainer.uscc}")
    assert status == 200
    chain = {e["log_index"]: e for e in orgs.chain(engine, p.maintainer.uscc)}
    roles = section(html, "roles")
    assert "维保单位" in roles
    [granted] = [int(x.rsplit("/", 1)[1]) for x in links(roles, "/console/entries/")]
    assert chain[granted]["type"] == "org.role_granted"
    assert chain[granted]["statement"]["data"]["role"] == "maintenance_unit"
    licences = section(html, "licences")
    [licensed] = [int(x.rsplit("/", 1)[1]) for x in links(licences, "/console/entries/")]
    assert chain[licensed]["type"] == "org.licence_granted"
    keys = section(html, "keys")
    assert p.maintainer.key.verifying_key.key_id in keys and "有效" in keys
    history = section(html, "history")
    assert {int(x.rsplit("/", 1)[1]) for x in links(history, "/console/entries/")} == set(chain)
    assert "机构登记" in history and "密钥登记" in history
    lifts = section(html, "lifts")
    assert f'href="/console/elevators/{CODE}"' in lifts and "维保单位" in lifts


def test_lifts_outside_the_users_districts_are_not_listed(console: Console) -> None:
    app = console.client.app
    assert hasattr(app, "dependency_overrides")
    with signed_in(app, regulator_user(console.parties.bureau.uscc, ("430923",))):  # type: ignore[arg-type]
        _, html = console.get(f"/console/organizations/{console.parties.maintainer.uscc}")
    assert CODE not in section(html, "lifts") and "辖区内没有" in section(html, "lifts")


def test_an_unknown_or_malformed_organization_is_a_404_page(console: Console) -> None:
    for uscc in ("91430900MA4L00000X", "nonsense"):
        status, html = console.get(f"/console/organizations/{uscc}")
        assert status == 404 and "没有这个单位" in html
        assert console.get(f"/console/organizations/{uscc}/scorecard")[0] == 404


# --- scorecards ----------------------------------------------------------------------------


def test_every_scorecard_point_links_to_the_entries_that_caused_it(console: Console) -> None:
    p, engine = console.parties, console.city.node.engine
    status, html = console.get(f"/console/organizations/{p.maintainer.uscc}/scorecard")
    assert status == 200
    assert "参考" in html and "不是监管部门评定的信用等级" in html and "信用等级 " not in html
    rows = re.findall(r'<tr class="point">(.*?)</tr>', html, re.S)
    rules = {"救援超时未到场": {"rescue.alarm"}, "单台电梯一个月内故障次数过多": {"fault.reported"}}
    seen = set()
    for row in rows:
        rule = next(r for r in rules if r in row)
        seen.add(rule)
        [code] = re.findall(r'class="point-elevator" href="/console/elevators/(\d+)"', row)
        cited = [int(i) for i in re.findall(r'href="/console/entries/(\d+)"', row)]
        assert cited, "a point without entries"
        entries = orgs.entries_at(engine, cited)
        assert set(entries) == set(cited), "every linked entry exists"
        for e in entries.values():
            assert e["subject"] == f"elevator:{code}"
            assert e["type"] in rules[rule] | {"rescue.dispatched", "rescue.arrived"}
        if rule.startswith("单台"):
            assert sorted(cited) == console.faults
    assert seen == set(rules)
    for index in {int(i) for i in re.findall(r'href="/console/entries/(\d+)"', html)}:
        assert console.get(f"/console/entries/{index}")[0] == 200  # each link opens
    # the same card as the regulator API serves: its total and its partial year
    assert "年度未结束" in html or "年度" in section(html, "summary")
    assert "未施行" in section(html, "summary")  # Fujian's scheme is not in force in Yiyang


def test_a_scorecard_point_of_a_lift_outside_the_users_districts_shows_no_code_or_link(
    console: Console,
) -> None:
    """The score is the organization's, so a county bureau sees every point; but a lift of
    another district is named 辖区外, with no code, summary or link its own pages would refuse."""
    app = console.client.app
    assert hasattr(app, "dependency_overrides")
    with signed_in(app, regulator_user(console.parties.bureau.uscc, ("430923",))):  # type: ignore[arg-type]
        status, html = console.get(
            f"/console/organizations/{console.parties.maintainer.uscc}/scorecard"
        )
    rows = re.findall(r'<tr class="point">(.*?)</tr>', html, re.S)
    assert status == 200 and rows
    for row in rows:
        assert "辖区外电梯" in row and "辖区外记录" in row
        assert (
            CODE not in row and "/console/entries/" not in row and "/console/elevators/" not in row
        )


def test_the_scorecard_of_an_organization_that_is_no_maintainer_is_a_plain_message(
    console: Console,
) -> None:
    status, html = console.get(f"/console/organizations/{console.parties.owner.uscc}/scorecard")
    assert status == 200
    assert "不是维保单位" in html and 'id="points"' not in html


def test_a_scorecard_for_a_year_not_begun_or_an_unknown_scheme_says_so(console: Console) -> None:
    url = f"/console/organizations/{console.parties.maintainer.uscc}/scorecard"
    next_year = console.city.node.today().year + 1
    status, html = console.get(url, year=next_year)
    assert status == 422 and "尚未开始" in html
    status, html = console.get(url, scheme="hunan-2099")
    assert status == 422 and "没有这个评分方案" in html


# --- entries and reveals -------------------------------------------------------------------


def test_an_entry_page_shows_its_public_view_and_hides_the_personal_fields(
    console: Console,
) -> None:
    response = console.client.get(f"/console/entries/{console.maintenance_index}")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    body = unescape(response.text)
    assert "维保记录" in body and f"/console/elevators/{CODE}" in body
    assert "安达电梯维保有限公司" in body  # the issuer's name
    assert body.count("已隐藏") == 4 and "technicians[1].certificate_number" in body
    assert not any(value in body for value in TECHNICIANS)
    assert 'id="reveal-form"' in body and f'value="{CSRF}"' in body
    assert "纳入证明" in body and 'id="entry-hash"' in body
    assert '\n  "data": {' in body and '"visit_id"' in body  # the public statement, indented


def test_an_entry_without_personal_fields_has_no_reveal_button(console: Console) -> None:
    status, html = console.get(f"/console/entries/{console.faults[0]}")
    assert status == 200 and "已隐藏" not in html and 'id="reveal-form"' not in html
    response = console.reveal(console.faults[0])
    assert response.status_code == 400 and console.recorded() == []


def test_a_reveal_is_recorded_and_then_shows_the_checked_values(
    console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown_after: list[int] = []
    render = web_render.page

    def spy(request: Any, template: str, user: Any, **context: Any) -> Any:
        if context.get("revealed"):
            shown_after.append(len(console.recorded()))  # the record, when the values render
        return render(request, template, user, **context)

    monkeypatch.setattr(web_render, "page", spy)
    before = datetime.now(UTC)
    response = console.reveal(console.maintenance_index)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert all(value in response.text for value in TECHNICIANS)
    assert shown_after == [1], "the reveal was recorded before the page was rendered"
    [row] = console.recorded()
    assert (row.kind, row.account_id, row.login, row.name) == (
        "console",
        "test-account",
        "tester",
        "赵监管",
    )
    assert row.organization == console.parties.bureau.uscc
    assert row.log_index == console.maintenance_index and row.token_id is None
    assert row.reason == "核查维保记录真实性"
    assert before - timedelta(seconds=1) <= row.read_at <= datetime.now(UTC)


def test_a_reveal_that_cannot_be_recorded_shows_nothing(console: Console) -> None:
    console.get("/console/reveals")  # the table exists (the token store was opened)
    with console.city.node.engine.begin() as conn:
        personal_reads.drop(conn)
    response = console.reveal(console.maintenance_index)
    assert response.status_code == 503 and "未能记录" in response.text
    assert not any(value in response.text for value in TECHNICIANS)


def test_a_reveal_without_the_csrf_token_is_refused_and_not_recorded(console: Console) -> None:
    for token in (None, "forged"):
        response = console.reveal(console.maintenance_index, csrf=token)
        assert response.status_code == 403
        assert not any(value in response.text for value in TECHNICIANS)
    assert console.recorded() == []


def test_a_reveal_needs_a_reason(console: Console) -> None:
    for reason in ("", "   ", "x" * 501):
        response = console.reveal(console.maintenance_index, reason=reason)
        assert response.status_code == 422 and "请填写查看事由" in response.text
        assert not any(value in response.text for value in TECHNICIANS)
    assert console.recorded() == []


def test_an_entry_outside_the_users_districts_is_refused_and_not_recorded(
    console: Console,
) -> None:
    app: Any = console.client.app
    with signed_in(app, regulator_user(console.parties.bureau.uscc, ("430923",))):
        status, html = console.get(f"/console/entries/{console.maintenance_index}")
        assert status == 403 and "不在您的辖区" in html and "已隐藏" not in html
        response = console.reveal(console.maintenance_index)
        assert response.status_code == 403
        assert not any(value in response.text for value in TECHNICIANS)
    assert console.recorded() == []


def test_without_a_session_every_page_sends_to_the_sign_in_page(console: Console) -> None:
    with TestClient(create_app(node=console.city.node)) as anonymous:
        for url in (
            "/console/organizations",
            f"/console/organizations/{console.parties.maintainer.uscc}/scorecard",
            f"/console/entries/{console.maintenance_index}",
            "/console/reveals",
        ):
            response = anonymous.get(url, follow_redirects=False)
            assert response.status_code == 303, url
            assert response.headers["location"].startswith("/console/sign-in?next=")
        posted = anonymous.post(
            f"/console/entries/{console.maintenance_index}/reveal",
            data={"reason": "x", "csrf_token": CSRF},
            follow_redirects=False,
        )
        assert posted.status_code == 303
    assert console.recorded() == []


def test_a_reveal_is_never_served_to_a_get(console: Console) -> None:
    response = console.client.get(f"/console/entries/{console.maintenance_index}/reveal")
    assert response.status_code == 405 and console.recorded() == []


def test_an_entry_beyond_the_log_is_a_404_page(console: Console) -> None:
    size = console.city.node.log.latest_checkpoint().size
    status, html = console.get(f"/console/entries/{size + 5}")
    assert status == 404 and "没有这条记录" in html


# --- the record of reveals -----------------------------------------------------------------


def test_the_record_lists_each_reveal_with_who_when_and_which_entry(
    console: Console, tmp_path: Path, database_url: str
) -> None:
    bureau = console.parties.bureau.uscc
    assert console.reveal(console.maintenance_index).status_code == 200
    store = TokenStore.open(console.city.node.engine)
    token, record = store.issue(bureau, "alice", timedelta(hours=1))
    api = console.client.get(
        f"/v1/regulator/entries/{console.maintenance_index}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code == 200
    other, _ = store.issue(console.city.authority.uscc, "root-reader", timedelta(hours=1))
    console.client.get("/v1/regulator/entries/0", headers={"Authorization": f"Bearer {other}"})
    status, html = console.get("/console/reveals")
    assert status == 200
    rows = re.findall(r'<tr class="reveal">(.*?)</tr>', html, re.S)
    assert len(rows) == 2, "the bureau's own reveals and token reads, not another's"
    newest, oldest = rows
    assert "alice" in newest and record.id in newest and "接口令牌" in newest
    assert "赵监管" in oldest and "tester" in oldest and "工作台" in oldest
    assert "核查维保记录真实性" in oldest
    assert f'href="/console/entries/{console.maintenance_index}"' in oldest
    today = console.city.node.today().isoformat()
    assert today in text(oldest)  # when, on the ledger's clock
    _, by_person = console.get("/console/reveals", person="赵")
    assert len(re.findall(r'<tr class="reveal">', by_person)) == 1
    _, by_day = console.get("/console/reveals", **{"from": "2000-01-01", "to": "2000-12-31"})
    assert "没有符合条件的查阅记录" in by_day
    _, today_only = console.get("/console/reveals", **{"from": today, "to": today})
    assert len(re.findall(r'<tr class="reveal">', today_only)) == 2
    app = console.client.app
    assert hasattr(app, "dependency_overrides")
    with signed_in(app, regulator_user(bureau, ("430923",))):  # type: ignore[arg-type]
        _, county = console.get("/console/reveals")
    assert "辖区外" in county  # a colleague's reveal of a lift elsewhere: listed, not linked
    assert f'href="/console/entries/{console.maintenance_index}"' not in county
    env: dict[str, str | None] = {
        "LEDGER_HOME": str(tmp_path),
        "LEDGER_DATABASE_URL": database_url,
        "LEDGER_ORIGIN": None,
        "COLUMNS": "250",
    }
    listed = CliRunner().invoke(cli_app, ["token", "reads", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    kinds = [
        (r["kind"], r["login"] or r["token_id"], r["reason"])
        for r in map(orjson.loads, listed.stdout.splitlines())
    ]
    assert kinds[0] == ("console", "tester", "核查维保记录真实性")
    assert [k for k, *_ in kinds] == ["console", "token", "token"]
