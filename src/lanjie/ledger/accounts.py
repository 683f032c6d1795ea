"""Accounts for team mode: argon2id password hashes, sessions kept in the ledger, and logins
that slow down after failures (per client address and account, so a stranger cannot lock out
a colleague), counted in the ledger too, so every server sharing it knows them."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, delete, func, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from lanjie.errors import BadInput, LanjieError
from lanjie.ledger.database import write_transaction
from lanjie.ledger.schema import login_failures, sessions, users

_HASHER = PasswordHasher()  # argon2id with the library's current recommended cost
# A hash to verify against when the name is unknown, so both cases take as long.
_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))
MIN_PASSWORD = 8
FREE_ATTEMPTS = 3  # per client address and account
FREE_ATTEMPTS_PER_ADDRESS = 10  # per client address, whatever the names tried
MAX_WAIT = timedelta(minutes=15)
SESSION_IDLE = timedelta(days=14)  # a session unused this long has ended
SEEN_EVERY = timedelta(minutes=5)  # how often a session's last_seen_at is written
FAILURES_KEPT = timedelta(days=1)  # failures older than this are forgotten


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
    _check_password(password)
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


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise BadInput("user_short_password", n=MIN_PASSWORD)


def set_password(engine: Engine, name: str, password: str) -> bool:
    """A new password for an account; every session it had is ended."""
    _check_password(password)
    hashed = _HASHER.hash(password)
    with write_transaction(engine) as conn:
        user_id = conn.execute(select(users.c.id).where(users.c.name == name)).scalar()
        if user_id is None:
            return False
        conn.execute(update(users).where(users.c.id == user_id).values(password_hash=hashed))
        _end_sessions_of(conn, user_id)
    return True


def remove_user(engine: Engine, name: str) -> bool:
    """Remove an account and end its sessions at once (its name stays in the records)."""
    with write_transaction(engine) as conn:
        user_id = conn.execute(select(users.c.id).where(users.c.name == name)).scalar()
        if user_id is None:
            return False
        _end_sessions_of(conn, user_id)
        return bool(conn.execute(users.delete().where(users.c.id == user_id)).rowcount)


def _end_sessions_of(conn: Connection, user_id: int) -> None:
    conn.execute(delete(sessions).where(sessions.c.user_id == user_id))


def list_users(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(users.c.name).order_by(users.c.name)).scalars())


def has_users(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(select(func.count()).select_from(users)).scalar_one())


def verify_login(engine: Engine, name: str, password: str) -> User | None:
    """The user if the password is right. Always runs exactly one argon2 verification (against
    a dummy hash for an unknown name), so a known and an unknown name take as long.
    Slow on purpose: call it off the event loop."""
    with engine.connect() as conn:
        row = conn.execute(select(users.c.id, users.c.name, users.c.password_hash).where(users.c.name == name)).first()
    right = _verify(_DUMMY_HASH if row is None else row.password_hash, password)
    return User(row.id, row.name) if row is not None and right else None


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


# --- sessions: the browser's cookie holds a random token, the ledger its SHA-256


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(engine: Engine, user: User, *, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    with write_transaction(engine) as conn:
        conn.execute(
            insert(sessions).values(token_hash=_token_hash(token), user_id=user.id, created_at=now, last_seen_at=now)
        )
        conn.execute(delete(sessions).where(sessions.c.last_seen_at < now - SESSION_IDLE))  # forget ended ones
    return token


def session_user(engine: Engine, token: str, *, now: datetime) -> User | None:
    """Who a session token belongs to, if the session is still on (not logged out, the account
    not removed, its password not changed, used within SESSION_IDLE)."""
    hashed = _token_hash(token)
    query = (
        select(users.c.id, users.c.name, sessions.c.last_seen_at)
        .select_from(sessions.join(users, users.c.id == sessions.c.user_id))
        .where(sessions.c.token_hash == hashed)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None or row.last_seen_at < now - SESSION_IDLE:
        return None
    if now - row.last_seen_at >= SEEN_EVERY:
        with write_transaction(engine) as conn:
            conn.execute(update(sessions).where(sessions.c.token_hash == hashed).values(last_seen_at=now))
    return User(row.id, row.name)


def end_session(engine: Engine, token: str) -> None:
    with write_transaction(engine) as conn:
        conn.execute(delete(sessions).where(sessions.c.token_hash == _token_hash(token)))


# --- throttling failed logins


def wait_before_next_try(failures: int, free: int = FREE_ATTEMPTS) -> timedelta:
    """After a few free attempts, each failure doubles the wait (1 s, 2 s, 4 s … up to 15 min)."""
    if failures < free:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - free, 20)), MAX_WAIT)


class LoginThrottle:
    """Failed logins counted per (client address, name) and per client address, in the ledger,
    so every server sharing it throttles alike.

    Keyed by the address as well as the name: failures from a stranger's machine slow down
    that machine only, never the colleague logging in from their own. Unknown names are
    counted like known ones, so being throttled says nothing about whether a name exists.
    Each method talks to the database: call them off the event loop."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def wait(self, address: str, name: str, *, now: datetime) -> timedelta:
        """How long this address must still wait before trying this name (zero: go ahead)."""
        address, pair = _throttle_keys(address, name)
        query = select(login_failures.c.name_hash, login_failures.c.failures, login_failures.c.last_failed_at).where(
            login_failures.c.address == address, login_failures.c.name_hash.in_((pair, _WHOLE_ADDRESS))
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        ready = now
        for row in rows:
            free = FREE_ATTEMPTS_PER_ADDRESS if row.name_hash == _WHOLE_ADDRESS else FREE_ATTEMPTS
            ready = max(ready, row.last_failed_at + wait_before_next_try(row.failures, free))
        return ready - now

    def failed(self, address: str, name: str, *, now: datetime) -> None:
        """Count one failure for this address and name, and for the address."""
        address, pair = _throttle_keys(address, name)
        with write_transaction(self.engine) as conn:
            _count_failure(conn, address, pair, now)
            _forget_old_failures(conn, now)

    def succeeded(self, address: str, name: str) -> None:
        address, pair = _throttle_keys(address, name)
        with write_transaction(self.engine) as conn:
            for key in (_WHOLE_ADDRESS, pair):  # in the order `failed` locks them
                conn.execute(
                    delete(login_failures).where(login_failures.c.address == address, login_failures.c.name_hash == key)
                )


_WHOLE_ADDRESS = ""  # the name_hash of the row counting an address's failures whatever the name


def _throttle_keys(address: str, name: str) -> tuple[str, str]:
    """The address as stored, and the key of this name tried from it (see schema.login_failures)."""
    return address[:100], hashlib.sha256(name.encode("utf-8")).hexdigest()


def _count_failure(conn: Connection, address: str, pair: str, now: datetime) -> None:
    """One INSERT … ON CONFLICT DO UPDATE for both rows: failures on two servers at the same
    moment are both counted, never one lost to the other's read-modify-write."""
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    # The address's own row first, always: two servers counting the same address lock its rows
    # in the same order, so they never deadlock.
    rows = [
        {"address": address, "name_hash": key, "failures": 1, "last_failed_at": now} for key in (_WHOLE_ADDRESS, pair)
    ]
    statement = dialect_insert(login_failures).values(rows)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=[login_failures.c.address, login_failures.c.name_hash],
            set_={"failures": login_failures.c.failures + 1, "last_failed_at": statement.excluded.last_failed_at},
        )
    )


def _forget_old_failures(conn: Connection, now: datetime) -> None:
    """Delete the failures older than FAILURES_KEPT, skipping any row another server holds
    (PostgreSQL): this never waits, so it cannot deadlock with one counting or clearing it."""
    old = (
        select(login_failures.c.address, login_failures.c.name_hash)
        .where(login_failures.c.last_failed_at < now - FAILURES_KEPT)
        .with_for_update(skip_locked=True)
    )
    conn.execute(delete(login_failures).where(tuple_(login_failures.c.address, login_failures.c.name_hash).in_(old)))
