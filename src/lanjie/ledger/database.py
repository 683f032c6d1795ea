"""Where the ledger lives and how to open it: SQLite by default, PostgreSQL for a team.

`--db` / LANJIE_DATABASE_URL takes a SQLAlchemy URL (`postgresql+psycopg://…`) or a file
path; without either, a SQLite file in the user's data folder is used. Opening a ledger
brings its schema up to date (Alembic), under a lock so two people starting at once don't
both migrate.

Reads are plain transactions; everything that writes goes through `write_transaction`,
which on SQLite takes the write lock at the start (BEGIN IMMEDIATE: writers queue instead of
failing half-way, while readers go on reading the last committed state, thanks to WAL) and on
PostgreSQL bounds how long a writer waits for a lock. Both wait up to the db_timeout setting
seconds (default 60). Trouble with the database itself (disk full, a writer that holds the
ledger too long, a lost connection) is turned into a clear message by `explain_db_error`.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import platformdirs
from sqlalchemy import Connection, Engine, create_engine, event, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError, SQLAlchemyError

from lanjie.errors import BadInput, LanjieError, LedgerBusy, LedgerConnectionLost, LedgerFull
from lanjie.ledger import schema

MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATION_LOCK = 5_731_733  # any fixed number: the advisory lock taken while migrating


class LedgerUnavailable(LanjieError):
    exit_code = 2
    http_status = 503


def default_path() -> Path:
    return Path(platformdirs.user_data_dir("lanjie", appauthor=False)) / "ledger.sqlite3"


def resolve_url(db: str | None) -> str:
    """A SQLAlchemy URL from the setting (--db / LANJIE_DATABASE_URL), or the default SQLite file."""
    value = db or ""
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


DEFAULT_TIMEOUT = 60.0  # seconds a writer waits for another to finish (the db_timeout setting)


_WRITE = "lanjie_write"  # the execution option that marks a write transaction


def _wal(cursor: sqlite3.Cursor, timeout: float) -> None:
    """Switch the file to WAL (readers never wait for a writer), retrying while others hold it.

    Switching needs the file to itself for a moment; SQLite answers "database is locked" at
    once, without waiting, when another process opens a brand-new ledger at the same moment."""
    deadline = time.monotonic() + timeout
    pause = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if not _sqlite_busy(error) or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


# The page size of a new SQLite ledger (an existing file keeps its own, set when it was made).
# An import inserts hundreds of thousands of index entries at scattered places; with pages of
# 16 KiB rather than SQLite's 4 KiB it writes the same 100,000 after-sales 0.2–0.5 s faster.
PAGE_SIZE = 16_384

# SQLite's page cache (KiB) on the connection of a bulk write (an import), for that transaction:
# with the default 2 MiB the indexes' pages are evicted and read back again and again between
# scattered inserts (100,000 after-sales: 0.2 s slower).
BULK_CACHE_KIB = 32_768


def _sqlite_settings(engine: Engine, timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # transactions are begun below, explicitly
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # before WAL mode creates the file
        _wal(cursor, timeout)
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # A write takes the write lock at the start: two writers queue instead of failing
        # half-way. A read takes no lock at all and sees the last committed state.
        write = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def make_engine(url: str, *, timeout: float | None = None) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise BadInput("db_bad_url", url=url) from error
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise BadInput("db_bad_url", url=display_url(url))
    wait = DEFAULT_TIMEOUT if timeout is None else timeout
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": wait})
        _sqlite_settings(engine, wait)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    _timeouts[engine] = wait
    return engine


_timeouts: WeakKeyDictionary[Engine, float] = WeakKeyDictionary()


def _timeout_of(engine: Engine) -> float:
    return _timeouts.get(engine) or DEFAULT_TIMEOUT


@contextmanager
def write_transaction(engine: Engine, *, wait: float | None = None, bulk: bool = False) -> Iterator[Connection]:
    """The one way to write to the ledger: a transaction that commits at the end of the block.

    SQLite: BEGIN IMMEDIATE, so the writer waits (up to the timeout) for the one before it and
    never fails half-way; readers are not blocked. PostgreSQL: a plain transaction whose lock
    waits are bounded by the same timeout. Disk full, a writer that held the ledger past the
    timeout, or a lost connection raise LedgerFull / LedgerBusy / LedgerConnectionLost, after
    the transaction was rolled back. `wait`: seconds to wait for other writers instead of
    the ledger's timeout (a page that can do without writing waits a moment, not a minute).
    `bulk`: the transaction writes tens of thousands of rows (an import): on SQLite its
    connection keeps a larger page cache meanwhile (BULK_CACHE_KIB)."""
    timeout = _timeout_of(engine) if wait is None else wait
    milliseconds = max(1, round(timeout * 1000))
    with ledger_errors(timeout), engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        sqlite = conn.dialect.name == "sqlite"
        if sqlite and wait is not None:
            _busy_timeout(conn, milliseconds)
        cache = _cache_size(conn, -BULK_CACHE_KIB) if sqlite and bulk else None
        try:
            with conn.begin():
                if not sqlite:
                    conn.exec_driver_sql(f"SET LOCAL lock_timeout = {milliseconds}")
                yield conn
        finally:
            if sqlite and wait is not None:  # the pooled connection goes back with the ledger's own timeout
                _busy_timeout(conn, max(1, round(_timeout_of(engine) * 1000)))
            if cache is not None:  # and with its own page cache, the bulk one freed
                _cache_size(conn, cache)


def _cache_size(conn: Connection, size: int) -> int:
    """Set the SQLite connection's page cache (PRAGMA cache_size: pages, or KiB when negative),
    outside any transaction like _busy_timeout; returns the size it had."""
    driver = conn.connection.driver_connection
    before = int(driver.execute("PRAGMA cache_size").fetchone()[0])  # type: ignore[union-attr]
    driver.execute(f"PRAGMA cache_size = {size}")  # type: ignore[union-attr]
    return before


def _busy_timeout(conn: Connection, milliseconds: int) -> None:
    """How long SQLite waits for the write lock, set on the driver's connection itself: through
    SQLAlchemy the statement would begin a transaction (BEGIN IMMEDIATE) and wait already."""
    conn.connection.driver_connection.execute(f"PRAGMA busy_timeout = {milliseconds}")  # type: ignore[union-attr]


# --- What went wrong, in words the user can act on


def _sqlite_code(error: BaseException) -> int | None:
    code = getattr(error, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None  # the primary code, without the extended part


def _sqlite_busy(error: BaseException) -> bool:
    code = _sqlite_code(error)
    if code is not None:
        return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "database is locked" in str(error)


_PG_FULL = {"53100"}  # disk_full
_PG_BUSY = {"55P03", "40P01"}  # lock_not_available (lock_timeout), deadlock_detected
_PG_LOST = {"57P01", "57P02", "08000", "08003", "08006"}  # terminated by an administrator, crash, connection
_LOST_WORDS = (
    "server closed the connection",
    "terminating connection",
    "consuming input failed",
    "connection is closed",
    "connection is lost",
    "connection was lost",
    "connection reset",
    "broken pipe",
    "ssl syscall error",
)


def _seconds(timeout: float | None) -> str:
    return f"{DEFAULT_TIMEOUT if timeout is None else timeout:g}"


def explain_db_error(error: BaseException, *, timeout: float | None = None) -> LanjieError | None:
    """The typed, user-facing error for trouble with the database itself; None for anything else.

    Takes SQLAlchemy's errors and the drivers' own (bulk writes talk to the driver directly).
    Disk full, a lock not granted within the timeout, and a lost connection each get their
    message (what happened, nothing written, what to do); other errors are bugs and stay so."""
    if isinstance(error, LanjieError):
        return None
    driver = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    detail = _first_line(driver)
    code = _sqlite_code(driver)
    if isinstance(driver, sqlite3.Error):
        if code == sqlite3.SQLITE_FULL or "database or disk is full" in str(driver):
            return LedgerFull("db_full", detail=detail)
        if _sqlite_busy(driver):
            return LedgerBusy("db_busy", seconds=_seconds(timeout))
        return None
    sqlstate = getattr(driver, "sqlstate", None)
    if sqlstate in _PG_FULL:
        return LedgerFull("db_full", detail=detail)
    if sqlstate in _PG_BUSY:
        return LedgerBusy("db_busy", seconds=_seconds(timeout))
    invalidated = isinstance(error, DBAPIError) and error.connection_invalidated
    is_driver_error = type(driver).__module__.split(".")[0] == "psycopg"
    if (
        invalidated
        or sqlstate in _PG_LOST
        or (is_driver_error and any(words in str(driver).lower() for words in _LOST_WORDS))
    ):
        return LedgerConnectionLost("db_connection_lost", detail=detail)
    return None


@contextmanager
def ledger_errors(timeout: float | None = None) -> Iterator[None]:
    """Raise database trouble (disk full, busy, connection lost) as its LanjieError."""
    try:
        yield
    except LanjieError:
        raise
    except Exception as error:
        explained = explain_db_error(error, timeout=timeout)
        if explained is None:
            raise
        raise explained from error


# The newest migration in migrations/versions (each file starts with its revision number).
# Checking it needs no Alembic (which takes longer to import than opening the ledger); a test
# keeps it equal to Alembic's own head.
SCHEMA_REVISION = max(
    path.name.split("_", 1)[0] for path in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py")
)


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
    with write_transaction(engine) as connection:
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
    except LanjieError:
        raise
    except OperationalError as error:
        explained = explain_db_error(error)
        if explained is not None:
            raise explained from error
        raise LedgerUnavailable("db_unreachable", url=display_url(url), detail=_first_line(error)) from error
    except SQLAlchemyError as error:
        raise LedgerUnavailable("db_error", url=display_url(url), detail=_first_line(error)) from error


def open_ledger(db: str | None, *, timeout: float | None = None) -> Engine:
    """An engine on an up-to-date ledger, or a clear error saying what to fix."""
    url = resolve_url(db)
    engine = make_engine(url, timeout=timeout)
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


def _first_line(error: BaseException) -> str:
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
