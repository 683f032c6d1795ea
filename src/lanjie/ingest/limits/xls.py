""".xls: the workbook stream of an OLE compound file, walked BIFF record by record."""

from __future__ import annotations

import struct
from pathlib import Path

from lanjie.ingest.limits.common import (
    BOX_FLOOR,
    BOX_PER_CELL,
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    TEXT_FLOOR,
    TEXT_PER_CELL,
    XLS_MAX_ROWS,
    WorkbookScan,
    _Extent,
    _mb,
    _Refusal,
    _too_many_columns,
)

XLS_MAX_BYTES = 512 << 20
_XLS_CELLS = {0x0203, 0x027E, 0x00FD, 0x0204, 0x0201, 0x0205, 0x0006, 0x00D6, 0x00BD, 0x00BE}
_RECORD = struct.Struct("<HHHH")


def _check_xls(path: Path) -> WorkbookScan:
    """.xls (BIFF8 in an OLE compound file). The format caps a sheet at 65,536 rows, but the
    reader still trusts the DIMENSIONS record when it allocates, takes any column number a cell
    record gives (up to 65,535), and copies a shared string into every cell using it; so the
    workbook stream is walked record by record (Python per record: .xls files are small)."""
    size = path.stat().st_size
    if size > XLS_MAX_BYTES:
        raise _Refusal("file_unpacked_too_big", part="Workbook", size=_mb(size), packed=_mb(size))
    data = _ole_stream(path.read_bytes(), ("workbook", "book"))
    scan = WorkbookScan()
    if data is None:  # an encrypted .xlsx, or no workbook at all: the reader says which
        return scan
    names: dict[int, str] = {}
    strings: list[bytes] = []
    sizes: list[int] = []
    total_cells = 0
    text = 0
    record = _RECORD.unpack_from
    pos = 0
    end = len(data)
    sheet: _Extent | None = None
    sheet_name = ""
    while pos + 4 <= end:
        kind, length = struct.unpack_from("<HH", data, pos)
        body = pos + 4
        if kind in _XLS_CELLS and sheet is not None and length >= 4:
            _, _, row, column = record(data, pos)
            if kind in (0x00BD, 0x00BE) and length >= 6:  # MULRK / MULBLANK: the last column ends it
                last = struct.unpack_from("<H", data, body + length - 2)[0]
                sheet.cells += max(last - column + 1, 1)
                sheet.add(row + 1, max(last, column))
            else:
                sheet.cells += 1
            sheet.add(row + 1, column)
            if kind == 0x00FD and length >= 10:
                index = struct.unpack_from("<I", data, body + 6)[0]
                text += sizes[index] if index < len(sizes) else 0
            elif kind == 0x0006:
                sheet.formulas.add((row + 1, column))
        elif kind == 0x0809 and length >= 4:  # BOF
            if struct.unpack_from("<H", data, body + 2)[0] in (0x0010, 0x0020, 0x0040):
                sheet, sheet_name = _Extent(), names.get(pos, "")
        elif kind == 0x000A:  # EOF
            if sheet is not None:
                total_cells += sheet.cells
                _check_xls_sheet(sheet)
                if sheet.formulas:
                    scan.formulas[sheet_name] = frozenset((r - 1, c) for r, c in sheet.formulas)
            sheet = None
        elif kind == 0x0200 and sheet is not None:  # DIMENSIONS
            _check_dimension(data[body : body + length])
        elif kind == 0x0085 and length >= 8:  # BOUNDSHEET
            offset = struct.unpack_from("<I", data, body)[0]
            names[offset] = _xls_name(data[body + 6 : body + length])
        elif kind == 0x00FC:  # SST, with its CONTINUE records
            strings = [data[body : body + length]]
            following = body + length
            while following + 4 <= end and struct.unpack_from("<H", data, following)[0] == 0x003C:
                more = struct.unpack_from("<H", data, following + 2)[0]
                strings.append(data[following + 4 : following + 4 + more])
                following += 4 + more
            sizes = _sst_sizes(strings)
        pos = body + length
    if text > max(TEXT_FLOOR, TEXT_PER_CELL * total_cells):
        raise _Refusal("strings_copied", size=_mb(text), cells=total_cells)
    return scan


def _check_xls_sheet(sheet: _Extent) -> None:
    if sheet.high:
        rows = sheet.high - sheet.low + 1
        if rows * (sheet.right + 1) > max(BOX_FLOOR, BOX_PER_CELL * sheet.cells):
            raise _Refusal("sheet_sparse", rows=rows, columns=sheet.right + 1, cells=sheet.cells)


def _check_dimension(body: bytes) -> None:
    """The DIMENSIONS record: the reader sizes a buffer from it, so rows or columns the format
    cannot have (a tiny file declaring 4 billion rows aborts the process) are refused. Within
    the format the reader only reserves, it does not fill; the cells decide the box."""
    if len(body) >= 14:
        first_row, last_row, first_column, last_column = struct.unpack_from("<IIHH", body)
    elif len(body) >= 10:
        first_row, last_row, first_column, last_column = struct.unpack_from("<HHHH", body)
    else:
        return
    if last_row > XLS_MAX_ROWS or last_row < first_row:
        raise _Refusal("too_many_rows", rows=last_row, limit=XLS_MAX_ROWS)
    if last_column > 256 or last_column < first_column:
        raise _too_many_columns(max(last_column - 1, MAX_COLUMNS))


