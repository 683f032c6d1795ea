"""The rules: an after-sale + what the ledger knows + settings + now → bucket, action, reasons.

Pure functions: no files, no database, no clock. Only pending refund-only requests are
worked; everything else is counted as out of scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import lru_cache

from lanjie.couriers import courier_name
from lanjie.ingest.clean import SHANGHAI
from lanjie.model import (
    NO_FACTS,
    AfterSale,
    AfterSaleState,
    AfterSaleType,
    Bucket,
    Decision,
    InterceptionFact,
    LedgerFacts,
    LogisticsState,
    Outcome,
    Parcel,
)

ACTIONS: dict[Bucket, str] = {
    Bucket.INTERCEPT: "发到快递群拦截，再标旗备注",
    Bucket.INTERCEPTING: "已发拦截，等快递退回",
    Bucket.CHASE: "在快递群催拦截",
    Bucket.VERIFY: "联系买家和快递核实签收；协商不成再带凭证拒绝",
    Bucket.RETURNING: "确认退回后同意退款（同意拒签后退款）",
    Bucket.RETURNED: "验货后同意退款",
    Bucket.NOT_SHIPPED: "直接同意退款",
    Bucket.MANUAL: "人工查看",
    Bucket.OUT_OF_SCOPE: "无需处理",
}

_OUT_OF_SCOPE_TYPES = (AfterSaleType.RETURN_REFUND, AfterSaleType.EXCHANGE, AfterSaleType.OTHER)
_LOGISTICS: dict[LogisticsState, tuple[Bucket, str]] = {
    LogisticsState.NONE: (Bucket.INTERCEPT, "没有物流状态，包裹还在路上：发到快递群拦截"),
    LogisticsState.MOVING: (Bucket.INTERCEPT, "包裹运输中（{raw}）：发到快递群拦截"),
    LogisticsState.DELIVERING: (Bucket.INTERCEPT, "注意：{raw}，可能来不及拦截，请尽快联系快递"),
    LogisticsState.PROBLEM: (Bucket.INTERCEPT, "物流异常（{raw}）：拦截时请向快递说明"),
    LogisticsState.SIGNED: (
        Bucket.VERIFY,
        "物流显示已签收（{raw}）：先核实买家是否收到；拒绝会计入售后拒绝率，没有聊天记录等凭证时不要以「已签收」拒绝",
    ),
    LogisticsState.REJECTED: (Bucket.RETURNING, "买家已拒签（{raw}），包裹正在退回：确认退回后同意拒签后退款"),
    LogisticsState.RETURNING: (Bucket.RETURNING, "快递退回中（{raw}，含拦截成功）：确认退回后同意退款"),
    LogisticsState.RETURNED: (Bucket.RETURNED, "包裹已退回商家（{raw}）：验货后同意退款"),
}
_COMING_BACK = (LogisticsState.REJECTED, LogisticsState.RETURNING, LogisticsState.RETURNED)


def interception_outcome(logistics: LogisticsState) -> Outcome | None:
    """What a parcel's logistics state says about an interception asked for earlier."""
    if logistics in _COMING_BACK:
        return Outcome.SUCCESS
    if logistics is LogisticsState.SIGNED:
        return Outcome.FAILED
    return None


def _scope(record: AfterSale) -> tuple[Bucket, list[str]] | None:
    """OUT_OF_SCOPE or MANUAL when the request is not pending refund-only work, else None."""
    if record.type in _OUT_OF_SCOPE_TYPES:
        return Bucket.OUT_OF_SCOPE, [f"不是仅退款（售后类型：{record.type_raw}）"]
    if record.state not in (AfterSaleState.PENDING, AfterSaleState.UNKNOWN):
        return Bucket.OUT_OF_SCOPE, [f"售后状态为「{record.state_raw}」，不需要商家处理"]
    if record.type is AfterSaleType.UNKNOWN:
        what = f"售后类型「{record.type_raw}」不认识" if record.type_raw else "售后类型是空的"
        return Bucket.MANUAL, [f"{what}，请人工判断"]
    if record.state is AfterSaleState.UNKNOWN:
        what = f"售后状态「{record.state_raw}」不认识" if record.state_raw else "售后状态是空的"
        return Bucket.MANUAL, [f"{what}，请人工判断"]
    if record.blockers:
        return Bucket.MANUAL, list(record.blockers)
    return None


def _when(fact: InterceptionFact) -> str:
    return f"{fact.requested_at.astimezone(SHANGHAI):%m-%d %H:%M} 由 {fact.operator}"


