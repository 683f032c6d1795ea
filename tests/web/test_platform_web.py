"""The 抖店 connector in the web workbench, against the fake platform over real HTTP, on SQLite and
PostgreSQL: the 店铺 page (connect, sync now, disconnect), the sync line on the workbench, the
push hook, 写入抖店 on the 备注 page and 平台拦截 on a courier's page; one walk in Chromium."""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Dialog, expect, sync_playwright
from sqlalchemy import Engine, select

from exports import NOW
from fakes.doudian import FakeDoudian, push_body
from lanjie.clients.doudian_push import FAIL_BODY, SUCCESS_BODY, push_signature
from lanjie.config import Settings, load_settings
from lanjie.ledger.accounts import add_user
from lanjie.ledger.schema import aftersales, interceptions
from lanjie.model import SHANGHAI
from lanjie.web.app import create_app
from webtools import SECRET, Browser

SHOP = "示例旗舰店"
START = NOW.timestamp()  # 2026-11-26 09:30 Beijing time, on the platform as in the workbench
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def fake() -> Iterator[FakeDoudian]:
    with FakeDoudian(now=START) as running:
        running.seed_after_sales(60, seed=7)
        yield running


def settings_for(fake: FakeDoudian, **more: Any) -> Settings:
    return load_settings(
        doudian_app_key=fake.app_key,
        doudian_app_secret=fake.app_secret,
        doudian_base_url=fake.url,
        secret_key=SECRET,
        **more,
    )


def clock_of(fake: FakeDoudian) -> Callable[[], datetime]:
    """The workbench's clock is the platform's: both move when the test moves the fake's."""
    return lambda: datetime.fromtimestamp(fake.now, tz=SHANGHAI)


def app_for(ledger: Engine, fake: FakeDoudian, *, team: bool = False, background_sync: bool = False) -> FastAPI:
    settings = settings_for(fake)
    clock = clock_of(fake)
    return create_app(
        ledger=ledger, settings=settings, team=team, secret=SECRET, clock=clock, background_sync=background_sync
    )


def as_operator(client: TestClient, name: str = "小王") -> Browser:
    web = Browser(client)
    web.get("/operator")
    assert status(web.post("/operator", {"name": name, "next": "/"})) == 303
    web.get("/")
    return web


@pytest.fixture
def web(ledger: Engine, fake: FakeDoudian) -> Iterator[Browser]:
    with TestClient(app_for(ledger, fake), follow_redirects=False) as client:
        yield as_operator(client)


def text(response: object) -> str:
    return response.text  # type: ignore[attr-defined,no-any-return]


def status(response: object) -> int:
    return response.status_code  # type: ignore[attr-defined,no-any-return]


def connect_and_sync(web: Browser, fake: FakeDoudian) -> None:
    web.get("/shops")
    assert status(web.post("/shops/connect", {"shop_id": str(fake.shop_id), "name": SHOP})) == 303
    web.get("/shops")
    assert status(web.post("/shops/sync", {"name": SHOP})) == 303


def pending_refund_only(fake: FakeDoudian) -> list[str]:
    return [
        key
        for key, item in fake.after_sales.items()
        if item["aftersale_info"]["aftersale_type"] in (1, 2) and item["aftersale_info"]["aftersale_status"] == 6
    ]


def list_calls(fake: FakeDoudian) -> int:
    return sum(1 for r in fake.received if r.path == "afterSale/List")


# --- 店铺: connect, sync now, disconnect; the workbench's sync line


def test_connect_sync_now_and_disconnect_from_the_shops_page(web: Browser, fake: FakeDoudian) -> None:
    page = text(web.get("/shops"))
    assert "还没有连接抖店店铺" in page and "/hooks/doudian" in page and 'href="/shops"' in page
    assert "上次同步" not in text(web.get("/"))  # no shop connected: no sync line
    web.get("/shops")
    both = web.post("/shops/connect", {"shop_id": "1", "code": "x"})
    assert status(both) == 400 and "请填写抖店店铺 ID 或授权 code" in text(both)
    web.get("/shops")
    stranger = web.post("/shops/connect", {"shop_id": "12345", "name": SHOP})
    assert status(stranger) == 502 and "店铺未授权本应用" in text(stranger)
    web.get("/shops")
    done = web.post("/shops/connect", {"shop_id": str(fake.shop_id), "name": SHOP})
    assert status(done) == 303 and done.headers["location"] == "/shops"  # type: ignore[attr-defined]
    page = text(web.get("/shops"))
    assert f"已连接店铺「{SHOP}」（抖店店铺 ID {fake.shop_id}）" in page and "还没同步过" in page
    assert f"{SHOP}：上次同步 还没同步过" in text(web.get("/"))

    assert status(web.post("/shops/sync", {"name": SHOP})) == 303
    wanted = pending_refund_only(fake)
    assert f"「{SHOP}」已同步：取到 {len(wanted)} 条，新增 {len(wanted)}" in text(web.get("/shops"))
    home = text(web.get("/"))
    assert f"{SHOP}：上次同步 11-26 09:30" in home and "同步错误" not in home
    shown = set(re.findall(r'href="/aftersales/\d+/(\d+)"', home))
    assert shown and shown <= set(wanted)

    fake.advance(60)
    fake.ip_whitelisted = False
    web.get("/shops")
    assert status(web.post("/shops/sync", {"name": SHOP})) == 303
    assert "同步失败，台账没有改动" in text(web.get("/shops"))
    home = text(web.get("/"))
    assert "上次同步 11-26 09:30" in home and "同步错误（11-26 09:31）" in home and "白名单" in home
    fake.ip_whitelisted = True

    web.get("/shops")
    assert status(web.post("/shops/disconnect", {"name": SHOP})) == 303
    page = text(web.get("/shops"))
    assert f"已断开店铺「{SHOP}」" in page and "还没有连接抖店店铺" in page
    assert "上次同步" not in text(web.get("/")) and set(re.findall(r'href="/aftersales/\d+/(\d+)"', home)) == shown


