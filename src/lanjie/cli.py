"""The `lanjie` command line. Commands only: the work happens in the pipeline and outputs."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.rich_utils
from rich.console import Console
from typer.core import TyperCommand, TyperGroup, TyperOption

from lanjie import __version__
from lanjie.config import Settings, load_settings
from lanjie.errors import BadInput, LanjieError
from lanjie.i18n import Lang, t
from lanjie.ingest.clean import SHANGHAI

typer.rich_utils.ARGUMENTS_PANEL_TITLE = "参数"
typer.rich_utils.OPTIONS_PANEL_TITLE = "选项"
typer.rich_utils.COMMANDS_PANEL_TITLE = "命令"
typer.rich_utils.ERRORS_PANEL_TITLE = "错误"
typer.rich_utils.REQUIRED_LONG_STRING = "[必填]"
typer.rich_utils.DEFAULT_STRING = "[默认：{}]"


def _chinese_help(option: TyperOption | None) -> TyperOption | None:
    if option is not None:
        option.help = "显示帮助并退出"
    return option


class _Command(TyperCommand):
    def get_help_option(self, ctx: Any) -> TyperOption | None:
        return _chinese_help(super().get_help_option(ctx))


class _Group(TyperGroup):
    def get_help_option(self, ctx: Any) -> TyperOption | None:
        return _chinese_help(super().get_help_option(ctx))


app = typer.Typer(
    cls=_Group,
    name="lanjie",
    help="拦截：把抖店售后单导出变成拦截工作——按快递分好的拦截消息、备注、按截止时间排好的待办。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)

Files = Annotated[
    list[Path],
    typer.Argument(
        help="抖店导出文件（售后单导出 .xlsx/.xls/.ods/.csv，可再加订单导出），可以给多个", show_default=False
    ),
]
Partners = Annotated[
    str | None,
    typer.Option("--partners", help="店铺的合作快递，用逗号分开，如 zhongtong,yunda 或 中通,韵达；纯数字单号按它归类"),
]
Now = Annotated[
    str | None, typer.Option("--now", help="把「现在」固定为这个时间（如 2026-11-26T09:00:00+08:00），用于复现结果")
]
Encoding = Annotated[str | None, typer.Option("--encoding", help="CSV 的编码（如 gbk、utf-8）；不给则自动识别")]
UrgentHours = Annotated[float | None, typer.Option("--urgent-hours", help="距截止不足多少小时算紧急（默认 12）")]
ChunkSize = Annotated[int | None, typer.Option("--chunk-size", help="每条拦截消息最多多少个单号（默认 50）")]
InterceptTemplate = Annotated[
    str | None, typer.Option("--intercept-template", help="拦截消息第一行，可用 {count} {courier} {date}")
]
VerifyTemplate = Annotated[
    str | None, typer.Option("--verify-template", help="核实消息第一行，可用 {count} {courier} {date}")
]
RemarkTemplate = Annotated[
    str | None, typer.Option("--remark-template", help="订单备注，可用 {date} {status} {courier} {operator}")
]
Operator = Annotated[str | None, typer.Option("--operator", help="操作人（写进备注的 {operator}）")]
Config = Annotated[Path | None, typer.Option("--config", help="设置文件（默认当前文件夹的 lanjie.toml）")]
LangOption = Annotated[str | None, typer.Option("--lang", help="提示语言：zh（默认）或 en")]


def _console(*, stderr: bool = False) -> Console:
    # soft_wrap: paths, IDs and messages are never broken across lines, even in a pipe.
    return Console(stderr=stderr, soft_wrap=True)


def _lang(value: str | None) -> Lang:
    chosen = value or os.environ.get("LANJIE_LANG", "zh")
    return "en" if chosen.lower().startswith("en") else "zh"


@contextmanager
def _friendly_errors(lang: Lang) -> Iterator[None]:
    """Known errors: one clear message and exit 2; anything else: no traceback unless LANJIE_DEBUG."""
    try:
        yield
    except LanjieError as error:
        _console(stderr=True).print(f"[bold red]✗[/bold red] {error.render(lang)}")
        raise typer.Exit(error.exit_code) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as error:
        if os.environ.get("LANJIE_DEBUG"):
            raise
        _console(stderr=True).print(t("internal", lang, detail=f"{type(error).__name__}: {error}"))
        raise typer.Exit(1) from None


def _now(value: str | None) -> datetime:
    if not value:
        return datetime.now(SHANGHAI).replace(microsecond=0)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput("bad_now", value=value) from None
    return moment.replace(tzinfo=SHANGHAI) if moment.tzinfo is None else moment


def _settings(config: Path | None, lang: Lang, **options: object) -> Settings:
    return load_settings(config, lang=lang, **options)


@app.command(cls=_Command)
def run(
    files: Files,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="输出文件夹（默认 ./lanjie-输出-年月日-时分/）")
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="输出文件夹已存在时覆盖它")] = False,
    partners: Partners = None,
    now: Now = None,
    encoding: Encoding = None,
    urgent_hours: UrgentHours = None,
    chunk_size: ChunkSize = None,
    intercept_template: InterceptTemplate = None,
    verify_template: VerifyTemplate = None,
    remark_template: RemarkTemplate = None,
    operator: Operator = None,
    config: Config = None,
    lang: LangOption = None,
) -> None:
    """主流程：读导出 → 分类 → 生成每个快递的拦截消息、核实清单、批量搜索串、备注和 xlsx 工作簿。"""
    chosen = _lang(lang)
    with _friendly_errors(chosen):
        from lanjie.outputs.folder import default_out_dir, write_output_folder
        from lanjie.outputs.summary import print_summary
        from lanjie.pipeline import analyse, bulk_work

        settings = _settings(
            config,
            chosen,
            partners=partners,
            urgent_hours=urgent_hours,
            chunk_size=chunk_size,
            intercept_template=intercept_template,
            verify_template=verify_template,
            remark_template=remark_template,
            operator=operator,
        )
        moment = _now(now)
        console = _console()
        status = _console(stderr=True)
        with status.status(t("reading", chosen)) as spinner:
            analysis = analyse(
                files,
                settings=settings,
                now=moment,
                encoding=encoding,
                on_file=lambda p: spinner.update(f"{t('reading', chosen)} {p.name}…"),
            )
            spinner.update(t("writing", chosen))
            target = out or default_out_dir(moment)
            with bulk_work():
                written = write_output_folder(analysis, target, overwrite=overwrite)
        print_summary(analysis, console, chosen)
        console.print(t("output_written", chosen, path=target), style="bold green")
        for path in written:
            console.print(f"  {path.name}")


@app.command(cls=_Command)
def triage(
    files: Files,
    json_output: Annotated[bool, typer.Option("--json", help="输出 JSON（供脚本使用）；不加则打印汇总表")] = False,
    partners: Partners = None,
    now: Now = None,
    encoding: Encoding = None,
    urgent_hours: UrgentHours = None,
    chunk_size: ChunkSize = None,
    intercept_template: InterceptTemplate = None,
    verify_template: VerifyTemplate = None,
    remark_template: RemarkTemplate = None,
    operator: Operator = None,
    config: Config = None,
    lang: LangOption = None,
) -> None:
    """只做分类，不写文件：和 run 相同的判断，--json 时输出机器可读的 JSON。"""
    chosen = _lang(lang)
    with _friendly_errors(chosen):
        from lanjie.outputs import jsonout
        from lanjie.pipeline import analyse, bulk_work

        settings = _settings(
            config,
            chosen,
            partners=partners,
            urgent_hours=urgent_hours,
            chunk_size=chunk_size,
            intercept_template=intercept_template,
            verify_template=verify_template,
            remark_template=remark_template,
            operator=operator,
        )
        with _console(stderr=True).status(t("reading", chosen)):
            analysis = analyse(files, settings=settings, now=_now(now), encoding=encoding)
        if json_output:
            with bulk_work():
                document = jsonout.decisions_document(analysis.decisions, analysis.batch, now=analysis.now)
                output = jsonout.dumps(document)
            sys.stdout.buffer.write(output + b"\n")
            sys.stdout.flush()
        else:
            from lanjie.outputs.summary import print_summary

            print_summary(analysis, _console(), chosen)


@app.command("demo-export", cls=_Command)
def demo_export(
    out: Annotated[Path, typer.Option("--out", "-o", help="写到哪个文件（.xlsx 或 .csv）")] = Path(
        "售后单导出-示例.xlsx"
    ),
    rows: Annotated[int, typer.Option("--rows", "-n", help="行数")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="随机种子（相同种子生成相同文件）")] = 7,
    now: Now = None,
    encoding: Annotated[str, typer.Option("--encoding", help="CSV 的编码，如 utf-8-sig 或 gbk")] = "utf-8-sig",
    orders: Annotated[Path | None, typer.Option("--orders", help="同时生成配套的订单导出（含快递信息）")] = None,
    lang: LangOption = None,
) -> None:
    """生成逼真的示例导出（50 列真实表头），用来试用、测试和跑基准。"""
    chosen = _lang(lang)
    with _friendly_errors(chosen):
        from lanjie.demo import write_demo_export

        if not 1 <= rows <= 1_000_000:
            raise BadInput("bad_rows", rows=rows)
        write_demo_export(out, rows=rows, seed=seed, now=_now(now), encoding=encoding, orders=orders)
        _console().print(t("demo_written", chosen, rows=rows, path=out))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lanjie {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="显示版本")] = False,
) -> None:
    """拦截：抖店「仅退款在途」售后的拦截工作台。"""
