"""`lanjie demo-export`: realistic sample exports to try lanjie on."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lanjie import __version__
from lanjie.cli.common import Command, LangOption, Now, app, command, console
from lanjie.errors import BadInput
from lanjie.i18n import t


@app.command("demo-export", cls=Command)
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
    with command(locals()) as ctx:
        from lanjie.demo import write_demo_export

        if not 1 <= rows <= 1_000_000:
            raise BadInput("bad_rows", rows=rows)
        write_demo_export(out, rows=rows, seed=seed, now=ctx.now, encoding=encoding, orders=orders)
        console().print(t("demo_written", ctx.lang, rows=rows, path=out), markup=False)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lanjie {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="显示版本")] = False,
) -> None:
    """拦截：抖店「仅退款在途」售后的拦截工作台。"""
