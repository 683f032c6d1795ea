"""Realistic synthetic 抖店 exports, for trying lanjie out, tests and benchmarks.

The after-sales export has the platform's 50 headers in order, IDs protected the way real
exports protect them, couriers in realistic proportions, and a small share of the messy
cells real files contain (full-width digits, split shipments, numbers Excel turned into
floats or destroyed). The optional order export gives the real courier of each parcel.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import xlsxwriter

from lanjie.ingest.columns import AFTERSALE_FIELDS
from lanjie.model import SHANGHAI

HEADERS: tuple[str, ...] = tuple(f.header for f in AFTERSALE_FIELDS if f.key != "courier_name")
ORDER_HEADERS: tuple[str, ...] = (
    "主订单编号",
    "子订单编号",
    "选购商品",
    "商品数量",
    "商品ID",
    "商家编码",
    "订单应付金额",
    "订单提交时间",
    "订单状态",
    "售后状态",
    "快递信息",
    "旗帜颜色",
    "商家备注",
    "买家留言",
    "门店名称",
)

# (code, full name, share, number maker)
_COURIERS: tuple[tuple[str, str, float, str], ...] = (
    ("zhongtong", "中通快递", 0.28, "7{d1}{d12}"),
    ("yunda", "韵达快递", 0.20, "46{d13}"),
    ("yuantong", "圆通速递", 0.15, "YT{d13}"),
    ("jtexpress", "极兔速递", 0.14, "JT{d13}"),
    ("shentong", "申通快递", 0.10, "773{d12}"),
    ("shunfeng", "顺丰速运", 0.06, "SF{d13}"),
    ("youzhengguonei", "邮政快递包裹", 0.04, "98{d11}"),
    ("jd", "京东快递", 0.02, "JDX{d12}"),
    ("ems", "EMS", 0.01, "1{d12}"),
)
_PRODUCTS = (
    ("秋冬加厚羊羔绒外套女宽松百搭", "159"),
    ("无骨鸡爪柠檬酸辣 500g*2袋", "39.90"),
    ("儿童保暖内衣套装纯棉", "69"),
    ("蓝牙耳机无线降噪 运动款", "129"),
    ("高腰直筒牛仔裤女显瘦", "89.50"),
    ("洗衣凝珠持久留香 52颗", "29.90"),
    ("办公室午睡枕趴睡神器", "35"),
    ("珍珠奶茶粉 1kg 家用", "45.80"),
    ("男士加绒卫衣连帽 宽松潮牌", "99"),
    ("不锈钢保温杯 大容量 1L", "59"),
    ("手机壳 适用苹果15 磨砂", "19.90"),
    ("面部精华液 补水保湿 30ml", "139"),
    ("雪地靴女 防水防滑 加绒", "168"),
    ("坚果礼盒 每日坚果 30包", "79.90"),
)
_REASONS = ("多拍/拍错/不想要", "快递一直未送到", "未收到货", "商品与描述不符", "不喜欢/效果不好", "发货太慢", "其他")
_NOTES = (
    "",
    "",
    "",
    "等了好几天还没到，不要了",
    "拍错颜色了",
    "=没收到货",
    "+急 麻烦尽快处理",
    "-_- 物流一直不动",
    "@客服 快点退款",
    "<script>alert(1)</script>",
    "地址写错了",
)
_LOGISTICS = (
    ("", 0.52),
    ("运输中", 0.05),
    ("派送中", 0.04),
    ("买家已签收", 0.12),
    ("已签收", 0.04),
    ("快递退回中", 0.09),
    ("买家已拒签", 0.04),
    ("已退回", 0.05),
    ("商家已签收", 0.03),
    ("已揽收", 0.02),
)
_FLAGS = ("", "", "", "紫", "橙", "绿", "红")
ORDER_EXPORT_SHARE = 0.8  # an order export usually covers a date range, not every parcel


@dataclass(frozen=True)
class DemoRow:
    cells: list[object]
    order_id: str
    sub_order_id: str
    tracking_nos: list[str]
    courier: str


def _number(rng: random.Random, maker: str) -> str:
    def digits(n: int) -> str:
        return "".join(rng.choice("0123456789") for _ in range(n))

    return (
        maker.replace("{d1}", rng.choice("34568"))
        .replace("{d14}", digits(14))
        .replace("{d13}", digits(13))
        .replace("{d12}", digits(12))
        .replace("{d11}", digits(11))
    )


def _protect(rng: random.Random, value: str) -> str:
    """How real exports keep IDs away from Excel: mostly a tab, sometimes ' or ="…"."""
    roll = rng.random()
    if roll < 0.85:
        return "\t" + value
    if roll < 0.93:
        return "'" + value
    return f'="{value}"'


def _messy_tracking(rng: random.Random, numbers: list[str], csv_mode: bool) -> object:
    roll = rng.random()
    joined = numbers[0] if len(numbers) == 1 else rng.choice(("，", ",", "/", "\n")).join(numbers)
    if roll < 0.006 and numbers[0].isdigit() and len(numbers[0]) <= 15:
        return "7.73012E+14" if csv_mode else 773012000000000.0  # destroyed by Excel
    if roll < 0.02 and numbers[0].isdigit() and len(numbers[0]) <= 15 and not csv_mode:
        return float(numbers[0])  # Excel turned it into a number, still exact
    if roll < 0.035:
        return joined.translate(
            str.maketrans(
                "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ",
            )
        )
    if roll < 0.05:
        return " " + joined.lower() + " "
    return _protect(rng, joined) if roll < 0.5 else joined


