"""A courier's list posted to its chat group's robot (企业微信, 钉钉, 飞书), recorded once every part
was accepted.

The text posted is the one the .txt holds: the same `courier_messages`, each message split to the
robot's size limit and paced to its rate limit by `RobotSender`. The request is recorded (已发拦截,
已催拦截 or 已发快递核实) only when the robot accepted every part; otherwise nothing is recorded and
the report says which parts went out. One operator posts a courier's list at a time: the post is
claimed in the ledger, for every server sharing it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from lanjie.clients.robots import Robot, RobotError, RobotSender, split_message
from lanjie.config import Settings
from lanjie.couriers import courier_name
from lanjie.i18n import Lang, t
from lanjie.ledger.actions import EarlierRequest, ParcelRef, record_chased, record_sent, record_verify_asked
from lanjie.ledger.claims import claim, release
from lanjie.ledger.events import EventKind
from lanjie.ledger.schema import events
from lanjie.ledger.worklist import listed_refs
from lanjie.model import Bucket
from lanjie.outputs.messages import courier_messages
from lanjie.remarks import remark_date
from lanjie.work import Analysis, CourierGroup, ParcelLine

# Long enough for a list of hundreds of parts at 20 a minute; a crashed post frees it after this.
CLAIM_FOR = timedelta(minutes=15)
RECORDED_AS: dict[Bucket, EventKind] = {
    Bucket.INTERCEPT: EventKind.INTERCEPT_REQUESTED,
    Bucket.CHASE: EventKind.INTERCEPT_CHASED,
    Bucket.VERIFY: EventKind.VERIFY_ASKED,
}


def robot_for(settings: Settings, courier: str) -> Robot | None:
    """The courier's group robot from the settings ([robots], [robot_secrets]); None when it has none.
    Raises UnknownRobotUrl for an address that is no robot's."""
    url = settings.robots.get(courier, "")
    if not url:
        return None
    return Robot.of(url, secret=settings.robot_secrets.get(courier, ""), name=courier_name(courier))


def template_of(settings: Settings, bucket: Bucket) -> str:
    """The request line of the bucket's list: the same template the .txt files use."""
    return {
        Bucket.INTERCEPT: settings.intercept_template,
        Bucket.CHASE: settings.chase_template,
        Bucket.VERIFY: settings.verify_template,
    }[bucket]


@dataclass(frozen=True)
class CourierList:
    """One courier's list of one bucket: the parcels to record and how their messages are written."""

    bucket: Bucket
    courier: str
    refs: tuple[ParcelRef, ...]  # in the list's order; a parcel shared by several after-sales once
    template: str
    chunk_size: int
    date: str

    @property
    def numbers(self) -> list[str]:
        return list(dict.fromkeys(r.tracking_no for r in self.refs))

    @property
    def messages(self) -> list[str]:
        """The messages of the .txt, one per `chunk_size` numbers."""
        if not self.refs:
            return []
        group = CourierGroup(self.courier, tuple(ParcelLine(n, ()) for n in self.numbers))
        return courier_messages(group, template=self.template, chunk_size=self.chunk_size, date=self.date)

    def parts(self, robot: Robot) -> list[str]:
        """The messages as the robot takes them: each split to its size limit (raises LineTooLong)."""
        return [part for message in self.messages for part in split_message(message, robot.kind)]

    def only(self, numbers: Collection[str]) -> CourierList:
        return replace(self, refs=tuple(r for r in self.refs if r.tracking_no in numbers))


def courier_list(
    bucket: Bucket, courier: str, refs: Sequence[ParcelRef], *, settings: Settings, now: datetime
) -> CourierList:
    """A list from parcels the caller found (the web's page, a script)."""
    unique = tuple({(r.shop_id, r.tracking_no): r for r in refs}.values())
    return CourierList(bucket, courier, unique, template_of(settings, bucket), settings.chunk_size, remark_date(now))


def listed_courier_list(
    ledger: Engine, analysis: Analysis, ids: dict[str, int], bucket: Bucket, courier: str
) -> CourierList:
    """The courier's list as `lanjie run` writes it into its .txt, with the parcels to record. Like
    the web's 核实 list, it leaves out parcels the courier was already asked to check."""
    group = next((g for g in analysis.groups(bucket) if g.courier == courier), CourierGroup(courier, ()))
    order = {number: index for index, number in enumerate(group.numbers)}
    # listed_refs also names parcels recorded since the import (to say who was first): not posted.
    refs = [r for r in listed_refs(analysis, ids, bucket, frozenset({courier})) if r.tracking_no in order]
    if bucket is Bucket.VERIFY:
        asked = _asked(ledger, refs)
        refs = [r for r in refs if (r.shop_id, r.tracking_no) not in asked]
    refs.sort(key=lambda r: order[r.tracking_no])
    return courier_list(bucket, courier, refs, settings=analysis.settings, now=analysis.now)


