"""Where the ledger lives and how to open it: SQLite by default, PostgreSQL for a team.

`--db` / LANJIE_DATABASE_URL takes a SQLAlchemy URL (`postgresql+psycopg://…`) or a file
path; without either, a SQLite file in the user's data folder is used. Opening a ledger
brings its schema up to date (Alembic), under a lock so two people starting at once don't
both migrate.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Connection, Engine, create_engine, event, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from lanjie.errors import BadInput, LanjieError
from lanjie.ledger import schema

MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATION_LOCK = 5_731_733  # any fixed number: the advisory lock taken while migrating


class LedgerUnavailable(LanjieError):
    exit_code = 2
    http_status = 503


def default_path() -> Path:
    return Path(platformdirs.user_data_dir("lanjie", appauthor=False)) / "ledger.sqlite3"


def resolve_url(db: str | None) -> str:
    """A SQLAlchemy URL from --db, LANJIE_DATABASE_URL, or the default SQLite file."""
    value = db or os.environ.get("LANJIE_DATABASE_URL") or ""
    if not value:
        path = default_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    if "://" not in value:
        path = Path(value).expanduser().resolve()
        return f"sqlite:///{path}"
    if value.startswith("postgresql://") or value.startswith("postgres://"):
        value = "postgresql+psycopg://" + value.split("://", 1)[1]
    return value


def display_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _sqlite_settings(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # transactions are begun below, explicitly
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # Take the write lock at the start: two writers queue instead of failing half-way.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise BadInput("db_bad_url", url=url) from error
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise BadInput("db_bad_url", url=display_url(url))
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})
        _sqlite_settings(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


# The newest migration in migrations/versions. Checking it needs no Alembic (which takes
# longer to import than opening the ledger); a test keeps it equal to Alembic's own head.
SCHEMA_REVISION = "0002"


def current_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()


def _migrate(connection: Connection) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Bring the schema to the newest migration; returns (before, after) revisions."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        before = current_revision(connection)
        if before != SCHEMA_REVISION:
            _migrate(connection)
        return before, current_revision(connection)


@contextmanager
def _explained(url: str) -> Iterator[None]:
    try:
        yield
    except OperationalError as error:
        raise LedgerUnavailable("db_unreachable", url=display_url(url), detail=_first_line(error)) from error
    except SQLAlchemyError as error:
        raise LedgerUnavailable("db_error", url=display_url(url), detail=_first_line(error)) from error


def open_ledger(db: str | None) -> Engine:
    """An engine on an up-to-date ledger, or a clear error saying what to fix."""
    url = resolve_url(db)
    engine = make_engine(url)
    with _explained(url):
        with engine.connect() as connection:
            up_to_date = current_revision(connection) == SCHEMA_REVISION
        if not up_to_date:
            upgrade(engine)
    return engine


def upgrade_ledger(db: str | None) -> tuple[str, str | None, str | None]:
    """`lanjie db upgrade`: (where, revision before, revision after)."""
    url = resolve_url(db)
    with _explained(url):
        before, after = upgrade(make_engine(url))
    return display_url(url), before, after


def _first_line(error: Exception) -> str:
    message = str(getattr(error, "orig", None) or error)
    return message.strip().splitlines()[0] if message.strip() else type(error).__name__


@dataclass(frozen=True)
class LedgerInfo:
    url: str
    backend: str
    revision: str | None
    head: str | None
    counts: dict[str, int]
    size_bytes: int | None


def ledger_info(engine: Engine) -> LedgerInfo:
    with engine.connect() as connection:
        revision = current_revision(connection)
        counts = {
            str(table.name): int(connection.execute(select(func.count()).select_from(table)).scalar_one())
            for table in schema.metadata.sorted_tables
        }
    size = None
    if engine.dialect.name == "sqlite" and engine.url.database:
        path = Path(engine.url.database)
        size = path.stat().st_size if path.exists() else 0
    return LedgerInfo(
        display_url(str(engine.url.render_as_string(hide_password=False))),
        engine.dialect.name,
        revision,
        SCHEMA_REVISION,
        counts,
        size,
    )
