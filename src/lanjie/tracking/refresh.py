"""`lanjie track`: ask 快递100 where every parcel with open work is, keep the answers, and let
the work follow them.

The parcels asked about are those of the current work still in play: to intercept, requested,
to chase, to verify, coming back. Each is asked at most once per `track_minutes`, in parallel
within `track_rate` queries a second. A failed query keeps the parcel's last known state. When
an answer changes what an after-sale's parcels are doing (signed since the export, coming back
after a request …), the after-sale goes through the import path like a sync: the change is an
event, a pending interception gets its outcome, and triage decides with the freshest state (a
parcel signed since the export goes to 核实 before anyone sends it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from lanjie.clients.kuaidi100 import Kuaidi100Client, Kuaidi100Error, Tracking
from lanjie.config import Settings
from lanjie.ingest.load import Batch, batch_from_service
from lanjie.ledger.database import write_transaction
from lanjie.ledger.worklist import resolve_shops
from lanjie.model import SHANGHAI, AfterSale, Bucket, LogisticsState, SourceRef
from lanjie.pipeline import analyse_ledger, record_and_analyse
from lanjie.tracking.pacing import Pace
from lanjie.tracking.store import save_answers, save_errors, take_due

TRACKED = frozenset({Bucket.INTERCEPT, Bucket.INTERCEPTING, Bucket.CHASE, Bucket.VERIFY, Bucket.RETURNING})
SOURCE_PREFIX = "快递100 物流"
# When an after-sale has several parcels, the one that matters most for the decision decides.
PRECEDENCE = (
    LogisticsState.SIGNED,
    LogisticsState.DELIVERING,
    LogisticsState.PROBLEM,
    LogisticsState.MOVING,
    LogisticsState.REJECTED,
    LogisticsState.RETURNING,
    LogisticsState.RETURNED,
)
ON_THE_WAY = frozenset({LogisticsState.NONE, LogisticsState.MOVING})  # the same thing for the work

Progress = Callable[[int, int], None]  # parcels asked so far, parcels to ask


@dataclass
class TrackReport:
    parcels: int = 0  # with open work
    asked: int = 0
    not_due: int = 0  # asked within track_minutes (by anyone): not asked again
    without_courier: int = 0
    answered: int = 0
    changed: int = 0  # after-sales whose work follows a new state
    errors: list[tuple[str, str]] = field(default_factory=list)  # (tracking number, why)

    def as_json(self) -> dict[str, Any]:
        return {
            "parcels": self.parcels,
            "asked": self.asked,
            "not_due": self.not_due,
            "without_courier": self.without_courier,
            "answered": self.answered,
            "changed": self.changed,
            "errors": [{"tracking_no": n, "error": e} for n, e in self.errors],
        }


def refresh_tracking(
    engine: Engine,
    client: Kuaidi100Client,
    *,
    settings: Settings,
    now: datetime,
    shops: Sequence[str] = (),
    operator: str | None = None,
    progress: Progress | None = None,
    sleep: Callable[[float], None] | None = None,
) -> TrackReport:
    report = TrackReport()
    ids = resolve_shops(engine, shops)
    analysis = analyse_ledger(engine, settings=settings, now=now, shops=shops)
    records: dict[tuple[int, str], AfterSale] = {}
    couriers: dict[tuple[int, str], str] = {}
    for decision in analysis.decisions:
        if decision.bucket not in TRACKED:
            continue
        shop_id = ids[decision.aftersale.shop]
        for parcel in decision.aftersale.parcels:
            key = (shop_id, parcel.tracking_no)
            records.setdefault(key, decision.aftersale)
            if parcel.courier is not None:
                couriers[key] = parcel.courier
    report.parcels = len(records)
    report.without_courier = len(records) - len(couriers)
    due = take_due(engine, sorted(couriers), now=now, every=timedelta(minutes=settings.track_minutes))
    report.not_due = len(couriers) - len(due)
    report.asked = len(due)
    answers = _ask(client, sorted(due), couriers, settings=settings, report=report, progress=progress, sleep=sleep)
    _save(engine, answers, report, now)
    changed = _changed(records, answers)
    report.changed = len(changed)
    if changed:
        batch = _batch(changed, now)
        record_and_analyse(batch, settings=settings, now=now, ledger=engine, operator=operator)
    return report


def _ask(
    client: Kuaidi100Client,
    keys: list[tuple[int, str]],
    couriers: dict[tuple[int, str], str],
    *,
    settings: Settings,
    report: TrackReport,
    progress: Progress | None,
    sleep: Callable[[float], None] | None,
) -> dict[tuple[int, str], Tracking | Kuaidi100Error]:
    pace = Pace(settings.track_rate, sleep=sleep) if sleep else Pace(settings.track_rate)
    phone = settings.kuaidi100_phone or None
    done: dict[tuple[int, str], Tracking | Kuaidi100Error] = {}

    def one(key: tuple[int, str]) -> tuple[tuple[int, str], Tracking | Kuaidi100Error]:
        pace.wait()
        try:
            return key, client.query(couriers[key], key[1], phone=phone)
        except Kuaidi100Error as error:
            return key, error

    with ThreadPoolExecutor(max_workers=settings.track_workers) as pool:
        for key, answer in pool.map(one, keys):
            done[key] = answer
            if progress:
                progress(len(done), len(keys))
    return done


def _save(
    engine: Engine, answers: dict[tuple[int, str], Tracking | Kuaidi100Error], report: TrackReport, now: datetime
) -> None:
    good, bad = [], []
    for (shop_id, number), answer in answers.items():
        if isinstance(answer, Tracking):
            good.append(
                {
                    "k_shop": shop_id,
                    "k_no": number,
                    "state": answer.logistics.value,
                    "state_name": answer.state_name,
                    "route": answer.context,
                    "route_at": answer.time,
                    "checked_at": now,
                }
            )
        else:
            why = answer.explain()
            bad.append({"k_shop": shop_id, "k_no": number, "error": why})
            report.errors.append((number, why))
    report.answered = len(good)
    with write_transaction(engine) as conn:
        save_answers(conn, good)
        save_errors(conn, bad)


def combined(states: Sequence[LogisticsState]) -> LogisticsState:
    return min(states, key=lambda s: PRECEDENCE.index(s) if s in PRECEDENCE else len(PRECEDENCE))


def _changed(
    records: dict[tuple[int, str], AfterSale], answers: dict[tuple[int, str], Tracking | Kuaidi100Error]
) -> list[AfterSale]:
    """The after-sales whose parcels are now doing something other than what the ledger says,
    with the state and words 快递100 gave."""
    by_aftersale: dict[tuple[int, str], tuple[AfterSale, list[Tracking]]] = {}
    for (shop_id, number), answer in answers.items():
        if isinstance(answer, Tracking) and answer.logistics is not LogisticsState.UNKNOWN:
            record = records[(shop_id, number)]
            by_aftersale.setdefault((shop_id, record.aftersale_id), (record, []))[1].append(answer)
    updated = []
    for record, tracked in by_aftersale.values():
        state = combined([t.logistics for t in tracked])
        if state is record.logistics or {state, record.logistics} <= ON_THE_WAY:
            continue
        words = next(t.state_name for t in tracked if t.logistics is state)
        updated.append(dataclasses.replace(record, logistics=state, logistics_raw=words))
    return updated


def _batch(records: list[AfterSale], now: datetime) -> Batch:
    name = f"{SOURCE_PREFIX} {now.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}"
    moved = [dataclasses.replace(r, source=SourceRef(name, row)) for row, r in enumerate(records, start=1)]
    content = repr([(r.shop, r.aftersale_id, r.logistics_raw) for r in records]) + name
    return batch_from_service(name, content, now, moved, rows=len(moved), incremental=True)
