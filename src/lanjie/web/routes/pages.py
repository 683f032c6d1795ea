"""Pages that only read: the workbench, one after-sale, statistics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lanjie.buckets import RULES
from lanjie.errors import NotFound
from lanjie.ledger.queries import aftersale_detail, history, stats
from lanjie.model import Bucket
from lanjie.platform.connections import connected_shops
from lanjie.web import data
from lanjie.web.context import Operator, WorkDep, all_shops, render
from lanjie.web.routes.tracking import tracking_box

router = APIRouter()
PAGE_SIZE = 50
SOURCES = {
    "platform": "抖店接口",
    "order_export": "订单导出",
    "name": "快递名称",
    "pattern": "单号规则",
    "partners": "合作快递",
    "unknown": "未确定",
}
OUTCOMES = {"pending": "待定", "success": "成功", "failed": "失败"}


@router.get("/")
def workbench(
    request: Request, web: WorkDep, _who: Operator, shop: str | None = None, page: int = 1, bucket: str | None = None
) -> Response:
    if bucket is not None and bucket not in data.OPEN_BUCKETS:
        bucket = None
    with web.ledger.connect() as conn:
        ids = data.shop_filter(conn, shop)
        now = web.now()
        counts = data.bucket_counts(conn, ids, now=now, urgent_hours=web.settings.urgent_hours)
        total = counts[bucket].total if bucket else sum(counts[b].total for b in data.OPEN_BUCKETS)
        rows, paging = data.open_work(conn, ids, number=page, size=PAGE_SIZE, total=total, bucket=bucket)
        overdue = sum(counts[b].overdue for b in data.OPEN_BUCKETS)
        hours = data.deadline_hours(conn, ids, now=now, overdue=overdue)
        couriers = data.courier_counts(conn, ids, Bucket.INTERCEPT.value)
        synced = [s for s in connected_shops(conn) if ids is None or s.shop_id in ids]
    return render(
        request,
        "workbench.html",
        counts=counts,
        rows=rows,
        page=paging,
        hours=hours,
        couriers=couriers,
        shop=shop or "",
        shops=all_shops(web),
        bucket=bucket,
        buckets=[b for b in Bucket if b is not Bucket.OUT_OF_SCOPE],
        labels={b: rule.label for b, rule in RULES.items()},
        synced=synced,
        tracking=tracking_box(request, web),
    )


@router.get("/aftersales/{shop_id}/{aftersale_id}")
def aftersale(request: Request, web: WorkDep, _who: Operator, shop_id: int, aftersale_id: str) -> Response:
    if not 0 < shop_id <= data.MAX_ID or len(aftersale_id) > 64:
        raise NotFound("aftersale_not_found", what=aftersale_id[:64])
    with web.ledger.connect() as conn:
        found_item = aftersale_detail(conn, shop_id, aftersale_id)
        if found_item is None:
            raise NotFound("aftersale_not_found", what=aftersale_id)
        row, parcel_rows = found_item
        decided = data.work_row(conn, shop_id, aftersale_id)
        found = history(conn, aftersale_id, [shop_id])
        facts = data.route_lines(conn, [(shop_id, p.tracking_no) for p in parcel_rows])
    return render(
        request,
        "aftersale.html",
        item=row,
        parcels=parcel_rows,
        decided=decided,
        events=found.events,
        sources=SOURCES,
        outcomes=OUTCOMES,
        routes={number: fact for (_, number), fact in facts.items()},
    )


@router.get("/stats")
def statistics(request: Request, web: WorkDep, _who: Operator, shop: str | None = None, days: int = 14) -> Response:
    days = min(max(days, 1), 366)
    with web.ledger.connect() as conn:
        ids = data.shop_filter(conn, shop)
        result = stats(conn, shop_ids=ids, now=web.now(), days=days)
    top = max([sum(counts.values()) for _, counts in result.days] or [1])
    shown = [b for b in Bucket if any(counts.get(b.value) for _, counts in result.days)]
    return render(
        request,
        "stats.html",
        result=result,
        days=days,
        shop=shop or "",
        shops=all_shops(web),
        top=top,
        shown=shown,
        labels={b: rule.label for b, rule in RULES.items()},
    )
