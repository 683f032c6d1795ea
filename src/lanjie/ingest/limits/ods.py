""".ods: content.xml table row by table row, counting the rows and cells the reader expands."""

from __future__ import annotations

import html
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lanjie.ingest.limits.common import (
    BOX_FLOOR,
    BOX_PER_CELL,
    BYTES_FLOOR,
    BYTES_PER_CELL,
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_ROWS,
    REPEAT_FLOOR,
    SHEET_MAX,
    WorkbookScan,
    _attributes,
    _mb,
    _Refusal,
    _too_many_columns,
)
from lanjie.ingest.limits.zipped import _check_others, _inflate, _lookahead, _normal

_ODS_TOKEN = re.compile(rb"<()table:table(-row)?(?=[\s/>])|<(/)table:table()>")  # row starts, table starts and ends
_ODS_CELL = re.compile(rb"<table:(?:covered-)?table-cell(?=[\s/>])((?:[^>\"']|\"[^\"]*\"|'[^']*')*+)>")
_ROWS_REPEATED = re.compile(rb"table:number-rows-repeated\s*=\s*[\"']\+?(\d+)")
_COLUMNS_REPEATED = re.compile(rb"table:number-columns-repeated\s*=\s*[\"']\+?(\d+)")
_ODS_VALUE = re.compile(
    rb"(?:office:(?:value|string-value|date-value|time-value|boolean-value)|table:formula)\s*="
    rb"|office:value-type\s*=\s*[\"']string[\"']"
)
_MORE_THAN_ONE = rb"\s*=\s*[\"']\+?0*(?:[2-9]|[1-9][0-9])"
_CONTENT = (
    rb"(?:office:(?:value|string-value|date-value|time-value|boolean-value)\s*="
    rb"|table:formula\s*=|office:value-type\s*=\s*[\"']string)"
)
_REPEAT_THEN_VALUE = re.compile(rb"table:number-columns-repeated" + _MORE_THAN_ONE + rb"[^>]*?" + _CONTENT)
_VALUE_THEN_REPEAT = re.compile(
    rb"office:[^>]*?table:number-columns-repeated" + _MORE_THAN_ONE
)  # formulas: see _ods_row
_SPACES = re.compile(rb"<text:s\b[^>]*?\stext:c\s*=\s*[\"']\+?(\d+)")
_ODS_MAX_ROW = 8 << 20  # one table row of content.xml


def _repeat(value: bytes) -> int:
    """A repeat count as the reader parses it; one that no sheet can hold is refused."""
    if len(value) > 9:
        raise _Refusal("too_many_rows", rows=value[:12].decode() + "…", limit=MAX_ROWS)
    return int(value)


@dataclass
class _Table:
    name: str
    written: int = 0  # cell elements written
    first: int = -1  # 0-based expanded row index of the first and last rows with content
    last: int = -1
    width: int = 0
    materialised: int = 0  # cells the reader creates, counting repeats
    text: int = 0  # bytes of row content the reader copies, counting repeats
    row: int = 0  # expanded index of the next row
    formulas: set[tuple[int, int]] = field(default_factory=set)


def _check_ods(path: Path, parts: list[zipfile.ZipInfo], scan: WorkbookScan) -> None:
    """content.xml, table row by table row. The reader (calamine) repeats a row's cells
    `number-rows-repeated` times and a cell `number-columns-repeated` times, drops trailing
    empty cells and rows, and keeps the empty rows between rows with content; so a tiny file
    can declare millions of rows. Per row a few C-level searches; per cell work only for rows
    with repeated content, formulas or very long text."""
    tables: list[_Table] = []
    others: list[zipfile.ZipInfo] = []
    for info in parts:
        name = _normal(info.filename)
        if name == "content.xml":
            tables = _scan_content(path, info)
        elif not name.startswith(("thumbnails/", "pictures/", "xl/")) and name.endswith(".xml"):
            others.append(info)
    _check_others(path, others)
    for table in tables:
        if table.formulas:
            scan.formulas[table.name] = frozenset(table.formulas)


def _scan_content(path: Path, info: zipfile.ZipInfo) -> list[_Table]:
    tables: list[_Table] = []
    table: _Table | None = None
    size = 0
    tail = b""
    for chunk, last in _lookahead(_inflate(path, info, SHEET_MAX)):
        size += len(chunk)
        buf = tail + chunk if tail else chunk
        tokens = list(_ODS_TOKEN.finditer(buf))
        if not last and not tokens:
            if len(buf) > _ODS_MAX_ROW:
                raise _Refusal("file_structure", detail="a table row over 8 MB")
            tail = buf
            continue
        ends = [token.start() for token in tokens[1:]] + [len(buf)]
        stop = len(tokens) if last else len(tokens) - 1  # the last segment may go on in the next chunk
        for token, end in zip(tokens[:stop], ends[:stop], strict=True):
            closing, row = token[3], token[2]
            if closing:
                table = None
            elif not row:
                tag_end = buf.find(b">", token.end())
                attrs = _attributes(buf[token.end() : tag_end].decode("utf-8", "replace"))
                table = _Table(attrs.get("table:name", ""))
                if "table:name" in attrs:
                    tables.append(table)
            elif table is not None:
                _ods_row(table, buf[token.start() : end])
        tail = buf[tokens[-1].start() :] if not last else b""
        if len(tail) > _ODS_MAX_ROW:
            raise _Refusal("file_structure", detail="a table row over 8 MB")
    written = sum(table.written for table in tables)
    if size > max(BYTES_FLOOR, BYTES_PER_CELL * written):
        raise _Refusal("sheet_oversized", size=_mb(size), cells=written, per_cell=BYTES_PER_CELL)
    for table in tables:
        _check_table(table)
    return tables


