"""The daily work: `run` (import + lists), `triage` (decisions only), `import` (ledger only)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from lanjie.cli.common import (
    Activity,
    ChaseHours,
    ChunkSize,
    Command,
    Config,
    Db,
    Encoding,
    Files,
    InterceptTemplate,
    JsonOutput,
    LangOption,
    MaybeFiles,
    Now,
    Operator,
    Partners,
    RemarkTemplate,
    Shop,
    UrgentHours,
    VerifyTemplate,
    app,
    command,
    console,
    finish_now,
)
from lanjie.errors import BadInput
from lanjie.i18n import Lang, Listing, Text, t
from lanjie.ingest.prefetch import Prefetch
from lanjie.model import SHANGHAI

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import Engine

    from lanjie.config import Settings
    from lanjie.ledger.importer import ImportReport
    from lanjie.work import Analysis


def print_import(report: ImportReport, out: Console, lang: Lang) -> None:
    for earlier in report.already_imported:
        out.print(
            t(
                "already_imported",
                lang,
                file=earlier.file,
                operator=earlier.operator,
                at=earlier.imported_at.astimezone(SHANGHAI).strftime("%m-%d %H:%M"),
            )
        )
    if report.import_id is None:
        out.print(t("ledger_unchanged", lang))
        return
    changes = [Text("event_count", event=Text(f"event_{kind}"), n=n) for kind, n in report.changes.most_common()]
    out.print(
        t(
            "import_summary",
            lang,
            new=report.new,
            changed=report.changed,
            unchanged=report.unchanged,
            details=Text("import_details", changes=Listing(changes)) if changes else "",
        )
    )
    if report.older:
        out.print(t("import_older", lang, n=report.older))
    if report.outcomes:
        out.print(
            t(
                "import_outcomes",
                lang,
                success=report.outcomes.get("success", 0),
                failed=report.outcomes.get("failed", 0),
            )
        )


def start_reading(files: list[Path], encoding: str | None) -> Prefetch:
    """Start reading `files`; back once they are checked, so the command's own start-up runs
    beside the parse rather than taking turns with the checks."""
    reading = Prefetch(files, encoding=encoding)
    reading.wait_checked()
    return reading


def _import(
    reading: Prefetch, settings: Settings, now: datetime, ledger: Engine, encoding: str | None, activity: Activity
) -> Analysis:
    from lanjie.pipeline import import_and_analyse

    return import_and_analyse(
        reading,
        settings=settings,
        now=now,
        ledger=ledger,
        encoding=encoding,
        progress=activity.progress,
        on_file=lambda path: activity.stage(f"{t('reading', activity.lang)} {path.name}…"),
    )


@app.command(cls=Command)
def run(
    files: MaybeFiles = None,
    sync: Annotated[bool, typer.Option("--sync", help="先从抖店开放平台同步所有已连接的店铺")] = False,
    track: Annotated[bool, typer.Option("--track", help="生成清单前先向快递100刷新包裹的物流")] = False,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="输出文件夹（默认 ./lanjie-输出-年月日-时分/）")
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="输出文件夹已存在时覆盖它")] = False,
    shop: Shop = None,
    db: Db = None,
    operator: Operator = None,
    partners: Partners = None,
    now: Now = None,
    encoding: Encoding = None,
    urgent_hours: UrgentHours = None,
    chase_hours: ChaseHours = None,
    chunk_size: ChunkSize = None,
    intercept_template: InterceptTemplate = None,
    verify_template: VerifyTemplate = None,
    remark_template: RemarkTemplate = None,
    config: Config = None,
    lang: LangOption = None,
) -> None:
    """主流程：导入台账、分类，生成拦截消息、备注和工作簿。

    读导出 → 记进台账 → 分类 → 写出每个快递的拦截消息、催拦截和核实清单、批量搜索串、备注和 xlsx 工作簿。
    """
    with command(locals(), batch=True) as ctx:
        if not files and not sync:
            raise BadInput("files_or_sync")
        reading = start_reading(files, encoding) if files else None
        from lanjie.outputs.folder import default_out_dir, write_output_folder
        from lanjie.outputs.summary import print_summary
        from lanjie.work import bulk_work

        settings, lang = ctx.settings, ctx.lang
        if sync:
            from lanjie.cli.platform import sync_connected

            sync_connected(ctx, [], full=False, quiet=False)
        with Activity(lang) as activity:
            if reading is not None:
                analysis = _import(reading, settings, ctx.now, ctx.ledger(), encoding, activity)
            if track:
                from lanjie.cli.track import track_parcels

                track_parcels(ctx, [], quiet=False)
            if reading is None or track:
                from lanjie.pipeline import analyse_ledger

                imported = analysis.import_report if reading is not None else None
                analysis = analyse_ledger(ctx.ledger(), settings=settings, now=ctx.now)
                analysis.import_report = imported
            activity.stage(t("writing", lang))
            target = out or default_out_dir(ctx.now)
            with bulk_work():
                written = write_output_folder(analysis, target, overwrite=overwrite)
        screen = console()
        print_summary(analysis, screen, lang)
        if analysis.import_report is not None:
            print_import(analysis.import_report, screen, lang)
        screen.print(t("output_written", lang, path=target), style="bold green", markup=False)
        for path in written:
            screen.print(f"  {path.name}", markup=False)
    finish_now()


@app.command(cls=Command)
def triage(
    files: MaybeFiles = None,
    from_ledger: Annotated[bool, typer.Option("--ledger", help="不读文件：按台账里各店铺当前的售后分类")] = False,
    json_output: JsonOutput = False,
    db: Db = None,
    shop: Shop = None,
    partners: Partners = None,
    now: Now = None,
    encoding: Encoding = None,
    urgent_hours: UrgentHours = None,
    chase_hours: ChaseHours = None,
    chunk_size: ChunkSize = None,
    intercept_template: InterceptTemplate = None,
    verify_template: VerifyTemplate = None,
    remark_template: RemarkTemplate = None,
    config: Config = None,
    lang: LangOption = None,
) -> None:
    """只分类，不写文件、不改台账（--json 给脚本用）。

    和 run 相同的判断，也会参考台账里已经发出的拦截。
    """
    with command(locals(), batch=True) as ctx:
        if bool(files) == from_ledger:
            raise BadInput("files_or_ledger")
        reading = start_reading(files, encoding) if files else None
        from lanjie.outputs import jsonout
        from lanjie.pipeline import analyse
        from lanjie.work import bulk_work

        settings, lang = ctx.settings, ctx.lang
        with Activity(lang):
            if reading is None:
                from lanjie.pipeline import analyse_ledger

                analysis = analyse_ledger(ctx.ledger(), settings=settings, now=ctx.now)
            else:
                analysis = analyse(reading, settings=settings, now=ctx.now, ledger=ctx.ledger(), encoding=encoding)
        if json_output:
            from lanjie.outputs.summary import print_file_notes

            print_file_notes(analysis.batch, console(stderr=True), lang)
            with bulk_work():  # reasons, actions, problems in `lang`
                jsonout.write_document(sys.stdout.buffer, analysis.decisions, analysis.batch, now=ctx.now, lang=lang)
            sys.stdout.buffer.write(b"\n")
            sys.stdout.flush()
        else:
            from lanjie.outputs.summary import print_summary

            print_summary(analysis, console(), lang)
    finish_now()


@app.command("import", cls=Command)
def import_(
    files: Files,
    shop: Shop = None,
    db: Db = None,
    operator: Operator = None,
    partners: Partners = None,
    now: Now = None,
    encoding: Encoding = None,
    config: Config = None,
    lang: LangOption = None,
) -> None:
    """只把导出记进台账，不生成清单。

    同一个文件导入两次不会重复；记录每个售后单的最新状态和每一处变化。
    """
    with command(locals(), batch=True) as ctx:
        reading = start_reading(files, encoding)
        from lanjie.ledger.importer import ImportReport, imported_before

        settings, lang = ctx.settings, ctx.lang
        earlier = imported_before(ctx.ledger(), files)
        if earlier is not None:
            print_import(ImportReport(already_imported=earlier), console(), lang)
            return
        with Activity(lang) as activity:
            analysis = _import(reading, settings, ctx.now, ctx.ledger(), encoding, activity)
        assert analysis.import_report is not None
        from lanjie.outputs.summary import print_file_notes

        print_file_notes(analysis.batch, console(), lang)
        print_import(analysis.import_report, console(), lang)
    finish_now()
