"""The parcel_tracking table: which parcels are due a query, and what the last one said.

A parcel is due when nobody asked 快递100 about it for `track_minutes` (never less than 30: the
service locks a number asked more often). Taking parcels due is one UPDATE … RETURNING per chunk
that only an overdue row satisfies, so two servers (or a server and a `lanjie track`) never ask
about the same parcel twice in one interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, or_, select, update

from lanjie.ledger.actions import insert_new
from lanjie.ledger.database import write_transaction
from lanjie.ledger.keys import keyed
from lanjie.ledger.schema import parcel_tracking
from lanjie.model import LogisticsState

SOURCE = "kuaidi100"
CHUNK = 400


@dataclass(frozen=True)
class TrackingFact:
    state: LogisticsState | None
    state_name: str
    route: str
    route_at: datetime | None
    checked_at: datetime | None
    error: str | None


def take_due(
    engine: Engine, keys: Sequence[tuple[int, str]], *, now: datetime, every: timedelta
) -> set[tuple[int, str]]:
    """Mark as asked now, and return, the parcels among `keys` nobody asked about within `every`."""
    taken: set[tuple[int, str]] = set()
    with write_transaction(engine) as conn:
        for start in range(0, len(keys), CHUNK):
            chunk = list(keys[start : start + CHUNK])
            fresh = [{"shop_id": s, "tracking_no": n, "asked_at": now, "source": SOURCE} for s, n in chunk]
            taken |= insert_new(conn, parcel_tracking, fresh, ["shop_id", "tracking_no"])
            rest = [key for key in chunk if key not in taken]
            if rest:
                moved = conn.execute(
                    update(parcel_tracking)
                    .where(
                        keyed(parcel_tracking.c.shop_id, parcel_tracking.c.tracking_no, rest),
                        parcel_tracking.c.asked_at <= now - every,
                    )
                    .values(asked_at=now)
                    .returning(parcel_tracking.c.shop_id, parcel_tracking.c.tracking_no)
                )
                taken |= {(row.shop_id, row.tracking_no) for row in moved}
    return taken


def save_answers(conn: Connection, answers: Sequence[dict[str, Any]]) -> None:
    """Each answer's state and route (k_shop, k_no, state, state_name, route, route_at, checked_at)."""
    if answers:
        conn.execute(
            update(parcel_tracking)
            .where(
                and_(
                    parcel_tracking.c.shop_id == bindparam("k_shop"),
                    parcel_tracking.c.tracking_no == bindparam("k_no"),
                )
            )
            .values(
                state=bindparam("state"),
                state_name=bindparam("state_name"),
                route=bindparam("route"),
                route_at=bindparam("route_at"),
                checked_at=bindparam("checked_at"),
                error=None,
            ),
            list(answers),
        )


def save_errors(conn: Connection, errors: Sequence[dict[str, Any]]) -> None:
    """A failed query keeps the state known before it: only its error is written (k_shop, k_no, error)."""
    if errors:
        conn.execute(
            update(parcel_tracking)
            .where(
                and_(
                    parcel_tracking.c.shop_id == bindparam("k_shop"),
                    parcel_tracking.c.tracking_no == bindparam("k_no"),
                )
            )
            .values(error=bindparam("error")),
            list(errors),
        )


def load_facts(conn: Connection, keys: Sequence[tuple[int, str]] | None = None) -> dict[tuple[int, str], TrackingFact]:
    """What the last queries said, for these parcels (all when None)."""
    query = select(parcel_tracking).where(
        or_(parcel_tracking.c.checked_at.is_not(None), parcel_tracking.c.error.is_not(None))
    )
    found: dict[tuple[int, str], TrackingFact] = {}
    chunks = [None] if keys is None else [list(keys[i : i + CHUNK]) for i in range(0, len(keys), CHUNK)]
    for chunk in chunks:
        narrowed = (
            query
            if chunk is None
            else query.where(keyed(parcel_tracking.c.shop_id, parcel_tracking.c.tracking_no, chunk))
        )
        for row in conn.execute(narrowed):
            found[(row.shop_id, row.tracking_no)] = TrackingFact(
                LogisticsState(row.state) if row.state else None,
                row.state_name or "",
                row.route or "",
                row.route_at,
                row.checked_at,
                row.error,
            )
    return found


def freshest_check(conn: Connection) -> datetime | None:
    """When the most recent answer came: how fresh the tracking is."""
    return conn.execute(
        select(parcel_tracking.c.checked_at).order_by(parcel_tracking.c.checked_at.desc()).limit(1)
    ).scalar()
