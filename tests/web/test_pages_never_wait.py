"""A page never waits for an import: while another writer holds the ledger it shows the kept work."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

from sqlalchemy import Engine, select, text

from exports import NOW, aftersale, write_xlsx
from lanjie.ledger.actions import ParcelRef, record_sent
from lanjie.ledger.database import write_transaction
from lanjie.ledger.schema import interceptions, shops
from lanjie.ledger.workview import lock_work
from webtools import Browser, upload

ZTO = ["73610555582881", "73610555582882"]


def test_a_page_answers_at_once_while_an_import_holds_the_ledger(
    browser: Browser, ledger: Engine, tmp_path: Path
) -> None:
    export = write_xlsx(
        tmp_path / "售后单导出-2026-11-26-09-00-00.xlsx",
        [aftersale(售后单号="101", 发货物流单号=ZTO[0]), aftersale(售后单号="102", 发货物流单号=ZTO[1])],
    )
    upload(browser, export)
    assert ZTO[0] in browser.get("/couriers/zhongtong").text  # type: ignore[attr-defined]
    with ledger.connect() as conn:
        shop_id = conn.execute(select(shops.c.id)).scalar_one()
    record_sent(ledger, [ParcelRef(shop_id, ZTO[0], "zhongtong")], operator="小李", now=NOW)  # the work is stale now

    holding, release = threading.Event(), threading.Event()

    def an_import() -> None:
        with write_transaction(ledger) as conn:
            if conn.dialect.name == "postgresql":
                lock_work(conn, importing=True)
            holding.set()
            release.wait(30)

    writer = threading.Thread(target=an_import)
    writer.start()
    try:
        assert holding.wait(10)
        started = time.monotonic()
        page = browser.get("/couriers/zhongtong")
        took = time.monotonic() - started
        assert page.status_code == 200 and took < 5, took  # type: ignore[attr-defined]
    finally:
        release.set()
        writer.join()
    after = browser.get("/couriers/zhongtong").text  # type: ignore[attr-defined]
    assert f'value="{shop_id}:{ZTO[0]}"' not in after and f'value="{shop_id}:{ZTO[1]}"' in after


def test_sent_is_recorded_while_an_import_writes_its_work(browser: Browser, ledger: Engine, tmp_path: Path) -> None:
    """已发送 records what the operator already did. On PostgreSQL it does not wait for an import
    writing its work (it answers with the work as kept); SQLite has one writer at a time, so
    there it is recorded as soon as the import is done."""
    export = write_xlsx(
        tmp_path / "售后单导出-2026-11-26-09-00-00.xlsx",
        [aftersale(售后单号="101", 发货物流单号=ZTO[0]), aftersale(售后单号="102", 发货物流单号=ZTO[1])],
    )
    upload(browser, export)
    page = browser.get("/couriers/zhongtong").text  # type: ignore[attr-defined]
    parcel = re.findall(r'name="parcel" value="([^"]+)"', page)[0]
    hold = 2.0
    holding = threading.Event()

    def an_import() -> None:
        with write_transaction(ledger) as conn:
            if conn.dialect.name == "postgresql":
                lock_work(conn, importing=True)
            else:  # what an import does first on SQLite: it writes
                conn.execute(text("UPDATE work_state SET import_id = import_id"))
            holding.set()
            time.sleep(hold)

    writer = threading.Thread(target=an_import)
    writer.start()
    try:
        assert holding.wait(10)
        started = time.monotonic()
        answer = browser.post("/couriers/sent", {"parcel": parcel, "code": "zhongtong"})
        took = time.monotonic() - started
    finally:
        writer.join()
    assert answer.status_code == 303, answer.text  # type: ignore[attr-defined]  # on to the next list
    with ledger.connect() as conn:
        recorded = conn.execute(select(interceptions.c.tracking_no, interceptions.c.requested_by)).all()
    assert [number for number, _ in recorded] == [parcel.split(":", 1)[1]]
    if ledger.dialect.name == "postgresql":
        assert took < hold / 2, took
    else:
        assert took >= hold / 2, took
