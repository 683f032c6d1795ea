"""The web workbench: `create_app` wires the ledger, settings and pages together."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from lanjie.config import Settings
from lanjie.errors import LanjieError
from lanjie.i18n import Listing, t
from lanjie.ledger.accounts import SESSION_IDLE, has_users
from lanjie.ledger.database import explain_db_error
from lanjie.model import SHANGHAI
from lanjie.web.context import NeedsLogin, NeedsOperator, Web, error_page
from lanjie.web.doudian import BackgroundSync, configured
from lanjie.web.guard import Gate, HostAndHeaders, add_security_headers
from lanjie.web.routes import auth, chat, couriers, downloads, imports, kuaidi100, pages, platform, remarks, tracking
from lanjie.web.tracking import BackgroundTracking, ManualRefresh, Services, tracking_configured

STATIC = Path(__file__).parent / "static"
LOG = logging.getLogger("lanjie.web")
# An HTTP status raised by Starlette/FastAPI themselves, and the words for it.
HTTP_MESSAGES = {
    400: "bad_request",
    404: "page_not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    429: "too_many_requests",
}


def _now() -> datetime:
    return datetime.now(SHANGHAI).replace(microsecond=0)


def create_app(
    *,
    ledger: Engine,
    settings: Settings,
    team: bool,
    secret: str,
    clock: Callable[[], datetime] = _now,
    allowed_hosts: Iterable[str] | None = None,
    secure_cookies: bool | None = None,
    background_sync: bool = False,
    background_tracking: bool = False,
    services: Services | None = None,
) -> FastAPI:
    """The workbench. `team`: served to the network; a ledger with accounts asks for a login
    whatever `team` says. `allowed_hosts`: the Host names served (None: any, for tests driving
    the app in-process). `secure_cookies`: served behind HTTPS (default: the setting).
    `background_sync`: sync the connected 抖店 shops every `sync_minutes` while the app runs
    (lanjie serve; off for tests unless they ask), when the app's key and secret are set.
    `background_tracking`: likewise, ask 快递100 where the parcels with open work are every
    `track_minutes`, when its customer and key are set. `services`: how the app reaches 快递100 and
    the chat robots (tests give the fakes' clocks and sleeps)."""
    syncer = BackgroundSync(ledger, settings, clock=clock) if background_sync and configured(settings) else None
    services = services or Services()
    tracker = (
        BackgroundTracking(ledger, settings, clock=clock, services=services)
        if background_tracking and tracking_configured(settings)
        else None
    )
    manual = ManualRefresh(ledger, settings, clock=clock, services=services)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if syncer is not None:
            syncer.start()
        if tracker is not None:
            tracker.start()
        try:
            yield
        finally:
            if syncer is not None:
                await anyio.to_thread.run_sync(syncer.stop)
            if tracker is not None:
                await anyio.to_thread.run_sync(tracker.stop)
            await anyio.to_thread.run_sync(manual.wait, 15.0)

    app = FastAPI(title="lanjie 拦截工作台", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.syncer = syncer
    app.state.tracker = tracker
    app.state.tracking = manual
    app.state.services = services
    secure = settings.secure_cookies if secure_cookies is None else secure_cookies
    hosts = None if allowed_hosts is None else frozenset(h.strip().lower() for h in allowed_hosts)
    web = Web(ledger, settings, team or has_users(ledger), clock, allowed_hosts=hosts, secure_cookies=secure)
    app.state.web = web
    lang = settings.lang
    app.add_middleware(Gate)  # inside the session cookie: it reads who is logged in
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="lanjie_session",
        max_age=int(SESSION_IDLE.total_seconds()),
        same_site="lax",
        https_only=secure,  # a shop's LAN is plain HTTP; behind HTTPS (--https) the cookie never leaves it
    )
    app.add_middleware(HostAndHeaders)  # outermost: a foreign Host is refused before anything
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (pages, couriers, chat, remarks, imports, downloads, auth, platform, kuaidi100, tracking):
        app.include_router(module.router)

    @app.exception_handler(LanjieError)
    async def lanjie_error(request: Request, error: LanjieError) -> Response:
        if isinstance(error, NeedsLogin | NeedsOperator) and request.method == "GET":
            target = "/login" if isinstance(error, NeedsLogin) else "/operator"
            return RedirectResponse(f"{target}?next={quote(str(request.url.path))}", status_code=303)
        return error_page(request, error.http_status, error.render(lang))

    @app.exception_handler(SQLAlchemyError)
    async def database_error(request: Request, error: SQLAlchemyError) -> Response:
        if (trouble := explain_db_error(error)) is None:  # disk full, busy, connection lost: a page that says so
            raise error
        return await lanjie_error(request, trouble)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        key = HTTP_MESSAGES.get(error.status_code)
        if key == "body_too_large":
            message = t(key, lang, limit=settings.max_upload_mb)
        else:
            message = t(key, lang) if key else t("http_error", lang, status=error.status_code)
        response = error_page(request, error.status_code, message)
        for name, value in (error.headers or {}).items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(RequestValidationError)
    async def bad_parameters(request: Request, error: RequestValidationError) -> Response:
        """`?page=abc` and the like: a page that says which parameter, never FastAPI's English JSON."""
        fields = Listing(sorted({str(e.get("loc", ("", ""))[-1]) for e in error.errors()}))
        return error_page(request, 422, t("bad_parameters", lang, fields=fields))

    @app.exception_handler(Exception)
    async def server_error(request: Request, error: Exception) -> Response:
        """Anything unexpected: a page that says what to do, never a traceback (that goes to the log)."""
        at = _now().strftime("%Y-%m-%d %H:%M:%S")
        # The time the page shows, to find the traceback uvicorn logs right after this line.
        LOG.error("unexpected error at %s on %s %s: %r", at, request.method, request.url.path, error)
        response = error_page(request, 500, t("server_error", lang, at=at))
        add_security_headers(response.headers, web)  # outside the middleware that adds them
        return response

    return app
