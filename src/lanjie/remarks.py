"""The remark and flag (标旗备注) to write on each order, so colleagues see it was handled.

The rule, shared by every face (the web's SQL in lanjie.web.data follows it too):

- an after-sale calls for the remark its bucket names (lanjie.buckets); 待拦截 calls for none
  yet, and 已拦截 only once an interception request for its parcel is recorded, dated by it;
- one remark per order: of its after-sales that call for a remark, the one with the nearest
  deadline (then the smallest 售后单号) decides the words, the flag and the couriers;
- an after-sale whose IDs are unusable (kept for a person) never gets a remark.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from lanjie.buckets import RULES
from lanjie.couriers import courier_name
from lanjie.ingest.identifiers import is_platform_id
from lanjie.model import NO_FACTS, SHANGHAI, AfterSale, Bucket, Decision, LedgerFacts


@dataclass(frozen=True, slots=True)
class Remark:
    shop: str
    order_key: str  # the order ID, or 售后单 … when the export has none
    order_id: str | None
    aftersale_ids: tuple[str, ...]
    bucket: Bucket
    flag: str
    text: str

    @property
    def status(self) -> str:
        status = RULES[self.bucket].remark
        assert status is not None
        return status


def order_key(record: AfterSale) -> str:
    return record.order_id or f"售后单 {record.aftersale_id}"


def remark_date(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%m-%d")


def format_remark(template: str, *, date: str, status: str, couriers: Iterable[str], operator: str = "") -> str:
    """The remark text from its template; the couriers are codes, each named once."""
    names = "/".join(courier_name(code) for code in dict.fromkeys(couriers))
    return " ".join(template.format(date=date, status=status, courier=names, operator=operator).split())


def remark_moment(decision: Decision, facts: LedgerFacts = NO_FACTS) -> tuple[bool, datetime | None]:
    """Whether this after-sale calls for a remark now, and the request it is dated by (if any)."""
    rule = RULES[decision.bucket]
    record = decision.aftersale
    if rule.remark is None or (record.order_id is None and not is_platform_id(record.aftersale_id)):
        return False, None
    if not rule.remark_after_request:
        return True, None
    asked = [facts[p.tracking_no].requested_at for p in record.parcels if p.tracking_no in facts]
    return (True, min(asked)) if asked else (False, None)


def build_remarks(
    decisions: Iterable[Decision],
    *,
    facts: LedgerFacts = NO_FACTS,
    template: str,
    flags: dict[str, str],
    now: datetime,
    operator: str = "",
) -> list[Remark]:
    """One remark per order; `decisions` come nearest deadline first, as triage sorts them."""
    by_order: dict[tuple[str, str], tuple[Decision, datetime | None, list[str]]] = {}
    for decision in decisions:
        due, dated_by = remark_moment(decision, facts)
        if not due:
            continue
        record = decision.aftersale
        key = (record.shop, order_key(record))
        if key in by_order:
            by_order[key][2].append(record.aftersale_id)
        else:
            by_order[key] = (decision, dated_by, [record.aftersale_id])
    remarks = []
    for (shop, key_of_order), (first, dated_by, ids) in by_order.items():
        status = RULES[first.bucket].remark
        assert status is not None
        text = format_remark(
            template,
            date=remark_date(dated_by or now),
            status=status,
            couriers=[p.courier for p in first.parcels if p.courier],
            operator=operator,
        )
        record = first.aftersale
        remarks.append(Remark(shop, key_of_order, record.order_id, tuple(ids), first.bucket, flags[first.bucket], text))
    return remarks
