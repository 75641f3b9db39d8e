"""The console's work lists in a real browser (Debian's chromium driven by Playwright, JavaScript
off: the pages must work without it), signed in as a bureau of the demo city: each list page,
a filter, the pager, a row's links, and the CSV and Excel downloads opened and checked row for
row against the list. Screenshots at 1280 and 390 px go to /tmp/shots-lists/."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from api.app import create_app
from api.console.worklist_views import LISTS_ZH, export_cells, export_header
from demo import plan_city
from projections.worklists import NAMES, Query, counts, rows
from tests.support.browser import ARGS, CHROMIUM, playwright_or_skip
from tests.support.city import NOW, City
from tests.support.seeded import seed_plan
from tests.support.servers import in_thread
from tests.support.web import regulator_user, signed_in

SHOTS = Path("/tmp/shots-lists")
SCOPE = ("430900",)


@dataclass
class Served:
    base: str
    city: City

    def rows(self, name: str, **q: Any) -> list[dict[str, Any]]:
        node = self.city.node
        return rows(
            node.engine, name, node.today(), Query(**q), zone=node.settings.zone, within=SCOPE
        )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The default demo city (20 lifts, five years: every list has a lift), a bureau of 益阳市
    signed in."""
    tmp = tmp_path_factory.mktemp("console-lists")
    city = City.open(tmp / "home", f"sqlite:///{tmp}/ledger.db")
    try:
        plan = plan_city(20, years=5, seed=0, now=NOW)
        seed_plan(city, plan)
        app = create_app(node=city.node)
        user = regulator_user(plan.regulator.uscc, SCOPE, name="赫山监管员")
        with signed_in(app, user), in_thread(city.node, app) as base:
            yield Served(base, city)
    finally:
        city.node.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_playwright = playwright_or_skip()
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        java_script_enabled=False,
        locale="zh-CN",
        accept_downloads=True,
    )
    yield context.new_page()
    context.close()


def _codes_on(page: Any) -> list[str]:
    return [
        str(c)
        for c in page.locator("#rows tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.code)"
        )
    ]


def test_every_list_opens_with_its_count(served: Served, page: Any) -> None:
    node = served.city.node
    counted = counts(node.engine, node.today(), SCOPE, node.settings.zone)
    page.goto(f"{served.base}/console/lists")
    for name in NAMES:
        assert page.locator(f"#list-{name} .count").inner_text().strip() == str(counted[name])
    for name in NAMES:
        page.locator(f"#list-{name} a").first.click()
        assert page.url == f"{served.base}/console/lists/{name}"
        assert page.locator("#list-title").inner_text().startswith(LISTS_ZH[name][0])
        assert page.locator("#total").inner_text() == f"共 {counted[name]} 条"
        assert counted[name] > 0, f"the demo city has a lift on {name}"
        assert _codes_on(page) == [r["equipment_code"] for r in served.rows(name)][:50]
        page.go_back()


def test_a_filter_narrows_the_list_to_a_district(served: Served, page: Any) -> None:
    page.goto(f"{served.base}/console/lists/late-entries")
    options = page.locator("select[name=district] option").evaluate_all(
        "os => os.map(o => o.value)"
    )
    assert options[:2] == ["", "430900"] and all(o == "" or o.startswith("4309") for o in options)
    page.select_option("select[name=district]", "430902")
    page.locator("#filters button[type=submit]").click()
    assert "district=430902" in page.url
    expected = [r["equipment_code"] for r in served.rows("late-entries", district="430902")]
    assert expected and _codes_on(page) == expected
    cells = page.locator("#rows td[data-label=区划]").all_inner_texts()
    assert set(cells) == {"资阳区（430902）"}


