"""The team's questions to the ledger, shared by the command line and the web pages:
which shops, which parcels a report of "sent" means, which remarks are still to write."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, select

from lanjie.errors import BadInput
from lanjie.ingest.identifiers import split_tracking
from lanjie.ledger.actions import ParcelRef, RemarkRef, written_remarks
from lanjie.ledger.records import shop_ids
from lanjie.ledger.schema import aftersale_parcels, aftersales, parcels
from lanjie.model import Bucket
from lanjie.remarks import Remark
from lanjie.work import Analysis


def resolve_shops(ledger: Engine, names: Sequence[str]) -> dict[str, int]:
    """Ids of the named shops (every shop when none is named); an unknown name is an error."""
    with ledger.connect() as conn:
        found = shop_ids(conn, names)
        missing = set(names) - found.keys()
        if missing:
            known = "、".join(shop_ids(conn, ())) or "（还没有）"
            raise BadInput("unknown_shop", shops="、".join(sorted(missing)), known=known)
    return found


def listed_refs(
    analysis: Analysis, ids: dict[str, int], bucket: Bucket, couriers: frozenset[str] | None = None
) -> list[ParcelRef]:
    """The parcels of lanjie's current list for `bucket`, for the given couriers (all when None).
    Parcels whose courier is not certain are never part of a courier's list."""
    return [
        ParcelRef(ids[record.shop], parcel.tracking_no, parcel.courier, record.aftersale_id, record.order_id)
        for record, parcel in analysis.listed_parcels(bucket)
        if parcel.courier is not None and (couriers is None or parcel.courier in couriers)
    ]


def refs_by_number(ledger: Engine, ids: dict[str, int], numbers: Sequence[str]) -> list[ParcelRef]:
    """The parcels with these tracking numbers; a number the ledger does not know is an error,
    so nothing is recorded for a typo."""
    wanted: list[str] = []
    for value in numbers:
        found, problems = split_tracking(value)
        if problems:
            raise BadInput("bad_tracking_no", value=value, detail="；".join(problems))
        wanted += found
    query = (
        select(
            parcels.c.shop_id,
            parcels.c.tracking_no,
            parcels.c.courier,
            aftersales.c.aftersale_id,
            aftersales.c.order_id,
        )
        .join(
            aftersale_parcels,
            (aftersale_parcels.c.shop_id == parcels.c.shop_id)
            & (aftersale_parcels.c.tracking_no == parcels.c.tracking_no),
            isouter=True,
        )
        .join(
            aftersales,
            (aftersales.c.shop_id == aftersale_parcels.c.shop_id)
            & (aftersales.c.aftersale_id == aftersale_parcels.c.aftersale_id),
            isouter=True,
        )
        .where(parcels.c.tracking_no.in_(wanted), parcels.c.shop_id.in_(list(ids.values())))
    )
    with ledger.connect() as conn:
        refs = {
            r.tracking_no: ParcelRef(r.shop_id, r.tracking_no, r.courier, r.aftersale_id, r.order_id)
            for r in conn.execute(query)
        }
    missing = [n for n in wanted if n not in refs]
    if missing:
        raise BadInput("unknown_tracking_no", numbers="、".join(missing))
    return [refs[n] for n in wanted]


def pending_remarks(ledger: Engine, analysis: Analysis, ids: dict[str, int]) -> list[Remark]:
    """The remarks of the current work that nobody has reported as written yet."""
    with ledger.connect() as conn:
        written = written_remarks(conn, list(ids.values()))
    return [r for r in analysis.remarks if (ids[r.shop], r.order_key, r.status) not in written]


def remark_refs(remarks: Sequence[Remark], ids: dict[str, int]) -> list[RemarkRef]:
    return [RemarkRef(ids[r.shop], r.order_key, r.status, r.text, r.flag, r.order_id) for r in remarks]
