"""What every command shares: the app, its options, error handling, settings, the ledger."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.status import Status
from typer.core import TyperCommand, TyperGroup, TyperOption

from lanjie.cli.usage import is_usage_error, refuse
from lanjie.errors import BadInput, LanjieError
from lanjie.i18n import Lang, t
from lanjie.model import SHANGHAI
from lanjie.program import is_the_program

if TYPE_CHECKING:  # imported when a command needs them: start-up stays quick
    from sqlalchemy import Engine

    from lanjie.config import Settings


def _chinese_help(option: TyperOption | None) -> TyperOption | None:
    if option is not None:
        option.help = "显示帮助并退出"
    return option


def _chinese_titles() -> None:
    # Imported only when help is shown: typer's help renderer is slow to import.
    import typer.rich_utils as rich_utils

    rich_utils.ARGUMENTS_PANEL_TITLE = "参数"
    rich_utils.OPTIONS_PANEL_TITLE = "选项"
    rich_utils.COMMANDS_PANEL_TITLE = "命令"
    rich_utils.REQUIRED_LONG_STRING = "[必填]"
    rich_utils.DEFAULT_STRING = "[默认：{}]"


_USAGE_WORDS = {"[OPTIONS]": "[选项]", "COMMAND [ARGS]...": "命令 [参数]..."}


def _chinese_usage(command: Any, ctx: Any, formatter: Any) -> None:
    """The usage line: 用法：lanjie run [选项] FILES..."""
    pieces = [_USAGE_WORDS.get(piece, piece) for piece in command.collect_usage_pieces(ctx)]
    formatter.write_usage(ctx.command_path, " ".join(pieces), prefix="用法：")


class _InTheUsersLanguage:
    """Help and usage errors of a command or group, in the user's language."""

    def get_help_option(self, ctx: Any) -> TyperOption | None:
        return _chinese_help(super().get_help_option(ctx))  # type: ignore[misc]

    def make_context(self, info_name: str | None, args: list[str], *more: Any, **extra: Any) -> Any:
        with _refusing_usage_errors(args):
            return super().make_context(info_name, list(args), *more, **extra)  # type: ignore[misc]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _chinese_titles()
        super().format_help(ctx, formatter)  # type: ignore[misc]

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        _chinese_usage(self, ctx, formatter)


@contextmanager
def _refusing_usage_errors(args: list[str]) -> Iterator[None]:
    try:
        yield
    except Exception as error:
        if is_usage_error(error):
            raise refuse(error, args) from None
        raise


class Command(_InTheUsersLanguage, TyperCommand):
    pass


class Group(_InTheUsersLanguage, TyperGroup):
    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        with _refusing_usage_errors(args):
            return super().resolve_command(ctx, args)


def new_app(**options: Any) -> typer.Typer:
    return typer.Typer(
        cls=Group,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode="rich",
        context_settings={"help_option_names": ["-h", "--help"]},
        **options,
    )


app = new_app(
    name="lanjie",
    help="拦截：把抖店售后单导出变成拦截工作——按快递分好的拦截消息、备注、按截止时间排好的待办，全组共用一本台账。",
)

