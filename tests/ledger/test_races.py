"""Imports side by side: real `lanjie import` processes released at the same moment.

Every race must end as if the imports had run one after the other: each process exits 0
(the losers of a race for the same file say who imported it first), and the ledger holds
exactly what a sequential import in the same order gives. Whatever that order, the newest
export wins: every after-sale's state and each shop's current work are those of a sequential
import from the oldest export to the newest.

LANJIE_RACE_ROUNDS sets how many rounds each race runs (default: 2 for two processes, 1 for
more; 25 for a thorough run).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from databases import create_database, drop_database
from exports import NOW, aftersale, csv_bytes, run_cli, write_xlsx
from lanjie.config import load_settings
from lanjie.ledger.database import open_ledger
from lanjie.ledger.schema import aftersale_parcels, aftersales, events, import_files, imports, metadata, parcels, shops
from lanjie.pipeline import analyse_ledger, import_and_analyse

_ROUNDS = os.environ.get("LANJIE_RACE_ROUNDS")  # read before each test's LANJIE_* variables are cleared


def rounds(processes: int) -> int:
    """LANJIE_RACE_ROUNDS, or by default 2 rounds of a two-process race and 1 of a bigger one."""
    return int(_ROUNDS) if _ROUNDS else (2 if processes <= 2 else 1)


SHOPS = ("一号店", "二号店", "三号店")
AT = f"{NOW:%Y-%m-%dT%H:%M:%S%z}"  # every process and every reference import: the same "now"


# --- Processes released at the same moment, ledgers compared as what they hold

_LAUNCH = """
import sys, time
from pathlib import Path
import lanjie.cli, lanjie.ledger.importer, lanjie.pipeline, lanjie.ingest.load, sqlalchemy  # warm up
ready, start = Path(sys.argv[1]), Path(sys.argv[2])
ready.touch()
while not start.exists():
    time.sleep(0.001)
sys.argv = ["lanjie", *sys.argv[3:]]
from lanjie.cli import app
app(prog_name="lanjie")
"""


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str


def start_together(
    folder: Path, commands: Sequence[Sequence[object]], envs: Sequence[Mapping[str, str]], *, timeout: float = 120
) -> list[Finished]:
    """Run `lanjie <command>` once per command, all released at the same moment; wait for all."""
    folder.mkdir(parents=True, exist_ok=True)
    start = folder / "start"
    start.unlink(missing_ok=True)
    processes = []
    for number, (command, env) in enumerate(zip(commands, envs, strict=True)):
        ready = folder / f"ready-{number}"
        ready.unlink(missing_ok=True)
        processes.append(
            (
                ready,
                subprocess.Popen(
                    [sys.executable, "-c", _LAUNCH, str(ready), str(start), *map(str, command)],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    env={**os.environ, **env},
                ),
            )
        )
    deadline = time.monotonic() + timeout
    while not all(ready.exists() for ready, _ in processes):
        assert time.monotonic() < deadline, "the processes never got ready"
        assert all(p.poll() is None for _, p in processes), [p.communicate() for _, p in processes if p.poll()]
        time.sleep(0.01)
    start.touch()
    finished = []
    for _, process in processes:
        out, err = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
        finished.append(Finished(process.returncode, out, err))
    return finished


@contextmanager
def postgres_ledgers(count: int) -> Iterator[list[str]]:
    """Throwaway PostgreSQL ledgers of this test's own."""
    urls = [create_database() for _ in range(count)]
    try:
        yield urls
    finally:
        for url in urls:
            drop_database(url)


def empty(url: str) -> None:
    """Empty a PostgreSQL ledger between rounds (SQLite ledgers are new files). The event log
    refuses TRUNCATE, as it should; a replica session (superuser only) skips triggers, which is
    how a test may start over."""
    engine = open_ledger(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(f"TRUNCATE {', '.join(t.name for t in metadata.sorted_tables)} RESTART IDENTITY"))
    finally:
        engine.dispose()


