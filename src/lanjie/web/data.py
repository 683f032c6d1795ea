"""What the pages read from the decided work: bounded queries (counts, one page of rows)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    Integer,
    and_,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    true,
)

from lanjie.errors import BadInput, NotFound
from lanjie.ledger.actions import ParcelRef
from lanjie.ledger.events import EventKind
from lanjie.ledger.keys import keyed
from lanjie.ledger.schema import (
    UTCDateTime,
    events,
    parcel_tracking,
    parcels,
    remarks,
    shops,
    work,
    work_counts,
    work_parcels,
)
from lanjie.ledger.workview import ALL, NO_COURIER
from lanjie.model import Bucket
from lanjie.tracking.store import TrackingFact, load_facts

OPEN_BUCKETS = [b.value for b in Bucket if b is not Bucket.OUT_OF_SCOPE]


@dataclass(frozen=True)
class Page:
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def page_of(number: int, size: int, total: int) -> Page:
    pages = max(1, -(-total // size))
    return Page(min(max(number, 1), pages), size, total)


MAX_ID = 2**31 - 1  # the ledger's ids are 32-bit integers: a bigger number names nothing


def shop_filter(conn: Connection, shop: str | None) -> list[int] | None:
    """The shop a page or download is filtered to (None: every shop). A shop the ledger does
    not have is an error that says so, never a silent “every shop” or an empty page."""
    if not shop:
        return None
    if "\x00" in shop or len(shop) > 200:
        raise BadInput("shop_not_found", shop=shop.replace("\x00", "")[:50])
    found = conn.execute(select(shops.c.id).where(shops.c.name == shop)).scalar()
    if found is None:
        raise NotFound("shop_not_found", shop=shop)
    return [int(found)]


def _in_shops(column: Any, shop_ids: Sequence[int] | None) -> ColumnElement[bool]:
    return true() if shop_ids is None else column.in_(shop_ids)


def _of_courier(parcels: FromClause, courier: str | None) -> ColumnElement[bool]:
    """Rows of work_parcels (or an alias) on `courier`'s list (None: the courier is not known)."""
    return parcels.c.courier.is_(None) if courier is None else parcels.c.courier == courier


@dataclass(frozen=True)
class BucketCount:
    """A bucket's after-sales, and of them those past their deadline (overdue) and those due
    within urgent_hours (urgent, overdue ones not included), as lanjie.buckets.urgency says."""

    total: int
    overdue: int = 0
    urgent: int = 0


def bucket_counts(
    conn: Connection, shop_ids: Sequence[int] | None, *, now: datetime, urgent_hours: float
) -> dict[str, BucketCount]:
    """Per bucket: how many after-sales (kept counts), and how many of the open ones are
    overdue or urgent."""
    kept = conn.execute(
        select(work_counts.c.bucket, func.sum(work_counts.c.n))
        .where(_in_shops(work_counts.c.shop_id, shop_ids), work_counts.c.courier == ALL)
        .group_by(work_counts.c.bucket)
    )
    totals = {bucket: int(n) for bucket, n in kept}
    due = _due_before(conn, shop_ids, totals, now=now, soon=now + timedelta(hours=urgent_hours))
    counts: dict[str, BucketCount] = {}
    for bucket in Bucket:
        overdue, pressing = due.get(bucket.value, (0, 0))
        counts[bucket.value] = BucketCount(totals.get(bucket.value, 0), overdue, pressing - overdue)
    return counts


FEW = 1_000  # rows still ahead of `now` counted at most; with more, the rows before `soon` are counted instead


def _due_before(
    conn: Connection, shop_ids: Sequence[int] | None, totals: dict[str, int], *, now: datetime, soon: datetime
) -> dict[str, tuple[int, int]]:
    """Per open bucket: how many after-sales are due before `now` (overdue) and before `soon`
    (overdue or urgent), from ranges of the (bucket, due) index (no deadline: due is far away).

    A ledger left for days has nearly every deadline behind it: when fewer than FEW rows are
    still due at or after `now`, those are counted and the rest taken from the kept totals,
    rather than counting 100,000 overdue rows on every page. Otherwise the rows due before
    `soon` are counted."""
    wanted = and_(_in_shops(work.c.shop_id, shop_ids), work.c.bucket.in_(OPEN_BUCKETS))
    ahead = select(work.c.bucket, work.c.due).where(wanted, work.c.due >= now).limit(FEW).subquery()
    later = conn.execute(
        select(ahead.c.bucket, func.count(), func.count().filter(ahead.c.due >= soon)).group_by(ahead.c.bucket)
    ).all()
    if sum(n for _, n, _ in later) < FEW:
        not_due = {bucket: (int(not_overdue), int(not_pressing)) for bucket, not_overdue, not_pressing in later}
        return {bucket: _from_total(totals.get(bucket, 0), *not_due.get(bucket, (0, 0))) for bucket in OPEN_BUCKETS}
    earlier = conn.execute(
        select(work.c.bucket, func.count().filter(work.c.due < now), func.count())
        .where(wanted, work.c.due < soon)
        .group_by(work.c.bucket)
    )
    return {bucket: (int(overdue), int(pressing)) for bucket, overdue, pressing in earlier}


