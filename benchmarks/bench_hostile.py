"""Benchmark: `lanjie triage --json` on a legitimate 100,000-row export and on each crafted
hostile file, against python-calamine merely reading the legitimate export, in the same run.

    python benchmarks/bench_hostile.py [--rows 100000] [--repeat 3] [--million]

Every command runs as a fresh process; wall time is the median of the repeats, peak memory
the most its processes held at once (lanjie parses a workbook in a worker process, which runs
beside the limits scan and is killed when the scan refuses the file). Before the limits,
several of these files aborted the process (exit 134) or died with MemoryError after taking
gigabytes; now each is refused (exit 2) while costing about what starting lanjie costs.
Also printed: the time the pre-scan (lanjie.ingest.limits) takes on the legitimate export,
in process.

--million also builds (once, cached) an 8 MB export of one row copied 1,000,000 times —
legitimate, just big — and a 1,000,000-row demo export, and compares the two (slow).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

import xlsxwriter

from common import CACHE, NOW, export_file, run_measured
from lanjie.demo import HEADERS
from lanjie.ingest.limits import check_workbook, column_letters

RAW_READ = (
    "import sys\n"
    "from python_calamine import CalamineWorkbook\n"
    "rows = CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_index(0).to_python()\n"
    "assert len(rows) > 1\n"
)

TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/></Types>'
)
PARTS = {
    "[Content_Types].xml": TYPES,
    "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
    'main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
}
SHEET = b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry '
    'manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
)
SST = b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def header_row() -> bytes:
    cells = "".join(f'<c r="{column_letters(i)}1" t="inlineStr"><is><t>{h}</t></is></c>' for i, h in enumerate(HEADERS))
    return f'<row r="1">{cells}</row>'.encode()


def crafted_xlsx(path: Path, sheet: Iterable[bytes], strings: Iterable[bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in PARTS.items():
            archive.writestr(name, text)
        parts = {"xl/worksheets/sheet1.xml": sheet}
        if strings is not None:
            parts["xl/sharedStrings.xml"] = strings
        for name, pieces in parts.items():
            with archive.open(name, "w", force_zip64=True) as part:
                for piece in pieces:
                    part.write(piece)
    return path


def crafted_ods(path: Path, rows: str) -> Path:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
        f'<table:table table:name="Sheet1">{rows}</table:table></office:spreadsheet></office:body>'
        "</office:document-content>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", MANIFEST)
        archive.writestr("content.xml", content)
    return path


def xlsx_with(path: Path, fill: Callable[[xlsxwriter.worksheet.Worksheet], None]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADERS)
    fill(sheet)
    book.close()
    return path


def hostile_files(folder: Path) -> list[tuple[str, Path]]:
    """The crafted files of tests/unit/test_hostile_files.py, at benchmark size."""
    files = [
        ("value in XFD1048576", xlsx_with(folder / "xfd.xlsx", lambda s: s.write("XFD1048576", "x"))),
        ("value in column GS (201st)", xlsx_with(folder / "gs.xlsx", lambda s: s.write(1, 200, "x"))),
        ("stray cell at GR100000", xlsx_with(folder / "sparse.xlsx", lambda s: s.write(99_999, 199, "x"))),
    ]
    one = [SHEET, b'<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>']
    files.append(
        (
            "one 200 MB shared string",
            crafted_xlsx(folder / "bomb.xlsx", one, [SST, b"><si><t>", *[b"a" * (1 << 20)] * 200, b"</t></si></sst>"]),
        )
    )
    copies = (f'<row r="{n}"><c r="A{n}" t="s"><v>0</v></c></row>'.encode() for n in range(1, 100_001))
    files.append(
        (
            "20,000 chars × 100,000 cells",
            crafted_xlsx(
                folder / "copies.xlsx",
                [SHEET, b"<sheetData>", *copies, b"</sheetData></worksheet>"],
                [SST, b"><si><t>", b"b" * 20_000, b"</t></si></sst>"],
            ),
        )
    )
    files.append(
        (
            "uniqueCount 4,000,000,000",
            crafted_xlsx(folder / "declared.xlsx", one, [SST, b' uniqueCount="4000000000"><si><t>x</t></si></sst>']),
        )
    )
    padding = b"<!-- padding padding padding padding padding padding padding -->" * 16_384
    files.append(
        (
            "sheet padded to 400 MB",
            crafted_xlsx(
                folder / "padded.xlsx",
                [SHEET, b"<sheetData>", header_row(), *[padding] * 400, b"</sheetData></worksheet>"],
            ),
        )
    )
    cell = (
        '<table:table-cell office:value-type="string" table:number-columns-repeated="50">'
        "<text:p>x</text:p></table:table-cell>"
    )
    repeated = f'<table:table-row table:number-rows-repeated="1000000">{cell}</table:table-row>'
    files.append(
        (
            ".ods 1,000,000 repeated rows",
            crafted_ods(
                folder / "repeated.ods",
                f"<table:table-row>{cell}</table:table-row>{repeated}",
            ),
        )
    )
    try:
        import xlwt
    except ImportError:
        return files
    book = xlwt.Workbook()
    sheet = book.add_sheet("Sheet1")
    for number in range(20_000):
        sheet.write(number, 0, "长" * 30_000)
    book.save(str(folder / "copies.xls"))
    files.append((".xls 30,000 chars × 20,000 cells", folder / "copies.xls"))
    return files


def measure(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int, int]:
    """Wall seconds, peak memory (KiB, its processes together) and exit code of one command."""
    elapsed, peak, code, errors = run_measured(command, env)
    message = errors.strip().splitlines()
    if code not in (0, 2) or any("Traceback" in line for line in message):
        raise SystemExit(f"failed ({code}): {' '.join(command)}\n" + "\n".join(message[-5:]))
    return elapsed, peak, code


def run(label: str, command: list[str], repeat: int, env: dict[str, str]) -> tuple[float, int, int]:
    results = [measure(command, env) for _ in range(repeat)]
    return statistics.median(t for t, _, _ in results), max(m for _, m, _ in results), results[0][2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--million", action="store_true")
    args = parser.parse_args()
    legit = export_file(args.rows)
    with tempfile.TemporaryDirectory() as folder:
        env = {"LANJIE_DATABASE_URL": str(Path(folder) / "ledger.sqlite3"), "XDG_DATA_HOME": folder}
        triage = [sys.executable, "-m", "lanjie", "triage", "--json", "--now", NOW.isoformat()]
        raw_time, raw_rss, _ = run("raw", [sys.executable, "-c", RAW_READ, str(legit)], args.repeat, env)
        rows = [(f"legitimate export, {args.rows:,} rows", legit), *hostile_files(Path(folder))]
        print(f"python-calamine reading the legitimate export: {raw_time:6.2f} s  peak {raw_rss / 1024:7.1f} MiB")
        print(f"{'lanjie triage --json on':36s} {'size':>9s} {'exit':>4s} {'time':>7s} {'peak':>10s}  vs raw read")
        for label, path in rows:
            took, peak, code = run(label, [*triage, str(path)], args.repeat, env)
            size = path.stat().st_size / 1e6
            print(
                f"{label:36s} {size:7.1f}MB {code:4d} {took:6.2f}s {peak / 1024:7.1f}MiB"
                f"  {took / raw_time:4.2f}× time {peak / raw_rss:4.2f}× memory"
            )
        scans = []
        for _ in range(max(args.repeat, 3)):
            started = time.process_time()
            check_workbook(legit, "zip")
            scans.append(time.process_time() - started)
        scan = min(scans)
        ours = run("legit", [*triage, str(legit)], 1, env)[0]
        print(f"pre-scan of the legitimate export (CPU, in process): {scan:.2f} s = {scan / ours:.0%} of its triage")
        if args.million:
            million(args.repeat, env, triage)


def million(repeat: int, env: dict[str, str], triage: list[str]) -> None:
    copied = CACHE / "copied-1000000.xlsx"
    if not copied.exists():
        book = xlsxwriter.Workbook(str(copied), {"constant_memory": True})
        sheet = book.add_worksheet()
        sheet.write_row(0, 0, HEADERS)
        row = ["7300000000000000001", "6920000000000000001", "", "羊羔绒外套", "", "159", "0", "0", "0", "1/1已发货",
               "已发货仅退款", "159", "0", "0", "0", "待商家处理"]  # fmt: skip
        for number in range(1, 1_000_001):
            sheet.write_row(number, 0, row)
        book.close()
    legit = export_file(1_000_000)
    raw_time, raw_rss, _ = run("raw", [sys.executable, "-c", RAW_READ, str(legit)], 1, env)
    print(
        f"python-calamine reading a legitimate 1,000,000-row export: {raw_time:6.2f} s  peak {raw_rss / 1024:7.1f} MiB"
    )
    for label, path in (("1,000,000 copied rows", copied), ("legitimate 1,000,000 rows", legit)):
        took, peak, code = run(label, [*triage, str(path)], 1, env)
        print(
            f"{label:36s} {path.stat().st_size / 1e6:7.1f}MB {code:4d} {took:6.2f}s {peak / 1024:7.1f}MiB"
            f"  {took / raw_time:4.2f}× time {peak / raw_rss:4.2f}× memory"
        )
    del repeat


if __name__ == "__main__":
    main()
