"""The work as decided last: triage's decisions for each shop's current after-sales, kept in
the ledger so web pages can list, count and page through 100,000 of them without deciding
them all again on every request.

`refresh_work` brings the kept decisions up to date, doing only what changed: a shop with a
new import is decided again as a whole; after-sales touched by new events (an interception
sent, an outcome) and those whose chase has fallen due are decided again one by one. When
nothing changed it costs three small queries and writes nothing. Triage stays the only
place where buckets are decided.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    and_,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
    update,
)

from lanjie.buckets import RULES
from lanjie.config import Settings
from lanjie.errors import LedgerBusy
from lanjie.ledger.bulk import insert_values, sampled_statistics
from lanjie.ledger.database import write_transaction
from lanjie.ledger.keys import keyed
from lanjie.ledger.records import load_aftersales, load_current, load_facts, to_fen
from lanjie.ledger.schema import (
    aftersale_parcels,
    aftersales,
    events,
    imports,
    shops,
    work,
    work_counts,
    work_parcels,
    work_shops,
    work_state,
)
from lanjie.model import Bucket, Decision, LedgerFacts
from lanjie.remarks import order_key, remark_moment
from lanjie.triage import chase_due, triage
from lanjie.work import bulk_work

_WORK_LOCK = 5_731_734  # the advisory lock taken while the work is rewritten (PostgreSQL)
# Also held by an import from writing its shops' work until it commits (seconds): a page that
# finds it held shows the kept work at once instead of waiting for the import.
_IMPORT_WRITES_WORK = 5_731_735
NO_DEADLINE = datetime(9999, 1, 1, tzinfo=UTC)  # sorts after every real deadline


@dataclass(frozen=True)
class Refreshed:
    shops_rebuilt: int = 0
    redecided: int = 0
    busy: bool = False  # another writer held the ledger: the kept work was left as it was


def refresh_work(engine: Engine, *, settings: Settings, now: datetime, wait: float | None = None) -> Refreshed:
    """Bring the kept work up to date. With `wait`, give up after that many seconds when another
    writer (an import) holds the ledger, and leave the kept work as it is (`busy`)."""
    with engine.connect() as conn:
        if _up_to_date(conn, settings, now):
            return Refreshed()
    try:
        with bulk_work(), write_transaction(engine, wait=wait) as conn:
            if conn.dialect.name == "postgresql":
                if wait is not None and not _no_import_writing(conn):
                    return Refreshed(busy=True)
                lock_work(conn)
            return _refresh(conn, settings, now)
    except LedgerBusy:
        if wait is None:
            raise
        return Refreshed(busy=True)


def lock_work(conn: Connection, *, importing: bool = False) -> None:
    """Hold the kept work until the transaction ends (PostgreSQL), so that two writers never
    rewrite it at once. An import says so: it holds the work until it commits."""
    if importing:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _IMPORT_WRITES_WORK})
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _WORK_LOCK})


def _no_import_writing(conn: Connection) -> bool:
    """No import is writing its work (the shared hold keeps one from starting until this
    transaction ends, so the answer stays true)."""
    held = conn.execute(text("SELECT pg_try_advisory_xact_lock_shared(:key)"), {"key": _IMPORT_WRITES_WORK})
    return bool(held.scalar_one())


def mark_stale(conn: Connection, import_id: int) -> None:
    """Called in an import's own transaction: make sure the kept work is rebuilt for it.

    The kept work remembers the newest import it reflects by id. Imports of different shops
    commit side by side on PostgreSQL, so one with a smaller id can commit after the work was
    refreshed up to a larger one; lowering the mark below this import makes the next refresh
    rebuild its shops whatever the order of the commits."""
    conn.execute(update(work_state).where(work_state.c.import_id >= import_id).values(import_id=import_id - 1))


def write_import_work(
    conn: Connection,
    import_id: int,
    shop_ids: dict[str, int],
    decisions: Sequence[Decision],
    facts: LedgerFacts,
    settings: Settings,
) -> None:
    """Called in an import's own transaction with the decisions of these shops' whole current
    work: their kept work is replaced at once, so the first page after the import finds it
    decided. The events the import wrote are reflected too (see _reflected_imports)."""
    if not shop_ids:
        return
    if conn.dialect.name == "postgresql":
        lock_work(conn, importing=True)
    state = conn.execute(select(work_state)).first()
    if state is None:
        others = select(aftersales.c.shop_id).where(aftersales.c.shop_id.not_in(list(shop_ids.values()))).limit(1)
        if conn.execute(others).first() is not None:
            return  # other shops' work was never kept: the first page decides everything once
        conn.execute(
            insert(work_state).values(
                id=1, import_id=import_id - 1, event_id=0, chase_hours=settings.chase_hours, refreshed_at=_now_utc()
            )
        )
    elif state.chase_hours != settings.chase_hours:
        return  # the next page rebuilds everything with its own settings anyway
    ids = list(shop_ids.values())
    for table in (work, work_parcels, work_counts):
        conn.execute(delete(table).where(table.c.shop_id.in_(ids)))
    current = [d for d in decisions if d.aftersale.shop in shop_ids]
    parcel_rows = _write(conn, current, facts, settings)
    insert_values(conn, work_counts, COUNT_COLUMNS, _counted(current, shop_ids, parcel_rows))
    conn.execute(delete(work_shops).where(work_shops.c.shop_id.in_(ids)))
    conn.execute(insert(work_shops), [{"shop_id": shop_id, "import_id": import_id} for shop_id in ids])
    if len(decisions) >= _ANALYZE_FROM:
        _analyze_work(conn)


_ANALYZE_FROM = 5_000  # decisions written at once from which the planner's statistics are refreshed

# On PostgreSQL, of the work only the columns pages filter, join and sort by: the long texts that
# are only shown (action, reasons, product, logistics) are a third of the cost of analysing the
# whole table (100,000 rows: 210–250 ms → 135–150 ms). An ANALYZE of some columns leaves the
# table due for autovacuum's own, which adds the others.
_PAGE_STATISTICS = (
    "ANALYZE work (shop_id, aftersale_id, order_id, order_key, bucket, remark_status, remark_on, deadline, due, "
    "refund_fen, couriers, recheck_at), work_parcels"
)


def _analyze_work(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        sampled_statistics(conn)
        conn.execute(text(_PAGE_STATISTICS))
    else:
        for table in (work, work_parcels):
            conn.execute(text(f"ANALYZE {table.name}"))


def _now_utc() -> datetime:
    return datetime.now(UTC)


ALL = ""  # work_counts.courier of a bucket's after-sales
NO_COURIER = "-"  # work_counts.courier of parcels whose courier is not known


def _recount(conn: Connection, shop_ids: Collection[int] | None) -> None:
    """Count these shops' kept work again (all shops when None)."""

    def narrowed(table: Any) -> ColumnElement[bool]:
        return table.c.shop_id.in_(list(shop_ids)) if shop_ids is not None else true()

    conn.execute(delete(work_counts).where(narrowed(work_counts)))
    totals = (
        select(work.c.shop_id, work.c.bucket, literal(ALL), func.count())
        .where(narrowed(work))
        .group_by(work.c.shop_id, work.c.bucket)
    )
    courier = func.coalesce(work_parcels.c.courier, literal(NO_COURIER))
    parcels = (
        select(
            work_parcels.c.shop_id,
            work_parcels.c.bucket,
            courier,
            func.count(func.distinct(work_parcels.c.tracking_no)),
        )
        .where(narrowed(work_parcels))
        .group_by(work_parcels.c.shop_id, work_parcels.c.bucket, courier)
    )
    columns = ["shop_id", "bucket", "courier", "n"]
    conn.execute(insert(work_counts).from_select(columns, totals))
    conn.execute(insert(work_counts).from_select(columns, parcels))


