"""What flows back to 抖店: remarks and flags, platform interception, refunds; against the fake
platform over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, select

from fakes.doudian import FakeDoudian
from lanjie.clients.doudian import DoudianClient
from lanjie.ledger.schema import events, interceptions, remarks
from lanjie.ledger.worklist import listed_refs, pending_remarks, remark_refs, resolve_shops
from lanjie.model import AfterSaleState, Bucket
from lanjie.pipeline import analyse_ledger
from lanjie.platform.connections import ConnectedShop
from lanjie.platform.intercepts import intercept_on_platform
from lanjie.platform.refunds import agree_refunds
from lanjie.platform.remarks_out import push_remarks
from lanjie.platform.sync import sync_shop
from ledger.platform_helpers import SECRET, at, connected, current, platform, settings_for


def _synced(ledger: Engine, fake: FakeDoudian, client: DoudianClient, n: int = 150) -> dict[int, ConnectedShop]:
    fake.seed_after_sales(n)
    shop = connected(ledger, fake, client)
    sync_shop(ledger, client, shop, settings=settings_for(fake), secret=SECRET, now=at(fake))
    shop = current(ledger)
    return {shop.shop_id: shop}


def test_remarks_are_written_once_even_when_two_operators_push_at_the_same_moment(ledger: Engine) -> None:
    with platform() as (fake, client):
        shops = _synced(ledger, fake, client)
        settings = settings_for(fake)
        ids = resolve_shops(ledger, [])
        refs = remark_refs(pending_remarks(ledger, analyse_ledger(ledger, settings=settings, now=at(fake)), ids), ids)
        due = [r for r in refs if r.order_id]
        assert len(due) > 5
        start = threading.Barrier(2)
        reports = []

        def operator(name: str) -> None:
            start.wait()
            reports.append(push_remarks(ledger, client, refs, shops=shops, secret=SECRET, operator=name, now=at(fake)))

        workers = [threading.Thread(target=operator, args=(name,)) for name in ("小王", "小李")]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert sum(len(r.written) for r in reports) == len(due)
        assert all(r.failed == [] for r in reports)
        assert set(fake.remark_calls.values()) == {1} and set(fake.remark_calls) == {r.order_id for r in due}
        for ref in due:
            sent = fake.remarks[ref.order_id]
            assert sent.remark == ref.text and sent.star == ("灰", "紫", "青", "绿", "橙", "红").index(ref.flag)
        with ledger.connect() as conn:
            assert len(conn.execute(select(remarks)).all()) == len(due)
        again = remark_refs(pending_remarks(ledger, analyse_ledger(ledger, settings=settings, now=at(fake)), ids), ids)
        assert [r for r in again if r.order_id] == []


def test_a_remark_the_platform_refuses_stays_on_the_list_with_its_reason(ledger: Engine) -> None:
    with platform() as (fake, client):
        shops = _synced(ledger, fake, client)
        settings = settings_for(fake)
        ids = resolve_shops(ledger, [])
        refs = [
            r
            for r in remark_refs(
                pending_remarks(ledger, analyse_ledger(ledger, settings=settings, now=at(fake)), ids), ids
            )
            if r.order_id
        ]
        fake.throttle_next = 100  # every call refused (retried, then given up)
        report = push_remarks(ledger, client, refs[:1], shops=shops, secret=SECRET, operator="小王", now=at(fake))
        assert report.written == [] and len(report.failed) == 1 and report.failed[0][1]
        fake.throttle_next = 0
        again = push_remarks(ledger, client, refs[:1], shops=shops, secret=SECRET, operator="小王", now=at(fake))
        assert len(again.written) == 1


def test_platform_interception_success_leaves_the_list_and_a_refusal_stays_with_its_reason(ledger: Engine) -> None:
    with platform() as (fake, client):
        shops = _synced(ledger, fake, client, 300)
        settings = settings_for(fake)
        ids = resolve_shops(ledger, [])
        refs = listed_refs(analyse_ledger(ledger, settings=settings, now=at(fake)), ids, Bucket.INTERCEPT)
        assert len(refs) >= 2
        refused = refs[0]
        fake.set_intercept(refused.tracking_no, "refused", "已签收，无法拦截")
        report = intercept_on_platform(
            ledger,
            client,
            refs[:2],
            shops=shops,
            secret=SECRET,
            operator="小王",
            now=at(fake),
        )
        assert [r.tracking_no for r, _ in report.requested] == [refs[1].tracking_no]
        assert report.refused == [(refused, "已签收，无法拦截")]
        lists = analyse_ledger(ledger, settings=settings, now=at(fake)).groups(Bucket.INTERCEPT)
        numbers = {number for group in lists for number in group.numbers}
        assert refused.tracking_no in numbers and refs[1].tracking_no not in numbers
        with ledger.connect() as conn:
            via = conn.execute(select(interceptions.c.tracking_no, interceptions.c.via)).all()
            logged = conn.execute(select(events.c.kind, events.c.tracking_no, events.c.after)).all()
        assert via == [(refs[1].tracking_no, "platform")]
        assert ("intercept_refused", refused.tracking_no, "已签收，无法拦截") in logged
        assert ("intercept_requested", refs[1].tracking_no, "抖店平台拦截") in logged
        assert len(fake.intercepted) == 1


def test_refunds_are_agreed_one_by_one_never_for_a_parcel_in_transit(ledger: Engine) -> None:
    with platform() as (fake, client):
        fake.seed_after_sales(200)
        for item in fake.after_sales.values():
            info = item["aftersale_info"]
            if info["aftersale_type"] == 1 and info["aftersale_status"] == 6 and info["order_logistics"]:
                info["order_logistics"][0]["logistics_state"] = 4  # 商家已签收: back with the shop
                break
        shop = connected(ledger, fake, client)
        settings = settings_for(fake)
        sync_shop(ledger, client, shop, settings=settings, secret=SECRET, now=at(fake))
        shop = current(ledger)
        decisions = analyse_ledger(ledger, settings=settings, now=at(fake)).decisions
        returned = [d.aftersale for d in decisions if d.bucket is Bucket.RETURNED]
        moving = [d.aftersale for d in decisions if d.bucket is Bucket.INTERCEPT][:1]
        assert len(returned) >= 1 and moving
        report = agree_refunds(
            ledger,
            client,
            returned + moving,
            shops={shop.name: shop},
            settings=settings,
            secret=SECRET,
            operator="小王",
            now=at(fake),
        )
        assert [r.aftersale_id for r in report.agreed] == [r.aftersale_id for r in returned]
        assert [r.aftersale_id for r, _ in report.skipped] == [moving[0].aftersale_id]
        assert fake.operations == [(201, r.aftersale_id) for r in returned]
        now_known = {
            d.aftersale.aftersale_id: d.aftersale
            for d in analyse_ledger(ledger, settings=settings, now=at(fake)).decisions
        }
        assert all(now_known[r.aftersale_id].state is AfterSaleState.REFUNDED for r in returned)
        with ledger.connect() as conn:
            kinds = [k for (k,) in conn.execute(select(events.c.kind))]
        assert kinds.count("refund_agreed") == len(returned)


def test_a_refund_changed_since_it_was_read_is_not_agreed_blindly(ledger: Engine) -> None:
    with platform() as (fake, client):
        fake.seed_after_sales(100)
        shop = connected(ledger, fake, client)
        settings = settings_for(fake)
        sync_shop(ledger, client, shop, settings=settings, secret=SECRET, now=at(fake))
        shop = current(ledger)
        unshipped = [
            d.aftersale
            for d in analyse_ledger(ledger, settings=settings, now=at(fake)).decisions
            if d.bucket is Bucket.NOT_SHIPPED
        ]
        assert unshipped
        fake.after_sales[unshipped[0].aftersale_id]["aftersale_info"]["aftersale_status"] = (
            12  # agreed in the back office meanwhile
        )
        report = agree_refunds(
            ledger,
            client,
            unshipped[:1],
            shops={shop.name: shop},
            settings=settings,
            secret=SECRET,
            operator="小王",
            now=at(fake),
        )
        assert report.agreed == [] and len(report.skipped) == 1
        assert fake.operations == []
