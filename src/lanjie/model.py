"""The plain data every part of lanjie passes around: after-sales, parcels, decisions."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import NamedTuple

# Beijing time. China has kept UTC+8 without daylight saving since 1991, so a fixed offset
# is exact for every export and much cheaper than a tz database lookup per timestamp.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


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
    PLATFORM = "platform"  # the 抖店 Open Platform named it (order_logistics[].company_code)
    ORDER_EXPORT = "order_export"
    NAME = "name"
    PATTERN = "pattern"
    PARTNERS = "partners"
    UNKNOWN = "unknown"


class Bucket(enum.StrEnum):
    INTERCEPT = "intercept"
    INTERCEPTING = "intercepting"  # requested from the courier, still moving, within the follow-up window
    CHASE = "chase"  # requested long ago and still moving: remind the courier
    VERIFY = "verify"
    RETURNING = "returning"
    RETURNED = "returned"
    NOT_SHIPPED = "not_shipped"
    MANUAL = "manual"
    OUT_OF_SCOPE = "out_of_scope"


DEFAULT_SHOP = "默认店铺"  # when neither --shop nor the export's 门店名称 names one


class Outcome(enum.StrEnum):
    PENDING = "pending"
    SUCCESS = "success"  # the parcel is coming back
    FAILED = "failed"  # it was signed for after the request


class InterceptionFact(NamedTuple):
    """What the ledger knows about one parcel's interception request."""

    requested_at: datetime
    operator: str
    outcome: Outcome = Outcome.PENDING
    last_chased_at: datetime | None = None


LedgerFacts = Mapping[str, InterceptionFact]  # by tracking number
NO_FACTS: LedgerFacts = {}


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
    shop: str = DEFAULT_SHOP  # decided by ingest: --shop, else the export's 门店名称
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
    parcels: tuple[Parcel, ...]  # the parcels this decision acts on (to send, to chase, to verify)
    basis: tuple[str, ...]  # the reasons that do not change as the clock runs (no "只剩 3.0 小时")
