"""售后处理-<date>.xlsx: a styled workbook staff can sort, filter and print.

IDs and tracking numbers are written as text; every string is written as a string, so
buyer text such as `=HYPERLINK(…)` or `+86…` can never become a formula.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from lanjie.buckets import label
from lanjie.couriers import courier_name
from lanjie.ingest.load import Batch
from lanjie.model import SHANGHAI, Bucket, Decision
from lanjie.remarks import Remark
from lanjie.work import CourierGroup

BUCKET_COLUMNS: tuple[tuple[str, int], ...] = (
    ("售后单号", 21),
    ("订单号", 21),
    ("商品名称", 30),
    ("退款金额", 10),
    ("发货物流单号", 19),
    ("快递", 9),
    ("物流状态", 12),
    ("自动处理截止时间", 18),
    ("剩余小时", 9),
    ("建议操作", 30),
    ("备注", 22),
    ("旗帜", 6),
    ("说明", 60),
)
LISTED_BUCKETS = [b for b in Bucket if b is not Bucket.OUT_OF_SCOPE]


class _Styles:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        base = {"font_name": "微软雅黑", "font_size": 10, "valign": "top"}
        self.header = book.add_format(
            {**base, "bold": True, "bg_color": "#1F4E78", "font_color": "#FFFFFF", "border": 1, "text_wrap": True}
        )
        self.title = book.add_format({**base, "bold": True, "font_size": 14})
        self.text = book.add_format({**base, "num_format": "@"})
        self.wrap = book.add_format({**base, "text_wrap": True})
        self.time = book.add_format({**base, "num_format": "yyyy-mm-dd hh:mm"})
        urgent = {"bg_color": "#FFE699"}
        overdue = {"bg_color": "#F8CBAD", "bold": True}
        self.row: dict[str, dict[str, Format]] = {}
        for name, extra in (("normal", {}), ("urgent", urgent), ("overdue", overdue)):
            self.row[name] = {
                "text": book.add_format({**base, "num_format": "@", **extra}),
                "wrap": book.add_format({**base, "text_wrap": True, **extra}),
                "money": book.add_format({**base, "num_format": "0.00", **extra}),
                "hours": book.add_format({**base, "num_format": "0.0", **extra}),
                "time": book.add_format({**base, "num_format": "yyyy-mm-dd hh:mm", **extra}),
            }


def _naive(moment: datetime) -> datetime:
    """Excel has no time zones: write Beijing wall-clock time."""
    return moment.astimezone(SHANGHAI).replace(tzinfo=None)


def _print_setup(sheet: Worksheet, *, header_row: bool = True) -> None:
    """On paper: A4 landscape, every column on one page wide, the header row on every page,
    and the sheet's name and the printing date at the top."""
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)  # one page wide, as many pages tall as it needs
    sheet.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.6)
    sheet.set_header("&L&A&R&D &T")
    sheet.set_footer("&C第 &P / &N 页")
    if header_row:
        sheet.repeat_rows(0)


def _table(sheet: Worksheet, styles: _Styles, columns: Sequence[tuple[str, int]], rows: int) -> None:
    _print_setup(sheet)
    for index, (title, width) in enumerate(columns):
        sheet.set_column(index, index, width)
        sheet.write_string(0, index, title, styles.header)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(rows, 1), len(columns) - 1)


def _write_bucket(sheet: Worksheet, styles: _Styles, decisions: list[Decision], remarks: dict[str, Remark]) -> None:
    _table(sheet, styles, BUCKET_COLUMNS, len(decisions))
    for row, decision in enumerate(decisions, 1):
        record = decision.aftersale
        hours = decision.hours_left
        kind = "overdue" if hours is not None and hours < 0 else "urgent" if decision.urgent else "normal"
        style = styles.row[kind]
        remark = remarks.get(record.aftersale_id)
        sheet.write_string(row, 0, record.aftersale_id, style["text"])
        sheet.write_string(row, 1, record.order_id or "", style["text"])
        sheet.write_string(row, 2, record.product, style["text"])
        if record.refund_amount is not None:
            sheet.write_number(row, 3, float(record.refund_amount), style["money"])
        else:
            sheet.write_blank(row, 3, None, style["money"])
        sheet.write_string(row, 4, "\n".join(p.tracking_no for p in record.parcels), style["wrap"])
        sheet.write_string(row, 5, "\n".join(courier_name(p.courier) for p in record.parcels), style["wrap"])
        sheet.write_string(row, 6, record.logistics_raw, style["text"])
        if record.deadline is not None:
            sheet.write_datetime(row, 7, _naive(record.deadline), style["time"])
        else:
            sheet.write_blank(row, 7, None, style["time"])
        if hours is not None:
            sheet.write_number(row, 8, round(hours, 1), style["hours"])
        else:
            sheet.write_blank(row, 8, None, style["hours"])
        sheet.write_string(row, 9, decision.action, style["text"])
        sheet.write_string(row, 10, remark.text if remark else "", style["text"])
        sheet.write_string(row, 11, remark.flag if remark else "", style["text"])
        sheet.write_string(row, 12, "；".join(decision.reasons), style["text"])


