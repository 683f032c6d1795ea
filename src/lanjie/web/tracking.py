"""The workbench's side of 快递100 tracking: the background refresh of `lanjie serve`, the run the
刷新物流 button starts, and how the workbench reaches 快递100 and the chat robots.

Background refresh: a thread wakes every minute and claims the job `track` for one
`track_minutes` interval (lanjie.ledger.claims). Only one of the servers sharing the ledger wins
an interval, and that one runs refresh_tracking. refresh_tracking takes each parcel in the ledger
before asking about it, so a manual refresh at the same moment never asks about a parcel twice in
one interval either. A failure is logged without secrets; the next interval tries again.

刷新物流: refresh_tracking runs in a thread of its own (at the configured rate it can take
minutes), never inside the request. One runs at a time per ledger: the job `track:manual` is
claimed for the run and given back when it ends (a crashed server's claim lapses after an hour).
The page polls /tracking/status to see it running and, once it finished, its figures.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from lanjie.clients.kuaidi100 import Kuaidi100Client
from lanjie.clients.robots import RobotSender
from lanjie.config import Settings
from lanjie.errors import LanjieError
from lanjie.i18n import t
from lanjie.ledger.claims import claim, release
from lanjie.ledger.schema import job_claims
from lanjie.tracking.access import kuaidi100_from
from lanjie.tracking.refresh import TrackReport, refresh_tracking
from lanjie.web.background import WAKE_SECONDS, BackgroundJob, Clock

LOG = logging.getLogger("lanjie.tracking")
TRACK_JOB = "track"
MANUAL_JOB = "track:manual"
MANUAL_CLAIM_FOR = timedelta(hours=1)  # a manual refresh on a server that died frees the job after this


@dataclass(frozen=True)
class Services:
    """How the workbench reaches the outside: 快递100's client, the robots' sender, and the sleep that
    paces the tracking queries (None: a real sleep). Tests put the fakes' clocks and sleeps here."""

    kuaidi100: Callable[[Settings], Kuaidi100Client] = kuaidi100_from
    robots: Callable[[], RobotSender] = RobotSender
    pace: Callable[[float], None] | None = None


def tracking_configured(settings: Settings) -> bool:
    return bool(settings.kuaidi100_customer and settings.kuaidi100_key)


def run_tracking(
    ledger: Engine,
    settings: Settings,
    now: datetime,
    *,
    operator: str,
    services: Services,
    progress: Callable[[int, int], None] | None = None,
) -> TrackReport:
    """refresh_tracking with the workbench's client and pace."""
    with services.kuaidi100(settings) as client:
        return refresh_tracking(
            ledger, client, settings=settings, now=now, operator=operator, progress=progress, sleep=services.pace
        )


class BackgroundTracking(BackgroundJob):
    """Refreshes the tracking of the parcels with open work once per `settings.track_minutes`, across
    every server of the ledger."""

    thread_name = "lanjie-track"
    log = LOG

    def __init__(
        self,
        ledger: Engine,
        settings: Settings,
        *,
        clock: Clock,
        services: Services | None = None,
        name: str | None = None,
        wake: float = WAKE_SECONDS,
    ) -> None:
        super().__init__(ledger, settings, clock=clock, name=name, wake=wake)
        self.services = services or Services()

    @property
    def interval(self) -> timedelta:
        return timedelta(minutes=self.settings.track_minutes)

    def run_once(self) -> TrackReport | None:
        """One wake: refresh the tracking when this server claims the interval now (None: it did not)."""
        now = self.clock()
        if not claim(self.ledger, TRACK_JOB, by=self.name, now=now, every=self.interval):
            return None
        operator = t("tracking_operator", self.settings.lang)
        report = run_tracking(self.ledger, self.settings, now, operator=operator, services=self.services)
        if report.errors:
            number, why = report.errors[0]
            LOG.warning(
                "background tracking: %d of %d queries failed (first: %s: %s)",
                len(report.errors),
                report.asked,
                number,
                why,
            )
        return report


@dataclass(frozen=True)
class ManualRun:
    """A 刷新物流 run: under way (finished_at None) or finished with its report or its error."""

    started_at: datetime
    started_by: str
    done: int = 0
    total: int = 0
    finished_at: datetime | None = None
    report: TrackReport | None = None
    error: str | None = None
    elsewhere: bool = False  # run by another server: only who started it and when are known here

    @property
    def running(self) -> bool:
        return self.finished_at is None


class ManualRefresh:
    """The 刷新物流 button's runs on this server, one at a time for the whole ledger."""

    def __init__(self, ledger: Engine, settings: Settings, *, clock: Clock, services: Services | None = None) -> None:
        self.ledger = ledger
        self.settings = settings
        self.clock = clock
        self.services = services or Services()
        self._lock = threading.Lock()
        self._last: ManualRun | None = None
        self._thread: threading.Thread | None = None

    def start(self, operator: str) -> bool:
        """Start a refresh in the background; False when one is under way already (here or elsewhere)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return False
            now = self.clock()
            if not claim(self.ledger, MANUAL_JOB, by=operator[:200], now=now, every=MANUAL_CLAIM_FOR):
                return False
            self._last = ManualRun(now, operator)
            self._thread = threading.Thread(
                target=self._run, args=(operator, now), name="lanjie-track-manual", daemon=True
            )
            self._thread.start()
            return True

    def status(self) -> ManualRun | None:
        """The run under way (on this server or another), else the last one this server finished."""
        with self._lock:
            last = self._last
        if last is not None and last.running:
            return last
        return self._elsewhere() or last

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the run under way to finish (tests, and the server shutting down)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _elsewhere(self) -> ManualRun | None:
        since = self.clock() - MANUAL_CLAIM_FOR
        query = select(job_claims.c.claimed_at, job_claims.c.claimed_by).where(
            job_claims.c.job == MANUAL_JOB, job_claims.c.claimed_at > since
        )
        with self.ledger.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else ManualRun(row.claimed_at, row.claimed_by, elsewhere=True)

    def _progress(self, done: int, total: int) -> None:
        with self._lock:
            if self._last is not None:
                self._last = replace(self._last, done=done, total=total)

    def _finish(self, *, report: TrackReport | None = None, error: str | None = None) -> None:
        with self._lock:
            if self._last is not None:
                self._last = replace(self._last, finished_at=self.clock(), report=report, error=error)

    def _run(self, operator: str, now: datetime) -> None:
        report, error = self._outcome(operator, now)
        try:
            release(self.ledger, MANUAL_JOB)  # before the run shows finished: never seen as another's run
        except Exception as trouble:  # the claim lapses by itself after MANUAL_CLAIM_FOR
            LOG.error("could not release the manual tracking claim: %s", type(trouble).__name__)
        self._finish(report=report, error=error)

    def _outcome(self, operator: str, now: datetime) -> tuple[TrackReport | None, str | None]:
        lang = self.settings.lang
        try:
            report = run_tracking(
                self.ledger, self.settings, now, operator=operator, services=self.services, progress=self._progress
            )
        except LanjieError as error:
            return None, error.render(lang)
        except Exception as error:  # said by its kind only: its text may quote a request or SQL parameters
            LOG.error("the manual tracking refresh failed: %s", type(error).__name__)
            return None, t("tracking_unexpected", lang, error=type(error).__name__)
        return report, None