def _reflected_imports(conn: Connection) -> set[int]:
    """Imports that wrote their shops' work themselves: their events need no deciding again."""
    return set(conn.execute(select(work_shops.c.import_id)).scalars())


def _already_written(conn: Connection, shop_ids: list[int]) -> set[int]:
    """Of these shops, those whose kept work an import wrote for their current work."""
    written = dict(
        conn.execute(
            select(work_shops.c.shop_id, work_shops.c.import_id).where(work_shops.c.shop_id.in_(shop_ids))
        ).all()
    )
    if not written:
        return set()
    latest = conn.execute(select(shops.c.id, shops.c.current_import_id).where(shops.c.id.in_(list(written)))).all()
    return {shop_id for shop_id, newest in latest if written.get(shop_id) == newest}


def _newest(conn: Connection) -> tuple[int, int]:
    newest_import = conn.execute(select(func.max(imports.c.id))).scalar() or 0
    newest_event = conn.execute(select(func.max(events.c.id))).scalar() or 0
    return int(newest_import), int(newest_event)


def _up_to_date(conn: Connection, settings: Settings, now: datetime) -> bool:
    state = conn.execute(select(work_state)).first()
    if state is None or state.chase_hours != settings.chase_hours or _newest(conn) != (state.import_id, state.event_id):
        return False
    return conn.execute(select(work.c.shop_id).where(work.c.recheck_at <= now).limit(1)).first() is None


