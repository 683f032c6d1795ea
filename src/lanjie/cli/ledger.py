"""Ledger commands: record what was sent and written, read history and statistics, manage the database.

The database layer is imported inside each command, so `lanjie --help` and the file-reading
commands start without it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text as RichText

from lanjie.cli.common import (
    ChaseHours,
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
from lanjie.couriers import courier_name, known_couriers, parse_partners
from lanjie.errors import BadInput
from lanjie.i18n import Lang, Listing, t
from lanjie.ingest.identifiers import split_tracking
from lanjie.model import SHANGHAI, Bucket

if TYPE_CHECKING:
    from lanjie.remarks import Remark


def _time(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%m-%d %H:%M")


@app.command(cls=Command)
def sent(
    courier: Annotated[
        list[str] | None, typer.Option("--courier", "-c", help="发给了哪个快递的群（如 zhongtong 或 中通，可给多次）")
    ] = None,
    tracking_no: Annotated[
        list[str] | None, typer.Option("--tracking-no", "-t", help="只记录这些单号（可给多次，或用逗号分开）")
    ] = None,
    all_couriers: Annotated[bool, typer.Option("--all", help="所有快递的待拦截清单都已发送")] = False,
    chase: Annotated[bool, typer.Option("--chase", help="记录的是「催拦截」消息，而不是第一次拦截")] = False,
    shops: ShopFilter = None,
    db: Db = None,
    operator: Operator = None,
    now: Now = None,
    chase_hours: ChaseHours = None,
    config: Config = None,
    lang: LangOption = None,
) -> None:
    """记录拦截清单已发到快递群（下次不再列出）。

    每个包裹只记一次：谁、什么时候；别人已经发过的会告诉你是谁、何时发的。
    """
    with command(locals()) as ctx:
        from lanjie.ledger.actions import record_chased, record_sent
        from lanjie.ledger.worklist import listed_refs, refs_by_number, resolve_shops
        from lanjie.pipeline import analyse_ledger

        settings, lang = ctx.settings, ctx.lang
        if sum((bool(courier), bool(tracking_no), all_couriers)) != 1:
            raise BadInput("sent_what")
        wanted: frozenset[str] | None = None
        if courier:
            wanted, unknown = parse_partners(courier)
            if unknown:
                raise BadInput("unknown_partners", names=Listing(unknown), known=known_couriers())
        ledger = ctx.ledger()
        ids = resolve_shops(ledger, shops or [])
        out = console()
        if tracking_no:
            refs = refs_by_number(ledger, ids, tracking_no)
        else:
            analysis = analyse_ledger(ledger, settings=settings, now=ctx.now, shops=shops or [])
            refs = listed_refs(analysis, ids, Bucket.CHASE if chase else Bucket.INTERCEPT, wanted)
            unsure = sum(len(g.parcels) for g in analysis.groups(Bucket.INTERCEPT) if g.courier is None)
            if all_couriers and unsure and not chase:
                out.print(t("sent_skipped_unknown", lang, n=unsure), style="yellow")
        names = t("list_separator", lang).join(courier_name(c) for c in sorted(wanted or ()))
        names = names or t("all_couriers", lang)
        if not refs:
            what = t("sent_what_chase", lang) if chase else t("sent_what_intercept", lang)
            out.print(t("sent_nothing", lang, couriers=names, what=what), markup=False)
            return
        operator_name = settings.operator_name
        if chase:
            count = record_chased(ledger, refs, operator=operator_name, now=ctx.now)
            out.print(t("chased", lang, n=count, operator=operator_name, at=_time(ctx.now)), markup=False)
            return
        report = record_sent(ledger, refs, operator=operator_name, now=ctx.now)
        if report.recorded:
            out.print(
                t(
                    "sent_recorded",
                    lang,
                    n=len(report.recorded),
                    couriers=names,
                    operator=operator_name,
                    at=_time(ctx.now),
                ),
                style="green",
                markup=False,
            )
        for earlier in report.already:
            out.print(
                t("sent_already", lang, number=earlier.parcel.tracking_no, by=earlier.by, at=_time(earlier.at)),
                style="yellow",
                markup=False,
            )


@app.command(cls=Command)
def remarks(
    done: Annotated[bool, typer.Option("--done", help="把列出的备注记为已写（可配合 --order 只记其中几单）")] = False,
    order: Annotated[list[str] | None, typer.Option("--order", help="只看/只记这些订单号（可给多次）")] = None,
    push: Annotated[bool, typer.Option("--push", help="通过抖店开放平台直接写进抖店（备注和旗帜）")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="不再询问，直接写入")] = False,
    json_output: JsonOutput = False,
    shops: ShopFilter = None,
    db: Db = None,
    operator: Operator = None,
    now: Now = None,
    config: Config = None,
    lang: LangOption = None,
) -> None:
    """列出要写的备注和旗帜；写完用 --done 记下。

    已经写过的备注不会再列出。
    """
    with command(locals()) as ctx:
        from lanjie.ledger.actions import record_remarks
        from lanjie.ledger.worklist import pending_remarks, remark_refs, resolve_shops
        from lanjie.pipeline import analyse_ledger

        settings, lang, ledger = ctx.settings, ctx.lang, ctx.ledger()
        ids = resolve_shops(ledger, shops or [])
        analysis = analyse_ledger(ledger, settings=settings, now=ctx.now, shops=shops or [])
        pending = pending_remarks(ledger, analysis, ids)
        if order:
            wanted = set(order)
            pending = [r for r in pending if r.order_key in wanted or r.order_id in wanted]
        if push:
            from lanjie.cli.platform import push_pending_remarks

            push_pending_remarks(ctx, remark_refs(pending, ids), yes=yes, json_output=json_output)
            return
        if done:
            count = record_remarks(ledger, remark_refs(pending, ids), operator=settings.operator_name, now=ctx.now)
            message = t("remarks_done", lang, n=count, operator=settings.operator_name)
            console().print(message, style="green", markup=False)
            return
        if json_output:
            print_json(
                {
                    "remarks": [
                        {
                            "shop": r.shop,
                            "order_id": r.order_id,
                            "order_key": r.order_key,
                            "aftersale_ids": r.aftersale_ids,
                            "bucket": r.bucket.value,
                            "flag": r.flag,
                            "text": r.text,
                        }
                        for r in pending
                    ]
                }
            )
            return
        _print_remarks(pending, lang)


def _table(title: str, columns: dict[str, dict[str, Any]]) -> Table:
    """A table titled and headed in the user's language: `columns` are the heading texts and their options."""
    table = Table(title=RichText(title), title_justify="left")
    for heading, options in columns.items():
        table.add_column(RichText(heading), **options)
    return table


