"""Rows of an after-sales export → AfterSale records, with every problem reported."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import TypeVar

from lanjie.i18n import Text
from lanjie.ingest.clean import parse_money, parse_time, plain_text, raw_text
from lanjie.ingest.columns import FIELDS_READ, HEADER_OF, ExportKind, coalesced_rows
from lanjie.ingest.identifiers import MSG_FORMULA, clean_id, plain_id, plain_tracking, split_tracking
from lanjie.ingest.read import Sheet
from lanjie.ingest.wording import aftersale_state, aftersale_type, logistics_state, shipped
from lanjie.memo import Memo
from lanjie.model import (
    DEFAULT_SHOP,
    AfterSale,
    AfterSaleState,
    AfterSaleType,
    LogisticsState,
    Parcel,
    Problem,
    SourceRef,
)

EXAMPLE_ROWS = 5
_NUMBER_FIELDS = ("aftersale_id", "order_id", "tracking_no")
_UNKNOWN_TYPE = AfterSaleType.UNKNOWN
_UNKNOWN_STATE = AfterSaleState.UNKNOWN
_UNKNOWN_LOGISTICS = LogisticsState.UNKNOWN
_PENDING = AfterSaleState.PENDING
_NO_AFTERSALE_ID = Text("problem_no_aftersale_id")
T = TypeVar("T")


@lru_cache(maxsize=64)
def _unusable_aftersale_id(problem: str) -> Text:
    return Text("blocker_aftersale_id", problem=problem)


@lru_cache(maxsize=64)
def _unusable_order_id(problem: str) -> Text:
    return Text("blocker_order_id", problem=problem)


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
    headers: dict[str, str] = field(default_factory=dict)  # field key → the header as the file writes it

    def note_unknown(self, field_key: str, value: str, row: int) -> None:
        entry = self.unknown.setdefault((field_key, value), UnknownWording(HEADER_OF[field_key], value))
        entry.count += 1
        if len(entry.rows) < EXAMPLE_ROWS:
            entry.rows.append(row)

    def problem(self, row: int, key: str, value: object, message: str) -> None:
        header = self.headers.get(key) or HEADER_OF[key]
        self.problems.append(Problem(self.file, row, header, raw_text(value), message))


class _PerText(Memo[object, T]):
    """`cache[cell]` is `compute(cell)`, worked out once per distinct cell text and then shared
    (the same 商品名称 or 退商品金额 on 100,000 rows). Only text cells and blanks are kept:
    as dict keys True, 1 and 1.0 would be one cell."""

    def keeps(self, cell: object) -> bool:
        return type(cell) is str or cell is None


def _worded(meaning: Callable[[str], T]) -> Callable[[object], tuple[str, T]]:
    """Reads a cell of the platform's wording (售后类型, 售后状态 …): its text and what it means."""

    def read(cell: object) -> tuple[str, T]:
        text = plain_text(cell)
        return text, meaning(text)

    return read


# The cells `build` reads, in this order.
_READ = FIELDS_READ[ExportKind.AFTERSALES]


