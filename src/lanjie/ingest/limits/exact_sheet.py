"""The exact scan of a worksheet, token by token, for XML the fast scan does not model."""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator

from lanjie.ingest.limits.common import _SECTION_ENDS, MAX_CELL_CHARS, MAX_RUN, MAX_TAG, _Extent, _Refusal
from lanjie.ingest.limits.fast_sheet import _check_runs, _ref
from lanjie.ingest.limits.shared_strings import _Strings
from lanjie.ingest.limits.zipped import _lookahead

# The XML is cut into tokens where the reader's parser (quick-xml) cuts it, every byte in one:
# text; comments, CDATA sections and processing instructions, whose content the reader skips;
# end tags, up to the first ">"; start tags, up to the first ">" outside quotes. A name ends at
# XML whitespace, and the reader compares local names: what follows the first colon.
_NAMES = "(?:row|c|f|v|is|t|sheetData)"  # the local names the scan follows
_START_PREFIX = r"(?:[^ \t\r\n>\"':]*+:)?+"
_END_PREFIX = r"(?:[^>:]*+:)?+"
_KEY = r"[^ \t\r\n=>\"'/]++"
_ATTRIBUTE = rf"{_KEY}[ \t\r\n]*+=[ \t\r\n]*+(?:\"[^\"]*+\"|'[^']*+')"
_ATTRIBUTES = rf"(?:[ \t\r\n]++{_ATTRIBUTE}(?:[ \t\r\n]*+{_ATTRIBUTE})*+)?+[ \t\r\n]*+"
_SKIPPED = (
    r"(?:[^<]++"
    r"|<!--(?:[^-]++|-(?!->))*+-->"
    r"|<!\[CDATA\[(?:[^\]]++|\](?!\]>))*+\]\]>"
    r"|<\?(?:[^?]++|\?(?!>))*+\?>"
    rf"|</(?!{_END_PREFIX}{_NAMES}[ \t\r\n]*+>)[^>]*+>"
    rf"|<(?![!?/]|{_START_PREFIX}{_NAMES}(?:[ \t\r\n>]|/>))[^ \t\r\n>\"']++"
    r"(?:[ \t\r\n](?:[^>\"']++|\"[^\"]*+\"|'[^']*+')*+)?>)"
)
# A tag the scan follows (a start tag only with plain `key="value"` attributes), or a whole
# v, f or is holding nothing the scan follows but whole t elements: most cells' content.
_TEXT = rf"<(?P<text>{_START_PREFIX}t){_ATTRIBUTES}(?:/>|>{_SKIPPED}*+</(?P=text)[ \t\r\n]*+>)"
_TAG = (
    rf"</(?P<end>{_END_PREFIX}(?P<end_local>{_NAMES}))[ \t\r\n]*+>"
    r"|<(?![!?/])(?:"
    rf"(?P<whole>{_START_PREFIX}(?P<whole_local>v|f|is)){_ATTRIBUTES}>"
    rf"(?P<content>(?:{_SKIPPED}|{_TEXT})*+)</(?P=whole)[ \t\r\n]*+>"
    rf"|(?P<start>{_START_PREFIX}(?P<local>{_NAMES}))(?P<attrs>{_ATTRIBUTES})(?P<empty>/?)>)"
)
_STEP = re.compile(rf"{_SKIPPED}*+(?:{_TAG})?".encode())  # the tokens up to one the scan follows
_ONE = re.compile(rf"{_SKIPPED}|{_TAG}".encode())
_PAIR = re.compile(rf"({_KEY})[ \t\r\n]*+=[ \t\r\n]*+(?:\"([^\"]*+)\"|'([^']*+)')".encode())
_PLAIN_REF = re.compile(rb"([A-Za-z]*)([0-9]+)")
_ENTITY = re.compile(rb"&[^;]*;")
_IN_SECTION = re.compile(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>", re.S)
_EXACT_MAX = 512 << 20
_BEFORE, _INSIDE, _AFTER = range(3)  # where the scan is in relation to <sheetData>


def _unreadable() -> _Refusal:
    return _Refusal("file_structure", detail="a worksheet tag that cannot be read")


def _exact_sheet(chunks: Iterator[bytes], strings: _Strings) -> tuple[_Extent, int]:
    """The scan of any worksheet XML, positioning cells exactly as calamine does. Slow (Python
    per tag the scan follows), so only for sheets the fast scan cannot model, up to 512 MB."""
    sheet = _ExactSheet(strings)
    return sheet.extent, sheet.run(chunks)


class _ExactSheet:
    """Cells as the reader finds them: start tags `c` between `<sheetData>` and `</sheetData>`
    (a cell without `r` follows the previous one; a row without `r` follows the previous row),
    never inside a comment, CDATA section or processing instruction. Inside a cell only `v`,
    `f` and `is` may open (the reader refuses anything else); the reader reads each whole, up
    to the end tag of the same name (and inside it, each `t` up to its own end tag), so no other
    tag the scan follows may stand in them: it is refused."""

    def __init__(self, strings: _Strings) -> None:
        self.extent = _Extent()
        self.sizes = strings.sizes if strings.exact else array("I")
        self.stage = _BEFORE
        self.row_index, self.column_index = 0, 0  # 0-based, like the reader's counters
        self.cell: tuple[int, int] | None = None  # the open cell
        self.shared = False  # … refers to the shared-string table
        self.kind = b""  # … its type (t) …
        self.value = False  # … and whether it holds a value the reader keeps (the last v, f or is decides)
        self.child: bytes | None = None  # the name of the cell's open v, f or is …
        self.text: bytes | None = None  # … and of a t open in it

    def run(self, chunks: Iterator[bytes]) -> int:
        size = 0
        tail = b""
        closing: bytes | None = None  # the end of the comment, CDATA or instruction the scan is in …
        search = 0  # … and where to look for it: from the last bytes of the previous buffer on
        for chunk, last in _lookahead(chunks):
            size += len(chunk)
            if size > _EXACT_MAX:
                raise _Refusal("file_structure", detail=f"unusual worksheet XML over {_EXACT_MAX >> 20} MB")
            buf = tail + chunk if tail else chunk
            cut = len(buf) if last else buf.rfind(b"<", 0, max(len(buf) - MAX_TAG, 0))
            if cut <= 0:
                if len(buf) > MAX_RUN + MAX_TAG:
                    raise _Refusal("cell_too_long", chars=f">{MAX_CELL_CHARS}", limit=MAX_CELL_CHARS)
                tail = buf
                continue
            _check_runs(buf, cut)
            pos = 0
            if closing is not None:
                end = buf.find(closing, search)
                if end < 0:
                    if last:
                        raise _unreadable()
                    search = max(len(buf) - len(closing) + 1, search) - cut
                    tail = buf[cut:]
                    continue
                pos, closing = end + len(closing), None
            while pos < cut:
                step = _STEP.match(buf, pos, cut)
                assert step is not None  # the pattern matches the empty string
                pos = step.end()
                if step.lastindex is None:
                    break
                self._tag(step, buf)
            if pos < cut:  # stopped by a token crossing the cut, or one not ending in this buffer
                if not last and _ONE.match(buf, pos):
                    cut = pos  # read whole with the next chunk
                else:
                    closing = next((end for start, end in _SECTION_ENDS.items() if buf.startswith(start, pos)), None)
                    if closing is None or last:
                        raise _unreadable()
                    search = len(buf) - len(closing) + 1 - cut
            tail = buf[max(pos, cut) :]
        return size

    def _tag(self, tag: re.Match[bytes], buf: bytes) -> None:
        if self.child is not None:
            self._child_tag(tag)
            return
        if tag["end"] is not None:
            name = tag["end_local"]
            if self.stage != _INSIDE:
                return
            if self.cell is not None:
                if name == b"c":
                    if self.value:  # the reader's box holds the cells with a value only
                        self.extent.kept += 1
                        self.extent.add(*self.cell)
                    self.cell = None
                return  # the reader ignores other end tags inside a cell
            if name == b"row":
                self.row_index, self.column_index = self.row_index + 1, 0
            elif name == b"sheetData":
                self.stage = _AFTER
            return
        whole = tag["whole"] is not None
        name = tag["whole_local"] if whole else tag["local"]
        empty = not whole and tag["empty"] == b"/"
        if self.stage != _INSIDE:
            if self.stage == _BEFORE and name == b"sheetData":
                self.stage = _AFTER if empty else _INSIDE
            return
        if self.cell is not None:
            if name not in (b"v", b"f", b"is"):
                raise _unreadable()
            self.value = self._value(name, tag, whole, empty)
            if name == b"f":
                self.extent.formulas.add(self.cell)
            elif name == b"v" and self.shared and not empty:
                self._shared_string(buf, tag.start("content") if whole else tag.end())
            if not (whole or empty):
                self.child = tag["start"]
        elif name == b"c":
            self._cell(tag["attrs"], empty)
        elif name == b"row":
            ref = next((d or s for key, d, s in _PAIR.findall(tag["attrs"]) if key == b"r"), b"")
            digits = _PLAIN_REF.fullmatch(ref)
            if digits:
                self.row_index = _ref(b"A", digits[2])[0] - 1
            if empty:
                self.row_index, self.column_index = self.row_index + 1, 0
        elif name == b"sheetData" and empty:
            self.stage = _AFTER

    def _child_tag(self, tag: re.Match[bytes]) -> None:
        if self.text is not None:
            if tag["end"] != self.text:
                raise _unreadable()
            self.text = None
        elif tag["end"] == self.child:
            self.child = None
        elif tag["local"] == b"t":
            if tag["empty"] != b"/":
                self.text = tag["start"]
        else:
            raise _unreadable()

    def _cell(self, attrs: bytes, empty: bool) -> None:
        ref = kind = b""
        for key, double, single in _PAIR.findall(attrs):  # the last of a repeated one counts
            if key == b"r":
                ref = double or single
            elif key == b"t":
                kind = double or single
        parsed = _PLAIN_REF.fullmatch(ref)
        if parsed and parsed[1]:
            row, column = _ref(parsed[1], parsed[2])
            self.column_index = column
        else:
            row, column = self.row_index + 1, self.column_index
        extent = self.extent
        extent.cells += 1
        extent.check(row, column)
        self.column_index += 1
        self.cell = None if empty else (row, column)
        self.shared = kind == b"s"
        self.kind, self.value = kind, False
        extent.shared_cells += self.shared

    def _value(self, name: bytes, tag: re.Match[bytes], whole: bool, empty: bool) -> bool:
        """Does the cell hold a value the reader keeps if this v, f or is is its last? A formula
        without a value after it, a `<v>` of an inline-string cell and an empty `<v>` (no text
        outside markup and entities; white space for a boolean) do not: the reader leaves such a
        cell out of its box. Kept when in doubt only where the reader keeps it whatever the text."""
        if name == b"is":
            return True
        if name == b"f" or self.kind == b"inlineStr":
            return False
        if self.kind in (b"str", b"d"):
            return True
        if not whole:  # <v/>: nothing; a <v> longer than MAX_TAG: kept (such cells cannot be many)
            return not empty
        content = tag["content"]
        if b"<" in content:  # the reader takes the text before any element, not what sections hold
            content = _IN_SECTION.sub(b"", content).partition(b"<")[0]
        return bool(_ENTITY.sub(b"", content).strip())

    def _shared_string(self, buf: bytes, start: int) -> None:
        """The shared string a `<v>` refers to: the reader takes the text up to the next markup."""
        stop = buf.find(b"<", start)
        value = buf[start : stop if stop >= 0 else len(buf)]
        if value.isdigit() and len(value) <= 10 and int(value) < len(self.sizes):
            self.extent.shared_text += self.sizes[int(value)]
        else:
            self.extent.shared_unknown += 1
