"""The fast scan of a worksheet: C-level byte searches per chunk, for the XML spreadsheet programs write."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from functools import lru_cache

from lanjie.ingest.limits.common import (
    MAX_CELL_CHARS,
    MAX_ROWS,
    MAX_RUN,
    _Extent,
    _NotCanonical,
    _Refusal,
    _too_many_columns,
    column_letters,
)
from lanjie.ingest.limits.shared_strings import _Strings
from lanjie.ingest.limits.zipped import _lookahead

_OVERLAP = 4096  # bytes kept in view after the processed part of a chunk
_RUN_BLOCK = 16 << 10  # text runs longer than 2 blocks get their characters counted


_REF = re.compile(rb'<c r="([A-Za-z]+)(\d+)"[\s/>]')
_FORMULA = re.compile(rb"<f[\s/>]")
_PREFIXED = re.compile(rb":[cf][\s/>]")
_SHARED = re.compile(rb'<c r="[A-Za-z]+\d+"(?: s="\d+")? t="s"(?: s="\d+")?><v>(\d+)</v>')
_ODD_TYPE = re.compile(rb"\st\s*=\s*'|\st\s+=|\st=\s")


def _ref(letters: bytes, digits: bytes) -> tuple[int, int]:
    """(row 1-based, column 0-based) of an A1 reference, as calamine reads it (any case,
    leading zeros allowed); refused beyond the limits."""
    digits = digits.lstrip(b"0") or b"0"
    if len(digits) > 7:
        shown = digits[:12].decode() + ("…" if len(digits) > 12 else "")
        raise _Refusal("too_many_rows", rows=shown, limit=MAX_ROWS)
    if len(letters) > 3:
        raise _too_many_columns(26**3 + 26**2 + 26)
    column = 0
    for letter in letters.upper():
        column = column * 26 + letter - 64
    return int(digits), column - 1


@lru_cache(maxsize=256)
def _flag(low: int, high: int, right: int) -> re.Pattern[bytes]:
    """A search for every `<c` that is not a plain cell tag with a reference inside the claim
    (rows low..high, columns 0..right): other elements (<col>, <cfRule> …), unusual XML, and
    cells outside the claim."""
    columns = _letters_pattern(right)
    rows = "|".join(_number_pattern(low, high))
    return re.compile(rf'<c(?! r="(?:{columns})(?:{rows})"[ />])'.encode())


def _letters_pattern(right: int) -> str:
    last = column_letters(right)
    if len(last) == 1:
        return f"[A-{last}]" if last != "A" else "A"
    first, second = last[0], last[1]
    options = [f"{first}[A-{second}]"]
    if first > "A":
        options.append(f"[A-{chr(ord(first) - 1)}][A-Z]")
    return "|".join([*options, "[A-Z]"])  # a single letter is followed by the row's first digit


def _number_pattern(low: int, high: int) -> list[str]:
    """Alternatives matching the decimal numbers low..high exactly (no leading zeros)."""
    out: list[str] = []
    while low <= high:
        top = min(high, 10 ** len(str(low)) - 1)
        out += _digits_pattern(str(low), str(top))
        low = top + 1
    return out


def _digits_pattern(low: str, high: str) -> list[str]:
    if low == high:
        return [low]
    if len(low) == 1:
        return [f"[{low}-{high}]"]
    if low[0] == high[0]:
        return [low[0] + p for p in _digits_pattern(low[1:], high[1:])]
    rest = len(low) - 1
    out: list[str] = []
    first, last = int(low[0]), int(high[0])
    if low[1:] != "0" * rest:
        out += [low[0] + p for p in _digits_pattern(low[1:], "9" * rest)]
        first += 1
    tail: list[str] = []
    if high[1:] != "9" * rest:
        tail = [high[0] + p for p in _digits_pattern("0" * rest, high[1:])]
        last -= 1
    if first <= last:
        digit = str(first) if first == last else f"[{first}-{last}]"
        out.append(f"{digit}[0-9]{{{rest}}}")
    return out + tail


_ANY_CELL = re.compile(rb"<c")


class _FastSheet:
    """The scan of a worksheet written the way spreadsheet programs write them: every cell a
    `<c r="A1" …>` tag. A few C-level passes per chunk: count the cells, search for any `<c`
    that is not a plain cell tag inside the chunk's claimed rows and columns (each hit is
    looked at in Python; anything unusual hands the sheet to the exact scan), search for `<f`
    (formulas) and for namespace-prefixed cells, and look at long text runs."""

    def __init__(self, need_text: bool, strings: _Strings) -> None:
        self.extent = _Extent()
        self.need_text = need_text
        self.strings = strings
        self.right = -1  # the widest column claimed so far
        self.last_cell: tuple[int, int] | None = None  # the last cell of the previous chunk …
        self.cell_open = False  # … and whether it was still open there

    def run(self, chunks: Iterator[bytes]) -> tuple[_Extent, int]:
        size = 0
        tail = b""
        for chunk, last in _lookahead(chunks):
            size += len(chunk)
            buf = tail + chunk if tail else chunk
            if last:
                cut = len(buf)
            else:
                cut = buf.rfind(b"<", 0, max(len(buf) - _OVERLAP, 0))
                if cut <= 0:
                    if len(buf) > MAX_RUN + _OVERLAP:
                        raise _Refusal("cell_too_long", chars=f">{MAX_CELL_CHARS}", limit=MAX_CELL_CHARS)
                    tail = buf
                    continue
            self.chunk(buf, cut)
            tail = buf[cut:]
        return self.extent, size

    def chunk(self, buf: bytes, cut: int) -> None:
        extent = self.extent
        extent.cells += buf.count(b'<c r="', 0, cut)
        if _PREFIXED.search(buf, 0, cut + 3):
            raise _NotCanonical
        _check_runs(buf, cut)
        first = buf.find(b'<c r="', 0, cut)
        if first < 0:
            self._flags(buf, cut, _ANY_CELL, None)
        else:
            head = _REF.match(buf, first)
            end = buf.rfind(b'<c r="', 0, cut)
            tail = _REF.match(buf, end)
            if head is None or tail is None:
                raise _NotCanonical
            (a, left), (b, right) = _ref(head[1], head[2]), _ref(tail[1], tail[2])
            extent.add(a, left)
            extent.add(b, right)
            if self.right < 0:  # the first rows name every column in use
                for letters in re.findall(rb'<c r="([A-Za-z]+)\d', buf[: min(cut, 1 << 16)]):
                    self.right = max(self.right, _ref(letters, b"1")[1])
            self.right = max(self.right, left, right)
            self._flags(buf, cut, None, (max(min(a, b), 1), max(a, b, 1)))
            self.last_cell = (b, right)
            stop = buf.find(b">", end, cut)
            self.cell_open = stop > 0 and buf[stop - 1] != 0x2F and buf.find(b"</c>", stop, cut) < 0
        if buf.find(b"f", 0, cut) >= 0:  # memchr: most export chunks have no "f" byte at all
            self._formulas(buf, cut)
        if self.need_text:
            self._shared(buf, cut)

    def _flags(self, buf: bytes, cut: int, pattern: re.Pattern[bytes] | None, rows: tuple[int, int] | None) -> None:
        if pattern is None:
            assert rows is not None
            pattern = _flag(rows[0], rows[1], self.right)
        position = 0
        while True:
            hit = pattern.search(buf, position)
            if hit is None or hit.start() >= cut:
                return
            position = hit.start() + 2
            after = buf[position : position + 1]
            if after and after not in b" \t\r\n/>":
                continue  # <col>, <cols>, <cfRule>, <color> …: not a cell
            ref = _REF.match(buf, hit.start())
            if ref is None:
                raise _NotCanonical
            row, column = _ref(ref[1], ref[2])
            self.extent.add(row, column)
            if column > self.right:
                self.right = column
                if rows is not None:
                    pattern = _flag(rows[0], rows[1], self.right)

    def _formulas(self, buf: bytes, cut: int) -> None:
        """Cells holding a formula: a `<f>` element inside a `<c>` (formulas are rare in
        exports, so the work per hit does not matter)."""
        position = 0
        while True:
            hit = _FORMULA.search(buf, position)
            if hit is None or hit.start() >= cut:
                return
            position = hit.end()
            start = buf.rfind(b"<c", 0, hit.start())
            while start >= 0 and buf[start + 2 : start + 3] not in (b" ", b">", b"/", b"\t", b"\r", b"\n"):
                start = buf.rfind(b"<c", 0, start)
            if start < 0:  # the cell began in the previous chunk
                if self.last_cell is not None and self.cell_open and buf.find(b"</c>", 0, hit.start()) < 0:
                    self.extent.formulas.add(self.last_cell)
                continue
            stop = buf.find(b">", start, hit.start())
            if stop < 0 or buf[stop - 1] == 0x2F or buf.find(b"</c>", stop, hit.start()) >= 0:
                continue  # <f> outside any cell: the reader ignores it
            ref = _REF.match(buf, start)
            if ref is None:
                raise _NotCanonical
            self.extent.formulas.add(_ref(ref[1], ref[2]))

    def _shared(self, buf: bytes, cut: int) -> None:
        """Bytes of shared strings the reader will copy into this chunk's cells."""
        if _ODD_TYPE.search(buf, 0, cut):
            raise _NotCanonical
        extent = self.extent
        sizes = self.strings.sizes
        found = _SHARED.findall(buf, 0, cut)
        count = buf.count(b't="s"', 0, cut)
        extent.shared_cells += count
        extent.shared_unknown += max(count - len(found), 0)
        if not self.strings.exact:
            extent.shared_unknown += len(found)
            return
        try:
            extent.shared_text += sum(map(sizes.__getitem__, map(int, found)))
        except IndexError:  # an index past the table: the reader refuses the file itself
            extent.shared_text += sum(sizes[i] for i in map(int, found) if i < len(sizes))


def _check_runs(buf: bytes, cut: int) -> None:
    """Text without markup longer than two blocks (32 KB) has its characters counted; any run
    over MAX_RUN is refused (an escaped 32,767-character cell is shorter)."""
    start = 0
    while start < cut:
        if buf.find(b"<", start, start + _RUN_BLOCK) >= 0:
            start += _RUN_BLOCK
            continue
        begin = buf.rfind(b">", 0, start) + 1
        end = buf.find(b"<", start)
        if end < 0:
            end = len(buf)
        if end - begin > MAX_RUN:
            raise _Refusal("cell_too_long", chars=f">{MAX_CELL_CHARS}", limit=MAX_CELL_CHARS)
        chars = len(html.unescape(buf[begin:end].decode("utf-8", "replace")))
        if chars > MAX_CELL_CHARS:
            raise _Refusal("cell_too_long", chars=chars, limit=MAX_CELL_CHARS)
        start = end
