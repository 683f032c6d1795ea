"""Ledger commands: record what was sent and written, read history and statistics, manage the database."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table
from sqlalchemy import Engine, select

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
from lanjie.config import Settings
from lanjie.couriers import courier_name, parse_partners
from lanjie.errors import BadInput
from lanjie.i18n import t
from lanjie.ingest.clean import SHANGHAI, split_tracking
from lanjie.ledger.actions import ParcelRef, RemarkRef, record_chased, record_remarks, record_sent, written_remarks
from lanjie.ledger.records import shop_ids
from lanjie.ledger.schema import aftersale_parcels, aftersales, parcels
from lanjie.model import BUCKET_LABELS, Bucket
from lanjie.outputs.remarks import STATUS_WORDS, Remark
from lanjie.pipeline import Analysis, analyse_ledger


def _shop_ids(ledger: Engine, shops: list[str]) -> dict[str, int]:
    with ledger.connect() as conn:
        found = shop_ids(conn, shops)
        if shops and set(shops) - found.keys():
            known = "、".join(shop_ids(conn, ())) or "（还没有）"
            raise BadInput("unknown_shop", shops="、".join(sorted(set(shops) - found.keys())), known=known)
    return found


def _time(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%m-%d %H:%M")


def _refs(analysis: Analysis, ids: dict[str, int], bucket: Bucket, couriers: frozenset[str] | None) -> list[ParcelRef]:
    return [
        ParcelRef(ids[record.shop or ""], parcel.tracking_no, parcel.courier, record.aftersale_id, record.order_id)
        for record, parcel in analysis.listed_parcels(bucket)
        if parcel.courier is not None and (couriers is None or parcel.courier in couriers)
    ]


def _named(ledger: Engine, ids: dict[str, int], numbers: list[str]) -> list[ParcelRef]:
    """Parcels the ledger knows by these tracking numbers; unknown numbers are an error, nothing is recorded."""
    wanted: list[str] = []
    for value in numbers:
        found, problems = split_tracking(value)
        if problems:
            raise BadInput("bad_tracking_no", value=value, detail="；".join(problems))
        wanted += found
    with ledger.connect() as conn:
        query = (
            select(
                parcels.c.shop_id,
                parcels.c.tracking_no,
                parcels.c.courier,
                aftersales.c.aftersale_id,
                aftersales.c.order_id,
            )
            .join(
                aftersale_parcels,
                (aftersale_parcels.c.shop_id == parcels.c.shop_id)
                & (aftersale_parcels.c.tracking_no == parcels.c.tracking_no),
                isouter=True,
            )
            .join(
                aftersales,
                (aftersales.c.shop_id == aftersale_parcels.c.shop_id)
                & (aftersales.c.aftersale_id == aftersale_parcels.c.aftersale_id),
                isouter=True,
            )
            .where(parcels.c.tracking_no.in_(wanted), parcels.c.shop_id.in_(list(ids.values())))
        )
        refs = {
            r.tracking_no: ParcelRef(r.shop_id, r.tracking_no, r.courier, r.aftersale_id, r.order_id)
            for r in conn.execute(query)
        }
    missing = [n for n in wanted if n not in refs]
    if missing:
        raise BadInput("unknown_tracking_no", numbers="、".join(missing))
    return [refs[n] for n in wanted]


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
        if sum((bool(courier), bool(tracking_no), all_couriers)) != 1:
            raise BadInput("sent_what")
        settings = settings_from(config, chosen, operator=operator, chase_hours=chase_hours)
        moment = parse_now(now)
        ledger = open_ledger_for(db, settings)
        ids = _shop_ids(ledger, shop or [])
        wanted: frozenset[str] | None = None
        if courier:
            codes, unknown = parse_partners(courier)
            if unknown:
                raise BadInput("unknown_partners", names="、".join(unknown), known="zhongtong、yunda、yuantong …")
            wanted = codes
        if tracking_no:
            refs = _named(ledger, ids, tracking_no)
        else:
            analysis = analyse_ledger(ledger, settings=settings, now=moment, shops=shop or [])
            refs = _refs(analysis, ids, Bucket.CHASE if chase else Bucket.INTERCEPT, wanted)
            skipped = sum(1 for g in analysis.groups(Bucket.INTERCEPT) if g.courier is None for _ in g.parcels)
            if all_couriers and skipped and not chase:
                console().print(t("sent_skipped_unknown", chosen, n=skipped), style="yellow")
        out = console()
        names = "、".join(courier_name(c) for c in sorted(wanted)) if wanted else t("all_couriers", chosen)
        if not refs:
            out.print(t("sent_nothing", chosen, couriers=names, what="催拦截" if chase else "待拦截"))
            return
        if chase:
            count = record_chased(ledger, refs, operator=settings.operator_name, now=moment)
            out.print(t("chased", chosen, n=count, operator=settings.operator_name, at=_time(moment)))
            return
        report = record_sent(ledger, refs, operator=settings.operator_name, now=moment)
        if report.recorded:
            out.print(
                t(
                    "sent_recorded",
                    chosen,
                    n=len(report.recorded),
                    couriers=names,
                    operator=settings.operator_name,
                    at=_time(moment),
                ),
                style="green",
            )
        for earlier in report.already:
            out.print(
                t("sent_already", chosen, number=earlier.parcel.tracking_no, by=earlier.by, at=_time(earlier.at)),
                style="yellow",
            )


def _pending_remarks(ledger: Engine, analysis: Analysis, ids: dict[str, int]) -> list[Remark]:
    with ledger.connect() as conn:
        written = written_remarks(conn, list(ids.values()))
    return [r for r in analysis.remarks if (ids[r.shop], r.order_key, STATUS_WORDS[r.bucket]) not in written]


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
        settings = settings_from(config, chosen, operator=operator)
        moment = parse_now(now)
        ledger = open_ledger_for(db, settings)
        ids = _shop_ids(ledger, shop or [])
        analysis = analyse_ledger(ledger, settings=settings, now=moment, shops=shop or [])
        pending = _pending_remarks(ledger, analysis, ids)
        if order:
            wanted = set(order)
            pending = [r for r in pending if r.order_key in wanted or r.order_id in wanted]
        if done:
            refs = [
                RemarkRef(ids[r.shop], r.order_key, STATUS_WORDS[r.bucket], r.text, r.flag, r.order_id) for r in pending
            ]
            count = record_remarks(ledger, refs, operator=settings.operator_name, now=moment)
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
                            "bucket": r.bucket,
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


def _print_json(document: dict[str, Any]) -> None:
    sys.stdout.buffer.write(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    sys.stdout.flush()


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

        settings = settings_from(config, chosen)
        ledger = open_ledger_for(db, settings)
        ids = _shop_ids(ledger, shop or [])
        cleaned = split_tracking(key)[0]
        lookup = cleaned[0] if len(cleaned) == 1 else key.strip()
        with ledger.connect() as conn:
            found = load_history(conn, lookup, list(ids.values()) if shop else None)
        if not found.aftersales and not found.events:
            raise BadInput("history_not_found", what=key)
        if json_output:
            _print_json(
                {
                    "key": found.key,
                    "aftersales": found.aftersales,
                    "events": [
                        {
                            "at": e.at,
                            "operator": e.operator,
                            "kind": e.kind,
                            "label": e.label,
                            "shop": e.shop,
                            "aftersale_id": e.aftersale_id,
                            "tracking_no": e.tracking_no,
                            "order_id": e.order_id,
                            "before": e.before,
                            "after": e.after,
                        }
                        for e in found.events
                    ],
                }
            )
            return
        out = console()
        for item in found.aftersales:
            out.print(
                f"[bold]{item['shop']} 售后单 {item['aftersale_id']}[/bold]  订单 {item['order_id'] or '—'}  "
                f"单号 {'、'.join(item['tracking_nos']) or '—'}  {item['state']} / {item['logistics'] or '无物流状态'}"
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

        settings: Settings = settings_from(config, chosen)
        moment = parse_now(now)
        ledger = open_ledger_for(db, settings)
        ids = _shop_ids(ledger, shop or [])
        with ledger.connect() as conn:
            result = load_stats(conn, shop_ids=list(ids.values()) if shop else None, now=moment, days=days)
        if json_output:
            _print_json(
                {
                    "generated_at": moment,
                    "since": result.since,
                    "shops": sorted(ids) if shop else None,
                    "couriers": [
                        {
                            "courier": c.courier,
                            "name": courier_name(c.courier),
                            "requests": c.requests,
                            "success": c.success,
                            "failed": c.failed,
                            "pending": c.pending,
                            "median_hours_to_return": c.median_hours_to_return,
                        }
                        for c in result.couriers
                    ],
                    "rejections": result.rejections,
                    "days": [
                        {"date": day.isoformat(), "counts": {b.value: counts.get(b.value, 0) for b in Bucket}}
                        for day, counts in result.days
                    ],
                }
            )
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
