"""`lanjie serve` (the web workbench) and `lanjie user` (accounts for team mode)."""

from __future__ import annotations

import getpass
import sys
import threading
import webbrowser
from typing import Annotated

import typer

from lanjie.cli.common import (
    Command,
    Config,
    Db,
    LangOption,
    app,
    command,
    console,
    new_app,
)
from lanjie.errors import BadInput
from lanjie.i18n import Lang, t

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@app.command(cls=Command)
def serve(
    host: Annotated[
        str, typer.Option("--host", help="监听地址；127.0.0.1 只有本机能用，0.0.0.0 给局域网用（需要账号）")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="端口", min=1, max=65535)] = 8000,
    open_browser: Annotated[bool, typer.Option("--open", help="启动后打开浏览器")] = False,
    db: Db = None,
    config: Config = None,
    lang: LangOption = None,
) -> None:
    """网页工作台：导入、拦截清单、备注、统计，全在浏览器里。

    默认只有本机能打开（127.0.0.1），进去先填自己的名字。--host 0.0.0.0 给全组在局域网里用：
    必须先用 lanjie user add 建好账号，大家登录后使用。
    """
    with command(locals()) as ctx:
        import uvicorn

        from lanjie.ledger.accounts import has_users
        from lanjie.web.app import create_app
        from lanjie.web.secret import secret_key

        settings, lang, ledger = ctx.settings, ctx.lang, ctx.ledger()
        team = host not in LOOPBACK
        if team and not has_users(ledger):
            raise BadInput("team_needs_users", host=host)
        web = create_app(ledger=ledger, settings=settings, team=team, secret=secret_key(settings.secret_key))
        url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
        mode = t("team_mode", lang) if team else t("local_mode", lang)
        console().print(t("serving", lang, url=url, mode=mode), markup=False)
        if open_browser:
            threading.Timer(1.0, webbrowser.open, [url]).start()
        uvicorn.run(web, host=host, port=port, log_level="warning")


user_app = new_app(help="团队模式（lanjie serve --host 0.0.0.0）的账号。")
app.add_typer(user_app, name="user")


def _new_password(from_stdin: bool, lang: Lang) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(t("password_prompt", lang))
    if getpass.getpass(t("password_again", lang)) != first:
        raise BadInput("passwords_differ")
    return first


@user_app.command("add", cls=Command)
def user_add(
    name: Annotated[str, typer.Argument(help="用户名（记录里的操作人）", show_default=False)],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="从标准输入读密码（给脚本用）")] = False,
    db: Db = None,
    config: Config = None,
    lang: LangOption = None,
) -> None:
    """新建账号（密码用 argon2id 保存）。"""
    with command(locals()) as ctx:
        from lanjie.ledger.accounts import add_user

        lang = ctx.lang
        user = add_user(ctx.ledger(), name, _new_password(password_stdin, lang), now=ctx.now)
        console().print(t("user_added", lang, name=user.name), style="green", markup=False)


@user_app.command("list", cls=Command)
def user_list(db: Db = None, config: Config = None, lang: LangOption = None) -> None:
    """列出账号。"""
    with command(locals()) as ctx:
        from lanjie.ledger.accounts import list_users

        for name in list_users(ctx.ledger()):
            console().print(name, markup=False, highlight=False)


@user_app.command("remove", cls=Command)
def user_remove(
    name: Annotated[str, typer.Argument(help="用户名", show_default=False)],
    db: Db = None,
    config: Config = None,
    lang: LangOption = None,
) -> None:
    """删除账号（已有记录里的名字不变）。"""
    with command(locals()) as ctx:
        from lanjie.ledger.accounts import remove_user

        if not remove_user(ctx.ledger(), name):
            raise BadInput("user_not_found", name=name)
        console().print(t("user_removed", ctx.lang, name=name), style="green", markup=False)