def _from_total(total: int, not_overdue: int, not_pressing: int) -> tuple[int, int]:
    # The kept totals were read by another statement: an import committing in between must not
    # make a count negative.
    return max(total - not_overdue, 0), max(total - not_pressing, 0)


def open_work(
    conn: Connection, shop_ids: Sequence[int] | None, *, number: int, size: int, total: int, bucket: str | None = None
) -> tuple[list[Any], Page]:
    """One page of the open work, nearest deadline first (no deadline last). `total` comes from
    bucket_counts, so the page reads only its own rows, in index order."""
    where = and_(
        _in_shops(work.c.shop_id, shop_ids), work.c.bucket == bucket if bucket else work.c.bucket.in_(OPEN_BUCKETS)
    )
    page = page_of(number, size, total)
    rows = conn.execute(
        select(work, shops.c.name.label("shop"))
        .join(shops, shops.c.id == work.c.shop_id)
        .where(where)
        .order_by(work.c.due, work.c.aftersale_id)
        .limit(size)
        .offset(page.offset)
    ).all()
    return [_with_reasons(r) for r in rows], page


def _with_reasons(row: Any) -> dict[str, Any]:
    item = dict(row._mapping)
    item["reasons"] = json.loads(item["reasons"])
    item["couriers"] = [c for c in item["couriers"].split(",") if c]
    return item


def deadline_hours(
    conn: Connection, shop_ids: Sequence[int] | None, *, now: datetime, overdue: int, hours: int = 24
) -> list[tuple[str, int]]:
    """Open work by hour of deadline for the next `hours` hours, after the `overdue` count
    (bucket_counts' overdue open work)."""
    start = now.replace(minute=0, second=0, microsecond=0)
    end = start + timedelta(hours=hours)
    wanted = and_(_in_shops(work.c.shop_id, shop_ids), work.c.bucket.in_(OPEN_BUCKETS))
    slot = _hours_after(conn, work.c.due, start).label("slot")
    upcoming = select(slot, func.count()).where(wanted, work.c.due >= now, work.c.due < end).group_by(slot)
    counts = {int(index): int(n) for index, n in conn.execute(upcoming)}
    counts[-1] = overdue
    labels = [("已超时", -1)] + [(f"{start + timedelta(hours=h):%H}点", h) for h in range(hours)]
    return [(label, counts.get(index, 0)) for label, index in labels]


def _hours_after(conn: Connection, column: Any, start: datetime) -> ColumnElement[int]:
    """Whole hours from `start` to a stored time (the databases count time differently)."""
    if conn.dialect.name == "postgresql":
        return cast(func.floor(func.extract("epoch", column - start) / 3600), Integer)
    return cast((func.julianday(column) - func.julianday(UTCDateTime.sqlite_text(start))) * 24, Integer)


def _still_listed(bucket: str) -> ColumnElement[bool]:
    """A parcel on the 核实 list leaves it once the courier was asked (已发核实)."""
    return ~_verify_event(EventKind.VERIFY_ASKED) if bucket == Bucket.VERIFY.value else true()


def _verify_event(kind: EventKind) -> ColumnElement[bool]:
    return (
        select(events.c.id)
        .where(
            events.c.shop_id == work_parcels.c.shop_id,
            events.c.tracking_no == work_parcels.c.tracking_no,
            # Written into the SQL, not bound: a generic plan of a prepared statement (PostgreSQL)
            # could not use the index of 已发核实 events (ix_events_verify_asked) otherwise.
            events.c.kind == literal(kind.value, literal_execute=True),
        )
        .exists()
    )


