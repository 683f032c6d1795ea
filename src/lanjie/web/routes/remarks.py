"""备注: the remark and flag to write on each order, and 已备注."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from lanjie.errors import BadInput
from lanjie.i18n import t
from lanjie.ledger.actions import RemarkRef, record_remarks
from lanjie.ledger.workview import refresh_work
from lanjie.model import Bucket
from lanjie.platform.access import server_secret
from lanjie.platform.connections import connected_shops
from lanjie.platform.remarks_out import PushReport, push_remarks
from lanjie.remarks import format_remark, remark_date
from lanjie.web import data
from lanjie.web.context import PAGE_WAIT, Csrf, Operator, WebDep, WorkDep, all_shops, render
from lanjie.web.doudian import client_for, configured

router = APIRouter()
PAGE_SIZE = 100


def _texts(rows: list[dict[str, Any]], web: WebDep, who: str) -> list[dict[str, Any]]:
    settings, today = web.settings, web.now()
    for row in rows:
        row["text"] = format_remark(
            settings.remark_template,
            date=remark_date(row["remark_on"] or today),
            status=row["remark_status"],
            couriers=[c for c in row["couriers"].split(",") if c],
            operator=who,
        )
        row["flag"] = settings.flags[Bucket(row["bucket"]).value]
        row["item"] = {key: row[key] for key in ("shop_id", "order_key", "order_id", "remark_status", "flag", "text")}
    return rows


@router.get("/remarks")
def remarks_page(request: Request, web: WorkDep, who: Operator, shop: str | None = None, page: int = 1) -> Response:
    with web.ledger.connect() as conn:
        ids = data.shop_filter(conn, shop)
        rows, paging = data.pending_remarks(conn, ids, number=page, size=PAGE_SIZE)
        connected = {s.shop_id for s in connected_shops(conn)} if configured(web.settings) else set()
    return render(
        request,
        "remarks.html",
        rows=_texts(rows, web, who),
        page=paging,
        shop=shop or "",
        shops=all_shops(web),
        flash=request.session.pop("flash", None),
        can_push=any(row["shop_id"] in connected for row in rows),
    )


def _refs(rows: list[dict[str, Any]], web: WebDep, who: str) -> list[RemarkRef]:
    return [
        RemarkRef(row["shop_id"], row["order_key"], row["remark_status"], row["text"], row["flag"], row["order_id"])
        for row in _texts(rows, web, who)
    ]


def _wanted(item: list[str]) -> list[tuple[int, str, str]]:
    wanted = []
    for value in item:
        try:
            fields = json.loads(value)
            shop_id, order_key, status = int(fields["shop_id"]), str(fields["order_key"]), str(fields["remark_status"])
        except (ValueError, KeyError, TypeError) as error:
            raise BadInput("nothing_selected") from error
        if not 0 < shop_id <= data.MAX_ID or len(order_key) > 100 or len(status) > 32:
            raise BadInput("remark_not_due", order=order_key[:40], status=status[:32])
        wanted.append((shop_id, order_key, status))
    if not wanted:
        raise BadInput("nothing_selected")
    return list(dict.fromkeys(wanted))


@router.post("/remarks/done", dependencies=[Csrf])
def remarks_done(
    request: Request,
    web: WebDep,
    who: Operator,
    item: Annotated[list[str], Form()],
    shop: Annotated[str, Form()] = "",
    page: Annotated[int, Form()] = 1,
) -> Response:
    """已备注: each item names a remark the page showed (JSON: shop_id, order_key, remark_status).
    Only remarks due now are recorded, with the text and flag the ledger says are due (what the
    page posts beyond the names is not trusted)."""
    wanted = _wanted(item)
    refresh_work(web.ledger, settings=web.settings, now=web.now(), wait=PAGE_WAIT)
    with web.ledger.connect() as conn:
        due = data.due_remarks(conn, wanted)
    missing = [key for key in wanted if key not in due]
    if missing:
        raise BadInput("remark_not_due", order=missing[0][1], status=missing[0][2])
    refs = _refs([due[key] for key in wanted], web, who)
    count = record_remarks(web.ledger, refs, operator=who, now=web.now())
    if request.headers.get("hx-request") == "true":
        return render(request, "_remarked.html", count=count, total=len(refs), who=who)
    request.session["flash"] = t("web_remarks_recorded", who=who, count=count)
    return RedirectResponse(_back(shop, page), status_code=303)


def _back(shop: str, page: int) -> str:
    return "/remarks" + (f"?shop={quote(shop)}&page={page}" if shop else f"?page={page}")


def _push_lines(report: PushReport, already: int, web: WebDep) -> list[tuple[str, str]]:
    """What 写入抖店 did, a line each: (ok / warn / bad, sentence)."""
    lang = web.settings.lang
    lines = [("ok", t("push_remarks_done", lang, n=len(report.written)))]
    if already:
        lines.append(("warn", t("remarks_push_already", lang, n=already)))
    lines += [("warn", t("push_remark_busy", lang, order=ref.order_key)) for ref in report.busy]
    lines += [("bad", t("push_remark_failed", lang, order=ref.order_key, reason=why)) for ref, why in report.failed]
    lines += [
        ("warn", t("push_remark_skipped", lang, order=ref.order_key, reason=why.render(lang)))
        for ref, why in report.skipped
    ]
    return lines


@router.post("/remarks/push", dependencies=[Csrf])
def remarks_push(
    request: Request,
    web: WebDep,
    who: Operator,
    item: Annotated[list[str], Form()],
    shop: Annotated[str, Form()] = "",
    page: Annotated[int, Form()] = 1,
) -> Response:
    """写入抖店: the page's remarks and flags written into the 抖店 orders, each once (a remark
    written meanwhile, by this page pressed twice or by a colleague, is reported, not sent).
    htmx shows the answer under the button; without it, the answer is a page of its own."""
    wanted = _wanted(item)
    now = web.now()
    # What goes out to others (a courier's group, 抖店) waits for an import to finish: never from a list it changes.
    refresh_work(web.ledger, settings=web.settings, now=now)
    with web.ledger.connect() as conn:
        due = data.due_remarks(conn, wanted)
        shops = {s.shop_id: s for s in connected_shops(conn)}
    refs = _refs([due[key] for key in wanted if key in due], web, who)
    report = PushReport()
    if refs:
        with client_for(web.settings, web.clock) as client:
            report = push_remarks(
                web.ledger, client, refs, shops=shops, secret=server_secret(web.settings), operator=who, now=now
            )
    lines = _push_lines(report, len(wanted) - len(refs), web)
    return render(request, "_platform_lines.html", lines=lines, back=_back(shop, page), part="push")
