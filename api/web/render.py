"""Rendering the console's and the desk's pages (Jinja2, server-side, no JavaScript needed).

Every page is given the signed-in user (its name, organization, districts and the CSRF token its
forms post back) and is sent ``Cache-Control: no-store``: a shared computer's back button or a
proxy must not show a regulator's page to the next person."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context

from api.local_time import local_date
from api.web.identity import StaffUser
from domain.model.areas import area_name

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"
templates = Jinja2Templates(directory=str(TEMPLATES))


def district_zh(code: str | None) -> str:
    """``资阳区（430902）`` where the ledger knows the area's name, else the code (— if none)."""
    if not code:
        return "—"
    name = area_name(code)
    return f"{name}（{code}）" if name else code


@pass_context
def ledger_day(context: Any, at: datetime) -> str:
    """An instant's date on the ledger's calendar (``LEDGER_TIME_ZONE``), not UTC's."""
    return local_date(at, context["request"].app.state.node.settings.zone)


templates.env.filters["district"] = district_zh  # {{ code | district }} on every page
templates.env.filters["ledger_day"] = ledger_day  # {{ instant | ledger_day }}


def page(
    request: Request, template: str, user: StaffUser | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """``template`` (under api/templates, e.g. ``console/dashboard.html``) for ``user``."""
    response = templates.TemplateResponse(
        request, template, {"user": user, **context}, status_code=status_code
    )
    response.headers["Cache-Control"] = "no-store"
    return response