AWAITING_SHOWN = 200


def awaiting_answer(conn: Connection, shop_ids: Sequence[int] | None, courier: str | None) -> list[Any]:
    """Parcels of the 核实 list the courier was asked about and has not answered yet (at most 200)."""
    query = (
        select(work_parcels.c.shop_id, work_parcels.c.tracking_no, work_parcels.c.deadline)
        .where(
            work_parcels.c.bucket == Bucket.VERIFY.value,
            _in_shops(work_parcels.c.shop_id, shop_ids),
            _of_courier(work_parcels, courier),
            _verify_event(EventKind.VERIFY_ASKED),
            ~_verify_event(EventKind.VERIFY_ANSWERED),
        )
        .distinct()
        .order_by(work_parcels.c.deadline, work_parcels.c.tracking_no)
        .limit(AWAITING_SHOWN)
    )
    return list(conn.execute(query))


def awaiting_refs(conn: Connection, refs: Sequence[tuple[int, str]]) -> dict[tuple[int, str], Any]:
    """Which of these parcels await the courier's 核实 answer: (shop, number) → courier, 售后单号, 订单号."""
    return _work_parcels_among(
        conn,
        refs,
        work_parcels.c.bucket == Bucket.VERIFY.value,
        _verify_event(EventKind.VERIFY_ASKED),
        ~_verify_event(EventKind.VERIFY_ANSWERED),
    )


def _work_parcels_among(
    conn: Connection, refs: Sequence[tuple[int, str]], *conditions: ColumnElement[bool]
) -> dict[tuple[int, str], Any]:
    """The kept work's parcels among `refs` that meet `conditions`: (shop, number) → a row with
    courier, aftersale_id and order_id (the first after-sale when several share a parcel)."""
    found: dict[tuple[int, str], Any] = {}
    for start in range(0, len(refs), 400):
        query = (
            select(
                work_parcels.c.shop_id,
                work_parcels.c.tracking_no,
                work_parcels.c.courier,
                work_parcels.c.aftersale_id,
                work.c.order_id,
            )
            .join(
                work, and_(work.c.shop_id == work_parcels.c.shop_id, work.c.aftersale_id == work_parcels.c.aftersale_id)
            )
            .where(keyed(work_parcels.c.shop_id, work_parcels.c.tracking_no, list(refs[start : start + 400])))
            .where(*conditions)
        )
        for row in conn.execute(query):
            found.setdefault((row.shop_id, row.tracking_no), row)
    return found


def courier_counts(conn: Connection, shop_ids: Sequence[int] | None, bucket: str) -> list[tuple[str | None, int]]:
    """Parcels per courier in a bucket (each parcel once), most first; unknown couriers last.
    Counted with the work; the 核实 list leaves out the parcels the courier was asked about."""
    kept = conn.execute(
        select(work_counts.c.courier, func.sum(work_counts.c.n))
        .where(_in_shops(work_counts.c.shop_id, shop_ids), work_counts.c.bucket == bucket, work_counts.c.courier != ALL)
        .group_by(work_counts.c.courier)
    )
    counts = Counter({None if courier == NO_COURIER else courier: int(n) for courier, n in kept})
    if bucket == Bucket.VERIFY.value:
        counts.subtract(_asked_about(conn, shop_ids))
    found = [(courier, n) for courier, n in counts.items() if n > 0]
    return sorted(found, key=lambda item: (item[0] is None, -item[1], item[0] or ""))


def _asked_about(conn: Connection, shop_ids: Sequence[int] | None) -> dict[str | None, int]:
    """Parcels of the 核实 list the courier was already asked about (已发核实), per courier: counted
    with the work but no longer listed. (With no such event the list itself is not read.)"""
    asked = (
        select(work_parcels.c.courier, work_parcels.c.shop_id, work_parcels.c.tracking_no)
        .where(
            work_parcels.c.bucket == Bucket.VERIFY.value,
            _in_shops(work_parcels.c.shop_id, shop_ids),
            _verify_event(EventKind.VERIFY_ASKED),
        )
        .distinct()
        .subquery()
    )
    per_courier = select(asked.c.courier, func.count()).group_by(asked.c.courier)
    return {courier: int(n) for courier, n in conn.execute(per_courier)}


@dataclass(frozen=True)
class ListedParcel:
    shop_id: int
    tracking_no: str
    candidates: tuple[str, ...]
    deadline: datetime | None


