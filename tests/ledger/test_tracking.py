"""Tracking from 快递100 into the ledger and the work, against the fake 快递100 over real HTTP,
on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from exports import aftersale, write_xlsx
from fakes.kuaidi100 import FakeKuaidi100
from lanjie.clients.kuaidi100 import Kuaidi100Client
from lanjie.config import Settings
from lanjie.ledger.actions import ParcelRef, record_sent
from lanjie.ledger.schema import events, interceptions, parcel_tracking
from lanjie.model import SHANGHAI, Bucket, Outcome
from lanjie.pipeline import analyse_ledger, import_and_analyse
from lanjie.tracking.refresh import refresh_tracking

DAY = datetime(2026, 11, 26, 9, 30, tzinfo=SHANGHAI)
ZTO, YTO, JT = "73610555582881", "YT8962646785389", "JT5261988016578"


@pytest.fixture
def fake() -> Iterator[FakeKuaidi100]:
    with FakeKuaidi100(now=DAY.timestamp()) as running:
        running.track(ZTO, "zhongtong", "0", [("2026-11-26 08:00:00", "【杭州】快件已发往 北京")], phone="13800001234")
        running.track(YTO, "yuantong", "0", [("2026-11-26 07:00:00", "【上海】已揽收")])
        running.track(JT, "jtexpress", "0", [("2026-11-26 06:00:00", "【广州】运输中")])
        yield running


@pytest.fixture
def client(fake: FakeKuaidi100) -> Iterator[Kuaidi100Client]:
    with Kuaidi100Client(fake.customer, fake.key, base_url=fake.url, clock=fake.clock, sleep=lambda _: None) as made:
        yield made


@pytest.fixture
def settings(fake: FakeKuaidi100) -> Settings:
    return Settings(
        operator="小王", kuaidi100_customer=fake.customer, kuaidi100_key=fake.key, kuaidi100_phone="13800001234"
    )


@pytest.fixture
def imported(ledger: Engine, settings: Settings, tmp_path: Path) -> Engine:
    rows = [
        aftersale(售后单号="101", 订单号="201", 发货物流单号=ZTO),
        aftersale(售后单号="102", 订单号="202", 发货物流单号=YTO),
        aftersale(售后单号="103", 订单号="203", 发货物流单号=JT),
    ]
    export = write_xlsx(tmp_path / "售后单导出-2026-11-26-09-00-00.xlsx", rows)
    import_and_analyse([export], settings=settings, now=DAY, ledger=ledger)
    return ledger


def _buckets(ledger: Engine, settings: Settings, now: datetime) -> dict[str, Bucket]:
    return {d.aftersale.aftersale_id: d.bucket for d in analyse_ledger(ledger, settings=settings, now=now).decisions}


def test_a_parcel_signed_since_the_export_goes_to_verify_before_anyone_sends_it(
    imported: Engine, fake: FakeKuaidi100, client: Kuaidi100Client, settings: Settings
) -> None:
    assert set(_buckets(imported, settings, DAY).values()) == {Bucket.INTERCEPT}
    fake.track(YTO, "yuantong", "3", [("2026-11-26 09:10:00", "【北京】已签收，签收人：本人")], ischeck=True)
    report = refresh_tracking(imported, client, settings=settings, now=DAY)
    assert report.asked == 3 and report.answered == 3 and report.changed == 1 and report.errors == []
    buckets = _buckets(imported, settings, DAY)
    assert buckets["102"] is Bucket.VERIFY and buckets["101"] is Bucket.INTERCEPT
    intercept_lists = analyse_ledger(imported, settings=settings, now=DAY).groups(Bucket.INTERCEPT)
    assert YTO not in {n for group in intercept_lists for n in group.numbers}
    with imported.connect() as conn:
        route = conn.execute(
            select(parcel_tracking.c.state_name, parcel_tracking.c.route, parcel_tracking.c.route_at).where(
                parcel_tracking.c.tracking_no == YTO
            )
        ).one()
        changes = conn.execute(
            select(events.c.aftersale_id, events.c.before, events.c.after).where(events.c.kind == "logistics_changed")
        ).all()
    assert route.state_name == "签收" and "签收人" in route.route
    assert route.route_at == datetime(2026, 11, 26, 9, 10, tzinfo=SHANGHAI)
    assert changes == [("102", "无物流状态", "签收")]


def test_a_parcel_coming_back_after_a_request_is_a_success_the_moment_it_is_seen(
    imported: Engine, fake: FakeKuaidi100, client: Kuaidi100Client, settings: Settings
) -> None:
    with imported.connect() as conn:
        shop_id = conn.execute(select(parcel_tracking.c.shop_id)).scalar() or 1
    record_sent(imported, [ParcelRef(shop_id, ZTO, "zhongtong", "101", "201")], operator="小王", now=DAY)
    fake.track(ZTO, "zhongtong", "6", [("2026-11-26 09:20:00", "【杭州】快件已拦截，退回寄件人")], phone="13800001234")
    later = DAY + timedelta(minutes=5)
    refresh_tracking(imported, client, settings=settings, now=later)
    with imported.connect() as conn:
        outcome = conn.execute(select(interceptions.c.outcome).where(interceptions.c.tracking_no == ZTO)).scalar_one()
        kinds = [k for (k,) in conn.execute(select(events.c.kind).where(events.c.tracking_no == ZTO))]
    assert outcome == Outcome.SUCCESS.value and "intercept_succeeded" in kinds
    assert _buckets(imported, settings, later)["101"] is Bucket.RETURNING


def test_each_parcel_is_asked_at_most_once_per_interval_under_repeated_runs(
    imported: Engine, fake: FakeKuaidi100, client: Kuaidi100Client, settings: Settings
) -> None:
    first = refresh_tracking(imported, client, settings=settings, now=DAY)
    again = refresh_tracking(imported, client, settings=settings, now=DAY + timedelta(minutes=29))
    assert first.asked == 3 and again.asked == 0 and again.not_due == 3
    assert set(fake.queries.values()) == {1}
    fake.advance(31 * 60)
    later = refresh_tracking(imported, client, settings=settings, now=DAY + timedelta(minutes=31))
    assert later.asked == 3 and later.errors == [] and set(fake.queries.values()) == {2}


def test_a_failed_query_never_loses_the_last_known_state(
    imported: Engine, fake: FakeKuaidi100, client: Kuaidi100Client, settings: Settings
) -> None:
    fake.track(JT, "jtexpress", "5", [("2026-11-26 09:00:00", "【广州】派件中，快递员 13800000000")])
    refresh_tracking(imported, client, settings=settings, now=DAY)
    fake.advance(31 * 60)
    fake.account_ok = False  # every query now fails
    report = refresh_tracking(imported, client, settings=settings, now=DAY + timedelta(minutes=31))
    assert len(report.errors) == 3 and report.answered == 0
    with imported.connect() as conn:
        row = conn.execute(select(parcel_tracking).where(parcel_tracking.c.tracking_no == JT)).one()
    assert row.state == "delivering" and row.state_name == "派件" and row.error
    decided = {d.aftersale.aftersale_id: d for d in analyse_ledger(imported, settings=settings, now=DAY).decisions}
    assert decided["103"].aftersale.logistics_raw == "派件"


def test_the_work_waits_at_the_configured_rate(
    imported: Engine, fake: FakeKuaidi100, client: Kuaidi100Client, settings: Settings
) -> None:
    waits: list[float] = []
    slow = settings.model_copy(update={"track_rate": 1.0, "track_workers": 1})
    refresh_tracking(imported, client, settings=slow, now=DAY, sleep=waits.append)
    # three queries at one a second: the 2nd waits about 1 s, the 3rd about 2 s (sleeping is recorded, not done)
    assert [round(w) for w in sorted(waits)] == [1, 2]
