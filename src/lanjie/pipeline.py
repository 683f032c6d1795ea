"""The one path every face takes: exports → records → couriers → (ledger) → decisions."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine

from lanjie.config import Settings
from lanjie.couriers import assign_couriers
from lanjie.ingest.load import Batch, OnFile, load_exports
from lanjie.ingest.prefetch import Prefetch
from lanjie.ledger.importer import ImportReport, Progress, import_batch, record_bucket_counts
from lanjie.ledger.records import latest_import_time, load_current, load_facts, shop_ids
from lanjie.model import DEFAULT_SHOP, AfterSale, Bucket, Decision, LedgerFacts, Parcel
from lanjie.outputs.messages import CourierGroup, group_by_courier
from lanjie.outputs.remarks import Remark, build_remarks
from lanjie.triage import triage

_STILL_MOVING = (Bucket.INTERCEPT, Bucket.INTERCEPTING)


@dataclass
class Analysis:
    batch: Batch
    decisions: list[Decision]
    settings: Settings
    now: datetime
    import_report: ImportReport | None = None
    facts: LedgerFacts = field(default_factory=dict)
    imported_at: datetime | None = None  # when the ledger's view of this work was imported
    _groups: dict[Bucket, list[CourierGroup]] = field(default_factory=dict)

    def groups(self, bucket: Bucket) -> list[CourierGroup]:
        if bucket not in self._groups:
            self._groups[bucket] = group_by_courier(self.decisions, bucket)
        return self._groups[bucket]

    def listed_parcels(self, bucket: Bucket) -> list[tuple[AfterSale, Parcel]]:
        """The parcels of the list lanjie gave out for `bucket` (to send, or to chase).

        For interception this includes parcels someone recorded as sent since the latest
        import: they were on the same list, so whoever reports them next learns who was first.
        """
        since = self.imported_at
        listed = []
        for decision in self.decisions:
            on_list = {p.tracking_no for p in decision.parcels} if decision.bucket is bucket else set()
            for parcel in decision.aftersale.parcels:
                fact = self.facts.get(parcel.tracking_no)
                sent_since = (
                    bucket is Bucket.INTERCEPT
                    and since is not None
                    and fact is not None
                    and fact.requested_at >= since
                    and decision.bucket in _STILL_MOVING
                )
                if parcel.tracking_no in on_list or sent_since:
                    listed.append((decision.aftersale, parcel))
        return listed

    @cached_property
    def remarks(self) -> list[Remark]:
        return build_remarks(
            self.decisions,
            template=self.settings.remark_template,
            flags=self.settings.flags,
            now=self.now,
            operator=self.settings.operator_name,
        )

    def counts_by_shop(self) -> dict[str, dict[str, int]]:
        counts: dict[str, Counter[str]] = {}
        for decision in self.decisions:
            counts.setdefault(decision.aftersale.shop or DEFAULT_SHOP, Counter())[decision.bucket.value] += 1
        return {shop: dict(c) for shop, c in counts.items()}


@contextmanager
def bulk_work() -> Iterator[None]:
    """Pause the cyclic garbage collector while building hundreds of thousands of objects.

    Nothing here creates reference cycles, so reference counting frees everything anyway;
    left on, the collector rescans the growing heap again and again (measured: about a
    third of the time of a 100,000-row triage)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_exports(
    paths: Sequence[Path] | Prefetch, *, settings: Settings, encoding: str | None = None, on_file: OnFile | None = None
) -> Batch:
    """Read, clean and identify couriers; every record gets the shop it belongs to."""
    batch = load_exports(paths, encoding=encoding, on_file=on_file)
    assign_couriers(batch.aftersales, by_tracking_no=batch.courier_by_tracking_no, partners=settings.partner_codes)
    for record in batch.aftersales:
        record.shop = settings.shop or record.shop or DEFAULT_SHOP
    return batch


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
    """Record the exports in the ledger, then decide with everything the team did so far."""
    with bulk_work():
        batch = read_exports(paths, settings=settings, encoding=encoding, on_file=on_file)
        report = import_batch(ledger, batch, operator=settings.operator_name, now=now, progress=progress)
        facts = _facts(ledger)
        decisions = _decide(batch.aftersales, settings, now, facts)
    analysis = Analysis(batch, decisions, settings, now, report, facts, now)
    if report.import_id is not None:
        record_bucket_counts(ledger, report.import_id, analysis.counts_by_shop())
    return analysis


def analyse_ledger(ledger: Engine, *, settings: Settings, now: datetime, shops: Sequence[str] = ()) -> Analysis:
    """Today's work as the ledger knows it: each shop's latest import, decided now."""
    with bulk_work(), ledger.connect() as conn:
        ids = list(shop_ids(conn, shops).values())
        records = load_current(conn, ids)
        facts = load_facts(conn, ids)
        decisions = _decide(records, settings, now, facts)
        imported_at = latest_import_time(conn, ids)
    return Analysis(Batch(aftersales=records), decisions, settings, now, facts=facts, imported_at=imported_at)
