"""Driving the web app in tests: a movable clock, and a client that posts CSRF tokens like the forms."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lanjie.config import Settings, load_settings
from lanjie.web.app import create_app

SECRET = "s" * 40


class Clock:
    """The app's "now", moved by the test."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "every page with a form carries a CSRF token"
    return match.group(1)


class Browser:
    """A TestClient that knows the page's CSRF token and posts it like the forms do."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.csrf = ""

    def get(self, url: str, **options: object) -> object:
        response = self.client.get(url, **options)  # type: ignore[arg-type]
        if 'name="csrf"' in response.text:
            self.csrf = csrf_of(response.text)
        return response

    def post(self, url: str, data: dict[str, object] | None = None, **options: object) -> object:
        return self.client.post(url, data={"csrf": self.csrf, **(data or {})}, **options)  # type: ignore[arg-type]


def make_app(ledger: Engine, clock: Clock, *, team: bool = False, settings: Settings | None = None) -> TestClient:
    app = create_app(
        ledger=ledger, settings=settings or load_settings(partners="zhongtong"), team=team, secret=SECRET, clock=clock
    )
    return TestClient(app, follow_redirects=False)


def upload(web: Browser, *paths: Path) -> object:
    files = [("files", (path.name, path.read_bytes(), "application/octet-stream")) for path in paths]
    web.get("/import")
    return web.client.post("/import", data={"csrf": web.csrf}, files=files)
