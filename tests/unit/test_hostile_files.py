"""Hostile files are bounded: every file here was crashing or exhausting the reader, or is a
legitimate file near a limit. Each is written by a real writer (xlsxwriter, openpyxl, odfpy,
xlwt) or as raw bytes (CSV, hand-made zip parts); each refusal goes through the real CLI in
a fresh process: exit 2, a plain message in Chinese and in English, no traceback."""

from __future__ import annotations

import random
import re
import struct
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from exports import aftersale, csv_bytes, write_xlsx
from lanjie.demo import HEADERS
from lanjie.errors import BadInput
from lanjie.ingest.limits import MAX_CELL_CHARS, check_workbook, column_letters
from lanjie.ingest.limits.common import _Extent as Extent
from lanjie.ingest.limits.fast_sheet import _number_pattern, _rows_pattern
from lanjie.ingest.load import load_exports
from lanjie.ingest.read import open_sheet

TRACKING = HEADERS.index("发货物流单号")


# --------------------------------------------------------------------------- helpers


def refused(path: Path, zh: Sequence[str], en: Sequence[str]) -> None:
    """`lanjie triage PATH --json`, in Chinese and in English (two processes at once): exit 2,
    the message parts on stderr, nothing on stdout, no traceback."""
    commands = [
        [sys.executable, "-m", "lanjie", "triage", str(path), "--json", *extra] for extra in ([], ["--lang", "en"])
    ]
    runs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in commands]
    for run, fragments in zip(runs, (zh, en), strict=True):
        stdout, stderr = run.communicate(timeout=120)
        assert run.returncode == 2, (run.returncode, stderr[-2000:])
        assert "Traceback" not in stderr and "Traceback" not in stdout
        assert stdout == ""
        for fragment in fragments:
            assert fragment in stderr, stderr


def refusal(path: Path) -> BadInput:
    with pytest.raises(BadInput) as caught:
        open_sheet(path)
    return caught.value


XLSX_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
XLSX_PARTS = {
    "[Content_Types].xml": XLSX_TYPES,
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships '
    'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook '
    'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships '
    'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>',
}
SHEET_START = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def header_row() -> bytes:
    cells = "".join(f'<c r="{column_letters(i)}1" t="inlineStr"><is><t>{h}</t></is></c>' for i, h in enumerate(HEADERS))
    return f'<row r="1">{cells}</row>'.encode()


def write_crafted_xlsx(path: Path, sheet: Iterable[bytes], extra: dict[str, Iterable[bytes]] | None = None) -> Path:
    """An .xlsx made by hand with zipfile: the four fixed parts, the sheet's XML streamed in
    the pieces given (so a huge part never sits in memory), and any extra parts."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in XLSX_PARTS.items():
            archive.writestr(name, text)
        for name, pieces in {"xl/worksheets/sheet1.xml": sheet, **(extra or {})}.items():
            with archive.open(name, "w", force_zip64=True) as part:
                for piece in pieces:
                    part.write(piece)
    return path


def declare_size(path: Path, name: str, size: int) -> None:
    """Make the zip's central directory claim `size` unpacked bytes for `name` (a zip64 entry)."""
    data = bytearray(path.read_bytes())
    encoded = name.encode()
    entry = data.find(b"PK\x01\x02")
    while entry >= 0:
        name_length, extra_length = struct.unpack_from("<HH", data, entry + 28)
        if bytes(data[entry + 46 : entry + 46 + name_length]) == encoded:
            extra = entry + 46 + name_length
            end = extra + extra_length
            while extra < end:
                tag, length = struct.unpack_from("<HH", data, extra)
                if tag == 1:  # zip64: unpacked size first
                    struct.pack_into("<Q", data, extra + 4, size)
                extra += 4 + length
            path.write_bytes(bytes(data))
            return
        entry = data.find(b"PK\x01\x02", entry + 4)
    raise AssertionError(f"{name} not in {path}")


# --------------------------------------------------------------------------- .xlsx


def test_a_value_in_the_last_cell_of_the_grid_is_refused_not_a_crash(tmp_path: Path) -> None:
    # python-calamine alone aborts the process on this 5 KB file (it allocates the 512 GiB box).
    path = tmp_path / "xfd.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADERS)
    sheet.write("XFD1048576", "x")
    book.close()
    refused(path, ["第 16384 列（XFD 列）", "200 列"], ["column 16384 (XFD)", "200 columns"])


def test_the_201st_column_is_refused_the_200th_is_read(tmp_path: Path) -> None:
    path = tmp_path / "wide.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADERS)
    sheet.write_row(1, 0, [aftersale()[h] for h in HEADERS])
    sheet.write(1, 199, "第 200 列")  # GR: still inside the limit
    book.close()
    assert len(load_exports([path]).aftersales) == 1
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADERS)
    sheet.write(1, 200, "第 201 列")
    book.close()
    refused(path, ["第 201 列（GS 列）"], ["column 201 (GS)"])


def test_a_stray_cell_far_below_is_refused_for_the_box_it_makes(tmp_path: Path) -> None:
    path = tmp_path / "sparse.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADERS)
    sheet.write(99_999, 199, "远处")
    book.close()
    refused(path, ["100000 行 × 200 列", "51 个单元格有内容"], ["100000 rows × 200 columns", "only 51 cells"])


def test_a_row_beyond_excels_last_row_is_refused(tmp_path: Path) -> None:
    sheet = [SHEET_START, b"<sheetData>", header_row(), b'<row r="2000000"><c r="A2000000"><v>1</v></c></row>']
    path = write_crafted_xlsx(tmp_path / "deep.xlsx", [*sheet, b"</sheetData></worksheet>"])
    refused(path, ["第 2000000 行", "1048576 行"], ["row 2000000", "1048576 rows"])


def test_a_lying_dimension_is_harmless_and_read(tmp_path: Path) -> None:
    # calamine does not allocate from <dimension>; the cells decide.
    row = aftersale(发货物流单号="73610555500001")
    cells = "".join(
        f'<c r="{column_letters(i)}2" t="inlineStr"><is><t>{row[h]}</t></is></c>' for i, h in enumerate(HEADERS)
    )
    sheet = [SHEET_START, b'<dimension ref="A1:XFD1048576"/><sheetData>', header_row()]
    path = write_crafted_xlsx(
        tmp_path / "dim.xlsx", [*sheet, f'<row r="2">{cells}</row>'.encode(), b"</sheetData></worksheet>"]
    )
    [record] = load_exports([path]).aftersales
    assert [p.tracking_no for p in record.parcels] == ["73610555500001"]