def _refresh(conn: Connection, settings: Settings, now: datetime) -> Refreshed:
    state = conn.execute(select(work_state)).first()
    newest_import, newest_event = _newest(conn)
    if state is None or state.chase_hours != settings.chase_hours:
        rebuilt = _rebuild(conn, None, settings, now)
        redecided = 0
    else:
        changed_shops = (
            []
            if newest_import == state.import_id
            else list(conn.execute(select(shops.c.id).where(shops.c.current_import_id > state.import_id)).scalars())
        )
        written = _already_written(conn, changed_shops) if changed_shops else set()
        changed_shops = [shop_id for shop_id in changed_shops if shop_id not in written]
        rebuilt = _rebuild(conn, changed_shops, settings, now) if changed_shops else 0
        touched = _touched_since(
            conn, state.event_id, exclude=changed_shops, reflected=_reflected_imports(conn) if written else set()
        )
        due = [
            (r.shop_id, r.aftersale_id)
            for r in conn.execute(select(work.c.shop_id, work.c.aftersale_id).where(work.c.recheck_at <= now))
        ]
        redecided = _redecide(conn, sorted(set(touched) | set(due)), settings, now)
    if rebuilt:
        # Fresh statistics after a bulk rewrite: without them the planners sort 100,000 rows
        # for a page of 50 instead of walking the deadline index (measured: 83 ms → 3 ms).
        for table in (work, work_parcels):
            conn.execute(text(f"ANALYZE {table.name}"))
    values = {
        "import_id": newest_import,
        "event_id": newest_event,
        "chase_hours": settings.chase_hours,
        "refreshed_at": now,
    }
    if state is None:
        conn.execute(insert(work_state).values(id=1, **values))
    else:
        conn.execute(update(work_state).values(**values))
    return Refreshed(rebuilt, redecided)


def _rebuild(conn: Connection, shop_ids: Collection[int] | None, settings: Settings, now: datetime) -> int:
    """Decide whole shops again (all of them when `shop_ids` is None)."""
    for table in (work, work_parcels):
        conn.execute(delete(table) if shop_ids is None else delete(table).where(table.c.shop_id.in_(shop_ids)))
    records = load_current(conn, shop_ids)
    facts = load_facts(conn, shop_ids)
    _write(
        conn,
        triage(records, urgent_hours=settings.urgent_hours, now=now, facts=facts, chase_hours=settings.chase_hours),
        facts,
        settings,
    )
    _recount(conn, shop_ids)
    return len({r.shop for r in records}) if shop_ids is None else len(shop_ids)


