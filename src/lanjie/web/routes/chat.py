"""发到群: a courier's list posted to its chat group's robot (企业微信, 钉钉, 飞书) from its page.

The text is the one the page and the .txt show, every message of the courier's list (all pages),
split to the robot's size limit and paced to its rate limit (lanjie.delivery.notify). The request
is recorded only when the robot accepted every part; otherwise nothing is recorded and the page
says which parts went out. The page asks first (data-confirm). Plain WeChat groups have no robot:
their list keeps only the copy buttons.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from lanjie.clients.robots import LineTooLong, Robot, RobotSender, UnknownRobotUrl
from lanjie.couriers import BY_CODE, courier_name
from lanjie.delivery.notify import NotifyReport, courier_list, notify, robot_for
from lanjie.errors import BadInput, NotFound
from lanjie.i18n import t
from lanjie.ledger.actions import ParcelRef
from lanjie.ledger.workview import refresh_work
from lanjie.model import SHANGHAI, Bucket
from lanjie.web import data
from lanjie.web.context import PAGE_WAIT, Csrf, Operator, Web, WebDep, render
from lanjie.web.routes.couriers import RECORDABLE, UNKNOWN, _list_url

router = APIRouter()


def _robot(web: Web, courier: str) -> Robot:
    name = courier_name(courier)
    try:
        robot = robot_for(web.settings, courier)
    except UnknownRobotUrl:
        raise BadInput("notify_bad_robot", courier=name, code=courier) from None
    if robot is None:
        raise BadInput("notify_no_robot", courier=name, code=courier)
    return robot


def _listed(web: Web, bucket: str, courier: str, shop: str) -> list[ParcelRef]:
    """The courier's list as the page shows it now (the work brought up to date first)."""
    # What goes out to others (a courier's group, 抖店) waits for an import to finish: never from a list it changes.
    refresh_work(web.ledger, settings=web.settings, now=web.now())
    with web.ledger.connect() as conn:
        ids = data.shop_filter(conn, shop or None)
        return data.courier_list_refs(conn, ids, bucket=bucket, courier=courier)


def _lines(report: NotifyReport, web: Web, who: str) -> list[tuple[str, str]]:
    """What 发到群 did, a line each: (ok / warn / bad, sentence)."""
    lang = web.settings.lang
    kind = "warn" if report.busy else "ok" if report.complete or not report.parts else "bad"
    lines = [(kind, report.describe(lang, operator=who))]
    for earlier in report.already:
        at = earlier.at.astimezone(SHANGHAI).strftime("%m-%d %H:%M")
        lines.append(("warn", t("sent_already", lang, number=earlier.parcel.tracking_no, by=earlier.by, at=at)))
    return lines


def _next_list(web: Web, bucket: str, code: str, shop: str) -> str:
    """The courier's list again while it has parcels, else the next courier's with work."""
    with web.ledger.connect() as conn:
        ids = data.shop_filter(conn, shop or None)
        still = [c or UNKNOWN for c, _ in data.courier_counts(conn, ids, bucket)]
    return _list_url(bucket, code if code in still else (still[0] if still else None), shop or None)


@router.post("/couriers/chat", dependencies=[Csrf])
def post_to_group(
    request: Request,
    web: WebDep,
    who: Operator,
    bucket: Annotated[str, Form()] = Bucket.INTERCEPT.value,
    code: Annotated[str, Form()] = "",
    shop: Annotated[str, Form()] = "",
) -> Response:
    """发到群: post the courier's whole list of this bucket, then record it if every part went out."""
    if bucket not in RECORDABLE:
        raise BadInput("chat_not_this_list")
    if code not in BY_CODE:
        raise NotFound("courier_not_found", code=code[:40])
    robot = _robot(web, code)
    now = web.now()
    listing = courier_list(Bucket(bucket), code, _listed(web, bucket, code, shop), settings=web.settings, now=now)
    sender: RobotSender = request.app.state.services.robots()
    try:
        with sender:
            report = notify(
                web.ledger,
                sender,
                robot,
                listing,
                operator=who,
                now=now,
                still_listed=lambda: [r.tracking_no for r in _listed(web, bucket, code, shop)],
            )
    except LineTooLong:
        raise BadInput("robot_line_too_long") from None
    refresh_work(web.ledger, settings=web.settings, now=now, wait=PAGE_WAIT)
    lines = _lines(report, web, who)
    if report.complete and not report.already:  # all went out and all recorded: on to the next list
        location = _next_list(web, bucket, code, shop)
        request.session["flash"] = lines[0][1]
        if request.headers.get("hx-request") == "true":
            answer = render(request, "_chat_result.html", lines=lines, back=location)
            answer.headers["HX-Redirect"] = location
            return answer
        return RedirectResponse(location, status_code=303)
    back = _list_url(bucket, code, shop or None)
    return render(request, "_chat_result.html", lines=lines, back=back)
