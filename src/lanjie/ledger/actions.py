"""What staff report as done: interceptions sent, chased, remarks written.

Each is recorded once, whoever reports it first: the database's unique constraints decide
(INSERT … ON CONFLICT DO NOTHING inside one transaction), never a check in Python alone, so
two people pressing 已发送 at the same moment get one request and the second is told who
sent it and when.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from lanjie.ledger.bulk import insert_rows
from lanjie.ledger.database import write_transaction
from lanjie.ledger.events import EventKind, event_row
from lanjie.ledger.keys import keyed
from lanjie.ledger.schema import events, interceptions, parcels, remarks
from lanjie.model import Outcome

_VALUES_PER_STATEMENT = 500


@dataclass(frozen=True)
class ParcelRef:
    shop_id: int
    tracking_no: str
    courier: str | None = None
    aftersale_id: str | None = None
    order_id: str | None = None


@dataclass(frozen=True)
class EarlierRequest:
    parcel: ParcelRef
    by: str
    at: datetime


@dataclass
class SentReport:
    recorded: list[ParcelRef] = field(default_factory=list)
    already: list[EarlierRequest] = field(default_factory=list)


def insert_new(conn: Connection, table: Table, rows: list[dict[str, Any]], unique: list[str]) -> set[tuple[Any, ...]]:
    """Insert the rows whose unique key is free; returns the keys this call inserted."""
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    inserted: set[tuple[Any, ...]] = set()
    for start in range(0, len(rows), _VALUES_PER_STATEMENT):
        statement = (
            dialect_insert(table)
            .values(rows[start : start + _VALUES_PER_STATEMENT])
            .on_conflict_do_nothing(index_elements=unique)
            .returning(*(table.c[name] for name in unique))
        )
        inserted.update(tuple(row) for row in conn.execute(statement))
    return inserted


def record_sent(
    engine: Engine, refs: Sequence[ParcelRef], *, operator: str, now: datetime, via: str = "chat"
) -> SentReport:
    """One interception request per parcel; parcels someone already sent are reported, not sent again.

    `via`: how it was asked for, chat (the courier's group), platform (抖店's own interception)
    or kuaidi100; the event says so when it was not the chat group."""
    report = SentReport()
    unique = list({(p.shop_id, p.tracking_no): p for p in refs}.values())
    if not unique:
        return report
    with write_transaction(engine) as conn:
        unique = _with_couriers(conn, unique)
        rows = [
            {
                "shop_id": p.shop_id,
                "tracking_no": p.tracking_no,
                "courier": p.courier,
                "requested_at": now,
                "requested_by": operator,
                "outcome": Outcome.PENDING.value,
                "chase_count": 0,
                "via": via,
            }
            for p in unique
        ]
        inserted = insert_new(conn, interceptions, rows, ["shop_id", "tracking_no"])
        report.recorded = [p for p in unique if (p.shop_id, p.tracking_no) in inserted]
        others = [p for p in unique if (p.shop_id, p.tracking_no) not in inserted]
        if others:
            earlier = {
                (r.shop_id, r.tracking_no): r
                for r in conn.execute(
                    select(interceptions).where(
                        keyed(
                            interceptions.c.shop_id,
                            interceptions.c.tracking_no,
                            [(p.shop_id, p.tracking_no) for p in others],
                        )
                    )
                )
            }
            report.already = [
                EarlierRequest(
                    p, earlier[p.shop_id, p.tracking_no].requested_by, earlier[p.shop_id, p.tracking_no].requested_at
                )
                for p in others
            ]
        said = None if via == "chat" else VIA_WORDS.get(via, via)
        log_parcels(conn, EventKind.INTERCEPT_REQUESTED, report.recorded, operator=operator, now=now, said=said)
    return report


VIA_WORDS = {"platform": "抖店平台拦截", "kuaidi100": "快递100拦截"}


def log_parcels(
    conn: Connection,
    kind: EventKind,
    refs: Sequence[ParcelRef],
    *,
    operator: str,
    now: datetime,
    said: str | None = None,
) -> None:
    """One event per parcel; `after` is what was said (the courier when nothing else is)."""
    insert_rows(
        conn,
        events,
        [
            event_row(
                kind,
                at=now,
                operator=operator,
                shop_id=p.shop_id,
                tracking_no=p.tracking_no,
                aftersale_id=p.aftersale_id,
                order_id=p.order_id,
                after=p.courier if said is None else said,
            )
            for p in refs
        ],
    )


def _with_couriers(conn: Connection, refs: list[ParcelRef]) -> list[ParcelRef]:
    """Fill in the courier the ledger knows for parcels given by number alone."""
    unknown = [(p.shop_id, p.tracking_no) for p in refs if p.courier is None]
    known: dict[tuple[int, str], str | None] = {}
    for start in range(0, len(unknown), _VALUES_PER_STATEMENT):
        query = select(parcels.c.shop_id, parcels.c.tracking_no, parcels.c.courier).where(
            keyed(parcels.c.shop_id, parcels.c.tracking_no, unknown[start : start + _VALUES_PER_STATEMENT])
        )
        known.update(((r.shop_id, r.tracking_no), r.courier) for r in conn.execute(query))
    return [replace(p, courier=known.get((p.shop_id, p.tracking_no))) if p.courier is None else p for p in refs]


def record_chased(engine: Engine, refs: Sequence[ParcelRef], *, operator: str, now: datetime) -> int:
    """Remember that the courier was reminded, so the chase list starts counting again."""
    unique = list({(p.shop_id, p.tracking_no): p for p in refs}.values())
    if not unique:
        return 0
    with write_transaction(engine) as conn:
        conn.execute(
            update(interceptions)
            .where(
                and_(interceptions.c.shop_id == bindparam("k_shop"), interceptions.c.tracking_no == bindparam("k_no"))
            )
            .values(last_chased_at=now, chase_count=interceptions.c.chase_count + 1),
            [{"k_shop": p.shop_id, "k_no": p.tracking_no} for p in unique],
        )
        log_parcels(conn, EventKind.INTERCEPT_CHASED, unique, operator=operator, now=now)
    return len(unique)


def record_verify_asked(engine: Engine, refs: Sequence[ParcelRef], *, operator: str, now: datetime) -> int:
    """Remember that the courier was asked to check these signed-for parcels (核实), so they leave
    the 核实 list; the after-sales stay 待核实签收 until the buyer or the courier settles it."""
    unique = list({(p.shop_id, p.tracking_no): p for p in refs}.values())
    if not unique:
        return 0
    with write_transaction(engine) as conn:
        log_parcels(conn, EventKind.VERIFY_ASKED, _with_couriers(conn, unique), operator=operator, now=now)
    return len(unique)


VERIFY_ANSWERS: dict[str, str] = {"signed": "确已签收", "not_received": "买家没收到"}  # what the courier found


def record_verify_answer(
    engine: Engine, refs: Sequence[ParcelRef], answer: str, *, operator: str, now: datetime
) -> int:
    """Remember what the courier found when asked to check (核实) these parcels."""
    unique = list({(p.shop_id, p.tracking_no): p for p in refs}.values())
    if not unique:
        return 0
    with write_transaction(engine) as conn:
        log_parcels(conn, EventKind.VERIFY_ANSWERED, unique, operator=operator, now=now, said=VERIFY_ANSWERS[answer])
    return len(unique)


@dataclass(frozen=True)
class RemarkRef:
    shop_id: int
    order_key: str
    status: str
    text: str
    flag: str
    order_id: str | None = None


def written_remarks(conn: Connection, shop_ids: Sequence[int]) -> set[tuple[int, str, str]]:
    query = select(remarks.c.shop_id, remarks.c.order_key, remarks.c.status).where(remarks.c.shop_id.in_(shop_ids))
    return {(r.shop_id, r.order_key, r.status) for r in conn.execute(query)}


def record_remarks(
    engine: Engine, items: Sequence[RemarkRef], *, operator: str, now: datetime, said: str | None = None
) -> int:
    """Mark remarks as written on the platform; returns how many were new. `said`: how (写入抖店)."""
    unique = list({(r.shop_id, r.order_key, r.status): r for r in items}.values())
    if not unique:
        return 0
    with write_transaction(engine) as conn:
        rows = [
            {
                "shop_id": r.shop_id,
                "order_key": r.order_key,
                "status": r.status,
                "text": r.text,
                "flag": r.flag,
                "written_at": now,
                "written_by": operator,
            }
            for r in unique
        ]
        inserted = insert_new(conn, remarks, rows, ["shop_id", "order_key", "status"])
        insert_rows(
            conn,
            events,
            [
                event_row(
                    EventKind.REMARK_WRITTEN,
                    at=now,
                    operator=operator,
                    shop_id=r.shop_id,
                    order_id=r.order_id,
                    after=f"{r.flag}旗 {r.text}" + (f"（{said}）" if said else ""),
                )
                for r in unique
                if (r.shop_id, r.order_key, r.status) in inserted
            ],
        )
    return len(inserted)