def _touched_since(
    conn: Connection, event_id: int, *, exclude: Collection[int], reflected: Collection[int] = ()
) -> list[tuple[int, str]]:
    """Current after-sales that events after `event_id` concern (directly or through a parcel),
    leaving out the events of imports that wrote their work themselves (`reflected`)."""
    query = select(events.c.shop_id, events.c.aftersale_id, events.c.tracking_no).where(events.c.id > event_id)
    if reflected:
        query = query.where(or_(events.c.import_id.is_(None), events.c.import_id.not_in(list(reflected))))
    rows = conn.execute(query).all()
    keys = {(r.shop_id, r.aftersale_id) for r in rows if r.aftersale_id and r.shop_id not in exclude}
    by_parcel = [(r.shop_id, r.tracking_no) for r in rows if r.tracking_no and r.shop_id not in exclude]
    for start in range(0, len(by_parcel), 400):
        chunk = by_parcel[start : start + 400]
        keys |= {(r.shop_id, r.aftersale_id) for r in conn.execute(aftersales_of_parcels(chunk))}
    return sorted(keys)


def aftersales_of_parcels(parcels: Sequence[tuple[int, str]]) -> Select[tuple[int, str]]:
    """(shop id, after-sale id) of the after-sales that hold these (shop id, tracking number)."""
    return select(aftersale_parcels.c.shop_id, aftersale_parcels.c.aftersale_id).where(
        keyed(aftersale_parcels.c.shop_id, aftersale_parcels.c.tracking_no, parcels)
    )


def _redecide(conn: Connection, keys: Sequence[tuple[int, str]], settings: Settings, now: datetime) -> int:
    """Decide these after-sales again, those of them that are part of the current work."""
    current: list[tuple[int, str]] = []
    for start in range(0, len(keys), 400):
        chunk = list(keys[start : start + 400])
        current += [
            (r.shop_id, r.aftersale_id)
            for r in conn.execute(
                select(work.c.shop_id, work.c.aftersale_id).where(keyed(work.c.shop_id, work.c.aftersale_id, chunk))
            )
        ]
    if not current:
        return 0
    before = _kept_of(conn, current)
    for start in range(0, len(current), 400):
        chunk = current[start : start + 400]
        for table in (work, work_parcels):
            conn.execute(delete(table).where(keyed(table.c.shop_id, table.c.aftersale_id, chunk)))
    gone = before.parcels - _grouped(conn, before.parcels)
    records = load_aftersales(conn, current)
    numbers = sorted({parcel.tracking_no for record in records for parcel in record.parcels})
    facts = load_facts(conn, {shop_id for shop_id, _ in current}, tracking_nos=numbers)  # only what triage looks up
    _write(
        conn,
        triage(records, urgent_hours=settings.urgent_hours, now=now, facts=facts, chase_hours=settings.chase_hours),
        facts,
        settings,
    )
    after = _kept_of(conn, current)
    arrived = {p for p, rows in _grouped_rows(conn, after.parcels).items() if rows == after.rows_of(p)}
    _adjust_counts(conn, before, after, gone, arrived)
    return len(records)


@dataclass
class _Kept:
    """Some after-sales' kept rows: their buckets, and their parcels as counted (shop, bucket, courier, number)."""

    buckets: Counter[tuple[int, str]]
    parcel_rows: Counter[tuple[int, str, str, str]]

    @property
    def parcels(self) -> set[tuple[int, str, str, str]]:
        return set(self.parcel_rows)

    def rows_of(self, parcel: tuple[int, str, str, str]) -> int:
        return self.parcel_rows[parcel]


