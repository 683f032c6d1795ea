"""Writing many rows fast inside the current transaction: binary COPY on PostgreSQL, the
driver's executemany on SQLite. Both store exactly what SQLAlchemy itself would store."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain, islice
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import BigInteger, Boolean, Column, Connection, DateTime, Integer, Table, Text, text
from sqlalchemy.engine import RootTransaction
from sqlalchemy.types import TypeDecorator

from lanjie.ledger.schema import UTCDateTime
from lanjie.memo import Memo

CHUNK = 5_000
Progress = Callable[[int], None]  # called with the number of rows written so far
Writer = Callable[[Sequence[Sequence[Any]]], None]
Converter = Callable[[Sequence[Any]], list[Any]]  # a column's values → what the driver stores


def insert_rows(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *, progress: Progress | None = None
) -> None:
    """Insert `rows` (dicts with the same keys) into `table`, reporting progress per chunk."""
    if not rows:
        return
    names = list(rows[0])
    insert_values(conn, table, names, [tuple(map(row.__getitem__, names)) for row in rows], progress=progress)


def insert_values(
    conn: Connection,
    table: Table,
    names: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    progress: Progress | None = None,
) -> None:
    """Insert `rows` (the values of the columns `names`, in that order) into `table`,
    reporting progress per chunk. `rows` may be made as they are written (a generator): on
    PostgreSQL the server then takes in each chunk while the next one is made."""
    chunks = _chunks(rows)
    first = next(chunks, None)
    if first is None:
        return
    columns = [table.c[name] for name in names]
    if conn.dialect.name == "postgresql":
        writer = _copy(conn, table.name, columns)
    else:
        writer = _sqlite(conn, table, columns, index_after=len(first) == CHUNK and _empty(conn, table))
    written = 0
    with writer as write:
        for chunk in chain([first], chunks):
            write(chunk)
            written += len(chunk)
            if progress:
                progress(written)


def _chunks(rows: Iterable[Sequence[Any]]) -> Iterator[list[Sequence[Any]]]:
    remaining = iter(rows)
    while chunk := list(islice(remaining, CHUNK)):
        yield chunk


def _pg_type(column: Column[Any]) -> str:
    kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    if isinstance(kind, BigInteger):
        return "int8"
    if isinstance(kind, Integer):
        return "int4"
    if isinstance(kind, Boolean):
        return "bool"
    if isinstance(kind, DateTime):
        return "timestamptz" if kind.timezone else "timestamp"
    return "text" if isinstance(kind, Text) else "varchar"


@contextmanager
def _copy(conn: Connection, table: str, columns: Sequence[Column[Any]]) -> Iterator[Writer]:
    """One binary COPY (about twice as fast as text for the server to take in) for all the
    rows: the server takes in each chunk while the next one is encoded."""
    statement = f"COPY {table} ({', '.join(c.name for c in columns)}) FROM STDIN (FORMAT BINARY)"
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(statement) as copy:
        copy.set_types([_pg_type(c) for c in columns])

        def write(rows: Sequence[Sequence[Any]]) -> None:
            for row in rows:
                copy.write_row(row)

        yield write


def _empty(conn: Connection, table: Table) -> bool:
    return conn.execute(text(f"SELECT 1 FROM {table.name} LIMIT 1")).first() is None


@contextmanager
def _sqlite(conn: Connection, table: Table, columns: Sequence[Column[Any]], *, index_after: bool) -> Iterator[Writer]:
    """The driver's executemany, with each column's own SQLAlchemy bind conversion (UTC
    datetimes …) but without SQLAlchemy's per-row overhead: values are converted column by
    column, each distinct value once. `index_after`: many rows into an empty table (a first
    import) — its indexes are built once from the rows written instead of row by row, all
    inside the transaction (a failure rolls them back with the rows)."""
    driver = conn.connection.driver_connection
    indexes: list[tuple[str, str]] = []
    if index_after:  # not the ones behind a PRIMARY KEY or UNIQUE constraint (no sql): they check the rows
        indexes = driver.execute(  # type: ignore[union-attr]
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (table.name,),
        ).fetchall()
        for name, _ in indexes:
            driver.execute(f'DROP INDEX "{name}"')  # type: ignore[union-attr]
    converting: list[tuple[int, Converter]] = []
    for index, column in enumerate(columns):
        if isinstance(column.type, UTCDateTime):
            converting.append((index, _moments(conn)))
        elif (convert := column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)) is not None:
            converting.append((index, _per_distinct_value(convert)))
    statement = (
        f"INSERT INTO {table.name} ({', '.join(c.name for c in columns)}) VALUES ({', '.join('?' * len(columns))})"
    )

    def write(rows: Sequence[Sequence[Any]]) -> None:
        if converting:
            by_column: list[Sequence[Any]] = list(zip(*rows, strict=True))
            for index, convert in converting:
                by_column[index] = convert(by_column[index])
            rows = list(zip(*by_column, strict=True))
        driver.executemany(statement, rows)  # type: ignore[union-attr]

    yield write
    for _, sql in indexes:
        driver.execute(sql)  # type: ignore[union-attr]


_moments_converted: WeakKeyDictionary[RootTransaction, Converter] = WeakKeyDictionary()


def _moments(conn: Connection) -> Converter:
    """The datetime columns' converter, one per transaction: an import stamps the same moment on
    every row (as_of, event times) and writes each deadline into several columns and tables
    (the after-sale's deadline, the work's deadline and due …); each is converted once."""
    transaction = conn.get_transaction()
    if transaction is None:
        return _per_distinct_value(UTCDateTime.sqlite_text)
    if transaction not in _moments_converted:
        _moments_converted[transaction] = _per_distinct_value(UTCDateTime.sqlite_text)
    return _moments_converted[transaction]


def _per_distinct_value(convert: Callable[[Any], Any]) -> Converter:
    """`convert` applied to columns of values, each distinct value once (None stays None)."""
    known: Memo[Any, Any] = Memo(convert)
    known[None] = None

    def column(values: Sequence[Any]) -> list[Any]:
        return list(map(known.__getitem__, values))

    return column


# PostgreSQL's statistics target for the ANALYZEs an import runs after its bulk writes: a
# sample of 3,000 rows (300 per unit) instead of the default 30,000. They are there so the
# planner knows how big the tables now are and how keys, buckets and deadlines spread, which
# such a sample tells as well, at a fraction of the cost (100,000 after-sales: 300–450 ms →
# 45 ms for an import's two). Autovacuum's own ANALYZE, due after such a write, takes the
# full sample later.
BULK_STATISTICS_TARGET = 10


def sampled_statistics(conn: Connection) -> None:
    """The transaction's next ANALYZEs take the sample of BULK_STATISTICS_TARGET (PostgreSQL)."""
    conn.execute(text(f"SET LOCAL default_statistics_target = {BULK_STATISTICS_TARGET}"))


_KEY_COLUMNS = (Column("shop_id", Integer), Column("key", Text))


def load_keys(conn: Connection, name: str, keys: Sequence[tuple[int, str]]) -> None:
    """A temporary table `name(shop_id, key)` holding `keys`, dropped at commit."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"CREATE TEMPORARY TABLE {name} (shop_id integer, key text) ON COMMIT DROP"))
        with _copy(conn, name, _KEY_COLUMNS) as write:
            write(keys)
    else:
        conn.execute(text(f"DROP TABLE IF EXISTS temp.{name}"))
        conn.execute(text(f"CREATE TEMPORARY TABLE {name} (shop_id integer, key text)"))
        conn.connection.driver_connection.executemany(  # type: ignore[union-attr]
            f"INSERT INTO temp.{name} VALUES (?, ?)", keys
        )