def ledger_contents(engine: Engine) -> dict[str, Any]:
    """What the ledger holds, without database ids or anything else that numbers rows.

    Imports are named by their files, shops by their names; each after-sale says whether it
    is part of its shop's current work; events keep their order."""
    with engine.connect() as conn:
        shop_names = dict(conn.execute(select(shops.c.id, shops.c.name)).all())
        files: dict[int, list[str]] = {}
        for import_id, name in conn.execute(
            select(import_files.c.import_id, import_files.c.file_name).order_by(import_files.c.file_name)
        ):
            files.setdefault(import_id, []).append(name)
        brought = {**{import_id: "+".join(names) for import_id, names in files.items()}, 0: "-"}
        latest = dict(
            conn.execute(
                select(aftersales.c.shop_id, func.max(aftersales.c.last_import_id)).group_by(aftersales.c.shop_id)
            ).all()
        )
        # Each shop's current import, kept on the shop by the imports, whatever order they committed in.
        kept_current = dict(conn.execute(select(shops.c.id, shops.c.current_import_id)).all())
        assert kept_current == {shop_id: latest.get(shop_id, 0) for shop_id in kept_current}
        after_sales = sorted(
            (
                shop_names[row.shop_id],
                row.aftersale_id,
                tuple(
                    (column, value)
                    for column, value in row._mapping.items()
                    if column not in ("shop_id", "first_import_id", "last_import_id")
                ),
                brought[row.first_import_id],
                row.last_import_id == latest[row.shop_id],
            )
            for row in conn.execute(select(aftersales))
        )
        parcel_rows = sorted((shop_names[row.shop_id], *tuple(row)[1:]) for row in conn.execute(select(parcels)))
        links = sorted((shop_names[row.shop_id], *tuple(row)[1:]) for row in conn.execute(select(aftersale_parcels)))
        event_rows = [
            (
                row.kind,
                shop_names[row.shop_id],
                row.aftersale_id,
                row.tracking_no,
                row.order_id,
                row.before,
                row.after,
                row.operator,
                brought.get(row.import_id or 0),
            )
            for row in conn.execute(select(events).order_by(events.c.id))
        ]
        import_rows = [
            (row.operator, brought[row.id], json.loads(row.bucket_counts) if row.bucket_counts else None)
            for row in conn.execute(select(imports).order_by(imports.c.id))
        ]
        file_rows = sorted(
            tuple(row)[2:] for row in conn.execute(select(import_files))
        )  # name, sha256, exported_at, rows, after-sales
    return {
        "shops": sorted(shop_names.values()),
        "imports": import_rows,
        "import_files": file_rows,
        "aftersales": after_sales,
        "parcels": parcel_rows,
        "links": links,
        "events": event_rows,
    }


def current_states(contents: Mapping[str, Any]) -> dict[str, Any]:
    """What a shop's work looks like now: every after-sale's state and which ones are current
    work, without where they came from (the import that brought an after-sale, the export row
    a state was first read from). Independent of the order the imports ran in."""
    provenance = ("source_file", "source_row")
    return {
        "aftersales": sorted(
            (shop, key, tuple(v for v in values if v[0] not in provenance), current)
            for shop, key, values, _, current in contents["aftersales"]
        ),
        "parcels": contents["parcels"],
        "links": contents["links"],
    }


# --- The races