def _print_remarks(pending: list[Remark], lang: Lang) -> None:
    out = console()
    if not pending:
        out.print(t("remarks_none", lang))
        return
    numbers = {"no_wrap": True, "overflow": "fold"}
    table = _table(
        t("remarks_title", lang, n=len(pending)),
        {
            t("col_shop", lang): {"overflow": "fold"},
            t("col_order_id", lang): numbers,
            t("col_flag", lang): {"overflow": "fold"},
            t("col_remark", lang): {"overflow": "fold"},
            t("aftersale_id", lang): numbers,
        },
    )
    for r in pending:
        ids = t("list_separator", lang).join(r.aftersale_ids)
        table.add_row(*map(RichText, (r.shop, r.order_key, r.flag, r.text, ids)))
    out.print(table)


@app.command(cls=Command)
def history(
    key: Annotated[str, typer.Argument(help="售后单号、订单号或快递单号", show_default=False)],
    json_output: JsonOutput = False,
    shops: ShopFilter = None,
    db: Db = None,
    config: Config = None,
    lang: LangOption = None,
) -> None:
    """一个售后单、订单或快递单号的全部经过。

    导入、状态变化、拦截、备注：谁在什么时候做的。
    """
    with command(locals()) as ctx:
        from lanjie.ledger.queries import history as load_history
        from lanjie.ledger.worklist import resolve_shops

        lang, ledger = ctx.lang, ctx.ledger()
        ids = resolve_shops(ledger, shops or [])
        cleaned = split_tracking(key)[0]
        lookup = cleaned[0] if len(cleaned) == 1 else key.strip()
        with ledger.connect() as conn:
            found = load_history(conn, lookup, list(ids.values()) if shops else None)
        if not found.aftersales and not found.events:
            raise BadInput("history_not_found", what=key)
        if json_output:
            print_json(found.document())
            return
        out = console()
        for item in found.aftersales:
            head = t("history_aftersale", lang, shop=item["shop"], aftersale_id=item["aftersale_id"])
            details = t(
                "history_details",
                lang,
                order_id=item["order_id"] or "—",
                tracking_nos=t("list_separator", lang).join(item["tracking_nos"]) or "—",
                state=item["state"],
                logistics=item["logistics"] or t("no_logistics_state", lang),
            )
            out.print(RichText.assemble((head, "bold"), "  ", details))
        table = _table(
            t("history_title", lang, what=key),
            {
                t(column, lang): {"overflow": "fold"}
                for column in ("col_time", "col_operator", "col_event", "aftersale_id", "col_tracking_no", "col_change")
            },
        )
        for e in found.events:
            change = f"{e.before} → {e.after}" if e.before else (e.after or "")
            event = t(f"event_{e.kind.value}", lang)
            table.add_row(
                *map(
                    RichText,
                    (
                        e.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
                        e.operator,
                        event,
                        e.aftersale_id or "",
                        e.tracking_no or "",
                        change,
                    ),
                )
            )
        out.print(table)