def _xls_name(body: bytes) -> str:
    if len(body) < 2:
        return ""
    count, flags = body[0], body[1]
    raw = body[2 : 2 + count * (2 if flags & 1 else 1)]
    return raw.decode("utf-16-le" if flags & 1 else "latin-1", "replace")


def _sst_sizes(pieces: list[bytes]) -> list[int]:
    """UTF-8 size (upper bound) of each string of the SST record and its CONTINUE records;
    refused when one has more characters than a cell may hold. A string's characters may
    continue in the next record, which then starts with a new flags byte."""
    sizes: list[int] = []
    piece, pos = 0, 8

    def take(count: int) -> bytes:
        nonlocal piece, pos
        out = b""
        while count and piece < len(pieces):
            chunk = pieces[piece][pos : pos + count]
            out += chunk
            count -= len(chunk)
            pos += len(chunk)
            if pos >= len(pieces[piece]) and count:
                piece, pos = piece + 1, 0
        return out

    while piece < len(pieces) and (pos < len(pieces[piece]) or piece + 1 < len(pieces)):
        if pos >= len(pieces[piece]):
            piece, pos = piece + 1, 0
            continue
        head = take(3)
        if len(head) < 3:
            break
        chars, flags = struct.unpack("<HB", head)
        runs = struct.unpack("<H", take(2))[0] if flags & 8 else 0
        extra = struct.unpack("<i", take(4))[0] if flags & 4 else 0
        wide = flags & 1
        left = chars
        while left and piece < len(pieces):
            available = (len(pieces[piece]) - pos) >> wide
            if available <= 0:
                piece, pos = piece + 1, 0
                if piece < len(pieces):
                    wide = pieces[piece][0] & 1 if pieces[piece] else 0
                    pos = 1
                continue
            step = min(left, available)
            pos += step << wide
            left -= step
        if chars > MAX_CELL_CHARS:
            raise _Refusal("cell_too_long", chars=chars, limit=MAX_CELL_CHARS)
        sizes.append(chars * 3)
        take(4 * runs + max(extra, 0))
    return sizes


def _ole_stream(data: bytes, names: tuple[str, ...]) -> bytes | None:
    """One stream of an OLE compound file (the container of .xls), read with every index
    checked against the file's size."""
    if len(data) < 512 or data[:8] != b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return None
    shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
    if shift not in (9, 12) or mini_shift != 6:
        raise _Refusal("file_corrupt", detail="OLE header")
    sector = 1 << shift
    count = (len(data) - 512) // sector + 1
    fat_sectors, first_directory = struct.unpack_from("<II", data, 0x2C)
    cutoff, first_mini_fat, mini_fat_sectors, first_difat, difat_sectors = struct.unpack_from("<IIIII", data, 0x38)
    if fat_sectors > count or difat_sectors > count or mini_fat_sectors > count:
        raise _Refusal("file_corrupt", detail="OLE sector counts")

    def at(index: int) -> bytes:
        if index >= count:
            raise _Refusal("file_corrupt", detail="OLE sector index")
        start = 512 + index * sector
        return data[start : start + sector]

    difat = list(struct.unpack_from("<109I", data, 0x4C))
    following = first_difat
    for _ in range(difat_sectors):
        if following >= 0xFFFFFFFA:
            break
        block = at(following)
        values = struct.unpack(f"<{sector // 4}I", block)
        difat.extend(values[:-1])
        following = values[-1]
    fat: list[int] = []
    for index in difat[:fat_sectors]:
        fat.extend(struct.unpack(f"<{sector // 4}I", at(index)))

    def chain(start: int, table: list[int], limit: int) -> list[int]:
        out: list[int] = []
        while start < 0xFFFFFFFA:
            if start >= len(table) or len(out) > limit:
                raise _Refusal("file_corrupt", detail="OLE chain")
            out.append(start)
            start = table[start]
        return out

    directory = b"".join(at(i) for i in chain(first_directory, fat, count))
    entries = [directory[i : i + 128] for i in range(0, len(directory) - 127, 128)]
    if not entries:
        return None
    root = entries[0]
    for entry in entries:
        length = min(struct.unpack_from("<H", entry, 0x40)[0], 64)
        name = entry[: max(length - 2, 0)].decode("utf-16-le", "replace").lower()
        if entry[0x42] != 2 or name not in names:
            continue
        start, size = struct.unpack_from("<II", entry, 0x74)
        if size > len(data):
            raise _Refusal("file_corrupt", detail="OLE stream size")
        if size >= cutoff:
            return b"".join(at(i) for i in chain(start, fat, count))[:size]
        mini_fat: list[int] = []
        for index in chain(first_mini_fat, fat, count)[:mini_fat_sectors]:
            mini_fat.extend(struct.unpack(f"<{sector // 4}I", at(index)))
        root_start = struct.unpack_from("<I", root, 0x74)[0]
        mini_stream = b"".join(at(i) for i in chain(root_start, fat, count))
        blocks = chain(start, mini_fat, len(mini_stream) // 64 + 1)
        return b"".join(mini_stream[i * 64 : i * 64 + 64] for i in blocks)[:size]
    return None
