"""店铺: connect a 抖店 shop, see its sync, sync it now, disconnect it; and /hooks/doudian, where the
platform pushes its messages.

The hook is the one post outside the login and CSRF (the platform calls it, no browser): what
vouches for it is its signature, md5(app key + body + app secret), checked before anything is
read from the body. A good push is answered at once with the documented success body and the
after-sales it names are re-read right after the answer (a message the platform sends again
only re-reads them again). A refused push is logged without its body.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import RedirectResponse, Response

from lanjie.clients.doudian_push import (
    FAIL_BODY,
    SUCCESS_BODY,
    PushMalformed,
    PushMessage,
    PushRejected,
    verify_push,
)
from lanjie.errors import LanjieError
from lanjie.i18n import t
from lanjie.model import SHANGHAI
from lanjie.platform.access import platform_errors, server_secret
from lanjie.platform.connections import connect_shop, connected_shop, connected_shops, disconnect_shop
from lanjie.platform.sync import SyncReport
from lanjie.web.context import Csrf, Operator, Web, WebDep, render
from lanjie.web.doudian import client_for, configured, refresh_pushed, run_sync

router = APIRouter()
LOG = logging.getLogger("lanjie.platform")
HOOK = "/hooks/doudian"
JSON = "application/json"
MAX_NAME = 100
MAX_CODE = 200


def _when(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%m-%d %H:%M")


def _shops_page(request: Request, web: Web, *, error: str | None = None, status_code: int = 200) -> Response:
    with web.ledger.connect() as conn:
        shops = connected_shops(conn)
    return render(
        request,
        "shops.html",
        status_code=status_code,
        shops=shops,
        ready=configured(web.settings),
        minutes=f"{web.settings.sync_minutes:g}",
        hook_url=str(request.base_url).rstrip("/") + HOOK,
        flash=request.session.pop("flash", None),
        error=error,
    )


@router.get("/shops")
def shops_page(request: Request, web: WebDep, _who: Operator) -> Response:
    return _shops_page(request, web)


def _done(request: Request, sentence: str) -> Response:
    request.session["flash"] = sentence
    return RedirectResponse("/shops", status_code=303)


@router.post("/shops/connect", dependencies=[Csrf])
def connect(
    request: Request,
    web: WebDep,
    who: Operator,
    shop_id: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
) -> Response:
    """Authorise a shop with its id (自用型) or the code of its authorisation (工具型)."""
    shop_id, code, name = shop_id.strip(), code.strip(), " ".join(name.split())
    lang = web.settings.lang
    if bool(shop_id) == bool(code) or len(code) > MAX_CODE:
        return _shops_page(request, web, error=t("shops_connect_needs_one", lang), status_code=400)
    if len(name) > MAX_NAME or len(shop_id) > 32:
        return _shops_page(request, web, error=t("user_bad_name", lang), status_code=400)
    try:
        with client_for(web.settings, web.clock) as client, platform_errors():
            shop = connect_shop(
                web.ledger,
                client,
                name=name,
                secret=server_secret(web.settings),
                operator=who,
                now=web.now(),
                platform_shop_id=shop_id or None,
                code=code or None,
            )
    except LanjieError as error:
        return _shops_page(request, web, error=error.render(lang), status_code=error.http_status)
    until = _when(shop.token_expires_at)
    return _done(request, t("shop_connected", lang, shop=shop.name, id=shop.platform_shop_id, until=until))


def _sync_sentence(report: SyncReport, web: Web) -> str:
    lang = web.settings.lang
    if report.errors:
        return t("sync_failed", lang, shop=report.shop, error="；".join(report.errors))
    counts = {"fetched": report.fetched, "new": report.new, "updated": report.updated, "unchanged": report.unchanged}
    return t("sync_done", lang, shop=report.shop, **counts)


@router.post("/shops/sync", dependencies=[Csrf])
def sync_now(request: Request, web: WebDep, who: Operator, name: Annotated[str, Form()]) -> Response:
    """立即同步: the shop's changes since its last sync, now (whatever the background's interval)."""
    with web.ledger.connect() as conn:
        shop = connected_shop(conn, name[:MAX_NAME])
    with client_for(web.settings, web.clock) as client:
        report = run_sync(web.ledger, client, shop, settings=web.settings, now=web.now(), operator=who)
    return _done(request, _sync_sentence(report, web))


@router.post("/shops/disconnect", dependencies=[Csrf])
def disconnect(request: Request, web: WebDep, _who: Operator, name: Annotated[str, Form()]) -> Response:
    name = name[:MAX_NAME]
    disconnect_shop(web.ledger, name)
    return _done(request, t("shop_disconnected", web.settings.lang, shop=name))


def _answer(body: bytes, status_code: int = 200) -> Response:
    return Response(body, status_code=status_code, media_type=JSON)


@router.post(HOOK)
async def doudian_hook(request: Request, background: BackgroundTasks) -> Response:
    """The platform's message push: checked, answered, then the after-sales re-read."""
    web: Web = request.app.state.web
    settings = web.settings
    sender = request.client.host if request.client else "?"
    if not configured(settings):
        LOG.warning("refused a push from %s: the 抖店 app key and secret are not set", sender)
        return _answer(FAIL_BODY, 404)
    body = await request.body()
    try:
        messages = verify_push(settings.doudian_app_key, settings.doudian_app_secret, request.headers, body)
    except PushRejected as error:
        # Never the body: whoever sent it, it is not ours to keep in a log.
        LOG.warning("refused a push from %s: %s (%d bytes)", sender, type(error).__name__, len(body))
        return _answer(FAIL_BODY, 400 if isinstance(error, PushMalformed) else 403)
    background.add_task(_refresh, web, messages)
    return _answer(SUCCESS_BODY)


async def _refresh(web: Web, messages: list[PushMessage]) -> None:
    try:
        await anyio.to_thread.run_sync(partial(refresh_pushed, web.ledger, web.settings, web.clock, messages))
    except LanjieError as error:
        LOG.warning("a push could not be followed up: %s", error.key)
    except Exception as error:  # the next sync catches up; the platform got its answer already
        LOG.error("a push could not be followed up: %s", type(error).__name__)
