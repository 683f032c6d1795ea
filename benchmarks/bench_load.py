"""Benchmark: a team under load — two `lanjie serve` processes on one PostgreSQL ledger.

    python benchmarks/bench_load.py [--rows 100000] [--operators 50] [--seconds 60] [--concurrency 16]
                                    [--servers 2] [--think 0.5] [--postgres postgresql+psycopg://…/postgres]

In one run:
  1. a fresh PostgreSQL database lanjie_bench_load (dropped at the end); `lanjie import` of the
     day's export (--rows after-sales, the demo export the other benchmarks use) and --operators
     accounts;
  2. --servers `lanjie serve` processes (default 2) on that database with one LANJIE_SECRET_KEY, as
     behind a reverse proxy: every operator's requests go round-robin to all of them;
  3. baseline: one operator alone opens the workbench (/) and a courier page and presses 已发送,
     one request at a time, nothing else running;
  4. load: every operator, logged in, opens the workbench, a courier page, and now and then presses
     已发送 on one of its messages (posted as the browser's htmx does: the form with its CSRF token,
     X-CSRF-Token, HX-Request, then the page HX-Redirect names), then pauses as a person reading a
     page does (--think: a mean of 5 s, drawn from 0–10 s), with at most --concurrency requests
     in flight at once, for --seconds; meanwhile `lanjie import` of the next day's export (the same
     after-sales, some parcels' logistics changed) runs. `--think 0.5` is a stress test: each of
     the 50 operators clicking ten times faster than a person can read, the two cores saturated.
Prints p50/p95/p99 per route (baseline, while the import runs, after it), the errors (a failed
request or any answer but the page/redirect the browser expects), and whether the load meets
the goal: 0 errors and p95 ≤ 200 ms on every route. Latency is measured from sending a request
to reading its whole answer (not the time it queued for a free slot in this client).
"""

from __future__ import annotations

import argparse
import asyncio
import html
import math
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx2 as httpx
import xlsxwriter
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from common import CACHE, NOW, export_file
from lanjie.demo import HEADERS, demo_rows
from lanjie.ledger.accounts import add_user
from lanjie.ledger.database import open_ledger

DATABASE = "lanjie_bench_load"
PARTNERS = "zhongtong,yunda,shentong"
NEXT_DAY = NOW + timedelta(days=1)
GOAL_P95 = 0.200  # seconds
SENT_SHARE = 0.25  # how often an operator presses 已发送 after opening a courier page
WORKBENCH, COURIER, SENT = "GET /", "GET /couriers/{code}", "POST /couriers/sent"
ROUTES = (WORKBENCH, COURIER, SENT)
TRACKING_STATE = HEADERS.index("发货物流状态")
IN_TRANSIT = ("", "运输中", "已揽收", "派送中")
# uvicorn closes a connection idle for 5 s; dropping ours well before that never sends a request
# on a connection the server is closing (a browser would retry that request; this client would not).
IDLE = httpx.Limits(keepalive_expiry=2.0)


# --- the exports: the day's (the cached demo export) and the next day's


def stamped_copy(source: Path, folder: Path, stamp: str) -> Path:
    """The export under the name the platform gives it, so its export time is read from the name."""
    target = folder / f"售后单导出-{stamp}.xlsx"
    shutil.copyfile(source, target)
    return target


