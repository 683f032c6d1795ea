"""The rules: an after-sale + what the ledger knows + settings + now → bucket, action, reasons.

Pure functions: no files, no database, no clock. Only pending refund-only requests are
worked; everything else is counted as out of scope.

Reasons and actions are catalogue `Text`s: Chinese strings (as the ledger stores them) that a
face can say in English.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import lru_cache

from lanjie.buckets import urgency
from lanjie.couriers import courier_name
from lanjie.i18n import Listing, Text
from lanjie.model import (
    NO_FACTS,
    SHANGHAI,
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

_OUT_OF_SCOPE_TYPES = (AfterSaleType.RETURN_REFUND, AfterSaleType.EXCHANGE, AfterSaleType.OTHER)
_LOGISTICS: dict[LogisticsState, tuple[Bucket, str]] = {  # the bucket and the catalogue key of the reason
    LogisticsState.NONE: (Bucket.INTERCEPT, "reason_no_logistics"),
    LogisticsState.MOVING: (Bucket.INTERCEPT, "reason_moving"),
    LogisticsState.DELIVERING: (Bucket.INTERCEPT, "reason_delivering"),
    LogisticsState.PROBLEM: (Bucket.INTERCEPT, "reason_logistics_problem"),
    LogisticsState.SIGNED: (Bucket.VERIFY, "reason_signed"),
    LogisticsState.REJECTED: (Bucket.RETURNING, "reason_buyer_refused"),
    LogisticsState.RETURNING: (Bucket.RETURNING, "reason_returning"),
    LogisticsState.RETURNED: (Bucket.RETURNED, "reason_returned"),
}
_ACTIONS: dict[Bucket, Text] = {bucket: Text(f"bucket_action_{bucket.value}") for bucket in Bucket}
_NOT_SHIPPED = Text("reason_not_shipped")
_NO_TRACKING = Text("reason_no_tracking")
_SHIPPED_SINCE = Text("reason_shipped_since")
_NO_DEADLINE = Text("reason_no_deadline")
_COMING_BACK = (LogisticsState.REJECTED, LogisticsState.RETURNING, LogisticsState.RETURNED)
# The members `decide` looks at for every after-sale, read once: each `Bucket.MANUAL` is a
# lookup through the enum's class (~70 ns on Python 3.11), together a sixth of a decision.
_WORKED_STATES = (AfterSaleState.PENDING, AfterSaleState.UNKNOWN)
_UNKNOWN_TYPE = AfterSaleType.UNKNOWN
_UNKNOWN_STATE = AfterSaleState.UNKNOWN
_UNSHIPPED = AfterSaleType.UNSHIPPED_REFUND_ONLY
_UNKNOWN_LOGISTICS = LogisticsState.UNKNOWN
_OUT_OF_SCOPE = Bucket.OUT_OF_SCOPE
_MANUAL = Bucket.MANUAL
_ASKED = (Bucket.INTERCEPTING, Bucket.CHASE)  # buckets of interceptions already asked for
_NAME_COURIERS = (Bucket.INTERCEPT, Bucket.VERIFY)  # buckets whose parcels go to a courier


def interception_outcome(logistics: LogisticsState) -> Outcome | None:
    """What a parcel's logistics state says about an interception asked for earlier."""
    if logistics in _COMING_BACK:
        return Outcome.SUCCESS
    if logistics is LogisticsState.SIGNED:
        return Outcome.FAILED
    return None


@lru_cache(maxsize=256)
def _not_refund_only(type_raw: str) -> Text:
    return Text("reason_not_refund_only", type=type_raw)


@lru_cache(maxsize=256)
def _not_pending(state_raw: str) -> Text:
    return Text("reason_not_pending", state=state_raw)


def _scope(record: AfterSale) -> tuple[Bucket, list[str]] | None:
    """OUT_OF_SCOPE or MANUAL when the request is not pending refund-only work, else None."""
    if record.type in _OUT_OF_SCOPE_TYPES:
        return _OUT_OF_SCOPE, [_not_refund_only(record.type_raw)]
    if record.state not in _WORKED_STATES:
        return _OUT_OF_SCOPE, [_not_pending(record.state_raw)]
    if record.type is _UNKNOWN_TYPE:
        if record.type_raw:
            return _MANUAL, [Text("reason_unknown_type", value=record.type_raw)]
        return _MANUAL, [Text("reason_empty_type")]
    if record.state is _UNKNOWN_STATE:
        if record.state_raw:
            return _MANUAL, [Text("reason_unknown_state", value=record.state_raw)]
        return _MANUAL, [Text("reason_empty_state")]
    if record.blockers:
        return _MANUAL, list(record.blockers)
    return None


def _when(fact: InterceptionFact) -> Text:
    return Text("reason_when", at=f"{fact.requested_at.astimezone(SHANGHAI):%m-%d %H:%M}", operator=fact.operator)


