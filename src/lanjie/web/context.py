"""What every page and action needs: the ledger, settings, the clock, who is working, CSRF."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.responses import Response

from lanjie.buckets import label, urgency
from lanjie.config import FLAG_COLOURS, Settings
from lanjie.couriers import courier_name
from lanjie.errors import Forbidden, LanjieError
from lanjie.i18n import t
from lanjie.ledger.accounts import LoginThrottle
from lanjie.ledger.records import shop_ids
from lanjie.ledger.workview import refresh_work
from lanjie.model import SHANGHAI, Bucket


def _beijing(moment: datetime | None, pattern: str = "%m-%d %H:%M") -> str:
    return "" if moment is None else moment.astimezone(SHANGHAI).strftime(pattern)


def _yuan(fen: int | None) -> str:
    return "" if fen is None else f"{fen / 100:.2f}"


TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")  # autoescapes every .html
TEMPLATES.env.filters.update(bj=_beijing, yuan=_yuan)
TEMPLATES.env.globals.update(
    bucket_label=lambda b: label(Bucket(b)),
    urgency=lambda b, left, hours: urgency(Bucket(b), left, hours) or "",
    courier_name=courier_name,
    flag_index=lambda colour: FLAG_COLOURS.index(colour) if colour in FLAG_COLOURS else 0,
    t=t,
)
USER = "lanjie_user"  # request.state: the logged-in user's name, set by lanjie.web.guard for each request


@dataclass
class Web:
    ledger: Engine
    settings: Settings
    team: bool  # the ledger has accounts (or is served to the network): logins required
    clock: Callable[[], datetime]
    allowed_hosts: frozenset[str] | None = None  # Host headers served (None: any, for tests in-process)
    secure_cookies: bool = False  # served behind HTTPS: cookies only over HTTPS
    throttle: LoginThrottle = field(init=False)  # failed logins, counted in the ledger for every server

    def __post_init__(self) -> None:
        self.throttle = LoginThrottle(self.ledger)

    def now(self) -> datetime:
        return self.clock()


class NeedsLogin(LanjieError):
    http_status = 401


class NeedsOperator(LanjieError):
    http_status = 401


def get_web(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


WebDep = Annotated[Web, Depends(get_web)]


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def who(request: Request) -> str | None:
    """The logged-in user in team mode (its session checked against the ledger by the guard),
    else the name picked on this PC."""
    if get_web(request).team:
        return getattr(request.state, USER, None)
    if "session" not in request.scope:
        return None
    name = request.session.get("operator")
    return str(name) if name else None


def operator_name(request: Request, web: WebDep) -> str:
    """Who is doing this: the logged-in user in team mode, else the name picked on this PC."""
    name = who(request)
    if not name:
        raise NeedsLogin("need_operator") if web.team else NeedsOperator("need_operator")
    return str(name)


Operator = Annotated[str, Depends(operator_name)]


async def check_csrf(request: Request) -> None:
    """Every form and htmx post carries the session's token (a form field or X-CSRF-Token)."""
    expected = request.session.get("csrf")
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = str((await request.form()).get("csrf") or "")
    if not expected or not sent or not secrets.compare_digest(str(expected), sent):
        raise Forbidden("csrf_failed")


Csrf = Depends(check_csrf)


# A page never waits for an import: when one holds the ledger it shows the kept work as it
# is (an import writes its own shops' work before it commits).
PAGE_WAIT = 0.2  # seconds


def fresh_work(web: WebDep) -> Web:
    """The ledger's decided work brought up to date before a page reads it."""
    refresh_work(web.ledger, settings=web.settings, now=web.now(), wait=PAGE_WAIT)
    return web


WorkDep = Annotated[Web, Depends(fresh_work)]


def selected_shops(web: Web, shop: str | None) -> list[int] | None:
    """The shop a page is filtered to (None: every shop)."""
    if not shop:
        return None
    with web.ledger.connect() as conn:
        return list(shop_ids(conn, [shop]).values()) or [-1]


def all_shops(web: Web) -> list[str]:
    with web.ledger.connect() as conn:
        return sorted(shop_ids(conn, ()))


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    web = get_web(request)
    has_session = "session" in request.scope  # not for a request refused before the session is read
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "operator": who(request),
            "team": web.team,
            "lang": web.settings.lang,
            "csrf": csrf_token(request) if has_session else "",
            "now": web.now(),
            "tz": SHANGHAI,
            "settings": web.settings,
            # htmx asks for a piece of a page: the same templates, without the page around them.
            "layout": "_bare.html" if request.headers.get("hx-request") == "true" else "base.html",
            **context,
        },
        status_code=status_code,
    )


def error_page(request: Request, status_code: int, message: str) -> Response:
    """The one error page: what went wrong and what to do next, in the settings' language
    (a bare fragment for htmx, which shows it in place)."""
    return render(request, "error.html", status_code=status_code, message=message)