def next_day_export(rows: int) -> Path:
    """The same after-sales a day later: a tenth of the parcels still in transit have come back
    (快递退回中) or been signed for (买家已签收). Generated once and kept in benchmarks/.cache/."""
    path = CACHE / f"售后单导出-{rows}-次日.xlsx"
    if path.exists():
        return path
    CACHE.mkdir(exist_ok=True)
    started = time.perf_counter()
    partial = path.with_suffix(".partial.xlsx")
    book = xlsxwriter.Workbook(
        str(partial),
        {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    book.set_properties({"created": NEXT_DAY.replace(tzinfo=None)})
    sheet = book.add_worksheet("Sheet1")
    sheet.write_row(0, 0, HEADERS)
    for number, row in enumerate(demo_rows(rows, seed=2026, now=NOW), 1):  # the rows of common.export_file
        cells = list(row.cells)
        if row.tracking_nos and cells[TRACKING_STATE] in IN_TRANSIT and number % 10 == 0:
            cells[TRACKING_STATE] = "快递退回中" if number % 20 == 0 else "买家已签收"
        sheet.write_row(number, 0, cells)
    book.close()
    partial.rename(path)
    print(f"generated {path.name} in {time.perf_counter() - started:.1f} s")
    return path


# --- the database, the accounts and the servers


@contextmanager
def fresh_database(server: str) -> Iterator[str]:
    """The benchmark's own database (one left by an interrupted run is dropped first)."""
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    try:
        yield make_url(server).set(database=DATABASE).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        admin.dispose()


def lanjie_import(export: Path, now: str) -> list[str]:
    return [sys.executable, "-m", "lanjie", "import", str(export), "--now", now, "--operator", "导入"]


def add_operators(url: str, count: int) -> list[tuple[str, str]]:
    engine = open_ledger(url)
    accounts = [(f"操作员{i:02d}", f"bench-password-{i:02d}") for i in range(1, count + 1)]
    for name, password in accounts:
        add_user(engine, name, password, now=NOW)
    engine.dispose()
    return accounts


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


SERVER_LOG = CACHE / "bench_load-servers.log"


@contextmanager
def serving(env: dict[str, str], count: int) -> Iterator[list[str]]:
    """`count` `lanjie serve` processes on the same ledger and secret; yields their base URLs.
    What they log (tracebacks of 500s, say) goes to SERVER_LOG, not between the tables."""
    ports = [free_port() for _ in range(count)]
    CACHE.mkdir(exist_ok=True)
    with SERVER_LOG.open("w", encoding="utf-8") as log:
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "lanjie", "serve", "--port", str(port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            for port in ports
        ]
        try:
            for port, process in zip(ports, processes, strict=True):
                wait_for(port, process)
            yield [f"http://127.0.0.1:{port}" for port in ports]
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=30)


def wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"lanjie serve on port {port} did not start") from None
            time.sleep(0.1)


# --- what was measured


