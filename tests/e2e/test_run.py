"""`lanjie run` / `lanjie triage` end to end: real files in, the real command, outputs read back."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from exports import aftersale, csv_bytes, run_cli, write_xlsx

NOW = "2026-11-26T09:30:00+08:00"
ZTO_1, ZTO_2, ZTO_SHARED = "73610555582883", "73610555582884", "75000000000001"
AMBIGUOUS = "431234567890123"  # 申通 or 韵达 by the number; the order export says 申通


@pytest.fixture
def exports(tmp_path: Path) -> tuple[Path, Path]:
    rows = [
        aftersale(
            售后单号="\t7300000000000000001",
            订单号="\t6920000000000000001",
            发货物流单号=ZTO_1,
            自动处理截止时间="2026-11-26 15:00:00",
        ),
        aftersale(
            售后单号="'7300000000000000002",
            订单号="'6920000000000000002",
            发货物流单号=f"{ZTO_2}，SF1385628716739",
            发货物流状态="运输中",
            自动处理截止时间="2026-11-26 08:00:00",
        ),
        aftersale(售后单号='="7300000000000000003"', 订单号="6920000000000000003", 发货物流单号=ZTO_SHARED),
        aftersale(售后单号="7300000000000000004", 订单号="6920000000000000003", 发货物流单号=ZTO_SHARED),
        aftersale(
            售后单号="7300000000000000005",
            发货物流单号="YT8962646785389",
            发货物流状态="买家已签收",
            用户售后说明='=HYPERLINK("http://x","没收到")',
        ),
        aftersale(售后单号="7300000000000000006", 发货物流单号="JT5261988016578", 发货物流状态="快递退回中"),
        aftersale(售后单号="7300000000000000007", 发货物流单号="DPK202252612836", 发货物流状态="已退回"),
        aftersale(售后单号="7300000000000000008", 售后类型="未发货退款", 商品发货状态="未发货", 发货物流单号=""),
        aftersale(售后单号="7300000000000000009", 发货物流单号=773012000000000.0),
        aftersale(售后单号="7300000000000000010", 售后类型="退货退款"),
        aftersale(售后单号="7300000000000000011", 发货物流单号=AMBIGUOUS, 商品名称="+86 @赠品 -清仓 =SUM(A1:A2)"),
        aftersale(售后单号="7300000000000000012", 发货物流单号="5123456789012", 发货物流状态="派送中"),
    ]
    export = write_xlsx(tmp_path / "售后单导出-2026-11-26-09-30-00.xlsx", rows, title_rows=["售后单导出"])
    orders = write_xlsx(
        tmp_path / "订单导出-2026-11-26-09-31-00.xlsx",
        [{"主订单编号": "\t6920000000000000011", "快递信息": f"申通快递 {AMBIGUOUS}"}],
        headers=["主订单编号", "子订单编号", "快递信息", "旗帜颜色", "商家备注"],
    )
    return export, orders


def read_text(path: Path) -> str:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "text files carry a BOM for Windows Notepad"
    return raw.decode("utf-8-sig").replace("\r\n", "\n")


def test_run_writes_everything_staff_need(tmp_path: Path, exports: tuple[Path, Path]) -> None:
    export, orders = exports
    out = tmp_path / "out"
    result = run_cli("run", export, orders, "--partners", "zhongtong,yunda", "--now", NOW, "--out", out)
    assert result.returncode == 0, result.stderr
    assert "待拦截" in result.stdout and str(out) in result.stdout

    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [
            "decisions.json",
            "售后处理-2026-11-26.xlsx",
            "备注.txt",
            "批量搜索.txt",
            "拦截-中通.txt",
            "拦截-顺丰.txt",
            "拦截-申通.txt",
            "拦截-韵达.txt",
            "核实-圆通.txt",
        ]
    )
    # the most urgent parcel first; the parcel two after-sales share only once
    assert read_text(out / "拦截-中通.txt") == (
        f"以下单号麻烦拦截退回，谢谢！（共3单）\n{ZTO_2}\n{ZTO_1}\n{ZTO_SHARED}\n"
    )
    assert read_text(out / "拦截-顺丰.txt") == "以下单号麻烦拦截退回，谢谢！（共1单）\nSF1385628716739\n"
    assert AMBIGUOUS in read_text(out / "拦截-申通.txt")  # from the order export, not guessed
    assert "5123456789012" in read_text(out / "拦截-韵达.txt")  # narrowed by --partners
    assert read_text(out / "核实-圆通.txt").splitlines()[1:] == ["YT8962646785389"]
    search = read_text(out / "批量搜索.txt").splitlines()
    assert search[0] == "# 全部待拦截（6 个单号）"
    assert search[1].split(",") == [ZTO_2, ZTO_1, ZTO_SHARED, AMBIGUOUS, "SF1385628716739", "5123456789012"]
    remarks = read_text(out / "备注.txt")
    assert "已拦截" not in remarks  # nothing was sent yet: these orders are still work to send
    assert "6920000000000000002" not in remarks and "6920000000000000003" not in remarks
    assert "\t11-26 已签收待核实 圆通" in remarks and "\t11-26 退回中 极兔" in remarks

    document = json.loads((out / "decisions.json").read_text(encoding="utf-8"))
    assert document["counts"] == {
        "intercept": 6,
        "intercepting": 0,
        "chase": 0,
        "verify": 1,
        "returning": 1,
        "returned": 1,
        "not_shipped": 1,
        "manual": 1,
        "out_of_scope": 1,
    }
    items = {item["aftersale_id"]: item for item in document["items"]}
    assert "7300000000000000010" not in items  # out of scope: counted, not listed
    assert items["7300000000000000011"]["parcels"] == [
        {
            "tracking_no": AMBIGUOUS,
            "courier": "shentong",
            "courier_candidates": ["shentong"],
            "courier_source": "order_export",
        }
    ]
    assert items["7300000000000000009"]["bucket"] == "manual"
    assert items["7300000000000000002"]["urgent"] is True and items["7300000000000000002"]["hours_left"] == -1.5
    assert document["items"][0]["aftersale_id"] == "7300000000000000002"  # ordered by deadline


def test_workbook_is_styled_and_keeps_user_text_as_text(tmp_path: Path, exports: tuple[Path, Path]) -> None:
    export, orders = exports
    out = tmp_path / "out"
    assert run_cli("run", export, orders, "--partners", "zhongtong,yunda", "--now", NOW, "--out", out).returncode == 0
    book = openpyxl.load_workbook(out / "售后处理-2026-11-26.xlsx")
    assert book.sheetnames[:9] == [
        "汇总",
        "待拦截",
        "拦截中",
        "待催拦截",
        "待核实签收",
        "退回中",
        "已退回",
        "未发货",
        "需人工处理",
    ]
    assert {"拦截-中通", "拦截-顺丰", "拦截-申通", "拦截-韵达", "数据问题"} <= set(book.sheetnames)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} became a formula"
    intercept = book["待拦截"]
    header = [c.value for c in intercept[1]]
    assert header[:11] == [
        "售后单号",
        "订单号",
        "商品名称",
        "退款金额",
        "发货物流单号",
        "快递",
        "物流状态",
        "自动处理截止时间",
        "剩余小时",
        "建议操作",
        "备注",
    ]
    assert intercept.freeze_panes == "A2"
    assert intercept.auto_filter.ref is not None
    first = [c.value for c in intercept[2]]
    assert first[0] == "7300000000000000002" and intercept["A2"].data_type == "s"
    assert first[4] == f"{ZTO_2}\nSF1385628716739"
    assert intercept["A2"].fill.fgColor.rgb.endswith("F8CBAD")  # overdue highlighted
    products = [c.value for c in intercept["C"]]
    assert "+86 @赠品 -清仓 =SUM(A1:A2)" in products
    verify = book["待核实签收"]
    assert verify["A2"].value == "7300000000000000005"
    courier = book["拦截-中通"]
    assert [c.value for c in courier["A"]][1:] == [ZTO_2, ZTO_1, ZTO_SHARED]
    problems = book["数据问题"]
    assert problems["C2"].value == "发货物流单号" and problems["B2"].value == 11


def test_triage_json_is_the_same_decisions(tmp_path: Path, exports: tuple[Path, Path]) -> None:
    export, orders = exports
    out = tmp_path / "out"
    options = ("--partners", "zhongtong,yunda", "--now", NOW)
    assert run_cli("run", export, orders, *options, "--out", out).returncode == 0
    result = run_cli("triage", export, orders, *options, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == json.loads((out / "decisions.json").read_text(encoding="utf-8"))


def test_long_lists_are_chunked(tmp_path: Path) -> None:
    rows = [aftersale(发货物流单号=f"7300000000{i:04d}") for i in range(7)]
    export = write_xlsx(tmp_path / "a.xlsx", rows)
    out = tmp_path / "out"
    result = run_cli(
        "run",
        export,
        "--partners",
        "zhongtong",
        "--chunk-size",
        "3",
        "--now",
        NOW,
        "--out",
        out,
        "--intercept-template",
        "{courier}拦截{count}单",
    )
    assert result.returncode == 0, result.stderr
    text = read_text(out / "拦截-中通.txt")
    assert "中通拦截3单（第1/3条）" in text and "中通拦截1单（第3/3条）" in text


def test_unknown_couriers_are_listed_apart_with_a_hint(tmp_path: Path) -> None:
    export = write_xlsx(tmp_path / "a.xlsx", [aftersale(发货物流单号=AMBIGUOUS)])
    out = tmp_path / "out"
    result = run_cli("run", export, "--now", NOW, "--out", out)
    assert result.returncode == 0
    assert "--partners" in result.stdout
    assert f"{AMBIGUOUS}    可能是：韵达、申通" in read_text(out / "拦截-未识别快递.txt")


def test_gbk_csv_end_to_end(tmp_path: Path) -> None:
    path = tmp_path / "售后单.csv"
    path.write_bytes(
        csv_bytes([aftersale(发货物流单号="YT8962646785389", 商品名称="加厚羊羔绒【冬季】")], encoding="gbk")
    )
    result = run_cli("triage", path, "--json", "--now", NOW)
    assert result.returncode == 0, result.stderr
    [item] = json.loads(result.stdout)["items"]
    assert item["parcels"][0]["courier"] == "yuantong"


def test_existing_output_folder_is_kept_unless_overwrite(tmp_path: Path, exports: tuple[Path, Path]) -> None:
    export, _ = exports
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep me", encoding="utf-8")
    result = run_cli("run", export, "--now", NOW, "--out", out)
    assert result.returncode == 2
    assert "已存在" in result.stderr and "--overwrite" in result.stderr
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    assert run_cli("run", export, "--now", NOW, "--out", out, "--overwrite").returncode == 0
    assert "mine.txt" not in [p.name for p in out.iterdir()]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]


def test_default_output_folder_is_named_for_the_time(tmp_path: Path, exports: tuple[Path, Path]) -> None:
    export, _ = exports
    assert run_cli("run", export, "--now", NOW, cwd=tmp_path).returncode == 0
    assert (tmp_path / "lanjie-输出-20261126-0930" / "decisions.json").exists()
