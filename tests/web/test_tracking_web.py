"""快递100 tracking and the chat robots in the web workbench, against the fake 快递100 and the fake
robots over real local HTTP, on SQLite and PostgreSQL: each parcel's latest route line on the courier
and detail pages, 刷新物流 running in the background while the page reports it, the freshness line,
发到群 (all parts accepted: recorded; the third refused: nothing recorded, the page says what went
out), and /hooks/kuaidi100 through the real app."""

from __future__ import annotations

import html
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Dialog, expect, sync_playwright
from sqlalchemy import Engine, select

from exports import aftersale, write_xlsx
from fakes.kuaidi100 import FakeKuaidi100, callback_form
from fakes.robots import FakeRobots
from lanjie.clients.kuaidi100 import CALLBACK_OK, CALLBACK_REJECTED, Kuaidi100Client
from lanjie.clients.robots import RobotSender
from lanjie.config import Settings, load_settings
from lanjie.delivery.kuaidi100_intercept import callback_salt, callback_url, intercept_client, intercept_with_kuaidi100
from lanjie.ledger.accounts import add_user
from lanjie.ledger.schema import interceptions
from lanjie.ledger.worklist import listed_refs, resolve_shops
from lanjie.model import SHANGHAI, Bucket
from lanjie.pipeline import analyse_ledger, import_and_analyse
from lanjie.web.app import create_app
from lanjie.web.tracking import Services
from webtools import Browser

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=SHANGHAI)
SECRET = "a-server-secret-of-enough-length-for-lanjie-0123456789"
PHONE = "13800001234"
CHROMIUM = "/usr/bin/chromium"
ZTO = ["73610555582881", "73610555582882", "73610555582883"]
UNTRACKED = "73610555582884"  # 快递100 has nothing on it: its query fails
ROUTES = {
    ZTO[0]: ("2026-11-26 08:00:00", "【杭州】快件已发往 北京"),
    ZTO[1]: ("2026-11-26 07:10:00", "【上海】已揽收"),
    ZTO[2]: ("2026-11-26 06:20:00", "【广州】运输中"),
}


@pytest.fixture
def fake() -> Iterator[FakeKuaidi100]:
    with FakeKuaidi100(now=NOW.timestamp()) as running:
        for number, line in ROUTES.items():
            running.track(number, "zhongtong", "0", [line], phone=PHONE)
        yield running


@pytest.fixture
def robots() -> Iterator[FakeRobots]:
    with FakeRobots(now=NOW.timestamp()) as running:
        yield running


def settings_for(fake: FakeKuaidi100, **more: Any) -> Settings:
    values: dict[str, Any] = {
        "partners": "zhongtong",
        "secret_key": SECRET,
        "kuaidi100_customer": fake.customer,
        "kuaidi100_key": fake.key,
        "kuaidi100_secret": fake.secret,
        "kuaidi100_base_url": fake.url,
        "kuaidi100_api_url": fake.url,
        "kuaidi100_phone": PHONE,
    }
    return load_settings(**(values | more))


def clock_of(fake: FakeKuaidi100) -> Callable[[], datetime]:
    """The workbench's clock is 快递100's: both move when the test moves the fake's."""
    return lambda: datetime.fromtimestamp(fake.now, tz=SHANGHAI)


def services_for(
    fake: FakeKuaidi100, robots: FakeRobots | None = None, gate: threading.Event | None = None
) -> Services:
    """The fakes, their clocks, and sleeps that only move the fake robots' clock (nothing waits for real).
    With a gate, every refresh waits for it before its first query."""

    def kuaidi100(settings: Settings) -> Kuaidi100Client:
        if gate is not None:
            assert gate.wait(20), "the test never opened the gate"
        return Kuaidi100Client(
            fake.customer, fake.key, base_url=fake.url, clock=fake.clock, sleep=lambda _: None, retries=0
        )

    def sender() -> RobotSender:
        assert robots is not None
        return RobotSender(clock=robots.clock, sleep=robots.advance)

    return Services(kuaidi100=kuaidi100, robots=sender, pace=lambda _: None)


def app_for(ledger: Engine, settings: Settings, fake: FakeKuaidi100, services: Services, **options: Any) -> FastAPI:
    return create_app(
        ledger=ledger, settings=settings, team=False, secret=SECRET, clock=clock_of(fake), services=services, **options
    )


def imported(ledger: Engine, tmp_path: Path, settings: Settings, numbers: list[str]) -> None:
    rows = [aftersale(售后单号=f"10{i:03d}", 发货物流单号=n) for i, n in enumerate(numbers, 1)]
    path = write_xlsx(tmp_path / "售后单导出-2026-11-26-09-30-00.xlsx", rows)
    import_and_analyse([path], settings=settings, now=NOW, ledger=ledger)


