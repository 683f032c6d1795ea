"""Damaged cells and columns, end to end: a number is exactly what the platform shipped, or not used.

Each case is a real file (xlsxwriter, openpyxl for formulas, CSV bytes) run through the real
command; the assertions read what staff would act on: the courier lists, 备注.txt, the ledger.
"""

from __future__ import annotations

import json
import socket
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter

from exports import HEADERS, aftersale, csv_bytes, run_cli, write_xlsx

NOW = "2026-11-26T09:30:00+08:00"


def triage(path: Path, *extra: object) -> dict[str, Any]:
    result = run_cli("triage", path, "--json", "--now", NOW, *extra)
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def listed_numbers(document: dict[str, Any]) -> set[str]:
    """Every number lanjie would put in a courier message (to intercept or to verify)."""
    return {
        parcel["tracking_no"]
        for item in document["items"]
        if item["bucket"] in ("intercept", "verify", "chase")
        for parcel in item["parcels"]
    }


def item(document: dict[str, Any], aftersale_id: str) -> dict[str, Any]:
    return next(i for i in document["items"] if i["aftersale_id"] == aftersale_id)


def problem_for(document: dict[str, Any], row: int) -> dict[str, Any]:
    return next(p for p in document["problems"] if p["row"] == row)


def test_damaged_tracking_cells_go_to_manual_and_say_why(tmp_path: Path) -> None:
    rows = [
        aftersale(售后单号="7300000000000000001", 发货物流单号="0736105555828.0"),
        aftersale(售后单号="7300000000000000002", 发货物流单号="0256885257273993.0"),
        aftersale(售后单号="7300000000000000003", 发货物流单号="JT0138 411283577"),
        aftersale(售后单号="7300000000000000004", 发货物流单号="YT 4032699102374"),
        aftersale(售后单号="7300000000000000005", 发货物流单号="7361055558288③"),
        aftersale(售后单号="7300000000000000006", 发货物流单号="7361055558288³"),
        aftersale(售后单号="7300000000000000007", 发货物流单号="73610555582883"),
    ]
    path = tmp_path / "售后单导出-2026-11-26-09-30-00.csv"
    path.write_bytes(csv_bytes(rows, encoding="gb18030"))
    document = triage(path)

    assert listed_numbers(document) == {"73610555582883"}
    every_number = {p["tracking_no"] for i in document["items"] for p in i["parcels"]}
    assert every_number == {"73610555582883"}
    for index, raw in enumerate(
        ["0736105555828.0", "0256885257273993.0", "JT0138 411283577", "YT 4032699102374", "7361055558288③"], 1
    ):
        decision = item(document, f"730000000000000000{index}")
        assert decision["bucket"] == "manual" and decision["parcels"] == []
        problem = problem_for(document, index + 1)
        assert (problem["file"], problem["field"], problem["value"]) == (path.name, "发货物流单号", raw)
    assert "空格" in problem_for(document, 4)["message"]
    assert "0" in problem_for(document, 2)["message"]


def test_a_number_with_a_space_is_never_recorded_in_the_ledger(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "售后单导出-2026-11-26-09-30-00.xlsx",
        [aftersale(售后单号="7300000000000000004", 发货物流单号="YT 4032699102374")],
    )
    ledger = tmp_path / "ledger.sqlite3"
    result = run_cli("run", path, "--now", NOW, "--out", tmp_path / "out", "--db", ledger)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(ledger) as conn:
        assert conn.execute("select count(*) from parcels").fetchone() == (0,)
        assert conn.execute("select count(*) from aftersales").fetchone() == (1,)
    assert "4032699102374" not in "".join(p.read_text(encoding="utf-8-sig") for p in (tmp_path / "out").glob("*.txt"))


