"""A team on two real `lanjie serve` processes sharing one PostgreSQL ledger and one secret key
(as behind a reverse proxy): a login made on one works on the other, a form from one posts on
the other, logging out on one ends the session on both, and failed logins are counted across
both (in the ledger, none lost when several count at once)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import Engine, func, select

from databases import create_database, drop_database
from exports import NOW, aftersale, run_cli, write_xlsx
from lanjie.ledger.accounts import FAILURES_KEPT, MAX_WAIT, LoginThrottle, add_user
from lanjie.ledger.database import open_ledger
from lanjie.ledger.schema import interceptions, login_failures

PASSWORD = "correct horse battery"
SECRET = "team-secret-" + "k" * 40
ZTO = ["73610555582881", "73610555582882", "73610555582883"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(url: str) -> Iterator[str]:
    """One `lanjie serve` process on the shared ledger and secret; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "lanjie", "serve", "--port", str(port)],
        env={**os.environ, "LANJIE_DATABASE_URL": url, "LANJIE_SECRET_KEY": SECRET},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(process.communicate()[1]) from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.communicate(timeout=20)


@pytest.fixture
def shared_ledger() -> Iterator[Engine]:
    """A fresh PostgreSQL ledger of its own (the servers hold connections to it till the end)."""
    url = create_database()
    engine = open_ledger(url)
    yield engine
    engine.dispose()
    drop_database(url)


@pytest.fixture
def ledger_url(shared_ledger: Engine, tmp_path: Path) -> str:
    """The ledger holding one account and three 中通 parcels to intercept."""
    url = shared_ledger.url.render_as_string(hide_password=False)
    add_user(shared_ledger, "小李", PASSWORD, now=NOW)
    rows = [aftersale(售后单号=f"10{i}", 订单号=f"20{i}", 发货物流单号=n) for i, n in enumerate(ZTO)]
    export = write_xlsx(tmp_path / "售后单导出-2026-11-26-09-30-00.xlsx", rows)
    imported = run_cli(
        "import", export, "--now", NOW.isoformat(), "--partners", "zhongtong", env={"LANJIE_DATABASE_URL": url}
    )
    assert imported.returncode == 0, imported.stderr
    return url


@pytest.fixture
def servers(ledger_url: str) -> Iterator[tuple[str, str]]:
    with ExitStack() as stack:
        yield stack.enter_context(serving(ledger_url)), stack.enter_context(serving(ledger_url))


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def login(client: httpx.Client, password: str = PASSWORD) -> httpx.Response:
    csrf = csrf_of(client.get("/login").text)
    return client.post("/login", data={"csrf": csrf, "name": "小李", "password": password, "next": "/"})


def on(server: str, client: httpx.Client) -> httpx.Client:
    """Another process, the same browser: its cookies go along."""
    return httpx.Client(base_url=server, cookies=client.cookies)


def test_a_login_on_one_process_works_on_the_other(servers: tuple[str, str], shared_ledger: Engine) -> None:
    a, b = servers
    with httpx.Client(base_url=a) as on_a:
        assert login(on_a).status_code == 303
        page = on_a.get("/couriers/zhongtong")
        assert page.status_code == 200 and "小李" in page.text
        form = {"csrf": csrf_of(page.text), "parcel": re.findall(r'name="parcel" value="([^"]+)"', page.text)}
        assert len(form["parcel"]) == len(ZTO)
        with on(b, on_a) as on_b:
            assert on_b.get("/remarks").status_code == 200  # A's session cookie
            forged = on_b.post("/couriers/sent", data={**form, "csrf": "forged"})
            assert forged.status_code == 403 and "页面已过期" in forged.text  # B does check the token
            sent = on_b.post("/couriers/sent", data={**form, "code": "zhongtong"})  # A's form, posted on B
            assert sent.status_code == 303, sent.text
        logged_in = on_a.cookies["lanjie_session"]
        assert on_a.post("/logout", data={"csrf": csrf_of(on_a.get("/remarks").text)}).status_code == 303
    with httpx.Client(base_url=b, cookies={"lanjie_session": logged_in}) as replay:  # the cookie from before the logout
        assert replay.get("/remarks").headers["location"] == "/login?next=/remarks"
        refused = replay.post("/couriers/sent", data=form)
        assert refused.status_code == 401 and "请先登录" in refused.text
    with shared_ledger.connect() as conn:
        recorded = conn.execute(select(interceptions.c.tracking_no, interceptions.c.requested_by)).all()
    assert sorted(recorded) == [(n, "小李") for n in ZTO]


def test_failed_logins_are_counted_across_processes(servers: tuple[str, str]) -> None:
    """Kept apart, A would count 4 failures and B 1: B would never throttle, and A would still
    throttle after the success on B."""
    a, b = servers
    with httpx.Client(base_url=a) as on_a, httpx.Client(base_url=b) as on_b:
        assert [login(on_a, "wrong password").status_code for _ in range(3)] == [401] * 3
        time.sleep(1.0)  # the wait after 3 failures: 1 s
        assert login(on_b, "wrong password").status_code == 401  # the 4th failure: 2 s to wait
        time.sleep(2.0)
        assert login(on_a, "wrong password").status_code == 401  # the 5th failure: 4 s to wait
        throttled = login(on_b)  # the right password, on B, but too soon after A's failure
        assert throttled.status_code == 429 and re.search(r"请 \d+ 秒后再试", throttled.text)
        time.sleep(4.0)
        assert login(on_b).status_code == 303  # and the success on B cleared them for A too
        assert [login(on_a, "wrong password").status_code for _ in range(3)] == [401] * 3


def test_failures_at_the_same_moment_are_all_counted(shared_ledger: Engine) -> None:
    """Servers counting failures at once (threads here, each with its own connection) lose none."""
    throttles = [LoginThrottle(shared_ledger) for _ in range(8)]
    with ThreadPoolExecutor(len(throttles)) as pool:
        for _ in range(5):
            list(pool.map(lambda throttle: throttle.failed("192.0.2.66", "小李", now=NOW), throttles))
    with shared_ledger.connect() as conn:
        assert conn.execute(select(login_failures.c.failures)).scalars().all() == [40, 40]
    assert throttles[0].wait("192.0.2.66", "小李", now=NOW) == MAX_WAIT
    assert throttles[0].wait("192.0.2.10", "小李", now=NOW) == timedelta(0)  # another computer: free


def test_old_failures_are_forgotten_and_a_success_clears_its_own(shared_ledger: Engine) -> None:
    throttle = LoginThrottle(shared_ledger)
    throttle.failed("192.0.2.66", "小李", now=NOW)
    throttle.failed("192.0.2.10", "小王", now=NOW)
    throttle.failed("192.0.2.20", "小张", now=NOW + FAILURES_KEPT + timedelta(seconds=1))  # forgets the first two
    throttle.succeeded("192.0.2.20", "小张")
    with shared_ledger.connect() as conn:
        assert conn.execute(select(func.count()).select_from(login_failures)).scalar_one() == 0
