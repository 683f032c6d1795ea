"""Reading real files: xlsx written by xlsxwriter, CSV bytes in UTF-8/GBK, order exports."""

from __future__ import annotations

import os
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
import xlsxwriter

from exports import aftersale, csv_bytes, write_ods, write_xls, write_xlsx
from lanjie.demo import HEADERS
from lanjie.errors import BadInput
from lanjie.ingest.columns import ExportKind, header_key
from lanjie.ingest.identifiers import MSG_FORMULA
from lanjie.ingest.load import export_time, load_exports
from lanjie.ingest.read import open_sheet, sniff
from lanjie.model import SHANGHAI, AfterSaleState, AfterSaleType, LogisticsState, SourceRef


def test_reads_every_field_it_needs(tmp_path: Path) -> None:
    row = aftersale(
        售后单号="\t7300000000000000001",
        订单号="'6920000000000000001",
        退商品金额="¥89.50",
        退运费金额="10",
        发货物流单号="YT8962646785389",
        发货物流状态="运输中",
        用户售后说明="没收到",
        售后原因="快递一直未送到",
        自动处理截止时间="2026-11-26 18:00:00",
    )
    batch = load_exports([write_xlsx(tmp_path / "a.xlsx", [row])])
    [record] = batch.aftersales
    assert record.aftersale_id == "7300000000000000001"
    assert record.order_id == "6920000000000000001"
    assert record.type is AfterSaleType.SHIPPED_REFUND_ONLY
    assert record.logistics is LogisticsState.MOVING and record.logistics_raw == "运输中"
    assert [p.tracking_no for p in record.parcels] == ["YT8962646785389"]
    assert record.refund_amount == Decimal("99.50")
    assert record.deadline is not None and record.deadline.isoformat() == "2026-11-26T18:00:00+08:00"
    assert (record.shop, record.reason, record.buyer_note) == ("示例旗舰店", "快递一直未送到", "没收到")
    assert record.source.row == 2 and record.source.file == "a.xlsx"
    assert batch.problems == []


def test_every_field_is_read_from_its_own_column(tmp_path: Path) -> None:
    """A different value in every column a record reads: no two fields can be swapped unnoticed."""
    row = aftersale(
        售后单号="\t7300000000000000042",
        订单号="\t6920000000000000042",
        商品名称="羊羔绒外套",
        商品发货状态="1/1已发货",
        售后类型="已发货仅退款",
        退商品金额="89.50",
        退运费金额="10",
        售后状态="待商家处理",
        售后原因="快递一直未送到",
        自动处理截止时间="2026-11-26 18:00:00",
        发货物流单号="JT5261988016578",
        发货物流状态="派送中",
        用户售后说明="没收到货",
        门店名称="二号店",
    )
    row["发货物流公司"] = "极兔速递"
    path = write_xlsx(tmp_path / "all.xlsx", [row], headers=(*HEADERS, "发货物流公司"))
    batch = load_exports([path])
    [record] = batch.aftersales
    assert (record.aftersale_id, record.order_id) == ("7300000000000000042", "6920000000000000042")
    assert record.source == SourceRef("all.xlsx", 2)
    assert (record.shop, record.product) == ("二号店", "羊羔绒外套")
    assert (record.reason, record.buyer_note) == ("快递一直未送到", "没收到货")
    assert (record.type, record.type_raw) == (AfterSaleType.SHIPPED_REFUND_ONLY, "已发货仅退款")
    assert (record.state, record.state_raw) == (AfterSaleState.PENDING, "待商家处理")
    assert (record.logistics, record.logistics_raw) == (LogisticsState.DELIVERING, "派送中")
    assert record.shipped is True and record.courier_hint == "极兔速递"
    assert [(p.tracking_no, p.courier) for p in record.parcels] == [("JT5261988016578", "jtexpress")]
    assert record.deadline == datetime(2026, 11, 26, 18, tzinfo=SHANGHAI)
    assert record.refund_amount == Decimal("99.50")
    assert record.blockers == [] and batch.problems == []


def test_formulas_in_number_columns_are_refused_even_showing_plain_digits(tmp_path: Path) -> None:
    """A formula's shown value is plain digits, which the cheap path for plain cells would take:
    the formula is refused first."""
    path = tmp_path / "formulas.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADERS)
    row = aftersale()
    sheet.write_row(1, 0, [str(row[h]) for h in HEADERS])
    shown = {"售后单号": "7300000000000000077", "订单号": "6920000000000000077", "发货物流单号": "73610555582883"}
    for header, value in shown.items():
        sheet.write_formula(1, HEADERS.index(header), f'="{value}"', None, value)
    book.close()
    batch = load_exports([path])
    assert [(p.row, p.field, p.value, p.message) for p in batch.problems] == [
        (2, header, value, MSG_FORMULA) for header, value in shown.items()
    ]
    [record] = batch.aftersales
    assert record.aftersale_id == "7300000000000000077"  # kept for a person, with the reason
    assert record.order_id is None and record.parcels == ()
    assert len(record.blockers) == 3


