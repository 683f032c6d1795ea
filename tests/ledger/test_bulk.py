"""Bulk writes (COPY on PostgreSQL, executemany on SQLite), on both databases."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, insert, select

from lanjie.ledger.bulk import CHUNK, insert_rows, insert_values
from lanjie.ledger.schema import aftersales, work_parcels
from lanjie.model import SHANGHAI

ROWS = 2 * CHUNK + 7  # more than one chunk, the last one short
START = datetime(2026, 11, 26, 9, 30, tzinfo=SHANGHAI)
COLUMNS = ("shop_id", "aftersale_id", "tracking_no", "bucket", "courier", "candidates", "deadline", "due")


def parcel_rows(shop_id: int) -> Iterator[tuple[Any, ...]]:
    """Rows made one by one, as an import makes them: a deadline shared by two columns, a few
    without one, moments in two time zones, couriers not known."""
    for n in range(ROWS):
        deadline = None if n % 10 == 0 else START + timedelta(seconds=n, microseconds=n % 7)
        due = deadline or datetime(9999, 1, 1, tzinfo=UTC)
        courier = None if n % 3 == 0 else "zhongtong"
        yield (shop_id, f"73{n:017d}", f"7361{n:010d}", "intercept", courier, courier or "", deadline, due)


def stored(ledger: Engine, shop_id: int) -> list[tuple[Any, ...]]:
    """The rows as the driver returns them (SQLite: the stored text itself)."""
    with ledger.connect() as conn:
        query = f"SELECT {', '.join(COLUMNS[1:])} FROM work_parcels WHERE shop_id = {shop_id} ORDER BY aftersale_id"
        return [tuple(row) for row in conn.exec_driver_sql(query)]


def test_rows_made_as_they_are_written_are_stored_as_sqlalchemy_stores_them(ledger: Engine) -> None:
    written: list[int] = []
    with ledger.begin() as conn:
        insert_values(conn, work_parcels, COLUMNS, parcel_rows(1), progress=written.append)
        conn.execute(insert(work_parcels), [dict(zip(COLUMNS, row, strict=True)) for row in parcel_rows(2)])
        insert_values(conn, work_parcels, COLUMNS, parcel_rows(3))  # the same moments again, in one transaction
    assert written == [CHUNK, 2 * CHUNK, ROWS]
    assert len(stored(ledger, 1)) == ROWS
    assert stored(ledger, 1) == stored(ledger, 2) == stored(ledger, 3)


# An after-sale as short as the table allows: what varies is `shipped`; `as_of` is the same moment on every row.
AFTERSALE = dict.fromkeys(("type", "type_raw", "state", "state_raw", "tracking_nos", "logistics"), "x")
AFTERSALE |= dict.fromkeys(
    ("logistics_raw", "product", "reason", "buyer_note", "blockers", "source_file", "digest"), ""
)
AFTERSALE |= {"source_row": 2, "as_of": START, "first_import_id": 1, "last_import_id": 1}


def test_booleans_and_one_moment_on_every_row_are_stored_as_sqlalchemy_stores_them(ledger: Engine) -> None:
    def rows(shop_id: int) -> list[dict[str, Any]]:
        shipped = (True, False, None)
        return [
            {"shop_id": shop_id, "aftersale_id": f"{n}", "shipped": shipped[n % 3], **AFTERSALE}
            for n in range(CHUNK + 1)
        ]

    with ledger.begin() as conn:
        insert_rows(conn, aftersales, rows(1))
        conn.execute(insert(aftersales), rows(2))
    with ledger.connect() as conn:
        query = "SELECT aftersale_id, shipped, as_of FROM aftersales WHERE shop_id = {} ORDER BY aftersale_id"
        ours, theirs = (conn.exec_driver_sql(query.format(shop_id)).all() for shop_id in (1, 2))
    assert ours == theirs and len(ours) == CHUNK + 1


def indexes(ledger: Engine) -> set[tuple[str, str]]:
    """Every index of the ledger's tables, as the database itself defines it."""
    with ledger.connect() as conn:
        if ledger.dialect.name == "sqlite":
            query = "SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'index'"
        else:
            query = "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
        return {(name, definition) for name, definition in conn.exec_driver_sql(query)}


def test_a_big_write_into_an_empty_table_leaves_its_indexes_as_they_were(ledger: Engine) -> None:
    """On SQLite the indexes are set aside and built once from the rows (a first import)."""
    before = indexes(ledger)
    assert any(table == "ix_work_parcels_shop_id_tracking_no_bucket_courier" for table, _ in before)
    with ledger.begin() as conn:
        insert_values(conn, work_parcels, COLUMNS, parcel_rows(1))
    assert indexes(ledger) == before
    with ledger.connect() as conn:
        found = conn.execute(
            select(work_parcels.c.aftersale_id).where(
                work_parcels.c.shop_id == 1, work_parcels.c.tracking_no == f"7361{ROWS - 1:010d}"
            )
        ).all()
    assert found == [(f"73{ROWS - 1:017d}",)]


def test_a_duplicate_key_in_a_big_write_into_an_empty_table_is_refused_and_nothing_changes(ledger: Engine) -> None:
    before = indexes(ledger)
    twice = [*islice(parcel_rows(1), CHUNK + 1), next(parcel_rows(1))]
    with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)), ledger.begin() as conn:  # the driver's own
        insert_values(conn, work_parcels, COLUMNS, twice)
    assert stored(ledger, 1) == []
    assert indexes(ledger) == before


def test_a_failure_after_a_bulk_write_leaves_nothing_written(ledger: Engine) -> None:
    with pytest.raises(RuntimeError), ledger.begin() as conn:
        insert_values(conn, work_parcels, COLUMNS, parcel_rows(1))
        raise RuntimeError("the import stops half-way")
    with ledger.connect() as conn:
        assert conn.execute(select(work_parcels.c.shop_id)).first() is None


def test_rows_that_fail_to_be_made_half_way_leave_nothing_written(ledger: Engine) -> None:
    def failing() -> Iterator[tuple[Any, ...]]:
        yield from islice(parcel_rows(1), CHUNK + 1)
        raise RuntimeError("a row that cannot be made")

    before = indexes(ledger)
    with pytest.raises(RuntimeError, match="cannot be made"), ledger.begin() as conn:
        insert_values(conn, work_parcels, COLUMNS, failing())
    assert stored(ledger, 1) == []
    assert indexes(ledger) == before


def test_nothing_to_write_writes_nothing(ledger: Engine) -> None:
    written: list[int] = []
    with ledger.begin() as conn:
        insert_values(conn, work_parcels, COLUMNS, iter(()), progress=written.append)
    assert written == [] and stored(ledger, 1) == []