def _follow_up(
    bucket: Bucket, record: AfterSale, facts: LedgerFacts, now: datetime, chase_hours: float
) -> tuple[Bucket, list[str], tuple[Parcel, ...]]:
    """Refine a bucket with the interceptions already asked for."""
    asked = [(p, facts[p.tracking_no]) for p in record.parcels if p.tracking_no in facts]
    if not asked:
        return bucket, [], record.parcels
    first = min((fact for _, fact in asked), key=lambda f: f.requested_at)
    if bucket is Bucket.VERIFY:
        return bucket, [Text("reason_intercept_failed", when=_when(first))], record.parcels
    if bucket is not Bucket.INTERCEPT:
        return bucket, [Text("reason_intercept_succeeded", when=_when(first))], record.parcels
    unsent = tuple(p for p in record.parcels if p.tracking_no not in facts)
    if unsent:
        sent = Listing(p.tracking_no for p, _ in asked)
        return Bucket.INTERCEPT, [Text("reason_partly_sent", numbers=sent, when=_when(first))], unsent
    latest = max(fact.last_chased_at or fact.requested_at for _, fact in asked)
    if now - latest >= timedelta(hours=chase_hours):
        return Bucket.CHASE, [Text("reason_chase", when=_when(first), hours=chase_hours)], record.parcels
    return Bucket.INTERCEPTING, [Text("reason_intercepting", when=_when(first))], record.parcels


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
    said_unshipped = record.type is _UNSHIPPED or record.shipped is False
    if not record.parcels:
        if said_unshipped:
            return Bucket.NOT_SHIPPED, [_NOT_SHIPPED], ()
        return _MANUAL, [_NO_TRACKING], ()
    if said_unshipped:
        reasons.append(_SHIPPED_SINCE)
    if record.logistics is _UNKNOWN_LOGISTICS:
        reasons.append(Text("reason_unknown_logistics", value=record.logistics_raw))
        return _MANUAL, reasons, record.parcels
    bucket, reason = _logistics_reason(record.logistics, record.logistics_raw)
    parcels = record.parcels
    if facts:
        bucket, follow_up, parcels = _follow_up(bucket, record, facts, now, chase_hours)
        reasons += follow_up
    # Once the interception is asked for, the logistics advice (发到快递群拦截) is done: only the follow-up is said.
    if bucket not in _ASKED:
        reasons.append(reason)
    if bucket in _NAME_COURIERS:
        for parcel in parcels:
            if parcel.courier is None:
                reasons.append(
                    Text("reason_courier_unknown", number=parcel.tracking_no, guess=_guess(parcel.candidates))
                )
    return bucket, reasons, parcels


@lru_cache(maxsize=1024)
def _logistics_reason(state: LogisticsState, raw: str) -> tuple[Bucket, Text]:
    bucket, key = _LOGISTICS[state]
    return bucket, Text(key, raw=raw)


@lru_cache(maxsize=256)
def _guess(candidates: tuple[str, ...]) -> str:
    if not candidates:
        return ""
    return Text("reason_courier_guess", couriers=Listing(courier_name(c) for c in candidates))


def decide(
    record: AfterSale,
    *,
    urgent_hours: float,
    now: datetime,
    facts: LedgerFacts = NO_FACTS,
    chase_hours: float = 48.0,
) -> Decision:
    return _decide(record, urgent_hours, now, facts, chase_hours)


def _decide(record: AfterSale, urgent_hours: float, now: datetime, facts: LedgerFacts, chase_hours: float) -> Decision:
    bucket, basis, parcels = _classify(record, facts, now, chase_hours)
    if record.deadline is None:
        hours_left = None
        if bucket is not _OUT_OF_SCOPE:
            basis.append(_NO_DEADLINE)
    else:
        hours_left = (record.deadline - now).total_seconds() / 3600
    steady = tuple(basis)
    reasons = steady
    how_urgent = urgency(bucket, hours_left, urgent_hours)
    if how_urgent is not None:
        assert hours_left is not None
        if how_urgent == "overdue":
            reasons = (Text("reason_overdue", hours=-hours_left), *steady)
        else:
            reasons = (Text("reason_hours_left", hours=hours_left), *steady)
    return Decision(record, bucket, _ACTIONS[bucket], reasons, hours_left, how_urgent is not None, parcels, steady)


def triage(
    records: Iterable[AfterSale],
    *,
    urgent_hours: float,
    now: datetime,
    facts: LedgerFacts = NO_FACTS,
    chase_hours: float = 48.0,
) -> list[Decision]:
    """Decisions for every record, nearest deadline first (no deadline last), then by 售后单号."""
    if now.tzinfo is not None:  # the same instant in the deadlines' tzinfo: `deadline - now` is then plain arithmetic
        now = now.astimezone(SHANGHAI)
    decisions = [_decide(r, urgent_hours, now, facts, chase_hours) for r in records]
    decisions.sort(key=lambda d: (d.aftersale.deadline is None, d.aftersale.deadline or now, d.aftersale.aftersale_id))
    return decisions