def test_formula_cells_are_never_used(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(HEADERS))
    tracking = HEADERS.index("发货物流单号")
    for number, formula in enumerate(["=1+1", "=73610555582883", '="7361055558"&"2883"'], 1):
        row = aftersale(售后单号=f"730000000000000000{number}")
        values = [row[h] for h in HEADERS]
        values[tracking] = formula
        sheet.append(values)
    path = tmp_path / "售后单导出-2026-11-26-09-30-00.xlsx"
    book.save(path)

    document = triage(path)
    assert listed_numbers(document) == set()
    for number in (1, 2, 3):
        assert item(document, f"730000000000000000{number}")["bucket"] == "manual"
        assert "公式" in problem_for(document, number + 1)["message"]


def test_ids_must_look_like_the_platforms(tmp_path: Path) -> None:
    rows = [
        aftersale(售后单号="7300000000000000001", 订单号="=1+1"),
        aftersale(售后单号="7300000000000000002", 订单号="@SUM(1)"),
        aftersale(售后单号="JAVASCRIPT:ALERT(4)", 订单号="6920000000000000003"),
        aftersale(售后单号="7300000000000000004", 订单号="6920000000000000004"),
    ]
    path = write_xlsx(tmp_path / "售后单导出-2026-11-26-09-30-00.xlsx", rows)
    result = run_cli("run", path, "--now", NOW, "--out", tmp_path / "out", "--db", tmp_path / "l.sqlite3")
    assert result.returncode == 0, result.stderr
    document = json.loads((tmp_path / "out" / "decisions.json").read_text(encoding="utf-8"))
    for aftersale_id in ("7300000000000000001", "7300000000000000002", "JAVASCRIPT:ALERT(4)"):
        assert item(document, aftersale_id)["bucket"] == "manual"
    assert item(document, "7300000000000000004")["bucket"] == "intercept"
    remarks = (tmp_path / "out" / "备注.txt").read_text(encoding="utf-8-sig")
    for bad in ("=1+1", "@SUM", "JAVASCRIPT"):
        assert bad not in remarks
    assert "售后单 7300000000000000001\t11-26 待人工处理" in remarks  # kept for a person, by its valid ID
    assert {p["value"] for p in document["problems"]} >= {"=1+1", "@SUM(1)", "JAVASCRIPT:ALERT(4)"}


def _write_rows(path: Path, headers: list[str], rows: list[list[object]]) -> Path:
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    sheet = book.add_worksheet()
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, headers)
    for number, row in enumerate(rows, 1):
        for column, value in enumerate(row):
            if isinstance(value, date):
                sheet.write_datetime(number, column, value, date_format)
            elif value != "":
                sheet.write_string(number, column, str(value))
    book.close()
    return path


def _base(aftersale_id: str) -> list[object]:
    return [aftersale_id, "6920000000000000001", "已发货退款", "待商家处理", "1/1已发货", "2026-11-26 18:00:00"]


_BASE_HEADERS = ["售后单号", "订单号", "售后类型", "售后状态", "商品发货状态", "自动处理截止时间"]


@pytest.mark.parametrize(
    "extra_headers", [["发货物流单号", "发货物流单号"], ["运单号", "发货物流单号"], ["发货物流单号", "快递单号"]]
)
def test_of_two_tracking_columns_the_one_with_data_is_used(tmp_path: Path, extra_headers: list[str]) -> None:
    rows = [
        [*_base("7300000000000000001"), "", "73610555582883"],
        [*_base("7300000000000000002"), "", "73610555582884"],
        [*_base("7300000000000000003"), "73610555582885", ""],
        [*_base("7300000000000000004"), "73610555582886", "73610555582886"],
    ]
    path = _write_rows(tmp_path / "导出.xlsx", _BASE_HEADERS + extra_headers, rows)
    document = triage(path, "--partners", "zhongtong")
    assert listed_numbers(document) == {"73610555582883", "73610555582884", "73610555582885", "73610555582886"}
    assert document["counts"]["manual"] == 0


