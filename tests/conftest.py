"""Shared fixtures. Ledger fixtures give each test an empty ledger on SQLite and, in turn,
on the real PostgreSQL server (see tests/databases.py: PostgreSQL is required, never skipped)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from databases import create_database, drop_database
from lanjie.ledger.database import open_ledger
from lanjie.ledger.schema import metadata

TESTS = Path(__file__).resolve().parent
MARKER_OF_FOLDER = {"unit": "unit", "ledger": "ledger", "web": "web", "e2e": "e2e"}  # registered in pyproject.toml
BROWSER_TESTS = ("web", "test_browser.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by its folder (tests/unit → unit …), and the browser tests as browser too."""
    for item in items:
        try:
            parts = item.path.resolve().relative_to(TESTS).parts
        except ValueError:
            continue
        marker = MARKER_OF_FOLDER.get(parts[0]) if len(parts) > 1 else None
        if marker is not None:
            item.add_marker(marker)
        if parts[:2] == BROWSER_TESTS:
            item.add_marker("browser")


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test starts in an empty folder with no LANJIE_* settings of the developer's."""
    for name in list(os.environ):
        if name.startswith("LANJIE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "user-data"))  # the default ledger goes here
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    url = create_database()
    yield url
    drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str) -> Iterator[str]:
    """A ledger URL, empty for this test, on each database in turn."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
        return
    engine = open_ledger(postgres_url)
    with engine.begin() as conn:
        # The event log refuses TRUNCATE, as it should; a replica session (superuser only)
        # skips triggers, which is how a test may start over (as tests/ledger/test_races.py does).
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        tables = ", ".join(t.name for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    yield postgres_url


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Engine]:
    engine = open_ledger(ledger_url)
    yield engine
    engine.dispose()
