"""备注: the remark and flag to write on each order, and 已备注."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from lanjie.errors import BadInput
from lanjie.ledger.actions import RemarkRef, record_remarks
from lanjie.model import Bucket
from lanjie.remarks import format_remark, remark_date
from lanjie.web import data
from lanjie.web.context import Csrf, Operator, WebDep, WorkDep, all_shops, render, selected_shops

router = APIRouter()
PAGE_SIZE = 100


def _texts(rows: list[dict[str, Any]], web: WorkDep, who: str) -> list[dict[str, Any]]:
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
    ids = selected_shops(web, shop)
    with web.ledger.connect() as conn:
        rows, paging = data.pending_remarks(conn, ids, number=page, size=PAGE_SIZE)
    return render(
        request, "remarks.html", rows=_texts(rows, web, who), page=paging, shop=shop or "", shops=all_shops(web)
    )


@router.post("/remarks/done", dependencies=[Csrf])
def remarks_done(request: Request, web: WebDep, who: Operator, item: Annotated[list[str], Form()]) -> Response:
    """已备注: each item is the remark as the page showed it (JSON)."""
    refs = []
    for value in item:
        try:
            fields = json.loads(value)
            shop_id, order_key = int(fields["shop_id"]), str(fields["order_key"])
            order_id = None if fields.get("order_id") is None else str(fields["order_id"])
            status, flag, text = str(fields["remark_status"]), str(fields["flag"]), str(fields["text"])
        except (ValueError, KeyError, TypeError) as error:
            raise BadInput("nothing_selected") from error
        refs.append(RemarkRef(shop_id, order_key, status, text, flag, order_id))
    if not refs:
        raise BadInput("nothing_selected")
    count = record_remarks(web.ledger, refs, operator=who, now=web.now())
    return render(request, "_remarked.html", count=count, total=len(refs), who=who)
