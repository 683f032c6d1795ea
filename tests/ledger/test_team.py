"""Team safety: concurrent senders, killed imports — with real connections and real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from exports import aftersale, write_xlsx
from lanjie.config import load_settings
from lanjie.demo import write_demo_export
from lanjie.ledger.actions import ParcelRef, RemarkRef, SentReport, record_remarks, record_sent
from lanjie.ledger.database import open_ledger
from lanjie.ledger.schema import aftersales, events, imports, interceptions, remarks, shops
from lanjie.model import SHANGHAI
from lanjie.pipeline import import_and_analyse

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=SHANGHAI)
NUMBERS = [f"7361055558288{i}" for i in range(6)]


@pytest.fixture
def shop_id(ledger: Engine, tmp_path: Path) -> int:
    rows = [aftersale(售后单号=f"10{i}", 发货物流单号=n) for i, n in enumerate(NUMBERS)]
    path = write_xlsx(tmp_path / "售后单导出-2026-11-26-09-30-00.xlsx", rows)
    import_and_analyse([path], settings=load_settings(partners="zhongtong"), now=NOW, ledger=ledger)
    with ledger.connect() as conn:
        return int(conn.execute(select(shops.c.id)).scalar_one())


def race(ledger_url: str, jobs: list[list[ParcelRef]]) -> list[SentReport]:
    """Every job on its own connection, all released at the same instant."""
    engines = [open_ledger(ledger_url) for _ in jobs]
    barrier = threading.Barrier(len(jobs))
    results: list[SentReport | None] = [None] * len(jobs)
    errors: list[BaseException] = []

    def send(index: int) -> None:
        try:
            barrier.wait()
            results[index] = record_sent(
                engines[index], jobs[index], operator=f"客服{index}", now=NOW + timedelta(minutes=index)
            )
        except BaseException as error:  # surfaced below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for engine in engines:
        engine.dispose()
    assert not errors, errors
    return [r for r in results if r is not None]


@pytest.mark.parametrize("round_", range(3))
def test_same_parcel_sent_at_the_same_moment_is_one_request(
    ledger: Engine, ledger_url: str, shop_id: int, round_: int
) -> None:
    parcel = ParcelRef(shop_id, NUMBERS[0], "zhongtong")
    reports = race(ledger_url, [[parcel] for _ in range(6)])
    winners = [r for r in reports if r.recorded]
    assert len(reports) == 6 and len(winners) == 1
    with ledger.connect() as conn:
        stored = conn.execute(select(interceptions)).one()
        requested = conn.execute(select(func.count()).where(events.c.kind == "intercept_requested")).scalar_one()
    assert requested == 1
    for report in reports:
        if report is not winners[0]:
            [earlier] = report.already
            assert (earlier.by, earlier.at) == (stored.requested_by, stored.requested_at)


def test_overlapping_lists_sent_at_once_record_each_parcel_once(ledger: Engine, ledger_url: str, shop_id: int) -> None:
    refs = [ParcelRef(shop_id, n, "zhongtong") for n in NUMBERS]
    reports = race(ledger_url, [refs[0:4], refs[2:6], refs[1:5]])
    recorded = [p.tracking_no for r in reports for p in r.recorded]
    assert sorted(recorded) == sorted(NUMBERS)  # every parcel exactly once, whoever got there first
    told = [e.parcel.tracking_no for r in reports for e in r.already]
    assert len(told) == 4 + 4 + 4 - 6
    with ledger.connect() as conn:
        assert conn.execute(select(func.count()).select_from(interceptions)).scalar_one() == 6


def test_the_database_itself_refuses_a_second_request(ledger: Engine, shop_id: int) -> None:
    row = {
        "shop_id": shop_id,
        "tracking_no": NUMBERS[0],
        "requested_at": NOW,
        "requested_by": "甲",
        "outcome": "pending",
        "chase_count": 0,
    }
    with ledger.begin() as conn:
        conn.execute(insert(interceptions).values(row))
    with pytest.raises(IntegrityError), ledger.begin() as conn:
        conn.execute(insert(interceptions).values({**row, "requested_by": "乙"}))


def test_a_remark_is_recorded_once(ledger: Engine, ledger_url: str, shop_id: int) -> None:
    remark = RemarkRef(shop_id, "O-A1", "已拦截", "11-26 已拦截 中通", "紫", "O-A1")
    assert record_remarks(ledger, [remark], operator="甲", now=NOW) == 1
    assert record_remarks(ledger, [remark], operator="乙", now=NOW) == 0
    with ledger.connect() as conn:
        assert conn.execute(select(remarks.c.written_by)).scalars().all() == ["甲"]


@pytest.fixture(scope="session")
def big_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "售后单导出-2026-11-26-09-30-00.xlsx"
    write_demo_export(path, rows=20_000, seed=3, now=NOW)
    return path


def ledger_counts(url: str) -> tuple[int, int, int]:
    engine = open_ledger(url)
    with engine.connect() as conn:
        result = tuple(
            int(conn.execute(select(func.count()).select_from(t)).scalar_one()) for t in (imports, aftersales, events)
        )
    engine.dispose()
    return result  # type: ignore[return-value]


def test_an_import_killed_half_way_leaves_the_ledger_as_it_was(
    ledger_url: str, shop_id: int, big_export: Path, tmp_path: Path
) -> None:
    before = ledger_counts(ledger_url)
    env = {**os.environ, "LANJIE_DATABASE_URL": ledger_url}
    process = subprocess.Popen(
        [sys.executable, "-m", "lanjie", "import", str(big_export), "--now", NOW.isoformat()],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if "写入台账" in line and "100%" not in line:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, f"the import finished before it could be killed: {seen}"
    assert ledger_counts(ledger_url) == before

    finished = subprocess.run(
        [sys.executable, "-m", "lanjie", "import", str(big_export), "--now", NOW.isoformat()],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    imported, stored, logged = ledger_counts(ledger_url)
    assert imported == before[0] + 1
    assert stored == before[1] + 20_000
    assert logged == before[2]  # 20,000 new after-sales, no changes to log