def _fmt(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def demo_rows(rows: int, *, seed: int = 7, now: datetime, csv_mode: bool = False) -> Iterator[DemoRow]:
    rng = random.Random(seed)
    shares = [c[2] for c in _COURIERS]
    statuses = [s for s, _ in _LOGISTICS]
    status_weights = [w for _, w in _LOGISTICS]
    base_aftersale = 7_300_000_000_000_000_000 + rng.randrange(10**14)
    base_order = 6_920_000_000_000_000_000 + rng.randrange(10**14)
    deadlines = sorted(now + timedelta(hours=rng.uniform(-3, 60)) for _ in range(rows))
    for index, deadline in enumerate(deadlines):
        aftersale_id = str(base_aftersale + index * 7919)
        order_id = str(base_order + index * 104729)
        sub_order_id = str(int(order_id) + 1)
        product, price = rng.choice(_PRODUCTS)
        type_roll = rng.random()
        kind = "已发货退款" if type_roll < 0.65 else "未发货退款" if type_roll < 0.75 else "退货退款"
        state = rng.choices(("待商家处理", "同意退款，退款成功", "售后关闭", "待买家退货"), (0.84, 0.07, 0.05, 0.04))[0]
        if state == "待买家退货" and kind != "退货退款":
            state = "待商家处理"
        shipped = kind != "未发货退款" or rng.random() < 0.1
        _, full_name, _, maker = rng.choices(_COURIERS, shares)[0]
        numbers = [_number(rng, maker)] if shipped else []
        if numbers and rng.random() < 0.02:
            numbers.append(_number(rng, maker))
        applied = deadline - timedelta(hours=48)
        amount = price if rng.random() < 0.8 else f"¥{price}"
        cells: dict[str, object] = dict.fromkeys(HEADERS, "")
        cells.update(
            {
                "售后单号": _protect(rng, aftersale_id),
                "订单号": _protect(rng, order_id),
                "商品单号": _protect(rng, sub_order_id),
                "商品名称": product,
                "商品ID": "\t3" + aftersale_id[1:],
                "应付金额（元）": amount,
                "商品运费（元）": "0",
                "支付优惠（元）": "-",
                "商品税费（元）": "0",
                "商品发货状态": "1/1已发货" if shipped else "未发货",
                "售后类型": kind,
                "退商品金额（元）": amount,
                "退运费金额（元）": "0",
                "退支付优惠（元）": "-",
                "退税费金额（元）": "0",
                "售后状态": state,
                "售后申请时间": _fmt(applied),
                "退款方式": "原路退回",
                "是否已上传退款凭证": "否",
                "售后原因": rng.choice(_REASONS),
                "自动处理截止时间": _fmt(deadline),
                "商家退货地址": "浙江省杭州市余杭区仓前街道文一西路 1 号 3 号仓",
                "商家退货联系人姓名": "售后组",
                "商家退货联系人电话": "0571-88886666",
                "是否极速退款": rng.choice(("是", "否")),
                "是否拒签后退款": "否",
                "用户售后说明": rng.choice(_NOTES),
                "商家编码": f"SKU-{index % 997:04d}",
                "门店名称": "示例旗舰店",
            }
        )
        if numbers:
            cells["发货物流单号"] = _messy_tracking(rng, numbers, csv_mode)
            cells["发货物流状态"] = rng.choices(statuses, status_weights)[0]
        yield DemoRow(list(cells.values()), order_id, sub_order_id, numbers, full_name)


def write_demo_export(
    path: Path,
    *,
    rows: int,
    seed: int = 7,
    now: datetime | None = None,
    encoding: str = "utf-8-sig",
    orders: Path | None = None,
    saved_at: datetime | None = None,
) -> None:
    """Write an after-sales export (.xlsx or .csv by suffix), optionally the order export too.

    The same seed and `now` give the same rows; an .xlsx records `saved_at` (default: `now`)
    as its creation time, so the same arguments give the same bytes.
    """
    now = now or datetime.now(SHANGHAI)
    stamp = (saved_at or now).astimezone(SHANGHAI).replace(tzinfo=None)
    csv_mode = path.suffix.lower() == ".csv"
    generated = demo_rows(rows, seed=seed, now=now, csv_mode=csv_mode)
    kept: list[DemoRow] = []
    keep = orders is not None

    def cells() -> Iterator[list[object]]:
        for row in generated:
            if keep:
                kept.append(DemoRow([], row.order_id, row.sub_order_id, row.tracking_nos, row.courier))
            yield row.cells

    if csv_mode:
        with path.open("w", encoding=encoding, newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADERS)
            writer.writerows(cells())
    else:
        _write_xlsx(path, HEADERS, cells(), stamp)
    if orders is not None:
        rng = random.Random(seed + 1)
        order_rows = (
            [_order_cells(row, rng).get(header, "") for header in ORDER_HEADERS]
            for row in kept
            if row.tracking_nos and rng.random() < ORDER_EXPORT_SHARE
        )
        _write_xlsx(orders, ORDER_HEADERS, order_rows, stamp)


def _order_cells(row: DemoRow, rng: random.Random) -> dict[str, object]:
    return {
        "主订单编号": f"\t{row.order_id}",
        "子订单编号": f"\t{row.sub_order_id}",
        "商品数量": "1",
        "订单状态": "已发货",
        "售后状态": "售后中",
        "快递信息": "\n".join(f"{row.courier} {number}" for number in row.tracking_nos),
        "旗帜颜色": rng.choice(_FLAGS),
        "门店名称": "示例旗舰店",
    }


def _write_xlsx(path: Path, headers: tuple[str, ...], rows: Iterable[Sequence[object]], saved_at: datetime) -> None:
    book = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    book.set_properties({"created": saved_at})
    sheet = book.add_worksheet("Sheet1")
    sheet.write_row(0, 0, headers)
    for number, row in enumerate(rows, 1):
        sheet.write_row(number, 0, row)
    book.close()
