"""The day's work as decided: triage's decisions with the lists, remarks and counts every face
shows. Below the ledger and the outputs, which both read it."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from lanjie.config import Settings
from lanjie.couriers import courier_name
from lanjie.ingest.load import Batch
from lanjie.model import AfterSale, Bucket, Decision, LedgerFacts, Parcel
from lanjie.remarks import Remark, build_remarks

if TYPE_CHECKING:
    from lanjie.ledger.importer import ImportReport


@dataclass(frozen=True, slots=True)
class ParcelLine:
    tracking_no: str
    candidates: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CourierGroup:
    """The parcels of one bucket that go to one courier (None: courier not known)."""

    courier: str | None
    parcels: tuple[ParcelLine, ...]

    @property
    def name(self) -> str:
        return courier_name(self.courier)

    @property
    def numbers(self) -> list[str]:
        return [p.tracking_no for p in self.parcels]


def group_by_courier(decisions: Iterable[Decision], bucket: Bucket) -> list[CourierGroup]:
    """Each parcel once (even when several after-sales share it), most urgent first.

    Couriers are ordered by how many parcels they have; unknown couriers come last.
    """
    seen: set[str] = set()
    groups: dict[str | None, list[ParcelLine]] = {}
    for decision in decisions:
        if decision.bucket is not bucket:
            continue
        for parcel in decision.parcels:
            if parcel.tracking_no in seen:
                continue
            seen.add(parcel.tracking_no)
            groups.setdefault(parcel.courier, []).append(ParcelLine(parcel.tracking_no, parcel.candidates))
    order = sorted(groups, key=lambda code: (code is None, -len(groups[code]), code or ""))
    return [CourierGroup(code, tuple(groups[code])) for code in order]


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
    written: frozenset[tuple[str, str, str]] = frozenset()  # remarks reported written: (shop, order key, status)
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
        """The remarks still to write (those reported written are left out)."""
        due = build_remarks(
            self.decisions,
            facts=self.facts,
            template=self.settings.remark_template,
            flags=self.settings.flags,
            now=self.now,
            operator=self.settings.operator_name,
        )
        return [r for r in due if (r.shop, r.order_key, r.status) not in self.written]

    def counts_by_shop(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for (shop, bucket), n in Counter((d.aftersale.shop, d.bucket) for d in self.decisions).items():
            counts.setdefault(shop, {})[bucket.value] = n
        return counts


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