@app.command(cls=Command)
def stats(
    days: Annotated[int, typer.Option("--days", help="统计最近多少天", min=1, max=366)] = 14,
    json_output: JsonOutput = False,
    shops: ShopFilter = None,
    db: Db = None,
    now: Now = None,
    config: Config = None,
    lang: LangOption = None,
) -> None:
    """团队统计：各快递拦截成败、拒绝数、每天的工作量。

    每个快递的拦截数、成功、失败、待定和退回所需小时数（中位数），记录到的拒绝数，每天各分类的数量。
    """
    with command(locals()) as ctx:
        from lanjie.ledger.queries import stats as load_stats
        from lanjie.ledger.worklist import resolve_shops

        lang, ledger = ctx.lang, ctx.ledger()
        ids = resolve_shops(ledger, shops or [])
        with ledger.connect() as conn:
            result = load_stats(conn, shop_ids=list(ids.values()) if shops else None, now=ctx.now, days=days)
        if json_output:
            print_json(result.document(now=ctx.now, shops=sorted(ids) if shops else None))
            return
        out = console()
        right = {"justify": "right"}
        table = _table(
            t("stats_title", lang, days=days),
            {
                t("courier", lang): {"justify": "left"},
                t("col_requests", lang): right,
                t("col_succeeded", lang): right,
                t("col_failed", lang): right,
                t("col_pending", lang): right,
                t("col_median_hours", lang): right,
            },
        )
        for c in result.couriers:
            median = c.median_hours_to_return
            table.add_row(
                courier_name(c.courier) if c.courier else t("courier_unknown", lang),
                str(c.requests),
                str(c.success),
                str(c.failed),
                str(c.pending),
                "—" if median is None else f"{median:.1f}",
            )
        out.print(table)
        out.print(t("stats_rejections", lang, n=result.rejections))
        if result.days:
            shown = [b for b in Bucket if any(counts.get(b.value) for _, counts in result.days)]
            per_day = _table(
                t("stats_per_day_title", lang),
                {
                    t("col_date", lang): {},
                    **{t(f"bucket_label_{bucket.value}", lang): right for bucket in shown},
                },
            )
            for day, counts in result.days:
                per_day.add_row(day.isoformat(), *(str(counts.get(b.value, 0)) for b in shown))
            out.print(per_day)


db_app = new_app(help="台账数据库：升级结构、查看信息。")
app.add_typer(db_app, name="db")


@db_app.command("upgrade", cls=Command)
def db_upgrade(db: Db = None, config: Config = None, lang: LangOption = None) -> None:
    """把台账数据库升级到最新结构（平时第一次使用时会自动升级）。"""
    with command(locals()) as ctx:
        from lanjie.ledger.database import upgrade_ledger

        where, before, after = upgrade_ledger(ctx.settings.database_url or None)
        lang = ctx.lang
        console().print(t("db_upgraded", lang, url=where, before=before or t("empty", lang), after=after), markup=False)


@db_app.command("info", cls=Command)
def db_info(db: Db = None, json_output: JsonOutput = False, config: Config = None, lang: LangOption = None) -> None:
    """台账在哪里、结构版本、每张表有多少行。"""
    with command(locals()) as ctx:
        from lanjie.ledger.database import ledger_info

        info = ledger_info(ctx.ledger())
        lang = ctx.lang
        if json_output:
            print_json(
                {
                    "url": info.url,
                    "backend": info.backend,
                    "revision": info.revision,
                    "head": info.head,
                    "counts": info.counts,
                    "size_bytes": info.size_bytes,
                }
            )
            return
        out = console()
        out.print(t("db_location", lang, url=info.url, backend=info.backend), markup=False)
        out.print(t("db_revision", lang, revision=info.revision, head=info.head), markup=False)
        if info.size_bytes is not None:
            out.print(t("db_size", lang, kb=info.size_bytes / 1024), markup=False)
        for table_name, count in info.counts.items():
            out.print(f"  {table_name}: {count}", markup=False)
