"""Open an export file and hand out its rows, whatever format it came in.

.xlsx/.xls/.ods go through python-calamine (cell types kept); .csv is decoded as UTF-8
(with or without BOM), UTF-16, or GB18030 (a superset of GBK), or as `--encoding` says.
Files that are not tables (pictures, PDFs, web pages, empty or cut-off downloads) are
refused with a message saying what the file is and what to do instead.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import python_calamine

from lanjie.errors import BadInput
from lanjie.ingest.columns import HEADER_SCAN_ROWS, Header, find_header

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


def open_sheet(path: Path, *, encoding: str | None = None) -> Sheet:
    """The sheet of `path` that holds the export (the one whose header fits best)."""
    if not path.exists():
        raise BadInput("file_not_found", path=path)
    if path.is_dir():
        raise BadInput("file_is_dir", path=path)
    with path.open("rb") as handle:
        start = handle.read(4096)
    if not start:
        raise BadInput("file_empty", path=path)
    kind = sniff(start)
    if kind in ("image", "pdf", "archive", "html"):
        raise BadInput(f"file_is_{kind}", path=path)
    if kind in ("zip", "ole") or path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        if kind == "text":
            raise BadInput("file_not_spreadsheet", path=path)
        return _open_workbook(path)
    return _open_csv(path, encoding)


def _open_workbook(path: Path) -> Sheet:
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        best: Sheet | None = None
        for name in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(name)
            rows = enumerate(sheet.iter_rows(), (sheet.start or (0, 0))[0] + 1)
            head = list(itertools.islice(rows, HEADER_SCAN_ROWS))
            candidate = Sheet(path, name, head, rows, find_header(head))
            if best is None or _score(candidate) > _score(best):
                best = candidate
    except python_calamine.PasswordError as error:
        raise BadInput("file_password", path=path) from error
    except (python_calamine.CalamineError, python_calamine.ZipError, python_calamine.XmlError) as error:
        raise BadInput("file_corrupt", path=path, detail=str(error)) from error
    except Exception as error:  # calamine raises plain errors for some broken files
        raise BadInput("file_corrupt", path=path, detail=str(error)) from error
    if best is None:
        raise BadInput("file_no_rows", path=path)
    return best


def _score(sheet: Sheet) -> int:
    return len(sheet.header.columns) if sheet.header else -1


def check_encoding(encoding: str) -> None:
    try:
        codecs.lookup(encoding)
    except LookupError as error:
        raise BadInput("unknown_encoding", encoding=encoding) from error


def decode(data: bytes, encoding: str | None, path: Path) -> str:
    if encoding:
        check_encoding(encoding)
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as error:
            raise BadInput("wrong_encoding", path=path, encoding=encoding) from error
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    for candidate in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    raise BadInput("undecodable", path=path)


def _open_csv(path: Path, encoding: str | None) -> Sheet:
    text = decode(path.read_bytes(), encoding, path)
    if "\x00" in text:
        raise BadInput("file_not_spreadsheet", path=path)
    sample = text[:8192]
    delimiter = max(",\t;", key=sample.count) if sample else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    # One record is one row in Excel, even when a quoted cell holds line breaks.
    rows = enumerate(reader, 1)
    try:
        head = list(itertools.islice(rows, HEADER_SCAN_ROWS))
    except csv.Error as error:
        raise BadInput("file_corrupt", path=path, detail=str(error)) from error
    if not any(any(c.strip() for c in cells) for _, cells in head):
        raise BadInput("file_no_rows", path=path)
    return Sheet(path, None, head, _guard_csv(rows, path), find_header(head))


def _guard_csv(rows: Iterator[Row], path: Path) -> Iterator[Row]:
    try:
        yield from rows
    except csv.Error as error:
        raise BadInput("file_corrupt", path=path, detail=str(error)) from error