@dataclass
class Samples:
    """Seconds per route, and what went wrong."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)

    def add(self, route: str, seconds: float) -> None:
        self.times[route].append(seconds)


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the value below which `share` of the values lie."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def print_table(title: str, samples: Samples, baseline: Samples | None = None) -> None:
    print(f"\n{title}")
    if not samples.times and not samples.errors:
        print("  (no requests)")
        return
    print(
        f"  {'route':<22} {'n':>6} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9}"
        + ("  p95 vs baseline" if baseline else "")
    )
    for route in ROUTES:
        values = samples.times.get(route)
        if not values:
            continue
        p50, p95, p99 = (percentile(values, q) * 1000 for q in (0.50, 0.95, 0.99))
        line = f"  {route:<22} {len(values):>6} {p50:>9.1f} {p95:>9.1f} {p99:>9.1f}"
        if baseline and baseline.times.get(route):
            line += f"  {p95 / (percentile(baseline.times[route], 0.95) * 1000):6.1f}×"
        print(line)
    if samples.errors:
        print("  errors: " + ", ".join(f"{what} × {n}" for what, n in samples.errors.most_common()))


# --- one operator's browser


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    if match is None:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


def sent_forms(page: str) -> list[dict[str, str | list[str]]]:
    """The 已发送 forms on a courier page, as the browser would post them."""
    forms: list[dict[str, str | list[str]]] = []
    for block in re.findall(r'<form method="post" action="/couriers/sent".*?</form>', page, re.S):
        form: dict[str, str | list[str]] = {"parcel": []}
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', block):
            if name == "parcel":
                form["parcel"].append(html.unescape(value))  # type: ignore[union-attr]
            else:
                form[name] = html.unescape(value)
        forms.append(form)
    return forms


def couriers_of(page: str) -> list[str]:
    return sorted(set(re.findall(r'href="/couriers/([a-z0-9]+)\?bucket=intercept"', page)))


@dataclass
class Operator:
    """One logged-in operator: one cookie jar, its requests round-robin over the servers (a proxy)."""

    name: str
    password: str
    servers: list[str]
    slots: asyncio.Semaphore
    client: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=120, limits=IDLE))
    turn: int = 0

    def url(self, path: str) -> str:
        self.turn += 1
        return self.servers[self.turn % len(self.servers)] + path

    async def request(
        self, samples: Samples | None, route: str, method: str, path: str, ok: int, **options: object
    ) -> httpx.Response | None:
        async with self.slots:
            started = time.perf_counter()
            try:
                response = await self.client.request(method, self.url(path), **options)  # type: ignore[arg-type]
            except httpx.HTTPError as error:
                if samples is not None:
                    samples.errors[f"{route}: {type(error).__name__}"] += 1
                return None
            elapsed = time.perf_counter() - started
        if samples is not None:
            samples.add(route, elapsed)
            if response.status_code != ok:
                samples.errors[f"{route}: HTTP {response.status_code}"] += 1
        return response if response.status_code == ok else None

    async def login(self) -> None:
        page = await self.request(None, "login", "GET", "/login", 200)
        data = {"csrf": csrf_of(page.text if page else ""), "name": self.name, "password": self.password, "next": "/"}
        if await self.request(None, "login", "POST", "/login", 303, data=data) is None:
            raise SystemExit(f"{self.name} could not log in")

    async def workbench(self, samples: Samples | None) -> None:
        await self.request(samples, WORKBENCH, "GET", "/", 200)

    async def courier_page(self, samples: Samples | None, code: str) -> str:
        page = await self.request(samples, COURIER, "GET", f"/couriers/{code}", 200)
        return page.text if page is not None else ""

    async def press_sent(self, samples: Samples | None, form: dict[str, str | list[str]]) -> None:
        """已发送 as htmx posts it, then the page its HX-Redirect names."""
        headers = {"HX-Request": "true", "X-CSRF-Token": str(form["csrf"])}
        answer = await self.request(samples, SENT, "POST", "/couriers/sent", 200, data=form, headers=headers)
        if answer is not None and (target := answer.headers.get("hx-redirect")):
            await self.request(samples, COURIER, "GET", target, 200)

    async def one_round(self, samples: Samples, codes: list[str], rng: random.Random) -> None:
        await self.workbench(samples)
        page = await self.courier_page(samples, rng.choice(codes))
        forms = sent_forms(page)
        if forms and rng.random() < SENT_SHARE:
            await self.press_sent(samples, rng.choice(forms))


# --- the phases


async def baseline(operator: Operator, codes: list[str], repeat: int) -> Samples:
    """One request at a time, nothing else running."""
    samples = Samples()
    for i in range(repeat):
        await operator.workbench(samples)
        page = await operator.courier_page(samples, codes[i % len(codes)])
        forms = sent_forms(page)
        if forms and i < max(3, repeat // 4):
            await operator.press_sent(samples, forms[-1])
    return samples


async def under_load(
    operators: list[Operator], codes: list[str], seconds: float, think: float, importing: list[str], env: dict[str, str]
) -> tuple[Samples, Samples, float | None, int]:
    """Every operator works for `seconds` while the next day's import runs; samples split by
    whether the import was still running when each round started."""
    during, after = Samples(), Samples()
    started = time.perf_counter()
    stop = started + seconds
    process = await asyncio.create_subprocess_exec(
        *importing, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    imported: list[float] = []

    async def import_done() -> None:
        _, stderr = await process.communicate()  # its progress, kept out of the tables; shown if it fails
        imported.append(time.perf_counter() - started)
        if process.returncode:
            print(stderr.decode("utf-8", "replace"), file=sys.stderr)

    async def work(operator: Operator, seed: int) -> None:
        rng = random.Random(seed)
        await asyncio.sleep(rng.uniform(0, think))  # not all at the same instant
        while time.perf_counter() < stop:
            await operator.one_round(during if not imported else after, codes, rng)
            await asyncio.sleep(rng.uniform(0, 2 * think))

    watcher = asyncio.create_task(import_done())
    await asyncio.gather(*(work(operator, i) for i, operator in enumerate(operators)))
    if not imported:
        print(f"  (the import was still running after {seconds:.0f} s; waiting for it)")
    await watcher
    return during, after, imported[0] if imported else None, process.returncode or 0


async def drive(
    servers: list[str], accounts: list[tuple[str, str]], args: argparse.Namespace, env: dict[str, str], next_day: Path
) -> None:
    slots = asyncio.Semaphore(args.concurrency)
    operators = [Operator(name, password, servers, slots) for name, password in accounts]
    try:
        codes = await log_in(operators)
        quiet = await baseline(operators[0], codes, args.repeat)
        print_table("baseline: one request at a time, no other load", quiet)
        importing = lanjie_import(next_day, NEXT_DAY.isoformat())
        cpu, wall = time.process_time(), time.perf_counter()
        during, after, import_seconds, code = await under_load(
            operators, codes, args.seconds, args.think, importing, env
        )
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        await asyncio.gather(*(operator.client.aclose() for operator in operators))
    # On a small machine the client competes with the servers and the database for the CPU: say how much.
    print(f"\nthis client used {cpu:.1f} s of CPU in the {wall:.1f} s under load ({os.cpu_count()} CPUs in all)")
    requests = sum(len(v) for part in (during, after) for v in part.times.values())
    print(f"requests answered under load: {requests:,} ({requests / wall:.1f} a second)")
    label = f"{args.operators} operators, ≤ {args.concurrency} requests at once, {len(servers)} servers"
    report(quiet, during, after, import_seconds, code, label, args.seconds)


async def log_in(operators: list[Operator]) -> list[str]:
    """Everyone logged in, the work decided once after the import; the couriers with work."""
    started = time.perf_counter()
    await operators[0].login()
    await operators[0].workbench(None)
    print(f"first page after the import (decides all work once): {time.perf_counter() - started:.2f} s")
    codes = couriers_of(await operators[0].courier_page(None, "zhongtong")) or ["zhongtong"]
    started = time.perf_counter()
    await asyncio.gather(*(operator.login() for operator in operators[1:]))
    print(
        f"{len(operators)} operators logged in in {time.perf_counter() - started:.1f} s; couriers: {', '.join(codes)}"
    )
    return codes


def report(
    quiet: Samples,
    during: Samples,
    after: Samples,
    import_seconds: float | None,
    code: int,
    label: str,
    seconds: float,
) -> None:
    status = "finished" if code == 0 else f"FAILED (exit {code})"
    print(f"\nimport of the next day's export during the load: {status} after {import_seconds or 0:.1f} s")
    print_table(f"under load ({label}) while the import runs", during, quiet)
    print_table(f"under load ({label}) after the import", after, quiet)
    both = Samples()
    for part in (during, after):
        for route, values in part.times.items():
            both.times[route].extend(values)
        both.errors.update(part.errors)
    print_table(f"under load, all of it ({seconds:.0f} s)", both, quiet)
    errors = sum(both.errors.values())
    worst = max((percentile(v, 0.95) for v in both.times.values() if v), default=0.0)
    verdict = "MET" if errors == 0 and code == 0 and worst <= GOAL_P95 else "NOT MET"
    if errors:
        print(f"\nwhat the servers logged: {SERVER_LOG}")
    print(
        f"\ngoal (0 errors, p95 ≤ {GOAL_P95 * 1000:.0f} ms on every route): {verdict}"
        f" — {errors} errors, worst p95 {worst * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--operators", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60, help="how long the operators work under load")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight at once, at most")
    parser.add_argument("--servers", type=int, default=2, help="lanjie serve processes on the one database")
    parser.add_argument("--think", type=float, default=5.0, help="mean seconds an operator pauses between rounds")
    parser.add_argument("--repeat", type=int, default=20, help="baseline rounds")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    day, next_day = export_file(args.rows), next_day_export(args.rows)
    with tempfile.TemporaryDirectory() as folder, fresh_database(args.postgres) as url:
        env = {**os.environ, "LANJIE_DATABASE_URL": url, "LANJIE_PARTNERS": PARTNERS}
        env["LANJIE_SECRET_KEY"] = secrets.token_urlsafe(48)  # one key for every server
        first = stamped_copy(day, Path(folder), "2026-11-26-09-30-00")
        second = stamped_copy(next_day, Path(folder), "2026-11-27-09-30-00")
        started = time.perf_counter()
        done = subprocess.run(lanjie_import(first, NOW.isoformat()), env=env, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(done.stderr)
        print(f"import of {args.rows:,} after-sales: {time.perf_counter() - started:.1f} s")
        accounts = add_operators(url, args.operators)
        with serving(env, args.servers) as servers:
            asyncio.run(drive(servers, accounts, args, env, second))


if __name__ == "__main__":
    main()
