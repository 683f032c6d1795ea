"""Rows of an after-sales export → AfterSale records, with every problem reported."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from lanjie.ingest import wording
from lanjie.ingest.clean import clean_id, parse_money, parse_time, plain_text, split_tracking
from lanjie.ingest.columns import HEADER_OF
from lanjie.ingest.read import Sheet
from lanjie.model import AfterSale, AfterSaleState, AfterSaleType, LogisticsState, Parcel, Problem, SourceRef

EXAMPLE_ROWS = 5
_UNKNOWN_TYPE = AfterSaleType.UNKNOWN
_UNKNOWN_STATE = AfterSaleState.UNKNOWN
_UNKNOWN_LOGISTICS = LogisticsState.UNKNOWN


@dataclass
class UnknownWording:
    column: str
    value: str
    count: int = 0
    rows: list[int] = field(default_factory=list)


@dataclass
class ParsedExport:
    file: str
    rows: int = 0
    aftersales: list[AfterSale] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unknown: dict[tuple[str, str], UnknownWording] = field(default_factory=dict)
    has_state_column: bool = True

    def note_unknown(self, field_key: str, value: str, row: int) -> None:
        entry = self.unknown.setdefault((field_key, value), UnknownWording(HEADER_OF[field_key], value))
        entry.count += 1
        if len(entry.rows) < EXAMPLE_ROWS:
            entry.rows.append(row)

    def problem(self, row: int, key: str, value: object, message: str) -> None:
        self.problems.append(Problem(self.file, row, HEADER_OF[key], plain_text(value), message))


class _RecordBuilder:
    """Builds one AfterSale per row. Column positions are looked up once, not per cell:
    a missing column points at the None that `read_aftersales` appends to every row."""

    def __init__(self, columns: dict[str, int], parsed: ParsedExport) -> None:
        self.parsed = parsed
        self.at = {key: columns.get(key, -1) for key in HEADER_OF}

    def build(self, row_number: int, cells: Sequence[object]) -> AfterSale | None:
        at, parsed = self.at, self.parsed
        raw_id = cells[at["aftersale_id"]]
        aftersale_id, id_problem = clean_id(raw_id)
        blockers: list[str] = []
        if id_problem:
            parsed.problem(row_number, "aftersale_id", raw_id, id_problem)
            aftersale_id = plain_text(raw_id)
            blockers.append(f"售后单号无法使用：{id_problem}")
        if not aftersale_id:
            parsed.problem(row_number, "aftersale_id", raw_id, "这一行没有售后单号，已跳过")
            return None

        order_id, order_problem = clean_id(cells[at["order_id"]])
        if order_problem:
            parsed.problem(row_number, "order_id", cells[at["order_id"]], order_problem)

        type_raw = plain_text(cells[at["aftersale_type"]])
        kind = wording.aftersale_type(type_raw)
        if kind is _UNKNOWN_TYPE and type_raw:
            parsed.note_unknown("aftersale_type", type_raw, row_number)

        state_raw = plain_text(cells[at["aftersale_state"]])
        state = wording.aftersale_state(state_raw) if parsed.has_state_column else AfterSaleState.PENDING
        if state is _UNKNOWN_STATE:
            parsed.note_unknown("aftersale_state", state_raw, row_number)

        raw_tracking = cells[at["tracking_no"]]
        numbers, tracking_problems = split_tracking(raw_tracking)
        for message in tracking_problems:
            parsed.problem(row_number, "tracking_no", raw_tracking, message)
            blockers.append(message)

        logistics_raw = plain_text(cells[at["logistics_state"]])
        logistics = wording.logistics_state(logistics_raw)
        if logistics is _UNKNOWN_LOGISTICS:
            parsed.note_unknown("logistics_state", logistics_raw, row_number)

        deadline, deadline_problem = parse_time(cells[at["deadline"]])
        if deadline_problem:
            parsed.problem(row_number, "deadline", cells[at["deadline"]], deadline_problem)

        return AfterSale(
            aftersale_id=aftersale_id,
            source=SourceRef(parsed.file, row_number),
            order_id=order_id,
            shop=plain_text(cells[at["shop"]]) or None,
            type=kind,
            type_raw=type_raw,
            state=state,
            state_raw=state_raw,
            shipped=wording.shipped(plain_text(cells[at["ship_status"]])),
            parcels=tuple(map(Parcel, numbers)),
            courier_hint=plain_text(cells[at["courier_name"]]) or None,
            logistics=logistics,
            logistics_raw=logistics_raw,
            deadline=deadline,
            refund_amount=self._refund_amount(row_number, cells),
            product=plain_text(cells[at["product"]]),
            reason=plain_text(cells[at["reason"]]),
            buyer_note=plain_text(cells[at["buyer_note"]]),
            blockers=blockers,
        )

    def _refund_amount(self, row_number: int, cells: Sequence[object]) -> Decimal | None:
        """退商品金额 + 退运费金额 (either may be missing)."""
        goods, goods_problem = parse_money(cells[self.at["refund_goods_amount"]])
        shipping, shipping_problem = parse_money(cells[self.at["refund_shipping_amount"]])
        if goods_problem:
            self.parsed.problem(row_number, "refund_goods_amount", cells[self.at["refund_goods_amount"]], goods_problem)
        if shipping_problem:
            self.parsed.problem(
                row_number, "refund_shipping_amount", cells[self.at["refund_shipping_amount"]], shipping_problem
            )
        if shipping is None or goods is None:
            return goods if shipping is None else shipping
        return goods + shipping if shipping else goods


def read_aftersales(sheet: Sheet) -> ParsedExport:
    assert sheet.header is not None
    columns = sheet.header.columns
    width = len(sheet.header.headers)
    parsed = ParsedExport(file=sheet.path.name, has_state_column="aftersale_state" in columns)
    builder = _RecordBuilder(columns, parsed)
    for row_number, cells in sheet.data_rows():
        if not any(cells):
            continue
        row = cells if isinstance(cells, list) else list(cells)  # each row is a fresh list: extend it in place
        if len(row) < width:
            row.extend([""] * (width - len(row)))
        row.append(None)
        parsed.rows += 1
        record = builder.build(row_number, row)
        if record is not None:
            parsed.aftersales.append(record)
    return parsed