def test_sorting_by_a_header_and_the_pager(served: Served, page: Any) -> None:
    everything = served.rows("late-entries", sort="late_entries", descending=True)
    page.goto(f"{served.base}/console/lists/late-entries?size=6")
    page.locator("#rows th a[data-key=late_entries]").click()  # ascending
    page.locator("#rows th a[data-key=late_entries]").click()  # then descending
    assert "order=desc" in page.url
    codes = [r["equipment_code"] for r in everything]
    assert _codes_on(page) == codes[:6]
    assert page.locator("#page-of").inner_text() == f"第 1 / {-(-len(codes) // 6)} 页"
    page.locator("#next").click()
    assert "page=2" in page.url and _codes_on(page) == codes[6:12]
    page.locator("#prev").click()
    assert _codes_on(page) == codes[:6]
    assert page.locator("select[name=sort]").input_value() == "late_entries"
    assert page.locator("select[name=order]").input_value() == "desc"
    assert page.locator("select[name=size]").input_value() == "6"
    page.select_option("select[name=district]", "430903")  # a filter keeps the sort and size
    page.locator("#filters button[type=submit]").click()
    narrowed = served.rows("late-entries", district="430903", sort="late_entries", descending=True)
    assert _codes_on(page) == [r["equipment_code"] for r in narrowed][:6]
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "e2e-sorted-1280.png"))


def test_a_row_opens_its_elevator_and_its_proving_entries(served: Served, page: Any) -> None:
    listed = served.rows("illegal-use")
    page.goto(f"{served.base}/console/lists/illegal-use")
    first = page.locator("#rows tbody tr").first
    assert first.locator("a.elevator").get_attribute("href") == (
        f"/console/elevators/{listed[0]['equipment_code']}"
    )
    proofs = [e["log_index"] for r in listed for reason in r["reasons"] for e in reason["entries"]]
    hrefs = page.locator("#rows a.entry").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert proofs and hrefs == [f"/console/entries/{i}" for i in proofs]
    first.locator("a.elevator").click()
    assert page.url == f"{served.base}/console/elevators/{listed[0]['equipment_code']}"


@pytest.mark.parametrize("name", ["late-entries", "illegal-use", "suspicious-maintenance"])
def test_csv_and_excel_downloads_hold_the_lists_rows(
    served: Served, page: Any, name: str, tmp_path: Path
) -> None:
    listed = served.rows(name, sort="district")
    expected = [[_as_csv(v) for v in export_cells(name, r)] for r in listed]
    page.goto(f"{served.base}/console/lists/{name}?sort=district&size=5")  # export: every page
    with page.expect_download() as got:
        page.locator("#export-csv").click()
    download = got.value
    assert download.suggested_filename.endswith(".csv")
    assert LISTS_ZH[name][0] in download.suggested_filename  # the UTF-8 name is used
    path = tmp_path / "list.csv"
    download.save_as(path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as f:
        table = list(csv.reader(f))
    assert table[0] == export_header(name)
    assert table[1:] == expected

    with page.expect_download() as got:
        page.locator("#export-xlsx").click()
    book_path = tmp_path / "list.xlsx"
    got.value.save_as(book_path)
    book = openpyxl.load_workbook(book_path)
    sheet = list(book["清单"].iter_rows(values_only=True))
    assert list(sheet[0]) == export_header(name)
    assert [[_as_csv(v) for v in r] for r in sheet[1:]] == expected
    notes = {str(k): str(v) for k, v in book["说明"].iter_rows(values_only=True)}
    assert notes["辖区"] == "430900" and notes["导出人"].startswith("赫山监管员")
    assert str(served.city.node.log.latest_checkpoint().size) in notes["数据来源"]


def _as_csv(value: Any) -> str:
    """A cell as the CSV writes it (no formula-like text in this city: checked by unit tests)."""
    return "" if value is None else str(value)


def test_another_district_is_refused_in_the_browser(served: Served, page: Any) -> None:
    page.goto(f"{served.base}/console/lists/uninsured?district=110101")
    assert "不在您的辖区" in page.locator("#problem").inner_text()
    assert page.locator("#rows").count() == 0


@pytest.mark.parametrize("width", [1280, 390])
def test_screenshots(served: Served, browser: Any, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    SHOTS.mkdir(exist_ok=True)
    for name in ("lists", "lists/illegal-use", "lists/suspicious-maintenance"):
        page.goto(f"{served.base}/console/{name}")
        page.screenshot(
            path=str(SHOTS / f"e2e-{name.replace('/', '-')}-{width}.png"), full_page=True
        )
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{name} fits {width} px without sideways scrolling"
    context.close()
