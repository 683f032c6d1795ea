"""Ledger commands: record what was sent and written, read history and statistics, manage the database.

The database layer is imported inside each command, so `lanjie --help` and the file-reading
commands start without it.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer
from rich.table import Table

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
    choose_lang,
    console,
    friendly_errors,
    new_app,
    open_ledger_for,
    parse_now,
    settings_from,
)
from lanjie.couriers import courier_name, known_couriers, parse_partners
from lanjie.errors import BadInput
from lanjie.i18n import t
from lanjie.ingest.clean import SHANGHAI
from lanjie.ingest.identifiers import split_tracking
from lanjie.model import BUCKET_LABELS, Bucket

if TYPE_CHECKING:
    from lanjie.outputs.remarks import Remark


def _time(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%m-%d %H:%M")


def _print_json(document: dict[str, Any]) -> None:
    sys.stdout.buffer.write(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    sys.stdout.flush()


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
    shop: ShopFilter = None,
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
    chosen = choose_lang(lang)
    with friendly_errors(chosen):
        from lanjie.ledger.actions import record_chased, record_sent
        from lanjie.ledger.worklist import listed_refs, refs_by_number, resolve_shops
        from lanjie.pipeline import analyse_ledger

        if sum((bool(courier), bool(tracking_no), all_couriers)) != 1:
            raise BadInput("sent_what")
        settings = settings_from(config, chosen, operator=operator, chase_hours=chase_hours)
        moment = parse_now(now)
        wanted: frozenset[str] | None = None
        if courier:
            wanted, unknown = parse_partners(courier)
            if unknown:
                raise BadInput("unknown_partners", names="、".join(unknown), known=known_couriers())
        ledger = open_ledger_for(db, settings)
        ids = resolve_shops(ledger, shop or [])
        out = console()
        if tracking_no:
            refs = refs_by_number(ledger, ids, tracking_no)
        else:
            analysis = analyse_ledger(ledger, settings=settings, now=moment, shops=shop or [])
            refs = listed_refs(analysis, ids, Bucket.CHASE if chase else Bucket.INTERCEPT, wanted)
            unsure = sum(len(g.parcels) for g in analysis.groups(Bucket.INTERCEPT) if g.courier is None)
            if all_couriers and unsure and not chase:
                out.print(t("sent_skipped_unknown", chosen, n=unsure), style="yellow")
        names = "、".join(courier_name(c) for c in sorted(wanted)) if wanted else t("all_couriers", chosen)
        if not refs:
            out.print(t("sent_nothing", chosen, couriers=names, what="催拦截" if chase else "待拦截"))
            return
        operator_name = settings.operator_name
        if chase:
            count = record_chased(ledger, refs, operator=operator_name, now=moment)
            out.print(t("chased", chosen, n=count, operator=operator_name, at=_time(moment)))
            return
        report = record_sent(ledger, refs, operator=operator_name, now=moment)
        if report.recorded:
            out.print(
                t(
                    "sent_recorded",
                    chosen,
                    n=len(report.recorded),
                    couriers=names,
                    operator=operator_name,
                    at=_time(moment),
                ),
                style="green",
            )
        for earlier in report.already:
            out.print(
                t("sent_already", chosen, number=earlier.parcel.tracking_no, by=earlier.by, at=_time(earlier.at)),
                style="yellow",
            )


@app.command(cls=Command)
def remarks(
    done: Annotated[bool, typer.Option("--done", help="把列出的备注记为已写（可配合 --order 只记其中几单）")] = False,
    order: Annotated[list[str] | None, typer.Option("--order", help="只看/只记这些订单号（可给多次）")] = None,
    json_output: JsonOutput = False,
    shop: ShopFilter = None,
    db: Db = None,
    operator: Operator = None,
    now: Now = None,
    config: Config = None,
    lang: LangOption = None,
) -> None:
    """列出要写的备注和旗帜；写完用 --done 记下。

    已经写过的备注不会再列出。
    """
    chosen = choose_lang(lang)
    with friendly_errors(chosen):
        from lanjie.ledger.actions import record_remarks
        from lanjie.ledger.worklist import pending_remarks, remark_refs, resolve_shops
        from lanjie.pipeline import analyse_ledger

        settings = settings_from(config, chosen, operator=operator)
        moment = parse_now(now)
        ledger = open_ledger_for(db, settings)
        ids = resolve_shops(ledger, shop or [])
        analysis = analyse_ledger(ledger, settings=settings, now=moment, shops=shop or [])
        pending = pending_remarks(ledger, analysis, ids)
        if order:
            wanted = set(order)
            pending = [r for r in pending if r.order_key in wanted or r.order_id in wanted]
        if done:
            count = record_remarks(ledger, remark_refs(pending, ids), operator=settings.operator_name, now=moment)
            console().print(t("remarks_done", chosen, n=count, operator=settings.operator_name), style="green")
            return
        if json_output:
            _print_json(
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
        _print_remarks(pending, chosen == "en")


def _print_remarks(pending: list[Remark], english: bool) -> None:
    out = console()
    if not pending:
        out.print("No remarks to write." if english else "没有要写的备注。")
        return
    table = Table(title=f"要写的备注（{len(pending)} 个订单）", title_justify="left")
    for title in ("店铺", "订单号", "旗帜", "备注", "售后单号"):
        table.add_column(title, no_wrap=title in ("订单号", "售后单号"), overflow="fold")
    for r in pending:
        table.add_row(r.shop, r.order_key, r.flag, r.text, "、".join(r.aftersale_ids))
    out.print(table)


@app.command(cls=Command)
def history(
    key: Annotated[str, typer.Argument(help="售后单号、订单号或快递单号", show_default=False)],
    json_output: JsonOutput = False,
    shop: ShopFilter = None,
    db: Db = None,
    config: Config = None,
    lang: LangOption = None,
) -> None:
    """一个售后单、订单或快递单号的全部经过。

    导入、状态变化、拦截、备注：谁在什么时候做的。
    """
    chosen = choose_lang(lang)
    with friendly_errors(chosen):
        from lanjie.ledger.queries import history as load_history
        from lanjie.ledger.worklist import resolve_shops

        settings = settings_from(config, chosen)
        ledger = open_ledger_for(db, settings)
        ids = resolve_shops(ledger, shop or [])
        cleaned = split_tracking(key)[0]
        lookup = cleaned[0] if len(cleaned) == 1 else key.strip()
        with ledger.connect() as conn:
            found = load_history(conn, lookup, list(ids.values()) if shop else None)
        if not found.aftersales and not found.events:
            raise BadInput("history_not_found", what=key)
        if json_output:
            _print_json(found.document())
            return
        out = console()
        for item in found.aftersales:
            out.print(
                f"[bold]{item['shop']} 售后单 {item['aftersale_id']}[/bold]  订单 {item['order_id'] or '—'}  "
                f"单号 {'、'.join(item['tracking_nos']) or '—'}  "
                f"{item['state']} / {item['logistics'] or '无物流状态'}"
            )
        table = Table(title=t("history_title", chosen, what=key), title_justify="left")
        for title in ("时间", "操作人", "事件", "售后单号", "快递单号", "内容"):
            table.add_column(title, overflow="fold")
        for e in found.events:
            change = f"{e.before} → {e.after}" if e.before else (e.after or "")
            table.add_row(
                e.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
                e.operator,
                e.label,
                e.aftersale_id or "",
                e.tracking_no or "",
                change,
            )
        out.print(table)


@app.command(cls=Command)
def stats(
    days: Annotated[int, typer.Option("--days", help="统计最近多少天", min=1, max=366)] = 14,
    json_output: JsonOutput = False,
    shop: ShopFilter = None,
    db: Db = None,
    now: Now = None,
    config: Config = None,
    lang: LangOption = None,
) -> None:
    """团队统计：各快递拦截成败、拒绝数、每天的工作量。

    每个快递的拦截数、成功、失败、待定和退回所需小时数（中位数），记录到的拒绝数，每天各分类的数量。
    """
    chosen = choose_lang(lang)
    with friendly_errors(chosen):
        from lanjie.ledger.queries import stats as load_stats
        from lanjie.ledger.worklist import resolve_shops

        settings = settings_from(config, chosen)
        moment = parse_now(now)
        ledger = open_ledger_for(db, settings)
        ids = resolve_shops(ledger, shop or [])
        with ledger.connect() as conn:
            result = load_stats(conn, shop_ids=list(ids.values()) if shop else None, now=moment, days=days)
        if json_output:
            _print_json(result.document(now=moment, shops=sorted(ids) if shop else None))
            return
        out = console()
        table = Table(title=t("stats_title", chosen, days=days), title_justify="left")
        for title in ("快递", "发出拦截", "成功", "失败", "待定", "退回中位小时"):
            table.add_column(title, justify="left" if title == "快递" else "right")
        for c in result.couriers:
            median = c.median_hours_to_return
            table.add_row(
                courier_name(c.courier),
                str(c.requests),
                str(c.success),
                str(c.failed),
                str(c.pending),
                "—" if median is None else f"{median:.1f}",
            )
        out.print(table)
        out.print(t("stats_rejections", chosen, n=result.rejections))
        if result.days:
            per_day = Table(title="每天的工作量（当天最后一次导入后）", title_justify="left")
            per_day.add_column("日期")
            shown = [b for b in Bucket if any(counts.get(b.value) for _, counts in result.days)]
            for bucket in shown:
                per_day.add_column(bucket.value if chosen == "en" else BUCKET_LABELS[bucket], justify="right")
            for day, counts in result.days:
                per_day.add_row(day.isoformat(), *(str(counts.get(b.value, 0)) for b in shown))
            out.print(per_day)


db_app = new_app(help="台账数据库：升级结构、查看信息。")
app.add_typer(db_app, name="db")


@db_app.command("upgrade", cls=Command)
def db_upgrade(db: Db = None, config: Config = None, lang: LangOption = None) -> None:
    """把台账数据库升级到最新结构（平时第一次使用时会自动升级）。"""
    chosen = choose_lang(lang)
    with friendly_errors(chosen):
        from lanjie.ledger.database import upgrade_ledger

        settings = settings_from(config, chosen)
        where, before, after = upgrade_ledger(db or settings.database_url or None)
        console().print(t("db_upgraded", chosen, url=where, before=before or "（空）", after=after))


@db_app.command("info", cls=Command)
def db_info(db: Db = None, json_output: JsonOutput = False, config: Config = None, lang: LangOption = None) -> None:
    """台账在哪里、结构版本、每张表有多少行。"""
    chosen = choose_lang(lang)
    with friendly_errors(chosen):
        from lanjie.ledger.database import ledger_info

        settings = settings_from(config, chosen)
        info = ledger_info(open_ledger_for(db, settings))
        if json_output:
            _print_json(
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
        out.print(f"台账：{info.url}（{info.backend}）")
        out.print(f"结构版本：{info.revision}（最新 {info.head}）")
        if info.size_bytes is not None:
            out.print(f"文件大小：{info.size_bytes / 1024:.0f} KB")
        for table_name, count in info.counts.items():
            out.print(f"  {table_name}: {count}")
