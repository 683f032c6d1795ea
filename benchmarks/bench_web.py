"""Benchmark: the web workbench with 100,000 after-sales in the ledger, on SQLite and PostgreSQL.

    python benchmarks/bench_web.py [--rows 100000] [--repeat 20]

For each database: import the export with `lanjie import`, start `lanjie serve`, then time over
HTTP (median of the repeats) the workbench (/), a courier page (/couriers/zhongtong) and single
list-file downloads (拦截-中通.txt, 备注.txt), against a
bare `SELECT count(*) FROM aftersales` on the same database in the same run. The first page after
an import also brings the decided work up to date (deciding all 100,000 once); that is reported
on its own.

Both pages should answer within 30 ms (median) on either database. The server runs on the real
clock, so the export's deadlines (made for 2026-11-26) are nearly all overdue: a ledger left for
days, whose 已超时 counts cover every after-sale.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from common import NOW, export_file

PAGES = {"workbench /": "/", "courier page /couriers/zhongtong": "/couriers/zhongtong"}
PAGE_TARGET = 0.030  # seconds, median
DOWNLOADS = ("拦截-中通.txt", "备注.txt")  # one file, built alone


def timed(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bench(url: str, export: Path, repeat: int) -> None:
    env = {**os.environ, "LANJIE_DATABASE_URL": url, "LANJIE_PARTNERS": "zhongtong,yunda,shentong"}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "lanjie", "import", str(export), "--now", NOW.isoformat()],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"  import of {export.name}: {time.perf_counter() - started:.1f} s")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "lanjie", "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL
    )
    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300, follow_redirects=True)
        for _ in range(100):
            try:
                login = client.get("/operator")
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        csrf = re.search(r'name="csrf" value="([^"]+)"', login.text).group(1)  # type: ignore[union-attr]
        client.post("/operator", data={"csrf": csrf, "name": "bench"}, follow_redirects=False)
        started = time.perf_counter()
        first = client.get("/")
        assert first.status_code == 200
        print(f"  first page after the import (decides all work once): {time.perf_counter() - started:.2f} s")
        engine = create_engine(url if "://" in url else f"sqlite:///{url}")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT count(*) FROM aftersales")).scalar_one()

            def count() -> object:
                return conn.execute(text("SELECT count(*) FROM aftersales")).scalar_one()

            baseline = timed(count, repeat)
        print(f"  SELECT count(*) FROM aftersales ({rows:,} rows): {baseline * 1000:8.1f} ms")
        for name, path in PAGES.items():
            page = timed(lambda path=path: client.get(path).raise_for_status(), repeat)
            size = len(client.get(path).content) / 1024
            verdict = "ok" if page <= PAGE_TARGET else "over"
            print(
                f"  {name:<34}: {page * 1000:8.1f} ms  {page / baseline:6.1f}× the count  ({size:.0f} KiB)"
                f"  target ≤ {PAGE_TARGET * 1000:.0f} ms: {verdict}"
            )
        for name in DOWNLOADS:
            path = f"/downloads/files/{name}"
            took = timed(lambda path=path: client.get(path).raise_for_status(), max(1, repeat // 4))
            size = len(client.get(path).content) / 1024
            print(f"  download {name:<25}: {took * 1000:8.1f} ms  {took / baseline:6.1f}× the count  ({size:.0f} KiB)")
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    export = export_file(args.rows)
    with tempfile.TemporaryDirectory() as folder:
        print("sqlite")
        bench(str(Path(folder) / "ledger.sqlite3"), export, args.repeat)
    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    name = f"lanjie_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        print("postgresql")
        bench(make_url(args.postgres).set(database=name).render_as_string(hide_password=False), export, args.repeat)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