class _RecordBuilder:
    """Builds one AfterSale per row. Column positions are looked up once, not per cell:
    a missing column points at the None that `read_aftersales` appends to every row."""

    def __init__(self, columns: dict[str, int], parsed: ParsedExport, formulas: frozenset[tuple[int, int]]) -> None:
        self.parsed = parsed
        self.at = {key: columns.get(key, -1) for key in HEADER_OF}
        self.pick = itemgetter(*(self.at[key] for key in _READ))
        # Formula cells are never used as numbers: (row, column) of those in the ID columns.
        watched = {self.at[key] for key in _NUMBER_FIELDS if self.at[key] >= 0}
        self.formulas = frozenset(cell for cell in formulas if cell[1] in watched)
        self.texts = _PerText(plain_text)
        self.amounts = _PerText(parse_money)
        self.types = _PerText(_worded(aftersale_type))
        self.states = _PerText(_worded(aftersale_state if parsed.has_state_column else lambda _: _PENDING))
        self.logistics = _PerText(_worded(logistics_state))
        self.shipped = _PerText(lambda cell: shipped(plain_text(cell)))

    def _identifier(self, row_number: int, key: str, raw: object) -> tuple[str | None, str | None]:
        """An ID cell as exact digits; on a problem, the cell's text (kept for a person) and why."""
        if self.formulas and (row_number, self.at[key]) in self.formulas:
            problem: str = MSG_FORMULA
        else:
            value, found = clean_id(raw)
            if not found:
                return value, None
            problem = found
        self.parsed.problem(row_number, key, raw, problem)
        return raw_text(raw) or None, problem

    def _parcels(self, row_number: int, raw: object, blockers: list[str]) -> tuple[Parcel, ...]:
        if self.formulas and (row_number, self.at["tracking_no"]) in self.formulas:
            numbers: list[str] = []
            problems: list[str] = [MSG_FORMULA]
        else:
            numbers, problems = split_tracking(raw)
        for message in problems:
            self.parsed.problem(row_number, "tracking_no", raw, message)
        blockers += problems
        return tuple(map(Parcel, numbers))

    def build(self, row_number: int, cells: Sequence[object]) -> AfterSale | None:
        parsed, formulas, texts, amounts = self.parsed, self.formulas, self.texts, self.amounts
        (
            aftersale_cell,
            order_cell,
            tracking_cell,
            type_cell,
            state_cell,
            logistics_cell,
            ship_cell,
            deadline_cell,
            goods_cell,
            shipping_cell,
            shop_cell,
            courier_cell,
            product_cell,
            reason_cell,
            note_cell,
        ) = self.pick(cells)
        blockers: list[str] = []

        # plain_id and plain_tracking are the usual cells, cheaply; anything else takes the whole rule.
        aftersale_id = plain_id(aftersale_cell)
        if aftersale_id is None or formulas:
            aftersale_id, problem = self._identifier(row_number, "aftersale_id", aftersale_cell)
            if problem:
                blockers.append(_unusable_aftersale_id(problem))
            if not aftersale_id:
                parsed.problem(row_number, "aftersale_id", aftersale_cell, _NO_AFTERSALE_ID)
                return None
        order_id = plain_id(order_cell)
        if order_id is None or formulas:
            order_id, problem = self._identifier(row_number, "order_id", order_cell)
            if problem:
                blockers.append(_unusable_order_id(problem))
                order_id = None

        type_raw, kind = self.types[type_cell]
        if kind is _UNKNOWN_TYPE and type_raw:
            parsed.note_unknown("aftersale_type", type_raw, row_number)

        state_raw, state = self.states[state_cell]
        if state is _UNKNOWN_STATE:
            parsed.note_unknown("aftersale_state", state_raw, row_number)

        tracking_no = plain_tracking(tracking_cell)
        if tracking_no is None or formulas:
            parcels = self._parcels(row_number, tracking_cell, blockers)
        else:
            parcels = (Parcel(tracking_no),)

        logistics_raw, logistics = self.logistics[logistics_cell]
        if logistics is _UNKNOWN_LOGISTICS:
            parsed.note_unknown("logistics_state", logistics_raw, row_number)

        deadline, problem = parse_time(deadline_cell)
        if problem:
            parsed.problem(row_number, "deadline", deadline_cell, problem)

        # 退商品金额 + 退运费金额 (either may be missing)
        goods, problem = amounts[goods_cell]
        if problem:
            parsed.problem(row_number, "refund_goods_amount", goods_cell, problem)
        shipping, problem = amounts[shipping_cell]
        if problem:
            parsed.problem(row_number, "refund_shipping_amount", shipping_cell, problem)
        if shipping is None or goods is None:
            refund = goods if shipping is None else shipping
        else:
            refund = goods + shipping if shipping else goods

        # Positional, in AfterSale's order: keywords would cost about a tenth of the row.
        return AfterSale(
            aftersale_id,
            SourceRef(parsed.file, row_number),
            order_id,
            texts[shop_cell] or DEFAULT_SHOP,
            kind,
            type_raw,
            state,
            state_raw,
            self.shipped[ship_cell],
            parcels,
            texts[courier_cell] or None,
            logistics,
            logistics_raw,
            deadline,
            refund,
            texts[product_cell],
            texts[reason_cell],
            texts[note_cell],
            blockers,
        )


def read_aftersales(sheet: Sheet) -> ParsedExport:
    header = sheet.header
    assert header is not None
    columns = header.columns
    width = len(header.headers)
    parsed = ParsedExport(
        file=sheet.path.name,
        has_state_column="aftersale_state" in columns,
        headers={key: header.headers[index] for key, index in columns.items()},
    )
    build = _RecordBuilder(columns, parsed, sheet.formula_cells).build
    keep = parsed.aftersales.append
    rows = 0
    for row_number, cells in coalesced_rows(sheet.data_rows(), header, sheet.path):
        if not any(cells):
            continue
        row = cells if isinstance(cells, list) else list(cells)  # each row is a fresh list: extend it in place
        if len(row) < width:
            row.extend([""] * (width - len(row)))
        row.append(None)
        rows += 1
        record = build(row_number, row)
        if record is not None:
            keep(record)
    parsed.rows = rows
    return parsed
