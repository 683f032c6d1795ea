"""The 抖店 Open Platform client against a fake platform on a real local HTTP server (tests/fakes/doudian.py)."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from fakes.doudian import THROTTLE, FakeDoudian
from lanjie.clients.doudian import (
    EXPLANATIONS,
    BusinessFailed,
    DoudianClient,
    DoudianError,
    DoudianUnavailable,
    IpNotWhitelisted,
    NoPermission,
    SignatureInvalid,
    Throttled,
    Token,
    TokenExpired,
    canonical_param_json,
    error_class,
    method_of,
    sign,
)

AFTER_SALE: dict[str, Any] = {"aftersale_id": "7301234567890123456", "aftersale_type": 1, "remark": "买家说<没收到>&急"}


@pytest.fixture
def fake() -> Iterator[FakeDoudian]:
    with FakeDoudian(after_sales={AFTER_SALE["aftersale_id"]: AFTER_SALE}) as running:
        yield running


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def client_of(fake: FakeDoudian, sleeps: Sleeps, *, secret: str | None = None) -> DoudianClient:
    return DoudianClient(fake.app_key, secret or fake.app_secret, fake.url, clock=fake.clock, sleep=sleeps, timeout=5)


@pytest.fixture
def client(fake: FakeDoudian, sleeps: Sleeps) -> Iterator[DoudianClient]:
    with client_of(fake, sleeps) as running:
        yield running


# Signing


def test_signature_matches_the_documented_formula_by_hand() -> None:
    param_json = '{"after_sale_id":"7301","remark":"急<件>&"}'
    pattern = "app_key7152method" + "afterSale.Detail" + 'param_json{"after_sale_id":"7301","remark":"急<件>&"}'
    pattern += "timestamp1764300000v2"
    by_hand = hmac.new(b"s3cret", ("s3cret" + pattern + "s3cret").encode(), hashlib.sha256).hexdigest()
    assert sign("7152", "s3cret", "afterSale.Detail", param_json, "1764300000") == by_hand
    assert by_hand == by_hand.lower() and len(by_hand) == 64


def test_method_is_the_path_with_dots() -> None:
    assert method_of("afterSale/List") == "afterSale.List"
    assert method_of("/token/create") == "token.create"


def test_canonical_param_json_sorts_nested_keys_and_leaves_characters_unescaped() -> None:
    obj = {"z": 1, "a": {"y": [{"d": 2, "c": "中文<>&"}], "b": None}, "m": True}
    assert canonical_param_json(obj) == '{"a":{"b":null,"y":[{"c":"中文<>&","d":2}]},"m":true,"z":1}'
    assert canonical_param_json({}) == "{}"


def test_request_is_sent_as_documented(fake: FakeDoudian, client: DoudianClient) -> None:
    token = client.create_token_self(fake.shop_id)
    client.call("afterSale/Detail", {"after_sale_id": AFTER_SALE["aftersale_id"]}, token.access_token)
    create, detail = fake.received
    assert create.path == "token/create" and "access_token" not in create.query
    assert json.loads(create.body) == {"code": "", "grant_type": "authorization_self", "shop_id": fake.shop_id}
    assert detail.query["access_token"] == token.access_token
    assert detail.query["method"] == "afterSale.Detail" and detail.query["v"] == "2"
    assert detail.query["sign_method"] == "hmac-sha256" and detail.query["timestamp"] == str(int(fake.now))
    assert detail.body == canonical_param_json({"after_sale_id": AFTER_SALE["aftersale_id"]})
    assert detail.headers["x-open-no-old-err-code"] == "1"
    assert detail.headers["content-type"].startswith("application/json")


# Tokens and calls


def test_create_token_self_then_call(fake: FakeDoudian, client: DoudianClient) -> None:
    token = client.create_token_self(fake.shop_id)
    assert token.shop_id == str(fake.shop_id) and token.shop_name == fake.shop_name
    assert token.expires_at == datetime.fromtimestamp(fake.now + fake.token_lifetime, tz=UTC)
    assert token.expires_at.tzinfo is not None
    data = client.call("afterSale/Detail", {"after_sale_id": AFTER_SALE["aftersale_id"]}, token.access_token)
    assert data == {"process_info": {"after_sale_info": AFTER_SALE}}


def test_create_token_with_code_for_a_tool_app(fake: FakeDoudian, client: DoudianClient) -> None:
    fake.auth_codes.add("code-from-the-shop")
    token = client.create_token_code("code-from-the-shop")
    assert token.access_token in fake.access_tokens
    with pytest.raises(DoudianError) as used_twice:
        client.create_token_code("code-from-the-shop")
    assert "code-from-the-shop" not in str(used_twice.value)


def test_create_token_self_for_another_shop_is_no_permission(fake: FakeDoudian, client: DoudianClient) -> None:
    with pytest.raises(NoPermission):
        client.create_token_self(fake.shop_id + 1)


def test_refresh_gives_a_new_token_and_the_old_refresh_token_stops_working(
    fake: FakeDoudian, client: DoudianClient
) -> None:
    first = client.create_token_self(fake.shop_id)
    fake.advance(fake.token_lifetime + 60)
    second = client.refresh_token(first.refresh_token)
    assert second.access_token != first.access_token
    assert second.expires_at == datetime.fromtimestamp(fake.now + fake.token_lifetime, tz=UTC)
    client.call("afterSale/Detail", {"after_sale_id": AFTER_SALE["aftersale_id"]}, second.access_token)
    with pytest.raises(TokenExpired) as reused:
        client.refresh_token(first.refresh_token)
    assert first.refresh_token not in str(reused.value)


def test_expired_access_token_is_token_expired(fake: FakeDoudian, client: DoudianClient) -> None:
    token = client.create_token_self(fake.shop_id)
    fake.advance(fake.token_lifetime)
    with pytest.raises(TokenExpired) as expired:
        client.call("afterSale/Detail", {"after_sale_id": AFTER_SALE["aftersale_id"]}, token.access_token)
    assert token.expired(datetime.fromtimestamp(fake.now, tz=UTC))
    assert expired.value.code == 40003 and expired.value.sub_code == "isv.access-token-expired"
    assert "***" in expired.value.sub_msg and token.access_token not in str(expired.value)
    assert expired.value.log_id
    assert "重新授权" in expired.value.explain()


def test_unknown_after_sale_is_business_failed(fake: FakeDoudian, client: DoudianClient) -> None:
    token = client.create_token_self(fake.shop_id)
    with pytest.raises(BusinessFailed) as failed:
        client.call("afterSale/Detail", {"after_sale_id": "1"}, token.access_token)
    assert failed.value.sub_code == "isv.business-failed:11001"
    assert "后台" in failed.value.explain()


def test_a_call_without_access_token_is_refused_before_sending(fake: FakeDoudian, client: DoudianClient) -> None:
    with pytest.raises(ValueError):
        client.call("afterSale/Detail", {"after_sale_id": "1"})
    assert fake.received == []


# Platform errors


def test_tampered_secret_is_signature_invalid(fake: FakeDoudian, sleeps: Sleeps) -> None:
    with client_of(fake, sleeps, secret="not-the-secret") as wrong, pytest.raises(SignatureInvalid) as invalid:
        wrong.create_token_self(fake.shop_id)
    assert invalid.value.code == 40003 and invalid.value.sub_code == "isv.signature-invalid"
    assert "App Secret" in invalid.value.explain()


def test_clock_more_than_ten_minutes_off_is_refused(fake: FakeDoudian) -> None:
    late = DoudianClient(fake.app_key, fake.app_secret, fake.url, clock=lambda: fake.now - 601)
    with late, pytest.raises(DoudianError):
        late.create_token_self(fake.shop_id)
    with DoudianClient(fake.app_key, fake.app_secret, fake.url, clock=lambda: fake.now + 599) as early:
        early.create_token_self(fake.shop_id)


def test_ip_not_whitelisted(fake: FakeDoudian, client: DoudianClient) -> None:
    fake.ip_whitelisted = False
    with pytest.raises(IpNotWhitelisted) as refused:
        client.create_token_self(fake.shop_id)
    assert refused.value.code == 30002 and "白名单" in refused.value.explain()


def test_throttling_is_retried_with_backoff_then_succeeds(
    fake: FakeDoudian, client: DoudianClient, sleeps: Sleeps
) -> None:
    fake.throttle_next = 2
    token = client.create_token_self(fake.shop_id)  # not safe to repeat, but a throttled call did nothing
    assert token.access_token in fake.access_tokens
    assert sleeps == [0.5, 1.0]
    assert len(fake.received) == 3


def test_throttling_gives_up_after_the_retries(fake: FakeDoudian, client: DoudianClient, sleeps: Sleeps) -> None:
    fake.throttle_next = 10
    with pytest.raises(Throttled) as throttled:
        client.create_token_self(fake.shop_id)
    assert throttled.value.code == THROTTLE[0]
    assert sleeps == [0.5, 1.0, 2.0]
    assert len(fake.received) == 4
    assert "频繁" in throttled.value.explain()


# Network errors


def test_network_error_on_a_safe_call_is_retried(fake: FakeDoudian, client: DoudianClient, sleeps: Sleeps) -> None:
    token = client.create_token_self(fake.shop_id)
    fake.drop_next = 2
    params = {"after_sale_id": AFTER_SALE["aftersale_id"]}
    assert client.call("afterSale/Detail", params, token.access_token, safe=True)["process_info"]
    assert [r.path for r in fake.received] == ["token/create"] + ["afterSale/Detail"] * 3
    assert sleeps == [0.5, 1.0]


def test_network_error_on_an_unsafe_call_is_not_retried(
    fake: FakeDoudian, client: DoudianClient, sleeps: Sleeps
) -> None:
    token = client.create_token_self(fake.shop_id)
    fake.drop_next = 1
    with pytest.raises(DoudianUnavailable):
        client.call("afterSale/Detail", {"after_sale_id": AFTER_SALE["aftersale_id"]}, token.access_token)
    assert len(fake.received) == 2 and sleeps == []


def test_network_error_on_token_create_is_not_retried(fake: FakeDoudian, client: DoudianClient, sleeps: Sleeps) -> None:
    fake.drop_next = 1
    with pytest.raises(DoudianUnavailable) as unavailable:
        client.create_token_self(fake.shop_id)
    assert len(fake.received) == 1 and sleeps == []
    assert "稍后再试" in unavailable.value.explain()


def test_unreachable_platform_gives_up_after_the_retries(sleeps: Sleeps) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    app_secret, access_token = "app-secret-" + "x" * 8, "access-token-" + "y" * 8  # not in the traceback's source
    client = DoudianClient("key", app_secret, f"http://127.0.0.1:{port}", sleep=sleeps)
    with client, pytest.raises(DoudianUnavailable) as unavailable:
        client.call("afterSale/Detail", {"after_sale_id": "1"}, access_token, safe=True)
    assert sleeps == [0.5, 1.0, 2.0]
    text = "".join(traceback.format_exception(unavailable.value))
    assert app_secret not in text and access_token not in text


# Secrets


def test_secrets_never_in_repr_str_or_error_text(fake: FakeDoudian, client: DoudianClient, sleeps: Sleeps) -> None:
    token = client.create_token_self(fake.shop_id)
    tampered = "tampered-" + "z" * 8
    secrets = [fake.app_secret, token.access_token, token.refresh_token, tampered]
    texts = [repr(client), str(client), repr(token), str(token)]
    fake.advance(fake.token_lifetime)
    errors: list[DoudianError] = []
    with pytest.raises(TokenExpired) as expired:
        client.call("afterSale/Detail", {"after_sale_id": "1"}, token.access_token)
    errors.append(expired.value)
    with client_of(fake, sleeps, secret=tampered) as wrong, pytest.raises(SignatureInvalid) as invalid:
        wrong.refresh_token(token.refresh_token)
    errors.append(invalid.value)
    fake.drop_next = 1
    with pytest.raises(DoudianUnavailable) as unavailable:
        client.refresh_token(token.refresh_token)
    errors.append(unavailable.value)
    for error in errors:
        texts += [str(error), repr(error), error.explain(), "".join(traceback.format_exception(error))]
    texts.append(repr(wrong))
    for text in texts:
        for secret in secrets:
            assert secret not in text


def test_token_is_frozen_and_its_repr_shows_the_shop() -> None:
    token = Token("acc-xyz", "ref-xyz", datetime(2026, 12, 1, tzinfo=UTC), "4463798", "蓝杰测试小店")
    assert "4463798" in repr(token) and "acc-xyz" not in repr(token) and "ref-xyz" not in repr(token)
    with pytest.raises(AttributeError):
        token.access_token = "other"  # type: ignore[misc]


def test_every_error_has_a_chinese_explanation() -> None:
    for cls in (DoudianError, DoudianUnavailable, TokenExpired, SignatureInvalid, IpNotWhitelisted, NoPermission):
        assert cls.__name__ in EXPLANATIONS
    for cls in (BusinessFailed, Throttled):
        assert cls(0).explain() == EXPLANATIONS[cls.__name__]


@pytest.mark.parametrize(
    ("code", "sub_code", "expected"),
    [
        (40003, "isv.access-token-expired", TokenExpired),
        (40003, "isv.signature-invalid", SignatureInvalid),
        (30002, "isv.invalid_ip", IpNotWhitelisted),
        (30001, "isv.permission-denied", NoPermission),
        (50002, "isv.business-failed:11001", BusinessFailed),
        (50002, "isv.business-failed:remark-length-limit", BusinessFailed),  # never retried as throttling
        (THROTTLE[0], THROTTLE[1], Throttled),
        (40004, "isv.parameter-invalid:timestamp", DoudianError),
    ],
)
def test_errors_are_chosen_by_code_and_sub_code(code: int, sub_code: str, expected: type[DoudianError]) -> None:
    assert error_class(code, sub_code) is expected