def _ods_row(table: _Table, segment: bytes) -> None:
    tag_end = segment.find(b">")
    repeated = _ROWS_REPEATED.search(segment, 0, tag_end + 1)
    rows = _repeat(repeated[1]) if repeated else 1
    cells = segment.count(b"<table:table-cell") + segment.count(b"<table:covered-table-cell")
    table.written += cells
    index = table.row
    table.row += rows
    if not cells:
        return
    repeats = b"-repeated" in segment
    if len(segment) > MAX_CELL_CHARS or b"table:formula" in segment or (repeats and _repeats_content(segment)):
        width, text = _ods_cells(table, segment, index, rows)
    else:  # no cell with content repeated: C-level counts
        width, text = cells, len(segment)
        if repeats:
            counts = [_repeat(n) for n in _COLUMNS_REPEATED.findall(segment, tag_end)]
            width += sum(counts) - len(counts) - _trailing_empty(segment)
        if b"text:c" in segment:
            spaces = [_repeat(n) for n in _SPACES.findall(segment)]
            if spaces and max(spaces) > MAX_CELL_CHARS:
                raise _Refusal("cell_too_long", chars=max(spaces), limit=MAX_CELL_CHARS)
            text += sum(spaces)
    if width <= 0:
        return
    if width > MAX_COLUMNS:
        raise _too_many_columns(width - 1)
    if table.first < 0:
        table.first = index
    table.last = index + rows - 1
    if table.last >= MAX_ROWS:
        raise _Refusal("too_many_rows", rows=table.last + 1, limit=MAX_ROWS)
    table.width = max(table.width, width)
    table.materialised += rows * width
    table.text += rows * text


def _repeats_content(segment: bytes) -> bool:
    """Is a cell with content repeated (number-columns-repeated > 1)? LibreOffice repeats empty
    cells in most rows, which cost nothing: two searches per row, with literal prefixes."""
    return bool(_REPEAT_THEN_VALUE.search(segment) or _VALUE_THEN_REPEAT.search(segment))


def _trailing_empty(segment: bytes) -> int:
    """Columns after the last cell with content, which the reader drops."""
    dropped = 0
    end = len(segment)
    while True:
        start = max(segment.rfind(b"<table:table-cell", 0, end), segment.rfind(b"<table:covered-table-cell", 0, end))
        if start < 0:
            return dropped
        tag = segment[start : segment.find(b">", start)]
        if (b"office:" in tag or b"table:formula" in tag) and _ODS_VALUE.search(tag):
            return dropped
        repeated = _COLUMNS_REPEATED.search(tag) if b"-repeated" in tag else None
        dropped += _repeat(repeated[1]) if repeated else 1
        end = start


def _ods_cells(table: _Table, segment: bytes, index: int, rows: int) -> tuple[int, int]:
    """One row cell by cell: its width without trailing empty cells, the bytes its cells copy
    (repeats counted), formula cells, and the characters of each cell."""
    column = 0
    width = 0
    text = 0
    cells = list(_ODS_CELL.finditer(segment))
    ends = [cell.start() for cell in cells[1:]] + [len(segment)]
    for cell, end in zip(cells, ends, strict=True):
        repeated = _COLUMNS_REPEATED.search(cell[1])
        count = _repeat(repeated[1]) if repeated else 1
        body = segment[cell.start() : end]
        if _ODS_VALUE.search(cell[1]):
            chars = _ods_chars(body)
            if chars > MAX_CELL_CHARS:
                raise _Refusal("cell_too_long", chars=chars, limit=MAX_CELL_CHARS)
            if b"table:formula" in cell[1]:
                table.formulas.update(
                    (index + r, column + c) for r in range(min(rows, 64)) for c in range(min(count, 64))
                )
            text += count * (len(body) + chars)
            width = column + count
        column += count
        if column > MAX_COLUMNS and width > MAX_COLUMNS:
            break
    return width, text


def _ods_chars(body: bytes) -> int:
    """Characters the reader makes of one cell: its string-value attribute, else its paragraphs
    joined by line breaks, with `<text:s text:c="n"/>` as n spaces."""
    tag = body[: body.find(b">") + 1]
    if b"office:string-value" in tag:
        value = _attributes(tag.decode("utf-8", "replace")).get("office:string-value", "")
        return len(value)
    spaces = sum(_repeat(n) for n in _SPACES.findall(body))
    if spaces > MAX_CELL_CHARS:
        return spaces
    text = html.unescape(re.sub(rb"<[^>]*>", b"", body[len(tag) :]).decode("utf-8", "replace"))
    return spaces + len(text) + max(body.count(b"<text:p") - 1, 0)


def _check_table(table: _Table) -> None:
    if table.first < 0:
        return
    rows = table.last - table.first + 1
    box = rows * table.width
    if box > max(BOX_FLOOR, BOX_PER_CELL * table.written):
        raise _Refusal("rows_declared", rows=rows, columns=table.width, written=table.written)
    if table.materialised - table.written > max(REPEAT_FLOOR, table.written):
        raise _Refusal("rows_declared", rows=rows, columns=table.width, written=table.written)
    if table.text > max(BYTES_FLOOR, BYTES_PER_CELL * table.written):
        raise _Refusal("strings_copied", size=_mb(table.text), cells=table.written)
