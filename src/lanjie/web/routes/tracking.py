"""刷新物流: start a refresh of the tracking from 快递100 in the background, and see how it goes.

The box on the workbench and the courier pages says how fresh the tracking is and carries the
button. A refresh runs in a thread (lanjie.web.tracking.ManualRefresh), never in the request; while
it runs the box asks /tracking/status every two seconds (htmx), and without JavaScript the next
page load shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from lanjie.errors import BadInput
from lanjie.i18n import t
from lanjie.model import SHANGHAI
from lanjie.tracking.refresh import TrackReport
from lanjie.web import data
from lanjie.web.context import Csrf, Operator, Web, WebDep, render
from lanjie.web.routes.auth import _safe_next
from lanjie.web.tracking import ManualRefresh, ManualRun, tracking_configured

router = APIRouter()
BOX_ID = "tracking"


@dataclass(frozen=True)
class TrackingBox:
    """What the box shows: how fresh the tracking is, and the 刷新物流 run under way or last finished."""

    fresh: str
    running: bool
    next: str
    lines: list[tuple[str, str]] = field(default_factory=list)  # (ok / warn / bad, sentence)


def _when(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%m-%d %H:%M")


def _runs(request: Request) -> ManualRefresh:
    runs: ManualRefresh = request.app.state.tracking
    return runs


def here(request: Request) -> str:
    """The page asked for, to come back to after a post without JavaScript."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _done_lines(report: TrackReport, run: ManualRun, web: Web) -> list[tuple[str, str]]:
    lang = web.settings.lang
    finished = _when(run.finished_at or run.started_at)
    counts = {
        "parcels": report.parcels,
        "asked": report.asked,
        "not_due": report.not_due,
        "answered": report.answered,
        "changed": report.changed,
    }
    minutes = f"{web.settings.track_minutes:g}"
    lines = [("ok", t("tracking_web_done", lang, at=finished, who=run.started_by, minutes=minutes, **counts))]
    if report.errors:
        number, why = report.errors[0]
        why = why.rstrip("。. ")  # inside the sentence's brackets
        lines.append(("warn", t("tracking_web_errors", lang, n=len(report.errors), number=number, error=why)))
    return lines


def _run_lines(run: ManualRun | None, web: Web) -> list[tuple[str, str]]:
    lang = web.settings.lang
    if run is None:
        return []
    started = _when(run.started_at)
    if run.running and run.total and not run.elsewhere:
        said = t("tracking_web_progress", lang, who=run.started_by, at=started, done=run.done, total=run.total)
        return [("warn", said)]
    if run.running:
        return [("warn", t("tracking_web_running", lang, who=run.started_by, at=started))]
    if run.report is None:
        return [("bad", t("tracking_web_failed", lang, at=_when(run.finished_at or run.started_at), error=run.error))]
    return _done_lines(run.report, run, web)


def tracking_box(request: Request, web: Web, next: str | None = None) -> TrackingBox | None:
    """The box for a page (None without 快递100's credentials: no box at all)."""
    if not tracking_configured(web.settings):
        return None
    with web.ledger.connect() as conn:
        fresh = data.tracked_at(conn)
    lang = web.settings.lang
    said = t("tracking_fresh", lang, at=_when(fresh)) if fresh is not None else t("tracking_never", lang)
    run = _runs(request).status()
    running = run is not None and run.running
    return TrackingBox(said, running, _safe_next(next or here(request)), _run_lines(run, web))


def _box(request: Request, web: Web, next: str) -> Response:
    return render(request, "_tracking.html", tracking=tracking_box(request, web, next))


@router.post("/tracking/refresh", dependencies=[Csrf])
def refresh(request: Request, web: WebDep, who: Operator, next: Annotated[str, Form()] = "/") -> Response:
    """刷新物流: start a refresh (or find the one under way) and answer at once."""
    if not tracking_configured(web.settings):
        raise BadInput("kuaidi100_not_configured")
    _runs(request).start(who)
    if request.headers.get("hx-request") == "true":
        return _box(request, web, next)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.get("/tracking/status")
def status(request: Request, web: WebDep, _who: Operator, next: str = "/") -> Response:
    """The box again: polled while a refresh runs."""
    return _box(request, web, next)
