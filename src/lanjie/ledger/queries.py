"""Reading the ledger back: the history of one after-sale or parcel, and team statistics."""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, and_, or_, select, tuple_

from lanjie.couriers import courier_name
from lanjie.ledger.events import EVENT_LABELS, EventKind
from lanjie.ledger.keys import keyed
from lanjie.ledger.schema import aftersale_parcels, aftersales, events, imports, interceptions, parcels, shops
from lanjie.model import SHANGHAI, Bucket, Outcome


@dataclass(frozen=True)
class HistoryEvent:
    at: datetime
    operator: str
    kind: EventKind
    shop: str
    aftersale_id: str | None
    tracking_no: str | None
    order_id: str | None
    before: str | None
    after: str | None

    @property
    def label(self) -> str:
        return EVENT_LABELS[self.kind]


@dataclass
class History:
    key: str
    aftersales: list[dict[str, Any]] = field(default_factory=list)
    events: list[HistoryEvent] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        """`lanjie history --json` (a stable shape: fields are only ever added)."""
        return {
            "key": self.key,
            "aftersales": self.aftersales,
            "events": [
                {
                    "at": e.at,
                    "operator": e.operator,
                    "kind": e.kind.value,
                    "label": e.label,
                    "shop": e.shop,
                    "aftersale_id": e.aftersale_id,
                    "tracking_no": e.tracking_no,
                    "order_id": e.order_id,
                    "before": e.before,
                    "after": e.after,
                }
                for e in self.events
            ],
        }


def history(conn: Connection, key: str, shop_ids: Collection[int] | None = None) -> History:
    """Everything recorded about an after-sale, an order or a parcel, oldest first."""
    result = History(key)
    names = dict(conn.execute(select(shops.c.id, shops.c.name)).all())
    by_parcel = select(aftersale_parcels.c.shop_id, aftersale_parcels.c.aftersale_id).where(
        aftersale_parcels.c.tracking_no == key
    )
    found = select(aftersales).where(
        or_(
            aftersales.c.aftersale_id == key,
            aftersales.c.order_id == key,
            tuple_(aftersales.c.shop_id, aftersales.c.aftersale_id).in_(by_parcel),
        )
    )
    if shop_ids is not None:
        found = found.where(aftersales.c.shop_id.in_(shop_ids))
    rows = list(conn.execute(found))
    keys = [(r.shop_id, r.aftersale_id) for r in rows]
    tracking = {(r.shop_id, no) for r in rows for no in r.tracking_nos.split(",") if no}
    for row in rows:
        result.aftersales.append(
            {
                "shop": names[row.shop_id],
                "aftersale_id": row.aftersale_id,
                "order_id": row.order_id,
                "state": row.state_raw,
                "logistics": row.logistics_raw,
                "tracking_nos": row.tracking_nos.split(","),
                "deadline": row.deadline,
                "product": row.product,
                "source_file": row.source_file,
                "source_row": row.source_row,
            }
        )
    conditions = [events.c.tracking_no == key, events.c.order_id == key]
    if keys:
        conditions.append(keyed(events.c.shop_id, events.c.aftersale_id, keys))
    if tracking:
        conditions.append(keyed(events.c.shop_id, events.c.tracking_no, sorted(tracking)))
    query = select(events).where(or_(*conditions)).order_by(events.c.at, events.c.id)
    if shop_ids is not None:
        query = query.where(events.c.shop_id.in_(shop_ids))
    logged = [
        HistoryEvent(
            r.at,
            r.operator,
            EventKind(r.kind),
            names.get(r.shop_id, ""),
            r.aftersale_id,
            r.tracking_no,
            r.order_id,
            r.before,
            r.after,
        )
        for r in conn.execute(query)
    ]
    result.events = sorted(_first_imports(conn, rows, logged, names) + logged, key=lambda e: e.at)
    return result


def _first_imports(
    conn: Connection, rows: list[Any], logged: list[HistoryEvent], names: dict[int, str]
) -> list[HistoryEvent]:
    """Each after-sale's arrival, from the import that first brought it, in the state it had then:
    the state before its first recorded change, or its state now."""
    wanted = {r.first_import_id for r in rows}
    brought = {r.id: r for r in conn.execute(select(imports).where(imports.c.id.in_(wanted)))}
    arrivals = []
    for row in rows:
        changes = [e for e in logged if e.aftersale_id == row.aftersale_id and names.get(row.shop_id) == e.shop]
        state = next((e.before for e in changes if e.kind is EventKind.STATE_CHANGED), row.state_raw)
        logistics = next(
            (e.before for e in changes if e.kind is EventKind.LOGISTICS_CHANGED), row.logistics_raw or "无物流状态"
        )
        first = brought[row.first_import_id]
        arrivals.append(
            HistoryEvent(
                first.imported_at,
                first.operator,
                EventKind.FIRST_SEEN,
                names[row.shop_id],
                row.aftersale_id,
                None,
                row.order_id,
                None,
                f"{state} / {logistics}",
            )
        )
    return arrivals