def _kept_of(conn: Connection, keys: Sequence[tuple[int, str]]) -> _Kept:
    kept = _Kept(Counter(), Counter())
    for start in range(0, len(keys), 400):
        chunk = keys[start : start + 400]
        kept.buckets.update(
            (r.shop_id, r.bucket)
            for r in conn.execute(
                select(work.c.shop_id, work.c.bucket).where(keyed(work.c.shop_id, work.c.aftersale_id, chunk))
            )
        )
        kept.parcel_rows.update(
            (r.shop_id, r.bucket, r.courier or NO_COURIER, r.tracking_no)
            for r in conn.execute(
                select(
                    work_parcels.c.shop_id, work_parcels.c.bucket, work_parcels.c.courier, work_parcels.c.tracking_no
                ).where(keyed(work_parcels.c.shop_id, work_parcels.c.aftersale_id, chunk))
            )
        )
    return kept


def _grouped_rows(conn: Connection, parcels: set[tuple[int, str, str, str]]) -> dict[tuple[int, str, str, str], int]:
    """How many kept rows each of these parcels has now in its bucket (those with none are left out)."""
    wanted = sorted({(shop_id, number) for shop_id, _, _, number in parcels})
    found: dict[tuple[int, str, str, str], int] = {}
    for start in range(0, len(wanted), 400):
        rows = conn.execute(
            select(
                work_parcels.c.shop_id,
                work_parcels.c.bucket,
                work_parcels.c.courier,
                work_parcels.c.tracking_no,
                func.count().label("n"),
            )
            .where(keyed(work_parcels.c.shop_id, work_parcels.c.tracking_no, wanted[start : start + 400]))
            .group_by(work_parcels.c.shop_id, work_parcels.c.bucket, work_parcels.c.courier, work_parcels.c.tracking_no)
        )
        found.update(((r.shop_id, r.bucket, r.courier or NO_COURIER, r.tracking_no), int(r.n)) for r in rows)
    return {parcel: n for parcel, n in found.items() if parcel in parcels}


def _grouped(conn: Connection, parcels: set[tuple[int, str, str, str]]) -> set[tuple[int, str, str, str]]:
    return set(_grouped_rows(conn, parcels))


def _adjust_counts(
    conn: Connection,
    before: _Kept,
    after: _Kept,
    gone: set[tuple[int, str, str, str]],
    arrived: set[tuple[int, str, str, str]],
) -> None:
    """Move the kept counts by what deciding some after-sales again changed: each after-sale
    from its old bucket to its new one, a parcel counted in a list when it arrives there and
    uncounted when its last row leaves (a parcel several after-sales share counts once)."""
    delta: Counter[tuple[int, str, str]] = Counter()
    for (shop_id, bucket), n in after.buckets.items():
        delta[(shop_id, bucket, ALL)] += n
    for (shop_id, bucket), n in before.buckets.items():
        delta[(shop_id, bucket, ALL)] -= n
    for shop_id, bucket, courier, _ in arrived:
        delta[(shop_id, bucket, courier)] += 1
    for shop_id, bucket, courier, _ in gone:
        delta[(shop_id, bucket, courier)] -= 1
    for (shop_id, bucket, courier), change in delta.items():
        if not change:
            continue
        where = and_(work_counts.c.shop_id == shop_id, work_counts.c.bucket == bucket, work_counts.c.courier == courier)
        moved = conn.execute(update(work_counts).where(where).values(n=work_counts.c.n + change))
        if moved.rowcount == 0:
            conn.execute(insert(work_counts).values(shop_id=shop_id, bucket=bucket, courier=courier, n=change))
    conn.execute(delete(work_counts).where(work_counts.c.n <= 0))


WORK_COLUMNS = (
    "shop_id",
    "aftersale_id",
    "order_id",
    "order_key",
    "bucket",
    "remark_status",
    "remark_on",
    "action",
    "reasons",
    "deadline",
    "due",
    "product",
    "refund_fen",
    "logistics_raw",
    "couriers",
    "recheck_at",
)
WORK_PARCEL_COLUMNS = ("shop_id", "aftersale_id", "tracking_no", "bucket", "courier", "candidates", "deadline", "due")
COUNT_COLUMNS = ("shop_id", "bucket", "courier", "n")


