"""The decided work kept for the web pages stays equal to deciding everything again."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event, func, select, text

from exports import aftersale, write_xlsx
from lanjie.config import load_settings
from lanjie.ledger.actions import ParcelRef, record_sent
from lanjie.ledger.database import open_ledger, write_transaction
from lanjie.ledger.schema import aftersales, shops, work, work_counts, work_parcels, work_state
from lanjie.ledger.workview import Refreshed, _redecide, aftersales_of_parcels, lock_work, refresh_work
from lanjie.model import SHANGHAI
from lanjie.pipeline import analyse_ledger, import_and_analyse

DAY1 = datetime(2026, 11, 26, 9, 30, tzinfo=SHANGHAI)
NUMBERS = ["73610555582881", "73610555582882", "YT8962646785389"]


def load(ledger: Engine, folder: Path, when: datetime, rows: list[dict[str, object]]) -> None:
    path = write_xlsx(folder / f"售后单导出-{when:%Y-%m-%d-%H-%M-%S}.xlsx", rows)
    import_and_analyse([path], settings=load_settings(partners="zhongtong"), now=when, ledger=ledger)


def kept(ledger: Engine) -> dict[str, str]:
    with ledger.connect() as conn:
        return {r.aftersale_id: r.bucket for r in conn.execute(select(work.c.aftersale_id, work.c.bucket))}


def counted_right(ledger: Engine) -> bool:
    """The kept counts are the counts of the kept work."""
    with ledger.connect() as conn:
        kept_counts = {(r.shop_id, r.bucket, r.courier): r.n for r in conn.execute(select(work_counts))}
        live = {
            (r.shop_id, r.bucket, ""): r.n
            for r in conn.execute(
                select(work.c.shop_id, work.c.bucket, func.count().label("n")).group_by(work.c.shop_id, work.c.bucket)
            )
        }
        courier = func.coalesce(work_parcels.c.courier, "-")
        live |= {
            (r.shop_id, r.bucket, r.courier): r.n
            for r in conn.execute(
                select(
                    work_parcels.c.shop_id,
                    work_parcels.c.bucket,
                    courier.label("courier"),
                    func.count(func.distinct(work_parcels.c.tracking_no)).label("n"),
                ).group_by(work_parcels.c.shop_id, work_parcels.c.bucket, courier)
            )
        }
    return kept_counts == live and bool(live)


def current_imports_right(ledger: Engine) -> bool:
    """Each shop's current import, kept on the shop, is the newest import its after-sales list."""
    with ledger.connect() as conn:
        kept_ids = dict(conn.execute(select(shops.c.id, shops.c.current_import_id)).all())
        latest = select(aftersales.c.shop_id, func.max(aftersales.c.last_import_id)).group_by(aftersales.c.shop_id)
        newest = dict(conn.execute(latest).all())
    return kept_ids == {shop_id: newest.get(shop_id, 0) for shop_id in kept_ids} and any(kept_ids.values())


def decided_now(ledger: Engine, now: datetime) -> dict[str, str]:
    analysis = analyse_ledger(ledger, settings=load_settings(), now=now)
    return {d.aftersale.aftersale_id: d.bucket.value for d in analysis.decisions}


