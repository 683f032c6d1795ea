"""The kinds of things the event log records, and how a person reads them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any


class EventKind(enum.StrEnum):
    FIRST_SEEN = "first_seen"
    STATE_CHANGED = "state_changed"
    REJECTED = "rejected"
    LOGISTICS_CHANGED = "logistics_changed"
    DEADLINE_CHANGED = "deadline_changed"
    TRACKING_CHANGED = "tracking_changed"
    INTERCEPT_REQUESTED = "intercept_requested"
    INTERCEPT_CHASED = "intercept_chased"
    INTERCEPT_SUCCEEDED = "intercept_succeeded"
    INTERCEPT_FAILED = "intercept_failed"
    REMARK_WRITTEN = "remark_written"
    VERIFY_ASKED = "verify_asked"  # the 核实 list was sent to the courier's group
    VERIFY_ANSWERED = "verify_answered"  # the courier's answer to 核实 (after: what it said)
    INTERCEPT_REFUSED = "intercept_refused"  # the platform could not intercept (after: its reason)
    REFUND_AGREED = "refund_agreed"  # agreed through the 抖店 Open Platform
    REFUND_AGREE_FAILED = "refund_agree_failed"  # the platform refused to agree (after: its reason)


EVENT_LABELS: dict[EventKind, str] = {
    EventKind.FIRST_SEEN: "首次导入",
    EventKind.STATE_CHANGED: "售后状态变化",
    EventKind.REJECTED: "售后被拒绝",
    EventKind.LOGISTICS_CHANGED: "物流状态变化",
    EventKind.DEADLINE_CHANGED: "截止时间变化",
    EventKind.TRACKING_CHANGED: "发货单号变化",
    EventKind.INTERCEPT_REQUESTED: "已发拦截",
    EventKind.INTERCEPT_CHASED: "已催拦截",
    EventKind.INTERCEPT_SUCCEEDED: "拦截成功",
    EventKind.INTERCEPT_FAILED: "拦截失败",
    EventKind.REMARK_WRITTEN: "已写备注",
    EventKind.VERIFY_ASKED: "已发快递核实",
    EventKind.VERIFY_ANSWERED: "快递答复核实",
    EventKind.INTERCEPT_REFUSED: "平台拦截未成功",
    EventKind.REFUND_AGREED: "已同意退款",
    EventKind.REFUND_AGREE_FAILED: "同意退款失败",
}


def event_row(
    kind: EventKind,
    *,
    at: datetime,
    operator: str,
    shop_id: int,
    aftersale_id: str | None = None,
    tracking_no: str | None = None,
    order_id: str | None = None,
    import_id: int | None = None,
    before: str | None = None,
    after: str | None = None,
) -> dict[str, Any]:
    return {
        "at": at,
        "operator": operator,
        "kind": kind.value,
        "shop_id": shop_id,
        "aftersale_id": aftersale_id,
        "tracking_no": tracking_no,
        "order_id": order_id,
        "import_id": import_id,
        "before": before,
        "after": after,
    }
