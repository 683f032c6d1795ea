"""Rows of an after-sales export → AfterSale records, with every problem reported."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import TypeVar

from lanjie.i18n import Text
from lanjie.ingest import wording
from lanjie.ingest.clean import parse_money, parse_time, plain_text, raw_text
from lanjie.ingest.columns import HEADER_OF, coalesced_rows
from lanjie.ingest.identifiers import MSG_FORMULA, clean_id, split_tracking
from lanjie.ingest.read import Sheet
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


def _once(cache: dict[str, T], value: object, read: Callable[[object], T]) -> T:
    """`read(value)`, worked out once per distinct cell text and then shared. Only text cells
    are kept: as dict keys True, 1 and 1.0 would be one cell."""
    if type(value) is not str:
        return read(value)
    found = cache.get(value)
    if found is None:
        found = cache[value] = read(value)
    return found


class _RecordBuilder:
    """Builds one AfterSale per row. Column positions are looked up once, not per cell:
    a missing column points at the None that `read_aftersales` appends to every row."""

    def __init__(self, columns: dict[str, int], parsed: ParsedExport, formulas: frozenset[tuple[int, int]]) -> None:
        self.parsed = parsed
        self.at = {key: columns.get(key, -1) for key in HEADER_OF}
        # Formula cells are never used as numbers: (row, column) of those in the ID columns.
        watched = {self.at[key] for key in _NUMBER_FIELDS if self.at[key] >= 0}
        self.formulas = frozenset(cell for cell in formulas if cell[1] in watched)
        self.texts: dict[str, str] = {}
        self.amounts: dict[str, tuple[Decimal | None, str | None]] = {}

    def _text(self, value: object) -> str:
        """`plain_text` of a cell: the same 商品名称 or 售后状态 on 100,000 rows is kept once."""
        return _once(self.texts, value, plain_text)

    def _identifier(self, row_number: int, cells: Sequence[object], key: str) -> tuple[str | None, str | None]:
        """An ID cell as exact digits; on a problem, the cell's text (kept for a person) and why."""
        raw = cells[self.at[key]]
        if self.formulas and (row_number, self.at[key]) in self.formulas:
            self.parsed.problem(row_number, key, raw, MSG_FORMULA)
            return raw_text(raw) or None, MSG_FORMULA
        value, problem = clean_id(raw)
        if problem:
            self.parsed.problem(row_number, key, raw, problem)
            return raw_text(raw) or None, problem
        return value, None

    def _tracking(self, row_number: int, cells: Sequence[object]) -> tuple[list[str], list[str]]:
        raw = cells[self.at["tracking_no"]]
        if self.formulas and (row_number, self.at["tracking_no"]) in self.formulas:
            numbers: list[str] = []
            problems: list[str] = [MSG_FORMULA]
        else:
            numbers, problems = split_tracking(raw)
        for message in problems:
            self.parsed.problem(row_number, "tracking_no", raw, message)
        return numbers, problems

    def build(self, row_number: int, cells: Sequence[object]) -> AfterSale | None:
        at, parsed = self.at, self.parsed
        blockers: list[str] = []
        aftersale_id, id_problem = self._identifier(row_number, cells, "aftersale_id")
        if id_problem:
            blockers.append(_unusable_aftersale_id(id_problem))
        if not aftersale_id:
            parsed.problem(row_number, "aftersale_id", cells[at["aftersale_id"]], _NO_AFTERSALE_ID)
            return None
        order_id, order_problem = self._identifier(row_number, cells, "order_id")
        if order_problem:
            blockers.append(_unusable_order_id(order_problem))
            order_id = None

        type_raw = self._text(cells[at["aftersale_type"]])
        kind = wording.aftersale_type(type_raw)
        if kind is _UNKNOWN_TYPE and type_raw:
            parsed.note_unknown("aftersale_type", type_raw, row_number)

        state_raw = self._text(cells[at["aftersale_state"]])
        state = wording.aftersale_state(state_raw) if parsed.has_state_column else AfterSaleState.PENDING
        if state is _UNKNOWN_STATE:
            parsed.note_unknown("aftersale_state", state_raw, row_number)

        numbers, tracking_problems = self._tracking(row_number, cells)
        blockers += tracking_problems

        logistics_raw = self._text(cells[at["logistics_state"]])
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
            shop=self._text(cells[at["shop"]]) or DEFAULT_SHOP,
            type=kind,
            type_raw=type_raw,
            state=state,
            state_raw=state_raw,
            shipped=wording.shipped(self._text(cells[at["ship_status"]])),
            parcels=tuple(map(Parcel, numbers)),
            courier_hint=self._text(cells[at["courier_name"]]) or None,
            logistics=logistics,
            logistics_raw=logistics_raw,
            deadline=deadline,
            refund_amount=self._refund_amount(row_number, cells),
            product=self._text(cells[at["product"]]),
            reason=self._text(cells[at["reason"]]),
            buyer_note=self._text(cells[at["buyer_note"]]),
            blockers=blockers,
        )

    def _money(self, value: object) -> tuple[Decimal | None, str | None]:
        """`parse_money` of a cell (amounts repeat down a column)."""
        return _once(self.amounts, value, parse_money)

    def _refund_amount(self, row_number: int, cells: Sequence[object]) -> Decimal | None:
        """退商品金额 + 退运费金额 (either may be missing)."""
        goods, goods_problem = self._money(cells[self.at["refund_goods_amount"]])
        shipping, shipping_problem = self._money(cells[self.at["refund_shipping_amount"]])
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
    header = sheet.header
    assert header is not None
    columns = header.columns
    width = len(header.headers)
    parsed = ParsedExport(
        file=sheet.path.name,
        has_state_column="aftersale_state" in columns,
        headers={key: header.headers[index] for key, index in columns.items()},
    )
    builder = _RecordBuilder(columns, parsed, sheet.formula_cells)
    for row_number, cells in coalesced_rows(sheet.data_rows(), header, sheet.path):
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
