"""`lanjie serve` (the web workbench) and `lanjie user` (accounts for team mode)."""

from __future__ import annotations

import getpass
import socket
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
from lanjie.i18n import Lang, Listing, t

LOOPBACK = ("127.0.0.1", "localhost", "::1")
EVERYWHERE = ("0.0.0.0", "::", "")


def default_hosts(host: str) -> set[str]:
    """The Host names a browser may use to reach `lanjie serve --host HOST`: this computer's
    loopback names, the address served and, served on every address, this computer's names and
    addresses. Any other name (a DNS-rebinding attacker.example) gets 400."""
    hosts = {*LOOPBACK, host.lower()}
    if host in EVERYWHERE:
        hosts.discard(host)
        hosts |= _machine_names()
    return hosts


def _machine_names() -> set[str]:
    names: set[str] = set()
    try:
        name = socket.gethostname().lower()
        names |= {name, f"{name}.local", socket.getfqdn().lower()}
        for *_, address in socket.getaddrinfo(name, None):
            names.add(str(address[0]).lower())
    except OSError:
        pass
    try:  # the address the LAN sees (no packet is sent: a UDP socket only picks its route)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            names.add(probe.getsockname()[0])
    except OSError:
        pass
    return names


@app.command(cls=Command)
def serve(
    host: Annotated[
        str, typer.Option("--host", help="监听地址；127.0.0.1 只有本机能用，0.0.0.0 给局域网用（需要账号）")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="端口", min=1, max=65535)] = 8000,
    open_browser: Annotated[bool, typer.Option("--open", help="启动后打开浏览器")] = False,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-host",
            help="浏览器还可以用哪个地址打开工作台（可写多次，如 --allowed-host shop-pc）；"
            "默认只有本机名字和所监听的地址，其它 Host 一律拒绝；* 表示不检查",
        ),
    ] = None,
    https: Annotated[
        bool, typer.Option("--https", help="工作台在 HTTPS 反向代理后面：Cookie 只走 HTTPS（也可设 secure_cookies）")
    ] = False,
    db: Db = None,
    config: Config = None,
    lang: LangOption = None,
) -> None:
    """网页工作台：导入、拦截清单、备注、统计，全在浏览器里。

    默认只有本机能打开（127.0.0.1），进去先填自己的名字。--host 0.0.0.0 给全组在局域网里用：
    必须先用 lanjie user add 建好账号，大家登录后使用。台账里只要有账号，在哪里打开都要登录。
    """
    with command(locals()) as ctx:
        import uvicorn

        from lanjie.ledger.accounts import has_users
        from lanjie.web.app import create_app
        from lanjie.web.secret import secret_key

        settings, lang, ledger = ctx.settings, ctx.lang, ctx.ledger()
        accounts = has_users(ledger)
        if host not in LOOPBACK and not accounts:
            raise BadInput("team_needs_users", host=host)
        team = accounts  # a ledger with accounts asks for a login, whatever the address served
        hosts = default_hosts(host) | {h.strip().lower() for h in (*settings.allowed_hosts, *(allowed_host or ()))}
        web = create_app(
            ledger=ledger,
            settings=settings,
            team=team,
            secret=secret_key(settings.secret_key),
            allowed_hosts=hosts,
            secure_cookies=https or settings.secure_cookies,
            background_sync=True,
            background_tracking=True,
        )
        url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
        mode = t("team_mode", lang) if team else t("local_mode", lang)
        console().print(t("serving", lang, url=url, mode=mode), markup=False)
        if "*" not in hosts:
            console().print(t("serving_hosts", lang, hosts=Listing(sorted(hosts))), markup=False, highlight=False)
        if web.state.syncer is not None:
            console().print(t("serving_sync", lang, minutes=f"{settings.sync_minutes:g}"), markup=False)
        if web.state.tracker is not None:
            console().print(t("serving_tracking", lang, minutes=f"{settings.track_minutes:g}"), markup=False)
        if open_browser:
            threading.Timer(1.0, webbrowser.open, [url]).start()
        uvicorn.run(web, host=host, port=port, log_level="warning", server_header=False)


user_app = new_app(help="团队模式（lanjie serve --host 0.0.0.0）的账号。")
app.add_typer(user_app, name="user")


def _new_password(from_stdin: bool, lang: Lang) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(t("password_prompt", lang))
    if getpass.getpass(t("password_again", lang)) != first:
        raise BadInput("passwords_differ")
    return first


UserName = Annotated[str, typer.Argument(help="用户名（记录里的操作人）", show_default=False)]
PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="从标准输入读密码（给脚本用）")]


@user_app.command("add", cls=Command)
def user_add(
    name: UserName,
    password_stdin: PasswordStdin = False,
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


@user_app.command("password", cls=Command)
def user_password(
    name: UserName,
    password_stdin: PasswordStdin = False,
    db: Db = None,
    config: Config = None,
    lang: LangOption = None,
) -> None:
    """修改密码（这个账号在各个浏览器里的登录立即失效）。"""
    with command(locals()) as ctx:
        from lanjie.ledger.accounts import set_password

        lang = ctx.lang
        if not set_password(ctx.ledger(), name, _new_password(password_stdin, lang)):
            raise BadInput("user_not_found", name=name)
        console().print(t("password_changed", lang, name=name), style="green", markup=False)


@user_app.command("remove", cls=Command)
def user_remove(
    name: Annotated[str, typer.Argument(help="用户名", show_default=False)],
    db: Db = None,
    config: Config = None,
    lang: LangOption = None,
) -> None:
    """删除账号（它的登录立即失效；已有记录里的名字不变）。"""
    with command(locals()) as ctx:
        from lanjie.ledger.accounts import remove_user

        if not remove_user(ctx.ledger(), name):
            raise BadInput("user_not_found", name=name)
        console().print(t("user_removed", ctx.lang, name=name), style="green", markup=False)
