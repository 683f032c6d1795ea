"""Per-courier lists: the messages exactly as they are pasted, and 已发送 / 已催.

Every list is copyable and recordable, 未识别快递 too (grouped by its likely courier). A record
button is a real form: without JavaScript it posts and is redirected to the next courier with
work; with htmx the answer carries HX-Redirect to the same place. The next page says once,
in one sentence, what was recorded."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection

from lanjie.buckets import LISTED, RULES
from lanjie.clients.robots import UnknownRobotUrl
from lanjie.config import Settings
from lanjie.couriers import BY_CODE, courier_name
from lanjie.delivery.notify import RECORDED_AS, robot_for
from lanjie.errors import BadInput, NotFound
from lanjie.i18n import t
from lanjie.ledger.actions import (
    VERIFY_ANSWERS,
    EarlierRequest,
    ParcelRef,
    record_chased,
    record_sent,
    record_verify_answer,
    record_verify_asked,
)
from lanjie.ledger.workview import refresh_work
from lanjie.model import SHANGHAI, Bucket
from lanjie.outputs.messages import courier_messages
from lanjie.platform.access import server_secret
from lanjie.platform.connections import connected_shops
from lanjie.platform.intercepts import InterceptReport, intercept_on_platform
from lanjie.remarks import remark_date
from lanjie.web import data
from lanjie.web.context import PAGE_WAIT, Csrf, Operator, Web, WebDep, WorkDep, all_shops, render
from lanjie.web.doudian import client_for, configured
from lanjie.web.routes.tracking import tracking_box
from lanjie.work import CourierGroup, ParcelLine

router = APIRouter()
TABS = {b.value: RULES[b].list_name for b in LISTED}
RECORDABLE = (Bucket.INTERCEPT.value, Bucket.CHASE.value, Bucket.VERIFY.value)
RECORD_BUTTON = {Bucket.INTERCEPT.value: "已发送", Bucket.CHASE.value: "已催", Bucket.VERIFY.value: "已发核实"}
UNKNOWN = "unknown"
MESSAGES_PER_PAGE = 10
MAX_TRACKING_NO = 64


def _courier(code: str) -> str | None:
    if code == UNKNOWN:
        return None
    if code not in BY_CODE:
        raise NotFound("courier_not_found", code=code[:40])
    return code


def _list_url(bucket: str, code: str | None, shop: str | None) -> str:
    path = f"/couriers/{code}" if code else "/couriers"
    return f"{path}?bucket={bucket}" + (f"&shop={quote(shop)}" if shop else "")


@router.get("/couriers")
def couriers_index(
    request: Request, web: WorkDep, _who: Operator, bucket: str = Bucket.INTERCEPT.value, shop: str | None = None
) -> Response:
    return courier_page(request, web, _who, None, bucket, shop, 1)


@router.get("/couriers/{code}")
def courier_list(
    request: Request,
    web: WorkDep,
    _who: Operator,
    code: str,
    bucket: str = Bucket.INTERCEPT.value,
    shop: str | None = None,
    page: int = 1,
) -> Response:
    return courier_page(request, web, _who, code, bucket, shop, page)


def courier_page(
    request: Request, web: WorkDep, _who: str, code: str | None, bucket: str, shop: str | None, page: int
) -> Response:
    if bucket not in TABS:
        bucket = Bucket.INTERCEPT.value
    settings = web.settings
    with web.ledger.connect() as conn:
        ids = data.shop_filter(conn, shop)
        counts = data.courier_counts(conn, ids, bucket)
        if code is None and counts:
            code = counts[0][0] or UNKNOWN
        courier = _courier(code) if code else None
        per_page = settings.chunk_size * MESSAGES_PER_PAGE
        total = next((n for c, n in counts if (c or UNKNOWN) == code), 0)
        listed, paging = data.courier_parcels(
            conn, ids, bucket=bucket, courier=courier, number=page, size=per_page, total=total
        )
        tab_totals = {key: sum(n for _, n in data.courier_counts(conn, ids, key)) for key in TABS}
        awaiting = data.awaiting_answer(conn, ids, courier) if bucket == Bucket.VERIFY.value and code else []
        # 平台拦截 asks the platform with the courier's code: never for 未识别快递.
        platform = bucket == Bucket.INTERCEPT.value and courier is not None and _platform_ready(web, conn)
        routes = data.route_lines(conn, [(p.shop_id, p.tracking_no) for p in listed])
    template = {
        Bucket.INTERCEPT.value: settings.intercept_template,
        Bucket.CHASE.value: settings.chase_template,
        Bucket.VERIFY.value: settings.verify_template,
    }[bucket]
    size = settings.chunk_size
    date = remark_date(web.now())
    messages: list[dict[str, Any]] = []
    parts = -(-paging.total // size) if paging.total else 0
    if code == UNKNOWN:
        # Grouped by the likely courier: each group is a message for that courier's group chat.
        groups: dict[str | None, list[data.ListedParcel]] = {}
        for p in listed:
            groups.setdefault(p.candidates[0] if p.candidates else None, []).append(p)
        for guess, members in sorted(groups.items(), key=lambda item: (item[0] is None, -len(item[1]))):
            group = CourierGroup(guess, tuple(ParcelLine(p.tracking_no, p.candidates) for p in members))
            for i, text in enumerate(courier_messages(group, template=template, chunk_size=size, date=date)):
                messages.append(
                    {
                        "part": len(messages) + 1,
                        "text": text,
                        "parcels": members[i * size : (i + 1) * size],
                        "guess": guess,
                    }
                )
        parts = len(messages)
    elif listed:
        group = CourierGroup(courier, tuple(ParcelLine(p.tracking_no, p.candidates) for p in listed))
        texts = courier_messages(
            group, template=template, chunk_size=size, date=date, first_part=paging.offset // size + 1, parts=parts
        )
        messages = [
            {"part": paging.offset // size + 1 + i, "text": text, "parcels": listed[i * size : (i + 1) * size]}
            for i, text in enumerate(texts)
        ]
    for message in messages:
        keys = [(p.shop_id, p.tracking_no) for p in message["parcels"]]
        message["routes"] = [(key[1], routes[key]) for key in keys if key in routes]
    return render(
        request,
        "courier.html",
        tabs=TABS,
        tab_totals=tab_totals,
        bucket=bucket,
        counts=counts,
        code=code,
        courier=courier,
        name=courier_name(courier) if code else "",
        messages=messages,
        page=paging,
        parts=parts,
        search=",".join(p.tracking_no for p in listed),
        shop=shop or "",
        shops=all_shops(web),
        listed=listed,
        recordable=bucket in RECORDABLE,
        button=RECORD_BUTTON[bucket],
        flash=request.session.pop("flash", None),
        awaiting=awaiting,
        answers=VERIFY_ANSWERS,
        platform=platform,
        tracking=tracking_box(request, web),
        chat=_chat(settings, bucket, courier, total=paging.total, parts=parts),
    )


def _chat(settings: Settings, bucket: str, courier: str | None, *, total: int, parts: int) -> dict[str, str] | None:
    """发到群 for a courier whose group has a robot: the button's question, or what is wrong with the
    robot's address (None: no robot, the copy buttons are the way)."""
    if bucket not in RECORDABLE or courier is None or not settings.robots.get(courier) or not total:
        return None
    lang, name = settings.lang, courier_name(courier)
    try:
        robot = robot_for(settings, courier)
    except UnknownRobotUrl:
        return {"error": t("notify_bad_robot", lang, courier=name, code=courier)}
    if robot is None:
        return None
    kind = t(f"robot_kind_{robot.kind.value}", lang)
    done = t(f"event_{RECORDED_AS[Bucket(bucket)].value}", lang)
    ask = t("chat_confirm", lang, robot=kind, courier=name, n=total, parts=parts, done=done)
    return {"ask": ask, "hint": t("chat_hint", lang, robot=kind, courier=name, done=done)}


