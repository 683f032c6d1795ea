"""An afterSale/List (or afterSale/Detail) item as the same record an export row becomes.

The wording is the export's where the two differ (售后类型 `已发货退款`, not the API's
`已发货仅退款`), so an export and a sync of the same after-sale agree. The courier is the one
the platform names (`company_code`, courier_source "platform"); a code lanjie does not know is
kept and shown as it is, never replaced by a guess. IDs and tracking numbers go through the
same number rule as a cell does: anything not exactly a number goes to a person.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from lanjie.couriers import BY_CODE, find_courier
from lanjie.ingest import wording
from lanjie.ingest.identifiers import clean_id, split_tracking
from lanjie.model import SHANGHAI, AfterSale, CourierSource, Parcel, SourceRef

# afterSale/List's aftersale_type, in the export's words.
TYPE_WORDS = {0: "退货退款", 1: "已发货退款", 2: "未发货退款", 3: "换货", 6: "价保", 7: "补寄", 8: "维修"}
SHIPPED = {1: True, 2: False}
# aftersale_status (the SDK's comment), the two an export shows in its own words.
STATUS_WORDS = {
    3: "换货待买家收货",
    6: "待商家处理",
    7: "待买家退货",
    8: "待商家发货",
    11: "待商家二次同意",
    12: "同意退款，退款成功",
    14: "换货成功",
    27: "商家一次拒绝",
    28: "售后失败",
    29: "商家二次拒绝",
}
# order_logistics[].logistics_state; 0 (or absent): nothing special, the parcel is on its way.
LOGISTICS_WORDS = {0: "", 1: "买家已拒签", 2: "已签收", 3: "快递退回中", 4: "商家已签收"}

AFTERSALE_STATUS_PENDING = 6  # 待商家同意: the after-sales a full sync asks for
REFUND_ONLY_TYPES = (1, 2)  # 已发货仅退款, 未发货仅退款


def _int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return None


def _moment(seconds: object) -> datetime | None:
    value = _int(seconds)
    return datetime.fromtimestamp(value, tz=SHANGHAI) if value else None


def platform_courier(code: str, name: str) -> tuple[str | None, tuple[str, ...]]:
    """The registry's courier for the platform's company_code (or its name); else the code as given."""
    if code in BY_CODE:
        return code, (code,)
    known = find_courier(code) or find_courier(name) if (code or name) else None
    if known:
        return known, (known,)
    return (code or None), ()


def _parcels(logistics: Sequence[Mapping[str, Any]], blockers: list[str]) -> tuple[Parcel, ...]:
    found: list[Parcel] = []
    for entry in logistics:
        numbers, problems = split_tracking(str(entry.get("tracking_no") or ""))
        blockers += problems
        courier, candidates = platform_courier(
            str(entry.get("company_code") or ""), str(entry.get("company_name") or "")
        )
        for number in numbers:
            if all(p.tracking_no != number for p in found):
                found.append(Parcel(number, courier, candidates, CourierSource.PLATFORM))
    return tuple(found)


def _logistics_raw(info: Mapping[str, Any], text: Mapping[str, Any]) -> str:
    """The export's words for the enum (which agree with an export); the platform's own text
    only for a state the enum table does not know."""
    states = [_int(entry.get("logistics_state")) or 0 for entry in info.get("order_logistics") or ()]
    state = max(states, default=0)
    return LOGISTICS_WORDS[state] if state in LOGISTICS_WORDS else str(text.get("logistics_text") or state)


def aftersale_from_item(item: Mapping[str, Any], *, shop: str, source: SourceRef) -> AfterSale | None:
    """The record for one item; None when it has no usable 售后单号 (nothing can be done with it)."""
    info: Mapping[str, Any] = item.get("aftersale_info") or {}
    order: Mapping[str, Any] = item.get("order_info") or {}
    text: Mapping[str, Any] = item.get("text_part") or {}
    aftersale_id, problem = clean_id(str(info.get("aftersale_id") or ""))
    if aftersale_id is None or problem:
        return None
    blockers: list[str] = []
    order_id, order_problem = clean_id(str(order.get("shop_order_id") or info.get("related_id") or ""))
    if order_problem:
        blockers.append(order_problem)
        order_id = None
    kind = _int(info.get("aftersale_type"))
    type_raw = TYPE_WORDS.get(kind, str(text.get("aftersale_type_text") or kind or "")) if kind is not None else ""
    status = _int(info.get("aftersale_status"))
    state_raw = STATUS_WORDS.get(status, str(text.get("aftersale_status_text") or "")) if status is not None else ""
    logistics_raw = _logistics_raw(info, text)
    fen = _int(info.get("refund_amount"))
    products = [str(p.get("product_name") or "") for p in order.get("related_order_info") or ()]
    return AfterSale(
        aftersale_id=aftersale_id,
        source=source,
        order_id=order_id,
        shop=shop,
        type=wording.aftersale_type(type_raw),
        type_raw=type_raw,
        state=wording.aftersale_state(state_raw),
        state_raw=state_raw,
        shipped=SHIPPED.get(kind) if kind is not None else None,
        parcels=_parcels(info.get("order_logistics") or (), blockers),
        logistics=wording.logistics_state(logistics_raw),
        logistics_raw=logistics_raw,
        deadline=_moment(info.get("status_deadline")),
        refund_amount=None if fen is None else Decimal(fen) / 100,
        product="、".join(dict.fromkeys(p for p in products if p)),
        reason=str(text.get("reason_text") or ""),
        blockers=blockers,
    )


def update_time_of(item: Mapping[str, Any]) -> int | None:
    """The item's update_time (Unix seconds): afterSale/operate's version check."""
    return _int((item.get("aftersale_info") or {}).get("update_time"))


def item_from_detail(data: Mapping[str, Any]) -> dict[str, Any]:
    """afterSale/Detail's answer in the shape of an afterSale/List item (the SDK's field names:
    process_info.after_sale_info, process_info.logistics_info.order, order_info.sku_order_infos)."""
    process: Mapping[str, Any] = data.get("process_info") or {}
    info: Mapping[str, Any] = process.get("after_sale_info") or {}
    order: Mapping[str, Any] = data.get("order_info") or {}
    total, post = _int(info.get("refund_total_amount")), _int(info.get("refund_post_amount")) or 0
    return {
        "aftersale_info": {
            "aftersale_id": str(info.get("after_sale_id") or ""),
            "aftersale_type": info.get("after_sale_type"),
            "aftersale_status": info.get("after_sale_status"),
            "update_time": info.get("update_time"),
            "status_deadline": info.get("status_deadline"),
            "refund_amount": None if total is None else total - post,
            "order_logistics": list((process.get("logistics_info") or {}).get("order") or ()),
        },
        "order_info": {
            "shop_order_id": str(order.get("shop_order_id") or ""),
            "related_order_info": [{"product_name": s.get("product_name")} for s in order.get("sku_order_infos") or ()],
        },
        "text_part": {"reason_text": info.get("reason") or ""},
    }
