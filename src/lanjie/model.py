"""The plain data every part of lanjie passes around: after-sales, parcels, decisions."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple


class AfterSaleType(enum.StrEnum):
    SHIPPED_REFUND_ONLY = "shipped_refund_only"
    UNSHIPPED_REFUND_ONLY = "unshipped_refund_only"
    REFUND_ONLY = "refund_only"  # the wording does not say whether it was shipped
    RETURN_REFUND = "return_refund"
    EXCHANGE = "exchange"
    OTHER = "other"  # 价保, 补寄, 维修 …
    UNKNOWN = "unknown"


class AfterSaleState(enum.StrEnum):
    PENDING = "pending"  # 待商家处理: the merchant has to answer
    WAITING_BUYER_RETURN = "waiting_buyer_return"
    WAITING_MERCHANT_RECEIPT = "waiting_merchant_receipt"
    REFUNDED = "refunded"
    CLOSED = "closed"
    REJECTED = "rejected"
    ARBITRATION = "arbitration"
    UNKNOWN = "unknown"


class LogisticsState(enum.StrEnum):
    NONE = "none"  # blank: nothing special happened, the parcel is on its way
    MOVING = "moving"
    DELIVERING = "delivering"
    PROBLEM = "problem"
    SIGNED = "signed"
    REJECTED = "rejected"
    RETURNING = "returning"
    RETURNED = "returned"
    UNKNOWN = "unknown"


class CourierSource(enum.StrEnum):
    ORDER_EXPORT = "order_export"
    NAME = "name"
    PATTERN = "pattern"
    PARTNERS = "partners"
    UNKNOWN = "unknown"


class Bucket(enum.StrEnum):
    INTERCEPT = "intercept"
    VERIFY = "verify"
    RETURNING = "returning"
    RETURNED = "returned"
    NOT_SHIPPED = "not_shipped"
    MANUAL = "manual"
    OUT_OF_SCOPE = "out_of_scope"


BUCKET_LABELS: dict[Bucket, str] = {
    Bucket.INTERCEPT: "待拦截",
    Bucket.VERIFY: "待核实签收",
    Bucket.RETURNING: "退回中",
    Bucket.RETURNED: "已退回",
    Bucket.NOT_SHIPPED: "未发货",
    Bucket.MANUAL: "需人工处理",
    Bucket.OUT_OF_SCOPE: "无需处理",
}


class SourceRef(NamedTuple):
    """Where a record came from: the file and the row number as Excel shows it."""

    file: str
    row: int


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong in one cell, reported to the user (never silently fixed)."""

    file: str
    row: int
    field: str
    value: str
    message: str


class Parcel(NamedTuple):
    tracking_no: str
    courier: str | None = None
    candidates: tuple[str, ...] = ()
    courier_source: CourierSource = CourierSource.UNKNOWN


@dataclass(slots=True)
class AfterSale:
    aftersale_id: str
    source: SourceRef
    order_id: str | None = None
    shop: str | None = None
    type: AfterSaleType = AfterSaleType.UNKNOWN
    type_raw: str = ""
    state: AfterSaleState = AfterSaleState.PENDING
    state_raw: str = ""
    shipped: bool | None = None
    parcels: tuple[Parcel, ...] = ()
    courier_hint: str | None = None  # a courier name written in the export itself
    logistics: LogisticsState = LogisticsState.NONE
    logistics_raw: str = ""
    deadline: datetime | None = None
    refund_amount: Decimal | None = None
    product: str = ""
    reason: str = ""
    buyer_note: str = ""
    blockers: list[str] = field(default_factory=list)  # why a person must look (Chinese)


class Decision(NamedTuple):
    aftersale: AfterSale
    bucket: Bucket
    action: str
    reasons: tuple[str, ...]
    hours_left: float | None
    urgent: bool
