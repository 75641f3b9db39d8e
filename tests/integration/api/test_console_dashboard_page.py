"""The dashboard page without a browser (the browser tests skip where chromium is missing):
signed in it answers with every list's count and the four charts; a district outside the
account's is a 403 page showing none of them, a malformed one a 400 page; without a session, the
sign-in page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from projections.dashboard import LIST_NAMES
from tests.support.seeded import PlannedCity
from tests.support.web import regulator_user, signed_in

BUREAU = "11430900MB0000000X"


@pytest.fixture(scope="module")
def client(planned_city: PlannedCity) -> Iterator[TestClient]:
    app = create_app(node=planned_city.city.node)
    with signed_in(app, regulator_user(BUREAU, ("430900",))), TestClient(app) as client:
        yield client


def test_the_dashboard_shows_every_lists_count_and_four_charts(client: TestClient) -> None:
    page = client.get("/console")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    for name in LIST_NAMES:
        assert f'href="/console/lists/{name}"' in page.text
    assert page.text.count('<svg xmlns="http://www.w3.org/2000/svg"') == 4


def test_another_districts_dashboard_is_refused_and_shows_nothing_of_it(
    client: TestClient,
) -> None:
    page = client.get("/console", params={"district": "440305"})
    assert page.status_code == 403 and "不在您的辖区" in page.text
    assert 'id="counts"' not in page.text and "<svg" not in page.text


def test_a_malformed_district_is_a_400_page(client: TestClient) -> None:
    page = client.get("/console", params={"district": "4309"})
    assert page.status_code == 400 and "6 位数字" in page.text and "<svg" not in page.text


def test_without_a_session_the_dashboard_sends_to_sign_in(planned_city: PlannedCity) -> None:
    with TestClient(create_app(node=planned_city.city.node)) as anonymous:
        page = anonymous.get("/console", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/console/sign-in?next=/console"
