"""Who is working: a name picked on a shop PC, or a login in team mode."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from lanjie.errors import BadInput, LanjieError
from lanjie.ledger.accounts import LoginFailed, LoginThrottled, end_session, start_session, verify_login
from lanjie.web.context import Csrf, NeedsLogin, WebDep, render
from lanjie.web.guard import SESSION_TOKEN

router = APIRouter()
FAILED_LOGIN_DELAY = 0.5  # seconds: every failure costs the guesser at least this much


def _safe_next(target: str | None) -> str:
    """Only paths on this site (never //evil.example, https://…, nor /\\evil.example or a tab or
    newline inside, which browsers read as //evil.example)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
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
    if web.team:  # a ledger with accounts: a picked name is no login
        raise NeedsLogin("need_login")
    name = " ".join(name.split())
    if not name or len(name) > 100:
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
    """Throttled per client address and name; a known and an unknown name, a throttled and a
    free try all cost one argon2 verification (off the event loop) and the same delay."""
    name = name.strip()
    address = request.client.host if request.client else ""
    # The failures are counted in the ledger (every server sharing it throttles alike): off the event loop.
    wait = await anyio.to_thread.run_sync(partial(web.throttle.wait, address, name, now=web.now()))
    user = await anyio.to_thread.run_sync(partial(verify_login, web.ledger, name, password))
    error: LanjieError | None = None
    if wait.total_seconds() > 0:
        error = LoginThrottled("login_throttled", seconds=int(wait.total_seconds()) + 1)
    elif user is None:
        await anyio.to_thread.run_sync(partial(web.throttle.failed, address, name, now=web.now()))
        error = LoginFailed("login_failed")
    if error is not None or user is None:
        await asyncio.sleep(FAILED_LOGIN_DELAY)
        error = error or LoginFailed("login_failed")
        return render(
            request,
            "login.html",
            status_code=error.http_status,
            next=_safe_next(next),
            error=error.render(web.settings.lang),
        )
    await anyio.to_thread.run_sync(partial(web.throttle.succeeded, address, name))
    token = await anyio.to_thread.run_sync(partial(start_session, web.ledger, user, now=web.now()))
    await _end(request, web)
    request.session.clear()  # a new session on login: nothing carried over from before
    request.session[SESSION_TOKEN] = token
    return RedirectResponse(_safe_next(next), status_code=303)


async def _end(request: Request, web: WebDep) -> None:
    """End this browser's session in the ledger, if it has one."""
    if token := request.session.get(SESSION_TOKEN):
        await anyio.to_thread.run_sync(partial(end_session, web.ledger, str(token)))


@router.post("/logout", dependencies=[Csrf])
async def logout(request: Request, web: WebDep) -> Response:
    await _end(request, web)
    request.session.clear()
    return RedirectResponse("/login" if web.team else "/operator", status_code=303)
