"""Bring a few after-sales up to date at once (afterSale/Detail): after a push message, after
agreeing a refund. They go through the import path as an incremental sync."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from lanjie.clients.doudian import DoudianClient
from lanjie.config import Settings
from lanjie.pipeline import record_and_analyse
from lanjie.platform.connections import ConnectedShop, with_token
from lanjie.platform.records import item_from_detail
from lanjie.platform.sync import batch_of


def fetch_detail(
    engine: Engine, client: DoudianClient, shop: ConnectedShop, aftersale_id: str, *, secret: str, now: datetime
) -> dict[str, Any]:
    """The after-sale as afterSale/List shows it, read now from afterSale/Detail."""

    def read(token: str) -> dict[str, Any]:
        return client.after_sale_detail(token, aftersale_id)

    return item_from_detail(with_token(engine, client, shop, secret=secret, now=now, call=read))


def refresh_aftersales(
    engine: Engine,
    client: DoudianClient,
    shop: ConnectedShop,
    aftersale_ids: Sequence[str],
    *,
    settings: Settings,
    secret: str,
    now: datetime,
    operator: str,
    items: Sequence[Mapping[str, Any]] = (),
) -> int:
    """Re-read these after-sales (or use `items` already read) and record what changed; returns how many."""
    fetched = list(items) or [
        fetch_detail(engine, client, shop, aftersale_id, secret=secret, now=now) for aftersale_id in aftersale_ids
    ]
    batch = batch_of(shop.name, fetched, now, full=False)
    if batch.aftersales:
        record_and_analyse(batch, settings=settings, now=now, ledger=engine, operator=operator)
    return len(batch.aftersales)
