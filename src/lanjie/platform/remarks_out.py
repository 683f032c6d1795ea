"""Remarks and flags written into 抖店 (order/addOrderRemark) instead of by hand.

Each remark is claimed in the ledger before the call (remark_pushes, one row per order and
status), so two operators pushing at the same moment send it once: the second finds it claimed.
A success is recorded exactly like a remark reported written by hand, by the operator who
pushed it; a refusal keeps the platform's reason and the remark stays on the list. A claim left
by a process that died mid-call can be taken again after CLAIM_EXPIRES.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, or_, select, update

from lanjie.clients.doudian import DoudianClient, DoudianError
from lanjie.config import FLAG_COLOURS
from lanjie.i18n import Text
from lanjie.ledger.actions import RemarkRef, insert_new, record_remarks, written_remarks
from lanjie.ledger.database import write_transaction
from lanjie.ledger.schema import remark_pushes
from lanjie.platform.connections import ConnectedShop, with_token

MAX_REMARK = 60  # characters order/addOrderRemark accepts
CLAIM_EXPIRES = timedelta(minutes=10)


@dataclass
class PushReport:
    written: list[RemarkRef] = field(default_factory=list)
    busy: list[RemarkRef] = field(default_factory=list)  # claimed by someone else right now, or written meanwhile
    failed: list[tuple[RemarkRef, str]] = field(default_factory=list)  # with the platform's reason
    skipped: list[tuple[RemarkRef, Text]] = field(default_factory=list)  # not sent: why


def star_of(flag: str) -> int:
    """The flag colour as addOrderRemark's star (0 灰 … 5 红)."""
    return FLAG_COLOURS.index(flag)


def key(ref: RemarkRef) -> tuple[int, str, str]:
    return (ref.shop_id, ref.order_key, ref.status)


def _claim(engine: Engine, refs: Sequence[RemarkRef], *, operator: str, now: datetime) -> list[RemarkRef]:
    """The remarks this call may send: new claims, and failed or abandoned ones taken again."""
    with write_transaction(engine) as conn:
        done = written_remarks(conn, sorted({r.shop_id for r in refs}))
        fresh = [r for r in refs if key(r) not in done]
        rows = [
            {
                "shop_id": r.shop_id,
                "order_key": r.order_key,
                "status": r.status,
                "text": r.text,
                "star": star_of(r.flag),
                "state": "sending",
                "claimed_at": now,
                "claimed_by": operator,
            }
            for r in fresh
        ]
        claimed = insert_new(conn, remark_pushes, rows, ["shop_id", "order_key", "status"])
        for ref in fresh:
            if key(ref) in claimed:
                continue
            taken = conn.execute(
                update(remark_pushes)
                .where(
                    remark_pushes.c.shop_id == ref.shop_id,
                    remark_pushes.c.order_key == ref.order_key,
                    remark_pushes.c.status == ref.status,
                    or_(
                        remark_pushes.c.state == "failed",
                        and_(remark_pushes.c.state == "sending", remark_pushes.c.claimed_at < now - CLAIM_EXPIRES),
                    ),
                )
                .values(state="sending", claimed_at=now, claimed_by=operator, text=ref.text, star=star_of(ref.flag))
            )
            if taken.rowcount:
                claimed.add(key(ref))
    return [r for r in fresh if key(r) in claimed]


def _settle(engine: Engine, ref: RemarkRef, *, error: str | None) -> None:
    with write_transaction(engine) as conn:
        conn.execute(
            update(remark_pushes)
            .where(
                remark_pushes.c.shop_id == ref.shop_id,
                remark_pushes.c.order_key == ref.order_key,
                remark_pushes.c.status == ref.status,
            )
            .values(state="failed" if error else "sent", error=error)
        )


def push_remarks(
    engine: Engine,
    client: DoudianClient,
    refs: Sequence[RemarkRef],
    *,
    shops: dict[int, ConnectedShop],
    secret: str,
    operator: str,
    now: datetime,
) -> PushReport:
    """Write each remark (with its flag) into 抖店 once; report what was written, busy, refused, skipped."""
    report = PushReport()
    sendable: list[RemarkRef] = []
    for ref in refs:
        if ref.shop_id not in shops:
            report.skipped.append((ref, Text("remark_shop_not_connected")))
        elif not ref.order_id:
            report.skipped.append((ref, Text("remark_needs_order_id")))
        elif len(ref.text) > MAX_REMARK:
            report.skipped.append((ref, Text("remark_too_long", n=len(ref.text), max=MAX_REMARK)))
        else:
            sendable.append(ref)
    claimed = _claim(engine, sendable, operator=operator, now=now)
    chosen = {id(r) for r in claimed}
    report.busy = [r for r in sendable if id(r) not in chosen]
    for ref in claimed:
        order_id = ref.order_id
        assert order_id is not None

        def send(token: str, ref: RemarkRef = ref, order_id: str = order_id) -> None:
            client.add_order_remark(token, order_id, ref.text, star_of(ref.flag))

        try:
            with_token(engine, client, shops[ref.shop_id], secret=secret, now=now, call=send)
        except DoudianError as error:
            reason = error.sub_msg or error.msg or str(error)
            _settle(engine, ref, error=reason)
            report.failed.append((ref, reason))
            continue
        record_remarks(engine, [ref], operator=operator, now=now, said="写入抖店")
        _settle(engine, ref, error=None)
        report.written.append(ref)
    return report


def push_states(engine: Engine, shop_ids: Sequence[int]) -> dict[tuple[int, str, str], tuple[str, str | None]]:
    """Each pushed remark's state (sending / sent / failed) and the platform's reason."""
    with engine.connect() as conn:
        rows = conn.execute(select(remark_pushes).where(remark_pushes.c.shop_id.in_(list(shop_ids))))
        return {(r.shop_id, r.order_key, r.status): (r.state, r.error) for r in rows}
