"""The bounded page queries give the same answers on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from exports import NOW, aftersale, write_xlsx
from lanjie.config import load_settings
from lanjie.ledger.workview import refresh_work
from lanjie.pipeline import import_and_analyse
from lanjie.web import data


def load(ledger: Engine, tmp_path: Path, deadlines: list[str | None]) -> None:
    rows = [
        aftersale(售后单号=f"10{i}", 发货物流单号=f"736105555828{i:02d}", 自动处理截止时间=d or "")
        for i, d in enumerate(deadlines)
    ]
    path = write_xlsx(tmp_path / "售后单导出-2026-11-26-09-30-00.xlsx", rows)
    import_and_analyse([path], settings=load_settings(partners="zhongtong"), now=NOW, ledger=ledger)
    refresh_work(ledger, settings=load_settings(), now=NOW)


def test_deadlines_by_hour(ledger: Engine, tmp_path: Path) -> None:
    # now is 09:30: 09:00 and 09:29 are overdue; 09:45 is in the 9 o'clock slot; 10:59:59 in 10; 09:00 tomorrow is out.
    load(
        ledger,
        tmp_path,
        [
            "2026-11-26 09:00:00",
            "2026-11-26 09:29:00",
            "2026-11-26 09:45:00",
            "2026-11-26 10:00:00",
            "2026-11-26 10:59:59",
            "2026-11-27 08:59:00",
            "2026-11-27 09:00:00",
            None,
        ],
    )
    with ledger.connect() as conn:
        hours = data.deadline_hours(conn, None, now=NOW)
    assert hours[0] == ("已超时", 2)
    assert hours[1] == ("09点", 1) and hours[2] == ("10点", 2)
    assert hours[-1] == ("08点", 1) and len(hours) == 25
    assert sum(n for _, n in hours) == 6


def test_open_work_pages_in_deadline_order_none_last(ledger: Engine, tmp_path: Path) -> None:
    load(ledger, tmp_path, [None, "2026-11-27 10:00:00", "2026-11-26 12:00:00", "2026-11-26 11:00:00"])
    with ledger.connect() as conn:
        counts = data.bucket_counts(conn, None, now=NOW, urgent_hours=12)
        assert counts["intercept"] == (4, 2)
        first, page = data.open_work(conn, None, number=1, size=3, total=4)
        second, _ = data.open_work(conn, None, number=2, size=3, total=4)
    assert page.pages == 2
    assert [r["aftersale_id"] for r in first + second] == ["103", "102", "101", "100"]
    assert second[0]["deadline"] is None and first[0]["deadline"] == NOW + timedelta(hours=1, minutes=30)


def test_a_courier_list_pages_each_parcel_once_by_its_most_urgent_after_sale(ledger: Engine, tmp_path: Path) -> None:
    shared, other, late = "73610555582801", "73610555582802", "73610555582803"
    rows = [
        aftersale(售后单号="201", 发货物流单号=shared, 自动处理截止时间="2026-11-26 20:00:00"),
        aftersale(售后单号="202", 发货物流单号=other, 自动处理截止时间="2026-11-26 14:00:00"),
        aftersale(
            售后单号="203", 发货物流单号=shared, 自动处理截止时间="2026-11-26 12:00:00"
        ),  # the same parcel, sooner
        aftersale(售后单号="204", 发货物流单号=late),  # no deadline: last
    ]
    path = write_xlsx(tmp_path / "售后单导出-2026-11-26-09-30-00.xlsx", rows)
    import_and_analyse([path], settings=load_settings(partners="zhongtong"), now=NOW, ledger=ledger)
    refresh_work(ledger, settings=load_settings(), now=NOW)
    with ledger.connect() as conn:
        [(courier, total)] = data.courier_counts(conn, None, "intercept")
        first, _ = data.courier_parcels(conn, None, bucket="intercept", courier=courier, number=1, size=2, total=total)
        second, _ = data.courier_parcels(conn, None, bucket="intercept", courier=courier, number=2, size=2, total=total)
    assert (courier, total) == ("zhongtong", 3)
    assert [p.tracking_no for p in first + second] == [shared, other, late]
    assert first[0].deadline is not None and first[0].deadline.astimezone(NOW.tzinfo).hour == 12