def _write_courier(sheet: Worksheet, styles: _Styles, group: CourierGroup, owners: dict[str, Decision]) -> None:
    columns = (("发货物流单号", 20), ("可能的快递", 14), ("售后单号", 21), ("订单号", 21), ("自动处理截止时间", 18))
    _table(sheet, styles, columns, len(group.parcels))
    for row, parcel in enumerate(group.parcels, 1):
        owner = owners[parcel.tracking_no].aftersale
        sheet.write_string(row, 0, parcel.tracking_no, styles.text)
        sheet.write_string(row, 1, "、".join(courier_name(c) for c in parcel.candidates), styles.text)
        sheet.write_string(row, 2, owner.aftersale_id, styles.text)
        sheet.write_string(row, 3, owner.order_id or "", styles.text)
        if owner.deadline is not None:
            sheet.write_datetime(row, 4, _naive(owner.deadline), styles.time)


def _write_summary(sheet: Worksheet, styles: _Styles, summary: dict[str, Any]) -> None:
    _print_setup(sheet, header_row=False)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 3, 14)
    sheet.write_string(0, 0, "售后处理汇总", styles.title)
    sheet.write_string(1, 0, f"生成时间：{summary['generated']}", styles.text)
    sheet.write_string(2, 0, f"来源文件：{summary['files']}", styles.text)
    row = 4
    sheet.write_row(row, 0, ("分类", "售后单数", "其中紧急"), styles.header)
    for name, count, urgent in summary["buckets"]:
        row += 1
        sheet.write_string(row, 0, name, styles.text)
        sheet.write_number(row, 1, count, styles.text)
        sheet.write_number(row, 2, urgent, styles.text)
    row += 2
    sheet.write_row(row, 0, ("快递", "待拦截单号", "待核实单号"), styles.header)
    for name, intercept, verify in summary["couriers"]:
        row += 1
        sheet.write_string(row, 0, name, styles.text)
        sheet.write_number(row, 1, intercept, styles.text)
        sheet.write_number(row, 2, verify, styles.text)
    row += 2
    sheet.write_string(row, 0, f"数据问题：{summary['problems']} 处（见「数据问题」表）", styles.text)


def _write_problems(sheet: Worksheet, styles: _Styles, batch: Batch) -> None:
    columns = (("文件", 30), ("行", 7), ("列", 16), ("内容", 24), ("问题", 70))
    _table(sheet, styles, columns, len(batch.problems))
    for row, problem in enumerate(batch.problems, 1):
        sheet.write_string(row, 0, problem.file, styles.text)
        sheet.write_number(row, 1, problem.row, styles.text)
        sheet.write_string(row, 2, problem.field, styles.text)
        sheet.write_string(row, 3, problem.value, styles.text)
        sheet.write_string(row, 4, problem.message, styles.wrap)


def write_workbook(
    path: Path,
    *,
    decisions: list[Decision],
    batch: Batch,
    intercept_groups: list[CourierGroup],
    verify_groups: list[CourierGroup],
    remarks: list[Remark],
    now: datetime,
) -> None:
    book = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    styles = _Styles(book)
    by_bucket: dict[Bucket, list[Decision]] = {b: [] for b in Bucket}
    for decision in decisions:
        by_bucket[decision.bucket].append(decision)
    remark_of = {aid: r for r in remarks for aid in r.aftersale_ids}
    owners: dict[str, Decision] = {}
    for decision in by_bucket[Bucket.INTERCEPT]:
        for parcel in decision.aftersale.parcels:
            owners.setdefault(parcel.tracking_no, decision)
    verify_owners: dict[str, Decision] = {}
    for decision in by_bucket[Bucket.VERIFY]:
        for parcel in decision.aftersale.parcels:
            verify_owners.setdefault(parcel.tracking_no, decision)

    verify_counts = {g.courier: len(g.parcels) for g in verify_groups}
    codes = list(dict.fromkeys([g.courier for g in intercept_groups] + [g.courier for g in verify_groups]))
    _write_summary(
        book.add_worksheet("汇总"),
        styles,
        {
            "generated": _naive(now).strftime("%Y-%m-%d %H:%M"),
            "files": "、".join(batch.files + batch.order_files),
            "buckets": [(label(b), len(by_bucket[b]), sum(d.urgent for d in by_bucket[b])) for b in Bucket],
            "couriers": [
                (
                    courier_name(code),
                    next((len(g.parcels) for g in intercept_groups if g.courier == code), 0),
                    verify_counts.get(code, 0),
                )
                for code in codes
            ],
            "problems": len(batch.problems),
        },
    )
    for bucket in LISTED_BUCKETS:
        _write_bucket(book.add_worksheet(label(bucket)), styles, by_bucket[bucket], remark_of)
    for group in intercept_groups:
        _write_courier(book.add_worksheet(f"拦截-{group.name}"), styles, group, owners)
    for group in verify_groups:  # like 核实-<快递>.txt: the parcels to ask each courier about
        _write_courier(book.add_worksheet(f"核实-{group.name}"), styles, group, verify_owners)
    _write_problems(book.add_worksheet("数据问题"), styles, batch)
    book.close()
