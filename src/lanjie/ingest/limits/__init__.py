"""What a workbook declares and what reading it would cost, checked before the reader sees it.

python-calamine reads a whole sheet in one call and cannot be stopped half-way: it allocates
the bounding box of the used cells (rows × columns × 32 bytes), keeps every shared string,
copies a shared string into every cell that refers to it, expands the repeated rows and
cells of an .ods, and sizes some buffers from counts the file merely declares. A 40 KB file
can therefore ask for hundreds of gigabytes and abort the process. So each workbook is
streamed through here first — decompressed in chunks, never held whole, with C-level byte
searches instead of a per-cell Python loop — and refused with a `BadInput` (exit 2) when it
goes beyond the documented limits (defined in `common`). What passes costs about what its
honest content costs: the box is at most 8 × the cells that hold a value, and the text the reader
materialises at most a fixed amount per cell.

The scan also collects the cells that hold a formula (absolute 0-based row and column, by
sheet name) so the row builder can refuse formulas in identifier columns.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from lanjie.errors import BadInput
from lanjie.ingest.limits.common import (
    BOX_FLOOR,
    BOX_PER_CELL,
    BYTES_FLOOR,
    BYTES_PER_CELL,
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_CSV_BYTES,
    MAX_PARTS,
    MAX_ROWS,
    MAX_RUN,
    MAX_TAG,
    OTHER_PART_MAX,
    OTHER_PARTS_TOTAL,
    REPEAT_FLOOR,
    SHEET_MAX,
    STRINGS_MAX,
    TEXT_FLOOR,
    TEXT_PER_CELL,
    XLS_MAX_ROWS,
    WorkbookScan,
    _Refusal,
    column_letters,
)
from lanjie.ingest.limits.ods import _check_ods
from lanjie.ingest.limits.xls import XLS_MAX_BYTES, _check_xls
from lanjie.ingest.limits.xlsx import _check_xlsx
from lanjie.ingest.limits.zipped import _check_declared, _normal

__all__ = [
    "BOX_FLOOR",
    "BOX_PER_CELL",
    "BYTES_FLOOR",
    "BYTES_PER_CELL",
    "MAX_CELL_CHARS",
    "MAX_COLUMNS",
    "MAX_CSV_BYTES",
    "MAX_PARTS",
    "MAX_ROWS",
    "MAX_RUN",
    "MAX_TAG",
    "OTHER_PARTS_TOTAL",
    "OTHER_PART_MAX",
    "REPEAT_FLOOR",
    "SHEET_MAX",
    "STRINGS_MAX",
    "TEXT_FLOOR",
    "TEXT_PER_CELL",
    "XLS_MAX_BYTES",
    "XLS_MAX_ROWS",
    "WorkbookScan",
    "check_workbook",
    "column_letters",
]


def check_workbook(path: Path, kind: str) -> WorkbookScan:
    """Refuse `path` (a zip or OLE workbook, as sniffed) if reading it would break a limit."""
    try:
        if kind == "ole":
            return _check_xls(path)
        return _check_zip(path)
    except _Refusal as refusal:
        raise BadInput(refusal.key, path=path, **refusal.params) from None


def _check_zip(path: Path) -> WorkbookScan:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise BadInput("file_corrupt", path=path, detail=str(error)) from error
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_PARTS:
            raise _Refusal("file_structure", detail=f"{len(parts)} parts (at most {MAX_PARTS})")
        for info in parts:
            _check_declared(info)
        names = {_normal(info.filename) for info in parts}
        if len(names) < len(parts):
            raise _Refusal("file_structure", detail="two parts with the same name")
        if "content.xml" not in names and "xl/workbook.xml" not in names:
            raise BadInput("file_not_spreadsheet", path=path)
        scan = WorkbookScan()
        if "content.xml" in names:  # the reader picks the format by the file's suffix or content
            _check_ods(path, parts, scan)
        if "xl/workbook.xml" in names:
            _check_xlsx(path, parts, scan)
        return scan
