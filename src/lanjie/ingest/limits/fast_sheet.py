"""The fast scan of a worksheet: C-level byte searches per chunk, for the XML spreadsheet programs write."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from functools import lru_cache

from lanjie.ingest.limits.common import (
    BOX_FLOOR,
    BOX_PER_CELL,
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_RUN,
    _Extent,
    _NotCanonical,
    _Refusal,
    _too_many_columns,
    column_letters,
)
from lanjie.ingest.limits.shared_strings import _Strings

_OVERLAP = 4096  # bytes kept in view after the processed part of a chunk
_RUN_BLOCK = 16 << 10  # text runs longer than 2 blocks get their characters counted
_F_BYTES = 64  # "f" bytes a region has looked at one by one before it gets a regex search

_CELL = b'<c r="'
_REF = re.compile(rb'<c r="([A-Za-z]+)(\d+)"[\s/>]')
_FORMULA = re.compile(rb"f(?<=<f)[\s/>]")  # anchored on the "f": a search for a rare byte
_PREFIXED = re.compile(rb":[cf][\s/>]")
_SHARED = re.compile(rb'<c r="[A-Za-z]+\d+"(?: s="\d+")? t="s"(?: s="\d+")?><v>(\d+)</v>')
_ODD_TYPE = re.compile(rb"\st\s*=\s*'|\st\s+=|\st=\s")
# Cells the reader keeps (with a value) end in `</is></c>` or `</v></c>`; of the latter not those
# whose `<v>` ends in markup, an entity or white space (the reader finds no value in `<v></v>`,
# `<v>&#32;</v>` or a boolean's `<v> </v>`), nor any in a region naming inlineStr (a `<v>` in such
# a cell holds no value). Every `</c>` closes one cell: the reader refuses mismatched end tags.
_KEPT_STRING = b"</is></c>"
_KEPT_VALUE = b"</v></c>"
_NO_VALUE = re.compile(rb"</v></c>(?<=[>;\s]</v></c>)")
_INLINE_VALUE = re.compile(rb"inlineStr[\"'][^>]*+>(?:[^<]++|<(?!/c>))*+(?<=</v>)</c>")
_NAME_END = frozenset(b" \t\n\r\f\v/>")  # what ends `<f` for _FORMULA (\s, / and >)
_CELL_NAME_END = frozenset(b" \t\r\n/>")  # … and a tag name for the reader (XML whitespace)


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
def _flag(rows: str, right: int) -> re.Pattern[bytes]:
    """A search for every `<c` that is not a plain cell tag with a reference inside the claim
    (the rows `rows` matches, columns 0..right): other elements (<col>, <cfRule> …), unusual
    XML, and cells outside the claim. The closing quote ends the reference whatever follows."""
    return re.compile(rf'<c(?! r="(?:{_letters_pattern(right)})(?:{rows})")'.encode())


def _rows_pattern(low: int, high: int, floor: int, ceiling: int) -> str:
    """A pattern for the rows low..high, widened within floor..ceiling (rows of cells already
    found) where that makes it leading digits, a digit range and any digits: `[1-7][0-9]{3}`
    costs less per cell than the exact `4[2-9][0-9]{2}|5[0-9]{3}|6[0-2][0-9]{2}|6300`."""
    if len(str(low)) == len(str(high)):
        for rest in range(len(str(low)) - 1, -1, -1):  # the widest claim first
            block = 10**rest
            lead, top = low // block, high // block  # the leading digits, down to the varying one
            if lead // 10 != top // 10:
                continue
            lead = max(lead - lead % 10, -(-floor // block))
            top = min(top - top % 10 + 9, (ceiling + 1) // block - 1)
            if lead <= low // block and top >= high // block:
                prefix = str(lead // 10) if lead >= 10 else ""
                return f"{prefix}[{lead % 10}-{top % 10}]" + (f"[0-9]{{{rest}}}" if rest else "")
    return "|".join(_number_pattern(low, high))


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
    `<c r="A1" …>` tag. A few C-level passes per region of a chunk: count the cells, search
    for any `<c` that is not a plain cell tag inside the region's claimed rows and columns
    (each hit is looked at in Python; anything unusual hands the sheet to the exact scan),
    search for namespace-prefixed cells and formulas, and look at long text runs."""

    def __init__(self, need_text: bool, strings: _Strings, count_all: bool = False) -> None:
        self.extent = _Extent()
        self.count_all = count_all  # count the kept cells in every region, not only while the box needs them
        self.counted_all = True  # … and whether that was done
        self.need_text = need_text
        self.strings = strings
        self.prolog = True  # the XML declaration may still be ahead
        self.columns_seen = False  # the columns of the first rows are in the extent
        self.last_cell: tuple[int, int] | None = None  # the last cell of the previous region …
        self.cell_open = False  # … and whether it was still open there

    def run(self, chunks: Iterator[bytes]) -> tuple[_Extent, int]:
        size = 0
        tail = b""  # what the previous chunk left unprocessed: from a "<" on
        for chunk, following in _pairs(chunks):
            size += len(chunk)
            if following is not None:
                self._reach(following)
            buf, start = chunk, 0
            if tail:
                first = chunk.find(b"<", 0, max(len(chunk) - _OVERLAP, 0))
                if first < 0:
                    buf = tail + chunk
                else:
                    # Only the seam is copied (the tail and this chunk up to its first tag): the
                    # rest of the chunk is searched in place.
                    self.chunk(tail + chunk[: first + _OVERLAP], 0, len(tail) + first)
                    start = first
            if following is None:
                cut = len(buf)
            else:
                cut = buf.rfind(b"<", start + 1, max(len(buf) - _OVERLAP, 0))
                if cut < 0:
                    if len(buf) - start > MAX_RUN + _OVERLAP:
                        raise _Refusal("cell_too_long", chars=f">{MAX_CELL_CHARS}", limit=MAX_CELL_CHARS)
                    tail = buf[start:]
                    continue
            self.chunk(buf, start, cut)
            tail = buf[cut:]
        return self.extent, size

    def _reach(self, following: bytes) -> None:
        """Put the last cell of the following chunk in the extent now (it belongs there either
        way), so that this chunk may claim the rows up to it: see _rows_pattern. One that breaks
        a limit is left for its own region to refuse."""
        end = following.rfind(_CELL, 0, max(len(following) - 64, 0))
        ref = _REF.match(following, end) if end >= 0 else None
        if ref is None or len(ref[2]) > 7 or len(ref[1]) > 3:
            return
        row, column = _ref(ref[1], ref[2])
        if 1 <= row <= MAX_ROWS and column < MAX_COLUMNS:
            self.extent.add(row, column)

    def chunk(self, buf: bytes, start: int, cut: int) -> None:
        """Scan buf[start:cut] (which starts and ends at a tag; buf goes on a few KB past cut)."""
        opened = self.cell_open
        self._markup(buf, start, cut)
        extent = self.extent
        extent.cells += buf.count(_CELL, start, cut)
        _check_runs(buf, cut, start)
        first = buf.find(_CELL, start, cut)
        if first < 0:
            self._flags(buf, start, cut, _ANY_CELL, None)
            self._formulas(buf, start, cut)
            if buf.find(b"</c>", start, cut) >= 0:
                self.cell_open = False
        else:
            head = _REF.match(buf, first)
            end = buf.rfind(_CELL, start, cut)
            tail = _REF.match(buf, end)
            if head is None or tail is None:
                raise _NotCanonical
            (a, left), (b, right) = _ref(head[1], head[2]), _ref(tail[1], tail[2])
            extent.add(a, left)
            extent.add(b, right)
            if not self.columns_seen:  # the first rows name every column in use
                self.columns_seen = True
                for letters, digits in _REF.findall(buf, start, min(cut, start + (1 << 16))):
                    extent.add(*_ref(letters, digits))
            low, high = max(min(a, b), 1), max(a, b, 1)
            self._flags(buf, start, cut, None, _rows_pattern(low, high, extent.low, extent.high))
            self._formulas(buf, start, cut)  # before the last cell is replaced: a formula may open the region
            self.last_cell = (b, right)
            stop = buf.find(b">", end, cut)
            self.cell_open = stop > 0 and buf[stop - 1] != 0x2F and buf.find(b"</c>", stop, cut) < 0
        if self.need_text:
            self._shared(buf, start, cut)
        self._kept(buf, start, cut, opened)

    def _kept(self, buf: bytes, start: int, cut: int, opened: bool) -> None:
        """A lower bound of the cells in the region the reader keeps: counted while the box so far
        needs them to stay within BOX_PER_CELL × the cells kept (or in every region if asked), so
        that a dense export spends a few byte searches on a fraction of its regions. A box that
        outgrows the count later has the sheet counted again in full (see xlsx)."""
        extent = self.extent
        box = extent.box
        if not self.count_all and (box <= BOX_FLOOR or box <= BOX_PER_CELL * extent.kept):
            self.counted_all = False
            return
        # Each pattern is counted where it starts inside the region (buf goes on past cut). A
        # region naming no inlineStr has its inline strings (rare there) left uncounted.
        inline = buf.find(b"inlineStr", start, cut) >= 0
        if inline:
            _check_inline(buf, start, cut)
        if inline or self.count_all:
            extent.kept += buf.count(_KEPT_STRING, start, cut + len(_KEPT_STRING) - 1)
        if not self.count_all:
            self.counted_all = False  # the recount looks at every kind of cell, one by one if needed
            if inline:
                return
        # From start + 1: the byte before a value's end tag at the region's start is not in view.
        end = cut + len(_KEPT_VALUE) - 1
        values = buf.count(_KEPT_VALUE, start + 1, end)
        if values and _NO_VALUE.search(buf, start + 1, end):
            values -= len(_NO_VALUE.findall(buf, start + 1, end))
        if values and inline:  # inline-string cells ending in a <v> (and the one open here, if any)
            values -= len(_INLINE_VALUE.findall(buf, start, end)) + opened
        extent.kept += max(values, 0)

    def _markup(self, buf: bytes, start: int, cut: int) -> None:
        """What the byte searches here do not model goes to the exact scan: comments, CDATA
        and processing instructions (the reader skips their text, so a `<c` inside one would
        be counted as a cell it does not have) and namespace-prefixed cells and formulas.
        `!` and `?` are memchr searches: exports have none past the XML declaration."""
        if self.prolog:
            self.prolog = False
            declaration = buf.find(b"<?xml", start, start + 8)  # after a byte order mark, if any
            if declaration >= 0:
                start = buf.find(b"?>", declaration, cut) + 2
        for mark in (b"!", b"?"):
            if buf.find(mark, start, cut) >= 0 and buf.find(b"<" + mark, start, cut) >= 0:
                raise _NotCanonical
        if _PREFIXED.search(buf, start, cut + 3):
            raise _NotCanonical

    def _flags(self, buf: bytes, start: int, cut: int, pattern: re.Pattern[bytes] | None, rows: str | None) -> None:
        extent = self.extent
        if pattern is None:
            assert rows is not None
            pattern = _flag(rows, max(extent.right, 0))
        position = start
        while True:
            hit = pattern.search(buf, position, cut)
            if hit is None:
                return
            position = hit.start() + 2
            if position < len(buf) and buf[position] not in _CELL_NAME_END:
                continue  # <col>, <cols>, <cfRule>, <color> …: not a cell
            ref = _REF.match(buf, hit.start())
            if ref is None:
                raise _NotCanonical
            right = extent.right
            extent.add(*_ref(ref[1], ref[2]))
            if rows is not None and extent.right > right:
                pattern = _flag(rows, extent.right)

    def _formulas(self, buf: bytes, start: int, cut: int) -> None:
        """Cells holding a formula: a `<f>` inside a `<c>`. Exports have a few "f" bytes per
        chunk at most, so each is found with memchr; past _F_BYTES of them, a regex search."""
        position = start
        for _ in range(_F_BYTES):
            position = buf.find(b"f", position + 1, cut)
            if position < 0:
                return
            if buf[position - 1] == 0x3C and position + 1 < len(buf) and buf[position + 1] in _NAME_END:
                self._formula(buf, start, position - 1)
        for hit in _FORMULA.finditer(buf, position + 1, cut):
            self._formula(buf, start, hit.start() - 1)

    def _formula(self, buf: bytes, region: int, at: int) -> None:
        """The cell around the `<f` at `at` (formulas are rare: the work per hit does not matter)."""
        start = buf.rfind(b"<c", region, at)
        while start >= 0 and buf[start + 2] not in _CELL_NAME_END:
            start = buf.rfind(b"<c", region, start)
        if start < 0:  # the cell began in the previous region
            if self.last_cell is not None and self.cell_open and buf.find(b"</c>", region, at) < 0:
                self.extent.formulas.add(self.last_cell)
            return
        stop = buf.find(b">", start, at)
        if stop < 0 or buf[stop - 1] == 0x2F or buf.find(b"</c>", stop, at) >= 0:
            return  # <f> outside any cell: the reader ignores it
        ref = _REF.match(buf, start)
        if ref is None:
            raise _NotCanonical
        self.extent.formulas.add(_ref(ref[1], ref[2]))

    def _shared(self, buf: bytes, start: int, cut: int) -> None:
        """Bytes of shared strings the reader will copy into this region's cells."""
        if buf.find(b"inlineStr", start, cut) >= 0:
            _check_inline(buf, start, cut)  # the cells counted here set how much may be copied
        if _ODD_TYPE.search(buf, start, cut):
            raise _NotCanonical
        extent = self.extent
        sizes = self.strings.sizes
        found = _SHARED.findall(buf, start, cut)
        count = buf.count(b't="s"', start, cut)
        extent.shared_cells += count
        extent.shared_unknown += max(count - len(found), 0)
        if not self.strings.exact:
            extent.shared_unknown += len(found)
            return
        try:
            extent.shared_text += sum(map(sizes.__getitem__, map(int, found)))
        except IndexError:  # an index past the table: the reader refuses the file itself
            extent.shared_text += sum(sizes[i] for i in map(int, found) if i < len(sizes))


