"""/docs and /redoc are served with their assets from the app: the HTML names no host, and
every asset it names is served here (a bureau's closed network reaches nothing else)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.support.city import City


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    city = City.open(tmp_path, f"sqlite:///{tmp_path / 'ledger.db'}")
    with TestClient(create_app(node=city.node)) as client:
        yield client
    city.node.close()


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_docs_pages_name_no_other_host_and_every_asset_is_served(
    client: TestClient, path: str
) -> None:
    page = client.get(path)
    assert page.status_code == 200
    html = page.text
    assert "/openapi.json" in html
    absolute = re.findall(r"""https?://[^\s"'<>)]+""", html)
    assert absolute == [], f"{path} names another host: {absolute}"
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert assets, "the page loads its scripts from somewhere"
    for asset in assets:
        assert asset.startswith("/static/docs/"), asset
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 1000 or asset.endswith(".png"), asset


def test_swagger_ui_is_told_not_to_show_the_online_validator(client: TestClient) -> None:
    assert '"validatorUrl": null' in client.get("/docs").text


def test_fastapi_s_cdn_pages_are_not_served(client: TestClient) -> None:
    """One /docs route, ours: FastAPI's own (jsdelivr) page is switched off."""
    docs = [r for r in client.app.routes if getattr(r, "path", None) == "/docs"]  # type: ignore[attr-defined]
    assert len(docs) == 1
    assert "cdn.jsdelivr.net" not in client.get("/docs").text
    assert "fonts.googleapis.com" not in client.get("/redoc").text


def test_redoc_is_served_without_its_remote_logo(client: TestClient) -> None:
    script = client.get("/static/docs/redoc.standalone.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert b"cdn.redoc.ly/redoc/logo-mini.svg" not in script.content
    assert b"Redoc" in script.content and len(script.content) > 500_000