def courier_parcels(
    conn: Connection,
    shop_ids: Sequence[int] | None,
    *,
    bucket: str,
    courier: str | None,
    number: int,
    size: int,
    total: int,
) -> tuple[list[ListedParcel], Page]:
    """One page of a courier's list: each parcel once, the most urgent first. `total` comes
    from courier_counts, so the page reads only its own rows."""
    this = work_parcels
    other = work_parcels.alias("other")
    # A parcel several after-sales share is listed once, by its most urgent row: rows walk the
    # (bucket, courier, due, tracking_no, shop_id) index in page order, each looking for a more
    # urgent row of its parcel in the (shop_id, tracking_no, bucket, courier) index, and no GROUP BY
    # reads the rest.
    earlier = (
        select(other.c.tracking_no)
        .where(
            other.c.bucket == this.c.bucket,
            _of_courier(other, courier),
            other.c.shop_id == this.c.shop_id,
            other.c.tracking_no == this.c.tracking_no,
            or_(other.c.due < this.c.due, and_(other.c.due == this.c.due, other.c.aftersale_id < this.c.aftersale_id)),
        )
        .exists()
    )
    where = and_(
        this.c.bucket == bucket,
        _of_courier(this, courier),
        _in_shops(this.c.shop_id, shop_ids),
        _still_listed(bucket),
        ~earlier,
    )
    page = page_of(number, size, total)
    rows = conn.execute(
        select(this.c.shop_id, this.c.tracking_no, this.c.candidates, this.c.deadline)
        .where(where)
        .order_by(this.c.due, this.c.tracking_no)
        .limit(size)
        .offset(page.offset)
    ).all()
    parcels = [
        ListedParcel(r.shop_id, r.tracking_no, tuple(c for c in r.candidates.split(",") if c), r.deadline) for r in rows
    ]
    return parcels, page


def courier_list_refs(
    conn: Connection, shop_ids: Sequence[int] | None, *, bucket: str, courier: str
) -> list[ParcelRef]:
    """A courier's whole list of one bucket (every page), in the pages' order, with the after-sale
    and order each parcel is recorded under: what 发到群 posts and records."""
    total = next((n for code, n in courier_counts(conn, shop_ids, bucket) if code == courier), 0)
    if not total:
        return []
    listed, _ = courier_parcels(conn, shop_ids, bucket=bucket, courier=courier, number=1, size=total, total=total)
    found = listed_parcels(conn, bucket, [(p.shop_id, p.tracking_no) for p in listed])
    return [
        ParcelRef(p.shop_id, p.tracking_no, row.courier or courier, row.aftersale_id, row.order_id)
        for p in listed
        if (row := found.get((p.shop_id, p.tracking_no))) is not None
    ]


def tracked_at(conn: Connection) -> datetime | None:
    """When 快递100's most recent answer came: how fresh the tracking is. (MAX, not an ORDER BY …
    DESC: PostgreSQL sorts the parcels never answered, their time NULL, first.)"""
    moment: datetime | None = conn.execute(select(func.max(parcel_tracking.c.checked_at))).scalar()
    return moment


def route_lines(conn: Connection, refs: Sequence[tuple[int, str]]) -> dict[tuple[int, str], TrackingFact]:
    """What 快递100 last said about each of these parcels that was ever asked about (one query per
    400 parcels): its latest route line and time, or the error of the last query."""
    return load_facts(conn, list(dict.fromkeys(refs))) if refs else {}