def export(folder: Path, when: datetime, rows: list[dict[str, object]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_xlsx(folder / f"售后单导出-{when:%Y-%m-%d-%H-%M-%S}.xlsx", rows)


def row(key: int, **changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "售后单号": f"73{key:017d}",
        "发货物流单号": f"7361055{key:07d}",
        "门店名称": SHOPS[key % len(SHOPS)],
    }
    return aftersale(**{**values, **changes})


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class Ledgers:
    """A fresh ledger per use: new SQLite files, or emptied PostgreSQL databases of the test's own."""

    def __init__(self, backend: str, folder: Path, postgres: list[str]) -> None:
        self.backend, self.folder, self.postgres, self.made = backend, folder, postgres, 0

    def fresh(self, slot: int) -> str:
        self.made += 1
        if self.backend == "sqlite":
            return f"sqlite:///{self.folder / f'ledger-{self.made}.sqlite3'}"
        empty(self.postgres[slot])
        return self.postgres[slot]


@pytest.fixture
def ledgers(backend: str, tmp_path: Path) -> Iterator[Ledgers]:
    if backend == "sqlite":
        yield Ledgers(backend, tmp_path, [])
        return
    with postgres_ledgers(2) as urls:
        yield Ledgers(backend, tmp_path, urls)


@contextmanager
def opened(url: str) -> Iterator[Engine]:
    engine = open_ledger(url)
    try:
        yield engine
    finally:
        engine.dispose()


def sequential(url: str, imports: list[tuple[Path, str]]) -> dict[str, object]:
    """The ledger after importing these files one after the other (each by its operator)."""
    with opened(url) as engine:
        for path, operator in imports:
            settings = load_settings(partners="zhongtong", operator=operator)
            import_and_analyse([path], settings=settings, now=NOW, ledger=engine)
        return ledger_contents(engine)


def serialized_order(engine: Engine) -> list[tuple[str, str]]:
    """(file, operator) of each import, in the order the ledger applied them."""
    with engine.connect() as conn:
        return [
            (r.file_name, r.operator)
            for r in conn.execute(
                select(import_files.c.file_name, imports.c.operator)
                .join(imports, imports.c.id == import_files.c.import_id)
                .order_by(imports.c.id)
            )
        ]


def race(url: str, folder: Path, paths: list[Path]) -> list[str]:
    """Import each file in its own process, all at once; every one must succeed. Returns the outputs."""
    commands = [("import", path, "--now", AT) for path in paths]
    envs = [
        {"LANJIE_DATABASE_URL": url, "LANJIE_OPERATOR": f"员工{n}", "LANJIE_PARTNERS": "zhongtong"}
        for n in range(len(paths))
    ]
    results = start_together(folder, commands, envs)
    for result in results:
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr and "出错" not in result.stderr, result.stderr
    return [result.stdout for result in results]


def check_equals_sequential(ledgers: Ledgers, race_url: str, folder: Path) -> dict[str, object]:
    with opened(race_url) as engine:
        order = serialized_order(engine)
        raced = ledger_contents(engine)
    by_name = {path.name: path for path in folder.glob("*.xlsx")}
    expected = sequential(ledgers.fresh(1), [(by_name[name], operator) for name, operator in order])
    assert raced == expected
    return raced


@pytest.mark.parametrize("processes", [2, 8])
def test_the_same_file_imported_at_once(ledgers: Ledgers, tmp_path: Path, processes: int) -> None:
    path = export(tmp_path / "exports", NOW, [row(k) for k in range(40)])
    for number in range(rounds(processes)):
        url = ledgers.fresh(0)
        outputs = race(url, tmp_path / f"race-{number}", [path] * processes)
        winners = [out for out in outputs if "新增 40 个售后单" in out]
        assert len(winners) == 1, outputs
        raced = check_equals_sequential(ledgers, url, path.parent)
        [(who, _, _)] = raced["imports"]  # type: ignore[misc]
        for out in outputs:
            assert out in winners or f"{path.name} 已在 11-26 09:30 由 {who} 导入过" in out, out


def test_two_exports_of_one_shop_at_once(ledgers: Ledgers, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    day1 = export(folder, NOW, [row(k, 门店名称="一号店") for k in range(60)])
    day2 = export(
        folder,
        NOW + timedelta(days=1),
        [row(k, 门店名称="一号店", 发货物流状态="运输中" if k < 40 else "") for k in range(65)],
    )
    day3 = export(
        folder,
        NOW + timedelta(days=2),
        [row(k, 门店名称="一号店", 发货物流状态="快递退回中" if k < 40 else "") for k in range(5, 60)]
        + [row(k, 门店名称="一号店") for k in range(70, 75)],
    )
    natural = current_states(sequential(ledgers.fresh(1), [(day1, "小王"), (day2, "员工0"), (day3, "员工1")]))
    for number in range(rounds(2)):
        url = ledgers.fresh(0)
        sequential(url, [(day1, "小王")])
        race(url, tmp_path / f"race-{number}", [day2, day3])
        raced = check_equals_sequential(ledgers, url, folder)
        assert current_states(raced) == natural  # the newest export wins, whichever came first
        with opened(url) as engine, engine.connect() as conn:
            states = dict(conn.execute(select(aftersales.c.aftersale_id, aftersales.c.logistics_raw)).all())
        assert [states[f"73{k:017d}"] for k in range(5, 40)] == ["快递退回中"] * 35


def test_the_newest_export_wins_whatever_the_order(ledgers: Ledgers, tmp_path: Path) -> None:
    """Three exports of a shop imported in every order end alike: each after-sale in the state
    of the newest export that lists it, the shop's current work that of the newest export."""
    folder = tmp_path / "exports"
    day1 = export(folder, NOW, [row(k, 门店名称="一号店") for k in range(30)])
    day2 = export(
        folder,
        NOW + timedelta(days=1),
        [row(k, 门店名称="一号店", 发货物流状态="已签收" if k >= 20 else "运输中") for k in range(30)]
        + [row(k, 门店名称="一号店") for k in range(40, 45)],  # listed by day 2 only
    )
    day3 = export(
        folder,
        NOW + timedelta(days=2),
        # 5–9 move on; 10–19 are back as on day 1 (the same row as day 1: day 2 must not win)
        [row(k, 门店名称="一号店", 发货物流状态="快递退回中") for k in range(5, 10)]
        + [row(k, 门店名称="一号店") for k in range(10, 20)]
        + [row(k, 门店名称="一号店", 发货物流状态="已签收") for k in range(20, 30)]
        + [row(k, 门店名称="一号店") for k in range(50, 55)],
    )
    results = {}
    for order in itertools.permutations([day1, day2, day3]):
        contents = sequential(ledgers.fresh(0), [(path, "小王") for path in order])
        results[tuple(path.name[6:16] for path in order)] = current_states(contents)
    natural = results[(day1.name[6:16], day2.name[6:16], day3.name[6:16])]
    assert all(states == natural for states in results.values()), [k for k, v in results.items() if v != natural]
    logistics = {key[-2:]: dict(values)["logistics_raw"] for _, key, values, _ in natural["aftersales"]}
    current = sorted(int(key[-2:]) for _, key, _, now in natural["aftersales"] if now)
    assert logistics["00"] == "运输中" and logistics["05"] == "快递退回中" and logistics["10"] == ""
    assert current == [*range(5, 30), *range(50, 55)]


@pytest.mark.parametrize("processes", [2, 8])
def test_overlapping_exports_at_once(ledgers: Ledgers, tmp_path: Path, processes: int) -> None:
    """Each export shares after-sales with the next and spans all three shops, so every pair
    of imports competes for the same rows and takes the same locks."""
    folder = tmp_path / "exports"
    logistics = ["", "运输中", "快递退回中", "已签收"]
    states = ["待买家退货", "待商家处理"]
    paths = [
        export(
            folder,
            NOW + timedelta(hours=n),
            [row(k, 发货物流状态=logistics[(n + k) % 4], 售后状态=states[n % 2]) for k in keys]
            + [row(1000 + n)],  # one after-sale that only this export has
        )
        for n in range(processes)
        for keys in [range(10 * n, 10 * n + 30)]
    ]
    natural = current_states(sequential(ledgers.fresh(1), [(p, f"员工{n}") for n, p in enumerate(paths)]))
    for number in range(rounds(processes)):
        url = ledgers.fresh(0)
        race(url, tmp_path / f"race-{number}", paths)
        raced = check_equals_sequential(ledgers, url, folder)
        assert current_states(raced) == natural


def test_first_use_of_a_new_sqlite_ledger_by_many_processes(tmp_path: Path) -> None:
    """Eight processes open a ledger file that does not exist yet: each must find it ready
    (switching a new file to WAL and migrating it once, whoever comes first)."""
    processes = 8
    for number in range(rounds(processes)):
        path = tmp_path / f"new-{number}.sqlite3"
        commands = [("db", "info", "--db", path, "--json")] * processes
        results = start_together(tmp_path / f"start-{number}", commands, [{}] * processes)
        assert [r.returncode for r in results] == [0] * processes, [r.stderr for r in results if r.returncode]


def _write_lock_held(path: Path) -> bool:
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as error:
        assert "locked" in str(error)
        return True
    finally:
        probe.close()


def test_reads_answer_while_a_large_import_holds_the_write_lock(tmp_path: Path) -> None:
    from webtools import Browser, Clock, make_app

    path = tmp_path / "ledger.sqlite3"
    url = f"sqlite:///{path}"
    small = tmp_path / "small" / f"售后单导出-{NOW:%Y-%m-%d-%H-%M-%S}.xlsx"
    small.parent.mkdir()
    write_xlsx(small, [row(k) for k in range(3)])
    assert run_cli("import", small, "--db", path, "--now", AT).returncode == 0
    large = tmp_path / f"售后单导出-{NOW + timedelta(hours=1):%Y-%m-%d-%H-%M-%S}.csv"
    large.write_bytes(csv_bytes([row(k) for k in range(40_000)], encoding="utf-8"))

    engine = open_ledger(url)  # waits up to 60 s for a write lock, as a real server does
    with make_app(engine, Clock(NOW)) as client:
        web = Browser(client)
        web.get("/operator")
        assert web.post("/operator", {"name": "小王", "next": "/"}).status_code == 303
        assert client.get("/").status_code == 200  # the work view is up to date before the import starts
        importing = subprocess.Popen(
            [sys.executable, "-m", "lanjie", "import", large, "--db", path, "--now", AT],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while not _write_lock_held(path):
                assert importing.poll() is None, importing.communicate()
                assert time.monotonic() < deadline
                time.sleep(0.005)
            started = time.monotonic()
            with engine.connect() as conn:
                count = conn.execute(select(func.count()).select_from(aftersales)).scalar_one()
            work = analyse_ledger(engine, settings=load_settings(), now=NOW)
            page = client.get("/")
            took = time.monotonic() - started
            still_held = _write_lock_held(path)
        finally:
            out, err = importing.communicate(timeout=120)
    engine.dispose()
    assert importing.returncode == 0, err
    assert "新增 39997 个售后单" in out
    assert took < 2, f"reads waited {took:.1f} s for the import"
    assert still_held, "the import finished first: the reads were not tested against a held lock"
    assert count == 3 and len(work.decisions) == 3  # the last committed state, not half an import
    assert page.status_code == 200 and page.text.count("/aftersales/") >= 3


def test_an_import_killed_at_any_moment_is_absent_or_complete(backend: str, tmp_path: Path) -> None:
    """SIGKILL an import, ten times: at moments spread over its life, and the moment its rows
    appear in the ledger (the moment that once left an import without its counts). Each time
    the import is recorded with its file, its rows and its counts, or not at all."""
    kills = 10
    paths = []
    for number in range(kills + 1):
        path = tmp_path / f"售后单导出-{NOW + timedelta(hours=number):%Y-%m-%d-%H-%M-%S}.csv"
        rows = [row(10_000 * number + k) for k in range(2000)]
        path.write_bytes(csv_bytes(rows, encoding="utf-8"))
        paths.append(path)
    with postgres_ledgers(1 if backend == "postgresql" else 0) as urls:
        url = urls[0] if urls else f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
        env = {**os.environ, "LANJIE_DATABASE_URL": url}
        importing = [sys.executable, "-m", "lanjie", "import", "--now", AT]
        assert run_cli("db", "upgrade", env={"LANJIE_DATABASE_URL": url}).returncode == 0
        started = time.monotonic()
        subprocess.run([*importing, paths[0]], env=env, capture_output=True, check=True)
        whole = time.monotonic() - started
        outcomes = []
        recorded = _imports_complete(url, 2000)
        with opened(url) as watcher:
            for number in range(1, kills + 1):
                process = subprocess.Popen([*importing, paths[number]], env=env, stdout=subprocess.DEVNULL)
                if number % 2:  # anywhere in the import's life
                    time.sleep(whole * (number - 1 + random.random()) / kills)
                else:  # as soon as its rows can be seen
                    while _rows(watcher) == 2000 * recorded and process.poll() is None:
                        time.sleep(0.001)
                process.send_signal(signal.SIGKILL)
                process.wait()
                now_recorded = _imports_complete(url, 2000)
                outcomes.append("complete" if now_recorded > recorded else "absent")
                recorded = now_recorded
        print(f"{backend}: imports killed: {', '.join(outcomes)}")


def _rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(aftersales)).scalar_one())


def _imports_complete(url: str, rows_per_file: int) -> int:
    """Every import in the ledger has its file, its rows and its counts, and nothing else is
    there; returns how many imports there are."""
    with opened(url) as engine, engine.connect() as conn:
        recorded = conn.execute(select(imports.c.id, imports.c.bucket_counts)).all()
        files = conn.execute(select(func.count()).select_from(import_files)).scalar_one()
        rows = conn.execute(select(func.count()).select_from(aftersales)).scalar_one()
    assert all(counts for _, counts in recorded), "an import without its counts"
    assert files == len(recorded) and rows == rows_per_file * len(recorded)
    return len(recorded)
