"""The 订单明细 (order) export: the real courier of each tracking number.

Its 快递信息 cell names the courier next to the number (`中通快递 73610555582883`, several
entries separated by line breaks or semicolons); hand-made sheets may instead have separate
快递公司 and 快递单号 columns. Either way the courier comes from a name, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from lanjie.couriers import find_courier
from lanjie.i18n import Text
from lanjie.ingest.clean import plain_text
from lanjie.ingest.columns import ORDER_HEADER_OF
from lanjie.ingest.identifiers import split_tracking, unprotect
from lanjie.ingest.read import Sheet
from lanjie.model import Problem

_ENTRY_SEPARATORS = re.compile(r"[\n;；|]+")
_NUMBER = re.compile(r"[A-Za-z]*\d[A-Za-z0-9-]{5,}")
_UNKNOWN_NAME = Text("problem_unknown_courier_name")


@dataclass
class OrderCouriers:
    file: str
    rows: int = 0
    by_tracking_no: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def _entries(info: str) -> list[tuple[str, list[str]]]:
    """(courier name text, numbers) pairs from one 快递信息 cell."""
    entries = []
    for segment in _ENTRY_SEPARATORS.split(unprotect(info)):
        numbers = [n.upper() for n in _NUMBER.findall(segment)]
        name = _NUMBER.sub(" ", segment)
        if numbers:
            entries.append((name, numbers))
    return entries


def read_order_couriers(sheet: Sheet) -> OrderCouriers:
    assert sheet.header is not None
    columns = sheet.header.columns
    result = OrderCouriers(file=sheet.path.name)

    def cell(cells: Sequence[object], key: str) -> object:
        index = columns.get(key, -1)
        return cells[index] if 0 <= index < len(cells) else None

    for row_number, cells in sheet.data_rows():
        result.rows += 1
        pairs: list[tuple[str, list[str], str]] = []
        info = plain_text(cell(cells, "logistics_info"))
        if info:
            pairs += [(name, numbers, "logistics_info") for name, numbers in _entries(info)]
        name = plain_text(cell(cells, "courier_name"))
        numbers, _ = split_tracking(cell(cells, "tracking_no"))
        if name and numbers:
            pairs.append((name, numbers, "courier_name"))
        for name, numbers, key in pairs:
            code = find_courier(name)
            if code is None:
                result.problems.append(
                    Problem(
                        result.file,
                        row_number,
                        ORDER_HEADER_OF[key],
                        name.strip(),
                        _UNKNOWN_NAME,
                    )
                )
                continue
            for number in numbers:
                result.by_tracking_no.setdefault(number, code)
    return result
