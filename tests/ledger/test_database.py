"""Opening, migrating and describing the ledger."""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from databases import create_database, drop_database
from exports import run_cli
from lanjie.errors import LanjieError
from lanjie.ledger.database import (
    MIGRATIONS,
    SCHEMA_REVISION,
    current_revision,
    default_path,
    open_ledger,
    resolve_url,
    upgrade,
)
from lanjie.ledger.schema import metadata


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    else:
        url = create_database()
        yield url
        drop_database(url)


def test_the_schema_revision_is_alembics_head() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_REVISION


def test_migrations_create_exactly_the_schema(empty_url: str) -> None:
    engine = open_ledger(empty_url)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        assert set(inspect(conn).get_table_names()) == {t.name for t in metadata.sorted_tables} | {"alembic_version"}
    assert upgrade(engine) == (SCHEMA_REVISION, SCHEMA_REVISION)  # a second upgrade does nothing
    engine.dispose()


def test_db_upgrade_and_info_commands(empty_url: str) -> None:
    upgraded = run_cli("db", "upgrade", "--db", empty_url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"（空） → {SCHEMA_REVISION}" in upgraded.stdout
    info = run_cli("db", "info", "--db", empty_url, "--json")
    assert info.returncode == 0, info.stderr
    document = json.loads(info.stdout)
    assert document["revision"] == SCHEMA_REVISION and document["counts"]["aftersales"] == 0
    assert "password" not in document["url"]


def test_default_ledger_lives_in_the_user_data_folder(tmp_path: Path) -> None:
    assert resolve_url(None) == f"sqlite:///{default_path()}"
    assert str(default_path()).startswith(str(tmp_path / "user-data"))
    assert resolve_url("team.sqlite3") == f"sqlite:///{(tmp_path / 'team.sqlite3').resolve()}"
    assert resolve_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"


def test_an_unreachable_database_is_a_clear_error() -> None:
    with pytest.raises(LanjieError) as caught:
        open_ledger("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    assert caught.value.key == "db_unreachable" and caught.value.exit_code == 2
    result = run_cli("db", "info", "--db", "postgresql+psycopg://lanjie:secret@127.0.0.1:1/nowhere")
    assert result.returncode == 2 and "连不上台账数据库" in result.stderr
    assert "secret" not in result.stderr and "Traceback" not in result.stderr


def test_a_bad_database_address_is_a_clear_error() -> None:
    result = run_cli("db", "info", "--db", "mysql+nothing://x")
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_bulk_writes_store_datetimes_exactly_as_sqlalchemy_does(tmp_path: Path) -> None:
    from datetime import datetime, timedelta, timezone

    from sqlalchemy.dialects import sqlite

    from lanjie.ledger.schema import UTCDateTime

    dialect = sqlite.dialect()
    slow = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert slow is not None
    for moment in (
        datetime(2026, 11, 26, 9, 30, tzinfo=timezone(timedelta(hours=8))),
        datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=UTC),
    ):
        assert UTCDateTime.sqlite_text(moment) == slow(moment)


def test_the_shops_current_import_is_filled_in_from_their_after_sales(empty_url: str) -> None:
    """Migration 0015 keeps each shop's current import on the shop: a ledger from before it
    gets the newest last_import_id of each shop's after-sales (0 for a shop without any)."""
    from alembic import command
    from sqlalchemy import create_engine, text

    engine = create_engine(empty_url)
    with engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = conn
        command.upgrade(config, "0014")
        day = "'2026-11-26'"
        conn.execute(
            text(f"INSERT INTO shops (id, name, created_at) VALUES (1, '一号店', {day}), (2, '二号店', {day})")
        )
        conn.execute(
            text(
                "INSERT INTO imports (id, operator, imported_at) VALUES (1, 'a', '2026-11-26'), (2, 'a', '2026-11-27')"
            )
        )
        for aftersale_id, last in (("101", 1), ("102", 2), ("103", 0)):
            conn.execute(
                text(
                    "INSERT INTO aftersales (shop_id, aftersale_id, type, type_raw, state, state_raw, shipped, "
                    "tracking_nos, logistics, logistics_raw, product, reason, buyer_note, blockers, source_file, "
                    "source_row, as_of, digest, first_import_id, last_import_id) VALUES (1, :id, 'refund_only', "
                    "'仅退款', 'pending', '待商家处理', true, '', 'unknown', '', '', '', '', '[]', 'f.xlsx', 2, "
                    "'2026-11-26', 'd', 1, :last)"
                ),
                {"id": aftersale_id, "last": last},
            )
    engine.dispose()
    ledger = open_ledger(empty_url)
    with ledger.connect() as conn:
        assert dict(conn.execute(text("SELECT name, current_import_id FROM shops")).all()) == {"一号店": 2, "二号店": 0}
    ledger.dispose()


def _migrate(url: str, revision: str, *, down: bool = False) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, revision)
    engine.dispose()


