"""After-sales and interceptions as rows, and back: what the ledger stores and what triage reads."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, CursorResult, Select, and_, func, select

from lanjie.ledger.keys import keyed
from lanjie.ledger.schema import aftersale_parcels, aftersales, imports, interceptions, parcels, remarks, shops
from lanjie.model import (
    AfterSale,
    AfterSaleState,
    AfterSaleType,
    CourierSource,
    InterceptionFact,
    LogisticsState,
    Outcome,
    Parcel,
    SourceRef,
)


@lru_cache(maxsize=4096)  # an export holds a few hundred distinct amounts
def to_fen(amount: Decimal | None) -> int | None:
    return None if amount is None else int((amount * 100).to_integral_value(ROUND_HALF_UP))


def tracking_text(record: AfterSale) -> str:
    return ",".join(p.tracking_no for p in record.parcels)


def fingerprint(record: AfterSale) -> str:
    """Changes whenever anything the ledger keeps about the after-sale or its parcels changes;
    stored so that an import spots changed rows without reading them."""
    values = (
        record.order_id,
        record.type_raw,
        record.state_raw,
        record.shipped,
        [(p.tracking_no, p.courier, str(p.courier_source)) for p in record.parcels],
        record.courier_hint,
        record.logistics_raw,
        record.deadline.timestamp() if record.deadline else None,
        str(record.refund_amount),
        record.product,
        record.reason,
        record.buyer_note,
        record.blockers,
    )
    return hashlib.blake2b(repr(values).encode(), digest_size=16).hexdigest()


AFTERSALE_COLUMNS = (
    "shop_id",
    "aftersale_id",
    "order_id",
    "type",
    "type_raw",
    "state",
    "state_raw",
    "shipped",
    "tracking_nos",
    "courier_hint",
    "logistics",
    "logistics_raw",
    "deadline",
    "refund_fen",
    "product",
    "reason",
    "buyer_note",
    "blockers",
    "source_file",
    "source_row",
    "as_of",
    "digest",
    "first_import_id",
    "last_import_id",
)


def aftersale_values(
    record: AfterSale, *, shop_id: int, import_id: int, as_of: datetime, digest: str, last_import_id: int
) -> tuple[Any, ...]:
    """The after-sale's row, in the order of AFTERSALE_COLUMNS."""
    return (
        shop_id,
        record.aftersale_id,
        record.order_id,
        str(record.type),  # a StrEnum's str() is its value, without .value's Python-level lookup
        record.type_raw,
        str(record.state),
        record.state_raw,
        record.shipped,
        tracking_text(record),
        record.courier_hint,
        str(record.logistics),
        record.logistics_raw,
        record.deadline,
        to_fen(record.refund_amount),
        record.product,
        record.reason,
        record.buyer_note,
        json.dumps(record.blockers, ensure_ascii=False) if record.blockers else "[]",
        record.source.file,
        record.source.row,
        as_of,
        digest,
        import_id,
        last_import_id,
    )


def aftersale_row(record: AfterSale, *, shop_id: int, import_id: int, as_of: datetime, digest: str) -> dict[str, Any]:
    values = aftersale_values(
        record, shop_id=shop_id, import_id=import_id, as_of=as_of, digest=digest, last_import_id=import_id
    )
    return dict(zip(AFTERSALE_COLUMNS, values, strict=True))


PARCEL_COLUMNS = ("shop_id", "tracking_no", "courier", "candidates", "courier_source")


def parcel_values(shop_id: int, parcel: Parcel) -> tuple[Any, ...]:
    """The parcel's row, in the order of PARCEL_COLUMNS."""
    return (shop_id, parcel.tracking_no, parcel.courier, ",".join(parcel.candidates), str(parcel.courier_source))


def parcel_row(shop_id: int, parcel: Parcel) -> dict[str, Any]:
    return dict(zip(PARCEL_COLUMNS, parcel_values(shop_id, parcel), strict=True))


def _parcel(row: Any) -> Parcel:
    candidates = tuple(row.candidates.split(",")) if row.candidates else ()
    return Parcel(row.tracking_no, row.courier, candidates, _SOURCES[row.courier_source])


def new_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def shop_ids(conn: Connection, names: Collection[str]) -> dict[str, int]:
    """Ids of the named shops that exist (all shops when `names` is empty)."""
    query = select(shops.c.name, shops.c.id)
    if names:
        query = query.where(shops.c.name.in_(names))
    return {row.name: row.id for row in conn.execute(query)}


def load_facts(
    conn: Connection, shop_id_list: Collection[int] | None = None, *, tracking_nos: Sequence[str] | None = None
) -> dict[str, InterceptionFact]:
    """Every interception asked for, by tracking number (of these shops; of these parcels)."""
    query = select(interceptions)
    if shop_id_list is not None:
        query = query.where(interceptions.c.shop_id.in_(shop_id_list))
    queries = (
        [query]
        if tracking_nos is None
        else [
            query.where(interceptions.c.tracking_no.in_(tracking_nos[start : start + 400]))
            for start in range(0, len(tracking_nos), 400)
        ]
    )
    return {
        row.tracking_no: InterceptionFact(row.requested_at, row.requested_by, Outcome(row.outcome), row.last_chased_at)
        for each in queries
        for row in conn.execute(each)
    }


