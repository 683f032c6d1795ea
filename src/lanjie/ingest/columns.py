"""Find the header row of an export and map its headers to canonical fields.

The after-sales export's 50 real headers are all known here, plus the variants people type
by hand (运单号, 快递单号, 售后ID, 截止时间 …). Headers are compared after NFKC, without
spaces, `(元)` units or case, so `退商品金额(元)` and `退商品金额（元）` are the same column.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lanjie.errors import BadInput
from lanjie.ingest.clean import plain_text
from lanjie.ingest.identifiers import unprotect

Row = tuple[int, Sequence[object]]


class ExportKind(enum.Enum):
    AFTERSALES = "aftersales"
    ORDERS = "orders"


# The fields read from each kind of export's rows (the after-sales ones in the order the record
# builder takes them).
FIELDS_READ: dict[ExportKind, tuple[str, ...]] = {
    ExportKind.AFTERSALES: (
        "aftersale_id",
        "order_id",
        "tracking_no",
        "aftersale_type",
        "aftersale_state",
        "logistics_state",
        "ship_status",
        "deadline",
        "refund_goods_amount",
        "refund_shipping_amount",
        "shop",
        "courier_name",
        "product",
        "reason",
        "buyer_note",
    ),
    ExportKind.ORDERS: ("logistics_info", "courier_name", "tracking_no"),
}


@dataclass(frozen=True, slots=True)
class Field:
    key: str
    header: str  # exactly as the platform writes it
    aliases: tuple[str, ...] = ()


AFTERSALE_FIELDS: tuple[Field, ...] = (
    Field(
        "aftersale_id", "售后单号", ("售后ID", "售后编号", "售后单ID", "售后单编号", "退款单号", "退款编号", "售后单")
    ),
    Field("order_id", "订单号", ("订单编号", "订单ID", "主订单号", "主订单编号")),
    Field("sub_order_id", "商品单号", ("子订单号", "子订单编号", "子订单ID")),
    Field("product", "商品名称", ("商品", "商品标题", "宝贝名称", "商品名")),
    Field("product_id", "商品ID"),
    Field("paid_amount", "应付金额（元）", ("应付金额", "实付金额", "支付金额")),
    Field("shipping_fee", "商品运费（元）"),
    Field("pay_discount", "支付优惠（元）"),
    Field("tax", "商品税费（元）"),
    Field("ship_status", "商品发货状态", ("发货状态",)),
    Field("aftersale_type", "售后类型", ("退款类型", "售后方式", "服务类型", "售后服务类型", "退款方式类型")),
    Field("refund_goods_amount", "退商品金额（元）", ("退款金额", "申请退款金额", "退款金额（元）", "退商品金额")),
    Field("refund_shipping_amount", "退运费金额（元）"),
    Field("refund_pay_discount", "退支付优惠（元）"),
    Field("refund_tax", "退税费金额（元）"),
    Field("aftersale_state", "售后状态", ("退款状态", "售后单状态")),
    Field("applied_at", "售后申请时间", ("申请时间", "退款申请时间")),
    Field("refund_method", "退款方式"),
    Field("refund_proof", "是否已上传退款凭证"),
    Field("reason", "售后原因", ("退款原因", "申请原因")),
    Field("reason_tag", "售后原因标签"),
    Field("return_tracking_no", "退货物流单号", ("退货单号", "退货运单号")),
    Field("return_exception", "退货异常"),
    Field("return_shipped_at", "退货发货时间"),
    Field("return_courier", "退货物流公司"),
    Field(
        "deadline",
        "自动处理截止时间",
        ("截止时间", "处理截止时间", "超时时间", "自动处理时间", "售后截止时间", "到期时间"),
    ),
    Field("agreed_at", "同意售后申请时间"),
    Field("merchant_refunded_at", "商家退款时间"),
    Field("buyer_received_at", "用户到账时间"),
    Field("closed_at", "售后关闭时间"),
    Field("return_address", "商家退货地址"),
    Field("return_contact", "商家退货联系人姓名"),
    Field("return_phone", "商家退货联系人电话"),
    Field("arbitration_state", "仲裁状态"),
    Field("dispute_party", "纠纷责任方"),
    Field("express_refund", "是否极速退款"),
    Field("refund_after_rejection", "是否拒签后退款"),
    Field(
        "tracking_no",
        "发货物流单号",
        ("运单号", "快递单号", "物流单号", "发货单号", "发货运单号", "发货快递单号", "物流运单号", "快递运单号"),
    ),
    Field("logistics_state", "发货物流状态", ("物流状态", "快递状态", "发货快递状态")),
    Field("exchange_tracking_no", "换货物流单号"),
    Field("return_logistics_state", "退货物流状态"),
    Field("finished_at", "售后完结时间"),
    Field("order_remark", "订单备注"),
    Field("buyer_note", "用户售后说明", ("售后说明", "退款说明", "买家说明", "买家留言")),
    Field("aftersale_remark", "售后备注"),
    Field("operator", "操作人"),
    Field("negotiation", "协商记录"),
    Field("exchange_goods", "换货商品信息"),
    Field("merchant_code", "商家编码"),
    Field("shop", "门店名称", ("店铺名称", "店铺", "店铺名")),
    # Not in the platform's export; people add it by hand.
    Field("courier_name", "发货物流公司", ("快递公司", "物流公司", "发货快递公司", "快递", "快递名称")),
)

ORDER_FIELDS: tuple[Field, ...] = (
    Field("order_id", "主订单编号", ("订单编号", "订单号", "主订单号")),
    Field("sub_order_id", "子订单编号", ("子订单号", "商品单号")),
    Field("logistics_info", "快递信息", ("物流信息", "发货信息")),
    Field("courier_name", "快递公司", ("物流公司", "发货物流公司")),
    Field("tracking_no", "快递单号", ("运单号", "物流单号", "发货物流单号")),
    Field("flag", "旗帜颜色", ("旗帜", "插旗")),
    Field("merchant_remark", "商家备注", ("卖家备注",)),
    Field("shop", "门店名称", ("店铺名称",)),
)

REQUIRED: tuple[str, ...] = ("aftersale_id", "aftersale_type", "tracking_no")
_NUMBER_KEYS = frozenset({"aftersale_id", "order_id", "sub_order_id", "tracking_no", "return_tracking_no"})
_TIME_KEYS = frozenset({"deadline", "applied_at", "agreed_at", "closed_at", "finished_at"})
HEADER_SCAN_ROWS = 30

_UNIT = re.compile(r"\((?:元|RMB|¥)\)$")


def header_key(text: str) -> str:
    key = "".join(unicodedata.normalize("NFKC", text).split()).upper()
    key = key.lstrip("'*").replace("＊", "")
    return _UNIT.sub("", key)


def _lookup(fields: Sequence[Field]) -> dict[str, str]:
    table: dict[str, str] = {}
    for spec in fields:
        for name in (spec.header, *spec.aliases):
            table.setdefault(header_key(name), spec.key)
    return table


_AFTERSALE_LOOKUP = _lookup(AFTERSALE_FIELDS)
_ORDER_LOOKUP = _lookup(ORDER_FIELDS)
HEADER_OF: dict[str, str] = {f.key: f.header for f in AFTERSALE_FIELDS}
ORDER_HEADER_OF: dict[str, str] = {f.key: f.header for f in ORDER_FIELDS}
# Headers that only an after-sales export has / only an order export has.
_AFTERSALE_MARKERS = frozenset({"aftersale_id", "aftersale_type"})
_ORDER_MARKERS = frozenset({header_key(h) for h in ("主订单编号", "子订单编号", "快递信息", "旗帜颜色")})


@dataclass(frozen=True, slots=True)
class Header:
    """Where the header row is and which column holds which field."""

    kind: ExportKind
    row_index: int  # index into the rows that were scanned
    row_number: int  # as Excel shows it
    headers: tuple[str, ...]
    columns: dict[str, int]  # field key → its column (the first, when several map to it)
    alternatives: dict[str, tuple[int, ...]] = field(default_factory=dict)  # fields with several columns

    def missing_required(self) -> list[str]:
        return [HEADER_OF[key] for key in REQUIRED if key not in self.columns]

    def used_columns(self) -> list[int]:
        """Every column lanjie reads (the fields in FIELDS_READ, and every column of a field
        written in several): the rows' other cells are never looked at."""
        used = {self.columns[key] for key in FIELDS_READ[self.kind] if key in self.columns}
        for indexes in self.alternatives.values():
            used.update(indexes)
        return sorted(used)