def test_the_kept_work_follows_imports_sends_and_the_clock(ledger: Engine, tmp_path: Path) -> None:
    settings = load_settings()
    rows = [aftersale(售后单号=f"10{i}", 发货物流单号=n) for i, n in enumerate(NUMBERS)]
    rows.append(aftersale(售后单号="109", 售后类型="退货退款"))
    load(ledger, tmp_path, DAY1, rows)
    # The import decided its shop's work in its own transaction: the first page has nothing to do.
    assert refresh_work(ledger, settings=settings, now=DAY1) == Refreshed(0, 0)
    assert counted_right(ledger)
    assert (
        kept(ledger)
        == decided_now(ledger, DAY1)
        == {"100": "intercept", "101": "intercept", "102": "intercept", "109": "out_of_scope"}
    )
    assert refresh_work(ledger, settings=settings, now=DAY1) == Refreshed()  # nothing changed: nothing written

    with ledger.connect() as conn:
        shop_id = conn.execute(select(shops.c.id)).scalar_one()
    record_sent(ledger, [ParcelRef(shop_id, NUMBERS[0], "zhongtong")], operator="小王", now=DAY1)
    assert refresh_work(ledger, settings=settings, now=DAY1) == Refreshed(0, 1)
    assert kept(ledger)["100"] == "intercepting" == decided_now(ledger, DAY1)["100"]
    assert counted_right(ledger)
    with ledger.connect() as conn:
        recheck = conn.execute(select(work.c.recheck_at).where(work.c.aftersale_id == "100")).scalar_one()
        reasons = json.loads(conn.execute(select(work.c.reasons).where(work.c.aftersale_id == "100")).scalar_one())
    assert recheck == DAY1 + timedelta(hours=48)
    assert not any("小时" in r and "只剩" in r for r in reasons)  # nothing that goes stale with the clock

    later = DAY1 + timedelta(hours=49)
    assert refresh_work(ledger, settings=settings, now=later) == Refreshed(0, 1)  # the chase fell due
    assert kept(ledger) == decided_now(ledger, later)
    assert kept(ledger)["100"] == "chase"

    day2 = [
        aftersale(售后单号="100", 发货物流单号=NUMBERS[0], 发货物流状态="快递退回中"),
        aftersale(售后单号="301", 发货物流单号="SF1385628716739"),
    ]
    load(ledger, tmp_path, DAY1 + timedelta(days=2), day2)
    assert current_imports_right(ledger)
    refreshed = refresh_work(ledger, settings=settings, now=later)
    assert refreshed == Refreshed(0, 0)  # the import's own events are part of the work it wrote
    assert kept(ledger) == decided_now(ledger, later) == {"100": "returning", "301": "intercept"}
    assert counted_right(ledger)


def test_an_older_export_imported_late_leaves_the_work_to_the_next_page(ledger: Engine, tmp_path: Path) -> None:
    settings = load_settings()
    load(ledger, tmp_path, DAY1, [aftersale(售后单号="101", 发货物流单号=NUMBERS[0])])
    refresh_work(ledger, settings=settings, now=DAY1)
    earlier = DAY1 - timedelta(hours=3)
    load(ledger, tmp_path, earlier, [aftersale(售后单号="101", 发货物流单号=NUMBERS[0]), aftersale(售后单号="102")])
    with ledger.connect() as conn:
        assert conn.execute(select(shops.c.current_import_id)).scalar_one() == 1  # still the first import
    assert current_imports_right(ledger)
    refresh_work(ledger, settings=settings, now=DAY1)
    assert kept(ledger) == decided_now(ledger, DAY1) == {"101": "intercept"}


def test_the_first_import_into_a_ledger_with_unkept_shops_leaves_the_work_to_the_first_page(
    ledger: Engine, tmp_path: Path
) -> None:
    load(ledger, tmp_path, DAY1, [aftersale(售后单号="101", 发货物流单号=NUMBERS[0], 门店名称="一号店")])
    with ledger.begin() as conn:  # a ledger whose work was never kept (no page was ever opened)
        conn.execute(work_state.delete())
        conn.execute(work.delete())
    load(ledger, tmp_path, DAY1, [aftersale(售后单号="201", 发货物流单号=NUMBERS[1], 门店名称="二号店")])
    assert refresh_work(ledger, settings=load_settings(), now=DAY1).shops_rebuilt == 2
    assert kept(ledger) == decided_now(ledger, DAY1) == {"101": "intercept", "201": "intercept"}


def test_parcels_are_kept_once_per_list_with_their_courier(ledger: Engine, tmp_path: Path) -> None:
    rows = [
        aftersale(售后单号="101", 发货物流单号=f"{NUMBERS[0]},{NUMBERS[2]}"),
        aftersale(售后单号="102", 发货物流单号="431234567890123"),
    ]
    load(ledger, tmp_path, DAY1, rows)
    refresh_work(ledger, settings=load_settings(), now=DAY1)
    with ledger.connect() as conn:
        parcels = {(r.tracking_no, r.courier, r.candidates) for r in conn.execute(select(work_parcels))}
    assert parcels == {
        (NUMBERS[0], "zhongtong", "zhongtong"),
        (NUMBERS[2], "yuantong", "yuantong"),
        ("431234567890123", None, "yunda,shentong"),
    }


