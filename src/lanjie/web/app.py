"""The web workbench: `create_app` wires the ledger, settings and pages together."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.middleware.sessions import SessionMiddleware

from lanjie.config import Settings
from lanjie.errors import LanjieError
from lanjie.ledger.database import explain_db_error
from lanjie.model import SHANGHAI
from lanjie.web.context import NeedsLogin, NeedsOperator, Web, render
from lanjie.web.routes import auth, couriers, downloads, imports, pages, remarks

STATIC = Path(__file__).parent / "static"
SESSION_DAYS = 14


def _now() -> datetime:
    return datetime.now(SHANGHAI).replace(microsecond=0)


def create_app(
    *, ledger: Engine, settings: Settings, team: bool, secret: str, clock: Callable[[], datetime] = _now
) -> FastAPI:
    app = FastAPI(title="lanjie 拦截工作台", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = Web(ledger, settings, team, clock)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="lanjie_session",
        max_age=SESSION_DAYS * 24 * 3600,
        same_site="lax",
        https_only=False,  # a shop's LAN is plain HTTP; the cookie is HttpOnly and signed
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (pages, couriers, remarks, imports, downloads, auth):
        app.include_router(module.router)

    @app.exception_handler(LanjieError)
    async def lanjie_error(request: Request, error: LanjieError) -> Response:
        if isinstance(error, NeedsLogin | NeedsOperator) and request.method == "GET":
            target = "/login" if isinstance(error, NeedsLogin) else "/operator"
            return RedirectResponse(f"{target}?next={quote(str(request.url.path))}", status_code=303)
        lang = app.state.web.settings.lang
        return render(request, "error.html", status_code=error.http_status, message=error.render(lang))

    @app.exception_handler(SQLAlchemyError)
    async def database_error(request: Request, error: SQLAlchemyError) -> Response:
        if (trouble := explain_db_error(error)) is None:  # disk full, busy, connection lost: a page that says so
            raise error
        return await lanjie_error(request, trouble)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], object]) -> Response:
        response: Response = await call_next(request)  # type: ignore[misc]
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    return app
