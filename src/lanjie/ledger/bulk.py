"""Writing many rows fast inside the current transaction: COPY on PostgreSQL, executemany on SQLite."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, text

CHUNK = 5_000
Progress = Callable[[int], None]  # called with the number of rows written so far


def insert_rows(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *, progress: Progress | None = None
) -> None:
    """Insert `rows` (dicts with the same keys) into `table`, reporting progress per chunk."""
    if not rows:
        return
    columns = list(rows[0])
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        if conn.dialect.name == "postgresql":
            _copy(conn, table.name, columns, ([row[c] for c in columns] for row in chunk))
        else:
            conn.execute(table.insert(), list(chunk))
        if progress:
            progress(start + len(chunk))


def _copy(conn: Connection, table: str, columns: list[str], rows: Any) -> None:
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def load_keys(conn: Connection, name: str, keys: Sequence[tuple[int, str]]) -> None:
    """A temporary table `name(shop_id, key)` holding `keys`, dropped at commit."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"CREATE TEMPORARY TABLE {name} (shop_id integer, key text) ON COMMIT DROP"))
        for start in range(0, len(keys), CHUNK):
            _copy(conn, name, ["shop_id", "key"], keys[start : start + CHUNK])
    else:
        conn.execute(text(f"DROP TABLE IF EXISTS temp.{name}"))
        conn.execute(text(f"CREATE TEMPORARY TABLE {name} (shop_id integer, key text)"))
        conn.connection.driver_connection.executemany(  # type: ignore[union-attr]
            f"INSERT INTO temp.{name} VALUES (?, ?)", keys
        )
