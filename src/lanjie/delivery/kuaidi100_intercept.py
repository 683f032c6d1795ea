"""Courier-side interception through 快递100's interceptOrder, and its result by callback.

A request costs money, so each parcel is claimed before the call (with the same claim as the
platform's interception: one way at a time per parcel) and a parcel someone already asked for is
not asked again. An accepted request is recorded as the parcel's interception request (via
kuaidi100), so it leaves the chat-group list; a refusal leaves it on the list, with 快递100's
reason logged. A request whose answer was lost may have been carried out: nothing is recorded,
it is not retried, and its claim is kept so nobody asks again before the callback can come.

The result comes later to `public_url + /hooks/kuaidi100`, signed with a salt sent with the
request. The salt is derived from the server secret, so every server of a team (which share
LANJIE_SECRET_KEY) verifies the callbacks of requests any of them made.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, Engine, and_, delete, select, update

from lanjie.clients.kuaidi100 import (
    BadParameters,
    InterceptOutcome,
    InterceptReceipt,
    InterceptRefused,
    InterceptStatus,
    InterceptUncertain,
    Kuaidi100Client,
    Kuaidi100Error,
)
from lanjie.config import Settings
from lanjie.errors import BadInput
from lanjie.ledger.actions import VIA_WORDS, EarlierRequest, ParcelRef, insert_new, log_parcels, record_sent
from lanjie.ledger.claims import claim, release
from lanjie.ledger.database import write_transaction
from lanjie.ledger.events import EventKind
from lanjie.ledger.schema import events, interceptions, parcels
from lanjie.model import Outcome
from lanjie.tracking.access import kuaidi100_from
from lanjie.web.secret import secret_key

CALLBACK_PATH = "/hooks/kuaidi100"
CLAIM_FOR = timedelta(minutes=10)
VIA = "kuaidi100"
OPERATOR = "快递100"  # who the callback's records are by
SALT_PURPOSE = b"lanjie/kuaidi100/intercept-callback-salt"


# Settings


def intercept_client(settings: Settings) -> Kuaidi100Client:
    """The 快递100 client for interception: it needs the secret besides the customer and key."""
    if not settings.kuaidi100_secret:
        raise BadInput("kuaidi100_not_configured")
    return kuaidi100_from(settings)


def callback_salt(settings: Settings) -> str:
    """The salt 快递100 signs the callbacks with: HMAC of the server secret, the same on every server."""
    key = secret_key(settings.secret_key).encode("utf-8")
    return hmac.new(key, SALT_PURPOSE, hashlib.sha256).hexdigest()[:32]


def callback_url(settings: Settings) -> str:
    """Where 快递100 posts the results: lanjie serve's hook under `public_url`."""
    base = settings.public_url.strip().rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadInput("kuaidi100_no_public_url")
    return base + CALLBACK_PATH


# Requests


@dataclass
class Kuaidi100Report:
    requested: list[tuple[ParcelRef, InterceptReceipt]] = field(default_factory=list)
    refused: list[tuple[ParcelRef, str]] = field(default_factory=list)  # with 快递100's reason
    already: list[EarlierRequest] = field(default_factory=list)
    busy: list[ParcelRef] = field(default_factory=list)  # someone else is asking for it right now
    uncertain: list[ParcelRef] = field(default_factory=list)  # sent, but the answer was lost
    skipped: list[ParcelRef] = field(default_factory=list)  # no certain courier: not asked
    not_asked: list[ParcelRef] = field(default_factory=list)  # left when the run stopped
    stopped: Kuaidi100Error | None = None  # what stopped the run (the account, the network …)