def _platform_ready(web: Web, conn: Connection) -> bool:
    return configured(web.settings) and bool(connected_shops(conn))


def _refs(parcel: list[str]) -> list[tuple[int, str]]:
    refs = []
    for value in parcel:
        shop_id, _, number = value.partition(":")
        if not shop_id.isdigit() or int(shop_id) > data.MAX_ID or not number or len(number) > MAX_TRACKING_NO:
            raise BadInput("parcel_not_listed", tracking_no=value[:80], list="拦截")
        refs.append((int(shop_id), number))
    if not refs:
        raise BadInput("nothing_selected")
    return list(dict.fromkeys(refs))


def _said(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%m-%d %H:%M")


def _sent_sentence(recorded: int, already: list[EarlierRequest], who: str, at: datetime) -> str:
    """What happened, once: recorded, or sent before by someone (never one line per parcel)."""
    if not already:
        return t("web_sent_recorded", count=recorded, who=who, at=_said(at))
    by = "、".join(dict.fromkeys(e.by for e in already))
    first = min(e.at for e in already)
    if recorded:
        return t("web_sent_partly_before", count=recorded, who=who, at=_said(at), earlier=len(already), by=by)
    if len(already) == 1:
        return t("web_sent_one_before", tracking_no=already[0].parcel.tracking_no, by=by, at=_said(first))
    return t("web_sent_all_before", earlier=len(already), by=by, at=_said(first))


@router.post("/couriers/sent", dependencies=[Csrf])
def sent(
    request: Request,
    web: WebDep,
    who: Operator,
    parcel: Annotated[list[str], Form()],
    bucket: Annotated[str, Form()] = Bucket.INTERCEPT.value,
    part: Annotated[int, Form()] = 1,
    code: Annotated[str, Form()] = "",
    guess: Annotated[str, Form()] = "",
    shop: Annotated[str, Form()] = "",
) -> Response:
    """已发送 / 已催: record the parcels of one message, then go on to the next courier with work."""
    if bucket not in RECORDABLE:
        raise BadInput("parcel_not_listed", tracking_no=parcel[0][:80] if parcel else "", list=TABS.get(bucket, "?"))
    refs = _refs(parcel)
    chase = bucket == Bucket.CHASE.value
    now = web.now()
    refresh_work(web.ledger, settings=web.settings, now=now, wait=PAGE_WAIT)
    with web.ledger.connect() as conn:
        # 已发送 accepts any parcel of the current work (one sent by someone else is reported, not
        # sent again); 已催 and 已发核实 only the parcels on their list now (each counts every time).
        listed = data.listed_parcels(conn, None if bucket == Bucket.INTERCEPT.value else bucket, refs)
    missing = [number for shop_id, number in refs if (shop_id, number) not in listed]
    if missing:
        raise BadInput("parcel_not_listed", tracking_no=missing[0], list=TABS[bucket])
    said_courier = guess if guess in BY_CODE else None
    parcels = [
        ParcelRef(
            shop_id,
            number,
            courier=listed[shop_id, number].courier or said_courier,
            aftersale_id=listed[shop_id, number].aftersale_id,
            order_id=listed[shop_id, number].order_id,
        )
        for shop_id, number in refs
    ]
    if bucket == Bucket.VERIFY.value:
        asked = record_verify_asked(web.ledger, parcels, operator=who, now=now)
        sentence = t("web_verify_recorded", count=asked, who=who, at=_said(now))
    elif chase:
        sentence = t(
            "web_chase_recorded",
            count=record_chased(web.ledger, parcels, operator=who, now=now),
            who=who,
            at=_said(now),
        )
    else:
        report = record_sent(web.ledger, parcels, operator=who, now=now)
        sentence = _sent_sentence(len(report.recorded), report.already, who, now)
    refresh_work(web.ledger, settings=web.settings, now=now, wait=PAGE_WAIT)
    with web.ledger.connect() as conn:
        ids = data.shop_filter(conn, shop or None)
        counts = data.courier_counts(conn, ids, bucket)
    still = [c or UNKNOWN for c, _ in counts]
    target = code if code in still else (still[0] if still else None)
    location = _list_url(bucket, target, shop or None)
    return _recorded(request, sentence, location, part)


@router.post("/couriers/answered", dependencies=[Csrf])
def answered(
    request: Request,
    web: WebDep,
    who: Operator,
    parcel: Annotated[list[str], Form()],
    answer: Annotated[str, Form()],
    code: Annotated[str, Form()] = "",
    shop: Annotated[str, Form()] = "",
) -> Response:
    """The courier's answer to 核实 (确已签收 / 买家没收到), for parcels it was asked about."""
    if answer not in VERIFY_ANSWERS:
        raise BadInput("verify_answer_unknown", answer=answer[:40])
    refs = _refs(parcel)
    now = web.now()
    refresh_work(web.ledger, settings=web.settings, now=now, wait=PAGE_WAIT)
    with web.ledger.connect() as conn:
        waiting = data.awaiting_refs(conn, refs)
    missing = [number for shop_id, number in refs if (shop_id, number) not in waiting]
    if missing:
        raise BadInput("parcel_not_listed", tracking_no=missing[0], list=TABS[Bucket.VERIFY.value])
    parcels = [
        ParcelRef(
            shop_id,
            number,
            waiting[shop_id, number].courier,
            waiting[shop_id, number].aftersale_id,
            waiting[shop_id, number].order_id,
        )
        for shop_id, number in refs
    ]
    count = record_verify_answer(web.ledger, parcels, answer, operator=who, now=now)
    sentence = t("web_verify_answered", count=count, answer=VERIFY_ANSWERS[answer], who=who, at=_said(now))
    return _recorded(request, sentence, _list_url(Bucket.VERIFY.value, code or None, shop or None), 0)


def _recorded(request: Request, sentence: str, location: str, part: int) -> Response:
    """After recording: the next page says `sentence` once. Without JavaScript a redirect there;
    with htmx the sentence in place of the message, and HX-Redirect to the next page."""
    request.session["flash"] = sentence
    if request.headers.get("hx-request") == "true":
        answer = render(request, "_sent.html", part=part, sentence=sentence)
        answer.headers["HX-Redirect"] = location
        return answer
    return RedirectResponse(location, status_code=303)


def _intercept_lines(report: InterceptReport, missing: list[str], web: WebDep) -> list[tuple[str, str]]:
    """What 平台拦截 did, a line each: (ok / warn / bad, sentence)."""
    lang = web.settings.lang
    cost = f"{sum(c for _, c in report.requested) / 100:.2f}"
    lines = [("ok", t("intercept_done", lang, n=len(report.requested), cost=cost))]
    lines += [("bad", t("intercept_refused", lang, number=r.tracking_no, reason=why)) for r, why in report.refused]
    lines += [
        ("warn", t("sent_already", lang, number=e.parcel.tracking_no, by=e.by, at=_said(e.at))) for e in report.already
    ]
    lines += [("warn", t("intercept_busy", lang, number=r.tracking_no)) for r in report.busy]
    lines += [("warn", t("intercept_skipped", lang, number=r.tracking_no)) for r in report.skipped]
    lines += [("warn", t("courier_platform_not_listed", lang, number=number)) for number in missing]
    return lines


@router.post("/couriers/platform", dependencies=[Csrf])
def platform_intercept(
    request: Request,
    web: WebDep,
    who: Operator,
    parcel: Annotated[list[str], Form()],
    part: Annotated[int, Form()] = 1,
    code: Annotated[str, Form()] = "",
    shop: Annotated[str, Form()] = "",
) -> Response:
    """平台拦截: ask 抖店 to intercept the parcels of one message (it costs the shop money: the
    page asks first). Parcels no longer on the 拦截 list are reported, not asked for; an accepted
    one is recorded as sent and leaves the list; a refused one stays, with the platform's reason."""
    refs = _refs(parcel)
    now = web.now()
    # What goes out to others (a courier's group, 抖店) waits for an import to finish: never from a list it changes.
    refresh_work(web.ledger, settings=web.settings, now=now)
    with web.ledger.connect() as conn:
        listed = data.listed_parcels(conn, Bucket.INTERCEPT.value, refs)
        shops = {s.shop_id: s for s in connected_shops(conn)}
    missing = [number for shop_id, number in refs if (shop_id, number) not in listed]
    parcels = [
        ParcelRef(shop_id, number, row.courier, row.aftersale_id, row.order_id)
        for shop_id, number in refs
        if (row := listed.get((shop_id, number))) is not None
    ]
    report = InterceptReport()
    if parcels:
        with client_for(web.settings, web.clock) as client:
            report = intercept_on_platform(
                web.ledger, client, parcels, shops=shops, secret=server_secret(web.settings), operator=who, now=now
            )
        refresh_work(web.ledger, settings=web.settings, now=now, wait=PAGE_WAIT)
    back = _list_url(Bucket.INTERCEPT.value, code if code in BY_CODE else None, shop or None)
    return render(request, "_platform_lines.html", lines=_intercept_lines(report, missing, web), back=back, part=part)
