"""Record an import in the ledger: one transaction, idempotent, an event for every change.

The same file twice changes nothing (files are known by their SHA-256). A newer export
updates the after-sales it contains and records what changed (在途 → 快递退回中 …); an older
one never overwrites newer knowledge. A new after-sale needs no event of its own: its row
remembers the import that first brought it (who, when), and history shows that.
Interceptions asked for earlier get their outcome from the parcel's new logistics state.
Everything happens in one transaction, the work counted right after the import included
(`after_write`), so an import that is killed half-way leaves the ledger as it was, and
running it again completes it.

Imports run side by side. Each takes its shops' locks before it reads anything (on SQLite the
write lock of BEGIN IMMEDIATE, on PostgreSQL an advisory lock per shop, in name order), so an
import of a shop waits for the one before it and then applies on top of it, exactly as if
they had run one after the other. The newest export wins whatever the order: each
after-sale keeps the state of the newest export that listed it (`as_of`), and a shop's
current work (the after-sales its latest import listed, `last_import_id`) comes from its
newest export; an export older than that still adds what it knows, but does not replace it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from lanjie.ingest.load import Batch, SourceFile, file_sha256
from lanjie.ledger.bulk import sampled_statistics
from lanjie.ledger.database import write_transaction
from lanjie.ledger.import_writer import RecordWriter
from lanjie.ledger.records import (
    new_id,
)
from lanjie.ledger.schema import (
    aftersales,
    import_files,
    imports,
    shops,
)

Progress = Callable[[int, int], None]  # rows written so far, rows to write
AfterWrite = Callable[[Connection, "ImportReport"], None]  # more to write in the import's transaction


@dataclass(frozen=True)
class AlreadyImported:
    file: str
    imported_at: datetime
    operator: str


@dataclass
class ImportReport:
    import_id: int | None = None
    already_imported: list[AlreadyImported] = field(default_factory=list)
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    older: int = 0  # rows from an export older than what the ledger already knows
    older_keys: set[tuple[int, str]] = field(default_factory=set)  # (shop id, 售后单号) of those rows
    changes: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    shops: dict[str, int] = field(default_factory=dict)
    behind_shops: set[int] = field(default_factory=set)  # shops whose current work this import left as it was


def imported_before(engine: Engine, paths: Sequence[Path]) -> list[AlreadyImported] | None:
    """When every file was imported already, who imported each and when; else None.

    Lets `lanjie import` answer at once, without reading files the ledger already has."""
    by_hash = {file_sha256(path): path for path in paths if path.is_file()}
    if len(by_hash) < len(set(paths)):
        return None
    with engine.connect() as conn:
        known = conn.execute(
            select(import_files.c.file_name, imports.c.imported_at, imports.c.operator)
            .join(imports, imports.c.id == import_files.c.import_id)
            .where(import_files.c.sha256.in_(list(by_hash)))
        ).all()
    if len(known) < len(by_hash):
        return None
    return [AlreadyImported(row.file_name, row.imported_at, row.operator) for row in known]


def import_batch(
    engine: Engine,
    batch: Batch,
    *,
    operator: str,
    now: datetime,
    progress: Progress | None = None,
    after_write: AfterWrite | None = None,
) -> ImportReport:
    """Record the batch's new files; every record must already carry its shop's name.

    `after_write` is called on the import's own connection once everything is written (only
    when something was): whatever it writes (the work counted right after the import) commits
    with the import or not at all."""
    report = ImportReport()
    with write_transaction(engine, bulk=True) as conn:
        lock_shops(conn, {r.shop for r in batch.aftersales})
        known = _known_files(conn, [s.sha256 for s in batch.sources])
        fresh = [s for s in batch.sources if s.sha256 not in known]
        report.already_imported = list(known.values())
        if not fresh:
            return report
        import_id = new_id(conn.execute(insert(imports).values(operator=operator, imported_at=now)))
        registered = _register_files(conn, import_id, fresh)
        if len(registered) < len(fresh):  # recorded meanwhile by an import that did not share our locks
            taken = [s.sha256 for s in fresh if s.sha256 not in registered]
            report.already_imported += _known_files(conn, taken).values()
            fresh = [s for s in fresh if s.sha256 in registered]
            if not fresh:
                conn.execute(delete(imports).where(imports.c.id == import_id))
                return report
        report.import_id = import_id
        exported_at = {s.name: s.exported_at for s in fresh}
        records = [r for r in batch.aftersales if r.source.file in exported_at]
        report.shops = ensure_shops(conn, {r.shop for r in records}, now)
        current = _current_imports(conn, list(report.shops.values())) if batch.incremental else {}
        RecordWriter(conn, import_id, now, operator, report, progress).write(records, exported_at)
        _carry_forward(conn, current, import_id)
        _mark_current(conn, import_id, report.shops.values())
        if report.new >= FRESH_STATISTICS_FROM:
            _refresh_statistics(conn)
        if after_write is not None:
            after_write(conn, report)
    return report


# New rows from which the planner's statistics are brought up to date by the import itself:
# with autovacuum off or behind, the next import's key lookups would otherwise scan whole
# tables it believes empty (measured: 709 ms per 400-key lookup, 8 ms after ANALYZE).
FRESH_STATISTICS_FROM = 5_000

# Of the after-sales, only the columns rows are looked up by: their long texts are most of the
# cost of analysing the whole table (100,000 rows: 320–440 ms → 80 ms). An ANALYZE of some
# columns leaves the table due for autovacuum's own, which fills in the others.
_STATISTICS = "ANALYZE aftersales (shop_id, aftersale_id, order_id, last_import_id), parcels, aftersale_parcels"


def _refresh_statistics(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":  # SQLite plans these lookups by their indexes anyway
        sampled_statistics(conn)
        conn.execute(text(_STATISTICS))


def _current_imports(conn: Connection, shop_id_list: list[int]) -> dict[int, int]:
    """Each shop's latest import: the one its current work comes from."""
    query = select(shops.c.id, shops.c.current_import_id).where(shops.c.id.in_(shop_id_list))
    return {shop_id: latest for shop_id, latest in conn.execute(query) if latest}


