"""lanjie serve's background sync: two servers sharing one ledger (two engines, two syncers)
sync a shop once per interval between them, not once each; a failure is recorded on the shop
and logged without secrets. Against the fake platform, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import Engine

from fakes.doudian import FakeDoudian
from lanjie.ledger.database import open_ledger
from lanjie.model import SHANGHAI
from lanjie.platform.sync import SyncReport
from lanjie.web.doudian import BackgroundSync
from ledger.platform_helpers import at, connected, current, platform, settings_for


@pytest.fixture
def servers(ledger_url: str) -> Iterator[tuple[Engine, Engine]]:
    """Two servers' connections to the one ledger."""
    first, second = open_ledger(ledger_url), open_ledger(ledger_url)
    yield first, second
    first.dispose()
    second.dispose()


def list_calls(fake: FakeDoudian) -> int:
    return sum(1 for r in fake.received if r.path == "afterSale/List")


def syncers(servers: tuple[Engine, Engine], fake: FakeDoudian, *, wake: float = 60.0) -> list[BackgroundSync]:
    def clock() -> datetime:
        return datetime.fromtimestamp(fake.now, tz=SHANGHAI)

    return [
        BackgroundSync(engine, settings_for(fake), clock=clock, name=f"server-{i}", wake=wake)
        for i, engine in enumerate(servers)
    ]


def at_once(both: list[BackgroundSync]) -> list[SyncReport]:
    """Both servers wake at the same moment."""
    start = threading.Barrier(len(both))
    reports: list[SyncReport] = []

    def wake(syncer: BackgroundSync) -> None:
        start.wait()
        reports.extend(syncer.run_once())

    threads = [threading.Thread(target=wake, args=(s,)) for s in both]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return reports


def test_two_servers_sync_a_shop_once_per_interval(ledger: Engine, servers: tuple[Engine, Engine]) -> None:
    with platform() as (fake, client):
        fake.seed_after_sales(30)
        connected(ledger, fake, client)
        both = syncers(servers, fake)
        [first] = at_once(both)
        assert first.errors == [] and first.full and first.new > 0
        per_sync = list_calls(fake)
        assert per_sync >= 1 and current(ledger).synced_at == at(fake)
        fake.advance(5 * 60)
        assert at_once(both) == [] and list_calls(fake) == per_sync  # within the interval: nobody syncs
        fake.advance(5 * 60)
        [second] = at_once(both)
        assert second.errors == [] and not second.full and list_calls(fake) == 2 * per_sync
        assert at_once(both) == [] and list_calls(fake) == 2 * per_sync
        assert current(ledger).synced_at == at(fake)


def test_the_threads_sync_once_and_stop(ledger: Engine, servers: tuple[Engine, Engine]) -> None:
    with platform() as (fake, client):
        fake.seed_after_sales(10)
        connected(ledger, fake, client)
        both = syncers(servers, fake, wake=0.02)  # waking fifty times a second, the clock standing still
        for syncer in both:
            syncer.start()
        deadline = time.monotonic() + 10
        while current(ledger).synced_at is None:
            assert time.monotonic() < deadline, "the background sync did not run"
            time.sleep(0.02)
        per_sync = list_calls(fake)
        time.sleep(0.3)
        for syncer in both:
            syncer.stop()
        assert not any(s.running for s in both)
        assert list_calls(fake) == per_sync


def test_a_failed_sync_is_recorded_and_logged_without_secrets(
    ledger: Engine, servers: tuple[Engine, Engine], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="lanjie.platform")
    with platform() as (fake, client):
        connected(ledger, fake, client)
        fake.ip_whitelisted = False
        [report] = syncers(servers, fake)[0].run_once()
        assert report.errors and "白名单" in report.errors[0]
        shop = current(ledger)
        assert shop.sync_error == report.errors[0] and shop.sync_error_at == at(fake) and shop.synced_at is None
        logged = "\n".join(r.getMessage() for r in caplog.records)
        assert "白名单" in logged and fake.app_secret not in logged
        assert not any(token in logged for token in fake.access_tokens)
