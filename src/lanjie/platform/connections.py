"""Shops connected to the 抖店 Open Platform: connect, list, disconnect, and a valid token.

A token is refreshed a day before it expires, and at once when the platform answers that it
expired. Refreshing holds the shop's row for update, so two servers never both spend the same
refresh token (the platform accepts each refresh token once).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, delete, insert, select, update

from lanjie.clients.doudian import DoudianClient, Token, TokenExpired
from lanjie.errors import BadInput, NotFound
from lanjie.ledger.database import write_transaction
from lanjie.ledger.importer import ensure_shops
from lanjie.ledger.schema import platform_shops, shops
from lanjie.platform.tokens import TokenUnreadable, seal, unseal

REFRESH_BEFORE = timedelta(days=1)
GRANT_SELF = "authorization_self"
GRANT_CODE = "authorization_code"
T = TypeVar("T")


@dataclass(frozen=True)
class ConnectedShop:
    shop_id: int
    name: str
    platform_shop_id: str
    grant_type: str
    token_expires_at: datetime
    connected_at: datetime
    connected_by: str
    synced_at: datetime | None
    sync_counts: dict[str, Any] | None
    sync_error: str | None
    sync_error_at: datetime | None


def _shop(row: Any) -> ConnectedShop:
    return ConnectedShop(
        shop_id=row.shop_id,
        name=row.name,
        platform_shop_id=row.platform_shop_id,
        grant_type=row.grant_type,
        token_expires_at=row.token_expires_at,
        connected_at=row.connected_at,
        connected_by=row.connected_by,
        synced_at=row.synced_at,
        sync_counts=json.loads(row.sync_counts) if row.sync_counts else None,
        sync_error=row.sync_error,
        sync_error_at=row.sync_error_at,
    )


def _query() -> Any:
    return select(platform_shops, shops.c.name).join(shops, shops.c.id == platform_shops.c.shop_id)


def connected_shops(conn: Connection, names: list[str] | tuple[str, ...] = ()) -> list[ConnectedShop]:
    """The connected shops (those named, when names are given), by name."""
    query = _query().order_by(shops.c.name)
    if names:
        query = query.where(shops.c.name.in_(names))
    return [_shop(row) for row in conn.execute(query)]


def connected_shop(conn: Connection, name: str) -> ConnectedShop:
    found = connected_shops(conn, [name])
    if not found:
        raise NotFound("shop_not_connected", shop=name)
    return found[0]


def connect_shop(
    engine: Engine,
    client: DoudianClient,
    *,
    name: str,
    secret: str,
    operator: str,
    now: datetime,
    platform_shop_id: str | None = None,
    code: str | None = None,
) -> ConnectedShop:
    """Authorise with the platform (自用型: the shop id; 工具型: the code) and keep the token sealed.

    Connecting a shop again replaces its authorisation; one 抖店 shop belongs to one lanjie shop."""
    if platform_shop_id is not None:
        if not platform_shop_id.isdigit():
            raise BadInput("shop_id_not_digits", value=platform_shop_id)
        token, grant = client.create_token_self(platform_shop_id), GRANT_SELF
    elif code:
        token, grant = client.create_token_code(code), GRANT_CODE
    else:
        raise BadInput("connect_needs_id_or_code")
    name = name.strip() or token.shop_name
    with write_transaction(engine) as conn:
        shop_id = ensure_shops(conn, [name], now)[name]
        other = conn.execute(
            select(shops.c.name)
            .join(platform_shops, platform_shops.c.shop_id == shops.c.id)
            .where(platform_shops.c.platform_shop_id == token.shop_id, platform_shops.c.shop_id != shop_id)
        ).scalar_one_or_none()
        if other is not None:
            raise BadInput("shop_connected_elsewhere", platform_shop_id=token.shop_id, shop=other)
        values = {
            "platform_shop_id": token.shop_id,
            "grant_type": grant,
            "sealed_token": seal(token, secret),
            "token_expires_at": token.expires_at,
            "connected_at": now,
            "connected_by": operator,
        }
        done = conn.execute(update(platform_shops).where(platform_shops.c.shop_id == shop_id).values(**values))
        if done.rowcount == 0:
            conn.execute(insert(platform_shops).values(shop_id=shop_id, **values))
        return _shop(conn.execute(_query().where(platform_shops.c.shop_id == shop_id)).one())


def disconnect_shop(engine: Engine, name: str) -> None:
    """Forget the shop's authorisation (its after-sales and history stay in the ledger)."""
    with write_transaction(engine) as conn:
        shop = connected_shop(conn, name)
        conn.execute(delete(platform_shops).where(platform_shops.c.shop_id == shop.shop_id))


def access_token(
    engine: Engine, client: DoudianClient, shop: ConnectedShop, *, secret: str, now: datetime, force: bool = False
) -> str:
    """A token good for calls now: the stored one, or a refreshed one (stored again, sealed)."""
    if not force and shop.token_expires_at - REFRESH_BEFORE > now:
        with engine.connect() as conn:
            return _stored_token(conn, shop, secret).access_token
    with write_transaction(engine) as conn:
        row = conn.execute(
            select(platform_shops.c.sealed_token, platform_shops.c.token_expires_at)
            .where(platform_shops.c.shop_id == shop.shop_id)
            .with_for_update()
        ).one_or_none()
        if row is None:
            raise NotFound("shop_not_connected", shop=shop.name)
        token = _unsealed(row.sealed_token, shop, secret)
        if row.token_expires_at != shop.token_expires_at or (not force and token.expires_at - REFRESH_BEFORE > now):
            return token.access_token  # another server refreshed it meanwhile
        fresh = client.refresh_token(token.refresh_token)
        conn.execute(
            update(platform_shops)
            .where(platform_shops.c.shop_id == shop.shop_id)
            .values(sealed_token=seal(fresh, secret), token_expires_at=fresh.expires_at)
        )
        return fresh.access_token


def _stored_token(conn: Connection, shop: ConnectedShop, secret: str) -> Token:
    sealed = conn.execute(
        select(platform_shops.c.sealed_token).where(platform_shops.c.shop_id == shop.shop_id)
    ).scalar_one_or_none()
    if sealed is None:
        raise NotFound("shop_not_connected", shop=shop.name)
    return _unsealed(sealed, shop, secret)


def _unsealed(sealed: str, shop: ConnectedShop, secret: str) -> Token:
    try:
        return unseal(sealed, secret)
    except TokenUnreadable:
        raise BadInput("token_unreadable", shop=shop.name) from None


def record_sync(
    engine: Engine, shop_id: int, *, started: datetime, counts: dict[str, Any] | None, error: str | None
) -> None:
    """A sync's result: on success the next sync asks for changes since `started`."""
    values: dict[str, Any] = (
        {"synced_at": started, "sync_counts": json.dumps(counts, ensure_ascii=False), "sync_error": None}
        if error is None
        else {"sync_error": error, "sync_error_at": started}
    )
    with write_transaction(engine) as conn:
        conn.execute(update(platform_shops).where(platform_shops.c.shop_id == shop_id).values(**values))


def with_token(
    engine: Engine, client: DoudianClient, shop: ConnectedShop, *, secret: str, now: datetime, call: Callable[[str], T]
) -> T:
    """`call(access_token)`, once more with a refreshed token if the platform says it expired
    (it refused the call, so sending it again cannot do anything twice)."""
    try:
        return call(access_token(engine, client, shop, secret=secret, now=now))
    except TokenExpired:
        return call(access_token(engine, client, shop, secret=secret, now=now, force=True))