def intercept_with_kuaidi100(
    engine: Engine,
    client: Kuaidi100Client,
    refs: Sequence[ParcelRef],
    *,
    callback_url: str,
    salt: str,
    operator: str,
    now: datetime,
) -> Kuaidi100Report:
    """Ask 快递100 to intercept each parcel once. A refusal of one parcel goes on to the next; an
    error that is not about the parcel (account, signature, network) stops the run."""
    report = Kuaidi100Report()
    for ref in {(r.shop_id, r.tracking_no): r for r in refs}.values():
        if report.stopped is not None:
            report.not_asked.append(ref)
            continue
        if ref.courier is None:
            report.skipped.append(ref)
            continue
        job = f"intercept:{ref.shop_id}:{ref.tracking_no}"  # the platform's claim too: one way at a time
        if not claim(engine, job, by=operator, now=now, every=CLAIM_FOR):
            report.busy.append(ref)
            continue
        keep_claim = False
        try:
            keep_claim = _one(engine, client, ref, callback_url, salt, operator=operator, now=now, report=report)
        finally:
            if not keep_claim:
                release(engine, job)
    return report


def _one(
    engine: Engine,
    client: Kuaidi100Client,
    ref: ParcelRef,
    callback_url: str,
    salt: str,
    *,
    operator: str,
    now: datetime,
    report: Kuaidi100Report,
) -> bool:
    """One parcel; True when its claim must be kept (the request may have been carried out)."""
    earlier = _earlier_request(engine, ref)
    if earlier is not None:
        report.already.append(earlier)
        return False
    assert ref.courier is not None
    try:
        receipt = client.intercept(ref.courier, ref.tracking_no, callback_url=callback_url, salt=salt)
    except InterceptUncertain as error:
        report.uncertain.append(ref)
        report.stopped = error
        return True
    except (InterceptRefused, BadParameters) as error:
        reason = error.message or error.explain()
        report.refused.append((ref, reason))
        with write_transaction(engine) as conn:
            log_parcels(conn, EventKind.INTERCEPT_REFUSED, [ref], operator=operator, now=now, said=_said(reason))
        return False
    except Kuaidi100Error as error:
        report.not_asked.append(ref)
        report.stopped = error
        return False
    sent = record_sent(engine, [ref], operator=operator, now=now, via=VIA)
    report.requested += [(r, receipt) for r in sent.recorded]
    report.already += sent.already
    return False