def test_a_different_chase_window_decides_everything_again(ledger: Engine, tmp_path: Path) -> None:
    load(ledger, tmp_path, DAY1, [aftersale(售后单号="101")])
    refresh_work(ledger, settings=load_settings(), now=DAY1)
    assert refresh_work(ledger, settings=load_settings(chase_hours=24), now=DAY1).shops_rebuilt == 1
    load(ledger, tmp_path, DAY1 + timedelta(hours=1), [aftersale(售后单号="102")])  # imported with 48 h
    assert refresh_work(ledger, settings=load_settings(chase_hours=24), now=DAY1).shops_rebuilt == 1


def test_an_import_that_commits_after_a_later_one_was_refreshed_is_still_decided(
    ledger: Engine, tmp_path: Path
) -> None:
    """On PostgreSQL imports of different shops commit side by side: the kept work may already
    reflect a later import (a larger id) when an earlier one commits. It must not be skipped."""
    settings = load_settings()
    load(ledger, tmp_path, DAY1, [aftersale(售后单号="101", 发货物流单号=NUMBERS[0], 门店名称="一号店")])
    refresh_work(ledger, settings=settings, now=DAY1)
    with ledger.begin() as conn:  # as if an import with a larger id had committed and been refreshed
        conn.execute(work_state.update().values(import_id=work_state.c.import_id + 5))
    load(
        ledger,
        tmp_path,
        DAY1 + timedelta(hours=1),
        [aftersale(售后单号="201", 发货物流单号=NUMBERS[1], 门店名称="二号店")],
    )
    refresh_work(ledger, settings=settings, now=DAY1 + timedelta(hours=1))
    assert kept(ledger) == {"101": "intercept", "201": "intercept"}


def test_counts_follow_after_sales_decided_again_one_by_one(ledger: Engine, tmp_path: Path) -> None:
    """A parcel two after-sales share counts once in its list, however they are decided again."""
    settings = load_settings()
    shared = NUMBERS[0]
    rows = [
        aftersale(售后单号="101", 发货物流单号=shared),
        aftersale(售后单号="102", 发货物流单号=shared),
        aftersale(售后单号="103", 发货物流单号=NUMBERS[1]),
        aftersale(售后单号="104", 发货物流单号=NUMBERS[2]),
    ]
    load(ledger, tmp_path, DAY1, rows)
    refresh_work(ledger, settings=settings, now=DAY1)
    assert counted_right(ledger)
    with ledger.connect() as conn:
        shop_id = conn.execute(select(shops.c.id)).scalar_one()
    with write_transaction(ledger) as conn:  # one of the two sharing after-sales alone
        assert _redecide(conn, [(shop_id, "101")], settings, DAY1) == 1
    assert counted_right(ledger)
    record_sent(ledger, [ParcelRef(shop_id, shared, "zhongtong")], operator="小王", now=DAY1)  # both move on
    assert refresh_work(ledger, settings=settings, now=DAY1) == Refreshed(0, 2)
    assert counted_right(ledger)
    with ledger.connect() as conn:
        listed = dict(
            conn.execute(
                select(work_counts.c.courier, work_counts.c.n).where(work_counts.c.bucket == "intercept")
            ).all()
        )
    assert listed == {"": 2, "zhongtong": 1, "yuantong": 1}
    later = DAY1 + timedelta(hours=49)  # the chase falls due for both: they move together
    assert refresh_work(ledger, settings=settings, now=later) == Refreshed(0, 2)
    assert counted_right(ledger) and kept(ledger) == decided_now(ledger, later)


