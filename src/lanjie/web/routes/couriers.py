"""Per-courier lists: the messages exactly as they are pasted, and 已发送."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from lanjie.buckets import LISTED, RULES
from lanjie.couriers import BY_CODE, courier_name
from lanjie.errors import BadInput, NotFound
from lanjie.ledger.actions import ParcelRef, record_chased, record_sent
from lanjie.ledger.workview import refresh_work
from lanjie.model import Bucket
from lanjie.outputs.messages import courier_messages
from lanjie.remarks import remark_date
from lanjie.web import data
from lanjie.web.context import Csrf, Operator, WebDep, WorkDep, all_shops, render, selected_shops
from lanjie.work import CourierGroup, ParcelLine

router = APIRouter()
TABS = {b.value: RULES[b].list_name for b in LISTED}
UNKNOWN = "unknown"
MESSAGES_PER_PAGE = 10


def _courier(code: str) -> str | None:
    if code == UNKNOWN:
        return None
    if code not in BY_CODE:
        raise NotFound("aftersale_not_found", what=code)
    return code


@router.get("/couriers")
def couriers_index(
    request: Request, web: WorkDep, _who: Operator, bucket: str = Bucket.INTERCEPT.value, shop: str | None = None
) -> Response:
    return courier_page(request, web, _who, None, bucket, shop, 1)


@router.get("/couriers/{code}")
def courier_list(
    request: Request,
    web: WorkDep,
    _who: Operator,
    code: str,
    bucket: str = Bucket.INTERCEPT.value,
    shop: str | None = None,
    page: int = 1,
) -> Response:
    return courier_page(request, web, _who, code, bucket, shop, page)


def courier_page(
    request: Request, web: WorkDep, _who: str, code: str | None, bucket: str, shop: str | None, page: int
) -> Response:
    if bucket not in TABS:
        bucket = Bucket.INTERCEPT.value
    ids = selected_shops(web, shop)
    settings = web.settings
    with web.ledger.connect() as conn:
        counts = data.courier_counts(conn, ids, bucket)
        if code is None and counts:
            code = counts[0][0] or UNKNOWN
        courier = _courier(code) if code else None
        per_page = settings.chunk_size * MESSAGES_PER_PAGE
        total = next((n for c, n in counts if (c or UNKNOWN) == code), 0)
        listed, paging = data.courier_parcels(
            conn, ids, bucket=bucket, courier=courier, number=page, size=per_page, total=total
        )
    template = {
        Bucket.INTERCEPT.value: settings.intercept_template,
        Bucket.CHASE.value: settings.chase_template,
        Bucket.VERIFY.value: settings.verify_template,
    }[bucket]
    size = settings.chunk_size
    parts = -(-paging.total // size) if paging.total else 0
    group = CourierGroup(courier, tuple(ParcelLine(p.tracking_no, p.candidates) for p in listed))
    texts = (
        courier_messages(
            group,
            template=template,
            chunk_size=size,
            date=remark_date(web.now()),
            first_part=paging.offset // size + 1,
            parts=parts,
        )
        if listed
        else []
    )
    messages = [
        {"part": paging.offset // size + 1 + i, "text": text, "parcels": listed[i * size : (i + 1) * size]}
        for i, text in enumerate(texts)
    ]
    return render(
        request,
        "courier.html",
        tabs=TABS,
        bucket=bucket,
        counts=counts,
        code=code,
        courier=courier,
        name=courier_name(courier) if code else "",
        messages=messages,
        page=paging,
        parts=parts,
        search=",".join(p.tracking_no for p in listed),
        shop=shop or "",
        shops=all_shops(web),
        listed=listed,
    )


@router.post("/couriers/sent", dependencies=[Csrf])
def sent(
    request: Request,
    web: WebDep,
    who: Operator,
    parcel: Annotated[list[str], Form()],
    bucket: Annotated[str, Form()] = Bucket.INTERCEPT.value,
    part: Annotated[int, Form()] = 1,
) -> Response:
    """已发送: record the parcels of one message (or a chase of them)."""
    refs = []
    for value in parcel:
        shop_id, _, number = value.partition(":")
        if not shop_id.isdigit() or not number:
            raise BadInput("nothing_selected")
        refs.append(ParcelRef(int(shop_id), number))
    if not refs:
        raise BadInput("nothing_selected")
    now = web.now()
    chase = bucket == Bucket.CHASE.value
    if chase:
        recorded, already = record_chased(web.ledger, refs, operator=who, now=now), []
    else:
        report = record_sent(web.ledger, refs, operator=who, now=now)
        recorded, already = len(report.recorded), report.already
    refresh_work(web.ledger, settings=web.settings, now=now)
    return render(request, "_sent.html", part=part, who=who, recorded=recorded, already=already, chase=chase)
