"""Open an export file and hand out its rows, whatever format it came in.

.xlsx/.xls/.ods go through python-calamine (cell types kept) in a worker process that parses
while `limits` checks what the workbook declares and what reading it would cost, and is killed
if the check refuses it; .csv is decoded as UTF-8 (with
or without BOM), UTF-16 (with or without BOM), or GB18030 (a superset of GBK), or as
`--encoding` says, and streamed. Files that are not tables (pictures, PDFs, web pages, empty
or cut-off downloads) and files beyond the limits are refused with a message saying what
the file is and what to do instead.
"""

from __future__ import annotations

import codecs
import csv
import itertools
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from lanjie.errors import BadInput
from lanjie.ingest.columns import HEADER_SCAN_ROWS, Header, find_header
from lanjie.ingest.limits import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_CSV_BYTES,
    MAX_ROWS,
    WorkbookScan,
    check_workbook,
    column_letters,
)
from lanjie.ingest.workbook import PARSES_BESIDE_SCAN, WorkbookReader

Row = tuple[int, Sequence[object]]

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF8", "image"),
    (b"%PDF", "pdf"),
    (b"PK\x03\x04", "zip"),
    (b"\xd0\xcf\x11\xe0", "ole"),
    (b"Rar!", "archive"),
    (b"7z\xbc\xaf", "archive"),
)


@dataclass
class Sheet:
    """The rows of one table: the scanned head and the rest, as (Excel row number, cells)."""

    path: Path
    name: str | None
    head: Sequence[Row]
    rest: Iterator[Row]
    header: Header | None
    formula_cells: frozenset[tuple[int, int]] = frozenset()  # (Excel row number, index in the row's cells)

    def data_rows(self) -> Iterator[Row]:
        start = self.header.row_index + 1 if self.header else 0
        return itertools.chain(self.head[start:], self.rest)


def sniff(data: bytes) -> str:
    """What kind of file these first bytes belong to."""
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return kind
    if data.startswith(b"BM") and data[6:10] == b"\0\0\0\0":
        return "image"
    if data[8:12] in (b"WEBP", b"heic", b"heix", b"avif") or data[4:8] == b"ftyp":
        return "image"
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml")):
        return "html"
    return "text"


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed every check that comes before using it: a workbook within the
    limits (`scan` says what it declares; `reader` is already parsing it), or a CSV with the
    encoding it decodes with."""

    path: Path
    scan: WorkbookScan | None = None
    reader: WorkbookReader | None = None
    encoding: str | None = None

    def discard(self) -> None:
        if self.reader is not None:
            self.reader.stop()


def open_sheet(path: Path, *, encoding: str | None = None) -> Sheet:
    """The sheet of `path` that holds the export (the one whose header fits best)."""
    return parse_checked(check_file(path, encoding=encoding))


def check_file(path: Path, *, encoding: str | None = None) -> CheckedFile:
    """Everything about `path` that can be refused before it is parsed."""
    if not path.exists():
        raise BadInput("file_not_found", path=path)
    if path.is_dir():
        raise BadInput("file_is_dir", path=path)
    try:
        with path.open("rb") as handle:
            start = handle.read(4096)
    except OSError as error:  # no permission, locked by another program, a dead network drive …
        raise BadInput("file_unreadable", path=path, detail=error.strerror or str(error)) from error
    if not start:
        raise BadInput("file_empty", path=path)
    kind = sniff(start)
    if kind in ("image", "pdf", "archive", "html"):
        raise BadInput(f"file_is_{kind}", path=path)
    if kind in ("zip", "ole") or path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        if kind == "text":
            raise BadInput("file_not_spreadsheet", path=path)
        # The parse starts now, beside the check of what the workbook declares and would cost,
        # with little memory until the check has passed the file; it is killed if the check
        # refuses it.
        reader = WorkbookReader.start(path, HEADER_SCAN_ROWS) if PARSES_BESIDE_SCAN else None
        try:
            scan = check_workbook(path, kind)
        except BaseException:
            if reader is not None:
                reader.stop()
            raise
        if reader is None:
            return CheckedFile(path, scan=scan, reader=WorkbookReader(path, HEADER_SCAN_ROWS, checked=True))
        reader.checked()
        return CheckedFile(path, scan=scan, reader=reader)
    return CheckedFile(path, encoding=_checked_csv(path, encoding))


def parse_checked(checked: CheckedFile) -> Sheet:
    """Parse a checked file into its sheet."""
    if checked.scan is not None and checked.reader is not None:
        return _open_workbook(checked.path, checked.scan, checked.reader)
    assert checked.encoding is not None
    return _open_csv(checked.path, checked.encoding)


def _open_workbook(path: Path, scan: WorkbookScan, reader: WorkbookReader) -> Sheet:
    try:
        found = reader.sheets()
        best: Sheet | None = None
        best_index = -1
        for index, (name, start, cells) in enumerate(found):
            head = list(enumerate(cells, 1))
            left = (start or (0, 0))[1]
            formulas = frozenset(
                (row + 1, column - left) for row, column in scan.formulas.get(name, ()) if column >= left
            )
            candidate = Sheet(path, name, head, iter(()), find_header(head), formulas)
            if best is None or _score(candidate) > _score(best):
                best, best_index = candidate, index
        if best is None:
            raise BadInput("file_no_rows", path=path)
    except BaseException:
        reader.stop()
        raise
    best.rest = reader.stream(best_index, len(best.head) + 1, best.header.used_columns() if best.header else ())
    return best


def _score(sheet: Sheet) -> int:
    return len(sheet.header.columns) if sheet.header else -1


def check_encoding(encoding: str) -> None:
    try:
        codecs.lookup(encoding)
    except LookupError as error:
        raise BadInput("unknown_encoding", encoding=encoding) from error


def _csv_encoding(path: Path, encoding: str | None) -> tuple[str, int]:
    """The encoding the whole of `path` decodes with, and an upper bound of its records (its
    line breaks + 1): `encoding` if given, else the one its BOM names, else UTF-16 if the
    bytes look like it (NUL bytes in every other position: the ASCII digits, commas and line
    breaks of a CSV), else UTF-8, else GB18030 (a superset of GBK). The file is decoded in
    chunks; only the answer is kept."""
    if encoding:
        check_encoding(encoding)
        lines = _decoded_lines(path, encoding)
        if lines is None:
            raise BadInput("wrong_encoding", path=path, encoding=encoding)
        return encoding, lines
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    candidates = ["utf-8-sig", "gb18030"]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates.insert(0, "utf-16")
    elif not head.startswith(codecs.BOM_UTF8):
        guess = _utf16_guess(head)
        if guess:
            candidates.insert(0, guess)
    for candidate in candidates:
        lines = _decoded_lines(path, candidate)
        if lines is not None:
            return candidate, lines
    raise BadInput("csv_undecodable", path=path)


def _utf16_guess(head: bytes) -> str | None:
    """UTF-16 without a BOM: many NUL bytes, nearly all in odd positions (little-endian: "1" is
    31 00) or nearly all in even ones (big-endian). Text in any other encoding has none."""
    sample = head[: len(head) // 2 * 2]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd >= len(sample) // 20 and odd >= 4 * even and odd:
        return "utf-16-le"
    if even >= len(sample) // 20 and even >= 4 * odd and even:
        return "utf-16-be"
    return None


def _decoded_lines(path: Path, encoding: str) -> int | None:
    """Line breaks + 1 if all of `path` decodes with `encoding`, else None."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = 1
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                text = decoder.decode(chunk)
                lines += text.count("\n") + text.count("\r")
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    return lines


