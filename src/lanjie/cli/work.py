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
    Now,
    Operator,
    Partners,
    RemarkTemplate,
    Shop,
    UrgentHours,
    VerifyTemplate,
    app,
    choose_lang,
    console,
    finish_now,
    friendly_errors,
    open_ledger_for,
    parse_now,
    settings_for,
)
from lanjie.i18n import Lang, t
from lanjie.ingest.clean import SHANGHAI
from lanjie.ingest.prefetch import Prefetch
from lanjie.ledger.events import EVENT_LABELS, EventKind

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import Engine

    from lanjie.config import Settings
    from lanjie.ledger.importer import ImportReport
    from lanjie.pipeline import Analysis


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
    changes = "、".join(f"{EVENT_LABELS[EventKind(kind)]} {n}" for kind, n in report.changes.most_common())
    out.print(
        t(
            "import_summary",
            lang,
            new=report.new,
            changed=report.changed,
            unchanged=report.unchanged,
            details=f"（{changes}）" if changes else "",
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
    files: Files,
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
    chosen = choose_lang(lang)
    with friendly_errors(chosen):
        reading = Prefetch(files, encoding=encoding)  # parses while the rest starts up
        from lanjie.outputs.folder import default_out_dir, write_output_folder
        from lanjie.outputs.summary import print_summary
        from lanjie.pipeline import bulk_work

        settings = settings_for(config, chosen, locals())
        moment = parse_now(now)
        ledger = open_ledger_for(db, settings)
        with Activity(chosen) as activity:
            analysis = _import(reading, settings, moment, ledger, encoding, activity)
            activity.stage(t("writing", chosen))
            target = out or default_out_dir(moment)
            with bulk_work():
                written = write_output_folder(analysis, target, overwrite=overwrite)
        screen = console()
        print_summary(analysis, screen, chosen)
        assert analysis.import_report is not None
        print_import(analysis.import_report, screen, chosen)
        screen.print(t("output_written", chosen, path=target), style="bold green")
        for path in written:
            screen.print(f"  {path.name}")
    finish_now()


@app.command(cls=Command)
def triage(
    files: Files,
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
    chosen = choose_lang(lang)
    with friendly_errors(chosen):
        reading = Prefetch(files, encoding=encoding)  # parses while the rest starts up
        from lanjie.outputs import jsonout
        from lanjie.pipeline import analyse, bulk_work

        settings = settings_for(config, chosen, locals())
        moment = parse_now(now)
        ledger = open_ledger_for(db, settings)
        with Activity(chosen):
            analysis = analyse(reading, settings=settings, now=moment, ledger=ledger, encoding=encoding)
        if json_output:
            from lanjie.outputs.summary import print_file_notes

            print_file_notes(analysis.batch, console(stderr=True), chosen)
            with bulk_work():
                output = jsonout.dumps(jsonout.decisions_document(analysis.decisions, analysis.batch, now=moment))
            sys.stdout.buffer.write(output + b"\n")
        else:
            from lanjie.outputs.summary import print_summary

            print_summary(analysis, console(), chosen)
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
    chosen = choose_lang(lang)
    with friendly_errors(chosen):
        reading = Prefetch(files, encoding=encoding)  # parses while the rest starts up
        from lanjie.ledger.importer import ImportReport, imported_before

        settings = settings_for(config, chosen, locals())
        moment = parse_now(now)
        ledger = open_ledger_for(db, settings)
        earlier = imported_before(ledger, files)
        if earlier is not None:
            print_import(ImportReport(already_imported=earlier), console(), chosen)
            return
        with Activity(chosen) as activity:
            analysis = _import(reading, settings, moment, ledger, encoding, activity)
        assert analysis.import_report is not None
        from lanjie.outputs.summary import print_file_notes

        print_file_notes(analysis.batch, console(), chosen)
        print_import(analysis.import_report, console(), chosen)
