"""抖店 push messages: the fake platform POSTs signed pushes over real HTTP to a webhook that
verifies them with lanjie.clients.doudian_push."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from fakes.doudian import FakeDoudian, push_body
from lanjie.clients.doudian_push import (
    AFTERSALE_TAGS,
    FAIL_BODY,
    SUCCESS_BODY,
    TAG_PING,
    TAG_REFUND_CREATED,
    TAG_REFUND_EXPIRATION_CHANGE,
    TAG_TRADE_LOGISTICS_CHANGED,
    TAG_TRADE_MEMO_MODIFY,
    PushBadSignature,
    PushMalformed,
    PushMessage,
    PushRejected,
    PushWrongApp,
    aftersale_id_of,
    order_id_of,
    parse_push,
    push_signature,
    verify_push,
)

APP_KEY, APP_SECRET = "fake-app-key", "fake-app-secret-不要外传"


@dataclass
class Webhook:
    """A webhook as an app would run it: verify, keep the messages, answer success (or fail)."""

    app_key: str
    app_secret: str
    messages: list[PushMessage] = field(default_factory=list)
    rejections: list[PushRejected] = field(default_factory=list)
    url: str = ""

    def receive(self, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        try:
            self.messages.extend(verify_push(self.app_key, self.app_secret, headers, body))
        except PushRejected as rejected:
            self.rejections.append(rejected)
            return 401, FAIL_BODY
        return 200, SUCCESS_BODY


@pytest.fixture
def fake() -> Iterator[FakeDoudian]:
    with FakeDoudian(app_key=APP_KEY, app_secret=APP_SECRET) as running:
        running.seed_after_sales(3)
        yield running


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook(APP_KEY, APP_SECRET)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, answer = hook.receive(dict(self.headers.items()), body)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=lambda: server.serve_forever(poll_interval=0.02), daemon=True)
    thread.start()
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/doudian/push"
    yield hook
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_signed_push_is_verified_and_parsed(fake: FakeDoudian, webhook: Webhook) -> None:
    aftersale_id = next(iter(fake.after_sales))
    created = fake.after_sale_message(TAG_REFUND_CREATED, aftersale_id)
    answer = fake.push(webhook.url, [created, {"tag": TAG_PING, "data": {}}])
    assert answer.status_code == 200 and json.loads(answer.content) == {"code": 0, "msg": "success"}
    first, ping = webhook.messages
    assert (first.tag, first.msg_id) == ("200", created["msg_id"]) and first.data == created["data"]
    assert aftersale_id_of(first) == aftersale_id and len(aftersale_id) == 19  # exact, from a JSON int64
    assert order_id_of(first) == fake.after_sales[aftersale_id]["order_info"]["shop_order_id"]
    assert ping.tag == TAG_PING and aftersale_id_of(ping) is None and webhook.rejections == []


def test_a_push_with_a_bad_signature_is_rejected(fake: FakeDoudian, webhook: Webhook) -> None:
    message = fake.after_sale_message(TAG_REFUND_CREATED, next(iter(fake.after_sales)))
    answer = fake.push(webhook.url, [message], sign_ok=False)
    assert answer.status_code == 401 and answer.content == FAIL_BODY
    assert webhook.messages == [] and [type(r) for r in webhook.rejections] == [PushBadSignature]


def test_a_push_for_another_app_is_rejected(fake: FakeDoudian, webhook: Webhook) -> None:
    message = fake.after_sale_message(TAG_REFUND_CREATED, next(iter(fake.after_sales)))
    answer = fake.push(webhook.url, [message], app_id="another-app")
    assert answer.status_code == 401 and webhook.messages == []
    assert [type(r) for r in webhook.rejections] == [PushWrongApp]


# Verifying and parsing without HTTP


def signed(body: bytes) -> dict[str, str]:
    return {"App-Id": APP_KEY, "Event-Sign": push_signature(APP_KEY, APP_SECRET, body)}


def test_the_signature_is_md5_of_key_body_secret() -> None:
    body = b'[{"tag":"0","msg_id":"1","data":"{}"}]'
    by_hand = hashlib.md5(APP_KEY.encode() + body + APP_SECRET.encode()).hexdigest()
    assert push_signature(APP_KEY, APP_SECRET, body) == by_hand
    assert verify_push(APP_KEY, APP_SECRET, {"app-id": APP_KEY, "event-sign": by_hand.upper()}, body)[0].tag == "0"


def test_a_body_changed_after_signing_or_unsigned_is_rejected() -> None:
    body = push_body([{"tag": "206", "data": {"aftersale_id": 7301234567890123456}}])
    headers = signed(body)
    with pytest.raises(PushBadSignature):
        verify_push(APP_KEY, APP_SECRET, headers, body.replace(b"7301", b"7302"))
    with pytest.raises(PushBadSignature):
        verify_push(APP_KEY, APP_SECRET, {"app-id": APP_KEY}, body)
    with pytest.raises(PushWrongApp):
        verify_push(APP_KEY, APP_SECRET, {"event-sign": headers["Event-Sign"]}, body)
    with pytest.raises(PushBadSignature):
        verify_push(APP_KEY, "another-secret", headers, body)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"tag":"0"}',
        b'[{"msg_id":"1"}]',
        b'[{"tag":"200","data":"{broken"}]',
        b'[{"tag":"1","data":"[]"}]',
    ],
)
def test_a_signed_but_unreadable_body_is_malformed(body: bytes) -> None:
    with pytest.raises(PushMalformed):
        verify_push(APP_KEY, APP_SECRET, signed(body), body)


def test_where_each_tag_names_the_after_sale_and_the_order() -> None:
    refund = {"aftersale_id": 7301234567890123456, "p_id": 6920000000000000001, "s_id": 6920000000000000002}
    for tag in AFTERSALE_TAGS:
        assert aftersale_id_of(PushMessage(tag, "m", refund)) == "7301234567890123456"
    deadline = PushMessage(TAG_REFUND_EXPIRATION_CHANGE, "m", {**refund, "status_deadline": 1764400000})
    assert aftersale_id_of(deadline) == "7301234567890123456"
    logistics = {"p_id": 6920000000000000001, "s_ids": [6920000000000000002], "logistics_msg": {}}
    remark = {"p_id": 6920000000000000001, "remark": "已拦截", "star": 5}
    for tag, data in ((TAG_TRADE_LOGISTICS_CHANGED, logistics), (TAG_TRADE_MEMO_MODIFY, remark)):
        message = PushMessage(tag, "m", data)
        assert aftersale_id_of(message) is None and order_id_of(message) == "6920000000000000001"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("7301234567890123456", "7301234567890123456"), (7.301234567890124e18, None), (True, None), (0, None), ("", None)],
)
def test_an_id_is_taken_only_when_exact(value: object, expected: str | None) -> None:
    assert aftersale_id_of(PushMessage("200", "m", {"aftersale_id": value})) == expected


def test_data_sent_as_an_object_or_empty_is_tolerated() -> None:
    body = b'[{"tag":"0","msg_id":"a","data":""},{"tag":200,"msg_id":"b","data":{"aftersale_id":1}}]'
    ping, created = parse_push(body)
    assert ping == PushMessage("0", "a", {}) and created == PushMessage("200", "b", {"aftersale_id": 1})


def test_the_tags_and_the_answer() -> None:
    assert (TAG_PING, TAG_REFUND_CREATED, TAG_TRADE_LOGISTICS_CHANGED, TAG_TRADE_MEMO_MODIFY) == (
        "0",
        "200",
        "104",
        "113",
    )
    assert sorted(AFTERSALE_TAGS) == ["200", "201", "204", "206", "207", "208", "209"]
    assert json.loads(SUCCESS_BODY) == {"code": 0, "msg": "success"}