def as_operator(client: TestClient, name: str = "小王") -> Browser:
    web = Browser(client)
    web.get("/operator")
    assert status(web.post("/operator", {"name": name, "next": "/"})) == 303
    web.get("/")
    return web


def text(response: object) -> str:
    return response.text  # type: ignore[attr-defined,no-any-return]


def status(response: object) -> int:
    return response.status_code  # type: ignore[attr-defined,no-any-return]


def location(response: object) -> str:
    return response.headers["location"]  # type: ignore[attr-defined,no-any-return]


def detail_url(page: str, aftersale_id: str) -> str:
    match = re.search(rf'href="(/aftersales/\d+/{aftersale_id})"', page)
    assert match, f"the workbench links after-sale {aftersale_id}"
    return match.group(1)


def requests(ledger: Engine) -> list[tuple[str, str]]:
    with ledger.connect() as conn:
        return [(r.tracking_no, r.via) for r in conn.execute(select(interceptions.c.tracking_no, interceptions.c.via))]


# --- route lines, 刷新物流, freshness


def test_refresh_shows_each_parcels_route_line_on_the_courier_and_detail_pages(
    ledger: Engine, tmp_path: Path, fake: FakeKuaidi100
) -> None:
    settings = settings_for(fake)
    imported(ledger, tmp_path, settings, [*ZTO, UNTRACKED])
    app = app_for(ledger, settings, fake, services_for(fake))
    with TestClient(app, follow_redirects=False) as client:
        web = as_operator(client)
        home = text(web.get("/"))
        assert "还没有查过物流" in home and "刷新物流" in home and "物流更新于" not in home
        before = text(web.get("/couriers/zhongtong"))
        assert 'class="routes"' not in before and "刷新物流" in before and ROUTES[ZTO[0]][1] not in before

        answer = web.post("/tracking/refresh", {"next": "/couriers/zhongtong?bucket=intercept"})
        assert status(answer) == 303 and location(answer) == "/couriers/zhongtong?bucket=intercept"
        app.state.tracking.wait(20)

        page = text(web.get("/couriers/zhongtong"))
        routes = page.split('<ul class="routes"')[1].split("</ul>")[0]
        for number, (at, line) in ROUTES.items():
            shown = re.search(rf"{number}</span> <span class=\"route-at nowrap\">([^<]+)</span>.*?{line}", routes, re.S)
            assert shown and shown.group(1) == at[5:16], number
        assert f'{UNTRACKED}</span> <span class="route-error sub">上次查询失败：' in routes  # shown, discreetly
        home = text(web.get("/"))
        assert "物流更新于 11-26 09:30" in home and "还没有查过物流" not in home
        assert "✓ 物流已刷新（11-26 09:30，小王）：有待办的包裹 4 个，这次查询 4 个" in home
        assert "得到 3 个结果" in home and "1 个单号查询失败" in home
        detail = text(web.get(detail_url(home, "10001")))
        assert "最新物流" in detail and "11-26 08:00" in detail and ROUTES[ZTO[0]][1] in detail
    assert set(fake.queries.values()) == {1} and len(fake.queries) == 4


def test_refresh_runs_in_the_background_once_per_ledger_and_the_page_reports_it(
    ledger: Engine, tmp_path: Path, fake: FakeKuaidi100
) -> None:
    settings = settings_for(fake)
    imported(ledger, tmp_path, settings, ZTO)
    gate = threading.Event()
    one = app_for(ledger, settings, fake, services_for(fake, gate=gate))
    other = app_for(ledger, settings, fake, services_for(fake, gate=gate))  # a second server on the ledger
    try:
        with TestClient(one, follow_redirects=False) as first, TestClient(other, follow_redirects=False) as second:
            wang, li = as_operator(first, "小王"), as_operator(second, "小李")
            box = text(wang.post("/tracking/refresh", {"next": "/"}, headers={"HX-Request": "true"}))
            assert "<html" not in box and 'id="tracking"' in box  # the box, answered at once: the run waits
            assert "小王 正在刷新物流（11-26 09:30 开始）" in box and 'hx-get="/tracking/status?next=/"' in box
            assert "track-refresh" not in box  # no button while it runs
            polled = text(wang.get("/tracking/status?next=/", headers={"HX-Request": "true"}))
            assert "小王 正在刷新物流" in polled and 'hx-trigger="load delay:2s"' in polled
            assert "小王 正在刷新物流" in text(wang.get("/couriers/zhongtong"))  # and on the next page load
            elsewhere = text(li.post("/tracking/refresh", {"next": "/"}, headers={"HX-Request": "true"}))
            assert "小王 正在刷新物流（11-26 09:30 开始）" in elsewhere  # one at a time for the ledger
            assert fake.queries == {}
            gate.set()
            one.state.tracking.wait(20)
            other.state.tracking.wait(20)
            done = text(wang.get("/tracking/status?next=/", headers={"HX-Request": "true"}))
            assert "✓ 物流已刷新（11-26 09:30，小王）：有待办的包裹 3 个，这次查询 3 个" in done
            assert "hx-get" not in done and "track-refresh" in done
            assert "正在刷新物流" not in text(li.get("/"))  # the other server sees it over
    finally:
        gate.set()
    assert set(fake.queries.values()) == {1} and len(fake.queries) == 3  # asked once, by one run


