"""Sync throughput against the fake 抖店 Open Platform, and the ledger import cost of a sync
against the export path for the same after-sales, measured in the same run.

    python benchmarks/bench_sync.py [--rows 10000] [--db sqlite|postgresql]

It seeds the fake (tests/fakes/doudian.py, a real HTTP server) with `--rows` after-sales that
all wait for the merchant, syncs them into an empty ledger, then imports an export holding the
same after-sales into another empty ledger, and prints both and their ratio.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from exports import aftersale, write_xlsx  # noqa: E402
from fakes.doudian import FakeDoudian  # noqa: E402
from lanjie.clients.doudian import DoudianClient  # noqa: E402
from lanjie.config import Settings  # noqa: E402
from lanjie.ledger.database import open_ledger  # noqa: E402
from lanjie.model import SHANGHAI  # noqa: E402
from lanjie.pipeline import import_and_analyse  # noqa: E402
from lanjie.platform.connections import access_token, connect_shop  # noqa: E402
from lanjie.platform.records import LOGISTICS_WORDS  # noqa: E402
from lanjie.platform.sync import fetch_items, sync_shop  # noqa: E402

SECRET = "bench-secret-of-enough-length-0123456789abcdef"
SHOP = "基准测试店"
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/"


def ledger_url(kind: str, folder: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{folder / f'{uuid.uuid4().hex}.sqlite3'}", None
    name = f"lanjie_bench_sync_{uuid.uuid4().hex[:8]}"
    with create_engine(POSTGRES + "postgres", isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return POSTGRES + name, name


def drop(name: str | None) -> None:
    if name:
        with create_engine(POSTGRES + "postgres", isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def export_of(fake: FakeDoudian, path: Path) -> Path:
    rows = []
    for item in fake.after_sales.values():
        info, order = item["aftersale_info"], item["order_info"]
        logistics = info["order_logistics"]
        rows.append(
            aftersale(
                售后单号="\t" + info["aftersale_id"],
                订单号="\t" + order["shop_order_id"],
                商品名称=order["related_order_info"][0]["product_name"],
                售后类型="已发货退款",
                退商品金额=f"{info['refund_amount'] / 100:.2f}",
                售后状态="待商家处理",
                自动处理截止时间=time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info["status_deadline"])),
                发货物流单号=",".join(p["tracking_no"] for p in logistics),
                发货物流状态=LOGISTICS_WORDS[max((p["logistics_state"] for p in logistics), default=0)],
                门店名称=SHOP,
            )
        )
    return write_xlsx(path, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, FakeDoudian(now=time.time()) as fake:
        for item in fake.seed_after_sales(args.rows):
            item["aftersale_info"].update(aftersale_type=1, aftersale_status=6)
            if not item["aftersale_info"]["order_logistics"]:
                item["aftersale_info"]["order_logistics"] = [
                    {
                        "tracking_no": f"YT{8962646785389 + len(fake.received)}",
                        "company_code": "yuantong",
                        "company_name": "圆通快递",
                        "logistics_state": 0,
                        "logistics_time": 0,
                    }
                ]
        settings = Settings(
            operator="基准",
            doudian_app_key=fake.app_key,
            doudian_app_secret=fake.app_secret,
            doudian_base_url=fake.url,
            secret_key=SECRET,
            shop=SHOP,
        )
        now = datetime.now(SHANGHAI)

        url, name = ledger_url(args.db, Path(folder))
        try:
            ledger = open_ledger(url)
            with DoudianClient(fake.app_key, fake.app_secret, fake.url) as client:
                shop = connect_shop(
                    ledger,
                    client,
                    name=SHOP,
                    secret=SECRET,
                    operator="基准",
                    now=now,
                    platform_shop_id=str(fake.shop_id),
                )
                token = access_token(ledger, client, shop, secret=SECRET, now=now)
                started = time.perf_counter()
                fetch_items(client, token, since=None, until=now)
                fetched = time.perf_counter() - started
                started = time.perf_counter()
                report = sync_shop(ledger, client, shop, settings=settings, secret=SECRET, now=now)
                synced = time.perf_counter() - started
            assert not report.errors and report.new == args.rows, report
            ledger.dispose()
        finally:
            drop(name)

        export = export_of(fake, Path(folder) / "售后单导出-bench.xlsx")
        url, name = ledger_url(args.db, Path(folder))
        try:
            ledger = open_ledger(url)
            started = time.perf_counter()
            imported = import_and_analyse([export], settings=settings, now=now, ledger=ledger)
            exported = time.perf_counter() - started
            assert imported.import_report is not None and imported.import_report.new == args.rows
            ledger.dispose()
        finally:
            drop(name)

    pages = -(-args.rows // 100)
    print(
        f"sync of {args.rows:,} after-sales ({pages} pages) on {args.db}: {synced:.2f} s, "
        f"{args.rows / synced:,.0f} after-sales/s"
    )
    print(f"  of which fetching the pages alone (the fake platform answers in this process too): {fetched:.2f} s")
    print(f"export import of the same after-sales (read + import + decide):  {exported:.2f} s")
    print(f"sync's ledger part (sync − fetching) / export path: {(synced - fetched) / exported:.2f}×")
    print(f"sync / export path: {synced / exported:.2f}×")


if __name__ == "__main__":
    main()