def test_cells_written_without_references_are_placed_like_the_reader_places_them(tmp_path: Path) -> None:
    # No r= on the cells: position by counting, as calamine does; the 201st cell of a row is refused.
    cells = b"<c><v>1</v></c>" * 201
    path = write_crafted_xlsx(
        tmp_path / "counted.xlsx", [SHEET_START, b"<sheetData><row>", cells, b"</row></sheetData></worksheet>"]
    )
    assert refusal(path).key == "too_many_columns"
    prefixed = b'<x:c r="XFD1"><x:v>1</x:v></x:c>'  # a namespace prefix is still a cell to the reader
    path = write_crafted_xlsx(
        tmp_path / "prefixed.xlsx",
        [SHEET_START, b"<sheetData>", header_row(), b'<row r="1">', prefixed, b"</row></sheetData></worksheet>"],
    )
    assert refusal(path).key == "too_many_columns"


def test_a_far_cell_deep_in_a_big_sheet_is_found_across_chunk_boundaries(tmp_path: Path) -> None:
    # 12 MB of plain rows (three chunks of the streaming scan), then one cell beyond the box.
    def rows() -> Iterable[bytes]:
        yield SHEET_START + b"<sheetData>" + header_row()
        for number in range(2, 60_000):
            yield f'<row r="{number}"><c r="A{number}" t="inlineStr"><is><t>{"x" * 150}</t></is></c></row>'.encode()
        yield b'<row r="60000"><c r="GS60000"><v>1</v></c></row></sheetData></worksheet>'

    path = write_crafted_xlsx(tmp_path / "deep-cell.xlsx", rows())
    assert refusal(path).params["letters"] == "GS"