def _mark_current(conn: Connection, import_id: int, shop_id_list: Iterable[int]) -> None:
    """Of the shops this import listed, those whose current work it now is (it set some of their
    after-sales' last_import_id: not so for an export older than the shop's current work)."""
    for shop_id in shop_id_list:
        listed = select(aftersales.c.shop_id).where(
            aftersales.c.shop_id == shop_id, aftersales.c.last_import_id == import_id
        )
        if conn.execute(listed.limit(1)).first() is not None:
            conn.execute(update(shops).where(shops.c.id == shop_id).values(current_import_id=import_id))


def _carry_forward(conn: Connection, current: dict[int, int], import_id: int) -> None:
    """An incremental import keeps the shops' current work current: what it did not list
    belongs to it too (one UPDATE per shop; the rows it listed were set by the writer)."""
    for shop_id, latest in current.items():
        conn.execute(
            update(aftersales)
            .where(aftersales.c.shop_id == shop_id, aftersales.c.last_import_id == latest)
            .values(last_import_id=import_id)
        )


def shop_lock_key(shop: str) -> int:
    """The PostgreSQL advisory lock an import of `shop` holds: a stable signed 64-bit number."""
    digest = hashlib.blake2b(f"lanjie import {shop}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_shops(conn: Connection, names: Iterable[str]) -> None:
    """Wait for, then hold until commit, the right to import these shops.

    PostgreSQL: one advisory lock per shop, taken in name order so that two imports sharing
    shops can never each hold one the other waits for. SQLite: the transaction's write lock
    (BEGIN IMMEDIATE) already lets one writer in at a time."""
    if conn.dialect.name != "postgresql":
        return
    for name in sorted(set(names)):
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": shop_lock_key(name)})


def _known_files(conn: Connection, hashes: Sequence[str]) -> dict[str, AlreadyImported]:
    if not hashes:
        return {}
    rows = conn.execute(
        select(import_files.c.sha256, import_files.c.file_name, imports.c.imported_at, imports.c.operator)
        .join(imports, imports.c.id == import_files.c.import_id)
        .where(import_files.c.sha256.in_(list(hashes)))
    )
    return {row.sha256: AlreadyImported(row.file_name, row.imported_at, row.operator) for row in rows}


def _dialect_insert(conn: Connection, table: Any) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def _register_files(conn: Connection, import_id: int, sources: Sequence[SourceFile]) -> set[str]:
    """Record the files under this import; returns the hashes this call recorded.

    A file that another import recorded in the meantime is left to it (ON CONFLICT DO NOTHING):
    that is "already imported", not an error."""
    statement = (
        _dialect_insert(conn, import_files)
        .values(
            [
                {
                    "import_id": import_id,
                    "file_name": s.name,
                    "sha256": s.sha256,
                    "exported_at": s.exported_at,
                    "rows": s.rows,
                    "aftersales": s.aftersales,
                }
                for s in sources
            ]
        )
        .on_conflict_do_nothing(index_elements=["sha256"])
        .returning(import_files.c.sha256)
    )
    return set(conn.execute(statement).scalars())


def ensure_shops(conn: Connection, names: Iterable[str], now: datetime) -> dict[str, int]:
    """Ids of the named shops, creating those the ledger does not know yet.

    A shop another process created a moment ago is simply used (ON CONFLICT DO NOTHING)."""
    wanted = sorted(set(names))
    query = select(shops.c.name, shops.c.id).where(shops.c.name.in_(wanted))
    known = {r.name: r.id for r in conn.execute(query)}
    missing = [name for name in wanted if name not in known]
    if missing:
        conn.execute(
            _dialect_insert(conn, shops)
            .values([{"name": name, "created_at": now} for name in missing])
            .on_conflict_do_nothing(index_elements=["name"])
        )
        known = {r.name: r.id for r in conn.execute(query)}
    return known


def record_bucket_counts(ledger: Engine | Connection, import_id: int, counts: dict[str, dict[str, int]]) -> None:
    """Remember the work right after an import, so stats can show it over time.

    Given the import's own connection (import_batch's `after_write`), the counts commit with
    the import; given an engine, in a transaction of their own."""
    statement = (
        update(imports).where(imports.c.id == import_id).values(bucket_counts=json.dumps(counts, ensure_ascii=False))
    )
    if isinstance(ledger, Connection):
        ledger.execute(statement)
        return
    with write_transaction(ledger) as conn:
        conn.execute(statement)