def _map(headers: Sequence[str], lookup: dict[str, str]) -> tuple[dict[str, int], dict[str, tuple[int, ...]]]:
    found: dict[str, list[int]] = {}
    for index, text in enumerate(headers):
        key = lookup.get(header_key(text))
        if key is not None:
            found.setdefault(key, []).append(index)
    columns = {key: indexes[0] for key, indexes in found.items()}
    return columns, {key: tuple(indexes) for key, indexes in found.items() if len(indexes) > 1}


def find_header(rows: Sequence[tuple[int, Sequence[object]]]) -> Header | None:
    """The row that looks most like a header (title rows above it are skipped)."""
    best: Header | None = None
    best_score = 1  # one matching cell is a coincidence, not a header
    for index, (row_number, cells) in enumerate(rows[:HEADER_SCAN_ROWS]):
        headers = tuple(plain_text(cell) for cell in cells)
        keys = {header_key(h) for h in headers}
        aftersale_columns, aftersale_alternatives = _map(headers, _AFTERSALE_LOOKUP)
        is_orders = not (_AFTERSALE_MARKERS & aftersale_columns.keys()) and len(keys & _ORDER_MARKERS) >= 2
        if is_orders:
            kind, (columns, alternatives) = ExportKind.ORDERS, _map(headers, _ORDER_LOOKUP)
        else:
            kind, columns, alternatives = ExportKind.AFTERSALES, aftersale_columns, aftersale_alternatives
        if len(columns) > best_score:
            best_score = len(columns)
            best = Header(kind, index, row_number, headers, columns, alternatives)
    return best


