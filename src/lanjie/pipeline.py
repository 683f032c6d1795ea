"""The one path every face takes: exports → records → couriers → (ledger) → decisions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine

from lanjie.config import Settings
from lanjie.ingest.load import Batch, OnFile, load_exports
from lanjie.ingest.prefetch import Prefetch
from lanjie.ledger.importer import ImportReport, Progress, import_batch, record_bucket_counts
from lanjie.ledger.problems import current_imports, load_notes, record_problems
from lanjie.ledger.records import (
    latest_import_time,
    load_aftersales,
    load_current,
    load_facts,
    load_written_remarks,
    shop_ids,
)
from lanjie.ledger.workview import mark_stale, write_import_work
from lanjie.model import AfterSale, Decision, LedgerFacts
from lanjie.triage import triage
from lanjie.work import Analysis, bulk_work


def read_exports(
    paths: Sequence[Path] | Prefetch, *, settings: Settings, encoding: str | None = None, on_file: OnFile | None = None
) -> Batch:
    """Read, clean and identify couriers; every record gets the shop it belongs to."""
    return load_exports(paths, encoding=encoding, on_file=on_file, shop=settings.shop, partners=settings.partner_codes)


def _decide(records: Sequence[AfterSale], settings: Settings, now: datetime, facts: LedgerFacts) -> list[Decision]:
    return triage(records, urgent_hours=settings.urgent_hours, now=now, facts=facts, chase_hours=settings.chase_hours)


def _facts(ledger: Engine | None) -> LedgerFacts:
    if ledger is None:
        return {}
    with ledger.connect() as conn:
        return load_facts(conn)


def analyse(
    paths: Sequence[Path] | Prefetch,
    *,
    settings: Settings,
    now: datetime,
    ledger: Engine | None = None,
    encoding: str | None = None,
    on_file: OnFile | None = None,
) -> Analysis:
    """Decisions for the given exports, knowing what the ledger knows; writes nothing."""
    with bulk_work():
        batch = read_exports(paths, settings=settings, encoding=encoding, on_file=on_file)
        facts = _facts(ledger)
        decisions = _decide(batch.aftersales, settings, now, facts)
    return Analysis(batch, decisions, settings, now, facts=facts)


def _newest_knowledge(conn: Connection, batch: Batch, report: ImportReport, everything: bool) -> list[AfterSale]:
    """The batch's after-sales as the ledger knows them now: where the ledger knows a newer
    state than the file (an older export imported after a newer one), the newer state wins."""
    keys = (
        {(report.shops[r.shop], r.aftersale_id) for r in batch.aftersales if r.shop in report.shops}
        if everything
        else report.older_keys
    )
    if not keys:
        return batch.aftersales
    newer = {(r.shop, r.aftersale_id): r for r in load_aftersales(conn, sorted(keys))}
    return [newer.get((r.shop, r.aftersale_id), r) for r in batch.aftersales]


def import_and_analyse(
    paths: Sequence[Path] | Prefetch,
    *,
    settings: Settings,
    now: datetime,
    ledger: Engine,
    encoding: str | None = None,
    on_file: OnFile | None = None,
    progress: Progress | None = None,
) -> Analysis:
    """Record the exports in the ledger, then decide with everything the team did so far.

    Deciding, counting and keeping the files' problems happen inside the import's transaction:
    the import, its counts and its problems commit together."""
    with bulk_work():
        batch = read_exports(paths, settings=settings, encoding=encoding, on_file=on_file)
        return record_and_analyse(batch, settings=settings, now=now, ledger=ledger, progress=progress)


def record_and_analyse(
    batch: Batch,
    *,
    settings: Settings,
    now: datetime,
    ledger: Engine,
    operator: str | None = None,
    progress: Progress | None = None,
) -> Analysis:
    """Record a batch already read (from files, or from the 抖店 Open Platform) as an import,
    then decide with everything the team did so far: the one import path."""
    with bulk_work():
        decided: list[Analysis] = []

        def decide_and_count(conn: Connection, report: ImportReport) -> None:
            assert report.import_id is not None
            decided.append(_analysis_on(conn, batch, report, settings, now, everything=False))
            record_bucket_counts(conn, report.import_id, decided[0].counts_by_shop())
            already = {earlier.file for earlier in report.already_imported}
            record_problems(conn, report.import_id, batch, {s.name for s in batch.sources} - already)
            mark_stale(conn, report.import_id)
            complete = {name: id_ for name, id_ in report.shops.items() if id_ not in report.behind_shops}
            analysis = decided[0]
            write_import_work(conn, report.import_id, complete, analysis.decisions, analysis.facts, settings)

        report = import_batch(
            ledger,
            batch,
            operator=operator or settings.operator_name,
            now=now,
            progress=progress,
            after_write=decide_and_count,
        )
        if decided:
            return decided[0]
        with ledger.connect() as conn:  # nothing new: the ledger already knew these files
            report.shops = shop_ids(conn, {r.shop for r in batch.aftersales})
            return _analysis_on(conn, batch, report, settings, now, everything=True)


def _analysis_on(
    conn: Connection, batch: Batch, report: ImportReport, settings: Settings, now: datetime, *, everything: bool
) -> Analysis:
    if batch.incremental:  # it listed only what changed: the work is the shops' whole current work
        records = load_current(conn, list(report.shops.values()))
    else:
        records = _newest_knowledge(conn, batch, report, everything)
    facts = load_facts(conn)
    decisions = _decide(records, settings, now, facts)
    written = load_written_remarks(conn, list(report.shops.values()))
    return Analysis(batch, decisions, settings, now, report, facts, now, written)


def analyse_ledger(ledger: Engine, *, settings: Settings, now: datetime, shops: Sequence[str] = ()) -> Analysis:
    """Today's work as the ledger knows it: each shop's latest import, decided now, with the
    files and problems of the imports it comes from."""
    with bulk_work(), ledger.connect() as conn:
        ids = list(shop_ids(conn, shops).values())
        records = load_current(conn, ids)
        facts = load_facts(conn, ids)
        decisions = _decide(records, settings, now, facts)
        imported_at = latest_import_time(conn, ids)
        notes = load_notes(conn, current_imports(conn, ids))
        written = load_written_remarks(conn, ids)
    batch = Batch(
        aftersales=records, files=notes.files, problems=notes.problems, unknown_wordings=notes.unknown_wordings
    )
    return Analysis(batch, decisions, settings, now, facts=facts, imported_at=imported_at, written=written)
