"""Every page and action of the web workbench, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine, func, select

from exports import aftersale, write_xlsx
from lanjie.ledger.schema import imports, interceptions, remarks
from webtools import Browser, Clock, make_app, upload

ZTO = ["73610555582881", "73610555582882", "73610555582883"]


@pytest.fixture
def export(tmp_path: Path) -> Path:
    rows = [aftersale(售后单号=f"10{i}", 订单号=f"20{i}", 发货物流单号=n) for i, n in enumerate(ZTO)]
    rows += [
        aftersale(售后单号="301", 订单号="302", 发货物流单号="YT8962646785389", 发货物流状态="买家已签收"),
        aftersale(售后单号="401", 订单号="402", 发货物流单号="431234567890123"),
        aftersale(售后单号="501", 订单号="502", 发货物流单号=773012000000000.0),
        aftersale(
            售后单号="901",
            订单号="902",
            发货物流单号="SF1385628716739",
            用户售后说明="<script>alert('x')</script>",
            商品名称='<img src=x onerror="alert(1)">外套',
        ),
    ]
    return write_xlsx(tmp_path / "售后单导出-2026-11-26-09-30-00.xlsx", rows)


def text_of(response: object) -> str:
    return response.text  # type: ignore[attr-defined,no-any-return]


def test_a_shop_pc_asks_for_a_name_first(ledger: Engine, clock: Clock) -> None:
    with make_app(ledger, clock) as client:
        response = client.get("/")
        assert response.status_code == 303 and response.headers["location"] == "/operator?next=/"
        assert client.get("/operator").status_code == 200


def test_import_then_the_workbench(browser: Browser, export: Path, ledger: Engine) -> None:
    result = upload(browser, export)
    assert result.status_code == 200, text_of(result)
    page = text_of(result)
    assert "7 行，7 个售后单" in page and "新增 7 个售后单" in page
    assert "单号末尾是一串 0" in page
    assert re.search(r"<td>\s*7\s*</td>", page)  # the row number of the destroyed tracking number
    home = text_of(browser.get("/"))
    assert re.search(r'data-bucket="intercept".*?<span class="count">5</span>', home, re.S)
    assert re.search(r'data-bucket="verify".*?<span class="count">1</span>', home, re.S)
    assert re.search(r'data-bucket="manual".*?<span class="count">1</span>', home, re.S)
    with ledger.connect() as conn:
        assert conn.execute(select(imports.c.operator)).scalar_one() == "小王"


def test_a_bad_upload_says_why_and_changes_nothing(browser: Browser, tmp_path: Path, ledger: Engine) -> None:
    picture = tmp_path / "截图.xlsx"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    response = upload(browser, picture)
    assert response.status_code == 400 and "是一张图片" in text_of(response)
    missing = write_xlsx(tmp_path / "手工表.xlsx", [{"订单号": "1"}], headers=["订单号", "商品名称"])
    response = upload(browser, missing)
    assert response.status_code == 400 and "缺少必需的列：售后单号、售后类型、发货物流单号" in text_of(response)
    assert browser.client.post("/import", data={"csrf": browser.csrf}).status_code == 400
    with ledger.connect() as conn:
        assert conn.execute(select(func.count()).select_from(imports)).scalar_one() == 0


def test_uploads_are_size_limited(ledger: Engine, clock: Clock, export: Path) -> None:
    from lanjie.config import load_settings

    with make_app(ledger, clock, settings=load_settings(max_upload_mb=1)) as client:
        web = Browser(client)
        web.get("/operator")
        web.post("/operator", {"name": "小王"})
        big = export.parent / "big.csv"
        big.write_bytes(b"x" * (2 * 1024 * 1024))
        response = upload(web, big)
        assert response.status_code == 413 and "文件太大" in text_of(response)


def test_courier_list_then_sent_moves_it_to_intercepting(browser: Browser, export: Path, ledger: Engine) -> None:
    upload(browser, export)
    page = text_of(browser.get("/couriers/zhongtong"))
    message = re.search(r'<pre class="message-text" id="text-1">(.*?)</pre>', page, re.S)
    assert message and message.group(1) == "以下单号麻烦拦截退回，谢谢！（共3单）\n" + "\n".join(ZTO)
    assert ",".join(ZTO) in page  # the batch-search string
    parcels = re.findall(r'name="parcel" value="([^"]+)"', page)
    assert [p.split(":")[1] for p in parcels] == ZTO
    done = browser.client.post(
        "/couriers/sent", data={"csrf": browser.csrf, "parcel": parcels, "part": "1"}, headers={"HX-Request": "true"}
    )
    assert done.status_code == 200 and "已记录 3 个拦截请求（小王" in text_of(done)
    assert "<html" not in text_of(done)  # htmx gets the piece, not the page
    again = browser.client.post(
        "/couriers/sent", data={"csrf": browser.csrf, "parcel": parcels[:1]}, headers={"HX-Request": "true"}
    )
    assert f"{ZTO[0]} 已由 小王 在 11-26 09:30 发过拦截" in text_of(again)
    with ledger.connect() as conn:
        assert conn.execute(select(func.count()).select_from(interceptions)).scalar_one() == 3
    home = text_of(browser.get("/"))
    assert re.search(r'data-bucket="intercepting".*?<span class="count">3</span>', home, re.S)
    assert 'value="1:73610555582881"' not in text_of(browser.get("/couriers/zhongtong"))


def test_chase_and_verify_tabs(browser: Browser, export: Path, clock: Clock) -> None:
    upload(browser, export)
    page = text_of(browser.get("/couriers/zhongtong"))
    parcels = re.findall(r'name="parcel" value="([^"]+)"', page)
    browser.client.post("/couriers/sent", data={"csrf": browser.csrf, "parcel": parcels})
    clock.moment += timedelta(hours=50)
    chase = text_of(browser.get("/couriers/zhongtong?bucket=chase"))
    assert "到现在还在运输" in chase and ZTO[0] in chase
    chased = browser.client.post(
        "/couriers/sent", data={"csrf": browser.csrf, "parcel": parcels, "bucket": "chase"}, follow_redirects=True
    )
    assert "已记录催拦截 3 个单号" in text_of(chased)
    assert ZTO[0] not in text_of(browser.get("/couriers/zhongtong?bucket=chase"))
    verify = text_of(browser.get("/couriers/yuantong?bucket=verify"))
    assert "YT8962646785389" in verify and "核实签收情况" in verify


def test_unknown_couriers_are_grouped_by_their_likely_courier(browser: Browser, export: Path) -> None:
    upload(browser, export)
    page = text_of(browser.get("/couriers/unknown"))
    assert "431234567890123" in page and "可能是 <strong>韵达</strong>" in page and "只是按单号规则的猜测" in page
    assert 'name="parcel" value="1:431234567890123"' in page and 'name="guess" value="yunda"' in page


def test_remarks_are_listed_until_marked(browser: Browser, export: Path, ledger: Engine) -> None:
    upload(browser, export)
    page = text_of(browser.get("/remarks"))
    assert "已拦截" not in page and "11-26 已签收待核实 圆通" in page  # nothing sent yet
    sent = browser.client.post("/couriers/sent", data={"csrf": browser.csrf, "parcel": [f"1:{ZTO[0]}"]})
    assert sent.status_code == 303
    page = text_of(browser.get("/remarks"))
    items = re.findall(r"name=\"item\" value='([^']+)'", page)
    assert "11-26 已拦截 中通" in page and "11-26 已签收待核实 圆通" in page
    first = items[len(items) // 2]  # the per-row forms follow the page-wide one
    response = browser.client.post(
        "/remarks/done", data={"csrf": browser.csrf, "item": [first]}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and "已记下（小王）" in text_of(response)
    with ledger.connect() as conn:
        [(order_key, written_by)] = conn.execute(select(remarks.c.order_key, remarks.c.written_by)).all()
    assert written_by == "小王" and order_key not in text_of(browser.get("/remarks"))


def test_aftersale_detail_with_history_and_escaped_buyer_text(browser: Browser, export: Path) -> None:
    upload(browser, export)
    page = text_of(browser.get("/aftersales/1/901"))
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "&lt;img src=x onerror=" in page and "<img src=x" not in page
    assert "首次导入" in page and "小王" in page
    assert browser.get("/aftersales/1/NOPE").status_code == 404


def test_stats_page(browser: Browser, export: Path) -> None:
    upload(browser, export)
    page = text_of(browser.get("/couriers/zhongtong"))
    browser.client.post(
        "/couriers/sent", data={"csrf": browser.csrf, "parcel": re.findall(r'name="parcel" value="([^"]+)"', page)}
    )
    stats = text_of(browser.get("/stats"))
    assert "中通" in stats and "<td>3</td>" in stats and "2026-11-26" in stats


def test_downloads_are_the_files_run_writes(browser: Browser, export: Path) -> None:
    upload(browser, export)
    page = text_of(browser.get("/downloads"))
    assert "拦截-中通.txt" in page and "售后处理-2026-11-26.xlsx" in page
    text = browser.get("/downloads/files/拦截-中通.txt")
    assert text.status_code == 200
    assert text.content.decode("utf-8-sig").replace("\r\n", "\n").splitlines()[1:] == ZTO
    book = browser.get("/downloads/files/售后处理-2026-11-26.xlsx")
    assert openpyxl.load_workbook(io.BytesIO(book.content))["待拦截"]["A2"].value is not None
    archive = zipfile.ZipFile(io.BytesIO(browser.get("/downloads/files/全部文件.zip").content))
    assert {"拦截-中通.txt", "备注.txt", "decisions.json"} <= set(archive.namelist())
    # Each list file alone (built from the kept work) is byte for byte the one the zip holds
    # (decided again, as `lanjie run` does).
    for name in archive.namelist():
        if name.endswith(".txt"):
            assert browser.get(f"/downloads/files/{name}").content == archive.read(name), name
    assert browser.get("/downloads/files/nothing.txt").status_code == 404
    assert browser.get("/downloads/files/拦截-没有这个快递.txt").status_code == 404


def test_every_post_needs_the_csrf_token(browser: Browser, export: Path) -> None:
    for url in ("/couriers/sent", "/remarks/done", "/import", "/operator", "/logout"):
        assert browser.client.post(url, data={"parcel": "1:x", "item": "{}", "name": "x"}).status_code == 403
        assert browser.client.post(url, data={"csrf": "forged", "parcel": "1:x"}).status_code == 403
    assert "页面已过期" in text_of(browser.client.post("/remarks/done", data={"csrf": "forged"}))


def test_session_cookie_is_httponly_and_samesite(ledger: Engine, clock: Clock) -> None:
    with make_app(ledger, clock) as client:
        cookie = client.get("/operator").headers["set-cookie"]
        assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()


def test_next_never_leaves_the_site(ledger: Engine, clock: Clock) -> None:
    with make_app(ledger, clock) as client:
        web = Browser(client)
        web.get("/operator")
        for target in ("//evil.example/x", "https://evil.example", "/\\\\evil"):
            response = web.post("/operator", {"name": "小王", "next": target})
            assert response.headers["location"] == "/"


def test_urgent_and_overdue_rows_are_marked_by_the_server(browser: Browser, tmp_path: Path) -> None:
    rows = [
        aftersale(售后单号="1001", 自动处理截止时间="2026-11-26 08:00:00"),
        aftersale(售后单号="1002", 自动处理截止时间="2026-11-26 12:00:00"),
        aftersale(售后单号="1003", 自动处理截止时间="2026-11-28 12:00:00"),
    ]
    upload(browser, write_xlsx(tmp_path / "售后单导出-2026-11-26-09-30-00.xlsx", rows))
    page = text_of(browser.get("/"))
    found = re.findall(r'<tr class="bucket-intercept ?([a-z]*)".*?/aftersales/1/(\w+)"', page, re.S)
    assert {name: mark for mark, name in found} == {"1001": "overdue", "1002": "urgent", "1003": ""}