def _latest_imports(shop_id_list: Collection[int] | None) -> Any:
    latest = select(shops.c.id.label("shop_id"), shops.c.current_import_id.label("latest"))
    if shop_id_list is not None:
        latest = latest.where(shops.c.id.in_(shop_id_list))
    return latest.subquery()


def load_current(conn: Connection, shop_id_list: Collection[int] | None = None) -> list[AfterSale]:
    """The after-sales of each shop's latest import: today's open work, as the ledger knows it."""
    latest = _latest_imports(shop_id_list)
    current = and_(aftersales.c.shop_id == latest.c.shop_id, aftersales.c.last_import_id == latest.c.latest)
    return _load(conn, lambda query: query.join(latest, current))


def load_aftersales(conn: Connection, keys: Sequence[tuple[int, str]]) -> list[AfterSale]:
    """The after-sales with these (shop id, 售后单号) keys, as the ledger knows them now."""
    found: list[AfterSale] = []
    for start in range(0, len(keys), 400):
        chunk = list(keys[start : start + 400])
        condition = keyed(aftersales.c.shop_id, aftersales.c.aftersale_id, chunk)
        found += _load(conn, lambda query, condition=condition: query.where(condition))  # type: ignore[misc]
    return found


def _load(conn: Connection, narrow: Callable[[Select[Any]], Select[Any]]) -> list[AfterSale]:
    """After-sales with their parcels; `narrow` picks which (a join or a condition on aftersales)."""
    linked: dict[tuple[int, str], list[Parcel]] = {}
    parcel_query = narrow(
        select(aftersale_parcels.c.shop_id, aftersale_parcels.c.aftersale_id, parcels)
        .select_from(aftersale_parcels)
        .join(
            aftersales,
            and_(
                aftersales.c.shop_id == aftersale_parcels.c.shop_id,
                aftersales.c.aftersale_id == aftersale_parcels.c.aftersale_id,
            ),
        )
        .join(
            parcels,
            and_(
                parcels.c.shop_id == aftersale_parcels.c.shop_id,
                parcels.c.tracking_no == aftersale_parcels.c.tracking_no,
            ),
        )
    ).order_by(aftersale_parcels.c.position)
    for row in conn.execute(parcel_query):
        linked.setdefault((row.shop_id, row.aftersale_id), []).append(_parcel(row))
    query = narrow(
        select(aftersales, shops.c.name.label("shop_name"))
        .select_from(aftersales)
        .join(shops, shops.c.id == aftersales.c.shop_id)
    )
    return [from_row(row, linked.get((row.shop_id, row.aftersale_id), [])) for row in conn.execute(query)]


def latest_import_time(conn: Connection, shop_id_list: Collection[int]) -> datetime | None:
    """When the newest of the shops' current imports was made."""
    latest = _latest_imports(shop_id_list)
    moment = conn.execute(select(func.max(imports.c.imported_at)).join(latest, imports.c.id == latest.c.latest))
    return moment.scalar_one_or_none()


# Enum members by stored value: a dict lookup, where calling the enum costs ten times more.
_TYPES = {m.value: m for m in AfterSaleType}
_STATES = {m.value: m for m in AfterSaleState}
_LOGISTICS = {m.value: m for m in LogisticsState}
_SOURCES = {m.value: m for m in CourierSource}


def from_row(row: Any, parcel_list: list[Parcel]) -> AfterSale:
    return AfterSale(
        aftersale_id=row.aftersale_id,
        source=SourceRef(row.source_file, row.source_row),
        order_id=row.order_id,
        shop=row.shop_name,
        type=_TYPES[row.type],
        type_raw=row.type_raw,
        state=_STATES[row.state],
        state_raw=row.state_raw,
        shipped=row.shipped,
        parcels=tuple(parcel_list),
        courier_hint=row.courier_hint,
        logistics=_LOGISTICS[row.logistics],
        logistics_raw=row.logistics_raw,
        deadline=row.deadline,
        refund_amount=None if row.refund_fen is None else Decimal(row.refund_fen) / 100,
        product=row.product,
        reason=row.reason,
        buyer_note=row.buyer_note,
        blockers=json.loads(row.blockers) if row.blockers != "[]" else [],
    )


def load_written_remarks(
    conn: Connection, shop_id_list: Collection[int] | None = None
) -> frozenset[tuple[str, str, str]]:
    """The remarks reported written: (shop name, order key, status word)."""
    query = select(shops.c.name, remarks.c.order_key, remarks.c.status).join(shops, shops.c.id == remarks.c.shop_id)
    if shop_id_list is not None:
        query = query.where(remarks.c.shop_id.in_(shop_id_list))
    return frozenset((row.name, row.order_key, row.status) for row in conn.execute(query))
