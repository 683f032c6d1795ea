"""Team mode: accounts, logins that slow down after failures, and `lanjie serve` refusing to go
on the network without accounts."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import Engine, select

from exports import run_cli
from lanjie.ledger.accounts import add_user, wait_before_next_try
from lanjie.ledger.schema import users
from webtools import Browser, Clock, make_app


def login(web: Browser, name: str, password: str, next_page: str = "/") -> object:
    web.get("/login")
    return web.post("/login", {"name": name, "password": password, "next": next_page})


def test_login_required_and_logout(ledger: Engine, clock: Clock) -> None:
    add_user(ledger, "小李", "correct horse battery", now=clock())
    with make_app(ledger, clock, team=True) as client:
        web = Browser(client)
        assert client.get("/remarks").headers["location"] == "/login?next=/remarks"
        assert client.get("/operator").headers["location"].startswith("/login")
        response = login(web, "小李", "correct horse battery", "/remarks")
        assert response.status_code == 303 and response.headers["location"] == "/remarks"
        page = web.get("/remarks")
        assert page.status_code == 200 and "小李" in page.text
        assert web.post("/logout").headers["location"] == "/login"
        assert client.get("/").status_code == 303


def test_wrong_passwords_get_one_message_and_then_a_wait(ledger: Engine, clock: Clock) -> None:
    add_user(ledger, "小李", "correct horse battery", now=clock())
    with make_app(ledger, clock, team=True) as client:
        web = Browser(client)
        unknown = login(web, "nobody", "whatever1")
        wrong = login(web, "小李", "wrong password")
        assert unknown.status_code == wrong.status_code == 401
        assert "用户名或密码不对" in unknown.text and "用户名或密码不对" in wrong.text
        for _ in range(2):
            login(web, "小李", "wrong password")
        throttled = login(web, "小李", "correct horse battery")  # right, but too soon after 3 failures
        assert throttled.status_code == 429 and re.search(r"请 \d+ 秒后再试", throttled.text)
        clock.moment += wait_before_next_try(3) + timedelta(seconds=1)
        assert login(web, "小李", "correct horse battery").status_code == 303
    with ledger.connect() as conn:
        assert conn.execute(select(users.c.failed_logins)).scalar_one() == 0


def test_waits_double_and_are_capped() -> None:
    assert wait_before_next_try(2) == timedelta(0)
    assert [wait_before_next_try(n).total_seconds() for n in (3, 4, 5)] == [1, 2, 4]
    assert wait_before_next_try(40) == timedelta(minutes=15)


def test_passwords_are_stored_as_argon2id(ledger: Engine, clock: Clock) -> None:
    add_user(ledger, "小李", "correct horse battery", now=clock())
    with ledger.connect() as conn:
        stored = conn.execute(select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and "correct" not in stored


def test_user_commands_and_serve_refusing_the_network_without_accounts(ledger_url: str) -> None:
    env = {"LANJIE_DATABASE_URL": ledger_url}
    refused = run_cli("serve", "--host", "0.0.0.0", "--port", "8799", env=env)
    assert refused.returncode == 2 and "lanjie user add" in refused.stderr
    short = run_cli("user", "add", "小李", "--password-stdin", env=env, stdin="short\n")
    assert short.returncode == 2 and "至少要 8 位" in short.stderr
    added = run_cli("user", "add", "小李", "--password-stdin", env=env, stdin="correct horse battery\n")
    assert added.returncode == 0, added.stderr
    again = run_cli("user", "add", "小李", "--password-stdin", env=env, stdin="correct horse battery\n")
    assert again.returncode == 2 and "已经有叫「小李」的账号" in again.stderr
    assert run_cli("user", "list", env=env).stdout.split() == ["小李"]
    assert run_cli("user", "remove", "小李", env=env).returncode == 0
    assert run_cli("user", "remove", "小李", env=env).returncode == 2
