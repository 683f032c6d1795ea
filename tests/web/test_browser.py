"""The workbench in a real browser: Debian's Chromium, driven by Playwright, against a real server.

One browser for the module. The operator's walk runs at a laptop's and a phone's size: no page
scrolls sideways, every list is copyable and recordable, recording leads on to the next courier,
and the record buttons work with JavaScript off (screenshots in test-artifacts/walk/).

The browser is required, not optional: if it cannot start, these tests fail (LANJIE_TEST_CHROMIUM
points at another Chromium binary)."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import Engine

from exports import NOW, aftersale, write_xlsx
from lanjie.config import load_settings
from lanjie.demo import write_demo_export
from lanjie.ledger.accounts import add_user
from lanjie.pipeline import analyse, import_and_analyse
from lanjie.web.app import create_app

CHROMIUM = os.environ.get("LANJIE_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SETTINGS = {"partners": "zhongtong,yunda,shentong"}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--no-first-run",
                    "--disable-sync",
                ],
            )
        except Exception as error:  # no skipping: the browser tests must run
            pytest.fail(
                f"Chromium is required for the browser tests and did not start ({CHROMIUM}): {error}", pytrace=False
            )
        yield browser
        browser.close()


@contextmanager
def served(ledger: Engine, *, team: bool = False) -> Iterator[str]:
    """The app on a real HTTP port, in this process, for as long as the block runs."""
    app = create_app(ledger=ledger, settings=load_settings(**SETTINGS), team=team, secret="t" * 40, clock=lambda: NOW)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog opened: {dialog.message}"))
    yield page
    context.close()


def pick_name(page: Page, base: str) -> None:
    page.goto(base + "/")
    expect(page).to_have_url(re.compile(r"/operator"))
    page.fill("input[name=name]", "小王")
    page.click("button.primary")
    expect(page.locator(".operator")).to_have_text("小王")


def card_count(page: Page, bucket: str) -> int:
    return int(page.locator(f'a.card[data-bucket="{bucket}"] .count').inner_text())


def test_upload_copy_and_send(ledger: Engine, page: Page, tmp_path: Path) -> None:
    export = tmp_path / "售后单导出-2026-11-26-09-30-00.xlsx"
    write_demo_export(export, rows=150, seed=5, now=NOW)
    expected = analyse([export], settings=load_settings(**SETTINGS), now=NOW)
    counts = {bucket.value: 0 for bucket in {d.bucket for d in expected.decisions}}
    for decision in expected.decisions:
        counts[decision.bucket.value] += 1
    with served(ledger) as base:
        pick_name(page, base)
        page.goto(base + "/import")
        page.set_input_files("#files", str(export))
        expect(page.locator("#chosen")).to_have_text(export.name)
        page.click("#upload button.primary")
        expect(page.locator("#import-result")).to_contain_text("台账：新增 150 个售后单", timeout=30_000)

        page.goto(base + "/")
        assert card_count(page, "intercept") == counts["intercept"]
        assert card_count(page, "verify") == counts.get("verify", 0)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "workbench.png"), full_page=True)

        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        page.goto(base + "/couriers/zhongtong")
        first = page.locator("article.message").first
        shown = first.locator("pre.message-text").inner_text()
        assert shown.startswith("以下单号麻烦拦截退回") and len(shown.splitlines()) > 1
        first.locator("button.copy").click()
        expect(first.locator("button.copy")).to_have_text("已复制")
        assert page.evaluate("navigator.clipboard.readText()") == shown
        numbers = len(shown.splitlines()) - 1

        first.locator("button.sent").click()
        expect(page.locator(".flash")).to_contain_text(f"已记录 {numbers} 个拦截请求（小王")
        page.screenshot(path=str(ARTIFACTS / "courier-after-sent.png"), full_page=True)
        sent = set(shown.splitlines()[1:])
        moved = sum(
            1
            for d in expected.decisions
            if d.bucket.value == "intercept" and {p.tracking_no for p in d.parcels} <= sent
        )
        page.goto(base + "/")
        assert moved > 0
        assert card_count(page, "intercepting") == moved
        assert card_count(page, "intercept") == counts["intercept"] - moved


def test_buyer_text_is_shown_as_text(ledger: Engine, page: Page, tmp_path: Path) -> None:
    rows = [
        aftersale(
            售后单号="901",
            用户售后说明="<script>alert('买家昵称')</script>",
            商品名称='<img src=x onerror="alert(1)">羊羔绒外套',
        )
    ]
    export = write_xlsx(tmp_path / "售后单导出-2026-11-26-09-30-00.xlsx", rows)
    with served(ledger) as base:
        pick_name(page, base)
        page.goto(base + "/import")
        page.set_input_files("#files", str(export))
        page.click("#upload button.primary")
        expect(page.locator("#import-result")).to_contain_text("新增 1 个售后单")
        page.goto(base + "/aftersales/1/901")
        expect(page.locator(".buyer-note")).to_have_text("<script>alert('买家昵称')</script>")
        expect(page.locator("dl.fields")).to_contain_text('<img src=x onerror="alert(1)">羊羔绒外套')
        assert page.locator("dl.fields img").count() == 0
        page.goto(base + "/")
        expect(page.locator("table.work")).to_contain_text('<img src=x onerror="alert(1)">羊羔绒外套')


def test_team_mode_login_and_logout(ledger: Engine, page: Page) -> None:
    add_user(ledger, "小李", "correct horse battery", now=NOW)
    with served(ledger, team=True) as base:
        page.goto(base + "/stats")
        expect(page).to_have_url(re.compile(r"/login\?next=/stats"))
        page.fill("input[name=name]", "小李")
        page.fill("input[name=password]", "wrong password")
        page.click("button.primary")
        expect(page.locator(".notice.error")).to_have_text("用户名或密码不对。")
        page.fill("input[name=name]", "小李")
        page.fill("input[name=password]", "correct horse battery")
        page.click("button.primary")
        expect(page).to_have_url(base + "/stats")
        expect(page.locator(".operator")).to_have_text("小李")
        page.click("header .who button")
        expect(page).to_have_url(re.compile(r"/login$"))
        page.goto(base + "/")
        expect(page).to_have_url(re.compile(r"/login"))


# --- the operator's walk, at both sizes

SIZES = {"laptop": (1366, 768), "phone": (390, 844)}
SHOTS = ARTIFACTS / "walk"


@pytest.fixture
def loaded(ledger: Engine, tmp_path: Path) -> Engine:
    export = tmp_path / "售后单导出-2026-11-26-09-30-00.xlsx"
    write_demo_export(export, rows=300, seed=7, now=NOW)
    import_and_analyse([export], settings=load_settings(**SETTINGS), now=NOW, ledger=ledger)
    return ledger


def _page(chromium: Browser, size: str, *, js: bool = True) -> Page:
    width, height = SIZES[size]
    context = chromium.new_context(viewport={"width": width, "height": height}, locale="zh-CN", java_script_enabled=js)
    page = context.new_page()
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog opened: {dialog.message}"))
    return page


def _name(page: Page, base: str) -> None:
    page.goto(base + "/operator")
    page.fill("input[name=name]", "小王")
    page.click("form.login button.primary")
    expect(page).to_have_url(base + "/")


def _no_sideways_scroll(page: Page, label: str) -> None:
    wide, seen = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{label}.png"))
    assert wide <= seen, f"{label} scrolls sideways: {wide} > {seen}"


@pytest.fixture
def base(loaded: Engine) -> Iterator[str]:
    with served(loaded) as url:
        yield url


@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_fits_the_screen(chromium: Browser, base: str, size: str) -> None:
    page = _page(chromium, size)
    _name(page, base)
    detail = page.locator("table.work a[href^='/aftersales/']").first.get_attribute("href")
    pages = {
        "workbench": "/",
        "intercept": "/couriers",
        "unknown": "/couriers/unknown",
        "chase": "/couriers?bucket=chase",
        "verify": "/couriers?bucket=verify",
        "remarks": "/remarks",
        "stats": "/stats",
        "downloads": "/downloads",
        "import": "/import",
        "detail": detail,
    }
    for label, url in pages.items():
        page.goto(base + str(url))
        _no_sideways_scroll(page, f"{size}-{label}")
    page.goto(base + "/")
    if size == "laptop":  # the deadline list starts in the first screen
        top = page.locator("section.worklist table.work tbody tr").first.bounding_box()
        assert top is not None and top["y"] < SIZES[size][1] - 40
    page.context.close()


def _walk(page: Page, base: str, bucket: str, said: str) -> int:
    """Record every list of a tab, one message at a time, following where each answer leads."""
    page.goto(f"{base}/couriers?bucket={bucket}")
    recorded = 0
    while page.locator("nav.couriers a").count():
        assert page.locator("nav.couriers a.active").count() == 1
        for article in page.locator("article.message:not(.search)").all():
            expect(article.locator("button.copy")).to_be_visible()
            expect(article.locator("button.sent")).to_be_visible()
        message = page.locator("article.message:not(.search)").first
        numbers = message.locator("input[name=parcel]").count()
        with page.expect_navigation():
            message.locator("button.sent").click()
        expect(page.locator(".flash")).to_have_text(re.compile(rf"^{said.format(n=numbers)}"))
        assert page.locator(".flash").count() == 1 and "。" not in page.locator(".flash").inner_text()[:-1]
        recorded += numbers
    return recorded


@pytest.mark.parametrize("size", list(SIZES))
def test_record_then_the_next_courier(chromium: Browser, base: str, size: str) -> None:
    page = _page(chromium, size)
    _name(page, base)
    page.goto(base + "/couriers")
    waiting = int(page.locator(".tabs a.active .n").inner_text())
    assert _walk(page, base, "intercept", "已记录 {n} 个拦截请求（小王") == waiting
    expect(page.locator(".split")).to_contain_text("没有拦截的单号")
    _no_sideways_scroll(page, f"{size}-all-sent")
    page.goto(base + "/couriers?bucket=verify")
    asked = int(page.locator(".tabs a.active .n").inner_text())
    assert _walk(page, base, "verify", "已记录 {n} 个单号已发给快递核实（小王") == asked
    expect(page.locator(".split")).to_contain_text("没有核实的单号")
    page.goto(base + "/")
    assert int(page.locator('a.card[data-bucket="intercept"] .count').inner_text()) == 0
    page.context.close()


def test_record_buttons_work_without_javascript(chromium: Browser, base: str) -> None:
    page = _page(chromium, "phone", js=False)
    _name(page, base)
    page.goto(base + "/")
    assert re.search(r"(剩|已超时) \d", page.locator("td.countdown").first.inner_text())
    page.goto(base + "/couriers/unknown")
    message = page.locator("article.message:not(.search)").first
    numbers = message.locator("input[name=parcel]").count()
    message.locator("button.sent").click()
    expect(page.locator(".flash")).to_have_text(re.compile(rf"^已记录 {numbers} 个拦截请求"))
    assert "csrf" not in page.url
    page.goto(base + "/remarks")
    order = page.locator("table.remarks tbody tr").first.locator(".mono").inner_text()
    page.locator("table.remarks tbody tr").first.locator("button.primary").click()
    expect(page.locator(".flash")).to_have_text("已记下（小王）：1 个备注。")
    assert order not in page.locator("table.remarks").inner_text()
    page.context.close()