_ODD_INLINE = re.compile(rb'<is>(?!<t>[^<]*</t></is>|<t xml:space="preserve">[^<]*</t></is>)')


def _check_inline(buf: bytes, start: int, cut: int) -> None:
    """Inline strings other than one plain `<t>` go to the exact scan: the reader skips whatever
    an `<is>` holds, so cells written inside one would be counted here as cells it keeps. Run
    only where cells are counted for a limit, as it reads every character of the strings."""
    hit = _ODD_INLINE.search(buf, start, min(len(buf), cut + _OVERLAP))
    if hit is not None and hit.start() < cut:
        raise _NotCanonical


def _check_runs(buf: bytes, cut: int, start: int = 0) -> None:
    """Text without markup longer than two blocks (32 KB) has its characters counted; any run
    over MAX_RUN is refused (an escaped 32,767-character cell is shorter)."""
    region = start
    while start < cut:
        if buf.find(b"<", start, start + _RUN_BLOCK) >= 0:
            start += _RUN_BLOCK
            continue
        begin = buf.rfind(b">", region, start) + 1 or region
        end = buf.find(b"<", start)
        if end < 0:
            end = len(buf)
        if end - begin > MAX_RUN:
            raise _Refusal("cell_too_long", chars=f">{MAX_CELL_CHARS}", limit=MAX_CELL_CHARS)
        chars = len(html.unescape(buf[begin:end].decode("utf-8", "replace")))
        if chars > MAX_CELL_CHARS:
            raise _Refusal("cell_too_long", chars=chars, limit=MAX_CELL_CHARS)
        start = end


def _pairs(chunks: Iterator[bytes]) -> Iterator[tuple[bytes, bytes | None]]:
    """Each chunk with the one after it (None after the last; one empty chunk if none)."""
    previous = next(chunks, b"")
    for chunk in chunks:
        yield previous, chunk
        previous = chunk
    yield previous, None
