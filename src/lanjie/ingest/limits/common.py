"""The documented limits and what every scanner shares: the scan's result,
the refusal it raises, the extent of a sheet's cells."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

# --- the documented limits (README「文件限制」)
MAX_ROWS = 1_048_576  # Excel's own limit
MAX_COLUMNS = 200  # a 抖店 after-sales export has 50
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
MAX_CSV_BYTES = 1 << 30  # 1 GiB: a CSV is decoded twice (to find its encoding, then streamed)
XLS_MAX_ROWS = 65_536  # the .xls format itself
# --- what the content has to explain
BOX_FLOOR = 1_000_000  # a bounding box this big (32 MB in the reader) is always allowed …
BOX_PER_CELL = 8  # … beyond that it may be at most 8 × the cells that hold a value
BYTES_FLOOR = 64 << 20  # an unpacked sheet / string table this big is always allowed …
BYTES_PER_CELL = 256  # … beyond that at most this much per cell written (exports: ~65)
TEXT_FLOOR = 256 << 20  # text the reader copies out of the shared-string table …
TEXT_PER_CELL = 128  # … at most this much per cell beyond the floor
REPEAT_FLOOR = 65_536  # cells an .ods may add by repeating others, or as many as it writes
OTHER_PART_MAX = 64 << 20  # styles, workbook, relationships … (exports: a few KB) …
OTHER_PARTS_TOTAL = 256 << 20  # … and all of them together
SHEET_MAX = 16 << 30  # one unpacked worksheet (1,048,576 rows × 16 KB)
STRINGS_MAX = 4 << 30  # the unpacked shared-string table
MAX_PARTS = 4096
MAX_RUN = 512 << 10  # text without markup longer than any cell can be, even fully escaped
MAX_TAG = 64 << 10  # one start tag / one table row in a .ods that long is not an export

_MIB = 1 << 20


@dataclass
class WorkbookScan:
    """What the scan found out that the reader does not say: formula cells per sheet name,
    as absolute 0-based (row, column)."""

    formulas: dict[str, frozenset[tuple[int, int]]] = field(default_factory=dict)


class _Refusal(Exception):
    """Raised inside the scanners; turned into a BadInput carrying the file's path."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class _NotCanonical(Exception):
    """The fast scan met XML it does not model; the sheet is scanned again, exactly."""


def column_letters(index: int) -> str:
    """0 → A, 200 → GS."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _too_many_columns(column: int) -> _Refusal:
    return _Refusal("too_many_columns", column=column + 1, letters=column_letters(column), limit=MAX_COLUMNS)


def _mb(size: int) -> str:
    return f"{size / _MIB:,.0f}" if size >= 10 * _MIB else f"{size / _MIB:,.1f}"


def _attributes(tag: str) -> dict[str, str]:
    return {key: html.unescape(value) for key, _, value in re.findall(r"([\w:.-]+)\s*=\s*([\"'])(.*?)\2", tag)}


# The reader's parser skips what these hold (CDATA is text, never markup): start → end.
_SECTION_ENDS = {b"<!--": b"-->", b"<![CDATA[": b"]]>", b"<?": b"?>"}


@dataclass
class _Extent:
    cells: int = 0  # cell tags written
    kept: int = 0  # … of them, cells the reader keeps (a value): a lower bound in the fast scan
    low: int = MAX_ROWS + 1  # rows 1-based, columns 0-based, over every cell written
    high: int = 0
    right: int = -1
    formulas: set[tuple[int, int]] = field(default_factory=set)
    shared_text: int = 0  # bytes of shared strings copied into cells (upper bound)
    shared_cells: int = 0
    shared_unknown: int = 0  # cells whose string could not be looked up

    @property
    def rows(self) -> int:
        return self.high - self.low + 1 if self.high else 0

    @property
    def box(self) -> int:
        """Cells of the bounding box the reader allocates (rows × columns)."""
        return self.rows * (self.right + 1)

    def add(self, row: int, column: int) -> None:
        if self.check(row, column):
            return  # the reader refuses such a reference itself
        self.low = min(self.low, row)
        self.high = max(self.high, row)
        self.right = max(self.right, column)

    @staticmethod
    def check(row: int, column: int) -> bool:
        """Refuse a cell beyond the limits, with a value or not; is its row before the first?"""
        if column >= MAX_COLUMNS:
            raise _too_many_columns(column)
        if row > MAX_ROWS:
            raise _Refusal("too_many_rows", rows=row, limit=MAX_ROWS)
        return row < 1