def _follow_up(
    bucket: Bucket, record: AfterSale, facts: LedgerFacts, now: datetime, chase_hours: float
) -> tuple[Bucket, list[str], tuple[Parcel, ...]]:
    """Refine a bucket with the interceptions already asked for."""
    asked = [(p, facts[p.tracking_no]) for p in record.parcels if p.tracking_no in facts]
    if not asked:
        return bucket, [], record.parcels
    first = min((fact for _, fact in asked), key=lambda f: f.requested_at)
    if bucket is Bucket.VERIFY:
        return bucket, [f"拦截失败：{_when(first)} 发了拦截，但包裹已被签收"], record.parcels
    if bucket is not Bucket.INTERCEPT:
        return bucket, [f"拦截成功：{_when(first)} 发的拦截"], record.parcels
    unsent = tuple(p for p in record.parcels if p.tracking_no not in facts)
    if unsent:
        sent = "、".join(p.tracking_no for p, _ in asked)
        return Bucket.INTERCEPT, [f"单号 {sent} 已于 {_when(first)} 发过拦截，只需发其余单号"], unsent
    latest = max(fact.last_chased_at or fact.requested_at for _, fact in asked)
    if now - latest >= timedelta(hours=chase_hours):
        return (
            Bucket.CHASE,
            [f"{_when(first)} 发了拦截，过了 {chase_hours:g} 小时仍在路上：请在快递群催一下"],
            record.parcels,
        )
    return Bucket.INTERCEPTING, [f"已于 {_when(first)} 发快递群拦截，等快递退回"], record.parcels


def chase_due(record: AfterSale, facts: LedgerFacts, chase_hours: float) -> datetime | None:
    """When an interception in progress will need chasing, if nothing else changes."""
    asked = [facts[p.tracking_no] for p in record.parcels if p.tracking_no in facts]
    if not asked:
        return None
    return max(f.last_chased_at or f.requested_at for f in asked) + timedelta(hours=chase_hours)


def _classify(
    record: AfterSale, facts: LedgerFacts, now: datetime, chase_hours: float
) -> tuple[Bucket, list[str], tuple[Parcel, ...]]:
    scoped = _scope(record)
    if scoped is not None:
        return scoped[0], scoped[1], record.parcels
    reasons: list[str] = []
    said_unshipped = record.type is AfterSaleType.UNSHIPPED_REFUND_ONLY or record.shipped is False
    if not record.parcels:
        if said_unshipped:
            return Bucket.NOT_SHIPPED, ["还没有发货：直接同意退款"], ()
        return Bucket.MANUAL, ["已发货但没有发货物流单号：请在抖店订单详情里查到单号再处理"], ()
    if said_unshipped:
        reasons.append("申请时还没发货，但现在已有发货单号：包裹已寄出，需要拦截")
    if record.logistics is LogisticsState.UNKNOWN:
        reasons.append(f"发货物流状态「{record.logistics_raw}」不认识，请人工判断")
        return Bucket.MANUAL, reasons, record.parcels
    bucket, reason = _logistics_reason(record.logistics, record.logistics_raw)
    bucket, follow_up, parcels = (
        _follow_up(bucket, record, facts, now, chase_hours) if facts else (bucket, [], record.parcels)
    )
    reasons += [*follow_up, reason]
    if bucket is Bucket.INTERCEPT or bucket is Bucket.VERIFY:
        for parcel in parcels:
            if parcel.courier is None:
                reasons.append(
                    f"单号 {parcel.tracking_no} 无法确定快递公司{_guess(parcel.candidates)}，请核对后发到对应快递群"
                )
    return bucket, reasons, parcels


@lru_cache(maxsize=1024)
def _logistics_reason(state: LogisticsState, raw: str) -> tuple[Bucket, str]:
    bucket, reason = _LOGISTICS[state]
    return bucket, reason.format(raw=raw)


@lru_cache(maxsize=256)
def _guess(candidates: tuple[str, ...]) -> str:
    return f"（可能是 {'、'.join(courier_name(c) for c in candidates)}，仅为猜测）" if candidates else ""


def decide(
    record: AfterSale,
    *,
    urgent_hours: float,
    now: datetime,
    facts: LedgerFacts = NO_FACTS,
    chase_hours: float = 48.0,
) -> Decision:
    bucket, basis, parcels = _classify(record, facts, now, chase_hours)
    if bucket is not Bucket.OUT_OF_SCOPE and record.deadline is None:
        basis.append("没有自动处理截止时间，请在抖店核对")
    hours_left = None if record.deadline is None else (record.deadline - now).total_seconds() / 3600
    urgent = bucket is not Bucket.OUT_OF_SCOPE and hours_left is not None and hours_left < urgent_hours
    reasons = tuple(basis)
    if urgent and hours_left is not None:
        clock = (
            f"已超过自动处理截止时间 {-hours_left:.1f} 小时"
            if hours_left < 0
            else f"距自动处理截止只剩 {hours_left:.1f} 小时"
        )
        reasons = (clock, *basis)
    return Decision(record, bucket, ACTIONS[bucket], reasons, hours_left, urgent, parcels, tuple(basis))


def triage(
    records: Iterable[AfterSale],
    *,
    urgent_hours: float,
    now: datetime,
    facts: LedgerFacts = NO_FACTS,
    chase_hours: float = 48.0,
) -> list[Decision]:
    """Decisions for every record, nearest deadline first (no deadline last)."""
    decisions = [decide(r, urgent_hours=urgent_hours, now=now, facts=facts, chase_hours=chase_hours) for r in records]
    decisions.sort(key=lambda d: (d.aftersale.deadline is None, d.aftersale.deadline or now, d.aftersale.aftersale_id))
    return decisions
