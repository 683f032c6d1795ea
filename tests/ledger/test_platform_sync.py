"""Sync from the 抖店 Open Platform into the ledger, against the fake platform over real HTTP,
on SQLite and PostgreSQL: the same import path as an export."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, func, select

from exports import aftersale, write_xlsx
from lanjie.ledger.schema import aftersales, events, platform_shops, shops
from lanjie.model import Bucket, CourierSource
from lanjie.pipeline import analyse_ledger, import_and_analyse
from lanjie.platform.sync import OVERLAP, sync_shop
from ledger.platform_helpers import (
    SECRET,
    SHOP,
    START,
    at,
    connected,
    current,
    platform,
    refund_only_pending,
    settings_for,
)


def _count(ledger: Engine, table: object) -> int:
    with ledger.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_a_first_sync_brings_every_waiting_refund_only_after_sale_across_pages(ledger: Engine) -> None:
    with platform() as (fake, client):
        fake.seed_after_sales(2500)
        wanted = refund_only_pending(fake)
        shop = connected(ledger, fake, client)
        report = sync_shop(ledger, client, shop, settings=settings_for(fake), secret=SECRET, now=at(fake))
        assert report.errors == []
        assert report.full and report.fetched == len(wanted) > 1000 and report.new == len(wanted)
        pages = [r for r in fake.received if r.path == "afterSale/List"]
        assert len(pages) >= len(wanted) // 100
        analysis = analyse_ledger(ledger, settings=settings_for(fake), now=at(fake))
        assert {d.aftersale.aftersale_id for d in analysis.decisions} == set(wanted)
        parcels = [p for d in analysis.decisions for p in d.aftersale.parcels]
        assert parcels and all(p.courier_source is CourierSource.PLATFORM for p in parcels)
        assert {p.courier for p in parcels} <= {"zhongtong", "yuantong", "shunfeng", "yunda", "jtexpress"}
        assert current(ledger).synced_at == at(fake) and current(ledger).sync_error is None


def test_an_incremental_sync_sees_only_changes_and_keeps_the_rest_of_the_work(ledger: Engine) -> None:
    with platform() as (fake, client):
        fake.seed_after_sales(600)
        settings = settings_for(fake)
        sync_shop(ledger, client, connected(ledger, fake, client), settings=settings, secret=SECRET, now=at(fake))
        before = {
            d.aftersale.aftersale_id: d.bucket
            for d in analyse_ledger(ledger, settings=settings, now=at(fake)).decisions
        }
        fake.advance(3600)
        moving = [k for k, item in refund_only_pending(fake).items() if item["aftersale_info"]["order_logistics"]][:2]
        for key in moving:
            info = fake.after_sales[key]["aftersale_info"]
            info["order_logistics"][0]["logistics_state"] = 3  # 快递退回中
            info["update_time"] = int(fake.now)
        report = sync_shop(ledger, client, current(ledger), settings=settings, secret=SECRET, now=at(fake))
        assert not report.full and report.errors == []
        since = START - OVERLAP.total_seconds()
        changed = [i for i in fake.after_sales.values() if i["aftersale_info"]["aftersale_type"] in (1, 2)]
        changed = [i for i in changed if i["aftersale_info"]["update_time"] >= since]
        assert report.fetched == len(changed) < 10 and report.updated == 2 and report.new == 0
        after = {
            d.aftersale.aftersale_id: d.bucket
            for d in analyse_ledger(ledger, settings=settings, now=at(fake)).decisions
        }
        assert after.keys() == before.keys()
        assert all(after[k] is Bucket.RETURNING for k in moving)
        with ledger.connect() as conn:
            kinds = conn.execute(select(events.c.kind, events.c.aftersale_id)).all()
        assert sorted(a for kind, a in kinds if kind == "logistics_changed") == sorted(moving)
        with ledger.connect() as conn:  # the incremental sync carried the rest forward: it is the shop's current import
            newest = conn.execute(select(func.max(aftersales.c.last_import_id))).scalar_one()
            assert conn.execute(select(shops.c.current_import_id)).scalar_one() == newest == 2


def test_a_token_that_expires_in_the_middle_of_a_sync_is_refreshed_once_and_the_sync_completes(ledger: Engine) -> None:
    with platform() as (fake, client):
        fake.seed_after_sales(800)
        shop = connected(ledger, fake, client)

        expired: list[int] = []

        def expire_after_the_first_page(_: str, fetched: int) -> None:
            if not expired:
                expired.append(fetched)
                fake.access_tokens.clear()

        report = sync_shop(
            ledger,
            client,
            shop,
            settings=settings_for(fake),
            secret=SECRET,
            now=at(fake),
            progress=expire_after_the_first_page,
        )
        assert report.errors == [] and report.fetched == len(refund_only_pending(fake))
        assert sum(r.path == "token/refresh" for r in fake.received) == 1
        assert current(ledger).token_expires_at > shop.connected_at


def test_a_failed_page_leaves_the_ledger_as_it_was(ledger: Engine) -> None:
    with platform() as (fake, client):
        fake.seed_after_sales(900)
        shop = connected(ledger, fake, client)
        fake.fail_page(2)
        report = sync_shop(ledger, client, shop, settings=settings_for(fake), secret=SECRET, now=at(fake))
        assert report.errors and report.new == 0
        assert _count(ledger, aftersales) == 0
        with ledger.connect() as conn:
            row = conn.execute(select(platform_shops.c.synced_at, platform_shops.c.sync_error)).one()
        assert row.synced_at is None and row.sync_error
        again = sync_shop(ledger, client, current(ledger), settings=settings_for(fake), secret=SECRET, now=at(fake))
        assert again.errors == [] and again.new == len(refund_only_pending(fake))


def test_the_same_answer_twice_changes_nothing(ledger: Engine) -> None:
    with platform() as (fake, client):
        fake.seed_after_sales(300)
        settings = settings_for(fake)
        sync_shop(ledger, client, connected(ledger, fake, client), settings=settings, secret=SECRET, now=at(fake))
        rows, logged = _count(ledger, aftersales), _count(ledger, events)
        again = sync_shop(ledger, client, current(ledger), settings=settings, secret=SECRET, now=at(fake), full=True)
        assert again.new == 0 and again.updated == 0 and again.unchanged == again.fetched > 0
        assert (_count(ledger, aftersales), _count(ledger, events)) == (rows, logged)


def test_an_export_and_a_sync_of_the_same_shop_agree(ledger: Engine, tmp_path: Path) -> None:
    with platform() as (fake, client):
        fake.seed_after_sales(120)
        settings = settings_for(fake).model_copy(update={"shop": SHOP})
        pending = refund_only_pending(fake)
        rows = []
        for item in pending.values():
            info, order = item["aftersale_info"], item["order_info"]
            logistics = info["order_logistics"]
            states = {0: "", 1: "买家已拒签", 2: "已签收", 3: "快递退回中", 4: "商家已签收"}
            rows.append(
                aftersale(
                    售后单号="\t" + info["aftersale_id"],
                    订单号="\t" + order["shop_order_id"],
                    商品名称=order["related_order_info"][0]["product_name"],
                    售后类型="已发货退款" if info["aftersale_type"] == 1 else "未发货退款",
                    商品发货状态="1/1已发货" if info["aftersale_type"] == 1 else "未发货",
                    退商品金额=f"{info['refund_amount'] / 100:.2f}",
                    售后状态="待商家处理",
                    自动处理截止时间=at_text(info["status_deadline"]),
                    发货物流单号=",".join(p["tracking_no"] for p in logistics),
                    发货物流状态=states[max((p["logistics_state"] for p in logistics), default=0)],
                    售后原因=item["text_part"]["reason_text"],
                    门店名称=SHOP,
                )
            )
        export = write_xlsx(tmp_path / "售后单导出-2025-11-28-11-00-00.xlsx", rows)
        exported = import_and_analyse([export], settings=settings, now=at(fake), ledger=ledger)
        by_file = {d.aftersale.aftersale_id: d.bucket for d in exported.decisions}
        logged = _count(ledger, events)
        report = sync_shop(
            ledger, client, connected(ledger, fake, client), settings=settings, secret=SECRET, now=at(fake)
        )
        assert report.errors == [] and report.new == 0 and report.fetched == len(pending)
        assert _count(ledger, events) == logged  # no state, logistics, deadline or tracking change
        synced = {
            d.aftersale.aftersale_id: d.bucket
            for d in analyse_ledger(ledger, settings=settings, now=at(fake)).decisions
        }
        assert synced == by_file


def at_text(seconds: int) -> str:
    from datetime import datetime

    from lanjie.model import SHANGHAI

    return datetime.fromtimestamp(seconds, tz=SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def test_the_shop_name_is_the_one_given_and_tokens_are_stored_sealed(ledger: Engine) -> None:
    with platform() as (fake, client):
        shop = connected(ledger, fake, client)
        assert shop.name == SHOP and shop.platform_shop_id == str(fake.shop_id)
        with ledger.connect() as conn:
            sealed = conn.execute(select(platform_shops.c.sealed_token)).scalar_one()
        assert all(token not in sealed for token in fake.access_tokens)
        assert all(token not in sealed for token in fake.refresh_tokens)
