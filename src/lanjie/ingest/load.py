"""Read one or more exports into one batch of after-sales (newer rows win)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from lanjie.couriers import assign_couriers
from lanjie.errors import BadInput
from lanjie.i18n import Listing, Text
from lanjie.ingest.columns import ExportKind, first_nonempty_row
from lanjie.ingest.orders import read_order_couriers
from lanjie.ingest.prefetch import Prefetch
from lanjie.ingest.read import Sheet, check_encoding
from lanjie.ingest.records import ParsedExport, UnknownWording, read_aftersales
from lanjie.model import SHANGHAI, AfterSale, Problem

_STAMP = re.compile(r"(20\d\d)\D?(\d\d)\D?(\d\d)\D{0,3}(\d\d)\D?(\d\d)\D?(\d\d)")

OnFile = Callable[[Path], None]


@dataclass(frozen=True)
class SourceFile:
    """One after-sales export that was read."""

    name: str
    sha256: str
    exported_at: datetime
    rows: int
    aftersales: int


@dataclass
class Batch:
    aftersales: list[AfterSale] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    sources: list[SourceFile] = field(default_factory=list)
    order_files: list[str] = field(default_factory=list)
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    unknown_wordings: list[UnknownWording] = field(default_factory=list)
    duplicates: int = 0
    repeated_files: list[tuple[str, str]] = field(default_factory=list)  # (file given again, the one read)
    missing_state_column: bool = False
    courier_by_tracking_no: dict[str, str] = field(default_factory=dict)
    # Lists only what changed (an incremental sync): the shops' current work stays current,
    # with these after-sales added or updated in it, instead of being replaced by them.
    incremental: bool = False


def batch_from_service(
    name: str, content: str, at: datetime, records: list[AfterSale], *, rows: int, incremental: bool
) -> Batch:
    """A batch read from a service (the 抖店 Open Platform, 快递100) rather than a file: the import
    knows it like a file, by `name` and the SHA-256 of its `content`, so the same answer twice is
    "already imported" like the same file twice. The records already carry `name` as their source."""
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
    source = SourceFile(name, digest, at, rows, len(records))
    return Batch(aftersales=records, files=[name], sources=[source], rows=rows, incremental=incremental)


def export_time(path: Path) -> datetime:
    """When an export was made: from its name (售后单导出-2026-11-26-09-30-00), else its mtime."""
    match = _STAMP.search(path.stem)
    if match:
        year, month, day, hour, minute, second = map(int, match.groups())
        try:
            return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)
        except ValueError:
            pass
    return datetime.fromtimestamp(path.stat().st_mtime, tz=SHANGHAI)


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _checked(sheet: Sheet) -> Sheet:
    if sheet.header is None:
        first_row = first_nonempty_row(sheet.head)[:12]
        raise BadInput("no_header", path=sheet.path, found=Listing(first_row) if first_row else Text("empty"))
    if sheet.header.kind is ExportKind.AFTERSALES:
        missing = sheet.header.missing_required()
        if missing:
            headers = [h for h in sheet.header.headers if h]
            found = Listing(headers) if headers else Text("empty")
            raise BadInput("missing_columns", path=sheet.path, missing=Listing(missing), found=found)
    return sheet


def load_exports(
    paths: Sequence[Path] | Prefetch,
    *,
    encoding: str | None = None,
    on_file: OnFile | None = None,
    shop: str = "",
    partners: frozenset[str] = frozenset(),
) -> Batch:
    """Read every file (or the files a Prefetch opened) into finished records: the shop
    decided (`shop` when given, else the export's 门店名称) and every parcel's courier
    identified. All files are checked before any is used, so a bad one changes nothing."""
    if encoding:
        check_encoding(encoding)
    reading = paths if isinstance(paths, Prefetch) else Prefetch(paths, encoding=encoding)
    sheets = [_checked(sheet) for sheet in reading.sheets()]
    batch = Batch()
    parsed: list[tuple[datetime, int, ParsedExport]] = []
    seen: dict[str, Path] = {}
    sheets.reverse()  # popped one by one: a parsed sheet, the biggest thing in memory, is freed once read
    for position in range(len(sheets)):
        _read_sheet(sheets.pop(), position, batch, parsed, seen, on_file)
    if not parsed:
        raise BadInput("only_orders")

    newest: dict[str, AfterSale] = {}
    unknown: dict[tuple[str, str], UnknownWording] = {}
    for _, _, export in sorted(parsed, key=lambda item: (item[0], item[1])):
        batch.files.append(export.file)
        batch.rows += export.rows
        batch.problems += export.problems
        batch.missing_state_column |= not export.has_state_column
        for record in export.aftersales:
            if record.aftersale_id in newest:
                batch.duplicates += 1
                del newest[record.aftersale_id]  # re-insert so the order follows the newer row
            newest[record.aftersale_id] = record
        for key, entry in export.unknown.items():
            merged = unknown.setdefault(key, UnknownWording(entry.column, entry.value))
            merged.count += entry.count
            merged.rows += entry.rows[: 5 - len(merged.rows)]
    batch.aftersales = list(newest.values())
    if shop:
        for record in batch.aftersales:
            record.shop = shop
    assign_couriers(batch.aftersales, by_tracking_no=batch.courier_by_tracking_no, partners=partners)
    batch.unknown_wordings = sorted(unknown.values(), key=lambda w: -w.count)
    return batch


def _read_sheet(
    sheet: Sheet,
    position: int,
    batch: Batch,
    parsed: list[tuple[datetime, int, ParsedExport]],
    seen: dict[str, Path],
    on_file: OnFile | None,
) -> None:
    """One opened file into the batch: an orders export's couriers, or an after-sales export."""
    digest = file_sha256(sheet.path)
    if digest in seen:  # the same file twice (or a copy of it): read once, say so
        batch.repeated_files.append((str(sheet.path), str(seen[digest])))
        return
    seen[digest] = sheet.path
    if on_file:
        on_file(sheet.path)
    assert sheet.header is not None
    if sheet.header.kind is ExportKind.ORDERS:
        orders = read_order_couriers(sheet)
        batch.order_files.append(orders.file)
        batch.problems += orders.problems
        for number, code in orders.by_tracking_no.items():
            batch.courier_by_tracking_no.setdefault(number, code)
        return
    export = read_aftersales(sheet)
    if export.rows == 0:
        raise BadInput("file_header_only", path=sheet.path)
    exported_at = export_time(sheet.path)
    parsed.append((exported_at, position, export))
    batch.sources.append(SourceFile(export.file, digest, exported_at, export.rows, len(export.aftersales)))