def _earlier_request(engine: Engine, ref: ParcelRef) -> EarlierRequest | None:
    query = select(interceptions.c.requested_by, interceptions.c.requested_at).where(
        interceptions.c.shop_id == ref.shop_id, interceptions.c.tracking_no == ref.tracking_no
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else EarlierRequest(ref, row.requested_by, row.requested_at)


def _said(reason: str) -> str:
    return f"{VIA_WORDS[VIA]}：{reason}" if reason else VIA_WORDS[VIA]


# Callbacks


class CallbackEffect(enum.StrEnum):
    SUCCEEDED = "succeeded"  # the interception is recorded as a success
    FAILED = "failed"  # the 快递100 request is removed: the parcel is back on the chat list
    NOTED = "noted"  # the failure is logged; the parcel had no pending 快递100 request to remove
    UNCHANGED = "unchanged"  # a progress report, or a result already recorded
    UNKNOWN = "unknown"  # the ledger has no such parcel


@dataclass(frozen=True)
class CallbackResult:
    effect: CallbackEffect
    parcels: tuple[ParcelRef, ...] = ()


def record_callback(engine: Engine, outcome: InterceptOutcome, now: datetime) -> CallbackResult:
    """Record a verified result. 快递100 may post the same result again: it is recorded once."""
    if outcome.status is InterceptStatus.PENDING:
        return CallbackResult(CallbackEffect.UNCHANGED)
    with write_transaction(engine) as conn:
        found = _requests(conn, outcome)
        if not found:
            return CallbackResult(CallbackEffect.UNKNOWN)
        if outcome.succeeded:
            return _succeeded(conn, found, outcome, now)
        return _failed(conn, found, outcome, now)


def _requests(conn: Connection, outcome: InterceptOutcome) -> list[tuple[ParcelRef, Any]]:
    """The parcels with the outcome's number (of its courier when both are known), with their request."""
    query = (
        select(
            parcels.c.shop_id, parcels.c.tracking_no, parcels.c.courier, interceptions.c.outcome, interceptions.c.via
        )
        .join(
            interceptions,
            and_(interceptions.c.shop_id == parcels.c.shop_id, interceptions.c.tracking_no == parcels.c.tracking_no),
            isouter=True,
        )
        .where(parcels.c.tracking_no == outcome.number.strip())
        .order_by(parcels.c.shop_id)
    )
    com = outcome.com.strip().lower()
    return [
        (ParcelRef(r.shop_id, r.tracking_no, r.courier), r if r.outcome is not None else None)
        for r in conn.execute(query)
        if not (com and r.courier and r.courier != com)
    ]


def _where(ref: ParcelRef) -> Any:
    return and_(interceptions.c.shop_id == ref.shop_id, interceptions.c.tracking_no == ref.tracking_no)


def _succeeded(
    conn: Connection, found: list[tuple[ParcelRef, Any]], outcome: InterceptOutcome, now: datetime
) -> CallbackResult:
    settled: list[ParcelRef] = []
    for ref, request in found:
        if request is None:  # asked, but the answer was lost: the result proves the request
            row = {
                "shop_id": ref.shop_id,
                "tracking_no": ref.tracking_no,
                "courier": ref.courier,
                "requested_at": now,
                "requested_by": OPERATOR,
                "outcome": Outcome.SUCCESS.value,
                "outcome_at": now,
                "chase_count": 0,
                "via": VIA,
            }
            insert_new(conn, interceptions, [row], ["shop_id", "tracking_no"])
            log_parcels(conn, EventKind.INTERCEPT_REQUESTED, [ref], operator=OPERATOR, now=now, said=_said(""))
        elif request.outcome == Outcome.PENDING.value:
            conn.execute(update(interceptions).where(_where(ref)).values(outcome=Outcome.SUCCESS.value, outcome_at=now))
        else:
            continue
        settled.append(ref)
    if not settled:
        return CallbackResult(CallbackEffect.UNCHANGED)
    log_parcels(conn, EventKind.INTERCEPT_SUCCEEDED, settled, operator=OPERATOR, now=now, said=_said(outcome.reason))
    return CallbackResult(CallbackEffect.SUCCEEDED, tuple(settled))


def _failed(
    conn: Connection, found: list[tuple[ParcelRef, Any]], outcome: InterceptOutcome, now: datetime
) -> CallbackResult:
    said = _said(outcome.reason)
    removed: list[ParcelRef] = []
    noted: list[ParcelRef] = []
    for ref, request in found:
        if request is not None and request.via == VIA and request.outcome == Outcome.PENDING.value:
            conn.execute(delete(interceptions).where(_where(ref)))
            removed.append(ref)
        elif not _last_said(conn, ref, EventKind.INTERCEPT_REFUSED, said):  # a repeated callback: once
            noted.append(ref)
    log_parcels(conn, EventKind.INTERCEPT_REFUSED, removed + noted, operator=OPERATOR, now=now, said=said)
    if removed:
        return CallbackResult(CallbackEffect.FAILED, tuple(removed))
    return CallbackResult(CallbackEffect.NOTED if noted else CallbackEffect.UNCHANGED, tuple(noted))


def _last_said(conn: Connection, ref: ParcelRef, kind: EventKind, said: str) -> bool:
    """Whether the parcel's latest event is this one, with these words."""
    query = (
        select(events.c.kind, events.c.after)
        .where(events.c.shop_id == ref.shop_id, events.c.tracking_no == ref.tracking_no)
        .order_by(events.c.id.desc())
        .limit(1)
    )
    last = conn.execute(query).first()
    return last is not None and last.kind == kind.value and last.after == said