def test_the_shops_page_posts_need_the_csrf_token_and_credentials(ledger: Engine, fake: FakeDoudian) -> None:
    with TestClient(app_for(ledger, fake), follow_redirects=False) as client:
        as_operator(client)
        form = {"name": SHOP, "shop_id": "1", "parcel": "1:x", "item": "{}"}
        for url in ("/shops/connect", "/shops/sync", "/shops/disconnect", "/remarks/push", "/couriers/platform"):
            assert status(client.post(url, data=form)) == 403, url
    bare = create_app(ledger=ledger, settings=load_settings(), team=False, secret=SECRET, clock=clock_of(fake))
    with TestClient(bare, follow_redirects=False) as client:
        web = as_operator(client)
        page = text(web.get("/shops"))
        assert "还没有设置抖店应用的 App Key 和 App Secret" in page
        answer = web.post("/shops/connect", {"shop_id": str(fake.shop_id)})
        assert status(answer) == 400 and "App Key" in text(answer)


def test_the_page_speaks_english_when_asked(ledger: Engine, fake: FakeDoudian) -> None:
    app = create_app(
        ledger=ledger, settings=settings_for(fake, lang="en"), team=False, secret=SECRET, clock=clock_of(fake)
    )
    with TestClient(app, follow_redirects=False) as client:
        page = text(as_operator(client).get("/shops"))
        assert "Connect a shop" in page and "No 抖店 shop is connected yet." in page and "连接店铺" not in page


