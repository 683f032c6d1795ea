"""The platform's own parcel interception (afterSale/applyLogisticsIntercept), one after-sale per call.

It costs the shop money, so each parcel is claimed before the call: two operators pressing
平台拦截 at the same moment ask once. A success is recorded as the parcel's interception request
(via platform), so it leaves the chat-group list; a refusal leaves it on the list, with the
platform's reason logged and shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine

from lanjie.clients.doudian import DoudianClient, DoudianError, InterceptAnswer
from lanjie.ledger.actions import EarlierRequest, ParcelRef, log_parcels, record_sent
from lanjie.ledger.claims import claim, release
from lanjie.ledger.database import write_transaction
from lanjie.ledger.events import EventKind
from lanjie.platform.connections import ConnectedShop, with_token

CLAIM_FOR = timedelta(minutes=10)


@dataclass
class InterceptReport:
    requested: list[tuple[ParcelRef, int]] = field(default_factory=list)  # with its cost in 分
    refused: list[tuple[ParcelRef, str]] = field(default_factory=list)  # with the platform's reason
    already: list[EarlierRequest] = field(default_factory=list)
    busy: list[ParcelRef] = field(default_factory=list)  # someone else is asking right now
    skipped: list[ParcelRef] = field(default_factory=list)  # its shop is not connected


def intercept_on_platform(
    engine: Engine,
    client: DoudianClient,
    refs: Sequence[ParcelRef],
    *,
    shops: dict[int, ConnectedShop],
    secret: str,
    operator: str,
    now: datetime,
) -> InterceptReport:
    report = InterceptReport()
    for ref in {(r.shop_id, r.tracking_no): r for r in refs}.values():
        if ref.shop_id not in shops or ref.aftersale_id is None:
            report.skipped.append(ref)
            continue
        job = f"intercept:{ref.shop_id}:{ref.tracking_no}"
        if not claim(engine, job, by=operator, now=now, every=CLAIM_FOR):
            report.busy.append(ref)
            continue
        try:
            _one(engine, client, ref, shops[ref.shop_id], secret=secret, operator=operator, now=now, report=report)
        finally:
            release(engine, job)
    return report


def _one(
    engine: Engine,
    client: DoudianClient,
    ref: ParcelRef,
    shop: ConnectedShop,
    *,
    secret: str,
    operator: str,
    now: datetime,
    report: InterceptReport,
) -> None:
    aftersale_id, courier = ref.aftersale_id, ref.courier or ""
    assert aftersale_id is not None

    def ask(token: str) -> InterceptAnswer:
        return client.apply_logistics_intercept(token, aftersale_id, [(courier, ref.tracking_no)])

    try:
        answer = with_token(engine, client, shop, secret=secret, now=now, call=ask)
    except DoudianError as error:
        _refused(engine, ref, error.sub_msg or error.msg or str(error), operator=operator, now=now, report=report)
        return
    result = next((r for r in answer.results if r.tracking_no == ref.tracking_no), None)
    if result is not None and result.is_success:
        sent = record_sent(engine, [ref], operator=operator, now=now, via="platform")
        report.already += sent.already
        report.requested += [(r, result.intercept_cost or 0) for r in sent.recorded]
        return
    reason = (result.unavailable_reason if result is not None else "") or answer.unavailable_reason
    _refused(engine, ref, reason or "平台未说明原因", operator=operator, now=now, report=report)


def _refused(
    engine: Engine, ref: ParcelRef, reason: str, *, operator: str, now: datetime, report: InterceptReport
) -> None:
    report.refused.append((ref, reason))
    with write_transaction(engine) as conn:
        log_parcels(conn, EventKind.INTERCEPT_REFUSED, [ref], operator=operator, now=now, said=reason)
