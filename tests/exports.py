"""Build small, realistic export files for tests: real xlsx (xlsxwriter) and real CSV bytes."""

from __future__ import annotations

import csv
import io
import itertools
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

import xlsxwriter

from lanjie.demo import HEADERS
from lanjie.model import SHANGHAI

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=SHANGHAI)  # the morning the sample exports were made

_ids = itertools.count(1)


def aftersale(**overrides: object) -> dict[str, object]:
    """One row of the after-sales export, keyed by the platform's header names.

    Defaults: a pending 已发货退款 with a 中通-shaped number, no logistics status, a deadline
    on 2026-11-26 18:00 — i.e. a parcel to intercept. Keyword names use the headers with
    their `（元）` units dropped: 售后单号=…, 发货物流单号=….
    """
    n = next(_ids)
    row: dict[str, object] = dict.fromkeys(HEADERS, "")
    row.update(
        {
            "售后单号": f"\t73000000000000{n:05d}",
            "订单号": f"\t69200000000000{n:05d}",
            "商品名称": "秋冬加厚羊羔绒外套",
            "商品发货状态": "1/1已发货",
            "售后类型": "已发货退款",
            "退商品金额（元）": "159",
            "售后状态": "待商家处理",
            "自动处理截止时间": "2026-11-26 18:00:00",
            "发货物流单号": f"736105555{n:05d}",
            "门店名称": "示例旗舰店",
        }
    )
    for key, value in overrides.items():
        header = next((h for h in HEADERS if h == key or h.split("（")[0] == key), None)
        if header is None:
            raise KeyError(f"not an export header: {key}")
        row[header] = value
    if "售后单号" in overrides and "订单号" not in overrides:
        digits = "".join(c for c in str(row["售后单号"]) if c.isascii() and c.isdigit())
        row["订单号"] = f"69{digits[-17:]:0>17}"  # the same after-sale keeps the same order
    return row


def write_xlsx(
    path: Path,
    rows: Iterable[Mapping[str, object]],
    *,
    headers: Sequence[str] = HEADERS,
    title_rows: Sequence[str] = (),
    sheet: str = "Sheet1",
) -> Path:
    book = xlsxwriter.Workbook(
        str(path), {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    )
    ws = book.add_worksheet(sheet)
    for index, title in enumerate(title_rows):
        ws.write_string(index, 0, title)
    top = len(title_rows)
    ws.write_row(top, 0, headers)
    for number, row in enumerate(rows, top + 1):
        for column, header in enumerate(headers):
            value = row.get(header, "")
            if isinstance(value, float | int):
                ws.write_number(number, column, value)
            elif value != "":
                ws.write_string(number, column, str(value))
    book.close()
    return path


def write_xls(path: Path, rows: Iterable[Mapping[str, object]], *, headers: Sequence[str] = HEADERS) -> Path:
    """The old .xls format (BIFF8), written by xlwt."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    for column, header in enumerate(headers):
        sheet.write(0, column, header)
    for number, row in enumerate(rows, 1):
        for column, header in enumerate(headers):
            sheet.write(number, column, row.get(header, ""))
    book.save(str(path))
    return path


def write_ods(path: Path, rows: Iterable[Mapping[str, object]], *, headers: Sequence[str] = HEADERS) -> Path:
    """An OpenDocument spreadsheet (WPS/LibreOffice), written by odfpy."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = Table(name="Sheet1")
    for values in [list(headers), *([row.get(h, "") for h in headers] for row in rows)]:
        table_row = TableRow()
        for value in values:
            if isinstance(value, float | int):
                cell = TableCell(valuetype="float", value=value)
            else:
                cell = TableCell(valuetype="string")
            cell.addElement(P(text=str(value)))
            table_row.addElement(cell)
        table.addElement(table_row)
    document.spreadsheet.addElement(table)
    document.save(str(path))
    return path


def csv_bytes(rows: Iterable[Mapping[str, object]], *, encoding: str, headers: Sequence[str] = HEADERS) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(h, "") for h in headers])
    return buffer.getvalue().encode(encoding)


def run_cli(
    *args: object,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the real `lanjie` entry point in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "lanjie", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
        input=stdin,
    )