def test_an_import_counts_the_work_it_keeps(ledger: Engine, tmp_path: Path) -> None:
    """Counted as the kept rows count: each after-sale, each parcel once per list (a shared one
    too), parcels whose courier is not known under "-"."""
    rows = [
        aftersale(售后单号="101", 发货物流单号=NUMBERS[0]),
        aftersale(售后单号="102", 发货物流单号=f"{NUMBERS[0]},431234567890123"),
        aftersale(售后单号="103", 发货物流单号=NUMBERS[2]),
        aftersale(售后单号="109", 售后类型="退货退款", 发货物流单号="73610555582889"),
    ]
    load(ledger, tmp_path, DAY1, rows)
    assert counted_right(ledger)
    with ledger.connect() as conn:
        counts = {(r.bucket, r.courier): r.n for r in conn.execute(select(work_counts))}
    assert counts == {
        ("intercept", ""): 3,
        ("intercept", "zhongtong"): 1,
        ("intercept", "yuantong"): 1,
        ("intercept", "-"): 1,
        ("out_of_scope", ""): 1,
        ("out_of_scope", "zhongtong"): 1,
    }


def kept_rows(ledger: Engine) -> tuple[set[tuple[object, ...]], set[tuple[object, ...]]]:
    with ledger.connect() as conn:
        return {tuple(r) for r in conn.execute(select(work))}, {tuple(r) for r in conn.execute(select(work_parcels))}


def test_an_import_keeps_the_work_that_deciding_everything_again_would_keep(ledger: Engine, tmp_path: Path) -> None:
    """Row for row, after an import where one after-sale changed, one is gone and one is new."""
    rows = [aftersale(售后单号=f"10{n}", 发货物流单号=f"7361055558288{n}") for n in range(6)]
    load(ledger, tmp_path, DAY1, rows)
    changed = aftersale(售后单号="104", 发货物流单号="73610555582884", 发货物流状态="快递退回中")
    day2 = DAY1 + timedelta(days=1)
    load(ledger, tmp_path, day2, [*rows[:4], changed, aftersale(售后单号="201", 发货物流单号="SF1385628716739")])
    assert counted_right(ledger)
    written = kept_rows(ledger)
    assert {row[1] for row in written[0]} == {"100", "101", "102", "103", "104", "201"}
    with ledger.begin() as conn:  # forget what the work reflects: the next page decides everything again
        conn.execute(work_state.delete())
    assert refresh_work(ledger, settings=load_settings(), now=day2).shops_rebuilt == 1
    assert kept_rows(ledger) == written


def _hold_while(ledger: Engine, hold: Callable[[Connection], None], seconds: float) -> threading.Thread:
    """Another writer holding the ledger for `seconds` (returns once it holds it)."""
    holding = threading.Event()

    def writer() -> None:
        with write_transaction(ledger) as conn:
            hold(conn)
            holding.set()
            time.sleep(seconds)

    thread = threading.Thread(target=writer)
    thread.start()
    assert holding.wait(10)
    return thread


