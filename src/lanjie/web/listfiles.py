"""The list files of a download (拦截-中通.txt …, 批量搜索.txt, 备注.txt) built from the kept
work alone: the same text `lanjie run` writes, without deciding 100,000 after-sales again.

Parcels come in triage's order (nearest deadline, then 售后单号, then the parcel's place in the
after-sale), each once, exactly as lanjie.work.group_by_courier lists them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, select

from lanjie.buckets import LISTED, RULES
from lanjie.config import Settings
from lanjie.ledger.schema import aftersale_parcels, remarks, shops, work, work_parcels
from lanjie.model import Bucket
from lanjie.outputs.folder import TEMPLATES
from lanjie.outputs.messages import courier_messages, message_file, search_file, unknown_courier_file
from lanjie.outputs.remarks import remarks_file
from lanjie.remarks import Remark, format_remark, remark_date
from lanjie.work import CourierGroup, ParcelLine

SEARCH_FILE = "批量搜索.txt"
REMARKS_FILE = "备注.txt"
_BY_PREFIX = {RULES[b].list_name: b for b in LISTED}


def courier_groups(conn: Connection, shop_ids: Sequence[int] | None, bucket: Bucket) -> list[CourierGroup]:
    """Every courier's list for a bucket, most parcels first, unknown couriers last."""
    where = [work_parcels.c.bucket == bucket.value]
    if shop_ids is not None:
        where.append(work_parcels.c.shop_id.in_(shop_ids))
    found = conn.execute(
        select(
            work_parcels.c.tracking_no,
            work_parcels.c.courier,
            work_parcels.c.candidates,
            work_parcels.c.deadline,
            work_parcels.c.aftersale_id,
            aftersale_parcels.c.position,
        )
        .outerjoin(
            aftersale_parcels,
            and_(
                aftersale_parcels.c.shop_id == work_parcels.c.shop_id,
                aftersale_parcels.c.aftersale_id == work_parcels.c.aftersale_id,
                aftersale_parcels.c.tracking_no == work_parcels.c.tracking_no,
            ),
        )
        .where(and_(*where))
    ).all()
    rows = sorted(
        found, key=lambda r: (r.deadline is None, r.deadline or datetime.min, r.aftersale_id, r.position or 0)
    )
    seen: set[str] = set()
    groups: dict[str | None, list[ParcelLine]] = {}
    for row in rows:
        if row.tracking_no in seen:
            continue
        seen.add(row.tracking_no)
        candidates = tuple(c for c in row.candidates.split(",") if c)
        groups.setdefault(row.courier, []).append(ParcelLine(row.tracking_no, candidates))
    order = sorted(groups, key=lambda code: (code is None, -len(groups[code]), code or ""))
    return [CourierGroup(code, tuple(groups[code])) for code in order]


def list_file(
    conn: Connection, shop_ids: Sequence[int] | None, name: str, *, settings: Settings, now: datetime, operator: str
) -> str | None:
    """The text of the list file called `name`; None when it is not a list file of the current work."""
    if name == SEARCH_FILE:
        return search_file(courier_groups(conn, shop_ids, Bucket.INTERCEPT))
    if name == REMARKS_FILE:
        return remarks_file(_remarks(conn, shop_ids, settings=settings, now=now, operator=operator))
    prefix, _, rest = name.partition("-")
    bucket = _BY_PREFIX.get(prefix)
    if bucket is None or not rest.endswith(".txt"):
        return None
    wanted = rest.removesuffix(".txt")
    for group in courier_groups(conn, shop_ids, bucket):
        if group.name == wanted:
            if group.courier is None:
                return unknown_courier_file(group)
            template = TEMPLATES[bucket](settings)
            return message_file(
                courier_messages(group, template=template, chunk_size=settings.chunk_size, date=remark_date(now))
            )
    return None


def _remarks(
    conn: Connection, shop_ids: Sequence[int] | None, *, settings: Settings, now: datetime, operator: str
) -> list[Remark]:
    """Every remark due, by the rule of lanjie.outputs.remarks: one per order, decided by its
    after-sale with the nearest deadline (then the smallest 售后单号); none for an order whose
    deciding remark was written. One read of the kept work, grouped here."""
    where = [work.c.remark_status.is_not(None)]
    if shop_ids is not None:
        where.append(work.c.shop_id.in_(shop_ids))
    rows = conn.execute(
        select(
            work.c.shop_id,
            work.c.order_key,
            work.c.order_id,
            work.c.aftersale_id,
            work.c.remark_status,
            work.c.remark_on,
            work.c.bucket,
            work.c.couriers,
            shops.c.name.label("shop"),
        )
        .join(shops, shops.c.id == work.c.shop_id)
        .where(and_(*where))
        .order_by(work.c.due, work.c.aftersale_id)
    ).all()
    written_query = select(remarks.c.shop_id, remarks.c.order_key, remarks.c.status)
    if shop_ids is not None:
        written_query = written_query.where(remarks.c.shop_id.in_(shop_ids))
    written = {tuple(row) for row in conn.execute(written_query)}
    deciding: dict[tuple[int, str], Any] = {}
    members: dict[tuple[int, str], list[str]] = {}
    for row in rows:
        key = (row.shop_id, row.order_key)
        deciding.setdefault(key, row)
        members.setdefault(key, []).append(row.aftersale_id)
    return [
        Remark(
            shop=row.shop,
            order_key=row.order_key,
            order_id=row.order_id,
            aftersale_ids=tuple(members[key]),
            bucket=Bucket(row.bucket),
            flag=settings.flags[row.bucket],
            text=format_remark(
                settings.remark_template,
                date=remark_date(row.remark_on or now),
                status=row.remark_status,
                couriers=[c for c in row.couriers.split(",") if c],
                operator=operator,
            ),
        )
        for key, row in deciding.items()
        if (row.shop_id, row.order_key, row.remark_status) not in written
    ]