def _indexes(url: str, table: str) -> dict[str, list[str]]:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.connect() as conn:
        found = {str(index["name"]): list(index["column_names"]) for index in inspect(conn).get_indexes(table)}
    engine.dispose()
    return found


def _partial(url: str, index: str) -> bool:
    """Whether the index holds only some rows (a WHERE in its definition)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        query = (
            "SELECT sql FROM sqlite_master WHERE name = :name"
            if engine.dialect.name == "sqlite"
            else "SELECT indexdef FROM pg_indexes WHERE indexname = :name"
        )
        definition = conn.execute(text(query), {"name": index}).scalar_one()
    engine.dispose()
    return "WHERE" in definition.upper()


def test_the_kept_work_loses_the_index_entries_an_import_paid_for_and_gets_them_back_on_downgrade(
    empty_url: str,
) -> None:
    """Migration 0016: work_parcels keeps two indexes besides its key instead of three, and
    work.recheck_at is indexed only where there is one; a downgrade restores the old indexes."""
    old_lists, old_parcel = ["bucket", "courier", "due", "tracking_no"], ["shop_id", "tracking_no"]
    old = {
        "ix_work_parcels_bucket_courier_shop_id_tracking_no": ["bucket", "courier", "shop_id", "tracking_no"],
        "ix_work_parcels_bucket_courier_due_tracking_no": old_lists,
        "ix_work_parcels_shop_id_tracking_no": old_parcel,
    }
    new = {
        "ix_work_parcels_bucket_courier_due_tracking_no_shop_id": [*old_lists, "shop_id"],
        "ix_work_parcels_shop_id_tracking_no_bucket_courier": [*old_parcel, "bucket", "courier"],
    }
    _migrate(empty_url, "0015")
    assert _indexes(empty_url, "work_parcels") == old and not _partial(empty_url, "ix_work_recheck_at")
    _migrate(empty_url, "0016")
    assert _indexes(empty_url, "work_parcels") == new and _partial(empty_url, "ix_work_recheck_at")
    assert _indexes(empty_url, "work")["ix_work_recheck_at"] == ["recheck_at"]
    _migrate(empty_url, "0015", down=True)
    assert _indexes(empty_url, "work_parcels") == old and not _partial(empty_url, "ix_work_recheck_at")


def test_a_new_sqlite_ledger_has_large_pages_and_an_older_file_keeps_its_own(tmp_path: Path) -> None:
    import sqlite3

    from lanjie.ledger.database import PAGE_SIZE

    def page_size(path: Path) -> int:
        with sqlite3.connect(path) as conn:
            return int(conn.execute("PRAGMA page_size").fetchone()[0])

    open_ledger(str(tmp_path / "new.sqlite3")).dispose()
    assert page_size(tmp_path / "new.sqlite3") == PAGE_SIZE
    older = tmp_path / "older.sqlite3"
    with sqlite3.connect(older) as conn:  # a ledger made before: SQLite's default page size
        conn.execute("CREATE TABLE made_before (x)")
    assert page_size(older) == 4096
    ledger = open_ledger(str(older))
    with ledger.connect() as conn:
        assert current_revision(conn) == SCHEMA_REVISION
    ledger.dispose()
    assert page_size(older) == 4096


def test_a_bulk_write_grows_the_sqlite_page_cache_only_while_it_runs(tmp_path: Path) -> None:
    from lanjie.ledger.database import BULK_CACHE_KIB, write_transaction

    ledger = open_ledger(str(tmp_path / "ledger.sqlite3"))

    def cache_size(driver: Any) -> int:
        return int(driver.execute("PRAGMA cache_size").fetchone()[0])

    with write_transaction(ledger) as conn:
        driver = conn.connection.driver_connection
        ordinary = cache_size(driver)
    with write_transaction(ledger, bulk=True) as conn:
        assert conn.connection.driver_connection is driver  # the same pooled connection
        assert cache_size(driver) == -BULK_CACHE_KIB != ordinary
    assert cache_size(driver) == ordinary
    with pytest.raises(RuntimeError), write_transaction(ledger, bulk=True):
        raise RuntimeError("the import stops half-way")
    assert cache_size(driver) == ordinary
    ledger.dispose()
