"""Throwaway PostgreSQL databases for tests.

PostgreSQL is required, not optional: when it cannot be reached the tests fail (they never
skip). LANJIE_TEST_POSTGRES_URL points at a server where a throwaway database may be created
(default: postgres on 127.0.0.1:5432, trust auth).
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

SERVER_URL = os.environ.get("LANJIE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _admin() -> Engine:
    return create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")


def create_database() -> str:
    """A new empty PostgreSQL database; returns its URL."""
    name = f"lanjie_test_{uuid.uuid4().hex[:12]}"
    admin = _admin()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # any failure to reach the server is a hard failure
        pytest.fail(
            f"PostgreSQL is required for the ledger tests and is not reachable at {SERVER_URL}: {error}", pytrace=False
        )
    finally:
        admin.dispose()
    return make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    name = make_url(url).database
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
