"""Push messages (消息推送) from the 抖店 Open Platform: verify, parse, answer (DOMAIN.md §2a).

The platform POSTs a JSON array of ``{tag, msg_id, data}`` to the app's webhook, ``data`` being a
JSON string, with the headers ``app-id`` and ``event-sign`` = hex(md5(app_key + body + app_secret)).
The webhook answers :data:`SUCCESS_BODY` once it has taken the messages; tag ``"0"`` is a ping
the platform sends to check the webhook.

    messages = verify_push(app_key, app_secret, request.headers, request.body)
    for message in messages:
        aftersale_id = aftersale_id_of(message)
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SUCCESS_BODY = b'{"code":0,"msg":"success"}'
FAIL_BODY = b'{"code":1,"msg":"fail"}'  # what the public Go SDK's example answers on a bad push

TAG_PING = "0"
TAG_TRADE_LOGISTICS_CHANGED = "104"  # 发货物流信息变更: p_id, s_ids, logistics_msg
TAG_TRADE_MEMO_MODIFY = "113"  # 卖家添加备注: p_id, remark, star
TAG_REFUND_CREATED = "200"  # 买家发起售后申请
TAG_REFUND_AGREED = "201"  # 同意退款
TAG_REFUND_REFUSED = "204"  # 拒绝退款
TAG_REFUND_SUCCESS = "206"  # 退款成功
TAG_REFUND_CLOSED = "207"  # 售后关闭
TAG_REFUND_MODIFIED = "208"  # 买家修改售后申请
TAG_REFUND_EXPIRATION_CHANGE = "209"  # 售后超时时长变更: carries status_deadline

# The tags about one after-sale: their data names it in `aftersale_id`; every tag here and the
# order tags name the parent order in `p_id` (the public Go SDK's message structs).
AFTERSALE_TAGS = frozenset(
    {
        TAG_REFUND_CREATED,
        TAG_REFUND_AGREED,
        TAG_REFUND_REFUSED,
        TAG_REFUND_SUCCESS,
        TAG_REFUND_CLOSED,
        TAG_REFUND_MODIFIED,
        TAG_REFUND_EXPIRATION_CHANGE,
    }
)
AFTERSALE_ID_FIELD = "aftersale_id"
ORDER_ID_FIELD = "p_id"


class PushRejected(Exception):
    """A push that did not come from the platform for this app, or cannot be read."""


class PushWrongApp(PushRejected):
    """The ``app-id`` header is missing or names another app."""


class PushBadSignature(PushRejected):
    """The ``event-sign`` header is missing or does not match the body."""


class PushMalformed(PushRejected):
    """Signed correctly, but the body is not a list of ``{tag, msg_id, data}``."""


@dataclass(frozen=True)
class PushMessage:
    tag: str
    msg_id: str
    data: dict[str, Any] = field(default_factory=dict)


def push_signature(app_key: str, app_secret: str, body: bytes) -> str:
    """hex(md5(app_key + body + app_secret)), lowercase: over the body's bytes exactly as received."""
    return hashlib.md5(app_key.encode("utf-8") + body + app_secret.encode("utf-8")).hexdigest()


def verify_push(app_key: str, app_secret: str, headers: Mapping[str, str], body: bytes) -> list[PushMessage]:
    """The messages of a push, once its app id and signature are checked (in constant time)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    app_id = lowered.get("app-id", "")
    if not hmac.compare_digest(app_id.encode("utf-8"), app_key.encode("utf-8")):
        raise PushWrongApp("app-id")
    given = lowered.get("event-sign", "").strip().lower()
    if not hmac.compare_digest(given.encode("utf-8"), push_signature(app_key, app_secret, body).encode("utf-8")):
        raise PushBadSignature("event-sign")
    return parse_push(body)


def parse_push(body: bytes) -> list[PushMessage]:
    """The messages of a push body (not verified: see :func:`verify_push`)."""
    try:
        raw = json.loads(body)
    except ValueError:
        raise PushMalformed("body") from None
    if not isinstance(raw, list):
        raise PushMalformed("body")
    return [_message(entry) for entry in raw]


def _message(entry: object) -> PushMessage:
    if not isinstance(entry, dict) or "tag" not in entry:
        raise PushMalformed("message")
    data = entry.get("data")
    if isinstance(data, str):
        try:
            data = json.loads(data) if data.strip() else {}
        except ValueError:
            raise PushMalformed("data") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PushMalformed("data")
    return PushMessage(str(entry["tag"]), str(entry.get("msg_id") or ""), data)


def aftersale_id_of(message: PushMessage) -> str | None:
    """The after-sale a message is about, as an exact string; None for the order tags (104, 113)
    and the ping. The platform sends it as a JSON number (int64), which json reads exactly."""
    return _id(message.data.get(AFTERSALE_ID_FIELD))


def order_id_of(message: PushMessage) -> str | None:
    """The parent order (``p_id``) a message is about, as an exact string."""
    return _id(message.data.get(ORDER_ID_FIELD))


def _id(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if value > 0 else None
    text = value.strip() if isinstance(value, str) else ""
    if text.isascii() and text.isdigit():  # tolerate an id sent as a string
        return text
    return None  # a float has lost digits: never guess an id
