"""`lanjie notify`: a courier's list posted to its chat group's robot, recorded once it all went out."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from lanjie.cli.common import (
    Command,
    Config,
    Db,
    JsonOutput,
    LangOption,
    Now,
    Operator,
    ShopFilter,
    app,
    command,
    console,
    print_json,
)
from lanjie.i18n import Lang, Listing, t


@app.command(cls=Command)
def notify(
    courier: Annotated[
        str | None, typer.Option("--courier", "-c", help="发到哪个快递的群（如 中通 或 zhongtong）")
    ] = None,
    chase: Annotated[bool, typer.Option("--chase", help="发「催拦截」清单，而不是待拦截清单")] = False,
    verify: Annotated[bool, typer.Option("--verify", help="发「核实签收」清单")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="不再询问，直接发送")] = False,
    json_output: JsonOutput = False,
    shops: ShopFilter = None,
    db: Db = None,
    operator: Operator = None,
    now: Now = None,
    config: Config = None,
    lang: LangOption = None,
) -> None:
    """用群机器人（企业微信、钉钉、飞书）把一个快递的清单发到它的群里，全部发出后记为已发送。

    消息和 lanjie run 生成的 .txt 一样，按机器人的长度上限分条、按频率上限慢慢发。
    普通微信群没有接口：照旧复制 .txt 发送，再用 lanjie sent 记录。
    """
    with command(locals()) as ctx:
        from lanjie.clients.robots import LineTooLong, RobotSender, UnknownRobotUrl
        from lanjie.couriers import courier_name, find_courier, known_couriers
        from lanjie.delivery.notify import listed_courier_list, robot_for
        from lanjie.delivery.notify import notify as post_list
        from lanjie.errors import BadInput
        from lanjie.ledger.worklist import resolve_shops
        from lanjie.model import Bucket
        from lanjie.pipeline import analyse_ledger

        settings, lang, ledger = ctx.settings, ctx.lang, ctx.ledger()
        if not courier:
            raise BadInput("notify_which")
        code = find_courier(courier)
        if code is None:
            raise BadInput("unknown_partners", names=Listing([courier]), known=known_couriers())
        if chase and verify:
            raise BadInput("notify_one_list")
        bucket = Bucket.CHASE if chase else Bucket.VERIFY if verify else Bucket.INTERCEPT
        name = courier_name(code)
        try:
            robot = robot_for(settings, code)
        except UnknownRobotUrl:
            raise BadInput("notify_bad_robot", courier=name, code=code) from None
        if robot is None:
            raise BadInput("notify_no_robot", courier=name, code=code)
        ids = resolve_shops(ledger, shops or [])

        def current() -> Any:
            analysis = analyse_ledger(ledger, settings=settings, now=ctx.now, shops=shops or [])
            return listed_courier_list(ledger, analysis, ids, bucket, code)

        listing = current()
        out = console(stderr=json_output)  # the JSON answer alone on stdout
        try:
            parts = listing.parts(robot)
        except LineTooLong:
            raise BadInput("robot_line_too_long") from None
        if not parts:
            out.print(t("notify_nothing", lang, courier=name, what=t(f"bucket_label_{bucket.value}", lang)))
            if json_output:
                print_json({"courier": code, "bucket": bucket.value, "numbers": [], "parts": 0, "sent": []})
            return
        kind = t(f"robot_kind_{robot.kind.value}", lang)
        out.print(
            t("notify_preview", lang, robot=kind, courier=name, n=len(listing.numbers), parts=len(parts)),
            markup=False,
        )
        for number, part in enumerate(parts, 1):
            out.print(t("notify_part_heading", lang, part=number, parts=len(parts)), style="dim", markup=False)
            out.print(part, markup=False, highlight=False)
        _confirm(t("notify_ask", lang, parts=len(parts), courier=name, robot=kind), yes, lang)
        with RobotSender() as sender:
            report = post_list(
                ledger,
                sender,
                robot,
                listing,
                operator=settings.operator_name,
                now=ctx.now,
                still_listed=lambda: current().numbers,
            )
        sentence = report.describe(lang, operator=settings.operator_name)
        if json_output:
            print_json(
                {
                    "courier": code,
                    "bucket": bucket.value,
                    "numbers": list(report.numbers),
                    "parts": len(report.parts),
                    "sent": list(report.sent),
                    "failed": report.failed,
                    "error": report.error.explain(lang) if report.error is not None else None,
                    "recorded": report.recorded,
                    "already": [
                        {"tracking_no": e.parcel.tracking_no, "by": e.by, "at": e.at.isoformat()}
                        for e in report.already
                    ],
                    "busy": report.busy,
                    "message": sentence,
                }
            )
        nothing_left = not report.parts and not report.busy  # everything was recorded meanwhile
        style = "yellow" if report.busy else "green" if report.complete or nothing_left else "red"
        out.print(sentence, style=style, markup=False)
        for earlier in report.already:
            out.print(
                t("sent_already", lang, number=earlier.parcel.tracking_no, by=earlier.by, at=_time(earlier.at)),
                style="yellow",
                markup=False,
            )
        if report.busy:
            raise typer.Exit(1)
        if not (report.complete or nothing_left):
            raise typer.Exit(3)


def _time(moment: Any) -> str:
    from lanjie.model import SHANGHAI

    return str(moment.astimezone(SHANGHAI).strftime("%m-%d %H:%M"))


def _confirm(question: str, yes: bool, lang: Lang) -> None:
    """Go on only when the user said so (--yes, or y at the prompt); without a terminal, --yes is required."""
    if yes:
        return
    from lanjie.errors import BadInput

    if not sys.stdin.isatty():
        raise BadInput("notify_needs_yes")
    if not typer.confirm(question, default=False):
        console().print(t("cancelled", lang), markup=False)
        raise typer.Exit(1)
