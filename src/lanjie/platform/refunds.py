"""Agreeing refunds through the platform (afterSale/operate, type 201), one after-sale per call.

Only for after-sales whose parcel is not on its way to the buyer (returned, returning, never
shipped): agreeing while it is still in transit gives the money away with the goods. Each
after-sale is read again first (afterSale/Detail): it must still wait for the merchant, and its
update_time goes with the call as the platform's version check, so an after-sale that changed
meanwhile is refused rather than agreed blindly. Results are events; the after-sale is then
brought up to date in the ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine

from lanjie.clients.doudian import DoudianClient, DoudianError
from lanjie.config import Settings
from lanjie.i18n import Text
from lanjie.ledger.bulk import insert_rows
from lanjie.ledger.claims import claim, release
from lanjie.ledger.database import write_transaction
from lanjie.ledger.events import EventKind, event_row
from lanjie.ledger.schema import events
from lanjie.model import AfterSale, LogisticsState
from lanjie.platform.connections import ConnectedShop, with_token
from lanjie.platform.records import AFTERSALE_STATUS_PENDING, update_time_of
from lanjie.platform.refetch import fetch_detail, refresh_aftersales

AGREE = 201
CLAIM_FOR = timedelta(minutes=10)
ON_THE_ROAD = frozenset({LogisticsState.NONE, LogisticsState.MOVING, LogisticsState.DELIVERING, LogisticsState.PROBLEM})


@dataclass
class AgreeReport:
    agreed: list[AfterSale] = field(default_factory=list)
    refused: list[tuple[AfterSale, str]] = field(default_factory=list)  # the platform's reason
    skipped: list[tuple[AfterSale, Text]] = field(default_factory=list)  # not asked: why


def in_transit(record: AfterSale) -> bool:
    """Whether a parcel of this after-sale may still be on its way to the buyer."""
    return bool(record.parcels) and record.shipped is not False and record.logistics in ON_THE_ROAD


def agree_refunds(
    engine: Engine,
    client: DoudianClient,
    records: Sequence[AfterSale],
    *,
    shops: dict[str, ConnectedShop],
    settings: Settings,
    secret: str,
    operator: str,
    now: datetime,
) -> AgreeReport:
    report = AgreeReport()
    for record in records:
        shop = shops.get(record.shop)
        if shop is None:
            report.skipped.append((record, Text("agree_shop_not_connected", shop=record.shop)))
        elif in_transit(record):
            report.skipped.append((record, Text("agree_in_transit")))
        else:
            job = f"agree:{shop.shop_id}:{record.aftersale_id}"
            if not claim(engine, job, by=operator, now=now, every=CLAIM_FOR):
                report.skipped.append((record, Text("agree_busy")))
                continue
            try:
                _agree(
                    engine,
                    client,
                    record,
                    shop,
                    settings=settings,
                    secret=secret,
                    operator=operator,
                    now=now,
                    report=report,
                )
            finally:
                release(engine, job)
    return report


def _agree(
    engine: Engine,
    client: DoudianClient,
    record: AfterSale,
    shop: ConnectedShop,
    *,
    settings: Settings,
    secret: str,
    operator: str,
    now: datetime,
    report: AgreeReport,
) -> None:
    try:
        item = fetch_detail(engine, client, shop, record.aftersale_id, secret=secret, now=now)
        status = item["aftersale_info"].get("aftersale_status")
        if status != AFTERSALE_STATUS_PENDING:
            report.skipped.append((record, Text("agree_not_pending")))
            refresh_aftersales(
                engine, client, shop, [], settings=settings, secret=secret, now=now, operator=operator, items=[item]
            )
            return
        version = update_time_of(item)

        def agree(token: str) -> None:
            client.agree_refund(token, record.aftersale_id, version)

        with_token(engine, client, shop, secret=secret, now=now, call=agree)
    except DoudianError as error:
        reason = error.sub_msg or error.msg or str(error)
        report.refused.append((record, reason))
        _log(engine, EventKind.REFUND_AGREE_FAILED, shop, record, operator=operator, now=now, said=reason)
        return
    report.agreed.append(record)
    _log(engine, EventKind.REFUND_AGREED, shop, record, operator=operator, now=now, said="抖店接口")
    with suppress(DoudianError):  # agreed all the same; the next sync brings the new state
        refresh_aftersales(
            engine, client, shop, [record.aftersale_id], settings=settings, secret=secret, now=now, operator=operator
        )


def _log(
    engine: Engine, kind: EventKind, shop: ConnectedShop, record: AfterSale, *, operator: str, now: datetime, said: str
) -> None:
    row = event_row(
        kind,
        at=now,
        operator=operator,
        shop_id=shop.shop_id,
        aftersale_id=record.aftersale_id,
        order_id=record.order_id,
        after=said,
    )
    with write_transaction(engine) as conn:
        insert_rows(conn, events, [row])
