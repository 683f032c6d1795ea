"""Sync: the shop's refund-only after-sales from afterSale/List into the ledger, through the
same import path an export takes (same idempotency, change events and outcomes).

The first sync of a shop (and `--full`) asks for every after-sale waiting for the merchant
(status 6 待商家同意) and, like an export, becomes the shop's current work. Later syncs ask only
for what changed since the last successful one (`update_start_time`, with an overlap so that
nothing updated during the previous sync is missed), whatever its status now, and update the
current work in place. Every page is fetched before anything is written: a page that fails
leaves the ledger exactly as it was. An expired token is refreshed once and the sync retried.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from lanjie.clients.doudian import DoudianClient, DoudianError
from lanjie.config import Settings
from lanjie.ingest.load import Batch, batch_from_service
from lanjie.model import SHANGHAI, SourceRef
from lanjie.pipeline import record_and_analyse
from lanjie.platform.connections import ConnectedShop, record_sync, with_token
from lanjie.platform.records import AFTERSALE_STATUS_PENDING, REFUND_ONLY_TYPES, aftersale_from_item

OVERLAP = timedelta(minutes=5)
SOURCE_PREFIX = "抖店同步"

Progress = Callable[[str, int], None]  # shop, items fetched so far


@dataclass
class SyncReport:
    shop: str
    full: bool = False
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "shop": self.shop,
            "full": self.full,
            "fetched": self.fetched,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": self.errors,
        }


def fetch_items(
    client: DoudianClient,
    token: str,
    *,
    since: datetime | None,
    until: datetime,
    on_page: Callable[[int], None] | None = None,
) -> list[Mapping[str, Any]]:
    """Every refund-only after-sale the sync asks for, newest answer per after-sale."""
    items: dict[str, Mapping[str, Any]] = {}
    for kind in REFUND_ONLY_TYPES:
        pages = client.list_after_sales(
            token,
            update_start=int(since.timestamp()) if since else None,
            update_end=int(until.timestamp()) if since else None,
            aftersale_type=kind,
            statuses=None if since else [AFTERSALE_STATUS_PENDING],
        )
        for page in pages:
            for item in page.items:
                key = str((item.get("aftersale_info") or {}).get("aftersale_id") or "")
                items[key or f"#{len(items)}"] = item
            if on_page:
                on_page(len(items))
    return list(items.values())


def batch_of(shop: str, items: list[Mapping[str, Any]], started: datetime, *, full: bool) -> Batch:
    """The sync's answer as a batch, named by shop and time and known by its content."""
    stamp = started.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    name = f"{SOURCE_PREFIX} {shop} {stamp}" + (" 全量" if full else "")
    records = [
        record
        for row, item in enumerate(items, start=1)
        if (record := aftersale_from_item(item, shop=shop, source=SourceRef(name, row))) is not None
    ]
    content = json.dumps([shop, full, items], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return batch_from_service(name, content, started, records, rows=len(items), incremental=not full)


def sync_shop(
    engine: Engine,
    client: DoudianClient,
    shop: ConnectedShop,
    *,
    settings: Settings,
    secret: str,
    now: datetime,
    full: bool = False,
    operator: str | None = None,
    progress: Progress | None = None,
) -> SyncReport:
    """Pull the shop's after-sales into the ledger; errors are reported, never half-written."""
    full = full or shop.synced_at is None
    report = SyncReport(shop.name, full=full)
    since = shop.synced_at - OVERLAP if shop.synced_at is not None and not full else None
    try:
        items = _fetch(engine, client, shop, secret=secret, now=now, since=since, progress=progress)
        report.fetched = len(items)
        if items:
            batch = batch_of(shop.name, items, now, full=full)
            analysis = record_and_analyse(batch, settings=settings, now=now, ledger=engine, operator=operator)
            imported = analysis.import_report
            if imported is not None and imported.import_id is not None:
                report.new, report.updated, report.unchanged = imported.new, imported.changed, imported.unchanged
            else:
                report.unchanged = len(batch.aftersales)
    except DoudianError as error:
        report.errors.append(error.explain() + f"（{error}）")
        record_sync(engine, shop.shop_id, started=now, counts=None, error=report.errors[-1])
        return report
    record_sync(engine, shop.shop_id, started=now, counts=report.as_json(), error=None)
    return report


def _fetch(
    engine: Engine,
    client: DoudianClient,
    shop: ConnectedShop,
    *,
    secret: str,
    now: datetime,
    since: datetime | None,
    progress: Progress | None,
) -> list[Mapping[str, Any]]:
    def on_page(count: int) -> None:
        if progress:
            progress(shop.name, count)

    def fetch(token: str) -> list[Mapping[str, Any]]:
        return fetch_items(client, token, since=since, until=now, on_page=on_page)

    return with_token(engine, client, shop, secret=secret, now=now, call=fetch)