def test_freshness_and_the_button_only_with_kuaidi100_credentials(ledger: Engine, fake: FakeKuaidi100) -> None:
    bare = create_app(ledger=ledger, settings=load_settings(), team=False, secret=SECRET, clock=clock_of(fake))
    with TestClient(bare, follow_redirects=False) as client:
        web = as_operator(client)
        home = text(web.get("/"))
        assert "刷新物流" not in home and "物流更新于" not in home and "还没有查过物流" not in home
        refused = web.post("/tracking/refresh", {"next": "/"})
        assert status(refused) == 400 and "还没有设置快递100的账号" in text(refused)
    app = app_for(ledger, settings_for(fake), fake, services_for(fake))
    with TestClient(app, follow_redirects=False) as client:
        as_operator(client)
        assert status(client.post("/tracking/refresh", data={"next": "/"})) == 403  # no CSRF token
        assert app.state.tracking.status() is None and fake.queries == {}


# --- 发到群


def zto(count: int) -> list[str]:
    return [f"73620{i:09d}" for i in range(1, count + 1)]


def page_messages(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<pre class="message-text" id="text-\d+">(.*?)</pre>', page, re.S)]


def test_post_to_group_sends_the_pages_messages_and_records_them(
    ledger: Engine, tmp_path: Path, fake: FakeKuaidi100, robots: FakeRobots
) -> None:
    group = robots.add("wecom")
    settings = settings_for(fake, robots={"中通": group.url}, chunk_size=50)
    numbers = zto(120)
    imported(ledger, tmp_path, settings, numbers)
    app = app_for(ledger, settings, fake, services_for(fake, robots))
    with TestClient(app, follow_redirects=False) as client:
        web = as_operator(client)
        page = text(web.get("/couriers/zhongtong"))
        assert "发到群" in page and 'class="copy"' in page
        asked = "用企业微信群机器人把中通的 120 个单号（3 条消息）发到群里？全部发出后记为「已发拦截」。"
        assert f'data-confirm="{asked}"' in page
        shown = page_messages(page)
        assert len(shown) == 3
        answer = web.post("/couriers/chat", {"bucket": "intercept", "code": "zhongtong"})
        assert status(answer) == 303 and location(answer) == "/couriers?bucket=intercept"
        after = text(web.get(location(answer)))
        assert "✓ 已发到中通的群（共 3 条消息），120 个单号记为「已发拦截」，操作人 小王。" in after
        assert "发到群" not in after  # nothing left on the list
    assert group.messages == shown  # exactly what the page (and the .txt) holds
    assert sorted(requests(ledger)) == sorted((n, "chat") for n in numbers)


def test_a_robot_refusing_the_third_part_leaves_the_list_unrecorded_and_the_page_says_so(
    ledger: Engine, tmp_path: Path, fake: FakeKuaidi100, robots: FakeRobots
) -> None:
    group = robots.add("wecom")
    group.fail_on = {3}
    settings = settings_for(fake, robots={"zhongtong": group.url}, chunk_size=50)
    imported(ledger, tmp_path, settings, zto(120))
    app = app_for(ledger, settings, fake, services_for(fake, robots))
    with TestClient(app, follow_redirects=False) as client:
        web = as_operator(client)
        web.get("/couriers/zhongtong")
        answer = web.post(
            "/couriers/chat", {"bucket": "intercept", "code": "zhongtong"}, headers={"HX-Request": "true"}
        )
        said = text(answer)
        assert status(answer) == 200 and "<html" not in said and 'id="chat"' in said
        assert "共 3 条消息，第 1–2 条已发到中通的群，第 3 条没有发出" in said and "这次没有记录任何单号" in said
        assert "HX-Redirect" not in answer.headers  # type: ignore[attr-defined]
        assert "中通 共 120 个单号" in text(web.get("/couriers/zhongtong"))  # all still to send
    assert len(group.messages) == 2 and requests(ledger) == []


def test_a_plain_wechat_group_keeps_only_the_copy_button(ledger: Engine, tmp_path: Path, fake: FakeKuaidi100) -> None:
    settings = settings_for(fake)
    imported(ledger, tmp_path, settings, ZTO)
    with TestClient(app_for(ledger, settings, fake, services_for(fake)), follow_redirects=False) as client:
        web = as_operator(client)
        page = text(web.get("/couriers/zhongtong"))
        assert 'class="copy"' in page and "发到群" not in page
        refused = web.post("/couriers/chat", {"bucket": "intercept", "code": "zhongtong"})
        assert status(refused) == 400 and "没有设置群机器人" in text(refused)
    assert requests(ledger) == []


# --- /hooks/kuaidi100 through the real app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(app: FastAPI, port: int) -> Iterator[str]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def post_form(url: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
    body = urlencode(form).encode("utf-8")
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def outcomes(ledger: Engine) -> dict[str, str]:
    with ledger.connect() as conn:
        rows = conn.execute(select(interceptions.c.tracking_no, interceptions.c.outcome))
        return {r.tracking_no: r.outcome for r in rows}


def test_the_kuaidi100_hook_records_a_signed_result_and_refuses_a_bad_signature(
    ledger: Engine, tmp_path: Path, fake: FakeKuaidi100
) -> None:
    port = free_port()
    settings = settings_for(fake, public_url=f"http://127.0.0.1:{port}")
    imported(ledger, tmp_path, settings, ZTO)
    add_user(ledger, "小李", "a long enough password", now=NOW)  # team mode: the hook still needs no login
    analysis = analyse_ledger(ledger, settings=settings, now=NOW)
    refs = listed_refs(analysis, resolve_shops(ledger, []), Bucket.INTERCEPT, frozenset({"zhongtong"}))
    with intercept_client(settings) as client:
        asked = intercept_with_kuaidi100(
            ledger,
            client,
            refs[:2],
            callback_url=callback_url(settings),
            salt=callback_salt(settings),
            operator="小王",
            now=NOW,
        )
    assert len(asked.requested) == 2 and set(outcomes(ledger).values()) == {"pending"}
    app = create_app(ledger=ledger, settings=settings, team=True, secret=SECRET, clock=clock_of(fake))
    with served(app, port) as base:
        assert fake.deliver_callbacks() == [CALLBACK_OK, CALLBACK_OK]
        content = {"kuaidicom": "zhongtong", "kuaidinum": refs[2].tracking_no, "status": "1", "message": "拦截成功"}
        forged = post_form(base + "/hooks/kuaidi100", callback_form(content, "another-salt"))
        assert forged == (400, CALLBACK_REJECTED)
    done = outcomes(ledger)
    assert done == {refs[0].tracking_no: "success", refs[1].tracking_no: "success"}


# --- one walk in Chromium: 刷新物流 polls until it finished; 发到群 asks first


def test_refresh_and_post_to_group_in_a_browser(
    ledger: Engine, tmp_path: Path, fake: FakeKuaidi100, robots: FakeRobots
) -> None:
    group = robots.add("wecom")
    settings = settings_for(fake, robots={"zhongtong": group.url})
    imported(ledger, tmp_path, settings, ZTO)
    gate = threading.Event()
    app = app_for(ledger, settings, fake, services_for(fake, robots, gate=gate))
    problems: list[str] = []
    try:
        with served(app, free_port()) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            try:
                page = browser.new_context(locale="zh-CN").new_page()
                page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
                page.goto(base + "/operator")
                page.fill("input[name=name]", "小王")
                page.click("button.primary")
                expect(page.locator("#tracking")).to_contain_text("还没有查过物流")
                page.click("button.track-refresh")
                expect(page.locator("#tracking")).to_contain_text("小王 正在刷新物流")
                gate.set()
                expect(page.locator("#tracking")).to_contain_text("✓ 物流已刷新", timeout=10_000)
                expect(page.locator("#tracking")).to_contain_text("物流更新于 11-26 09:30")

                page.goto(base + "/couriers/zhongtong")
                expect(page.locator("ul.routes")).to_contain_text(ROUTES[ZTO[0]][1])
                answers = [False, True]

                def decide(dialog: Dialog) -> None:
                    assert "用企业微信群机器人把中通的 3 个单号（1 条消息）发到群里？" in dialog.message
                    if answers.pop(0):
                        dialog.accept()
                    else:
                        dialog.dismiss()

                page.on("dialog", decide)
                page.click("button.chat-send")
                page.wait_for_timeout(300)
                assert group.messages == []
                page.click("button.chat-send")
                sent = "✓ 已发到中通的群（共 1 条消息），3 个单号记为「已发拦截」"
                expect(page.locator(".flash")).to_contain_text(sent)
            finally:
                browser.close()
    finally:
        gate.set()
    assert len(group.messages) == 1 and sorted(requests(ledger)) == [(n, "chat") for n in ZTO]
    assert [p for p in problems if "Content Security Policy" in p] == []