@pytest.mark.parametrize(("suffix", "writer"), [(".xls", write_xls), (".ods", write_ods)])
def test_xls_and_ods_go_through_the_same_reader(tmp_path: Path, suffix: str, writer: object) -> None:
    rows = [
        aftersale(售后单号="\t7300000000000000001", 发货物流单号="YT8962646785389", 发货物流状态="买家已签收"),
        aftersale(售后单号="7300000000000000002", 发货物流单号=773012345678901.0),
    ]
    path = writer(tmp_path / f"export{suffix}", rows)  # type: ignore[operator]
    first, second = load_exports([path]).aftersales
    assert (first.aftersale_id, first.logistics) == ("7300000000000000001", LogisticsState.SIGNED)
    assert [p.tracking_no for p in second.parcels] == ["773012345678901"]


def test_header_below_title_rows_is_found_and_rows_numbered_as_excel_shows(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "t.xlsx", [aftersale(), aftersale()], title_rows=["售后单导出", "导出时间：2026-11-26"]
    )
    batch = load_exports([path])
    assert [r.source.row for r in batch.aftersales] == [4, 5]


def test_hand_made_headers_are_mapped_through_aliases(tmp_path: Path) -> None:
    headers = ["售后ID", "订单编号", "退款类型", "运单号", "快递公司", "物流状态", "截止时间", "备用列"]
    rows = [
        {
            "售后ID": "7300000000000000009",
            "订单编号": "6920000000000000009",
            "退款类型": "已发货仅退款",
            "运单号": "43123456789012 ",
            "快递公司": "韵达快递",
            "物流状态": "",
            "截止时间": "2026/11/26 18:00",
            "备用列": "x",
        }
    ]
    batch = load_exports([write_xlsx(tmp_path / "h.xlsx", rows, headers=headers)])
    [record] = batch.aftersales
    assert record.aftersale_id == "7300000000000000009" and record.courier_hint == "韵达快递"
    assert batch.missing_state_column is True


def test_missing_required_columns_are_all_named(tmp_path: Path) -> None:
    headers = ["订单号", "商品名称", "发货物流状态"]
    path = write_xlsx(tmp_path / "m.xlsx", [{"订单号": "1", "商品名称": "x"}], headers=headers)
    with pytest.raises(BadInput) as caught:
        load_exports([path])
    assert caught.value.key == "missing_columns"
    assert caught.value.params["missing"] == "售后单号、售后类型、发货物流单号"
    assert caught.value.params["found"] == "订单号、商品名称、发货物流状态"
    assert caught.value.exit_code == 2


def test_excel_mangled_numbers(tmp_path: Path) -> None:
    rows = [
        aftersale(发货物流单号=773012345678901.0),
        aftersale(发货物流单号=773012000000000.0),
        aftersale(订单号=6.920000000000001e18),
    ]
    batch = load_exports([write_xlsx(tmp_path / "x.xlsx", rows)])
    restored, destroyed, lost_order = batch.aftersales
    assert [p.tracking_no for p in restored.parcels] == ["773012345678901"] and not restored.blockers
    assert destroyed.parcels == () and destroyed.blockers
    assert lost_order.order_id is None
    assert [(p.row, p.field) for p in batch.problems] == [(3, "发货物流单号"), (4, "订单号")]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8", "utf-16"])
