"""The bounded page queries give the same answers on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from exports import NOW, aftersale, write_xlsx
from lanjie.buckets import urgency
from lanjie.config import load_settings
from lanjie.ledger.actions import ParcelRef, record_verify_asked
from lanjie.ledger.schema import shops, work
from lanjie.ledger.workview import refresh_work
from lanjie.model import Bucket
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
        counts = data.bucket_counts(conn, None, now=NOW, urgent_hours=12)
        overdue = sum(counts[b].overdue for b in data.OPEN_BUCKETS)
        hours = data.deadline_hours(conn, None, now=NOW, overdue=overdue)
    assert hours[0] == ("已超时", 2)
    assert hours[1] == ("09点", 1) and hours[2] == ("10点", 2)
    assert hours[-1] == ("08点", 1) and len(hours) == 25
    assert sum(n for _, n in hours) == 6


@pytest.mark.parametrize("few", [0, 2, data.FEW], ids=["rows-before-counted", "either", "rows-ahead-counted"])
def test_overdue_and_urgent_counts_follow_the_clock(
    ledger: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, few: int
) -> None:
    """The cards' 已超时 and 紧急 are the rows' own marks (lanjie.buckets.urgency) counted, at
    every moment, whichever side of the moment is counted (`few`: the rows ahead counted at most)."""
    monkeypatch.setattr(data, "FEW", few)
    deadlines = ["2026-11-26 08:00:00", "2026-11-26 12:00:00", "2026-11-26 21:30:00", "2026-11-27 09:00:00", ""]
    rows = [aftersale(自动处理截止时间=d) for d in deadlines]  # 待拦截
    rows += [aftersale(自动处理截止时间=d, 发货物流状态="已签收") for d in deadlines[:3]]  # 待核实签收
    rows += [aftersale(自动处理截止时间=d, 售后类型="退货退款") for d in deadlines[:2]]  # 无需处理: never urgent
    path = write_xlsx(tmp_path / "售后单导出-2026-11-26-09-30-00.xlsx", rows)
    import_and_analyse([path], settings=load_settings(partners="zhongtong"), now=NOW, ledger=ledger)
    refresh_work(ledger, settings=load_settings(), now=NOW)
    with ledger.connect() as conn:
        kept = conn.execute(select(work.c.bucket, work.c.deadline)).all()
        assert {bucket for bucket, _ in kept} == {"intercept", "verify", "out_of_scope"}
        for now in [NOW - timedelta(days=1), NOW, NOW + timedelta(hours=3), NOW + timedelta(hours=12)] + [
            NOW + timedelta(days=days) for days in (1, 2, 30)
        ]:
            marks: Counter[tuple[str, str | None]] = Counter(
                (bucket, urgency(Bucket(bucket), None if d is None else (d - now).total_seconds() / 3600, 12))
                for bucket, d in kept
            )
            counts = data.bucket_counts(conn, None, now=now, urgent_hours=12)
            for bucket in Bucket:
                expected = data.BucketCount(
                    sum(n for (b, _), n in marks.items() if b == bucket.value),
                    marks[(bucket.value, "overdue")],
                    marks[(bucket.value, "urgent")],
                )
                assert counts[bucket.value] == expected, (now, bucket)


def test_open_work_pages_in_deadline_order_none_last(ledger: Engine, tmp_path: Path) -> None:
    load(ledger, tmp_path, [None, "2026-11-27 10:00:00", "2026-11-26 12:00:00", "2026-11-26 11:00:00"])
    with ledger.connect() as conn:
        counts = data.bucket_counts(conn, None, now=NOW, urgent_hours=12)
        assert counts["intercept"] == data.BucketCount(total=4, overdue=0, urgent=2)
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


def test_the_verify_counts_leave_out_the_parcels_asked_about(ledger: Engine, tmp_path: Path) -> None:
    shared, zhongtong, yuantong = "73610555582811", "73610555582812", "YT8962646785311"
    rows = [
        aftersale(售后单号="301", 发货物流单号=shared, 发货物流状态="已签收"),
        aftersale(售后单号="302", 发货物流单号=shared, 发货物流状态="已签收"),  # the same parcel: counted once
        aftersale(售后单号="303", 发货物流单号=zhongtong, 发货物流状态="已签收"),
        aftersale(售后单号="304", 发货物流单号=yuantong, 发货物流状态="已签收"),
    ]
    path = write_xlsx(tmp_path / "售后单导出-2026-11-26-09-30-00.xlsx", rows)
    import_and_analyse([path], settings=load_settings(partners="zhongtong"), now=NOW, ledger=ledger)

    def listed() -> dict[str | None, int]:
        """Per courier: the 核实 list's count, checked against the list itself."""
        refresh_work(ledger, settings=load_settings(), now=NOW)
        with ledger.connect() as conn:
            counts = dict(data.courier_counts(conn, None, "verify"))
            for courier, total in counts.items():
                parcels, _ = data.courier_parcels(
                    conn, None, bucket="verify", courier=courier, number=1, size=100, total=total
                )
                assert len(parcels) == total
        return counts

    assert listed() == {"zhongtong": 2, "yuantong": 1}
    with ledger.connect() as conn:
        shop_id = conn.execute(select(shops.c.id)).scalar_one()
    asked = [ParcelRef(shop_id, shared, "zhongtong", "301"), ParcelRef(shop_id, yuantong, "yuantong", "304")]
    record_verify_asked(ledger, asked, operator="小王", now=NOW)
    assert listed() == {"zhongtong": 1}
