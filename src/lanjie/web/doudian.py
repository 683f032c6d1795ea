"""The workbench's side of the 抖店 connector: its client, the background sync of `lanjie serve`,
and the after-sales a push message asks to re-read.

Background sync: a thread wakes every minute and, for each connected shop, claims the job
`sync:{shop_id}` for one `sync_minutes` interval (lanjie.ledger.claims). Only one of the servers
sharing the ledger wins a shop's interval, so a shop is synced once per interval however many
`lanjie serve` processes run. A failed sync is recorded on the shop by sync_shop (the workbench
shows it) and logged without secrets; the next interval tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select

from lanjie.clients.doudian import DoudianClient, DoudianError
from lanjie.clients.doudian_push import (
    AFTERSALE_TAGS,
    TAG_TRADE_LOGISTICS_CHANGED,
    PushMessage,
    aftersale_id_of,
    order_id_of,
)
from lanjie.config import Settings
from lanjie.errors import BadInput, LanjieError
from lanjie.i18n import t
from lanjie.ledger.claims import claim
from lanjie.ledger.schema import aftersales
from lanjie.platform.access import server_secret
from lanjie.platform.connections import ConnectedShop, connected_shops, record_sync
from lanjie.platform.records import REFUND_ONLY_TYPES
from lanjie.platform.refetch import fetch_detail, refresh_aftersales
from lanjie.platform.sync import SyncReport, sync_shop
from lanjie.web.background import BackgroundJob, Clock

LOG = logging.getLogger("lanjie.platform")
REFETCH_TAGS = AFTERSALE_TAGS | {TAG_TRADE_LOGISTICS_CHANGED}


def configured(settings: Settings) -> bool:
    return bool(settings.doudian_app_key and settings.doudian_app_secret)


def client_for(settings: Settings, clock: Clock) -> DoudianClient:
    """The app's client, its requests stamped with the workbench's clock."""
    if not configured(settings):
        raise BadInput("doudian_not_configured")
    return DoudianClient(
        settings.doudian_app_key,
        settings.doudian_app_secret,
        settings.doudian_base_url,
        clock=lambda: clock().timestamp(),
    )


def sync_job(shop: ConnectedShop) -> str:
    return f"sync:{shop.shop_id}"


def run_sync(
    ledger: Engine,
    client: DoudianClient,
    shop: ConnectedShop,
    *,
    settings: Settings,
    now: datetime,
    operator: str,
    full: bool = False,
) -> SyncReport:
    """sync_shop, with the errors it does not record itself (an unreadable token, a ledger
    trouble) recorded on the shop too, so the workbench shows every failed sync."""
    try:
        return sync_shop(
            ledger,
            client,
            shop,
            settings=settings,
            secret=server_secret(settings),
            now=now,
            full=full,
            operator=operator,
        )
    except LanjieError as error:
        said = error.render(settings.lang)
    except Exception as error:  # anything else: said by its kind only (its text may quote SQL parameters)
        LOG.error("sync of shop %s failed unexpectedly: %s", shop.shop_id, type(error).__name__)
        said = t("sync_unexpected", settings.lang, error=type(error).__name__)
    record_sync(ledger, shop.shop_id, started=now, counts=None, error=said)
    return SyncReport(shop.name, errors=[said])


class BackgroundSync(BackgroundJob):
    """Syncs each connected shop once per `settings.sync_minutes`, across every server of the ledger."""

    thread_name = "lanjie-sync"
    log = LOG

    @property
    def interval(self) -> timedelta:
        return timedelta(minutes=self.settings.sync_minutes)

    def run_once(self) -> list[SyncReport]:
        """One wake: sync the shops whose interval this server claims now."""
        with self.ledger.connect() as conn:
            shops = connected_shops(conn)
        reports: list[SyncReport] = []
        if not shops:
            return reports
        operator = t("platform_sync_operator", self.settings.lang)
        with client_for(self.settings, self.clock) as client:
            for shop in shops:
                if self.stopping:
                    break
                now = self.clock()
                if not claim(self.ledger, sync_job(shop), by=self.name, now=now, every=self.interval):
                    continue
                report = run_sync(self.ledger, client, shop, settings=self.settings, now=now, operator=operator)
                for error in report.errors:
                    LOG.warning("background sync of %s failed: %s", shop.name, error)
                reports.append(report)
        return reports


def _shop_of(message: PushMessage, shops: Sequence[ConnectedShop]) -> ConnectedShop | None:
    """The connected shop a message is about (by the platform's shop id; the only shop when it
    names none)."""
    named = message.data.get("shop_id")
    if named is None:
        return shops[0] if len(shops) == 1 else None
    return next((s for s in shops if s.platform_shop_id == str(named)), None)


def _known(conn: Connection, shop_id: int, aftersale_id: str) -> bool:
    query = select(aftersales.c.aftersale_id).where(
        aftersales.c.shop_id == shop_id, aftersales.c.aftersale_id == aftersale_id
    )
    return conn.execute(query).first() is not None


def _of_order(conn: Connection, shop_id: int, order_id: str) -> set[str]:
    query = select(aftersales.c.aftersale_id).where(aftersales.c.shop_id == shop_id, aftersales.c.order_id == order_id)
    return set(conn.execute(query).scalars())


def _wanted_by(conn: Connection, message: PushMessage, shop: ConnectedShop) -> set[str]:
    aftersale_id = aftersale_id_of(message)
    if aftersale_id is not None:
        kind: Any = message.data.get("aftersale_type")
        # Sync only takes refund-only after-sales: a push does not add other kinds either.
        if isinstance(kind, int) and kind not in REFUND_ONLY_TYPES and not _known(conn, shop.shop_id, aftersale_id):
            return set()
        return {aftersale_id}
    order_id = order_id_of(message)
    if message.tag == TAG_TRADE_LOGISTICS_CHANGED and order_id is not None:
        return _of_order(conn, shop.shop_id, order_id)  # the after-sales of the order whose parcel moved
    return set()


def pushed_aftersales(ledger: Engine, messages: Sequence[PushMessage]) -> dict[int, tuple[ConnectedShop, set[str]]]:
    """The after-sales the messages ask to re-read, by shop: shop_id → (shop, after-sale ids)."""
    wanted: dict[int, tuple[ConnectedShop, set[str]]] = {}
    with ledger.connect() as conn:
        shops = connected_shops(conn)
        for message in messages:
            if message.tag not in REFETCH_TAGS:
                continue
            shop = _shop_of(message, shops)
            if shop is None:
                LOG.info("push message %s (tag %s) names no connected shop", message.msg_id, message.tag)
                continue
            ids = _wanted_by(conn, message, shop)
            if ids:
                wanted.setdefault(shop.shop_id, (shop, set()))[1].update(ids)
    return wanted


def refresh_pushed(ledger: Engine, settings: Settings, clock: Clock, messages: Sequence[PushMessage]) -> int:
    """Re-read (afterSale/Detail) the after-sales the messages are about and record what changed;
    returns how many were recorded. One that cannot be read is logged and left to the next sync."""
    wanted = pushed_aftersales(ledger, messages)
    if not wanted:
        return 0
    operator = t("platform_push_operator", settings.lang)
    secret = server_secret(settings)
    recorded = 0
    with client_for(settings, clock) as client:
        for shop, ids in wanted.values():
            items = []
            for aftersale_id in sorted(ids):
                try:
                    items.append(fetch_detail(ledger, client, shop, aftersale_id, secret=secret, now=clock()))
                except (DoudianError, LanjieError) as error:
                    LOG.warning("could not re-read after-sale %s of %s: %s", aftersale_id, shop.name, error)
            if items:
                recorded += refresh_aftersales(
                    ledger,
                    client,
                    shop,
                    [],
                    settings=settings,
                    secret=secret,
                    now=clock(),
                    operator=operator,
                    items=items,
                )
    return recorded