def test_a_cell_over_32767_characters_is_refused_one_at_the_limit_is_read(tmp_path: Path) -> None:
    # openpyxl cuts a longer string to Excel's 32,767 characters: that file is legitimate.
    path = tmp_path / "limit.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(HEADERS))
    sheet.append(["甲" * 40_000 if h == "用户售后说明" else aftersale()[h] for h in HEADERS])
    book.save(path)
    [record] = load_exports([path]).aftersales
    assert record.buyer_note == "甲" * MAX_CELL_CHARS
    # Written by hand: 40,000 characters, in the shared-string table and inline.
    strings = [b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>x</t></si><si><t>']
    strings += ["甲&amp;".encode() * 20_000, b"</t></si></sst>"]
    sheet_xml = [SHEET_START, b"<sheetData>", header_row(), b'<row r="2"><c r="A2" t="s"><v>1</v></c></row>']
    path = write_crafted_xlsx(
        tmp_path / "long.xlsx", [*sheet_xml, b"</sheetData></worksheet>"], {"xl/sharedStrings.xml": strings}
    )
    refused(path, ["40000 个字符", "32767"], ["40000 characters", "32767"])
    inline = b'<row r="2"><c r="A2" t="inlineStr"><is><t>' + "乙".encode() * 40_000 + b"</t></is></c></row>"
    path = write_crafted_xlsx(
        tmp_path / "inline.xlsx", [SHEET_START, b"<sheetData>", header_row(), inline, b"</sheetData></worksheet>"]
    )
    assert refusal(path).params["chars"] == 40_000


def test_one_200_mb_shared_string_is_refused_without_reading_it(tmp_path: Path) -> None:
    # 200 MB of one letter packs to 0.2 MB; the reader needs 3.7 GB for it. The scan stops early.
    strings = [b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>']
    strings += [b"a" * (1 << 20)] * 200 + [b"</t></si></sst>"]
    sheet = [SHEET_START, b'<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>']
    path = write_crafted_xlsx(tmp_path / "bomb.xlsx", sheet, {"xl/sharedStrings.xml": strings})
    assert path.stat().st_size < 1 << 20
    started = time.perf_counter()
    assert refusal(path).key == "cell_too_long"
    assert time.perf_counter() - started < 2
    declare_size(path, "xl/sharedStrings.xml", 4096)  # the zip now lies about the size: no difference
    refused(path, ["个字符", "32767"], ["characters", "32767"])


def test_a_short_string_copied_into_very_many_cells_is_refused(tmp_path: Path) -> None:
    # The reader copies a shared string into every cell that uses it: 30,000 cells × 20,000
    # characters is 1.8 GB from a 100 KB file.
    strings = [b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="1"><si><t>']
    strings += [b"b" * 20_000, b"</t></si></sst>"]
    rows = (f'<row r="{n}"><c r="A{n}" t="s"><v>0</v></c></row>'.encode() for n in range(1, 30_001))
    path = write_crafted_xlsx(
        tmp_path / "copies.xlsx",
        [SHEET_START, b"<sheetData>", *rows, b"</sheetData></worksheet>"],
        {"xl/sharedStrings.xml": strings},
    )
    refused(path, ["复制约", "30000 个单元格"], ["copy about", "30000 cells"])


def test_a_string_table_declaring_billions_of_strings_is_refused(tmp_path: Path) -> None:
    # calamine reserves room for uniqueCount strings up front: 4e9 aborts the process.
    strings = [b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" ']
    strings += [b'uniqueCount="4000000000"><si><t>x</t></si></sst>']
    sheet = [SHEET_START, b'<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>']
    path = write_crafted_xlsx(tmp_path / "declared.xlsx", sheet, {"xl/sharedStrings.xml": strings})
    refused(path, ["声明有 4000000000 段文字"], ["declares 4000000000 strings"])


def test_a_sheet_far_bigger_than_its_cells_explain_is_refused(tmp_path: Path) -> None:
    padding = b"<!-- padding padding padding padding padding padding padding -->" * 16_384  # 1 MB
    sheet = [SHEET_START, b"<sheetData>", header_row(), *([padding] * 80), b"</sheetData></worksheet>"]
    path = write_crafted_xlsx(tmp_path / "padded.xlsx", sheet)
    refused(path, ["解压后有 80 MB", "50 个单元格"], ["unpacks to 80 MB", "50 cells"])


def test_formula_cells_are_exposed_at_their_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "formula.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(HEADERS))
    row = aftersale()
    sheet.append(["=1+1" if h == "发货物流单号" else row[h] for h in HEADERS])
    book.save(path)
    assert open_sheet(path).formula_cells == {(2, TRACKING)}
    # The same, with the table starting at C4: rows keep Excel's numbers, columns count from
    # the first used one (as in the cells each row hands out).
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for column, header in enumerate(HEADERS, 3):
        sheet.cell(row=4, column=column, value=header)
        sheet.cell(row=5, column=column, value="=1+1" if header == "发货物流单号" else row[header])
    book.save(path)
    opened = open_sheet(path)
    assert opened.formula_cells == {(5, TRACKING)}
    assert opened.header is not None and opened.header.row_index == 3
    number, cells = next(opened.data_rows())
    assert number == 5 and cells[HEADERS.index("售后单号")] == row["售后单号"]


def test_rows_keep_excels_numbers_when_the_sheet_starts_lower(tmp_path: Path) -> None:
    path = tmp_path / "lower.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(2, 0, HEADERS)
    sheet.write_row(3, 0, [str(aftersale()[h]) for h in HEADERS])
    book.close()
    [record] = load_exports([path]).aftersales
    assert record.source.row == 4


# --------------------------------------------------------------------------- .ods / .xls


def test_an_ods_declaring_a_million_repeated_rows_is_refused(tmp_path: Path) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = Table(name="Sheet1")
    header = TableRow()
    for value in HEADERS:
        cell = TableCell(valuetype="string")
        cell.addElement(P(text=value))
        header.addElement(cell)
    table.addElement(header)
    row = TableRow(numberrowsrepeated=1_000_000)
    cell = TableCell(valuetype="string", numbercolumnsrepeated=50)
    cell.addElement(P(text="7300000000000000001"))
    row.addElement(cell)
    table.addElement(row)
    document.spreadsheet.addElement(table)
    path = tmp_path / "repeated.ods"
    document.save(str(path))
    assert path.stat().st_size < 20_000
    refused(path, ["声明了 1000001 行 × 50 列", "只写了 51 个单元格"], ["1000001 rows × 50 columns", "only 51 cells"])


def test_ods_formula_cells_are_exposed(tmp_path: Path) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = Table(name="Sheet1")
    row = aftersale()
    for data, values in ((False, list(HEADERS)), (True, [row[h] for h in HEADERS])):
        table_row = TableRow()
        for header, value in zip(HEADERS, values, strict=True):
            if data and header == "发货物流单号":
                cell = TableCell(valuetype="float", value=2, formula="of:=1+1")
            else:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=str(value)))
            table_row.addElement(cell)
        table.addElement(table_row)
    document.spreadsheet.addElement(table)
    path = tmp_path / "formula.ods"
    document.save(str(path))
    assert open_sheet(path).formula_cells == {(2, TRACKING)}


def test_xls_bounds(tmp_path: Path) -> None:
    import xlwt

    # A shared string copied into 10,000 cells: 30,000 characters each.
    book = xlwt.Workbook()
    sheet = book.add_sheet("Sheet1")
    for column, header in enumerate(HEADERS):
        sheet.write(0, column, header)
    for number in range(1, 10_001):
        sheet.write(number, 0, "长" * 30_000)
    path = tmp_path / "copies.xls"
    book.save(str(path))
    refused(path, ["复制约"], ["copy about"])
    # A DIMENSIONS record claiming 4 billion rows aborts calamine; it is refused here.
    book = xlwt.Workbook()
    sheet = book.add_sheet("Sheet1")
    sheet.write(0, 0, "售后单号")
    sheet.write(1, 0, xlwt.Formula("1+1"))
    book.save(str(path))
    data = bytearray(path.read_bytes())
    assert open_sheet(path).formula_cells == {(2, 0)}
    dimension = data.find(struct.pack("<HH", 0x0200, 14))
    struct.pack_into("<II", data, dimension + 4, 0, 0xFFFFFFFF)
    path.write_bytes(bytes(data))
    refused(path, ["第 4294967295 行", "65536"], ["row 4294967295", "65536"])


# --------------------------------------------------------------------------- CSV


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_csv_without_bom_is_read(tmp_path: Path, encoding: str) -> None:
    rows = [aftersale(发货物流单号="73610555512345"), aftersale(发货物流单号="YT8962646785389")]
    path = tmp_path / "u16.csv"
    path.write_bytes(csv_bytes(rows, encoding=encoding))
    assert not path.read_bytes().startswith((b"\xff\xfe", b"\xfe\xff"))
    batch = load_exports([path])
    assert [p.tracking_no for r in batch.aftersales for p in r.parcels] == ["73610555512345", "YT8962646785389"]


def test_undecodable_csv_names_the_encodings_that_work(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(b"\xff\xff\x81\x30\xfe" * 100)
    refused(
        path, ["UTF-8、GBK/GB18030、UTF-16", "--encoding utf-16"], ["UTF-8, GBK/GB18030, UTF-16", "--encoding utf-16"]
    )


def test_csv_limits(tmp_path: Path) -> None:
    wide = tmp_path / "wide.csv"
    wide.write_bytes((",".join(["售后单号"] * 201) + "\n1" + ",x" * 200 + "\n").encode())
    refused(wide, ["第 201 列（GS 列）"], ["column 201 (GS)"])
    long = tmp_path / "long.csv"
    long.write_bytes(csv_bytes([aftersale(用户售后说明="长" * (MAX_CELL_CHARS + 1))], encoding="utf-8"))
    refused(long, ["个字符", "32767"], ["characters", "32767"])
    deep = tmp_path / "deep.csv"
    with deep.open("wb") as handle:
        handle.write("售后单号,售后类型,发货物流单号\n".encode())
        handle.write(b"1,2,3\n" * 1_048_577)
    started = time.perf_counter()
    assert refusal(deep).key == "too_many_rows"  # refused before any row is used
    assert time.perf_counter() - started < 10


# --------------------------------------------------------------------------- the scan itself


def random_sheet(rng: random.Random) -> tuple[bytes, set[tuple[int, int]]]:
    """A small worksheet in one of the XML styles real writers (or hand edits) produce: rows
    in any order, references in upper or lower case or with leading zeros, attributes in any
    order and quoting, cells without references, namespace prefixes; some formulas. Also the
    formula cells' absolute 0-based positions."""
    prefix = rng.choice(["", "", "", "x:"])
    rows = sorted(rng.sample(range(1, 400), rng.randint(1, 40)))
    if rng.random() < 0.3:
        rng.shuffle(rows)
    formulas: set[tuple[int, int]] = set()
    out = [
        f'<{prefix}worksheet xmlns{":x" if prefix else ""}="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><{prefix}sheetData>'
    ]
    for row in rows:
        columns = sorted(rng.sample(range(60), rng.randint(1, 12)))
        out.append(f'<{prefix}row r="{row}">' if rng.random() < 0.9 else f"<{prefix}row>")
        counted = rng.random() < 0.1  # references left out: the reader counts
        for column in columns if not counted else range(len(columns)):
            letters = column_letters(column)
            ref = f"{letters.lower() if rng.random() < 0.1 else letters}{'0' if rng.random() < 0.05 else ''}{row}"
            attrs = [f'r="{ref}"'] if not counted else []
            value = f"<{prefix}v>{rng.randint(0, 999)}</{prefix}v>"
            if rng.random() < 0.3:
                attrs.append('t="inlineStr"')
                value = f"<{prefix}is><{prefix}t>{'字' * rng.randint(0, 30)}</{prefix}t></{prefix}is>"
            elif rng.random() < 0.1 and not counted:
                value = f"<{prefix}f>1+{column}</{prefix}f>" + value
                formulas.add((row - 1, column))
            if rng.random() < 0.3:
                attrs.append('s="1"')
            rng.shuffle(attrs)
            quoted = " ".join(a.replace('"', "'") if rng.random() < 0.1 else a for a in attrs)
            out.append(f"<{prefix}c {quoted}>{value}</{prefix}c>" if rng.random() < 0.95 else f"<{prefix}c {quoted}/>")
        out.append(f"</{prefix}row>")
    out.append(f"</{prefix}sheetData></{prefix}worksheet>")
    return "".join(out).encode(), formulas


@pytest.mark.parametrize("seed", range(40))
def test_the_scan_covers_what_the_reader_reads(tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import python_calamine

    from lanjie.ingest.limits import common, exact_sheet, fast_sheet, shared_strings, zipped

    monkeypatch.setattr(zipped, "_CHUNK", 97)  # every boundary case, many times per sheet
    monkeypatch.setattr(shared_strings, "_CHUNK", 97)
    monkeypatch.setattr(fast_sheet, "_OVERLAP", 64)
    rng = random.Random(seed)
    sheet, formulas = random_sheet(rng)
    path = write_crafted_xlsx(tmp_path / "random.xlsx", [sheet])
    found = check_workbook(path, "zip").formulas.get("Sheet1", frozenset())
    info = zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml")
    try:  # the route check_workbook takes
        extent, _ = fast_sheet._FastSheet(False, shared_strings._Strings()).run(zipped._inflate(path, info, 1 << 30))
    except common._NotCanonical:
        extent, _ = exact_sheet._exact_sheet(zipped._inflate(path, info, 1 << 30), shared_strings._Strings())
    read = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Sheet1")
    if read.start is not None and read.end is not None:  # the box the reader allocates lies inside the scan's
        assert extent.low - 1 <= read.start[0] and read.end[0] <= extent.high - 1
        assert read.end[1] <= extent.right
    if b"<row>" not in sheet and b"<x:row>" not in sheet:
        assert found == formulas


def test_legitimate_exports_pass_and_their_claims_are_exact(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "ok.xlsx", [aftersale() for _ in range(200)])
    assert check_workbook(path, "zip").formulas == {}
    for low in (1, 7, 95, 99, 100, 998, 1000, 99_990, 1_048_570):
        for high in (low, low + 1, low + 9, low + 123, low * 3 + 17):
            pattern = re.compile(rf"(?:{'|'.join(_number_pattern(low, high))})$")
            for number in {low - 1, low, low + 1, (low + high) // 2, high - 1, high, high + 1, high * 10}:
                assert bool(pattern.match(str(number))) == (low <= number <= high), (low, high, number)


# --------------------------------------------------------------------------- the fast scan's shortcuts


def fast_extent(path: Path) -> Extent:
    """The fast scan of Sheet1 alone: its extent, or _NotCanonical / _Refusal as raised."""
    from lanjie.ingest.limits import fast_sheet, shared_strings, zipped

    info = zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml")
    extent, _ = fast_sheet._FastSheet(False, shared_strings._Strings()).run(zipped._inflate(path, info, 1 << 30))
    return extent


def test_the_columns_of_the_first_rows_count_for_the_box_and_the_limit(tmp_path: Path) -> None:
    # The fast scan learns the columns in use from the first rows; those cells are in the box
    # (200 header columns over 60,000 one-cell rows is a 12-million-cell box for 60,200 cells) …
    path = tmp_path / "wide-header.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, [f"列{i}" for i in range(200)])
    for number in range(1, 60_001):
        sheet.write_number(number, 0, number)
    book.close()
    caught = refusal(path)
    assert caught.key == "sheet_sparse"
    assert (caught.params["rows"], caught.params["columns"], caught.params["cells"]) == (60_001, 200, 60_200)
    # … and one of them beyond the 200th column is refused, not taken as the width of the sheet.
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADERS)
    sheet.write(1, 0, "1")
    sheet.write(1, 701, "ZZ2")
    sheet.write_column(2, 0, [str(n) for n in range(3, 200)])
    book.close()
    refused(path, ["第 702 列（ZZ 列）"], ["column 702 (ZZ)"])


def test_a_cell_just_outside_the_box_hidden_mid_sheet_is_found(tmp_path: Path) -> None:
    # Three 4 MB chunks of plain rows; one cell in the middle names a row or column just past
    # the others, with as many digits (the row claims are widened to digit ranges) and the
    # same number of cells and bytes as the plain sheet.
    def sheet(hidden: str) -> Iterable[bytes]:
        yield SHEET_START + b"<sheetData>" + header_row()
        for number in range(2, 60_001):
            ref = hidden if number == 30_000 else f"A{number}"
            yield f'<row r="{number}"><c r="{ref}" t="inlineStr"><is><t>{"x" * 150}</t></is></c></row>'.encode()
        yield b"</sheetData></worksheet>"

    plain = fast_extent(write_crafted_xlsx(tmp_path / "plain.xlsx", sheet("A30000")))
    assert (plain.low, plain.high, plain.right, plain.cells) == (1, 60_000, 49, 60_049)
    for hidden, row, column in (("A60001", 60_001, 49), ("A99999", 99_999, 49), ("AY30000", 60_000, 50)):
        extent = fast_extent(write_crafted_xlsx(tmp_path / f"{hidden}.xlsx", sheet(hidden)))
        assert (extent.low, extent.high, extent.right, extent.cells) == (1, row, column, 60_049), hidden


def test_the_scan_is_exact_wherever_the_chunks_are_cut(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every way a chunk boundary can fall across a far cell, a formula and the cells around them.
    from lanjie.ingest.limits import fast_sheet, zipped

    monkeypatch.setattr(fast_sheet, "_OVERLAP", 64)
    rows = [
        f'<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="B{n}" t="inlineStr"><is><t>b</t></is></c></row>'
        for n in range(1, 40)
    ]
    rows[20] = '<row r="21"><c r="A21"><v>1</v></c><c r="B21"><f>A21+1</f><v>2</v></c></row>'
    rows[25] = '<row r="26"><c r="A26"><v>1</v></c><c r="C97"><v>2</v></c></row>'  # row 97, column C
    path = write_crafted_xlsx(
        tmp_path / "cuts.xlsx", [SHEET_START, b"<sheetData>", "".join(rows).encode(), b"</sheetData></worksheet>"]
    )
    for size in range(70, 400, 3):
        monkeypatch.setattr(zipped, "_CHUNK", size)
        extent = fast_extent(path)
        assert (extent.low, extent.high, extent.right, extent.cells) == (1, 97, 2, 78), size
        assert extent.formulas == {(21, 1)}, size


def test_a_formula_opening_a_chunk_belongs_to_the_cell_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lanjie.ingest.limits import fast_sheet, zipped

    head = SHEET_START + b'<sheetData><row r="5"><c r="A5"><v>1</v></c><c r="B5">'
    rest = b"1" * 200 + b'</f><v>2</v></c><c r="C5"><v>3</v></c></row></sheetData></worksheet>'
    path = write_crafted_xlsx(tmp_path / "formula-cut.xlsx", [head, b"<f>", rest])
    monkeypatch.setattr(fast_sheet, "_OVERLAP", 64)
    monkeypatch.setattr(zipped, "_CHUNK", len(head) + 100)  # the first chunk is processed up to "<f>"
    assert check_workbook(path, "zip").formulas == {"Sheet1": frozenset({(4, 1)})}


def test_formulas_are_found_among_many_f_bytes(tmp_path: Path) -> None:
    # "f" bytes are looked at one by one while they are few, then searched with a regex.
    text = '<c r="A{n}" t="inlineStr"><is><t>ff ff&lt;f &lt;f></t></is></c>'
    rows = [f'<row r="{n}">{text.format(n=n)}<c r="B{n}"><v>1</v></c></row>' for n in range(1, 60)]
    rows[40] = '<row r="41"><c r="A41"><v>1</v></c><c r="B41"><f>A41*2</f><v>2</v></c></row>'
    rows[50] = '<row r="51"><c r="A51"><v>1</v></c><c r="B51"><f/><v>2</v></c></row>'
    path = write_crafted_xlsx(
        tmp_path / "fff.xlsx", [SHEET_START, b"<sheetData>", "".join(rows).encode(), b"</sheetData></worksheet>"]
    )
    assert fast_extent(path).formulas == {(41, 1), (51, 1)}
    assert check_workbook(path, "zip").formulas == {"Sheet1": frozenset({(40, 1), (50, 1)})}


@pytest.mark.parametrize(
    "hidden",
    [
        b"<!-- " + b'<c r="A1"/>' * 100 + b" -->",  # fake cells would inflate the count …
        b'<c r="A3" t="inlineStr"><is><t><![CDATA[<c r="XFD3"/>]]></t></is></c>',  # … or fake a far one
        b'<?fake <c r="A1"/>?>',
        b'<x:c r="B3"><x:v>1</x:v></x:c>',
        b'<c r="B3"><x:f>1+1</x:f><v>2</v></c>',
    ],
)
def test_markup_the_byte_searches_do_not_model_goes_to_the_exact_scan(tmp_path: Path, hidden: bytes) -> None:
    from lanjie.ingest.limits.common import _NotCanonical

    sheet = [SHEET_START, b'<sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="3">', hidden]
    path = write_crafted_xlsx(tmp_path / "markup.xlsx", [*sheet, b"</row></sheetData></worksheet>"])
    with pytest.raises(_NotCanonical):
        fast_extent(path)


def test_the_xml_declaration_and_plain_punctuation_stay_on_the_fast_scan(tmp_path: Path) -> None:
    text = '<c r="B{n}" t="inlineStr"><is><t>好评！ok? yes! a:b c:d &lt;!-- no</t></is></c>'
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c>{text.format(n=n)}</row>' for n in range(1, 30))
    sheet = [b"\xef\xbb\xbf" + SHEET_START, b"<sheetData>", rows.encode(), b"</sheetData></worksheet>"]
    extent = fast_extent(write_crafted_xlsx(tmp_path / "plain.xlsx", sheet))
    assert (extent.low, extent.high, extent.right, extent.cells) == (1, 29, 1, 58)


def test_row_claims_stay_inside_the_rows_already_found() -> None:
    assert _rows_pattern(4200, 6300, 1, 8400) == "[1-7][0-9]{3}"
    assert _rows_pattern(4200, 6300, 4200, 6300) == "|".join(_number_pattern(4200, 6300))
    rng = random.Random(7)
    for _ in range(3000):
        floor = rng.randint(1, 1_100_000)
        ceiling = floor + rng.choice([0, 1, 9, 10, 99, 999, 5000, 10 ** rng.randint(1, 6)])
        low = rng.randint(floor, ceiling)
        high = rng.randint(low, ceiling)
        pattern = re.compile(rf"(?:{_rows_pattern(low, high, floor, ceiling)})$")
        for number in {floor - 1, floor, low - 1, low, (low + high) // 2, high, high + 1, ceiling, ceiling + 1}:
            if low <= number <= high:
                assert pattern.match(str(number)), (low, high, floor, ceiling, number)
            elif pattern.match(str(number)):
                assert floor <= number <= ceiling, (low, high, floor, ceiling, number, pattern.pattern)


# --------------------------------------------------------------------------- the exact scan


def exact_extent(path: Path) -> Extent:
    """The exact scan of Sheet1 alone: its extent, or _Refusal as raised."""
    from lanjie.ingest.limits import exact_sheet, shared_strings, zipped

    info = zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml")
    extent, _ = exact_sheet._exact_sheet(zipped._inflate(path, info, 1 << 30), shared_strings._Strings())
    return extent


def reader_box(path: Path) -> tuple[int, int, int]:
    """The box python-calamine allocates for Sheet1: first and last row (1-based), last column."""
    import python_calamine

    read = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    assert read.start is not None and read.end is not None
    return read.start[0] + 1, read.end[0] + 1, read.end[1]


@pytest.mark.parametrize(
    ("start", "end"),
    [(b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?padding ", b"?>")],
    ids=["comment", "cdata", "instruction"],
)
def test_cells_inside_comments_cdata_or_instructions_buy_no_room(tmp_path: Path, start: bytes, end: bytes) -> None:
    # The reader skips their content: for it, 160,000 cells written there do not exist, and A1 with
    # GR6000 make it allocate 6000 × 200 cells. Counted, they would allow a box of 1.28 million;
    # the same at 1,048,576 rows (290 MB of padding, deflated to under 1 MB) would cost 6.7 GB.
    sheet = [SHEET_START, b'<sheetData><row r="1"><c r="A1"><v>1</v></c></row>', start]
    sheet += [b'<c r="A1"/>' * 160_000, end, b'<row r="6000"><c r="GR6000"><v>1</v></c></row></sheetData></worksheet>']
    path = write_crafted_xlsx(tmp_path / "padded.xlsx", sheet)
    assert reader_box(path) == (1, 6000, 199)
    if start == b"<!--":
        refused(path, ["6000 行 × 200 列", "只有 2 个单元格"], ["6000 rows × 200 columns", "only 2 cells"])
    else:
        caught = refusal(path)
        assert (caught.key, caught.params["rows"], caught.params["cells"]) == ("sheet_sparse", 6000, 2)


def test_comments_cdata_and_instructions_are_skipped_wherever_the_chunks_are_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Long ones (the scan looks for their end in the chunks that follow), short ones crossing a
    # cut, ends split between chunks, and look-alikes in attribute values hiding a real cell.
    from lanjie.ingest.limits import exact_sheet, zipped

    monkeypatch.setattr(exact_sheet, "MAX_TAG", 64)
    fake = '<c r="GR900"><f>1</f><v>1</v></c></row><row r="5000"><c r="A5000"/>'
    rows = [f'<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="B{n}"><v>1</v></c></row>' for n in range(1, 40)]
    rows[5] += f"<!--{fake * 8}--->-- -->"
    rows[6] += f"<!----><!--->{fake}-->"
    rows[10] = f'<row r="11"><c r="A11" t="inlineStr"><is><t><![CDATA[{fake * 8}]]]]><![CDATA[>]]></t></is></c></row>'
    rows[15] += f"<?padding {fake * 8}??>"
    rows[20] = '<row r="21"><c r="A21" x="<!--"><v>1</v></c><c r="C97"><f>A21</f><v>2</v></c>'
    rows[20] += '<c x="-->"><v>3</v></c></row>'
    path = write_crafted_xlsx(
        tmp_path / "sections.xlsx", [SHEET_START, b"<sheetData>", "".join(rows).encode(), b"</sheetData></worksheet>"]
    )
    assert reader_box(path) == (1, 97, 3)
    for size in range(40, 900, 7):
        monkeypatch.setattr(zipped, "_CHUNK", size)
        extent = exact_extent(path)
        assert (extent.low, extent.high, extent.right, extent.cells) == (1, 97, 3, 78), size
        assert extent.formulas == {(97, 2)}, size


@pytest.mark.parametrize("seed", range(20))
def test_comments_cdata_and_instructions_anywhere_change_nothing(
    tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Between any two tokens of a random sheet, holding cells, rows and formulas for the eye only.
    from lanjie.ingest.limits import exact_sheet, zipped

    rng = random.Random(seed)
    sheet, _ = random_sheet(rng)
    fakes = [
        '<c r="GR900"><f>1</f><v>1</v></c>',
        '</c></row><row r="5000">',
        '<x:c r="A1"/>',
        "</sheetData>",
        "--",
        "]]",
        "?",
    ]
    noisy = b""
    for token in re.findall(rb"<[^>]*>|[^<]+", sheet):
        noisy += token
        if rng.random() < 0.3:
            start, end = rng.choice([("<!--", "-->"), ("<![CDATA[", "]]>"), ("<?x ", "?>")])
            noisy += (start + "".join(rng.choices(fakes, k=rng.randint(0, 4))) + end).encode()
    monkeypatch.setattr(exact_sheet, "MAX_TAG", 64)
    monkeypatch.setattr(zipped, "_CHUNK", rng.choice([97, 301, 1000]))
    plain = exact_extent(write_crafted_xlsx(tmp_path / "plain.xlsx", [sheet]))
    extent = exact_extent(write_crafted_xlsx(tmp_path / "noisy.xlsx", [noisy]))
    assert (extent.low, extent.high, extent.right, extent.cells) == (plain.low, plain.high, plain.right, plain.cells)
    assert extent.formulas == plain.formulas


def test_a_sheet_with_comments_and_cdata_text_is_read_with_its_box(tmp_path: Path) -> None:
    row = aftersale(用户售后说明='<c r="XFD1"/> & <!-- 不是注释 -->')
    cells = "".join(
        f'<c r="{column_letters(i)}2" t="inlineStr"><is><t><![CDATA[{row[h]}]]></t></is></c>'
        for i, h in enumerate(HEADERS)
    )
    sheet = [SHEET_START, b"<!-- written by hand --><sheetData>", header_row(), b"<?keep going?>"]
    sheet += [f'<row r="2">{cells}</row>'.encode(), b"</sheetData></worksheet>"]
    path = write_crafted_xlsx(tmp_path / "cdata.xlsx", sheet)
    extent = exact_extent(path)
    assert (extent.low, extent.high, extent.right, extent.cells) == (1, 2, 49, 100)
    assert reader_box(path) == (1, 2, 49)
    [record] = load_exports([path]).aftersales
    assert record.buyer_note == '<c r="XFD1"/> & <!-- 不是注释 -->'


@pytest.mark.parametrize(
    ("sheet", "box", "cells"),
    [
        # Attribute values are read as such, whatever they look like; the last r of a cell counts.
        pytest.param(
            b'<row r="2"><c r="A2" x="<!--"><v>1</v></c><c r="C90"><v>1</v></c><c r="B2" x="-->"><v>1</v></c></row>',
            (1, 90, 2),
            4,
            id="comment-in-attribute",
        ),
        pytest.param(b'<row r="2"><c r="A2"><v>1</v></c><c x="1"r="C9"><v>1</v></c></row>', (1, 9, 2), 3, id="tight"),
        pytest.param(
            b'<row r="2"><c x=" r=\'A2\'" r="C9"><v>1</v></c><c r="B2" r="D7"><v>1</v></c></row>',
            (1, 9, 3),
            3,
            id="r-in-value",
        ),
        # Names: the local name after the first colon, ended by XML whitespace only.
        pytest.param(b'<row r="2"><a/:c r="C9"><v>1</v></a/:c><:c r="D9"><v>1</v></:c></row>', (1, 9, 3), 3, id="ns"),
        pytest.param(
            b'<row r="2"><c\x0b r="Z9"><v>1</v></c\x0b><c/ r="Z8"><v>1</v></c></row>', (1, 1, 0), 1, id="not-c"
        ),
        pytest.param(
            b'<row r="3"><c><v>1</v></c></a b:row><row><c><v>1</v></c></row><row r="7"/><row><c><v>1</v></c></row>',
            (1, 8, 0),
            4,
            id="row-ends",
        ),
        pytest.param(b'<row r="9" r="2"><c><v>1</v></c></row >', (1, 9, 0), 2, id="first-row-r"),
        # Only cells between <sheetData> and </sheetData> are cells: not Z1 (before), Z99 or Y2.
        pytest.param(b'</sheetData><c r="Z99"><v>1</v></c><sheetData><c r="Y2"><v>1</v></c>', (1, 1, 0), 1, id="out"),
        # Markup inside CDATA text or a processing instruction is not markup.
        pytest.param(
            b'<row r="4"><c r="D4" t="inlineStr"><is><t><![CDATA[</c><c r="Z8">]]></t></is></c  >'
            b'<?x <c r="Z7"/>?></row>',
            (1, 4, 3),
            2,
            id="cdata-text",
        ),
    ],
)
def test_the_exact_scan_finds_the_cells_the_reader_finds(
    tmp_path: Path, sheet: bytes, box: tuple[int, int, int], cells: int
) -> None:
    head = b'<c r="Z1"><v>1</v></c><sheetData><row r="1"><c r="A1"><v>1</v></c></row><!-- -->'
    path = write_crafted_xlsx(tmp_path / "cells.xlsx", [SHEET_START, head, sheet, b"</sheetData></worksheet>"])
    extent = exact_extent(path)
    assert ((extent.low, extent.high, extent.right), extent.cells) == (box, cells)
    assert reader_box(path) == box


@pytest.mark.parametrize(
    "sheet",
    [
        # Cells the reader reads as the content of a v (the extra <x> keeps its tags balanced) …
        pytest.param(b'<row r="2"><c r="A2"><v><x></c>' + b'<c r="A2"/>' * 3 + b"</v></c></row>", id="in-v"),
        # … or of a t left open.
        pytest.param(
            b'<row r="2"><c r="B2" t="inlineStr"><is><t>x</is></c><c r="A3"/>'
            b'<c t="inlineStr"><is><t>y</t></is></c></row>',
            id="in-t",
        ),
        pytest.param(b"<!DOCTYPE worksheet>", id="doctype"),
        pytest.param(b'<row r="2"><c r="B2" junk><v>1</v></c></row>', id="attribute"),
    ],
)
def test_markup_the_exact_scan_cannot_place_is_refused(tmp_path: Path, sheet: bytes) -> None:
    head = b'<sheetData><row r="1"><c r="A1"><v>1</v></c></row><!-- -->'
    path = write_crafted_xlsx(tmp_path / "odd.xlsx", [SHEET_START, head, sheet, b"</sheetData></worksheet>"])
    caught = refusal(path)
    assert (caught.key, caught.params["detail"]) == ("file_structure", "a worksheet tag that cannot be read")


def test_a_shared_string_index_of_thousands_of_digits_is_counted_not_a_crash(tmp_path: Path) -> None:
    strings = [b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>', b"b" * 200]
    sheet = [SHEET_START, b'<!-- --><sheetData><row r="1"><c r="A1" t="s"><v>', b"1" * 5000, b"</v></c></row>"]
    path = write_crafted_xlsx(
        tmp_path / "index.xlsx",
        [*sheet, b"</sheetData></worksheet>"],
        {"xl/sharedStrings.xml": [*strings, b"</t></si></sst>"]},
    )
    assert check_workbook(path, "zip").formulas == {}


def test_millions_of_tiny_comments_are_skipped_quickly(tmp_path: Path) -> None:
    sheet = [SHEET_START, b"<sheetData>", header_row(), *[b"<!---->" * 100_000] * 30, b"</sheetData></worksheet>"]
    path = write_crafted_xlsx(tmp_path / "comments.xlsx", sheet)  # 3 million comments, 21 MB
    started = time.perf_counter()
    extent = exact_extent(path)
    assert time.perf_counter() - started < 5
    assert (extent.low, extent.high, extent.right, extent.cells) == (1, 1, 49, 50)
    assert check_workbook(path, "zip").formulas == {}


def test_every_refusal_names_a_message_and_exactly_its_placeholders() -> None:
    """`_Refusal(key, …)` in the limits package becomes BadInput(key, path=…, …): the same rule as
    tests/unit/test_messages.py applies to it."""
    import ast
    import string

    from lanjie.i18n import MESSAGES
    from lanjie.ingest import limits

    calls = [
        node
        for source in sorted(Path(limits.__file__).parent.glob("*.py"))
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_Refusal" and node.args
    ]
    assert len(calls) > 15
    for call in calls:
        key = call.args[0]
        assert isinstance(key, ast.Constant) and key.value in MESSAGES, ast.dump(key)
        given = {k.arg for k in call.keywords} | {"path"}
        expected = {name for _, name, _, _ in string.Formatter().parse(MESSAGES[key.value][0]) if name}
        assert given == expected, (key.value, call.lineno)


# --------------------------------------------------------------------------- cells without a value


EMPTY_CELLS = {
    "self-closing": b'<c r="A2"/>',
    "styled": b'<c r="A2" s="3"/>',
    "open-close": b'<c r="A2"></c>',
    "empty-v": b'<c r="A2"><v></v></c>',
    "boolean-space": b'<c r="A2" t="b"><v> </v></c>',
    "entity-only": b'<c r="A2"><v>&#32;</v></c>',
    "formula-last": b'<c r="A2"><v>1</v><f>B1</f></c>',
    "inline-v": b'<c r="A2" t="inlineStr"><v>1</v></c>',
    "empty-v-last": b'<c r="A2"><v>1</v><v></v></c>',
}


@pytest.mark.parametrize("exact", [False, True], ids=["fast", "exact"])
@pytest.mark.parametrize("cell", EMPTY_CELLS.values(), ids=EMPTY_CELLS.keys())
def test_cells_without_a_value_buy_no_room(tmp_path: Path, cell: bytes, exact: bool) -> None:
    # The reader leaves a cell without a value out of its box (and out of its cells): 160,000 of
    # them explain nothing, and A1 with GR6000 make it allocate 6000 × 200 cells. Counted, they
    # would allow a box of 1.28 million; at 1,048,576 rows, 6.7 GB (see the test below).
    head = b"<!-- --><sheetData>" if exact else b"<sheetData>"
    sheet = [SHEET_START, head, b'<row r="1"><c r="A1"><v>1</v></c></row><row r="2">', cell * 160_000]
    sheet += [b'</row><row r="6000"><c r="GR6000"><v>1</v></c></row></sheetData></worksheet>']
    path = write_crafted_xlsx(tmp_path / "empty.xlsx", sheet)
    assert reader_box(path) == (1, 6000, 199)
    caught = refusal(path)
    assert (caught.key, caught.params["rows"], caught.params["columns"]) == ("sheet_sparse", 6000, 200)
    # (The count is a lower bound in the fast scan; the exact scan keeps a value cut by a chunk's end.)
    assert caught.params["cells"] in ((2, 3) if exact else (1, 2))


def test_26_million_empty_cells_in_half_a_megabyte_are_refused(tmp_path: Path) -> None:
    # 290 MB of `<c r="A2"/>` deflate to 0.54 MB; A1 and GR1048576 would have the reader
    # allocate 1,048,576 × 200 cells (6.7 GB) for the 3 it keeps.
    sheet = [SHEET_START, b'<sheetData><row r="1"><c r="A1"><v>1</v></c><c r="A1"><v>1</v></c></row><row r="2">']
    sheet += [b'<c r="A2"/>' * 100_000] * 263
    sheet += [b'</row><row r="1048576"><c r="GR1048576"><v>1</v></c></row></sheetData></worksheet>']
    path = write_crafted_xlsx(tmp_path / "hole.xlsx", sheet)
    assert path.stat().st_size < 1 << 20
    refused(path, ["1048576 行 × 200 列", "只有 3 个单元格"], ["1048576 rows × 200 columns", "only 3 cells"])


def test_exports_with_many_styled_empty_cells_are_read(tmp_path: Path) -> None:
    # A formatted but empty column, styled blanks among the values, a formula without its value
    # written (openpyxl): every writer's empty cells are simply not counted, nothing refused.
    path = tmp_path / "styled.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    shade = book.add_format({"bg_color": "#FFFF00"})
    sheet.write_row(0, 0, HEADERS)
    for row in range(1, 30_001):
        sheet.write_row(row, 0, [f"{row}-{column}" if column % 7 else row for column in range(40)])
        for column in range(40, 51):
            sheet.write_blank(row, column, None, shade)
    book.close()
    check_workbook(path, "zip")
    assert open_sheet(path) is not None
    # A value column beside nine styled blank ones: the fast scan's box counts the blanks (1.2
    # million cells for 120,000 values), the reader's does not; the exact scan settles it.
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    shade = book.add_format({"bg_color": "#FFFF00"})
    for row in range(120_000):
        sheet.write_number(row, 0, row)
        for column in range(1, 10):
            sheet.write_blank(row, column, None, shade)
    book.close()
    from lanjie.ingest.limits import fast_sheet, shared_strings, zipped

    info = zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml")
    scan = fast_sheet._FastSheet(False, shared_strings._Strings(), count_all=True)
    extent, _ = scan.run(zipped._inflate(path, info, 1 << 30))
    assert (extent.cells, extent.kept, extent.right) == (1_200_000, 120_000, 9)
    check_workbook(path, "zip")
    workbook = openpyxl.Workbook(write_only=True)
    openpyxl_sheet = workbook.create_sheet()
    yellow = openpyxl.styles.PatternFill("solid", fgColor="FFFF00")
    for row in range(1, 30_001):
        blank = openpyxl.cell.WriteOnlyCell(openpyxl_sheet)
        blank.fill = yellow
        openpyxl_sheet.append([row, f"订单{row}", "=A1*2", blank, blank, *range(45)])
    workbook.save(path)
    check_workbook(path, "zip")


def test_an_item_inside_a_comment_of_the_string_table_is_no_string(tmp_path: Path) -> None:
    # The reader skips the comment: index 0 is the 20,000-character string, copied into 30,000
    # cells (600 MB). Counted as an item, the comment's <si> would take index 0 and shift it.
    import python_calamine

    rows = b"".join(f'<row r="{n}"><c r="A{n}" t="s"><v>0</v></c></row>'.encode() for n in range(1, 30_001))
    sheet = [SHEET_START, b"<sheetData>", rows, b"</sheetData></worksheet>"]
    for hidden in (b"<!--<si><t>x</t></si>-->", b"<?x <si><t>x</t></si>?>", b"<!-- <si> -- -->" * 3):
        table = [b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">', hidden]
        table += [b"<si><t>", b"b" * 20_000, b"</t></si><si><t>y</t></si></sst>"]
        path = write_crafted_xlsx(tmp_path / "table.xlsx", sheet, {"xl/sharedStrings.xml": table})
        read = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        assert read.to_python(nrows=1) == [["b" * 20_000]]
        assert refusal(path).key == "strings_copied"


def test_comments_and_cdata_in_the_string_table_are_skipped_wherever_the_chunks_are_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lanjie.ingest.limits import shared_strings, zipped

    items = [b"<si><t>" + b"a" * n + b"</t></si>" for n in range(1, 30)]
    noisy = b'<?xml version="1.0"?><sst>'
    for n, item in enumerate(items):
        noisy += item
        if n % 3 == 0:
            noisy += b"<!-- <si><t>zz</t></si> -->"
        if n % 4 == 0:
            noisy += b"<?pi <si>?>"
        if n % 5 == 0:
            noisy += b"<si><t><![CDATA[<si><t>]]></t></si>"
    noisy += b"</sst>"
    plain = b"".join(re.sub(rb"<!--.*?-->|<\?pi.*?\?>", b"", noisy).split(b"<![CDATA[<si><t>]]>"))
    path = write_crafted_xlsx(tmp_path / "t.xlsx", [SHEET_START, b"</worksheet>"], {"xl/sharedStrings.xml": [plain]})
    info = zipfile.ZipFile(path).getinfo("xl/sharedStrings.xml")
    expected = shared_strings._Strings()
    shared_strings._scan_strings(path, info, expected)
    path = write_crafted_xlsx(tmp_path / "t.xlsx", [SHEET_START, b"</worksheet>"], {"xl/sharedStrings.xml": [noisy]})
    info = zipfile.ZipFile(path).getinfo("xl/sharedStrings.xml")
    for size in range(5, 200, 3):
        monkeypatch.setattr(zipped, "_CHUNK", size)
        strings = shared_strings._Strings()
        shared_strings._scan_strings(path, info, strings)
        assert len(strings.sizes) == len(expected.sizes) == 35, size
        assert strings.total == len(noisy), size
        assert all(a >= b for a, b in zip(strings.sizes, expected.sizes, strict=True)), size


def test_string_items_cut_by_a_chunk_end_keep_their_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An item split between two chunks was dropped: every index after it pointed one item on,
    # at the size of another string.
    from lanjie.ingest.limits import shared_strings, zipped

    table = b"<sst>" + b"".join(b"<si><t>" + b"a" * n + b"</t></si>" for n in range(1, 30)) + b"</sst>"
    path = write_crafted_xlsx(tmp_path / "t.xlsx", [SHEET_START, b"</worksheet>"], {"xl/sharedStrings.xml": [table]})
    info = zipfile.ZipFile(path).getinfo("xl/sharedStrings.xml")
    for size in (5, 20, 50, 200, 5000):
        monkeypatch.setattr(zipped, "_CHUNK", size)
        strings = shared_strings._Strings()
        shared_strings._scan_strings(path, info, strings)
        assert list(strings.sizes) == [n + 15 for n in range(1, 30)], size


@pytest.mark.parametrize(
    "inside",
    [b"<t>x</t>", b"<t>x", b"<t>x</t><pad a='1'/>", b'<t xml:space="preserve"> x '],
    ids=["after-the-text", "inside-the-text", "after-an-element", "inside-preserved-text"],
)
def test_cells_inside_an_inline_string_buy_no_room(tmp_path: Path, inside: bytes) -> None:
    # The reader skips whatever an <is> holds: 160,000 cells written inside one explain nothing,
    # and A1 with GR6000 make it allocate 6000 × 200 cells. Counted, they would allow a box of
    # 1.28 million; at 1,048,576 rows, 6.7 GB.
    closing = b"</is></c>" if inside.endswith((b"</t>", b"/>")) else b"</t></is></c>"
    sheet = [SHEET_START, b'<sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="2">']
    sheet += [b'<c r="A2" t="inlineStr"><is>', inside, b'<c r="B2"><v>1</v></c>' * 160_000, closing]
    sheet += [b'</row><row r="6000"><c r="GR6000"><v>1</v></c></row></sheetData></worksheet>']
    path = write_crafted_xlsx(tmp_path / "nested.xlsx", sheet)
    assert reader_box(path) == (1, 6000, 199)
    assert refusal(path).key in ("sheet_sparse", "file_structure")


def test_rich_and_plain_inline_strings_are_read(tmp_path: Path) -> None:
    """Inline strings as exports write them (one <t>, spaces kept) and as rich text (runs) pass,
    on a sheet big enough for its cells to be counted against the box."""
    plain, rich = b'<t xml:space="preserve"> x </t>', b"<r><t>a</t></r><r><t>b</t></r>"

    def row(number: int) -> bytes:
        text = rich if number % 100 == 0 else plain
        cells = (
            f'<c r="{column_letters(i)}{number}" t="inlineStr"><is>'.encode() + text + b"</is></c>" for i in range(50)
        )
        return f'<row r="{number}">'.encode() + b"".join(cells) + b"</row>"

    sheet = [SHEET_START, b"<sheetData>", header_row(), *map(row, range(2, 25_002)), b"</sheetData></worksheet>"]
    path = write_crafted_xlsx(tmp_path / "inline.xlsx", sheet)
    assert check_workbook(path, "zip").formulas == {}
