"""Accounts for team mode: argon2id password hashes, and logins that slow down after failures."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from lanjie.errors import BadInput, LanjieError
from lanjie.ledger.database import write_transaction
from lanjie.ledger.schema import users

_HASHER = PasswordHasher()  # argon2id with the library's current recommended cost
# A hash to verify against when the name is unknown, so both cases take as long.
_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))
MIN_PASSWORD = 8
FREE_ATTEMPTS = 3
MAX_WAIT = timedelta(minutes=15)


class LoginFailed(LanjieError):
    """Wrong name or password: one message for both, so names cannot be guessed."""

    http_status = 401


class LoginThrottled(LanjieError):
    http_status = 429


@dataclass(frozen=True)
class User:
    id: int
    name: str


def add_user(engine: Engine, name: str, password: str, *, now: datetime) -> User:
    name = name.strip()
    if not name or len(name) > 100:
        raise BadInput("user_bad_name")
    if len(password) < MIN_PASSWORD:
        raise BadInput("user_short_password", n=MIN_PASSWORD)
    try:
        with write_transaction(engine) as conn:
            result = conn.execute(
                insert(users).values(name=name, password_hash=_HASHER.hash(password), created_at=now, failed_logins=0)
            )
    except IntegrityError as error:
        raise BadInput("user_exists", name=name) from error
    key = result.inserted_primary_key
    assert key is not None
    return User(int(key[0]), name)


def remove_user(engine: Engine, name: str) -> bool:
    with write_transaction(engine) as conn:
        return bool(conn.execute(users.delete().where(users.c.name == name)).rowcount)


def list_users(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(users.c.name).order_by(users.c.name)).scalars())


def has_users(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(select(func.count()).select_from(users)).scalar_one())


def wait_before_next_try(failures: int) -> timedelta:
    """After a few free attempts, each failure doubles the wait (1 s, 2 s, 4 s … up to 15 min)."""
    if failures < FREE_ATTEMPTS:
        return timedelta(0)
    return min(timedelta(seconds=2 ** (failures - FREE_ATTEMPTS)), MAX_WAIT)


def check_login(engine: Engine, name: str, password: str, *, now: datetime) -> User:
    """The user, if the password is right and the account is not cooling down after failures."""
    with write_transaction(engine) as conn:
        row = conn.execute(select(users).where(users.c.name == name.strip())).first()
        if row is None:
            _verify(_DUMMY_HASH, password)
            raise LoginFailed("login_failed")
        if row.last_failed_at is not None:
            ready = row.last_failed_at + wait_before_next_try(row.failed_logins)
            if now < ready:
                raise LoginThrottled("login_throttled", seconds=int((ready - now).total_seconds()) + 1)
        right = _verify(row.password_hash, password)
        if not right:
            failed = users.c.failed_logins + 1
            conn.execute(update(users).where(users.c.id == row.id).values(failed_logins=failed, last_failed_at=now))
        elif row.failed_logins:
            conn.execute(update(users).where(users.c.id == row.id).values(failed_logins=0, last_failed_at=None))
    if not right:  # raised after the commit: the failure must be remembered
        raise LoginFailed("login_failed")
    return User(row.id, row.name)


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False