# --- the push hook


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """The app on a real HTTP port, for the platform to push to."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
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


def logistics_of(ledger: Engine, aftersale_id: str) -> str:
    with ledger.connect() as conn:
        query = select(aftersales.c.logistics_raw).where(aftersales.c.aftersale_id == aftersale_id)
        return str(conn.execute(query).scalar_one())


def eventually(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def on_the_road(fake: FakeDoudian) -> list[str]:
    """Pending after-sales whose parcel is on its way (logistics state 0)."""
    return [
        key
        for key in pending_refund_only(fake)
        if [p["logistics_state"] for p in fake.after_sales[key]["aftersale_info"]["order_logistics"]] == [0]
    ]


def set_logistics(fake: FakeDoudian, aftersale_id: str, state: int) -> None:
    fake.after_sales[aftersale_id]["aftersale_info"]["order_logistics"][0]["logistics_state"] = state
    fake.change_after_sale(aftersale_id)


def test_a_push_updates_the_ledger_at_once_and_a_bad_one_is_refused(
    ledger: Engine, fake: FakeDoudian, caplog: pytest.LogCaptureFixture
) -> None:
    app = app_for(ledger, fake)
    with TestClient(app, follow_redirects=False) as client:
        connect_and_sync(as_operator(client), fake)
    first, second, third = on_the_road(fake)[:3]
    hook = ""
    with served(app) as base:
        hook = base + "/hooks/doudian"
        ping = fake.push(hook, [{"tag": "0", "data": {}}])
        assert ping.status_code == 200 and ping.content == SUCCESS_BODY

        set_logistics(fake, first, 2)  # 已签收
        answer = fake.push(hook, [fake.after_sale_message("208", first)])
        assert answer.status_code == 200 and answer.content == SUCCESS_BODY
        assert eventually(lambda: logistics_of(ledger, first) == "已签收")

        set_logistics(fake, second, 1)  # 买家已拒签, pushed as a logistics change of its order
        order = int(fake.after_sales[second]["order_info"]["shop_order_id"])
        answer = fake.push(hook, [{"tag": "104", "data": {"p_id": order, "shop_id": fake.shop_id}}])
        assert answer.status_code == 200 and eventually(lambda: logistics_of(ledger, second) == "买家已拒签")

        before = logistics_of(ledger, third)
        set_logistics(fake, third, 2)
        details = sum(1 for r in fake.received if r.path == "afterSale/Detail")
        caplog.set_level(logging.WARNING, logger="lanjie.platform")
        forged = fake.push(hook, [fake.after_sale_message("208", third)], sign_ok=False)
        assert forged.status_code == 403 and forged.content == FAIL_BODY
        other_app = fake.push(hook, [fake.after_sale_message("208", third)], app_id="another-app")
        assert other_app.status_code == 403 and other_app.content == FAIL_BODY
        time.sleep(0.2)
        assert logistics_of(ledger, third) == before
        assert sum(1 for r in fake.received if r.path == "afterSale/Detail") == details
    refusals = [r.getMessage() for r in caplog.records if "refused a push" in r.getMessage()]
    assert len(refusals) == 2 and all(third not in line and "msg_id" not in line for line in refusals)
    assert "PushBadSignature" in refusals[0] and "PushWrongApp" in refusals[1]


def signed(fake: FakeDoudian, messages: list[dict[str, object]]) -> tuple[bytes, dict[str, str]]:
    body = push_body(messages)
    return body, {"app-id": fake.app_key, "event-sign": push_signature(fake.app_key, fake.app_secret, body)}


def test_the_hook_needs_no_login_but_its_signature(ledger: Engine, fake: FakeDoudian) -> None:
    add_user(ledger, "小李", "a long enough password", now=clock_of(fake)())
    with TestClient(app_for(ledger, fake, team=True), follow_redirects=False) as client:
        body, headers = signed(fake, [{"tag": "0", "data": {}}])
        answer = client.post("/hooks/doudian", content=body, headers=headers)
        assert answer.status_code == 200 and answer.content == SUCCESS_BODY
        assert "set-cookie" not in answer.headers
        headers["event-sign"] = "0" * 32
        assert client.post("/hooks/doudian", content=body, headers=headers).status_code == 403
        garbled = b"not json"
        headers["event-sign"] = push_signature(fake.app_key, fake.app_secret, garbled)
        assert client.post("/hooks/doudian", content=garbled, headers=headers).status_code == 400
        assert client.post("/shops/sync", data={"name": SHOP}).status_code == 401  # the rest still asks for a login


# --- 写入抖店 and 平台拦截


def push_items(page: str) -> list[str]:
    form = page.split('id="remark-push-form"')[1].split("</form>")[0]
    return re.findall(r"name=\"item\" value='([^']+)'", form)


def test_write_remarks_into_doudian_once(ledger: Engine, fake: FakeDoudian) -> None:
    app = app_for(ledger, fake)
    with TestClient(app, follow_redirects=False) as one, TestClient(app, follow_redirects=False) as two:
        wang, li = as_operator(one, "小王"), as_operator(two, "小李")
        connect_and_sync(wang, fake)
        page = text(wang.get("/remarks"))
        assert "写入抖店" in page and 'data-confirm="把这' in page
        items = push_items(page)
        li.get("/remarks")
        assert len(items) >= 2
        start = threading.Barrier(2)
        answers: list[str] = []

        def press(operator: Browser) -> None:
            start.wait()
            sent = operator.post("/remarks/push", {"item": items}, headers={"HX-Request": "true"})
            answers.append(text(sent))

        both = [threading.Thread(target=press, args=(b,)) for b in (wang, li)]
        for worker in both:
            worker.start()
        for worker in both:
            worker.join()
        written = [int(m) for a in answers for m in re.findall(r"已写进抖店 (\d+) 条备注", a)]
        assert sum(written) == len(items) and "<html" not in answers[0]
        assert set(fake.remark_calls.values()) == {1} and len(fake.remark_calls) == len(items)
        again = text(wang.post("/remarks/push", {"item": items}))
        assert "已写进抖店 0 条备注" in again and f"{len(items)} 条备注已经写过了" in again and "<html" in again
        assert set(fake.remark_calls.values()) == {1}
        remaining = text(wang.get("/remarks"))
        assert not any(item in remaining for item in items)  # written: off the list


def test_a_remark_the_platform_refuses_says_why(web: Browser, fake: FakeDoudian) -> None:
    connect_and_sync(web, fake)
    items = push_items(text(web.get("/remarks")))
    order_id = json.loads(items[0])["order_id"]
    for key in [k for k, i in fake.after_sales.items() if i["order_info"]["shop_order_id"] == order_id]:
        del fake.after_sales[key]  # the order is gone on the platform: it refuses the remark
    answer = text(web.post("/remarks/push", {"item": items[:1]}, headers={"HX-Request": "true"}))
    assert "已写进抖店 0 条备注" in answer and f"订单 {order_id} 的备注抖店没有接受：订单不存在" in answer
    assert json.loads(items[0])["order_key"] in text(web.get("/remarks"))  # still to be written


def courier_with_two(web: Browser) -> tuple[str, list[str]]:
    home = text(web.get("/couriers"))
    for code in re.findall(r'href="/couriers/([a-z]+)\?bucket=intercept"', home):
        page = text(web.get(f"/couriers/{code}"))
        if 'class="inline platform-intercept"' in page:
            form = page.split('class="inline platform-intercept"')[1].split("</form>")[0]
            parcels = re.findall(r'name="parcel" value="([^"]+)"', form)
            if len(parcels) >= 2:
                return code, parcels
    raise AssertionError("no courier list with two parcels")


def test_platform_intercept_takes_the_accepted_off_the_list_and_says_why_not(
    web: Browser, fake: FakeDoudian, ledger: Engine
) -> None:
    connect_and_sync(web, fake)
    code, parcels = courier_with_two(web)
    accepted, refused = parcels[0], parcels[1]
    fake.set_intercept(refused.split(":")[1], "refused", "已签收，无法拦截")
    page = text(web.get(f"/couriers/{code}"))
    assert "平台拦截" in page and "平台拦截会向店铺收费" in page
    answer = web.post(
        "/couriers/platform", {"parcel": [accepted, refused], "code": code}, headers={"HX-Request": "true"}
    )
    said = text(answer)
    assert status(answer) == 200 and "<html" not in said
    assert "平台已受理 1 个包裹的拦截（费用共 ¥3.00）" in said
    assert f"{refused.split(':')[1]}：平台不能拦截（已签收，无法拦截）" in said
    after = text(web.get(f"/couriers/{code}"))
    assert f'value="{accepted}"' not in after and f'value="{refused}"' in after
    assert [number for _, number in fake.intercepted] == [accepted.split(":")[1]]
    with ledger.connect() as conn:
        assert conn.execute(select(interceptions.c.tracking_no)).scalars().all() == [accepted.split(":")[1]]
    again = text(web.post("/couriers/platform", {"parcel": [accepted], "code": code}))
    assert "已不在「拦截」清单里" in again and "<html" in again and f"/couriers/{code}?bucket=intercept" in again
    assert len(fake.intercepted) == 1


def test_no_platform_buttons_without_a_connected_shop(web: Browser, fake: FakeDoudian) -> None:
    connect_and_sync(web, fake)
    web.get("/shops")
    web.post("/shops/disconnect", {"name": SHOP})
    assert "写入抖店" not in text(web.get("/remarks")) and "platform-intercept" not in text(web.get("/couriers"))


# --- background sync in the app's lifespan


def test_the_background_sync_runs_only_when_asked(ledger: Engine, fake: FakeDoudian) -> None:
    assert app_for(ledger, fake).state.syncer is None
    app = app_for(ledger, fake, background_sync=True)
    with TestClient(app):
        assert app.state.syncer.running
    assert not app.state.syncer.running
    bare = create_app(ledger=ledger, settings=load_settings(), team=False, secret=SECRET, background_sync=True)
    assert bare.state.syncer is None  # no credentials: nothing to sync with


# --- one walk in Chromium: connect, sync, 平台拦截 asks first


def test_the_shops_page_and_platform_intercept_in_a_browser(ledger: Engine, fake: FakeDoudian) -> None:
    app = app_for(ledger, fake)
    problems: list[str] = []
    with served(app) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_context(locale="zh-CN").new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.goto(base + "/operator")
            page.fill("input[name=name]", "小王")
            page.click("button.primary")
            page.click("header.top nav a[href='/shops']")
            page.fill("input[name=shop_id]", str(fake.shop_id))
            page.fill("form.connect input[name=name]", SHOP)
            page.click("form.connect button.primary")
            expect(page.locator(".flash")).to_contain_text(f"已连接店铺「{SHOP}」")
            page.click("button.sync-now")
            expect(page.locator(".flash")).to_contain_text("已同步")
            page.goto(base + "/couriers")
            answers: list[bool] = [False, True]

            def decide(dialog: Dialog) -> None:
                assert "平台拦截会向店铺收费" in dialog.message
                if answers.pop(0):
                    dialog.accept()
                else:
                    dialog.dismiss()

            page.on("dialog", decide)
            page.locator("button.platform").first.click()
            page.wait_for_timeout(300)
            assert fake.intercepted == [] and not any(r.path.endswith("Intercept") for r in fake.received)
            page.locator("button.platform").first.click()
            expect(page.locator(".platform-lines")).to_contain_text("平台已受理")
            assert fake.intercepted
        finally:
            browser.close()
    assert [p for p in problems if "Content Security Policy" in p] == []
