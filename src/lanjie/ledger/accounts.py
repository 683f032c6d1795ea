"""Accounts for team mode: argon2id password hashes, sessions kept in the ledger, and logins
that slow down after failures (per client address and account, so a stranger cannot lock out
a colleague)."""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from lanjie.errors import BadInput, LanjieError
from lanjie.ledger.database import write_transaction
from lanjie.ledger.schema import sessions, users

_HASHER = PasswordHasher()  # argon2id with the library's current recommended cost
# A hash to verify against when the name is unknown, so both cases take as long.
_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))
MIN_PASSWORD = 8
FREE_ATTEMPTS = 3  # per client address and account
FREE_ATTEMPTS_PER_ADDRESS = 10  # per client address, whatever the names tried
MAX_WAIT = timedelta(minutes=15)
SESSION_IDLE = timedelta(days=14)  # a session unused this long has ended
SEEN_EVERY = timedelta(minutes=5)  # how often a session's last_seen_at is written
MAX_TRACKED = 10_000  # failure counters kept in memory before old ones are dropped


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
    """Failed logins counted per (client address, name) and per client address, in memory.

    Keyed by the address as well as the name: failures from a stranger's machine slow down
    that machine only, never the colleague logging in from their own. Unknown names are
    counted like known ones, so being throttled says nothing about whether a name exists."""

    def __init__(self) -> None:
        self._failures: dict[tuple[str, str | None], tuple[int, datetime]] = {}
        self._lock = threading.Lock()

    def _keys(self, address: str, name: str) -> tuple[tuple[str, str | None], tuple[str, str | None]]:
        return (address, name), (address, None)

    def wait(self, address: str, name: str, *, now: datetime) -> timedelta:
        """How long this address must still wait before trying this name (zero: go ahead)."""
        pair, whole = self._keys(address, name)
        with self._lock:
            ready = now
            for key, free in ((pair, FREE_ATTEMPTS), (whole, FREE_ATTEMPTS_PER_ADDRESS)):
                if key in self._failures:
                    count, last = self._failures[key]
                    ready = max(ready, last + wait_before_next_try(count, free))
        return ready - now

    def failed(self, address: str, name: str, *, now: datetime) -> None:
        with self._lock:
            if len(self._failures) >= MAX_TRACKED:
                self._forget_old(now)
            for key in self._keys(address, name):
                count, _ = self._failures.get(key, (0, now))
                self._failures[key] = (count + 1, now)

    def succeeded(self, address: str, name: str) -> None:
        with self._lock:
            for key in self._keys(address, name):
                self._failures.pop(key, None)

    def _forget_old(self, now: datetime) -> None:
        old = [key for key, (_, last) in self._failures.items() if now - last > MAX_WAIT]
        for key in old or list(self._failures)[: MAX_TRACKED // 10]:
            del self._failures[key]