Files = Annotated[
    list[Path],
    typer.Argument(
        help="抖店导出文件（售后单导出 .xlsx/.xls/.ods/.csv，可再加订单导出），可以给多个", show_default=False
    ),
]
MaybeFiles = Annotated[
    list[Path] | None,
    typer.Argument(
        help="抖店导出文件（售后单导出 .xlsx/.xls/.ods/.csv，可再加订单导出）；用 --sync 或 --ledger 时可不给",
        show_default=False,
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
ChaseHours = Annotated[float | None, typer.Option("--chase-hours", help="发出拦截多少小时后仍在路上就要催（默认 48）")]
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
Operator = Annotated[
    str | None, typer.Option("--operator", help="操作人（记进台账；默认 LANJIE_OPERATOR 或电脑登录名）")
]
Shop = Annotated[str | None, typer.Option("--shop", help="店铺名（默认用导出里的「门店名称」）")]
ShopFilter = Annotated[list[str] | None, typer.Option("--shop", help="只看这个店铺（可给多次）")]
Db = Annotated[
    str | None,
    typer.Option(
        "--db", help="台账数据库：PostgreSQL 地址或 SQLite 文件路径（默认 LANJIE_DATABASE_URL 或本机数据文件夹）"
    ),
]
Config = Annotated[Path | None, typer.Option("--config", help="设置文件（默认当前文件夹的 lanjie.toml）")]
LangOption = Annotated[str | None, typer.Option("--lang", help="提示语言：zh（默认）或 en")]
JsonOutput = Annotated[bool, typer.Option("--json", help="输出 JSON（供脚本使用）")]


def print_json(document: object) -> None:
    """A command's JSON answer, alone on stdout."""
    sys.stdout.buffer.write(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    sys.stdout.flush()


def console(*, stderr: bool = False) -> Console:
    # soft_wrap: paths, IDs and messages are never broken across lines, even in a pipe;
    # and a pipe or a log file has room for a wide table.
    screen = Console(stderr=stderr, soft_wrap=True)
    if not screen.is_terminal:
        screen.width = 160
    return screen


def parse_now(value: str | None) -> datetime:
    if not value:
        return datetime.now(SHANGHAI).replace(microsecond=0)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput("bad_now", value=value) from None
    return moment.replace(tzinfo=SHANGHAI) if moment.tzinfo is None else moment


# A command's parameter → the setting it overrides. Commands name their parameters so:
# a parameter that is not a setting must not be called like one (the --shop filter of the
# ledger commands is `shops`, the --shop of an import is the setting `shop`).
SETTING_OPTIONS: dict[str, str] = {
    "lang": "lang",
    "db": "database_url",
    "partners": "partners",
    "urgent_hours": "urgent_hours",
    "chase_hours": "chase_hours",
    "chunk_size": "chunk_size",
    "intercept_template": "intercept_template",
    "verify_template": "verify_template",
    "remark_template": "remark_template",
    "operator": "operator",
    "shop": "shop",
}


class Ctx:
    """What a running command knows, each part worked out once, when first needed: its
    settings (and so its language), "now" and the ledger."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self._params = params
        self._settings: Settings | None = None
        self._now: datetime | None = None
        self._ledger: Engine | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from lanjie.config import load_settings

            given = self._params
            overrides = {setting: given[name] for name, setting in SETTING_OPTIONS.items() if name in given}
            self._settings = load_settings(given.get("config"), **overrides)
        return self._settings

    @property
    def lang(self) -> Lang:
        """The settings' language; before they are loaded (or when they cannot be), --lang or LANJIE_LANG."""
        if self._settings is not None:
            return self._settings.lang
        from lanjie.config import Settings

        return Settings.early_lang(self._params.get("lang"))

    @property
    def debug(self) -> bool:
        if self._settings is not None:
            return self._settings.debug
        from lanjie.config import Settings

        return Settings.early_debug()

    @property
    def now(self) -> datetime:
        """--now, or the time the command first asked."""
        if self._now is None:
            self._now = parse_now(self._params.get("now"))
        return self._now

    def ledger(self) -> Engine:
        if self._ledger is None:
            from lanjie.ledger.database import open_ledger

            self._ledger = open_ledger(self.settings.database_url or None, timeout=self.settings.db_timeout)
        return self._ledger


@contextmanager
def command(params: Mapping[str, Any], *, batch: bool = False) -> Iterator[Ctx]:
    """Every command's preamble: `with command(locals()) as ctx:` as its first line.

    `params` are the command's own parameters: --lang, --config, --now and those named like a
    setting (SETTING_OPTIONS) are read from them. Errors the user can fix are one clear message
    in the user's language and their exit code; anything else is no traceback unless
    LANJIE_DEBUG is set.

    A `batch` command (it reads a whole export, then ends) runs without the cyclic garbage
    collector, as `bulk_work` explains; the program leaves it off to the end, since turned on
    again it would first scan every object the command built (measured: 0.15–0.2 s after
    100,000 rows), for nothing."""
    ctx = Ctx(params)
    collecting = gc.isenabled()
    if batch:
        gc.disable()
    try:
        yield ctx
    except LanjieError as error:
        _complain(error, ctx.lang)
        raise typer.Exit(error.exit_code) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as error:
        from lanjie.ledger.database import explain_db_error  # here: start-up stays quick

        if (trouble := explain_db_error(error)) is not None:  # disk full, busy, connection lost: not a bug
            _complain(trouble, ctx.lang)
            raise typer.Exit(trouble.exit_code) from None
        if ctx.debug:
            raise
        console(stderr=True).print(t("internal", ctx.lang, detail=f"{type(error).__name__}: {error}"), markup=False)
        raise typer.Exit(1) from None
    finally:
        if collecting and not (batch and is_the_program()):
            gc.enable()


def _complain(error: LanjieError, lang: Lang) -> None:
    screen = console(stderr=True)
    screen.print("[bold red]✗[/bold red] ", end="")
    screen.print(error.render(lang), markup=False, highlight=False)


def finish_now() -> None:
    """End a successful command without tearing down its data object by object.

    After a big file the process holds about a million objects; freeing them one by one
    takes a noticeable part of a second (measured: 0.2–0.3 s for 100,000 rows) and helps
    nobody, since the process ends anyway. Everything is flushed and committed before.

    Only the `lanjie` program itself ends so: a command run in-process (a test's CliRunner,
    any caller of `app`) returns to its caller as usual."""
    sys.stdout.flush()
    sys.stderr.flush()
    if is_the_program():
        os._exit(0)


LOGGED_PROGRESS_FROM = 10_000  # rows: below this a log gets no progress lines, it is over in a moment


class Activity:
    """What a long command is doing: a spinner in a terminal, a line per step in a log."""

    def __init__(self, lang: Lang) -> None:
        self.console = console(stderr=True)
        self.lang = lang
        self.status: Status | None = None
        self.reported = -1

    def __enter__(self) -> Activity:
        if self.console.is_terminal:
            self.status = self.console.status(t("reading", self.lang))
            self.status.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.__exit__(None, None, None)

    def stage(self, text: str) -> None:
        if self.status is not None:
            self.status.update(text)

    def progress(self, done: int, total: int) -> None:
        percent = done * 100 // max(total, 1)
        text = t("writing_ledger", self.lang, percent=percent, done=done, total=total)
        if self.status is not None:
            self.status.update(text)
        elif total >= LOGGED_PROGRESS_FROM and percent // 10 > self.reported:
            self.reported = percent // 10
            self.console.print(text)