def _an_import_writing_its_work(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        lock_work(conn, importing=True)
    else:  # SQLite: an import holds the one write lock
        conn.execute(text("UPDATE work_state SET import_id = import_id"))


def _another_page_refreshing(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        lock_work(conn)
    else:
        conn.execute(text("UPDATE work_state SET import_id = import_id"))


def test_a_page_does_not_wait_for_an_import_writing_its_work_but_for_another_page(
    ledger: Engine, tmp_path: Path
) -> None:
    """On PostgreSQL an import holds the kept work for seconds, until it commits: a page finds
    that out at once and shows the work as kept. Another page's refresh holds it for
    milliseconds: a page waits for it and shows its own 已发送. (SQLite has one writer at a time:
    there a page waits for either, up to its wait.)"""
    settings = load_settings()
    load(ledger, tmp_path, DAY1, [aftersale(售后单号=f"10{i}", 发货物流单号=n) for i, n in enumerate(NUMBERS)])
    with ledger.connect() as conn:
        shop_id = conn.execute(select(shops.c.id)).scalar_one()
    record_sent(ledger, [ParcelRef(shop_id, NUMBERS[0], "zhongtong")], operator="小王", now=DAY1)

    wait = 3.0
    writer = _hold_while(ledger, _an_import_writing_its_work, wait + 1)
    started = time.monotonic()
    refreshed = refresh_work(ledger, settings=settings, now=DAY1, wait=wait)
    took = time.monotonic() - started
    writer.join()
    assert refreshed == Refreshed(busy=True)
    assert kept(ledger)["100"] == "intercept"  # left as kept
    if ledger.dialect.name == "postgresql":
        assert took < wait / 3, took
    else:
        assert took >= wait * 0.9, took

    writer = _hold_while(ledger, _another_page_refreshing, 0.5)
    started = time.monotonic()
    refreshed = refresh_work(ledger, settings=settings, now=DAY1, wait=wait)
    took = time.monotonic() - started
    writer.join()
    assert refreshed == Refreshed(0, 1) and 0.3 <= took < wait, (refreshed, took)
    assert kept(ledger)["100"] == "intercepting" == decided_now(ledger, DAY1)["100"]


def test_the_after_sales_of_a_parcel_are_found_through_its_number(tmp_path: Path) -> None:
    """SQLite keeps no statistics: the lookup behind every 已发送 must be planned on the index of
    (shop, tracking number), not walk the shop's parcels (10 ms at 100,000 after-sales)."""
    ledger = open_ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    load(ledger, tmp_path, DAY1, [aftersale(售后单号=f"10{i}", 发货物流单号=n) for i, n in enumerate(NUMBERS)])
    with ledger.connect() as conn:
        shop_id = conn.execute(select(shops.c.id)).scalar_one()
        query = aftersales_of_parcels([(shop_id, NUMBERS[0]), (shop_id, NUMBERS[2])])
        assert conn.execute(query).all() == [(shop_id, "100"), (shop_id, "102")]
        sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
        plan = " ".join(row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
    ledger.dispose()
    assert "INDEX ix_aftersale_parcels_shop_id_tracking_no_aftersale_id (shop_id=? AND tracking_no=?)" in plan, plan


def test_the_lists_read_their_parcels_from_the_indexes_an_import_keeps(tmp_path: Path) -> None:
    """Migration 0016 spared each import an index of work_parcels and the index entries of rows
    with no recheck time. SQLite still plans the pages' questions on the indexes that remain:
    the 核实 list's parcels per courier from the list's own index alone, a more urgent row of a
    parcel on a courier's list through the parcel's number, and the chases fallen due among
    the few rows that have a recheck time."""
    from lanjie.web import data

    ledger = open_ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    load(ledger, tmp_path, DAY1, [aftersale(售后单号=f"10{i}", 发货物流单号=n) for i, n in enumerate(NUMBERS)])
    asked: list[tuple[str, Any]] = []

    @event.listens_for(ledger, "before_cursor_execute")
    def remember(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        asked.append((statement, parameters))

    def plan(question: Callable[[Connection], object]) -> str:
        with ledger.connect() as conn:
            asked.clear()
            question(conn)
            statement, parameters = asked[-1]
            return " ".join(row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))

    def courier_page(conn: Connection) -> object:
        return data.courier_parcels(conn, None, bucket="intercept", courier="zhongtong", number=1, size=50, total=2)

    lists, parcel = (
        "ix_work_parcels_bucket_courier_due_tracking_no_shop_id",
        "ix_work_parcels_shop_id_tracking_no_bucket_courier",
    )
    verify_counts = plan(lambda conn: data.courier_counts(conn, None, "verify"))
    page = plan(courier_page)
    chases_due = plan(lambda conn: conn.execute(select(work.c.shop_id).where(work.c.recheck_at <= DAY1)).all())
    ledger.dispose()
    assert f"COVERING INDEX {lists} (bucket=?)" in verify_counts
    assert f"INDEX {lists} (bucket=? AND courier=?)" in page
    assert f"INDEX {parcel} (shop_id=? AND tracking_no=? AND bucket=? AND courier=?)" in page
    assert "INDEX ix_work_recheck_at (recheck_at<?)" in chases_due
