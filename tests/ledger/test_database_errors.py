"""Trouble with the database itself, for real: a full disk, a writer that holds the ledger too
long, a connection cut by the server. Each gets its own clear message (what happened, that
nothing was written, what to do) on the command line and on the web, never "please report
this bug". And the event log stays append-only whatever SQL is thrown at it."""

from __future__ import annotations

import os
import pwd
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, create_engine, func, insert, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from typer.testing import CliRunner

from databases import SERVER_URL, create_database, drop_database
from exports import NOW, aftersale, csv_bytes, run_cli
from lanjie.errors import LedgerBusy, LedgerConnectionLost, LedgerFull
from lanjie.ledger.database import explain_db_error, open_ledger, write_transaction
from lanjie.ledger.importer import lock_shops, shop_lock_key
from lanjie.ledger.schema import events, imports
from webtools import Browser, Clock, make_app, upload

AT = f"{NOW:%Y-%m-%dT%H:%M:%S%z}"
SHOP = "示例旗舰店"


def export(folder: Path, rows: int, *, hours: int = 0) -> Path:
    """A CSV after-sales export of `rows` rows (CSV: quick to write even when large)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"售后单导出-{NOW + timedelta(hours=hours):%Y-%m-%d-%H-%M-%S}.csv"
    records = [aftersale(售后单号=f"73{k:017d}", 发货物流单号=f"7361055{k:07d}") for k in range(rows)]
    path.write_bytes(csv_bytes(records, encoding="utf-8"))
    return path


def imports_in(url: str) -> int:
    engine = open_ledger(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(imports)).scalar_one())
    finally:
        engine.dispose()


def refused(result: subprocess.CompletedProcess[str], words: str) -> None:
    """Exit 2 with a message of its own: what happened, nothing written, what to do; no bug report."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert words in result.stderr and "这次什么都没有写进台账" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "发给维护者" not in result.stderr, result.stderr


@contextmanager
def holding_the_import_lock(url: str) -> Iterator[Engine]:
    """Another writer in the middle of importing the shop: the write lock (SQLite), the shop's
    import lock (PostgreSQL)."""
    engine = open_ledger(url)
    try:
        with write_transaction(engine) as conn:
            lock_shops(conn, [SHOP])
            yield engine
    finally:
        engine.dispose()


# --- A writer that holds the ledger too long


def test_an_import_waits_for_another_then_says_the_ledger_is_busy(ledger_url: str, tmp_path: Path) -> None:
    path = export(tmp_path, 5)
    env = {"LANJIE_DATABASE_URL": ledger_url, "LANJIE_DB_TIMEOUT": "1"}
    assert run_cli("db", "upgrade", env=env).returncode == 0
    with holding_the_import_lock(ledger_url):
        started = time.monotonic()
        result = run_cli("import", path, "--now", AT, env=env)
        waited = time.monotonic() - started
    refused(result, "台账正被别人写入（可能有人正在导入），等了 1 秒还没轮到")
    assert "请过一会儿再试一次" in result.stderr and waited < 30
    assert imports_in(ledger_url) == 0
    assert run_cli("import", path, "--now", AT, env=env).returncode == 0  # and once it is free, it works
    assert imports_in(ledger_url) == 1


def test_the_web_says_so_on_a_page_of_its_own(ledger_url: str, tmp_path: Path) -> None:
    path = export(tmp_path, 5)
    engine = open_ledger(ledger_url, timeout=1)
    with make_app(engine, Clock(NOW)) as client:
        web = Browser(client)
        web.get("/operator")
        web.post("/operator", {"name": "小王", "next": "/"})
        with holding_the_import_lock(ledger_url):
            response = upload(web, path)
    engine.dispose()
    assert response.status_code == 503  # type: ignore[attr-defined]
    page = response.text  # type: ignore[attr-defined]
    assert "台账正被别人写入" in page and "这次什么都没有写进台账" in page and "请过一会儿再试一次" in page
    assert imports_in(ledger_url) == 0


def test_a_bad_timeout_setting_is_refused() -> None:
    result = run_cli("db", "info", "--db", "ledger.sqlite3", env={"LANJIE_DB_TIMEOUT": "soon"})
    assert result.returncode == 2 and "db_timeout" in result.stderr and "Traceback" not in result.stderr


# --- A connection cut by the server