def test_csv_in_every_encoding_exports_come_in(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(
        csv_bytes([aftersale(发货物流状态="买家已签收", 商品名称="羊羔绒外套【加厚】")], encoding=encoding)
    )
    [record] = load_exports([path]).aftersales
    assert record.logistics is LogisticsState.SIGNED
    assert record.product == "羊羔绒外套【加厚】"


def test_forced_wrong_encoding_says_how_to_fix(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(csv_bytes([aftersale()], encoding="gbk"))
    with pytest.raises(BadInput) as caught:
        load_exports([path], encoding="utf-8")
    assert caught.value.key == "wrong_encoding"
    with pytest.raises(BadInput) as caught:
        load_exports([path], encoding="klingon")
    assert caught.value.key == "unknown_encoding"
    assert len(load_exports([path], encoding="gbk").aftersales) == 1


def test_newer_export_wins_for_the_same_aftersale(tmp_path: Path) -> None:
    older = write_xlsx(tmp_path / "售后单导出-2026-11-25-09-00-00.xlsx", [aftersale(售后单号="101", 发货物流状态="")])
    newer = write_xlsx(
        tmp_path / "售后单导出-2026-11-26-09-00-00.xlsx",
        [aftersale(售后单号="101", 发货物流状态="快递退回中"), aftersale(售后单号="302")],
    )
    batch = load_exports([newer, older])
    by_id = {r.aftersale_id: r for r in batch.aftersales}
    assert set(by_id) == {"101", "302"}
    assert by_id["101"].logistics is LogisticsState.RETURNING
    assert batch.duplicates == 1
    assert batch.files == [older.name, newer.name]


def test_export_time_from_name_else_modification_time(tmp_path: Path) -> None:
    named = tmp_path / "售后单-2026-05-18 00_34_04.xlsx"
    named.write_bytes(b"x")
    assert export_time(named).isoformat() == "2026-05-18T00:34:04+08:00"
    plain = tmp_path / "导出.xlsx"
    plain.write_bytes(b"x")
    os.utime(plain, (1_700_000_000, 1_700_000_000))
    assert export_time(plain).timestamp() == 1_700_000_000


def test_order_export_gives_the_real_courier(tmp_path: Path) -> None:
    orders = write_xlsx(
        tmp_path / "订单.xlsx",
        [
            {
                "主订单编号": "\t6920000000000000001",
                "子订单编号": "\t6920000000000000002",
                "快递信息": "中通快递 73610555582883\n韵达快递:431234567890123",
                "旗帜颜色": "紫",
            },
            {"主订单编号": "\t6920000000000000003", "快递信息": "火星快递 99999999999"},
        ],
        headers=["主订单编号", "子订单编号", "选购商品", "快递信息", "旗帜颜色", "商家备注"],
    )
    sheet = open_sheet(orders)
    assert sheet.header is not None and sheet.header.kind is ExportKind.ORDERS
    batch = load_exports([write_xlsx(tmp_path / "a.xlsx", [aftersale()]), orders])
    assert batch.courier_by_tracking_no == {"73610555582883": "zhongtong", "431234567890123": "yunda"}
    assert batch.order_files == ["订单.xlsx"]
    assert [(p.row, p.value) for p in batch.problems] == [(3, "火星快递")]


def test_only_order_exports_is_refused(tmp_path: Path) -> None:
    orders = write_xlsx(
        tmp_path / "订单.xlsx",
        [{"主订单编号": "1", "快递信息": "中通 73610555582883"}],
        headers=["主订单编号", "子订单编号", "快递信息"],
    )
    with pytest.raises(BadInput) as caught:
        load_exports([orders])
    assert caught.value.key == "only_orders"


def test_unknown_wording_is_counted_with_example_rows(tmp_path: Path) -> None:
    rows = [aftersale(发货物流状态="火星快递中") for _ in range(7)] + [aftersale(售后状态="神秘状态")]
    batch = load_exports([write_xlsx(tmp_path / "u.xlsx", rows)])
    wordings = {(w.column, w.value): (w.count, w.rows) for w in batch.unknown_wordings}
    assert wordings[("发货物流状态", "火星快递中")] == (7, [2, 3, 4, 5, 6])
    assert wordings[("售后状态", "神秘状态")] == (1, [9])


def test_rows_without_aftersale_id_are_reported_and_skipped(tmp_path: Path) -> None:
    batch = load_exports([write_xlsx(tmp_path / "n.xlsx", [aftersale(), aftersale(售后单号=""), {"商品名称": "合计"}])])
    assert len(batch.aftersales) == 1
    assert [(p.row, p.field) for p in batch.problems] == [(3, "售后单号"), (4, "售后单号")]


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n....", "image"),
        (b"\xff\xd8\xff\xe0..JFIF", "image"),
        (b"%PDF-1.7", "pdf"),
        (b"PK\x03\x04....", "zip"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1", "ole"),
        (b"<html><table>", "html"),
        (b"\xef\xbb\xbf<!DOCTYPE html>", "html"),
        ("售后单号,订单号".encode("gbk"), "text"),
    ],
)
def test_sniff(data: bytes, kind: str) -> None:
    assert sniff(data) == kind


@pytest.mark.parametrize(
    ("name", "data", "key"),
    [
        ("a.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "file_is_image"),
        ("a.xlsx", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "file_is_image"),
        ("a.xlsx", b"", "file_empty"),
        ("a.pdf", b"%PDF-1.4 ...", "file_is_pdf"),
        ("a.xls", b"<html><body><table><tr><td>1</td></tr></table></body></html>", "file_is_html"),
        ("a.xlsx", b"just some text", "file_not_spreadsheet"),
    ],
)
def test_files_that_are_not_exports_are_refused(tmp_path: Path, name: str, data: bytes, key: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(BadInput) as caught:
        load_exports([path])
    assert caught.value.key == key


def test_truncated_xlsx_is_refused(tmp_path: Path) -> None:
    whole = write_xlsx(tmp_path / "whole.xlsx", [aftersale() for _ in range(50)])
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(BadInput) as caught:
        load_exports([cut])
    assert caught.value.key == "file_corrupt"


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(BadInput) as caught:
        load_exports([tmp_path / "nope.xlsx"])
    assert caught.value.key == "file_not_found"
    with pytest.raises(BadInput) as caught:
        load_exports([tmp_path])
    assert caught.value.key == "file_is_dir"


def test_header_key_ignores_width_units_and_spaces() -> None:
    assert header_key("退商品金额（元）") == header_key("退商品金额(元)") == header_key(" 退商品金额 (元) ")
    assert header_key("售后ID") == header_key("售后id")
