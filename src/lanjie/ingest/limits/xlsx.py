""".xlsx / .xlsm: which parts are worksheets, each worksheet's cost against the limits, and the
sheet names its formula cells are reported under."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lanjie.ingest.limits.common import (
    BOX_FLOOR,
    BOX_PER_CELL,
    BYTES_FLOOR,
    BYTES_PER_CELL,
    OTHER_PART_MAX,
    SHEET_MAX,
    TEXT_FLOOR,
    TEXT_PER_CELL,
    WorkbookScan,
    _attributes,
    _Extent,
    _mb,
    _NotCanonical,
    _Refusal,
)
from lanjie.ingest.limits.exact_sheet import _exact_sheet
from lanjie.ingest.limits.fast_sheet import _FastSheet
from lanjie.ingest.limits.shared_strings import _scan_strings, _Strings
from lanjie.ingest.limits.zipped import _check_others, _inflate, _normal, _read_part

_SHEET_FOLDERS = ("worksheets", "chartsheets", "dialogsheets", "macrosheets")
_SKIP_FOLDERS = ("xl/media/", "xl/embeddings/", "xl/printersettings/", "docprops/thumbnail")


@dataclass
class _Totals:
    cells: int = 0  # cells written in all sheets
    sheet_bytes: int = 0


def _check_xlsx(raw: Path, parts: list[zipfile.ZipInfo], scan: WorkbookScan) -> None:
    strings = _Strings()
    sheets: list[zipfile.ZipInfo] = []
    others: list[zipfile.ZipInfo] = []
    for info in parts:
        name = _normal(info.filename)
        pieces = name.split("/")
        if len(pieces) > 2 and pieces[1] in _SHEET_FOLDERS:
            sheets.append(info)
        elif name == "xl/sharedstrings.xml":  # the one place every calamine version reads them from
            _scan_strings(raw, info, strings)
        elif not name.startswith(_SKIP_FOLDERS) and not name.endswith(".bin"):
            others.append(info)
    _check_others(raw, others)
    totals = _Totals()
    found: dict[str, set[tuple[int, int]]] = {}
    for info in sheets:
        formulas = _scan_worksheet(raw, info, strings, totals)
        if formulas:
            found[_normal(info.filename)] = formulas
    limit = max(BYTES_FLOOR, BYTES_PER_CELL * totals.cells)
    if strings.total > limit:
        raise _Refusal("strings_oversized", size=_mb(strings.total), cells=totals.cells)
    if strings.declared is not None and strings.declared > max(65_536, 2 * len(strings.sizes)):
        raise _Refusal("strings_declared", declared=strings.declared, found=len(strings.sizes))
    if found:
        names = _sheet_parts(raw, parts)
        for part, cells in found.items():
            for sheet_name in names.get(part, ()):
                scan.formulas[sheet_name] = frozenset(cells)


def _sheet_parts(raw: Path, parts: list[zipfile.ZipInfo]) -> dict[str, list[str]]:
    """Sheet names by the (normalised) part each one is read from."""
    by_name = {_normal(info.filename): info for info in parts}
    rels_info, book_info = by_name.get("xl/_rels/workbook.xml.rels"), by_name.get("xl/workbook.xml")
    if rels_info is None or book_info is None:
        return {}
    rels = _read_part(raw, rels_info, OTHER_PART_MAX).decode("utf-8", "replace")
    book = _read_part(raw, book_info, OTHER_PART_MAX).decode("utf-8", "replace")
    targets: dict[str, str] = {}
    for tag in re.findall(r"<(?:\w+:)?Relationship\b[^>]*>", rels):
        attrs = _attributes(tag)
        if "Id" in attrs and "Target" in attrs:
            targets[attrs["Id"]] = attrs["Target"]
    result: dict[str, list[str]] = {}
    for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", book):
        attrs = _attributes(tag)
        target = targets.get(attrs.get("r:id", attrs.get("relationships:id", "")))
        if target is None or "name" not in attrs:
            continue
        for candidate in _resolve(target):
            if candidate in by_name:
                result.setdefault(candidate, []).append(attrs["name"])
                break
    return result


def _resolve(target: str) -> list[str]:
    """The part a workbook relationship target names, the way calamine's versions resolve it."""
    target = target.replace("\\", "/")
    joined = target[1:] if target.startswith("/") else target if target.startswith("xl/") else f"xl/{target}"
    normal = target[1:] if target.startswith("/") else f"xl/{target}"
    pieces: list[str] = []
    for piece in normal.split("/"):
        if piece == "..":
            if pieces:
                pieces.pop()
        elif piece not in ("", "."):
            pieces.append(piece)
    return [_normal("/".join(pieces)), _normal(joined), _normal(str(PurePosixPath(joined)))]


def _scan_worksheet(raw: Path, info: zipfile.ZipInfo, strings: _Strings, totals: _Totals) -> set[tuple[int, int]]:
    """Refuse one worksheet part beyond the limits; its formula cells (absolute, 0-based)."""
    if info.file_size > SHEET_MAX:
        raise _Refusal(
            "file_unpacked_too_big", part=info.filename, size=_mb(info.file_size), packed=_mb(info.compress_size)
        )
    # Strings no longer than TEXT_PER_CELL cannot break the text budget, however often used.
    need_text = strings.largest > TEXT_PER_CELL
    try:
        fast = _FastSheet(need_text, strings)
        extent, size = fast.run(_inflate(raw, info, SHEET_MAX))
        if _sparse(extent) and not fast.counted_all:  # the box outgrew the cells counted as kept
            extent, size = _FastSheet(need_text, strings, count_all=True).run(_inflate(raw, info, SHEET_MAX))
        if _sparse(extent) and extent.kept < extent.cells and size <= BYTES_FLOOR and not _sparse(extent, True):
            raise _NotCanonical  # cells without a value widen the fast scan's box, not the reader's
    except _NotCanonical:
        extent, size = _exact_sheet(_inflate(raw, info, SHEET_MAX), strings)
    totals.cells += extent.cells
    totals.sheet_bytes += size
    if totals.sheet_bytes > SHEET_MAX:
        raise _Refusal("file_unpacked_too_big", part=info.filename, size=_mb(totals.sheet_bytes), packed="-")
    if size > max(BYTES_FLOOR, BYTES_PER_CELL * extent.cells):
        raise _Refusal("sheet_oversized", size=_mb(size), cells=extent.cells, per_cell=BYTES_PER_CELL)
    if _sparse(extent):
        raise _Refusal("sheet_sparse", rows=extent.rows, columns=extent.right + 1, cells=extent.kept)
    if strings.sizes:
        unknown = extent.shared_unknown if need_text else extent.cells
        text = extent.shared_text + unknown * strings.largest
        if text > max(TEXT_FLOOR, TEXT_PER_CELL * extent.cells):
            raise _Refusal("strings_copied", size=_mb(text), cells=extent.cells)
    return {(row - 1, column) for row, column in extent.formulas}


def _sparse(extent: _Extent, written: bool = False) -> bool:
    """Is the box the reader allocates beyond what the cells it keeps explain? (It leaves cells
    without a value out of the box, so they explain nothing.) Or, `written`, even every cell?"""
    return extent.box > max(BOX_FLOOR, BOX_PER_CELL * (extent.cells if written else extent.kept))