def _asked(ledger: Engine, refs: Sequence[ParcelRef]) -> set[tuple[int, str]]:
    """The parcels among these the courier was already asked to check (已发快递核实)."""
    numbers = sorted({r.tracking_no for r in refs})
    query = select(events.c.shop_id, events.c.tracking_no).where(
        events.c.kind == EventKind.VERIFY_ASKED.value, events.c.tracking_no.in_(numbers)
    )
    with ledger.connect() as conn:
        return {(r.shop_id, r.tracking_no) for r in conn.execute(query)} if numbers else set()


def notify_job(bucket: Bucket, courier: str) -> str:
    return f"notify:{bucket.value}:{courier}"


@dataclass(frozen=True)
class NotifyReport:
    """What was posted and recorded. `sent` are the 1-based parts the robot accepted."""

    courier: str
    bucket: Bucket
    numbers: tuple[str, ...] = ()  # the parcels of the list posted
    parts: tuple[str, ...] = ()
    sent: tuple[int, ...] = ()
    failed: int | None = None
    error: RobotError | None = None
    recorded: int = 0
    already: tuple[EarlierRequest, ...] = ()
    busy: bool = False  # someone else is posting this list right now: nothing was posted

    @property
    def complete(self) -> bool:
        return not self.busy and bool(self.parts) and self.failed is None

    def describe(self, lang: Lang = "zh", *, operator: str = "") -> str:
        courier = courier_name(self.courier)
        what = t(f"bucket_label_{self.bucket.value}", lang)
        if self.busy:
            return t("notify_busy", lang, courier=courier, what=what)
        if not self.parts:
            return t("notify_nothing", lang, courier=courier, what=what)
        if self.complete:
            done = t(f"event_{RECORDED_AS[self.bucket].value}", lang)
            return t(
                "notify_sent", lang, courier=courier, parts=len(self.parts), n=self.recorded, done=done, who=operator
            )
        reason = self.error.explain(lang) if self.error is not None else ""
        if not self.sent:
            return t("notify_none_sent", lang, courier=courier, parts=len(self.parts), reason=reason)
        sent = str(self.sent[0]) if len(self.sent) == 1 else f"{self.sent[0]}–{self.sent[-1]}"
        return t(
            "notify_partly_sent",
            lang,
            courier=courier,
            parts=len(self.parts),
            sent=sent,
            failed=self.failed,
            reason=reason,
        )


def notify(
    engine: Engine,
    sender: RobotSender,
    robot: Robot,
    listing: CourierList,
    *,
    operator: str,
    now: datetime,
    still_listed: Callable[[], Collection[str]] | None = None,
) -> NotifyReport:
    """Post the list to the robot, then record it if every part went out.

    `still_listed` gives the numbers on the list now: asked once the post is claimed, so parcels
    another operator recorded while this one was being confirmed are left out, never posted twice."""
    job = notify_job(listing.bucket, listing.courier)
    if not claim(engine, job, by=operator, now=now, every=CLAIM_FOR):
        return NotifyReport(listing.courier, listing.bucket, tuple(listing.numbers), busy=True)
    try:
        if still_listed is not None:
            listing = listing.only(set(still_listed()))
        parts = listing.parts(robot)
        report = NotifyReport(listing.courier, listing.bucket, tuple(listing.numbers), tuple(parts))
        if not parts:
            return report
        posted = sender.send_parts(robot, parts)
        report = replace(report, sent=posted.sent, failed=posted.failed, error=posted.error)
        if not posted.complete:
            return report
        return _recorded(engine, listing, report, operator=operator, now=now)
    finally:
        release(engine, job)


def _recorded(
    engine: Engine, listing: CourierList, report: NotifyReport, *, operator: str, now: datetime
) -> NotifyReport:
    refs = list(listing.refs)
    if listing.bucket is Bucket.INTERCEPT:
        sent = record_sent(engine, refs, operator=operator, now=now, via="chat")
        return replace(report, recorded=len(sent.recorded), already=tuple(sent.already))
    if listing.bucket is Bucket.CHASE:
        return replace(report, recorded=record_chased(engine, refs, operator=operator, now=now))
    return replace(report, recorded=record_verify_asked(engine, refs, operator=operator, now=now))