def _counted(
    decisions: list[Decision], shop_ids: dict[str, int], parcel_rows: list[tuple[Any, ...]]
) -> list[tuple[int, str, str, int]]:
    """The work_counts rows of work just written (these decisions, these work_parcels rows),
    counted as _recount counts them: after-sales per bucket, each parcel once per bucket and courier."""
    totals = Counter((d.aftersale.shop, d.bucket) for d in decisions)
    listed = set(map(itemgetter(0, 3, 4, 2), parcel_rows))  # (shop id, bucket, courier, tracking number)
    parcels = Counter(map(itemgetter(0, 1, 2), listed))
    return [(shop_ids[shop], bucket.value, ALL, n) for (shop, bucket), n in totals.items()] + [
        (shop_id, bucket, NO_COURIER if courier is None else courier, n)
        for (shop_id, bucket, courier), n in parcels.items()
    ]


def _write(
    conn: Connection, decisions: list[Decision], facts: LedgerFacts, settings: Settings
) -> list[tuple[Any, ...]]:
    """Keep these decisions as work; returns the work_parcels rows written."""
    shop_id_of = {name: id_ for name, id_ in conn.execute(select(shops.c.name, shops.c.id))}
    insert_values(conn, work, WORK_COLUMNS, _work_rows(decisions, shop_id_of, facts, settings))
    parcel_rows: list[tuple[Any, ...]] = []
    insert_values(conn, work_parcels, WORK_PARCEL_COLUMNS, _parcel_rows_of(decisions, shop_id_of, parcel_rows))
    return parcel_rows


def _work_rows(
    decisions: list[Decision], shop_id_of: dict[str, int], facts: LedgerFacts, settings: Settings
) -> Iterator[tuple[Any, ...]]:
    """The work rows (WORK_COLUMNS) of these decisions, made as they are written (see insert_values)."""
    reasons: dict[tuple[str, ...], str] = {}  # a few thousand distinct among 100,000: each written once as JSON
    for decision in decisions:
        record = decision.aftersale
        remark_due, remark_on = remark_moment(decision, facts)
        if (written := reasons.get(decision.basis)) is None:
            written = reasons[decision.basis] = orjson.dumps(decision.basis).decode()
        yield (
            shop_id_of[record.shop],
            record.aftersale_id,
            record.order_id,
            order_key(record),
            str(decision.bucket),
            RULES[decision.bucket].remark if remark_due else None,
            remark_on,
            decision.action,
            written,
            record.deadline,
            record.deadline or NO_DEADLINE,
            record.product,
            to_fen(record.refund_amount),
            record.logistics_raw,
            ",".join(dict.fromkeys(p.courier for p in decision.parcels if p.courier)),
            chase_due(record, facts, settings.chase_hours) if decision.bucket is Bucket.INTERCEPTING else None,
        )


def _parcel_rows_of(
    decisions: list[Decision], shop_id_of: dict[str, int], made: list[tuple[Any, ...]]
) -> Iterator[tuple[Any, ...]]:
    """The work_parcels rows of these decisions, made as they are written (see insert_values),
    each also added to `made`."""
    for decision in decisions:
        rows = _parcel_rows(decision, shop_id_of)
        made += rows
        yield from rows


def _parcel_rows(decision: Decision, shop_id_of: dict[str, int]) -> list[tuple[Any, ...]]:
    """The work_parcels rows (WORK_PARCEL_COLUMNS) of a decision: each parcel it acts on, once."""
    record = decision.aftersale
    shop_id, bucket, deadline = shop_id_of[record.shop], str(decision.bucket), record.deadline
    due = deadline or NO_DEADLINE
    return [
        (shop_id, record.aftersale_id, p.tracking_no, bucket, p.courier, ",".join(p.candidates), deadline, due)
        for p in dict.fromkeys(decision.parcels)
    ]
