"""The console's and the desk's cookies, and where a sign-in may send the browser next (pure
but for the response they are set on).

- Session cookies: ``elr_console`` (``Path=/console``) and ``elr_desk`` (``Path=/desk``): a
  desk's cookie is never even sent to the console. ``HttpOnly`` (no script reads them),
  ``SameSite=Strict`` (no other site's link, form or frame carries them: a link from a chat opens
  the sign-in page, which then comes back to it), ``Secure`` on https or with
  ``LEDGER_SECURE_COOKIES``, ``Max-Age`` up to the session's absolute expiry.
- Sign-in form cookies: ``elr_console_form`` / ``elr_desk_form`` (``Path`` the sign-in page
  only): the pre-session CSRF token the form posts back (double submit: there is no session to
  keep it in yet), so no other site can sign a browser in under an account of its choosing.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from fastapi import Request, Response

from api.web.identity import Desk

FORM_MAX_AGE = 3600


def session_cookie(desk: Desk) -> str:
    return f"elr_{desk}"


def form_cookie(desk: Desk) -> str:
    return f"elr_{desk}_form"


def secure(request: Request, always: bool) -> bool:
    """Whether cookies set for ``request`` are ``Secure``: on https (uvicorn's proxy headers
    make it so behind a proxy that says so), or always when the setting says."""
    return always or request.url.scheme == "https"


def set_session(
    response: Response, desk: Desk, secret: str, expires_at: datetime, now: datetime, tls: bool
) -> None:
    response.set_cookie(
        session_cookie(desk),
        secret,
        max_age=max(0, int((expires_at - now).total_seconds())),
        path=f"/{desk}",
        secure=tls,
        httponly=True,
        samesite="strict",
    )


def clear_session(response: Response, desk: Desk, tls: bool) -> None:
    response.delete_cookie(
        session_cookie(desk), path=f"/{desk}", secure=tls, httponly=True, samesite="strict"
    )


def set_form_token(response: Response, desk: Desk, token: str, tls: bool) -> None:
    response.set_cookie(
        form_cookie(desk),
        token,
        max_age=FORM_MAX_AGE,
        path=f"/{desk}/sign-in",
        secure=tls,
        httponly=True,
        samesite="strict",
    )


def clear_form_token(response: Response, desk: Desk, tls: bool) -> None:
    response.delete_cookie(
        form_cookie(desk), path=f"/{desk}/sign-in", secure=tls, httponly=True, samesite="strict"
    )


def safe_next(value: str | None, desk: Desk) -> str:
    """``value`` if it is a path on this site under ``/{desk}`` (not the sign-in or sign-out
    page), else ``/{desk}``: a sign-in link can never send the browser to another site."""
    home = f"/{desk}"
    if not value or len(value) > 2000 or any(ord(c) < 33 or c == "\\" for c in value):
        return home
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or value.startswith("//"):
        return home
    path = parts.path
    if not (path == home or path.startswith(home + "/")):
        return home
    if path.startswith((f"{home}/sign-in", f"{home}/sign-out")) or "/../" in path + "/":
        return home
    return value