def _fits(key: str, value: object) -> bool:
    """Whether a cell can hold this field at all: a date is no number, a number no date."""
    if key in _NUMBER_KEYS:
        return isinstance(value, (str, int, float)) and not isinstance(value, bool)
    if key in _TIME_KEYS:
        return not isinstance(value, bool)
    return True


def _comparable(value: object) -> str:
    return " ".join(unprotect(plain_text(value)).split())


def coalesced_rows(rows: Iterable[Row], header: Header, path: Path) -> Iterable[Row]:
    """Rows where each field with several columns reads from the one that holds data.

    Columns that map to the same field (发货物流单号 twice, 运单号 beside 发货物流单号) are
    read together: per row, the column whose cell holds a value of the field's type wins.
    Two columns with different values in one row cannot be settled by lanjie: the file is
    refused, naming both columns and the row."""
    if not header.alternatives:
        return rows  # the usual case: no field has two columns, nothing to do per row
    return _coalesced(rows, header, path)


def _coalesced(rows: Iterable[Row], header: Header, path: Path) -> Iterator[Row]:
    fields = [(key, header.columns[key], indexes) for key, indexes in header.alternatives.items()]
    for row_number, cells in rows:
        row = cells if isinstance(cells, list) else list(cells)
        for key, first, indexes in fields:
            chosen: int | None = None
            for index in indexes:
                value = row[index] if index < len(row) else None
                if value is None or value == "" or not _fits(key, value) or not _comparable(value):
                    continue
                if chosen is None:
                    chosen = index
                elif _comparable(value) != _comparable(row[chosen]):
                    raise BadInput(
                        "conflicting_columns",
                        path=path,
                        row=row_number,
                        first=_column_name(header, chosen),
                        second=_column_name(header, index),
                        a=plain_text(row[chosen]),
                        b=plain_text(value),
                    )
            if chosen is not None and chosen != first and first < len(row):
                row[first] = row[chosen]
        yield row_number, row


def _column_name(header: Header, index: int) -> str:
    """A column as a person finds it in Excel: its letter and its header (F 列「运单号」)."""
    letters = ""
    number = index + 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters} 列「{header.headers[index]}」"


def first_nonempty_row(rows: Sequence[tuple[int, Sequence[object]]]) -> tuple[str, ...]:
    for _, cells in rows[:HEADER_SCAN_ROWS]:
        headers = tuple(h for h in (plain_text(c) for c in cells) if h)
        if headers:
            return headers
    return ()
