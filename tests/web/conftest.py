"""A real app on a real ledger (SQLite and PostgreSQL), driven through Starlette's TestClient."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from exports import NOW
from webtools import Browser, Clock, make_app


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def browser(ledger: Engine, clock: Clock) -> Iterator[Browser]:
    """A shop PC: local mode, the operator 小王 already picked."""
    with make_app(ledger, clock) as client:
        web = Browser(client)
        web.get("/operator")
        assert web.post("/operator", {"name": "小王", "next": "/"}).status_code == 303
        web.get("/")
        yield web
