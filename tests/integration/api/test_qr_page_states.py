"""The QR page tells the safety truth, from signed entries through the read models, on both
backends: each state's badge and its details, no rescue button or insurer for a retired lift,
the as-of line on every page, free text isolated, and an HTML page with 96333 for whatever
under /e is not a known elevator."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.support import lift_states as ls
from tests.support.city import City

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


class Page:
    def __init__(self, status: int, body: str) -> None:
        self.status, self.html = status, body
        inline = re.sub(r"</?(bdi|strong)[^>]*>", "", body)
        self.text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", inline)))

    def section(self, ident: str) -> str:
        match = re.search(rf'<section id="{ident}".*?</section>', self.html, re.S)
        return "" if match is None else re.sub(r"<[^>]+>", "", match.group(0))

    @property
    def badge(self) -> str:
        match = re.search(r'id="status-badge">([^<]*)<', self.html)
        assert match is not None, "every elevator page has a badge"
        return match.group(1)


def page_of(client: TestClient, path: str, headers: dict[str, str] = BROWSER) -> Page:
    response = client.get(path, headers=headers)
    return Page(response.status_code, response.text)


@pytest.fixture
def city(tmp_path: Path, database_url: str) -> Iterator[City]:
    city = City.open(tmp_path, database_url)
    yield city
    city.node.close()


def lift(city: City, state: str) -> Page:
    [code] = ls.build(city, (state,)).values()
    with TestClient(create_app(node=city.node)) as client:
        return page_of(client, f"/e/{code}")


def test_a_lift_with_nothing_open_is_in_normal_use(city: City) -> None:
    page = lift(city, "normal")
    assert page.status == 200 and page.badge == "正常使用"
    assert 'href="tel:96333"' in page.html and "保险公司" in page.section("parties")


def test_the_page_names_the_certificate_number_the_variety_and_where_to_complain(
    city: City,
) -> None:
    page = lift(city, "normal")
    assert re.search(r"使用登记证编号 梯\d{2}湘H\d+\(\d{2}\)", page.text), page.text
    assert "设备品种 3110 曳引驱动乘客电梯" in page.text
    complaints = page.section("complaints")
    assert "12315" in complaints and "12345" in complaints and "仅在有人被困" in complaints


def test_an_open_rescue_is_shown_first_with_the_number_trapped(city: City) -> None:
    page = lift(city, "rescue")
    assert page.badge == "困人救援中"
    assert f"{ls.TRAPPED} 人被困" in page.text and "报警于" in page.text
    assert "正常使用" not in page.text


def test_a_stopped_lift_shows_why_and_since_when(city: City) -> None:
    page = lift(city, "stopped")
    assert page.badge == "停用"
    assert f"停用原因：{ls.STOP_REASON}" in page.text and "停用自" in page.text
    assert "请勿乘坐" in page.text


def test_a_hazard_under_supervision_shows_what_and_by_when(city: City) -> None:
    page = lift(city, "hazard")
    assert page.badge == "挂牌督办"
    assert ls.HAZARD in page.text and f"整改期限 {ls.HAZARD_DEADLINE.isoformat()}" in page.text


def test_a_scrapped_lift_is_prohibited_without_rescue_button_or_insurer(city: City) -> None:
    page = lift(city, "scrapped")
    assert page.badge == "禁止使用" and ls.SCRAP_REASON in page.text
    assert "tel:96333" not in page.html, "no rescue button for a lift out of service for good"
    assert "保险公司" not in page.section("parties") and "维保单位" not in page.section("parties")
    assert "下次维保" not in page.text and 'id="inspection-due"' not in page.html


def test_a_cancelled_lift_is_prohibited_without_rescue_button_or_insurer(city: City) -> None:
    page = lift(city, "cancelled")
    assert page.badge == "禁止使用" and ls.CANCEL_REASON in page.text and "注销" in page.text
    assert "tel:96333" not in page.html and "保险公司" not in page.section("parties")


def test_a_failed_inspection_is_prohibited_with_its_findings(city: City) -> None:
    page = lift(city, "failed")
    assert page.badge == "禁止使用" and "检验不合格" in page.text and ls.FINDING in page.text


def test_a_lift_never_registered_is_prohibited(city: City) -> None:
    page = lift(city, "unregistered")
    assert page.badge == "禁止使用" and "未办理使用登记" in page.text


def test_every_page_says_as_of_when(city: City) -> None:
    page = lift(city, "normal")
    size = city.node.log.latest_checkpoint().size
    assert re.search(
        rf"数据截至 \d{{4}}-\d\d-\d\d \d\d:\d\d（北京时间）· 签名检查点共 {size} 条", page.text
    )


def test_free_text_is_shown_isolated(city: City) -> None:
    page = lift(city, "stopped")
    assert f'<bdi dir="auto">{ls.STOP_REASON}</bdi>' in page.html
    assert re.search(r'<bdi dir="auto">赫山花园物业服务有限公司</bdi>', page.html)


@pytest.mark.parametrize(
    "path",
    ["/e", "/e/", "/e/a/b", "/e/" + "3" * 65, "/e/%01junk", "/e/%20", "/e/999999999999999999"],
)
def test_whatever_is_not_an_elevator_gets_a_page_with_96333(city: City, path: str) -> None:
    with TestClient(create_app(node=city.node)) as client:
        response = client.get(path, headers=BROWSER)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    page = Page(response.status_code, response.text)
    assert "96333" in page.text and 'href="tel:96333"' in page.html
    assert "12315" in page.text and "12345" in page.text
    assert "未找到该电梯" in page.text and "数据截至" in page.text, "as of when it is not known"


def test_a_trailing_slash_after_a_code_leads_to_its_page(city: City) -> None:
    [code] = ls.build(city, ("stopped",)).values()
    with TestClient(create_app(node=city.node)) as client:
        moved = client.get(f"/e/{code}/", headers=BROWSER, follow_redirects=False)
        assert moved.status_code == 308 and moved.headers["location"] == f"/e/{code}"
        assert client.get(f"/e/{code}/", headers=BROWSER).status_code == 200


def test_an_unknown_identifier_is_echoed_isolated(city: City) -> None:
    with TestClient(create_app(node=city.node)) as client:
        page = page_of(client, "/e/אבג-123")
    assert page.status == 404 and '<bdi dir="auto" id="identifier">אבג-123</bdi>' in page.html


def test_a_client_asking_for_json_only_gets_a_problem(city: City) -> None:
    with TestClient(create_app(node=city.node)) as client:
        response = client.get("/e/a/b", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_the_badge_clears_with_the_entries_that_close_each_state(city: City) -> None:
    """A released rescue, a resumed lift and a closed hazard leave nothing behind."""
    parties = ls.Parties.onboard(city)
    codes = ls.build(city, ("rescue", "stopped", "hazard"), parties)
    for state, code in codes.items():
        ls.close(city, parties, state, code)
    with TestClient(create_app(node=city.node)) as client:
        for state, code in codes.items():
            page = page_of(client, f"/e/{code}")
            assert page.badge == "正常使用", (state, page.section("safety"))