def pending_remarks(
    conn: Connection, shop_ids: Sequence[int] | None, *, number: int, size: int
) -> tuple[list[dict[str, Any]], Page]:
    """One page of the remarks nobody has written yet, nearest deadline first.

    The rule of lanjie.outputs.remarks: one remark per order, decided by its after-sale with
    the nearest deadline (then the smallest 售后单号) among those that call for a remark; an
    order whose deciding remark was written has nothing left to write."""
    deciding = func.row_number().over(
        partition_by=(work.c.shop_id, work.c.order_key), order_by=(work.c.due, work.c.aftersale_id)
    )
    candidates = (
        select(
            work.c.shop_id,
            work.c.order_key,
            work.c.order_id,
            work.c.aftersale_id,
            work.c.remark_status,
            work.c.remark_on,
            work.c.bucket,
            work.c.deadline,
            work.c.due,
            work.c.couriers,
            deciding.label("rank"),
        )
        .where(_in_shops(work.c.shop_id, shop_ids), work.c.remark_status.is_not(None))
        .subquery()
    )
    written = (
        select(remarks.c.id)
        .where(
            remarks.c.shop_id == candidates.c.shop_id,
            remarks.c.order_key == candidates.c.order_key,
            remarks.c.status == candidates.c.remark_status,
        )
        .exists()
    )
    where = and_(candidates.c.rank == 1, ~written)
    total = int(conn.execute(select(func.count()).select_from(candidates).where(where)).scalar_one())
    page = page_of(number, size, total)
    rows = [
        dict(row._mapping)
        for row in conn.execute(
            select(candidates, shops.c.name.label("shop"))
            .join(shops, shops.c.id == candidates.c.shop_id)
            .where(where)
            .order_by(candidates.c.due, candidates.c.aftersale_id)
            .limit(size)
            .offset(page.offset)
        )
    ]
    members: dict[tuple[int, str], list[str]] = {}
    keys = [(row["shop_id"], row["order_key"]) for row in rows]
    for start in range(0, len(keys), 400):
        for member in conn.execute(
            select(work.c.shop_id, work.c.order_key, work.c.aftersale_id)
            .where(keyed(work.c.shop_id, work.c.order_key, keys[start : start + 400]))
            .where(work.c.remark_status.is_not(None))
            .order_by(work.c.due, work.c.aftersale_id)
        ):
            members.setdefault((member.shop_id, member.order_key), []).append(member.aftersale_id)
    for row in rows:
        row["aftersale_ids"] = tuple(members.get((row["shop_id"], row["order_key"]), [row["aftersale_id"]]))
    return rows, page


def work_row(conn: Connection, shop_id: int, aftersale_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(work).where(and_(work.c.shop_id == shop_id, work.c.aftersale_id == aftersale_id))).first()
    return None if row is None else _with_reasons(row)


def listed_parcels(conn: Connection, bucket: str | None, refs: Sequence[tuple[int, str]]) -> dict[tuple[int, str], Any]:
    """Which of these parcels the page may record: (shop, number) → a row with courier,
    aftersale_id and order_id. With a bucket, only the parcels on its courier list now; without,
    any parcel the ledger knows (its after-sale left blank)."""
    if bucket is not None:
        return _work_parcels_among(conn, refs, work_parcels.c.bucket == bucket, _still_listed(bucket))
    found: dict[tuple[int, str], Any] = {}
    for start in range(0, len(refs), 400):
        query = select(
            parcels.c.shop_id,
            parcels.c.tracking_no,
            parcels.c.courier,
            null().label("aftersale_id"),
            null().label("order_id"),
        ).where(keyed(parcels.c.shop_id, parcels.c.tracking_no, list(refs[start : start + 400])))
        found |= {(row.shop_id, row.tracking_no): row for row in conn.execute(query)}
    return found


def due_remarks(conn: Connection, refs: Sequence[tuple[int, str, str]]) -> dict[tuple[int, str, str], dict[str, Any]]:
    """The remarks due now among (shop, order, status): the deciding work row of each order
    (nearest deadline, then smallest 售后单号) whose remark is not written yet."""
    wanted = set(refs)
    found: dict[tuple[int, str, str], dict[str, Any]] = {}
    seen: set[tuple[int, str]] = set()
    keys = sorted({(shop_id, order_key) for shop_id, order_key, _ in wanted})
    for start in range(0, len(keys), 400):
        rows = conn.execute(
            select(work)
            .where(keyed(work.c.shop_id, work.c.order_key, keys[start : start + 400]))
            .where(work.c.remark_status.is_not(None))
            .order_by(work.c.due, work.c.aftersale_id)
        )
        for row in rows:
            key = (row.shop_id, row.order_key, row.remark_status)
            if (row.shop_id, row.order_key) in seen:
                continue  # only the deciding after-sale of an order says which remark is due
            seen.add((row.shop_id, row.order_key))
            if key in wanted:
                found[key] = dict(row._mapping)
    written = set()
    if found:
        query = select(remarks.c.shop_id, remarks.c.order_key, remarks.c.status).where(
            keyed(remarks.c.shop_id, remarks.c.order_key, [(k[0], k[1]) for k in found])
        )
        written = {tuple(r) for r in conn.execute(query)}
    return {key: row for key, row in found.items() if key not in written}