@dataclass
class CourierStats:
    courier: str | None
    requests: int = 0
    success: int = 0
    failed: int = 0
    pending: int = 0
    hours_to_return: list[float] = field(default_factory=list)

    @property
    def median_hours_to_return(self) -> float | None:
        return round(statistics.median(self.hours_to_return), 1) if self.hours_to_return else None


@dataclass
class Stats:
    since: datetime
    couriers: list[CourierStats]
    rejections: int
    days: list[tuple[date, dict[str, int]]]

    def document(self, *, now: datetime, shops: list[str] | None) -> dict[str, Any]:
        """`lanjie stats --json` (a stable shape: fields are only ever added)."""
        return {
            "generated_at": now,
            "since": self.since,
            "shops": shops,
            "couriers": [
                {
                    "courier": c.courier,
                    "name": courier_name(c.courier),
                    "requests": c.requests,
                    "success": c.success,
                    "failed": c.failed,
                    "pending": c.pending,
                    "median_hours_to_return": c.median_hours_to_return,
                }
                for c in self.couriers
            ],
            "rejections": self.rejections,
            "days": [
                {"date": day.isoformat(), "counts": {b.value: counts.get(b.value, 0) for b in Bucket}}
                for day, counts in self.days
            ],
        }


def stats(conn: Connection, *, shop_ids: Collection[int] | None, now: datetime, days: int) -> Stats:
    """Interceptions per courier, rejections and the daily work over the last `days` days."""
    since = (now.astimezone(SHANGHAI) - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    per_courier: dict[str | None, CourierStats] = {}
    requests = select(interceptions).where(interceptions.c.requested_at >= since)
    if shop_ids is not None:
        requests = requests.where(interceptions.c.shop_id.in_(shop_ids))
    for row in conn.execute(requests):
        entry = per_courier.setdefault(row.courier, CourierStats(row.courier))
        entry.requests += 1
        outcome = Outcome(row.outcome)
        if outcome is Outcome.SUCCESS:
            entry.success += 1
            entry.hours_to_return.append((row.outcome_at - row.requested_at).total_seconds() / 3600)
        elif outcome is Outcome.FAILED:
            entry.failed += 1
        else:
            entry.pending += 1
    rejected = select(events.c.id).where(and_(events.c.kind == EventKind.REJECTED.value, events.c.at >= since))
    if shop_ids is not None:
        rejected = rejected.where(events.c.shop_id.in_(shop_ids))
    rejections = len(conn.execute(rejected).all())

    # The work right after the day's last import, per shop, summed over the shops asked for.
    latest: dict[tuple[date, str], dict[str, int]] = {}
    for row in conn.execute(
        select(imports.c.imported_at, imports.c.bucket_counts)
        .where(and_(imports.c.imported_at >= since, imports.c.bucket_counts.is_not(None)))
        .order_by(imports.c.imported_at)
    ):
        day = row.imported_at.astimezone(SHANGHAI).date()
        for shop, counts in json.loads(row.bucket_counts).items():
            latest[(day, shop)] = counts
    wanted = (
        None
        if shop_ids is None
        else {name for name, id_ in conn.execute(select(shops.c.name, shops.c.id)).all() if id_ in shop_ids}
    )
    per_day: dict[date, Counter[str]] = defaultdict(Counter)
    for (day, shop), counts in latest.items():
        if wanted is None or shop in wanted:
            per_day[day].update(counts)
    ordered = sorted(per_day.items())
    couriers = sorted(per_courier.values(), key=lambda c: (-c.requests, c.courier or ""))
    return Stats(since, couriers, rejections, [(day, dict(counts)) for day, counts in ordered])


def aftersale_detail(conn: Connection, shop_id: int, aftersale_id: str) -> tuple[Row[Any], list[Row[Any]]] | None:
    """One after-sale as the ledger keeps it (with its shop's name), and its parcels with their
    interception requests, in the export's order; None when the ledger has no such after-sale."""
    row = conn.execute(
        select(aftersales, shops.c.name.label("shop"))
        .join(shops, shops.c.id == aftersales.c.shop_id)
        .where(and_(aftersales.c.shop_id == shop_id, aftersales.c.aftersale_id == aftersale_id))
    ).first()
    if row is None:
        return None
    links = aftersale_parcels
    parcel_rows = conn.execute(
        select(
            parcels,
            interceptions.c.requested_at,
            interceptions.c.requested_by,
            interceptions.c.outcome,
            interceptions.c.last_chased_at,
        )
        .join(links, and_(links.c.shop_id == parcels.c.shop_id, links.c.tracking_no == parcels.c.tracking_no))
        .outerjoin(
            interceptions,
            and_(interceptions.c.shop_id == parcels.c.shop_id, interceptions.c.tracking_no == parcels.c.tracking_no),
        )
        .where(and_(links.c.shop_id == shop_id, links.c.aftersale_id == aftersale_id))
        .order_by(links.c.position)
    ).all()
    return row, list(parcel_rows)
