"""Writing many rows fast inside the current transaction: binary COPY on PostgreSQL, the
driver's executemany on SQLite. Both store exactly what SQLAlchemy itself would store."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Connection, DateTime, Integer, Table, Text, text
from sqlalchemy.types import TypeDecorator

from lanjie.ledger.schema import UTCDateTime

CHUNK = 5_000
Progress = Callable[[int], None]  # called with the number of rows written so far
Writer = Callable[[Iterable[Sequence[Any]]], None]


def insert_rows(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *, progress: Progress | None = None
) -> None:
    """Insert `rows` (dicts with the same keys) into `table`, reporting progress per chunk."""
    if not rows:
        return
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    write = _copier(conn, table.name, columns) if conn.dialect.name == "postgresql" else _sqlite(conn, table, columns)
    values = itemgetter(*names)
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        write(map(values, chunk))
        if progress:
            progress(start + len(chunk))


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


def _copier(conn: Connection, table: str, columns: Sequence[Column[Any]]) -> Writer:
    """Binary COPY: about twice as fast as text for the server to take in."""
    types = [_pg_type(c) for c in columns]
    statement = f"COPY {table} ({', '.join(c.name for c in columns)}) FROM STDIN (FORMAT BINARY)"

    def write(rows: Iterable[Sequence[Any]]) -> None:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(statement) as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row(row)

    return write


def _sqlite(conn: Connection, table: Table, columns: Sequence[Column[Any]]) -> Writer:
    """The driver's executemany, with each column's own SQLAlchemy bind conversion (UTC
    datetimes …) but without SQLAlchemy's per-row overhead."""
    processors = [
        UTCDateTime.sqlite_text
        if isinstance(c.type, UTCDateTime)
        else c.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        for c in columns
    ]
    converting = [(index, _memoised(convert)) for index, convert in enumerate(processors) if convert is not None]
    statement = (
        f"INSERT INTO {table.name} ({', '.join(c.name for c in columns)}) VALUES ({', '.join('?' * len(columns))})"
    )

    def converted(rows: Iterable[Sequence[Any]]) -> Iterable[list[Any]]:
        for values in rows:
            row = list(values)
            for index, convert in converting:
                if row[index] is not None:
                    row[index] = convert(row[index])
            yield row

    def write(rows: Iterable[Sequence[Any]]) -> None:
        conn.connection.driver_connection.executemany(statement, converted(rows))  # type: ignore[union-attr]

    return write


def _memoised(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    # An import stamps the same moment on every row (as_of, event times): convert it once.
    seen: dict[Any, Any] = {}

    def cached(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            result = seen[value] = convert(value)
            return result
        except TypeError:  # unhashable
            return convert(value)

    return cached


_KEY_COLUMNS = (Column("shop_id", Integer), Column("key", Text))


def load_keys(conn: Connection, name: str, keys: Sequence[tuple[int, str]]) -> None:
    """A temporary table `name(shop_id, key)` holding `keys`, dropped at commit."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"CREATE TEMPORARY TABLE {name} (shop_id integer, key text) ON COMMIT DROP"))
        write = _copier(conn, name, _KEY_COLUMNS)
        for start in range(0, len(keys), CHUNK):
            write(keys[start : start + CHUNK])
    else:
        conn.execute(text(f"DROP TABLE IF EXISTS temp.{name}"))
        conn.execute(text(f"CREATE TEMPORARY TABLE {name} (shop_id integer, key text)"))
        conn.connection.driver_connection.executemany(  # type: ignore[union-attr]
            f"INSERT INTO temp.{name} VALUES (?, ?)", keys
        )
