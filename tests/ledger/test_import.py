"""Importing exports into the ledger, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from exports import aftersale, write_xlsx
from lanjie.config import load_settings
from lanjie.ledger.actions import ParcelRef, record_sent
from lanjie.ledger.records import load_current
from lanjie.ledger.schema import aftersales, events, imports, interceptions, parcels, shops
from lanjie.model import SHANGHAI, Bucket, Decision
from lanjie.pipeline import analyse, analyse_ledger, import_and_analyse
from lanjie.work import Analysis

DAY1 = datetime(2026, 11, 26, 9, 30, tzinfo=SHANGHAI)
DAY2 = DAY1 + timedelta(days=1)
ZTO = "73610555582883"


def export(folder: Path, when: datetime, rows: list[dict[str, object]], **options: object) -> Path:
    return write_xlsx(folder / f"售后单导出-{when:%Y-%m-%d-%H-%M-%S}.xlsx", rows, **options)  # type: ignore[arg-type]


def run_import(ledger: Engine, path: Path, now: datetime, **settings: object) -> Analysis:
    return import_and_analyse(
        [path], settings=load_settings(partners="zhongtong", operator="小王", **settings), now=now, ledger=ledger
    )


def said(decision: Decision, text: str) -> bool:
    return any(text in reason for reason in decision.reasons)


def count(ledger: Engine, table: object) -> int:
    with ledger.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def kinds(ledger: Engine) -> list[str]:
    with ledger.connect() as conn:
        return [row.kind for row in conn.execute(select(events.c.kind).order_by(events.c.id))]


def test_first_import_records_everything(ledger: Engine, tmp_path: Path) -> None:
    rows = [
        aftersale(售后单号="101", 订单号="201", 发货物流单号=ZTO, 退商品金额="¥89.50", 退运费金额="10"),
        aftersale(售后单号="102", 发货物流单号="SF1385628716739, YT8962646785389"),
        aftersale(售后单号="103", 售后类型="未发货退款", 发货物流单号=""),
    ]
    report = run_import(ledger, export(tmp_path, DAY1, rows), DAY1).import_report
    assert report is not None and report.import_id is not None
    assert (report.new, report.changed, report.unchanged) == (3, 0, 0)
    assert count(ledger, aftersales) == 3 and count(ledger, parcels) == 3
    assert kinds(ledger) == []  # arriving is not a change: the row remembers the import that brought it
    with ledger.connect() as conn:
        [record] = [r for r in load_current(conn) if r.aftersale_id == "101"]
        stored = conn.execute(
            select(aftersales.c.refund_fen, aftersales.c.deadline).where(aftersales.c.aftersale_id == "101")
        ).one()
        couriers = dict(conn.execute(select(parcels.c.tracking_no, parcels.c.courier)).all())
        [shop] = conn.execute(select(shops.c.name)).scalars().all()
    assert stored.refund_fen == 9950
    assert stored.deadline == datetime(2026, 11, 26, 10, 0, tzinfo=UTC)  # 18:00 Beijing, stored as UTC
    assert record.refund_amount == Decimal("99.50") and record.deadline == datetime(2026, 11, 26, 18, tzinfo=SHANGHAI)
    assert couriers == {ZTO: "zhongtong", "SF1385628716739": "shunfeng", "YT8962646785389": "yuantong"}
    assert shop == "示例旗舰店"


def test_the_same_file_twice_changes_nothing_and_says_so(ledger: Engine, tmp_path: Path) -> None:
    path = export(tmp_path, DAY1, [aftersale(售后单号="101"), aftersale(售后单号="102")])
    run_import(ledger, path, DAY1)
    before = (count(ledger, aftersales), count(ledger, events), count(ledger, imports))
    again = run_import(ledger, path, DAY1 + timedelta(minutes=5)).import_report
    assert again is not None and again.import_id is None
    [earlier] = again.already_imported
    assert earlier.file == path.name and earlier.operator == "小王"
    assert (count(ledger, aftersales), count(ledger, events), count(ledger, imports)) == before


def test_a_newer_export_records_each_change(ledger: Engine, tmp_path: Path) -> None:
    day1 = [
        aftersale(售后单号="101", 发货物流单号=ZTO, 发货物流状态="运输中"),
        aftersale(售后单号="102", 发货物流单号="73610555582884"),
        aftersale(售后单号="103", 发货物流单号="73610555582885"),
    ]
    run_import(ledger, export(tmp_path, DAY1, day1), DAY1)
    day2 = [
        aftersale(售后单号="101", 发货物流单号=ZTO, 发货物流状态="快递退回中"),
        aftersale(售后单号="102", 发货物流单号="73610555582884", 售后状态="商家拒绝"),
        aftersale(售后单号="103", 发货物流单号="73610555582885"),
        aftersale(售后单号="104", 发货物流单号="73610555582886"),
    ]
    report = run_import(ledger, export(tmp_path, DAY2, day2), DAY2).import_report
    assert report is not None
    assert (report.new, report.changed, report.unchanged) == (1, 2, 1)
    assert report.changes == {"logistics_changed": 1, "state_changed": 1, "rejected": 1}
    with ledger.connect() as conn:
        change = conn.execute(select(events).where(events.c.kind == "logistics_changed")).one()
        current = {r.aftersale_id for r in load_current(conn)}
    assert (change.aftersale_id, change.before, change.after) == ("101", "运输中", "快递退回中")
    assert change.operator == "小王" and change.at == DAY2
    assert current == {"101", "102", "103", "104"}  # unchanged A3 is part of today's work too


def test_tracking_and_deadline_changes(ledger: Engine, tmp_path: Path) -> None:
    run_import(ledger, export(tmp_path, DAY1, [aftersale(售后单号="101", 发货物流单号=ZTO)]), DAY1)
    changed = aftersale(售后单号="101", 发货物流单号=f"{ZTO},YT8962646785389", 自动处理截止时间="2026-11-27 20:00:00")
    run_import(ledger, export(tmp_path, DAY2, [changed]), DAY2)
    with ledger.connect() as conn:
        rows = {r.kind: r for r in conn.execute(select(events).where(events.c.aftersale_id == "101"))}
        [record] = load_current(conn)
    assert rows["tracking_changed"].after == f"{ZTO},YT8962646785389"
    assert (rows["deadline_changed"].before, rows["deadline_changed"].after) == ("2026-11-26 18:00", "2026-11-27 20:00")
    assert [p.tracking_no for p in record.parcels] == [ZTO, "YT8962646785389"]


def test_an_older_export_never_overwrites_newer_knowledge(ledger: Engine, tmp_path: Path) -> None:
    newer = export(tmp_path, DAY2, [aftersale(售后单号="101", 发货物流状态="快递退回中")])
    older = export(tmp_path, DAY1, [aftersale(售后单号="101", 发货物流状态="")])
    run_import(ledger, newer, DAY2)
    report = run_import(ledger, older, DAY2 + timedelta(hours=1)).import_report
    assert report is not None and report.older == 1
    with ledger.connect() as conn:
        [record] = load_current(conn)
    assert record.logistics_raw == "快递退回中"


def test_several_shops_in_one_ledger(ledger: Engine, tmp_path: Path) -> None:
    run_import(
        ledger, export(tmp_path, DAY1, [aftersale(售后单号="101"), aftersale(售后单号="102", 门店名称="二号店")]), DAY1
    )
    run_import(ledger, export(tmp_path, DAY2, [aftersale(售后单号="101", 门店名称="")]), DAY2, shop="三号店")
    with ledger.connect() as conn:
        names = set(conn.execute(select(shops.c.name)).scalars())
        per_shop = dict(
            conn.execute(
                select(shops.c.name, func.count())
                .join(aftersales, aftersales.c.shop_id == shops.c.id)
                .group_by(shops.c.name)
            ).all()
        )
    assert names == {"示例旗舰店", "二号店", "三号店"}
    assert per_shop == {"示例旗舰店": 1, "二号店": 1, "三号店": 1}  # the same 售后单号 in two shops is two rows
    only = analyse_ledger(ledger, settings=load_settings(), now=DAY2, shops=["二号店"])
    assert [d.aftersale.aftersale_id for d in only.decisions] == ["102"]


def test_interception_outcomes_come_from_the_next_export(ledger: Engine, tmp_path: Path) -> None:
    numbers = {"101": "73610555582881", "102": "73610555582882", "103": "73610555582883"}
    run_import(
        ledger, export(tmp_path, DAY1, [aftersale(售后单号=a, 发货物流单号=n) for a, n in numbers.items()]), DAY1
    )
    with ledger.connect() as conn:
        shop_id = conn.execute(select(shops.c.id)).scalar_one()
    record_sent(
        ledger,
        [ParcelRef(shop_id, n, "zhongtong", a) for a, n in numbers.items()],
        operator="小李",
        now=DAY1 + timedelta(minutes=20),
    )
    day2 = [
        aftersale(售后单号="101", 发货物流单号=numbers["101"], 发货物流状态="快递退回中"),
        aftersale(售后单号="102", 发货物流单号=numbers["102"], 发货物流状态="买家已签收"),
        aftersale(售后单号="103", 发货物流单号=numbers["103"], 发货物流状态="运输中"),
    ]
    analysis = run_import(ledger, export(tmp_path, DAY2, day2), DAY2)
    assert analysis.import_report is not None and analysis.import_report.outcomes == {"success": 1, "failed": 1}
    with ledger.connect() as conn:
        outcomes = dict(conn.execute(select(interceptions.c.tracking_no, interceptions.c.outcome)).all())
    assert outcomes == {numbers["101"]: "success", numbers["102"]: "failed", numbers["103"]: "pending"}
    decided = {d.aftersale.aftersale_id: d for d in analysis.decisions}
    assert decided["101"].bucket is Bucket.RETURNING and said(decided["101"], "拦截成功")
    assert decided["102"].bucket is Bucket.VERIFY and said(decided["102"], "拦截失败")
    assert decided["103"].bucket is Bucket.INTERCEPTING and said(decided["103"], "11-26 09:50 由 小李")


def test_sent_parcels_are_not_listed_again_and_are_chased_later(ledger: Engine, tmp_path: Path) -> None:
    rows = [
        aftersale(售后单号="101", 发货物流单号=ZTO),
        aftersale(售后单号="102", 发货物流单号="73610555582884,YT8962646785389"),
    ]
    path = export(tmp_path, DAY1, rows)
    run_import(ledger, path, DAY1)
    with ledger.connect() as conn:
        shop_id = conn.execute(select(shops.c.id)).scalar_one()
    record_sent(ledger, [ParcelRef(shop_id, ZTO), ParcelRef(shop_id, "73610555582884")], operator="小王", now=DAY1)
    settings = load_settings(partners="zhongtong")
    soon = analyse([path], settings=settings, now=DAY1 + timedelta(hours=5), ledger=ledger)
    decided = {d.aftersale.aftersale_id: d for d in soon.decisions}
    assert decided["101"].bucket is Bucket.INTERCEPTING
    assert decided["102"].bucket is Bucket.INTERCEPT  # one of its two parcels still has to go
    assert [p.tracking_no for p in decided["102"].parcels] == ["YT8962646785389"]
    assert [g.numbers for g in soon.groups(Bucket.INTERCEPT)] == [["YT8962646785389"]]
    later = analyse([path], settings=settings, now=DAY1 + timedelta(hours=49), ledger=ledger)
    assert {d.aftersale.aftersale_id: d.bucket for d in later.decisions}["101"] is Bucket.CHASE
    assert [g.numbers for g in later.groups(Bucket.CHASE)] == [[ZTO]]


def test_bucket_counts_are_kept_per_import(ledger: Engine, tmp_path: Path) -> None:
    run_import(ledger, export(tmp_path, DAY1, [aftersale(), aftersale(发货物流状态="已签收")]), DAY1)
    with ledger.connect() as conn:
        [counts] = conn.execute(select(imports.c.bucket_counts)).scalars().all()
    assert counts is not None and '"intercept": 1' in counts and '"verify": 1' in counts


@pytest.mark.parametrize("statement", ["UPDATE events SET operator = 'x'", "DELETE FROM events"])
def test_the_event_log_is_append_only(ledger: Engine, tmp_path: Path, statement: str) -> None:
    run_import(ledger, export(tmp_path, DAY1, [aftersale(售后单号="101")]), DAY1)
    run_import(ledger, export(tmp_path, DAY2, [aftersale(售后单号="101", 发货物流状态="已签收")]), DAY2)
    logged = count(ledger, events)
    assert logged > 0
    with pytest.raises(Exception, match="append-only"), ledger.begin() as conn:
        conn.execute(text(statement))
    assert count(ledger, events) == logged


def test_a_big_import_brings_the_planners_statistics_up_to_date(tmp_path: Path) -> None:
    """With autovacuum off, PostgreSQL would believe the tables empty after a first import and
    scan them whole on the next day's key lookups; the import analyses them itself, from a
    small sample, and leaves the connection's own statistics target as it was."""
    from databases import create_database, drop_database
    from lanjie.ledger.bulk import BULK_STATISTICS_TARGET
    from lanjie.ledger.database import open_ledger
    from lanjie.ledger.importer import FRESH_STATISTICS_FROM

    url = create_database()
    try:
        engine = open_ledger(url)
        with engine.connect() as conn:
            for table in ("aftersales", "parcels", "aftersale_parcels"):
                conn.execute(text(f"ALTER TABLE {table} SET (autovacuum_enabled = false)"))
            conn.commit()
        rows = [aftersale(售后单号=f"73{n:017d}", 发货物流单号=f"7361{n:010d}") for n in range(FRESH_STATISTICS_FROM)]
        run_import(engine, export(tmp_path, DAY1, rows), DAY1)
        with engine.connect() as conn:
            estimated = dict(
                conn.execute(
                    text("SELECT relname, reltuples FROM pg_class WHERE relname IN ('aftersales', 'parcels')")
                ).all()
            )
            analysed = set(conn.execute(text("SELECT attname FROM pg_stats WHERE tablename = 'aftersales'")).scalars())
            bounds = conn.execute(
                text(
                    "SELECT array_length(histogram_bounds, 1) FROM pg_stats "
                    "WHERE tablename = 'aftersales' AND attname = 'aftersale_id'"
                )
            ).scalar_one()
            kept = conn.execute(
                text("SELECT setting = reset_val FROM pg_settings WHERE name = 'default_statistics_target'")
            ).scalar_one()
        assert estimated == {"aftersales": FRESH_STATISTICS_FROM, "parcels": FRESH_STATISTICS_FROM}
        assert {"shop_id", "aftersale_id"} <= analysed  # the columns the next import looks rows up by
        assert bounds == BULK_STATISTICS_TARGET + 1 and kept
        engine.dispose()
    finally:
        drop_database(url)