def test_a_lost_connection_is_said_plainly(tmp_path: Path) -> None:
    url = create_database()
    env = {**os.environ, "LANJIE_DATABASE_URL": url}
    key = shop_lock_key(SHOP) & 0xFFFFFFFFFFFFFFFF  # as pg_locks shows it: two unsigned halves
    admin = create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    try:
        with holding_the_import_lock(url):
            process = subprocess.Popen(
                [sys.executable, "-m", "lanjie", "import", export(tmp_path, 5), "--now", AT],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            waiting = None
            deadline = time.monotonic() + 60
            with admin.connect() as conn:
                while waiting is None:  # the import's backend, waiting for the shop's lock
                    assert process.poll() is None and time.monotonic() < deadline, process.communicate()
                    time.sleep(0.02)
                    waiting = conn.execute(
                        text(
                            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                            "AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1"
                        ),
                        {"high": key >> 32, "low": key & 0xFFFFFFFF},
                    ).scalar()
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": waiting})
            out, err = process.communicate(timeout=60)
        result = subprocess.CompletedProcess(process.args, process.returncode, out, err)
        refused(result, "和台账数据库的连接断了")
        assert "请检查网络和数据库是否在运行，然后再试一次" in err
        assert imports_in(url) == 0
    finally:
        admin.dispose()
        drop_database(url)


def _cut_connection(*_args: object, **_options: object) -> None:
    raise OperationalError("SELECT …", {}, psycopg.errors.AdminShutdown("terminating connection"))


def test_trouble_found_while_reading_is_said_plainly_too(
    ledger: Engine, ledger_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reads go through no write transaction: the command line and the web explain the
    database errors they meet themselves."""
    import lanjie.ledger.database
    import lanjie.web.context
    from lanjie.cli import app

    monkeypatch.setattr(lanjie.ledger.database, "ledger_info", _cut_connection)
    said = CliRunner().invoke(app, ["db", "info", "--db", ledger_url])
    assert said.exit_code == 2, said.output
    assert "和台账数据库的连接断了（terminating connection）" in said.output and "发给维护者" not in said.output

    with make_app(ledger, Clock(NOW)) as client:
        web = Browser(client)
        web.get("/operator")
        web.post("/operator", {"name": "小王", "next": "/"})
        monkeypatch.setattr(lanjie.web.context, "refresh_work", _cut_connection)
        page = client.get("/")
    assert page.status_code == 503 and "和台账数据库的连接断了" in page.text and "请检查网络和数据库" in page.text


# --- A full disk, for real: a small tmpfs under the ledger (root only, as in CI)


def _cannot(why: str) -> None:
    """On a developer's machine without root a full disk cannot be staged; in CI it must be."""
    if os.environ.get("CI"):
        pytest.fail(why)
    pytest.skip(why)


@contextmanager
def small_disk(size: str, *, owner: str | None = None) -> Iterator[Path]:
    if os.geteuid() != 0:
        _cannot("mounting a small file system to fill needs root (CI runs as root)")
    folder = Path(tempfile.mkdtemp(prefix="lanjie-full-"))
    options = f"size={size}"
    if owner is not None:
        user = pwd.getpwnam(owner)
        options += f",uid={user.pw_uid},gid={user.pw_gid},mode=0700"
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        folder.rmdir()
        _cannot(f"cannot mount a small file system here: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=True)
        folder.rmdir()


def test_a_full_disk_is_said_plainly_sqlite(tmp_path: Path) -> None:
    with small_disk("1m") as disk:
        ledger = disk / "ledger.sqlite3"
        env = {"LANJIE_DATABASE_URL": str(ledger)}
        assert run_cli("db", "upgrade", env=env).returncode == 0
        path = export(tmp_path, 4000)
        result = run_cli("import", path, "--now", AT, env=env)
        refused(result, "台账数据库的磁盘满了")
        assert "请腾出磁盘空间后再试一次" in result.stderr
        assert imports_in(f"sqlite:///{ledger}") == 0
        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)  # space freed
        done = run_cli("import", path, "--now", AT, env=env)
        assert done.returncode == 0 and "新增 4000 个售后单" in done.stdout, done.stderr
        assert imports_in(f"sqlite:///{ledger}") == 1


def test_a_full_disk_is_said_plainly_postgresql(tmp_path: Path) -> None:
    """The after-sales table lives in a tablespace on a 1 MB file system of the server's (the
    test server runs on this machine, see tests/databases.py)."""
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        _cannot("the PostgreSQL server does not run on this machine")
    space = f"lanjie_full_{uuid.uuid4().hex[:8]}"
    admin = create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    with small_disk("1m", owner="postgres") as disk:
        url = create_database()
        try:
            with admin.connect() as conn:
                conn.execute(text(f"CREATE TABLESPACE {space} LOCATION '{disk}'"))
            engine = open_ledger(url)
            with engine.begin() as conn:
                conn.execute(text(f"ALTER TABLE aftersales SET TABLESPACE {space}"))
            engine.dispose()
            result = run_cli("import", export(tmp_path, 4000), "--now", AT, env={"LANJIE_DATABASE_URL": url})
            refused(result, "台账数据库的磁盘满了")
            assert "请腾出磁盘空间后再试一次" in result.stderr
            assert imports_in(url) == 0
        finally:
            drop_database(url)
            with admin.connect() as conn:
                conn.execute(text(f"DROP TABLESPACE IF EXISTS {space}"))
            admin.dispose()


# --- Which errors are whose


def _wrapped(error: Exception) -> DBAPIError:
    return OperationalError("INSERT …", {}, error)


def test_database_trouble_is_told_apart_from_bugs() -> None:
    full = explain_db_error(_wrapped(sqlite3.OperationalError("database or disk is full")))
    assert isinstance(full, LedgerFull) and full.exit_code == 2
    assert "Free some disk space" in full.render("en")
    busy = explain_db_error(_wrapped(sqlite3.OperationalError("database is locked")), timeout=2.5)
    assert isinstance(busy, LedgerBusy) and "2.5 s" in busy.render("en")
    assert isinstance(explain_db_error(psycopg.errors.DiskFull("could not extend file")), LedgerFull)
    assert isinstance(explain_db_error(_wrapped(psycopg.errors.LockNotAvailable("lock timeout"))), LedgerBusy)
    assert isinstance(explain_db_error(_wrapped(psycopg.errors.DeadlockDetected("deadlock"))), LedgerBusy)
    lost = explain_db_error(_wrapped(psycopg.errors.AdminShutdown("terminating connection")))
    assert isinstance(lost, LedgerConnectionLost) and "terminating connection" in lost.render("zh")
    closed = psycopg.OperationalError("consuming input failed: server closed the connection unexpectedly")
    assert isinstance(explain_db_error(closed), LedgerConnectionLost)
    # Bugs stay bugs; a server that cannot be reached is another message (db_unreachable).
    assert explain_db_error(IntegrityError("INSERT …", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))) is None
    assert explain_db_error(_wrapped(psycopg.OperationalError("connection refused"))) is None
    assert explain_db_error(ValueError("database is locked")) is None


# --- The event log is append-only, whatever the SQL


def _attempts(dialect: str) -> list[str]:
    """Every way of changing or removing an event the database knows."""
    now = "'2026-11-26 01:30:00.000000'" if dialect == "sqlite" else "now()"
    overwrite = f"INTO events (id, at, operator, kind, shop_id) VALUES (1, {now}, 'x', 'remark_written', 1)"
    common = [
        f"INSERT {overwrite} ON CONFLICT (id) DO UPDATE SET operator = 'x'",
        "UPDATE events SET operator = 'x'",
        "DELETE FROM events WHERE id = 1",
        "DELETE FROM events",
    ]
    if dialect == "sqlite":
        return [
            f"REPLACE {overwrite}",
            f"INSERT OR REPLACE {overwrite}",
            "INSERT OR REPLACE INTO events SELECT * FROM events",
            "UPDATE OR REPLACE events SET id = 2 WHERE id = 1",
            *common,
        ]
    return [*common, "TRUNCATE events", "TRUNCATE events CASCADE"]


def test_the_event_log_refuses_every_way_of_rewriting_it(ledger: Engine) -> None:
    with write_transaction(ledger) as conn:
        for kind in ("intercept_requested", "remark_written"):
            conn.execute(insert(events).values(at=NOW, operator="小王", kind=kind, shop_id=1, tracking_no="7361055"))
    with ledger.connect() as conn:
        before = conn.execute(select(events).order_by(events.c.id)).all()
    for statement in _attempts(ledger.dialect.name):
        with pytest.raises(DBAPIError, match="append-only"), write_transaction(ledger) as conn:
            conn.execute(text(statement))
        with ledger.connect() as conn:
            assert conn.execute(select(events).order_by(events.c.id)).all() == before, statement
    with write_transaction(ledger) as conn:  # appending still works
        conn.execute(insert(events).values(at=NOW, operator="小李", kind="remark_written", shop_id=1))
    with ledger.connect() as conn:
        assert len(conn.execute(select(events)).all()) == 3
