"""The remark and flag (标旗备注) to write on each order, so colleagues see it was handled."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from lanjie.couriers import courier_name
from lanjie.ingest.clean import SHANGHAI
from lanjie.model import BUCKET_LABELS, DEFAULT_SHOP, Bucket, Decision

STATUS_WORDS: dict[Bucket, str] = {
    Bucket.INTERCEPT: "已拦截",
    Bucket.INTERCEPTING: "已拦截",
    Bucket.CHASE: "已拦截",
    Bucket.VERIFY: "已签收待核实",
    Bucket.RETURNING: "退回中",
    Bucket.RETURNED: "已退回",
    Bucket.NOT_SHIPPED: "未发货退款",
    Bucket.MANUAL: "待人工处理",
}


@dataclass(frozen=True, slots=True)
class Remark:
    shop: str
    order_key: str  # the order ID, or 售后单 … when the export has none
    order_id: str | None
    aftersale_ids: tuple[str, ...]
    bucket: Bucket
    flag: str
    text: str


def remark_date(now: datetime) -> str:
    return now.astimezone(SHANGHAI).strftime("%m-%d")


def format_remark(template: str, *, date: str, status: str, couriers: Iterable[str], operator: str = "") -> str:
    """The remark text from its template; the couriers are codes, each named once."""
    names = "/".join(courier_name(code) for code in dict.fromkeys(couriers))
    return " ".join(template.format(date=date, status=status, courier=names, operator=operator).split())


def remark_text(decision: Decision, *, template: str, now: datetime, operator: str = "") -> str:
    return format_remark(
        template,
        date=remark_date(now),
        status=STATUS_WORDS[decision.bucket],
        couriers=[p.courier for p in decision.aftersale.parcels if p.courier],
        operator=operator,
    )


def build_remarks(
    decisions: Iterable[Decision], *, template: str, flags: dict[str, str], now: datetime, operator: str = ""
) -> list[Remark]:
    """One remark per order (the most urgent after-sale of the order decides its wording)."""
    by_order: dict[tuple[str, str], tuple[Decision, list[str]]] = {}
    for decision in decisions:
        if decision.bucket is Bucket.OUT_OF_SCOPE:
            continue
        record = decision.aftersale
        key = (record.shop or DEFAULT_SHOP, record.order_id or f"售后单 {record.aftersale_id}")
        if key in by_order:
            by_order[key][1].append(record.aftersale_id)
        else:
            by_order[key] = (decision, [record.aftersale_id])
    return [
        Remark(
            shop,
            order_key,
            first.aftersale.order_id,
            tuple(ids),
            first.bucket,
            flags[first.bucket.value],
            remark_text(first, template=template, now=now, operator=operator),
        )
        for (shop, order_key), (first, ids) in by_order.items()
    ]


def remarks_file(remarks: list[Remark]) -> str:
    """备注.txt: grouped by bucket; each line is 订单号, tab, the remark to paste."""
    lines: list[str] = ["在抖店按订单号搜索，给每个订单插旗并写上备注（订单号 ⇥ 备注）。", ""]
    for bucket in Bucket:
        group = [r for r in remarks if r.bucket is bucket]
        if not group:
            continue
        lines.append(f"# {BUCKET_LABELS[bucket]}：插{group[0].flag}旗（{len(group)} 个订单）")
        for remark in group:
            order = remark.order_id or f"（无订单号）售后单 {'、'.join(remark.aftersale_ids)}"
            lines.append(f"{order}\t{remark.text}")
        lines.append("")
    return "\n".join(lines)
