"""Shared set-up of the 抖店 connector tests: a fake platform, a connected shop, settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from fakes.doudian import FakeDoudian
from lanjie.clients.doudian import DoudianClient
from lanjie.config import Settings
from lanjie.model import SHANGHAI
from lanjie.platform.connections import ConnectedShop, connect_shop, connected_shop

SECRET = "a-server-secret-of-enough-length-for-lanjie-0123456789"
SHOP = "示例旗舰店"
START = 1_764_300_000  # 2025-11-28 11:20 Beijing time


@contextmanager
def platform() -> Iterator[tuple[FakeDoudian, DoudianClient]]:
    with FakeDoudian(now=float(START)) as fake:
        client = DoudianClient(fake.app_key, fake.app_secret, fake.url, clock=fake.clock, sleep=lambda _: None)
        with client:
            yield fake, client


def at(fake: FakeDoudian) -> datetime:
    return datetime.fromtimestamp(fake.now, tz=SHANGHAI)


def settings_for(fake: FakeDoudian) -> Settings:
    return Settings(
        operator="小王",
        doudian_app_key=fake.app_key,
        doudian_app_secret=fake.app_secret,
        doudian_base_url=fake.url,
        secret_key=SECRET,
    )


def connected(ledger: Engine, fake: FakeDoudian, client: DoudianClient) -> ConnectedShop:
    connect_shop(
        ledger, client, name=SHOP, secret=SECRET, operator="小王", now=at(fake), platform_shop_id=str(fake.shop_id)
    )
    return current(ledger)


def current(ledger: Engine) -> ConnectedShop:
    with ledger.connect() as conn:
        return connected_shop(conn, SHOP)


def refund_only_pending(fake: FakeDoudian) -> dict[str, dict[str, Any]]:
    return {
        key: item
        for key, item in fake.after_sales.items()
        if item["aftersale_info"]["aftersale_type"] in (1, 2) and item["aftersale_info"]["aftersale_status"] == 6
    }
