"""抖店 Open Platform commands: connect shops, sync their after-sales, and what flows back."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table

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
    new_app,
    print_json,
)
from lanjie.i18n import Lang, t
from lanjie.model import SHANGHAI

shop_app = new_app(help="连接抖店开放平台的店铺：授权、查看、断开。")
app.add_typer(shop_app, name="shop")


def _time(moment: datetime | None) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else "—"


@shop_app.command("connect", cls=Command)
def shop_connect(
    shop_id: Annotated[str | None, typer.Option("--shop-id", help="自用型应用：抖店的店铺 ID")] = None,
    code: Annotated[str | None, typer.Option("--code", help="工具型应用：店铺授权后得到的 code")] = None,
    name: Annotated[str, typer.Option("--name", help="在 lanjie 里的店铺名（默认用抖店的店铺名）")] = "",
    db: Db = None,
    operator: Operator = None,
    now: Now = None,
    config: Config = None,
    lang: LangOption = None,
) -> None:
    """授权连接一个抖店店铺（App Key / Secret 在设置里：LANJIE_DOUDIAN_APP_KEY、LANJIE_DOUDIAN_APP_SECRET）。"""
    with command(locals()) as ctx:
        from lanjie.errors import BadInput
        from lanjie.platform.access import client_from, platform_errors, server_secret
        from lanjie.platform.connections import connect_shop

        if bool(shop_id) == bool(code):
            raise BadInput("connect_needs_id_or_code")
        settings = ctx.settings
        with client_from(settings) as client, platform_errors():
            shop = connect_shop(
                ctx.ledger(),
                client,
                name=name,
                secret=server_secret(settings),
                operator=settings.operator_name,
                now=ctx.now,
                platform_shop_id=shop_id,
                code=code,
            )
        console().print(
            t("shop_connected", ctx.lang, shop=shop.name, id=shop.platform_shop_id, until=_time(shop.token_expires_at)),
            style="green",
            markup=False,
        )


@shop_app.command("list", cls=Command)
def shop_list(json_output: JsonOutput = False, db: Db = None, config: Config = None, lang: LangOption = None) -> None:
    """列出已连接的店铺：授权到期时间、上次同步时间和错误。"""
    with command(locals()) as ctx:
        from lanjie.platform.connections import connected_shops

        with ctx.ledger().connect() as conn:
            found = connected_shops(conn)
        if json_output:
            print_json({"shops": [_shop_json(s) for s in found]})
            return
        lang = ctx.lang
        if not found:
            console().print(t("no_connected_shops", lang), markup=False)
            return
        table = Table(
            *(t(key, lang) for key in ("col_shop", "col_shop_id", "col_token_until", "col_synced", "col_sync_error"))
        )
        for shop in found:
            table.add_row(
                shop.name,
                shop.platform_shop_id,
                _time(shop.token_expires_at),
                _time(shop.synced_at),
                shop.sync_error or "",
            )
        console().print(table)


def _shop_json(shop: Any) -> dict[str, Any]:
    return {
        "shop": shop.name,
        "platform_shop_id": shop.platform_shop_id,
        "grant_type": shop.grant_type,
        "token_expires_at": shop.token_expires_at.isoformat(),
        "connected_at": shop.connected_at.isoformat(),
        "connected_by": shop.connected_by,
        "synced_at": shop.synced_at.isoformat() if shop.synced_at else None,
        "last_sync": shop.sync_counts,
        "sync_error": shop.sync_error,
    }


@shop_app.command("disconnect", cls=Command)
def shop_disconnect(
    name: Annotated[str, typer.Argument(help="店铺名", show_default=False)],
    db: Db = None,
    config: Config = None,
    lang: LangOption = None,
) -> None:
    """断开店铺（删除保存的授权；台账里的售后和记录保留）。"""
    with command(locals()) as ctx:
        from lanjie.platform.connections import disconnect_shop

        disconnect_shop(ctx.ledger(), name)
        console().print(t("shop_disconnected", ctx.lang, shop=name), style="green", markup=False)


@app.command(cls=Command)
def sync(
    shops: ShopFilter = None,
    full: Annotated[bool, typer.Option("--full", help="全量刷新：重新拉取所有待商家处理的仅退款售后")] = False,
    json_output: JsonOutput = False,
    db: Db = None,
    operator: Operator = None,
    now: Now = None,
    config: Config = None,
    lang: LangOption = None,
) -> None:
    """从抖店开放平台拉取已连接店铺的仅退款售后，记进台账（和导入导出文件一样）。"""
    with command(locals()) as ctx:
        reports = sync_connected(ctx, shops or [], full=full, quiet=json_output)
        if json_output:
            print_json({"shops": [r.as_json() for r in reports]})
        if any(r.errors for r in reports):
            raise typer.Exit(3)


def sync_connected(ctx: Any, names: list[str], *, full: bool, quiet: bool) -> list[Any]:
    """Sync the connected shops (those named), printing a line per shop unless quiet."""
    from lanjie.cli.common import Activity
    from lanjie.platform.access import client_from, server_secret
    from lanjie.platform.connections import connected_shop, connected_shops
    from lanjie.platform.sync import sync_shop

    settings, lang, ledger = ctx.settings, ctx.lang, ctx.ledger()
    with ledger.connect() as conn:
        found = [connected_shop(conn, n) for n in names] if names else connected_shops(conn)
    if not found:
        from lanjie.errors import BadInput

        raise BadInput("no_connected_shops_to_sync")
    reports = []
    with client_from(settings) as client, Activity(lang) as activity:
        for shop in found:
            report = sync_shop(
                ledger,
                client,
                shop,
                settings=settings,
                secret=server_secret(settings),
                now=ctx.now,
                full=full,
                progress=lambda name, n: activity.stage(t("sync_fetching", lang, shop=name, n=n)),
            )
            reports.append(report)
            if not quiet:
                _say_synced(report, lang)
    return reports


def _say_synced(report: Any, lang: Lang) -> None:
    out = console(stderr=False)
    if report.errors:
        for error in report.errors:
            console(stderr=True).print(t("sync_failed", lang, shop=report.shop, error=error), style="red", markup=False)
        return
    out.print(
        t(
            "sync_done",
            lang,
            shop=report.shop,
            fetched=report.fetched,
            new=report.new,
            updated=report.updated,
            unchanged=report.unchanged,
        ),
        style="green",
        markup=False,
    )


def _confirm(question: str, yes: bool, lang: Lang) -> None:
    """Go on only when the user said so (--yes, or y at the prompt); without a terminal, --yes is required."""
    if yes:
        return
    from lanjie.errors import BadInput

    if not sys.stdin.isatty():
        raise BadInput("needs_yes")
    if not typer.confirm(question, default=False):
        console().print(t("cancelled", lang), markup=False)
        raise typer.Exit(1)


def _connected_by_id(ctx: Any) -> dict[int, Any]:
    from lanjie.platform.connections import connected_shops

    with ctx.ledger().connect() as conn:
        return {s.shop_id: s for s in connected_shops(conn)}


def push_pending_remarks(ctx: Any, refs: list[Any], *, yes: bool, json_output: bool) -> None:
    """`lanjie remarks --push`: write the due remarks and flags into 抖店."""
    from lanjie.platform.access import client_from, server_secret
    from lanjie.platform.remarks_out import push_remarks

    settings, lang = ctx.settings, ctx.lang
    out = console(stderr=json_output)  # the JSON answer alone on stdout
    if not refs:
        out.print(t("remarks_none", lang), markup=False)
        return
    shops = _connected_by_id(ctx)
    for ref in refs:
        out.print(f"  {ref.order_key}  {ref.flag}旗  {ref.text}", markup=False, highlight=False)
    _confirm(t("push_remarks_ask", lang, n=len(refs)), yes, lang)
    with client_from(settings) as client:
        report = push_remarks(
            ctx.ledger(),
            client,
            refs,
            shops=shops,
            secret=server_secret(settings),
            operator=settings.operator_name,
            now=ctx.now,
        )
    if json_output:
        print_json(
            {
                "written": [r.order_key for r in report.written],
                "busy": [r.order_key for r in report.busy],
                "failed": [{"order_key": r.order_key, "reason": why} for r, why in report.failed],
                "skipped": [{"order_key": r.order_key, "reason": why.render(lang)} for r, why in report.skipped],
            }
        )
    else:
        out.print(t("push_remarks_done", lang, n=len(report.written)), style="green", markup=False)
        for ref in report.busy:
            out.print(t("push_remark_busy", lang, order=ref.order_key), style="yellow", markup=False)
        for ref, why in report.failed:
            out.print(t("push_remark_failed", lang, order=ref.order_key, reason=why), style="red", markup=False)
        for ref, reason in report.skipped:
            out.print(t("push_remark_skipped", lang, order=ref.order_key, reason=reason), style="yellow", markup=False)
    if report.failed:
        raise typer.Exit(3)


@app.command(cls=Command)
def intercept(
    platform: Annotated[
        bool, typer.Option("--platform", help="用抖店平台的拦截（afterSale/applyLogisticsIntercept，会产生费用）")
    ] = False,
    kuaidi100: Annotated[
        bool,
        typer.Option(
            "--kuaidi100", help="通过快递100向快递公司申请拦截（interceptOrder，按次收费，结果回调到 lanjie serve）"
        ),
    ] = False,
    courier: Annotated[
        list[str] | None, typer.Option("--courier", "-c", help="只拦截这个快递的包裹（如 中通，可给多次）")
    ] = None,
    all_couriers: Annotated[bool, typer.Option("--all", help="所有快递的待拦截包裹")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="不再询问，直接申请")] = False,
    json_output: JsonOutput = False,
    shops: ShopFilter = None,
    db: Db = None,
    operator: Operator = None,
    now: Now = None,
    config: Config = None,
    lang: LangOption = None,
) -> None:
    """申请拦截待拦截清单里的包裹（--platform：抖店平台拦截；--kuaidi100：通过快递100）。成功的记为已发拦截，不再进群消息。"""
    with command(locals()) as ctx:
        from lanjie.couriers import courier_name, known_couriers, parse_partners
        from lanjie.errors import BadInput
        from lanjie.i18n import Listing
        from lanjie.ledger.worklist import listed_refs, resolve_shops
        from lanjie.model import Bucket
        from lanjie.pipeline import analyse_ledger
        from lanjie.platform.access import client_from, server_secret
        from lanjie.platform.intercepts import intercept_on_platform

        settings, lang, ledger = ctx.settings, ctx.lang, ctx.ledger()
        if platform == kuaidi100:
            raise BadInput("intercept_one_way")
        if bool(courier) == all_couriers:
            raise BadInput("intercept_which")
        wanted: frozenset[str] | None = None
        if courier:
            wanted, unknown = parse_partners(courier)
            if unknown:
                raise BadInput("unknown_partners", names=Listing(unknown), known=known_couriers())
        if kuaidi100:  # a setting missing is said before anything is listed or asked
            from lanjie.delivery.kuaidi100_intercept import callback_url, intercept_client

            callback_url(settings)
            intercept_client(settings).close()
        ids = resolve_shops(ledger, shops or [])
        analysis = analyse_ledger(ledger, settings=settings, now=ctx.now, shops=shops or [])
        refs = listed_refs(analysis, ids, Bucket.INTERCEPT, wanted)
        out = console(stderr=json_output)  # the JSON answer alone on stdout
        if not refs:
            out.print(t("intercept_nothing", lang), markup=False)
            return
        for ref in refs:
            out.print(
                f"  {courier_name(ref.courier)}  {ref.tracking_no}  售后单 {ref.aftersale_id}",
                markup=False,
                highlight=False,
            )
        if kuaidi100:
            _intercept_with_kuaidi100(ctx, refs, yes=yes, json_output=json_output)
            return
        _confirm(t("intercept_ask", lang, n=len(refs)), yes, lang)
        with client_from(settings) as client:
            report = intercept_on_platform(
                ledger,
                client,
                refs,
                shops=_connected_by_id(ctx),
                secret=server_secret(settings),
                operator=settings.operator_name,
                now=ctx.now,
            )
        if json_output:
            print_json(
                {
                    "requested": [{"tracking_no": r.tracking_no, "cost_fen": cost} for r, cost in report.requested],
                    "refused": [{"tracking_no": r.tracking_no, "reason": why} for r, why in report.refused],
                    "already": [
                        {"tracking_no": e.parcel.tracking_no, "by": e.by, "at": e.at.isoformat()}
                        for e in report.already
                    ],
                    "busy": [r.tracking_no for r in report.busy],
                    "skipped": [r.tracking_no for r in report.skipped],
                }
            )
            return
        cost = sum(c for _, c in report.requested) / 100
        out.print(t("intercept_done", lang, n=len(report.requested), cost=f"{cost:.2f}"), style="green", markup=False)
        for ref, why in report.refused:
            out.print(t("intercept_refused", lang, number=ref.tracking_no, reason=why), style="yellow", markup=False)
        for earlier in report.already:
            out.print(
                t("sent_already", lang, number=earlier.parcel.tracking_no, by=earlier.by, at=_time(earlier.at)),
                style="yellow",
                markup=False,
            )
        for ref in report.busy:
            out.print(t("intercept_busy", lang, number=ref.tracking_no), style="yellow", markup=False)
        for ref in report.skipped:
            out.print(t("intercept_skipped", lang, number=ref.tracking_no), style="yellow", markup=False)


def _intercept_with_kuaidi100(ctx: Any, refs: list[Any], *, yes: bool, json_output: bool) -> None:
    """`lanjie intercept --kuaidi100`: ask 快递100 for each listed parcel, after the user said so."""
    from lanjie.delivery.kuaidi100_intercept import (
        callback_salt,
        callback_url,
        intercept_client,
        intercept_with_kuaidi100,
    )
    from lanjie.errors import BadInput

    settings, lang = ctx.settings, ctx.lang
    out = console(stderr=json_output)
    if not yes and not sys.stdin.isatty():
        raise BadInput("kuaidi100_needs_yes")  # 快递100, not 抖店: _confirm's own message would say 抖店
    _confirm(t("kuaidi100_intercept_ask", lang, n=len(refs)), yes, lang)
    with intercept_client(settings) as client:
        report = intercept_with_kuaidi100(
            ctx.ledger(),
            client,
            refs,
            callback_url=callback_url(settings),
            salt=callback_salt(settings),
            operator=settings.operator_name,
            now=ctx.now,
        )
    stopped = report.stopped.explain(lang) if report.stopped is not None else None
    if json_output:
        print_json(
            {
                "requested": [
                    {"tracking_no": r.tracking_no, "task_id": receipt.task_id} for r, receipt in report.requested
                ],
                "refused": [{"tracking_no": r.tracking_no, "reason": why} for r, why in report.refused],
                "already": [
                    {"tracking_no": e.parcel.tracking_no, "by": e.by, "at": e.at.isoformat()} for e in report.already
                ],
                "busy": [r.tracking_no for r in report.busy],
                "uncertain": [r.tracking_no for r in report.uncertain],
                "skipped": [r.tracking_no for r in report.skipped],
                "not_asked": [r.tracking_no for r in report.not_asked],
                "stopped": stopped,
            }
        )
    else:
        out.print(t("kuaidi100_intercept_done", lang, n=len(report.requested)), style="green", markup=False)
        for ref, why in report.refused:
            out.print(
                t("kuaidi100_refused_one", lang, number=ref.tracking_no, reason=why), style="yellow", markup=False
            )
        for earlier in report.already:
            out.print(
                t("sent_already", lang, number=earlier.parcel.tracking_no, by=earlier.by, at=_time(earlier.at)),
                style="yellow",
                markup=False,
            )
        for ref in report.busy:
            out.print(t("intercept_busy", lang, number=ref.tracking_no), style="yellow", markup=False)
        for ref in report.skipped:
            out.print(t("kuaidi100_skipped_one", lang, number=ref.tracking_no), style="yellow", markup=False)
        for ref in report.uncertain:
            out.print(t("kuaidi100_uncertain_one", lang, number=ref.tracking_no), style="red", markup=False)
        if stopped is not None:
            out.print(t("kuaidi100_stopped", lang, n=len(report.not_asked), reason=stopped), style="red", markup=False)
    if report.stopped is not None:
        raise typer.Exit(3)


AGREEABLE = ("returned", "not_shipped", "returning")


@app.command(cls=Command)
def agree(
    bucket: Annotated[
        str,
        typer.Option(
            "--bucket", help="同意哪一类的退款：returned（已退回）、not_shipped（未发货）、returning（退回中）"
        ),
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="不再询问，直接同意")] = False,
    json_output: JsonOutput = False,
    shops: ShopFilter = None,
    db: Db = None,
    operator: Operator = None,
    now: Now = None,
    config: Config = None,
    lang: LangOption = None,
) -> None:
    """通过抖店开放平台同意退款（仅退款，type 201），一单一单地提交；包裹还在路上的绝不同意。"""
    with command(locals()) as ctx:
        from lanjie.errors import BadInput
        from lanjie.i18n import Listing
        from lanjie.model import Bucket
        from lanjie.pipeline import analyse_ledger
        from lanjie.platform.access import client_from, server_secret
        from lanjie.platform.connections import connected_shops
        from lanjie.platform.refunds import agree_refunds

        settings, lang, ledger = ctx.settings, ctx.lang, ctx.ledger()
        if bucket not in AGREEABLE:
            raise BadInput("agree_bucket", value=bucket, known=Listing(AGREEABLE))
        analysis = analyse_ledger(ledger, settings=settings, now=ctx.now, shops=shops or [])
        records = [d.aftersale for d in analysis.decisions if d.bucket is Bucket(bucket)]
        out = console(stderr=json_output)  # the JSON answer alone on stdout
        if not records:
            out.print(t("agree_nothing", lang), markup=False)
            return
        for record in records:
            amount = "" if record.refund_amount is None else f"¥{record.refund_amount}"
            out.print(
                f"  {record.shop}  售后单 {record.aftersale_id}  {amount}  {record.product}",
                markup=False,
                highlight=False,
            )
        _confirm(t("agree_ask", lang, n=len(records)), yes, lang)
        with ledger.connect() as conn:
            shop_map = {s.name: s for s in connected_shops(conn)}
        with client_from(settings) as client:
            report = agree_refunds(
                ledger,
                client,
                records,
                shops=shop_map,
                settings=settings,
                secret=server_secret(settings),
                operator=settings.operator_name,
                now=ctx.now,
            )
        if json_output:
            print_json(
                {
                    "agreed": [r.aftersale_id for r in report.agreed],
                    "refused": [{"aftersale_id": r.aftersale_id, "reason": why} for r, why in report.refused],
                    "skipped": [
                        {"aftersale_id": r.aftersale_id, "reason": why.render(lang)} for r, why in report.skipped
                    ],
                }
            )
        else:
            out.print(t("agree_done", lang, n=len(report.agreed)), style="green", markup=False)
            for record, why in report.refused:
                out.print(t("agree_refused", lang, id=record.aftersale_id, reason=why), style="red", markup=False)
            for record, reason in report.skipped:
                out.print(t("agree_skipped", lang, id=record.aftersale_id, reason=reason), style="yellow", markup=False)
        if report.refused:
            raise typer.Exit(3)
