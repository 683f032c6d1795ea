"""A shop's authorisation, sealed before it is stored: the ledger never holds a token in clear.

The key comes from the server's secret (LANJIE_SECRET_KEY, else the one made per machine), so
every server of a team must share LANJIE_SECRET_KEY to use the shops another server connected.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken

from lanjie.clients.doudian import Token


class TokenUnreadable(Exception):
    """The stored authorisation was sealed with another secret (or is damaged)."""


def _fernet(secret: str) -> Fernet:
    key = hashlib.sha256(b"lanjie shop tokens\0" + secret.encode("utf-8")).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(token: Token, secret: str) -> str:
    plain = {
        "access_token": token.access_token,
        "refresh_token": token.refresh_token,
        "expires_at": token.expires_at.isoformat(),
        "shop_id": token.shop_id,
        "shop_name": token.shop_name,
    }
    return _fernet(secret).encrypt(json.dumps(plain).encode("utf-8")).decode("ascii")


def unseal(sealed: str, secret: str) -> Token:
    try:
        plain = json.loads(_fernet(secret).decrypt(sealed.encode("ascii")))
    except (InvalidToken, ValueError) as error:
        raise TokenUnreadable from error
    return Token(
        access_token=plain["access_token"],
        refresh_token=plain["refresh_token"],
        expires_at=datetime.fromisoformat(plain["expires_at"]),
        shop_id=plain["shop_id"],
        shop_name=plain["shop_name"],
    )
