"""Who is working: a name picked on a shop PC, or a login in team mode."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from lanjie.errors import BadInput
from lanjie.ledger.accounts import LoginFailed, LoginThrottled, check_login
from lanjie.web.context import Csrf, WebDep, render

router = APIRouter()
FAILED_LOGIN_DELAY = 0.5  # seconds: every failure costs the guesser at least this much


def _safe_next(target: str | None) -> str:
    """Only paths on this site (never //evil.example or https://…)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\\\" in target:
        return "/"
    return target


@router.get("/operator")
def operator_page(request: Request, web: WebDep, next: str = "/") -> Response:
    if web.team:
        return RedirectResponse(f"/login?next={_safe_next(next)}", status_code=303)
    return render(request, "operator.html", next=_safe_next(next), name=request.session.get("operator", ""))


@router.post("/operator", dependencies=[Csrf])
def operator_pick(
    request: Request, web: WebDep, name: Annotated[str, Form()], next: Annotated[str, Form()] = "/"
) -> Response:
    name = " ".join(name.split())
    if web.team or not name or len(name) > 100:
        raise BadInput("user_bad_name")
    request.session["operator"] = name
    return RedirectResponse(_safe_next(next), status_code=303)


@router.get("/login")
def login_page(request: Request, web: WebDep, next: str = "/") -> Response:
    return render(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login", dependencies=[Csrf])
async def login(
    request: Request,
    web: WebDep,
    name: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    try:
        user = check_login(web.ledger, name, password, now=web.now())
    except (LoginFailed, LoginThrottled) as error:
        await asyncio.sleep(FAILED_LOGIN_DELAY)
        return render(
            request,
            "login.html",
            status_code=error.http_status,
            next=_safe_next(next),
            error=error.render(web.settings.lang),
        )
    request.session.clear()  # a new session on login: nothing carried over from before
    request.session["user"] = user.name
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Csrf])
def logout(request: Request, web: WebDep) -> Response:
    request.session.clear()
    return RedirectResponse("/login" if web.team else "/operator", status_code=303)