def _checked_csv(path: Path, encoding: str | None) -> str:
    """The encoding the whole CSV decodes with, once it is known to be within the limits."""
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise BadInput("csv_too_big", path=path, size=f"{size / 2**20:,.0f}", limit=MAX_CSV_BYTES >> 20)
    chosen, lines = _csv_encoding(path, encoding)
    if lines > MAX_ROWS + 1:  # maybe too many records (a quoted cell may hold line breaks): count them
        for _ in _csv_rows(path, chosen):
            pass
    return chosen


def _open_csv(path: Path, chosen: str) -> Sheet:
    rows = _csv_rows(path, chosen)
    head = list(itertools.islice(rows, HEADER_SCAN_ROWS))
    if not any(any(c.strip() for c in cells) for _, cells in head):
        rows.close()
        raise BadInput("file_no_rows", path=path)
    return Sheet(path, None, head, rows, find_header(head))


def _csv_rows(path: Path, encoding: str) -> Generator[tuple[int, list[str]], None, None]:
    """The records of a CSV, streamed from the file (one record is one row in Excel, even when
    a quoted cell holds line breaks), refused past the row, column and cell limits."""
    csv.field_size_limit(MAX_CELL_CHARS)  # the csv module's limit is global; ours is the same everywhere
    with path.open(encoding=encoding, newline="") as handle:
        sample = handle.read(8192)
        if "\x00" in sample:
            raise BadInput("file_not_spreadsheet", path=path)
        handle.seek(0)
        delimiter = max(",\t;", key=sample.count) if sample else ","
        number = 0
        try:
            for number, cells in enumerate(csv.reader(handle, delimiter=delimiter), 1):
                if len(cells) > MAX_COLUMNS:
                    raise BadInput(
                        "too_many_columns",
                        path=path,
                        column=len(cells),
                        letters=column_letters(len(cells) - 1),
                        limit=MAX_COLUMNS,
                    )
                if number > MAX_ROWS + 1:
                    raise BadInput("too_many_rows", path=path, rows=number, limit=MAX_ROWS)
                yield number, cells
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                raise BadInput("cell_too_long", path=path, chars=f">{MAX_CELL_CHARS}", limit=MAX_CELL_CHARS) from None
            raise BadInput("file_corrupt", path=path, detail=f"{error} (row {number + 1})") from error