def test_two_tracking_columns_that_disagree_refuse_the_file(tmp_path: Path) -> None:
    rows = [[*_base("7300000000000000001"), "73610555582883", "73610555582899"]]
    path = _write_rows(tmp_path / "导出.xlsx", [*_BASE_HEADERS, "运单号", "发货物流单号"], rows)
    result = run_cli("triage", path, "--json", "--now", NOW)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "G 列「运单号」" in result.stderr and "H 列「发货物流单号」" in result.stderr and "第 2 行" in result.stderr
    english = run_cli("triage", path, "--json", "--now", NOW, "--lang", "en")
    assert english.returncode == 2 and "disagree on row 2" in english.stderr


def test_a_date_is_never_a_tracking_number(tmp_path: Path) -> None:
    rows = [
        [*_base("7300000000000000001"), date(2026, 11, 26), "73610555582883"],
        [*_base("7300000000000000002"), date(2026, 11, 26)],
    ]
    path = _write_rows(tmp_path / "导出.xlsx", [*_BASE_HEADERS, "运单号", "发货物流单号"], rows)
    document = triage(path, "--partners", "zhongtong")
    assert listed_numbers(document) == {"73610555582883"}
    assert item(document, "7300000000000000002")["bucket"] == "manual"
    assert "日期" in problem_for(document, 3)["message"]
    assert "2026" not in json.dumps([i["parcels"] for i in document["items"]])


def test_header_only_file_is_refused(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "售后单导出.xlsx", [])
    for command in ("run", "triage", "import"):
        result = run_cli(command, path, "--now", NOW, "--db", tmp_path / "l.sqlite3")
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert "只有表头" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "l.sqlite3").exists() or _imports(tmp_path / "l.sqlite3") == 0
    english = run_cli("triage", path, "--lang", "en")
    assert english.returncode == 2 and "no after-sales" in english.stderr


def _imports(ledger: Path) -> int:
    with sqlite3.connect(ledger) as conn:
        tables = {name for (name,) in conn.execute("select name from sqlite_master")}
        return conn.execute("select count(*) from imports").fetchone()[0] if "imports" in tables else 0


def test_the_same_file_twice_is_read_once_with_a_note(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "售后单导出.xlsx",
        [aftersale(售后单号="7300000000000000001", 发货物流单号="YT 4032699102374"), aftersale()],
    )
    copy = tmp_path / "副本.xlsx"
    copy.write_bytes(path.read_bytes())
    result = run_cli("triage", path, path, copy, "--json", "--now", NOW)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert len(document["problems"]) == 1
    assert document["files"] == [path.name]
    assert result.stderr.count("只读了一次") == 2


@pytest.mark.parametrize(
    ("args", "fragment", "english"),
    [
        (("import",), "缺少参数 FILES", "Missing FILES"),
        (("triage",), "请给出导出文件，或用 --ledger", "Give the export files, or use --ledger"),
        (
            ("triage", "x.xlsx", "--urgent-hours", "abc"),
            "--urgent-hours 的值不对：应为数字",
            "Invalid value for --urgent-hours",
        ),
        (("triage", "x.xlsx", "--urgnt-hours", "3"), "没有这个选项：--urgnt-hours", "No such option: --urgnt-hours"),
        (("triage", "x.xlsx", "--partners"), "选项 --partners 后面要跟一个值", "needs a value"),
    ],
)
def test_argument_errors_speak_the_users_language(args: tuple[str, ...], fragment: str, english: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2 and fragment in result.stderr, result.stderr
    assert "Usage:" not in result.stderr and "Error" not in result.stderr
    in_english = run_cli(args[0], "--lang", "en", *args[1:])
    assert in_english.returncode == 2 and english in in_english.stderr, in_english.stderr


def test_an_unreadable_file_gets_a_chinese_message(tmp_path: Path) -> None:
    # A UNIX socket exists under its name but cannot be opened as a file (ENXIO): a file the
    # user named that cannot be read, even by root (who ignores permission bits).
    path = tmp_path / "导出.xlsx"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        result = run_cli("triage", path, "--json")
        english = run_cli("triage", path, "--json", "--lang", "en")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "无法读取" in result.stderr and "导出.xlsx" in result.stderr
    assert english.returncode == 2 and "Cannot read" in english.stderr
