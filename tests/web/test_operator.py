"""The operator's half of the workbench through the TestClient: wrong parameters get a 4xx that
says what is wrong, every list is recordable (未识别快递 and 核实 too), recording leads on to the
next courier and says what happened once, and the workbook prints."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine, func, select

from exports import aftersale, write_xlsx
from lanjie.ledger.schema import events, interceptions, remarks
from webtools import Browser, Clock, upload

ZTO = ["73610555582881", "73610555582882", "73610555582883"]


@pytest.fixture
def loaded(browser: Browser, tmp_path: Path) -> Browser:
    rows = [aftersale(售后单号=f"10{i}", 订单号=f"20{i}", 发货物流单号=n) for i, n in enumerate(ZTO)]
    rows += [
        aftersale(售后单号="301", 订单号="302", 发货物流单号="YT8962646785389", 发货物流状态="买家已签收"),
        aftersale(售后单号="401", 订单号="402", 发货物流单号="431234567890123"),
    ]
    assert upload(browser, write_xlsx(tmp_path / "售后单导出-2026-11-26-09-30-00.xlsx", rows)).status_code == 200
    return browser


def text(response: object) -> str:
    return response.text  # type: ignore[attr-defined,no-any-return]


def status(response: object) -> int:
    return response.status_code  # type: ignore[attr-defined,no-any-return]


def parcels_of(page: str) -> list[str]:
    return re.findall(r'name="parcel" value="([^"]+)"', page)


def test_wrong_parameters_get_a_4xx_that_says_why(loaded: Browser) -> None:
    web = loaded
    answer = web.get("/couriers/nosuch")
    assert status(answer) == 404 and "没有「nosuch」这个快递" in text(answer) and "售后单" not in text(answer)
    for url in ("/downloads/files/备注.txt?shop=别的店", "/?shop=别的店", "/remarks?shop=别的店", "/stats?shop=别的店"):
        answer = web.get(url)
        assert status(answer) == 404 and "没有叫「别的店」的店铺" in text(answer), url
    assert status(web.get("/couriers?shop=a%00b")) == 400
    assert status(web.get("/aftersales/99999999999999999999/1")) in (404, 422)
    for parcel in ("1:NOSUCH", "99999999999999:1", "1:" + "9" * 80, "x:1"):
        answer = web.post("/couriers/sent", {"parcel": parcel})
        assert status(answer) == 400, parcel
    assert "NOSUCH 现在不在「拦截」的清单里" in text(web.post("/couriers/sent", {"parcel": "1:NOSUCH"}))
    item = '{"shop_id": 1, "order_key": "999", "remark_status": "已拦截", "flag": "紫紫紫紫紫紫", "text": "x"}'
    answer = web.post("/remarks/done", {"item": item})
    assert status(answer) == 400 and "订单 999 现在没有要写的「已拦截」备注" in text(answer)
    with web.client.app.state.web.ledger.connect() as conn:  # type: ignore[attr-defined]
        assert conn.execute(select(func.count()).select_from(remarks)).scalar_one() == 0


def test_remarks_record_what_the_ledger_says_is_due(loaded: Browser, ledger: Engine) -> None:
    web = loaded
    page = text(web.get("/remarks"))
    item = re.findall(r"name=\"item\" value='([^']+)'", page)[-1]
    forged = re.sub(r'"text": "[^"]*"', '"text": "随便写"', item).replace('"flag": "橙"', '"flag": "紫紫紫紫紫紫"')
    answer = web.post("/remarks/done", {"item": forged})
    assert status(answer) == 303 and answer.headers["location"].startswith("/remarks")  # type: ignore[attr-defined]
    assert "已记下（小王）：1 个备注。" in text(web.get("/remarks"))
    with ledger.connect() as conn:
        [(flag, written)] = conn.execute(select(remarks.c.flag, remarks.c.text)).all()
    assert flag == "橙" and written == "11-26 已签收待核实 圆通"
    assert status(web.post("/remarks/done", {"item": forged})) == 400  # written already: nothing due


def test_sent_goes_on_to_the_next_courier_and_says_it_once(loaded: Browser, ledger: Engine) -> None:
    web = loaded
    page = text(web.get("/couriers/zhongtong"))
    answer = web.post("/couriers/sent", {"parcel": parcels_of(page), "code": "zhongtong"})
    assert status(answer) == 303
    nxt = answer.headers["location"]  # type: ignore[attr-defined]
    assert nxt == "/couriers/unknown?bucket=intercept"
    landed = text(web.get(nxt))
    assert landed.count("已记录 3 个拦截请求（小王，11-26 09:30），这些单号已移到「拦截中」。") == 1
    assert "中通 <span" not in landed  # the sidebar no longer lists 中通
    assert text(web.get(nxt)).count("已记录") == 0  # said once
    again = web.post("/couriers/sent", {"parcel": parcels_of(page), "code": "zhongtong"})
    assert status(again) == 303
    said = text(web.get(again.headers["location"]))  # type: ignore[attr-defined]
    assert said.count("这 3 个单号都已由 小王 发过拦截（最早 11-26 09:30），没有重复记录。") == 1
    assert said.count("发过拦截") == 1
    with ledger.connect() as conn:
        assert conn.execute(select(func.count()).select_from(interceptions)).scalar_one() == 3


def test_htmx_gets_the_sentence_and_where_to_go(loaded: Browser) -> None:
    page = text(loaded.get("/couriers/zhongtong"))
    answer = loaded.client.post(
        "/couriers/sent",
        data={"csrf": loaded.csrf, "parcel": parcels_of(page), "code": "zhongtong"},
        headers={"HX-Request": "true"},
    )
    assert status(answer) == 200 and answer.headers["HX-Redirect"] == "/couriers/unknown?bucket=intercept"
    assert "<html" not in text(answer) and "已记录 3 个拦截请求" in text(answer)


def test_unknown_couriers_are_recorded_with_the_courier_they_went_to(loaded: Browser, ledger: Engine) -> None:
    page = text(loaded.get("/couriers/unknown"))
    assert "可能是 <strong>韵达</strong>" in page and "以下单号麻烦拦截退回" in page
    answer = loaded.post("/couriers/sent", {"parcel": parcels_of(page), "code": "unknown", "guess": "yunda"})
    assert status(answer) == 303
    with ledger.connect() as conn:
        assert conn.execute(select(interceptions.c.courier)).scalars().all() == ["yunda"]


def test_verify_is_recorded_and_leaves_the_list(loaded: Browser, ledger: Engine) -> None:
    page = text(loaded.get("/couriers/yuantong?bucket=verify"))
    assert "已发核实" in page and parcels_of(page) == ["1:YT8962646785389"]
    answer = loaded.post("/couriers/sent", {"parcel": parcels_of(page), "bucket": "verify", "code": "yuantong"})
    assert status(answer) == 303
    after = text(loaded.get(answer.headers["location"]))  # type: ignore[attr-defined]
    assert "已记录 1 个单号已发给快递核实（小王" in after and "YT8962646785389" not in after.split("</h1>")[1]
    with ledger.connect() as conn:
        assert conn.execute(select(events.c.kind).where(events.c.kind == "verify_asked")).scalars().all() == [
            "verify_asked"
        ]
    assert status(loaded.post("/couriers/sent", {"parcel": parcels_of(page), "bucket": "verify"})) == 400
    assert "已发快递核实" in text(loaded.get("/aftersales/1/301"))


def test_the_couriers_answer_to_verify_is_recorded(loaded: Browser, ledger: Engine) -> None:
    page = text(loaded.get("/couriers/yuantong?bucket=verify"))
    assert "等快递答复" not in page  # nobody asked yet
    loaded.post("/couriers/sent", {"parcel": parcels_of(page), "bucket": "verify", "code": "yuantong"})
    waiting = text(loaded.get("/couriers/yuantong?bucket=verify"))
    assert "等快递答复" in waiting and "YT8962646785389" in waiting and "买家没收到" in waiting
    assert status(loaded.post("/couriers/answered", {"parcel": ["1:YT8962646785389"], "answer": "maybe"})) == 400
    assert status(loaded.post("/couriers/answered", {"parcel": ["1:73610555582881"], "answer": "signed"})) == 400
    answer = loaded.post(
        "/couriers/answered", {"parcel": ["1:YT8962646785389"], "answer": "not_received", "code": "yuantong"}
    )
    assert status(answer) == 303
    after = text(loaded.get(answer.headers["location"]))  # type: ignore[attr-defined]
    assert "已记录快递对 1 个单号的核实答复：买家没收到（小王" in after and "等快递答复" not in after
    with ledger.connect() as conn:
        said = conn.execute(select(events.c.after).where(events.c.kind == "verify_answered")).scalars().all()
    assert said == ["买家没收到"]
    assert "快递答复核实" in text(loaded.get("/aftersales/1/301")) and "买家没收到" in text(
        loaded.get("/aftersales/1/301")
    )
    again = loaded.post("/couriers/answered", {"parcel": ["1:YT8962646785389"], "answer": "signed"})
    assert status(again) == 400  # answered already: nothing recorded twice


def test_chase_rows_no_longer_say_send_it(loaded: Browser, clock: Clock) -> None:
    page = text(loaded.get("/couriers/zhongtong"))
    loaded.post("/couriers/sent", {"parcel": parcels_of(page)})
    home = text(loaded.get("/?bucket=intercepting"))
    assert "发快递群拦截，等快递退回" in home and "发到快递群拦截" not in home.split("<tbody>")[1]
    clock.moment += timedelta(hours=50)
    chase = text(loaded.get("/?bucket=chase"))
    assert "请在快递群催一下" in chase and "发到快递群拦截" not in chase.split("<tbody>")[1]


def test_the_countdown_and_the_detail_are_said_by_the_server(loaded: Browser) -> None:
    home = text(loaded.get("/"))
    assert re.search(r'<td class="nowrap countdown" data-label="剩余">(剩|已超时) \d', home)
    page = text(loaded.get("/couriers/zhongtong"))
    loaded.post("/couriers/sent", {"parcel": parcels_of(page)})
    detail = text(loaded.get("/aftersales/1/100"))
    assert "yuantong" not in detail and "zhongtong" not in detail and "pattern" not in detail
    assert "合作快递" in detail or "单号规则" in detail
    assert re.search(r"已发拦截</strong>\s*<span class=\"mono\">73610555582881</span>\s*中通", detail)


def test_the_workbook_prints_one_page_wide_and_has_verify_sheets(loaded: Browser) -> None:
    book = openpyxl.load_workbook(io.BytesIO(loaded.get("/downloads/files/售后处理-2026-11-26.xlsx").content))  # type: ignore[attr-defined]
    assert "核实-圆通" in book.sheetnames and "拦截-中通" in book.sheetnames
    assert book["核实-圆通"]["A2"].value == "YT8962646785389"
    for name in ("待拦截", "拦截-中通", "核实-圆通", "数据问题"):
        sheet = book[name]
        assert sheet.page_setup.orientation == "landscape", name
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth in (
            None,
            1,
        )  # 1 is the default
        assert sheet.page_setup.fitToHeight == 0
        assert sheet.print_title_rows == "$1:$1"
        assert "&A" in sheet.oddHeader.left.text and "&D" in sheet.oddHeader.right.text
