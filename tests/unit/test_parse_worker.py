"""Workbooks are parsed by a worker process: it runs beside the limits scan, is killed when
the scan refuses the file, hands the rows over in order, and never outlives its sheet."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
import xlsxwriter

from exports import aftersale, write_xlsx
from lanjie.demo import HEADERS
from lanjie.errors import BadInput
from lanjie.ingest import parse_worker, workbook
from lanjie.ingest.columns import FIELDS_READ, HEADER_OF, HEADER_SCAN_ROWS, ORDER_HEADER_OF, ExportKind, find_header
from lanjie.ingest.limits import MAX_COLUMNS
from lanjie.ingest.load import load_exports
from lanjie.ingest.parse_worker import CHUNK_ROWS
from lanjie.ingest.read import check_file, open_sheet, parse_checked
from lanjie.ingest.workbook import UNCHECKED_BYTES, UNCHECKED_PER_FILE_BYTE, WorkbookReader, start_early
from lanjie.model import SHANGHAI


def _workers() -> list[int]:
    """The parse workers this test process has started and not yet reaped."""
    found = []
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/children") as children:
            for pid in children.read().split():
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as command:
                        if b"parse_worker.py" in command.read():
                            found.append(int(pid))
                except FileNotFoundError:
                    pass
    return found


def _running_workers() -> list[int]:
    """The workers started so far, once their command line shows (the new program has started)."""
    for _ in range(100):
        if workers := _workers():
            return workers
        time.sleep(0.02)
    return []


@pytest.fixture(autouse=True)
def _no_worker_left() -> None:
    assert _workers() == []


def _export(path: Path, rows: int) -> Path:
    return write_xlsx(path, [aftersale(售后单号=f"{7_000_000_000_000_000_000 + n}") for n in range(rows)])


def test_every_row_is_handed_over_in_order_and_the_worker_ends_with_them(tmp_path: Path) -> None:
    rows = 2 * CHUNK_ROWS + 7  # three chunks, the last one short
    batch = load_exports([_export(tmp_path / "售后单导出.xlsx", rows)])
    assert [record.aftersale_id for record in batch.aftersales] == [
        f"{7_000_000_000_000_000_000 + n}" for n in range(rows)
    ]
    assert [record.source.row for record in batch.aftersales[:2]] == [2, 3]
    assert batch.aftersales[-1].source.row == rows + 1
    assert _workers() == []


def test_a_workbook_the_scan_refuses_leaves_no_worker(tmp_path: Path) -> None:
    path = tmp_path / "too_wide.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["售后单号", "订单号"])
    sheet.write_string(1, MAX_COLUMNS + 5, "x")
    book.close()
    with pytest.raises(BadInput) as caught:
        check_file(path)
    assert caught.value.key == "too_many_columns"
    assert _workers() == []


def test_rows_left_unread_stop_the_worker(tmp_path: Path) -> None:
    sheet = open_sheet(_export(tmp_path / "售后单导出.xlsx", 3 * CHUNK_ROWS))
    assert next(sheet.rest)[0] == len(sheet.head) + 1
    assert len(_workers()) == 1
    del sheet
    gc.collect()
    assert _workers() == []


def test_a_worker_that_dies_is_said_plainly(tmp_path: Path) -> None:
    sheet = open_sheet(_export(tmp_path / "售后单导出.xlsx", 4 * CHUNK_ROWS))
    (worker,) = _workers()
    os.kill(worker, signal.SIGKILL)
    with pytest.raises(BadInput) as caught:
        for _ in sheet.rest:
            pass
    assert caught.value.key == "file_reader_stopped"
    assert caught.value.params["detail"] == "SIGKILL"
    assert "内存" in caught.value.render("zh")
    assert _workers() == []


def test_date_cells_are_handed_over_as_dates(tmp_path: Path) -> None:
    """A deadline saved as an Excel date (not text) reaches the record as that moment."""
    path = tmp_path / "售后单导出.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    headers = list(aftersale())
    sheet.write_row(0, 0, headers)
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for row in range(1, 2 * CHUNK_ROWS):
        values = aftersale()
        for column, header in enumerate(headers):
            if header == "自动处理截止时间":
                sheet.write_datetime(row, column, datetime(2026, 11, 27, 8, 30, row % 60), stamp)
            elif values[header]:
                sheet.write_string(row, column, str(values[header]))
    book.close()
    records = load_exports([path]).aftersales
    assert len(records) == 2 * CHUNK_ROWS - 1
    assert [record.deadline for record in records[:2]] == [
        datetime(2026, 11, 27, 8, 30, second, tzinfo=SHANGHAI) for second in (1, 2)
    ]
    assert records[-1].deadline == datetime(2026, 11, 27, 8, 30, (2 * CHUNK_ROWS - 1) % 60, tzinfo=SHANGHAI)


def test_only_the_columns_read_are_handed_over_and_a_row_with_other_values_still_counts(tmp_path: Path) -> None:
    header = find_header([(1, list(HEADERS))])
    assert header is not None
    unread = next(name for index, name in enumerate(HEADERS) if index not in header.used_columns())
    rows = [aftersale() for _ in range(CHUNK_ROWS + 3)]
    rows[5] = {name: "" for name in HEADERS} | {unread: "只有这一格有内容"}
    sheet = open_sheet(write_xlsx(tmp_path / "售后单导出.xlsx", rows))
    handed = dict(sheet.data_rows())
    assert handed[7][HEADERS.index(unread)] == "只有这一格有内容"  # kept whole: it is not an empty row
    assert all(cells[HEADERS.index(unread)] == "" for number, cells in handed.items() if number != 7)
    assert handed[8][header.columns["aftersale_id"]] == rows[6]["售后单号"]
    export = load_exports([write_xlsx(tmp_path / "售后单导出-2.xlsx", rows)])
    assert export.rows == CHUNK_ROWS + 3
    assert [problem.row for problem in export.problems] == [7]


def test_the_fields_read_are_fields_of_their_export() -> None:
    assert set(FIELDS_READ[ExportKind.AFTERSALES]) <= set(HEADER_OF)
    assert set(FIELDS_READ[ExportKind.ORDERS]) <= set(ORDER_HEADER_OF)


def test_a_workbook_started_early_is_the_one_the_command_reads(tmp_path: Path) -> None:
    path = _export(tmp_path / "售后单导出.xlsx", 10)
    start_early(["--json", str(tmp_path / "missing.xlsx"), str(path)], HEADER_SCAN_ROWS)
    (early,) = _running_workers()
    checked = check_file(path)
    assert _workers() == [early]
    assert len(list(parse_checked(checked).data_rows())) == 10
    assert _workers() == []


def test_a_workbook_started_early_and_never_read_is_stopped_at_exit(tmp_path: Path) -> None:
    path = _export(tmp_path / "售后单导出-未读.xlsx", 10)
    program = f"from lanjie.ingest.workbook import start_early; start_early([{str(path)!r}], 30)"
    subprocess.run([sys.executable, "-c", program], check=True, timeout=60)
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as command:
                assert str(path).encode() not in command.read()
        except FileNotFoundError:
            pass


def _address_space_limits(pid: int) -> tuple[int, int]:
    """(soft, hard) RLIMIT_AS of a process, in bytes."""
    with open(f"/proc/{pid}/limits") as limits:
        line = next(line for line in limits if line.startswith("Max address space"))
    soft, hard = line.split()[3:5]
    return int(soft), int(hard)


def test_a_worker_holds_little_memory_until_the_scan_has_passed_its_file(tmp_path: Path) -> None:
    path = _export(tmp_path / "售后单导出.xlsx", 10)
    reader = WorkbookReader(path, HEADER_SCAN_ROWS, checked=False)
    (worker,) = _running_workers()
    soft, hard = _address_space_limits(worker)
    assert soft == UNCHECKED_BYTES < hard
    reader.stop()
    big = tmp_path / "大.xlsx"
    big.write_bytes(path.read_bytes() + bytes(UNCHECKED_BYTES // UNCHECKED_PER_FILE_BYTE))  # a bigger file: more room
    reader = WorkbookReader(big, HEADER_SCAN_ROWS, checked=False)
    (worker,) = _running_workers()
    assert _address_space_limits(worker)[0] == UNCHECKED_PER_FILE_BYTE * big.stat().st_size > UNCHECKED_BYTES
    reader.stop()
    checked = check_file(path)
    (worker,) = _running_workers()
    soft, hard = _address_space_limits(worker)
    assert soft == hard >= UNCHECKED_BYTES
    checked.discard()


def test_a_worker_stopped_by_that_limit_is_started_again_once_the_scan_has_passed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workbook, "UNCHECKED_BYTES", 8 << 20)  # too little to start Python at all
    monkeypatch.setattr(workbook, "UNCHECKED_PER_FILE_BYTE", 0)
    batch = load_exports([_export(tmp_path / "售后单导出.xlsx", CHUNK_ROWS + 1)])
    assert len(batch.aftersales) == CHUNK_ROWS + 1


def test_equal_texts_are_handed_over_as_one_object_and_nothing_else_is_merged() -> None:
    first, second = "已发货仅退款", "".join(["已发货", "仅退款"])
    assert first is not second
    (cells,) = parse_worker._kept([[first, second, True, 1, 1.0, 0, False, ""]], list(range(8)))
    assert cells[0] is cells[1]
    assert [type(cell) for cell in cells[2:]] == [bool, int, float, int, bool, str]
