"""lanjie serve's background tracking: two servers sharing one ledger (two engines, two trackers) ask
快递100 about each parcel once per interval between them, not once each; the thread starts with the
app only when asked and 快递100 is set up, and a failure is logged without secrets. Against the fake
快递100 over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from exports import aftersale, write_xlsx
from fakes.kuaidi100 import FakeKuaidi100
from lanjie.clients.kuaidi100 import Kuaidi100Client
from lanjie.config import Settings, load_settings
from lanjie.ledger.database import open_ledger
from lanjie.model import SHANGHAI
from lanjie.pipeline import import_and_analyse
from lanjie.tracking.refresh import TrackReport
from lanjie.web.app import create_app
from lanjie.web.data import tracked_at
from lanjie.web.tracking import BackgroundTracking, Services

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=SHANGHAI)
SECRET = "a-server-secret-of-enough-length-for-lanjie-0123456789"
PHONE = "13800001234"
ZTO = ["73610555582881", "73610555582882", "73610555582883"]


@pytest.fixture
def fake() -> Iterator[FakeKuaidi100]:
    with FakeKuaidi100(now=NOW.timestamp()) as running:
        for number in ZTO:
            running.track(number, "zhongtong", "0", [("2026-11-26 08:00:00", "【杭州】运输中")], phone=PHONE)
        yield running


@pytest.fixture
def servers(ledger_url: str) -> Iterator[tuple[Engine, Engine]]:
    """Two servers' connections to the one ledger."""
    first, second = open_ledger(ledger_url), open_ledger(ledger_url)
    yield first, second
    first.dispose()
    second.dispose()


def settings_for(fake: FakeKuaidi100) -> Settings:
    return load_settings(
        partners="zhongtong",
        operator="小王",
        secret_key=SECRET,
        kuaidi100_customer=fake.customer,
        kuaidi100_key=fake.key,
        kuaidi100_base_url=fake.url,
        kuaidi100_phone=PHONE,
    )


def services_for(fake: FakeKuaidi100) -> Services:
    def client(settings: Settings) -> Kuaidi100Client:
        return Kuaidi100Client(
            settings.kuaidi100_customer,
            settings.kuaidi100_key,
            base_url=settings.kuaidi100_base_url,
            clock=fake.clock,
            sleep=lambda _: None,
            retries=0,
        )

    return Services(kuaidi100=client, pace=lambda _: None)


def clock_of(fake: FakeKuaidi100) -> datetime:
    return datetime.fromtimestamp(fake.now, tz=SHANGHAI)


@pytest.fixture
def imported(ledger: Engine, tmp_path: Path, fake: FakeKuaidi100) -> Settings:
    settings = settings_for(fake)
    rows = [aftersale(售后单号=f"10{i}", 发货物流单号=n) for i, n in enumerate(ZTO, 1)]
    path = write_xlsx(tmp_path / "售后单导出-2026-11-26-09-30-00.xlsx", rows)
    import_and_analyse([path], settings=settings, now=NOW, ledger=ledger)
    return settings


def trackers(
    servers: tuple[Engine, Engine], fake: FakeKuaidi100, settings: Settings, *, wake: float = 60.0
) -> list[BackgroundTracking]:
    return [
        BackgroundTracking(
            engine, settings, clock=lambda: clock_of(fake), services=services_for(fake), name=f"server-{i}", wake=wake
        )
        for i, engine in enumerate(servers)
    ]


def at_once(both: list[BackgroundTracking]) -> list[TrackReport]:
    """Both servers wake at the same moment."""
    start = threading.Barrier(len(both))
    reports: list[TrackReport] = []

    def wake(tracker: BackgroundTracking) -> None:
        start.wait()
        report = tracker.run_once()
        if report is not None:
            reports.append(report)

    threads = [threading.Thread(target=wake, args=(t,)) for t in both]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return reports


def test_two_servers_ask_each_parcel_once_per_interval(
    imported: Settings, servers: tuple[Engine, Engine], fake: FakeKuaidi100
) -> None:
    both = trackers(servers, fake, imported)
    [first] = at_once(both)
    assert first.asked == 3 and first.answered == 3 and first.errors == []
    assert dict(fake.queries) == dict.fromkeys(ZTO, 1)
    fake.advance(5 * 60)
    assert at_once(both) == [] and dict(fake.queries) == dict.fromkeys(ZTO, 1)  # within the interval: nobody asks
    fake.advance(26 * 60)  # 31 minutes on: the next interval
    [second] = at_once(both)
    assert second.asked == 3 and second.errors == [] and dict(fake.queries) == dict.fromkeys(ZTO, 2)
    assert at_once(both) == [] and dict(fake.queries) == dict.fromkeys(ZTO, 2)


def test_the_threads_track_once_and_stop(
    ledger: Engine, imported: Settings, servers: tuple[Engine, Engine], fake: FakeKuaidi100
) -> None:
    both = trackers(servers, fake, imported, wake=0.02)  # waking fifty times a second, the clock standing still
    for tracker in both:
        tracker.start()
    try:
        deadline = time.monotonic() + 10
        while True:
            with ledger.connect() as conn:
                if tracked_at(conn) is not None:
                    break
            assert time.monotonic() < deadline, "the background tracking did not run"
            time.sleep(0.02)
        time.sleep(0.3)
    finally:
        for tracker in both:
            tracker.stop()
    assert not any(t.running for t in both)
    assert dict(fake.queries) == dict.fromkeys(ZTO, 1)


def test_a_failed_refresh_is_logged_without_secrets(
    imported: Settings, servers: tuple[Engine, Engine], fake: FakeKuaidi100, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="lanjie.tracking")
    fake.account_ok = False  # every query is refused: the key expired
    report = trackers(servers, fake, imported)[0].run_once()
    assert report is not None and len(report.errors) == 3 and report.answered == 0
    logged = caplog.text
    assert "3 of 3 queries failed" in logged and fake.key not in logged and fake.customer not in logged


def test_the_app_tracks_in_the_background_only_when_asked_and_set_up(ledger: Engine, fake: FakeKuaidi100) -> None:
    settings = settings_for(fake)

    def app(chosen: Settings, background: bool) -> FastAPI:
        return create_app(
            ledger=ledger,
            settings=chosen,
            team=False,
            secret=SECRET,
            clock=lambda: clock_of(fake),
            background_tracking=background,
            services=services_for(fake),
        )

    assert app(settings, False).state.tracker is None
    assert app(load_settings(), True).state.tracker is None  # no 快递100 account
    running = app(settings, True)
    with TestClient(running):
        assert running.state.tracker.running
    assert not running.state.tracker.running
