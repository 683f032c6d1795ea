"""The 抖店 Open Platform client against a fake platform on a real local HTTP server (tests/fakes/doudian.py)."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import socket
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from fakes.doudian import (
    REMARK_TOO_LONG,
    SERVICE_ERROR,
    STALE_VERSION,
    THROTTLE,
    WINDOW_EXCEEDED,
    FakeDoudian,
    Received,
    Remark,
    make_after_sales,
)
from lanjie.clients.doudian import (
    BusinessFailed,
    DoudianClient,
    DoudianError,
    DoudianUnavailable,
    InterceptAnswer,
    IpNotWhitelisted,
    ListWindowExceeded,
    NoPermission,
    RemarkTooLong,
    SignatureInvalid,
    Throttled,
    Token,
    TokenExpired,
    canonical_param_json,
    error_class,
    method_of,
    sign,
)
from lanjie.i18n import MESSAGES, t

[AFTER_SALE] = make_after_sales(1, now=int(FakeDoudian.now), seed=1)
AFTER_SALE["text_part"]["reason_text"] = "买家说<没收到>&急"  # travels back unescaped
AFTER_SALE_ID: str = AFTER_SALE["aftersale_info"]["aftersale_id"]
ERRORS: tuple[type[DoudianError], ...] = (
    DoudianError,
    DoudianUnavailable,
    TokenExpired,
    SignatureInvalid,
    IpNotWhitelisted,
    NoPermission,
    BusinessFailed,
    Throttled,
)


@pytest.fixture
def fake() -> Iterator[FakeDoudian]:
    with FakeDoudian(after_sales={AFTER_SALE_ID: copy.deepcopy(AFTER_SALE)}) as running:
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
    client.call("afterSale/Detail", {"after_sale_id": AFTER_SALE_ID}, token.access_token)
    create, detail = fake.received
    assert create.path == "token/create" and "access_token" not in create.query
    assert json.loads(create.body) == {"grant_type": "authorization_self", "shop_id": str(fake.shop_id)}
    assert detail.query["access_token"] == token.access_token
    assert detail.query["method"] == "afterSale.Detail" and detail.query["v"] == "2"
    assert detail.query["sign_method"] == "hmac-sha256" and detail.query["timestamp"] == str(int(fake.now))
    assert detail.body == canonical_param_json({"after_sale_id": AFTER_SALE_ID})
    assert detail.headers["x-open-no-old-err-code"] == "1"
    assert detail.headers["content-type"].startswith("application/json")


# Tokens and calls


def test_create_token_self_then_call(fake: FakeDoudian, client: DoudianClient) -> None:
    token = client.create_token_self(fake.shop_id)
    assert token.shop_id == str(fake.shop_id) and token.shop_name == fake.shop_name
    assert token.expires_at == datetime.fromtimestamp(fake.now + fake.token_lifetime, tz=UTC)
    assert token.expires_at.tzinfo is not None
    data = client.call("afterSale/Detail", {"after_sale_id": AFTER_SALE_ID}, token.access_token)
    assert data["process_info"]["after_sale_info"]["after_sale_id"] == int(AFTER_SALE_ID)
    assert data["process_info"]["after_sale_info"]["reason"] == "买家说<没收到>&急"


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
    client.call("afterSale/Detail", {"after_sale_id": AFTER_SALE_ID}, second.access_token)
    with pytest.raises(TokenExpired) as reused:
        client.refresh_token(first.refresh_token)
    assert first.refresh_token not in str(reused.value)


def test_expired_access_token_is_token_expired(fake: FakeDoudian, client: DoudianClient) -> None:
    token = client.create_token_self(fake.shop_id)
    fake.advance(fake.token_lifetime)
    with pytest.raises(TokenExpired) as expired:
        client.call("afterSale/Detail", {"after_sale_id": AFTER_SALE_ID}, token.access_token)
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
    params = {"after_sale_id": AFTER_SALE_ID}
    assert client.call("afterSale/Detail", params, token.access_token, safe=True)["process_info"]
    assert [r.path for r in fake.received] == ["token/create"] + ["afterSale/Detail"] * 3
    assert sleeps == [0.5, 1.0]


def test_network_error_on_an_unsafe_call_is_not_retried(
    fake: FakeDoudian, client: DoudianClient, sleeps: Sleeps
) -> None:
    token = client.create_token_self(fake.shop_id)
    fake.drop_next = 1
    with pytest.raises(DoudianUnavailable):
        client.call("afterSale/Detail", {"after_sale_id": AFTER_SALE_ID}, token.access_token)
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


@pytest.mark.parametrize("cls", ERRORS)
def test_every_error_is_explained_in_chinese_and_english(cls: type[DoudianError]) -> None:
    assert cls.explanation in MESSAGES
    error = cls(0)
    assert error.explain() == error.explain("zh") == t(cls.explanation, "zh")
    assert error.explain("en") == t(cls.explanation, "en") != error.explain("zh")
    assert len({c.explanation for c in ERRORS}) == len(ERRORS)  # each class says its own thing


def test_client_side_errors_are_explained_with_their_numbers() -> None:
    too_long = RemarkTooLong(61)
    assert "60" in too_long.explain() and "61" in too_long.explain("en")
    assert isinstance(too_long, ValueError) and isinstance(too_long, DoudianError)
    window = ListWindowExceeded(total=73_000, reachable=50_000)
    assert "73000" in window.explain("en") and "50000" in window.explain()


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


# The after-sales methods


@pytest.fixture
def token(fake: FakeDoudian, client: DoudianClient) -> str:
    access = client.create_token_self(fake.shop_id).access_token
    fake.received.clear()
    return access


def sent(fake: FakeDoudian, path: str) -> list[Received]:
    return [r for r in fake.received if r.path == path]


def ids_of(pages: list[Any]) -> list[str]:
    return [item["aftersale_info"]["aftersale_id"] for page in pages for item in page.items]


def test_list_pages_through_thousands_nearest_deadline_first(
    fake: FakeDoudian, client: DoudianClient, token: str
) -> None:
    fake.seed_after_sales(2_999)
    pages = list(client.list_after_sales(token))
    assert [p.page for p in pages] == list(range(30))
    assert [p.has_more for p in pages] == [True] * 29 + [False]
    assert {p.total for p in pages} == {3_000} and len(pages[-1].items) == 100
    ids = ids_of(pages)
    assert len(ids) == len(set(ids)) == 3_000 and set(ids) == set(fake.after_sales)
    deadlines = [item["aftersale_info"]["status_deadline"] for page in pages for item in page.items]
    assert deadlines == sorted(deadlines)
    bodies = [json.loads(r.body) for r in sent(fake, "afterSale/List")]
    assert bodies == [{"order_by": ["status_deadline asc"], "page": n, "size": 100} for n in range(30)]


def test_list_items_look_like_the_documented_ones(fake: FakeDoudian, client: DoudianClient, token: str) -> None:
    fake.seed_after_sales(300)
    items = [item for page in client.list_after_sales(token) for item in page.items]
    codes = {p["company_code"] for i in items for p in i["aftersale_info"]["order_logistics"]}
    assert codes == {"zhongtong", "yuantong", "shunfeng", "yunda", "jtexpress"}
    for item in items:
        info = item["aftersale_info"]
        assert len(info["aftersale_id"]) == 19 and len(item["order_info"]["shop_order_id"]) == 19
        assert fake.now < info["status_deadline"] <= fake.now + 5 * 86400 and info["update_time"] <= fake.now
        assert set(item) == {"aftersale_info", "order_info", "text_part", "seller_logs"}
        assert item["order_info"]["related_order_info"][0]["sku_order_id"] == info["related_id"]
        assert (info["order_logistics"] == []) == (info["aftersale_type"] == 2)


def test_list_sends_the_filters_as_the_sdk_names_them(fake: FakeDoudian, client: DoudianClient, token: str) -> None:
    fake.seed_after_sales(1_000)
    start, end = int(fake.now) - 2 * 86400, int(fake.now) - 86400
    pages = list(client.list_after_sales(token, update_start=start, update_end=end, aftersale_type=1, statuses=[6, 12]))
    assert json.loads(sent(fake, "afterSale/List")[0].body) == {
        "aftersale_type": 1,
        "order_by": ["status_deadline asc"],
        "page": 0,
        "size": 100,
        "standard_aftersale_status": [6, 12],
        "update_end_time": end,
        "update_start_time": start,
    }
    infos = [item["aftersale_info"] for page in pages for item in page.items]
    expected = [
        i
        for i in (item["aftersale_info"] for item in fake.after_sales.values())
        if i["aftersale_type"] == 1 and i["aftersale_status"] in (6, 12) and start <= i["update_time"] <= end
    ]
    assert 0 < len(infos) == len(expected) == pages[0].total


def test_list_refuses_what_it_cannot_send(fake: FakeDoudian, client: DoudianClient, token: str) -> None:
    wrongs: list[dict[str, Any]] = [{"aftersale_type": 0}, {"page_size": 101}, {"page_size": 0}]
    for wrong in wrongs:
        with pytest.raises(ValueError):
            next(client.list_after_sales(token, **wrong))
    assert fake.received == []


def test_list_stops_before_passing_the_page_window(fake: FakeDoudian, sleeps: Sleeps) -> None:
    fake.list_window = 300
    fake.seed_after_sales(499)  # and the fixture's one
    with DoudianClient(fake.app_key, fake.app_secret, fake.url, clock=fake.clock, list_window=300) as client:
        token = client.create_token_self(fake.shop_id).access_token
        pages: list[Any] = []
        with pytest.raises(ListWindowExceeded) as exceeded:
            pages.extend(client.list_after_sales(token))
        assert [p.page for p in pages] == [0, 1, 2] and len(sent(fake, "afterSale/List")) == 3
        assert (exceeded.value.total, exceeded.value.reachable) == (500, 300)
        assert "更新时间" in exceeded.value.explain()
        with pytest.raises(DoudianError) as refused:  # the fake enforces the documented cap itself
            client.call("afterSale/List", {"page": 4, "size": 100}, token)
        assert refused.value.sub_code == WINDOW_EXCEEDED[1]


def test_token_expiring_mid_run_surfaces_and_the_caller_refreshes_and_goes_on(
    fake: FakeDoudian, client: DoudianClient
) -> None:
    fake.seed_after_sales(999)  # and the fixture's one
    first = client.create_token_self(fake.shop_id)
    pages: list[Any] = []
    with pytest.raises(TokenExpired):
        for page in client.list_after_sales(first.access_token):
            pages.append(page)
            if page.page == 3:
                fake.advance(fake.token_lifetime)  # the token dies between two pages
    assert [p.page for p in pages] == [0, 1, 2, 3]
    second = client.refresh_token(first.refresh_token)
    pages.extend(client.list_after_sales(second.access_token, start_page=pages[-1].page + 1))
    assert [p.page for p in pages] == list(range(10))
    assert sorted(ids_of(pages)) == sorted(fake.after_sales)


def test_a_failing_page_ends_the_run_and_the_rest_can_be_fetched(
    fake: FakeDoudian, client: DoudianClient, token: str, sleeps: Sleeps
) -> None:
    fake.seed_after_sales(450)
    fake.fail_page(2)
    pages: list[Any] = []
    with pytest.raises(DoudianError) as failed:
        pages.extend(client.list_after_sales(token))
    assert failed.value.code == SERVICE_ERROR[0] and type(failed.value) is DoudianError
    assert [p.page for p in pages] == [0, 1] and sleeps == []  # an error answer is not a network error
    pages.extend(client.list_after_sales(token, start_page=2))
    assert sorted(ids_of(pages)) == sorted(fake.after_sales)


def test_list_is_a_read_retried_after_a_dropped_connection(
    fake: FakeDoudian, client: DoudianClient, token: str, sleeps: Sleeps
) -> None:
    fake.seed_after_sales(150)
    pages = []
    for page in client.list_after_sales(token):
        pages.append(page)
        fake.drop_next = 1
    assert len(pages) == 2 and sleeps == [0.5]
    assert [json.loads(r.body)["page"] for r in sent(fake, "afterSale/List")] == [0, 1, 1]


def test_after_sale_detail(fake: FakeDoudian, client: DoudianClient, token: str) -> None:
    data = client.after_sale_detail(token, AFTER_SALE_ID)
    info = data["process_info"]["after_sale_info"]
    assert info["after_sale_id"] == int(AFTER_SALE_ID)
    assert info["update_time"] == AFTER_SALE["aftersale_info"]["update_time"]
    assert data["order_info"]["shop_order_id"] == int(AFTER_SALE["order_info"]["shop_order_id"])
    assert json.loads(sent(fake, "afterSale/Detail")[0].body) == {"after_sale_id": AFTER_SALE_ID}
    with_records = client.after_sale_detail(token, AFTER_SALE_ID, need_operation_record=True)
    assert with_records["process_info"]["record_logs_list"] == []
    assert json.loads(sent(fake, "afterSale/Detail")[1].body) == {
        "after_sale_id": AFTER_SALE_ID,
        "need_operation_record": True,
    }
    with pytest.raises(BusinessFailed):
        client.after_sale_detail(token, "7300000000000000001")


# order/addOrderRemark


ORDER_ID: str = AFTER_SALE["order_info"]["shop_order_id"]


def test_add_order_remark_with_a_flag(fake: FakeDoudian, client: DoudianClient, token: str) -> None:
    client.add_order_remark(token, ORDER_ID, "中通已拦截 11-26 小王", star=5)
    assert json.loads(sent(fake, "order/addOrderRemark")[0].body) == {
        "is_add_star": "true",
        "order_id": ORDER_ID,
        "remark": "中通已拦截 11-26 小王",
        "star": "5",
    }
    assert fake.remarks[ORDER_ID] == Remark("中通已拦截 11-26 小王", 5) and fake.remark_calls[ORDER_ID] == 1
    item = fake.after_sales[AFTER_SALE_ID]
    assert item["order_info"]["order_flag"] == 5 and item["seller_logs"][-1]["content"] == "中通已拦截 11-26 小王"


def test_add_order_remark_without_a_flag(fake: FakeDoudian, client: DoudianClient, token: str) -> None:
    client.add_order_remark(token, ORDER_ID, "x" * 60)
    client.add_order_remark(token, ORDER_ID, "再次备注")
    assert json.loads(sent(fake, "order/addOrderRemark")[0].body) == {
        "is_add_star": "false",
        "order_id": ORDER_ID,
        "remark": "x" * 60,
    }
    assert fake.remarks[ORDER_ID] == Remark("再次备注", None) and fake.remark_calls[ORDER_ID] == 2


@pytest.mark.parametrize("remark", ["拦" * 61, "x" * 59 + "📦"])  # an emoji counts two, as UTF-16 does
def test_a_remark_too_long_is_refused_before_anything_is_sent(
    fake: FakeDoudian, client: DoudianClient, token: str, remark: str
) -> None:
    with pytest.raises(RemarkTooLong) as too_long:
        client.add_order_remark(token, ORDER_ID, remark, star=3)
    assert too_long.value.length == 61 and fake.received == [] and fake.remark_calls == {}


def test_the_fake_checks_the_remark_length_too(fake: FakeDoudian, client: DoudianClient, token: str) -> None:
    params = {"order_id": ORDER_ID, "remark": "拦" * 61, "is_add_star": "false"}
    with pytest.raises(BusinessFailed) as refused:
        client.call("order/addOrderRemark", params, token)
    assert refused.value.sub_code == REMARK_TOO_LONG[1] and fake.remark_calls == {}


def test_add_order_remark_refuses_a_bad_star_and_is_not_retried(
    fake: FakeDoudian, client: DoudianClient, token: str, sleeps: Sleeps
) -> None:
    with pytest.raises(ValueError):
        client.add_order_remark(token, ORDER_ID, "备注", star=6)
    fake.drop_next = 1
    with pytest.raises(DoudianUnavailable):
        client.add_order_remark(token, ORDER_ID, "备注")
    assert len(fake.received) == 1 and sleeps == [] and fake.remark_calls == {}


# afterSale/applyLogisticsIntercept


def shipped_after_sale(fake: FakeDoudian) -> tuple[str, list[tuple[str, str]]]:
    """A seeded after-sale with two parcels (a split shipment)."""
    for item in fake.seed_after_sales(60, seed=3):
        parcels = item["aftersale_info"]["order_logistics"]
        if len(parcels) == 2:
            return item["aftersale_info"]["aftersale_id"], [(p["company_code"], p["tracking_no"]) for p in parcels]
    raise AssertionError("no split shipment among the seeded after-sales")


def test_intercept_success(fake: FakeDoudian, client: DoudianClient, token: str) -> None:
    aftersale_id, parcels = shipped_after_sale(fake)
    fake.set_intercept(parcels[0][1], cost=450)
    answer = client.apply_logistics_intercept(token, aftersale_id, parcels[:1])
    assert isinstance(answer, InterceptAnswer) and (answer.success_count, answer.failed_count) == (1, 0)
    [result] = answer.results
    assert (result.company_code, result.tracking_no) == parcels[0]
    assert result.can_intercept and result.is_success and result.intercept_cost == 450
    assert result.unavailable_reason == "" and result.company_name
    assert json.loads(sent(fake, "afterSale/applyLogisticsIntercept")[0].body) == {
        "after_sale_id": int(aftersale_id),
        "intercept_targets": [{"company_code": parcels[0][0], "tracking_no": parcels[0][1]}],
        "op_from": 1,
    }
    assert fake.intercepted == [(aftersale_id, parcels[0][1])]
    parcel = fake.after_sales[aftersale_id]["aftersale_info"]["order_logistics"][0]
    assert parcel["logistics_state"] == 3  # 快递退回中（含快递拦截成功）


def test_intercept_refused_per_parcel(fake: FakeDoudian, client: DoudianClient, token: str) -> None:
    aftersale_id, parcels = shipped_after_sale(fake)
    fake.set_intercept(parcels[1][1], "refused", "已签收，无法拦截")
    answer = client.apply_logistics_intercept(token, aftersale_id, parcels, op_from=3)
    assert (answer.success_count, answer.failed_count) == (1, 1)
    ok_one, refused = answer.results
    assert ok_one.is_success and not refused.is_success and not refused.can_intercept
    assert refused.unavailable_reason == answer.unavailable_reason == "已签收，无法拦截"
    assert refused.unavailable_reason_code == answer.unavailable_reason_code != 0
    assert refused.intercept_cost == 0
    assert json.loads(sent(fake, "afterSale/applyLogisticsIntercept")[0].body)["op_from"] == 3


def test_intercept_not_supported_and_not_twice(fake: FakeDoudian, client: DoudianClient, token: str) -> None:
    aftersale_id, parcels = shipped_after_sale(fake)
    fake.set_intercept(parcels[0][1], "unsupported")
    [unsupported] = client.apply_logistics_intercept(token, aftersale_id, parcels[:1]).results
    assert not unsupported.can_intercept and unsupported.unavailable_reason == "该快递公司暂不支持拦截"
    client.apply_logistics_intercept(token, aftersale_id, parcels[1:])
    [again] = client.apply_logistics_intercept(token, aftersale_id, parcels[1:]).results
    assert not again.is_success and "重复" in again.unavailable_reason
    with pytest.raises(ValueError):
        client.apply_logistics_intercept(token, aftersale_id, [])


# afterSale/operate 201


def pending_refund(fake: FakeDoudian) -> dict[str, Any]:
    """A seeded 仅退款 waiting for the merchant (状态 6)."""
    for item in fake.seed_after_sales(40, seed=5):
        info: dict[str, Any] = item["aftersale_info"]
        if info["aftersale_status"] == 6 and info["aftersale_type"] in (1, 2):
            return info
    raise AssertionError("no pending refund among the seeded after-sales")


def test_agree_refund_with_the_current_version(fake: FakeDoudian, client: DoudianClient, token: str) -> None:
    info = pending_refund(fake)
    version = info["update_time"]
    fake.advance(60)
    client.agree_refund(token, info["aftersale_id"], update_time=version)
    assert json.loads(sent(fake, "afterSale/operate")[0].body) == {
        "items": [{"aftersale_id": info["aftersale_id"], "update_time": version}],
        "type": 201,
    }
    detail = client.after_sale_detail(token, info["aftersale_id"])["process_info"]["after_sale_info"]
    assert detail["after_sale_status"] == 12 and detail["update_time"] > version
    assert fake.operations == [(201, info["aftersale_id"])]


def test_agree_refund_with_a_stale_version_is_business_failed(
    fake: FakeDoudian, client: DoudianClient, token: str
) -> None:
    info = pending_refund(fake)
    version = info["update_time"]
    fake.advance(60)
    fake.change_after_sale(info["aftersale_id"])  # the buyer edits it after it was read
    with pytest.raises(BusinessFailed) as stale:
        client.agree_refund(token, info["aftersale_id"], update_time=version)
    assert stale.value.sub_code == STALE_VERSION[1] and "后台" in stale.value.explain()
    assert info["aftersale_status"] == 6 and fake.operations == []
    client.agree_refund(token, info["aftersale_id"])  # without a version the platform does not check
    assert info["aftersale_status"] == 12
    assert json.loads(sent(fake, "afterSale/operate")[-1].body) == {
        "items": [{"aftersale_id": info["aftersale_id"]}],
        "type": 201,
    }


def test_agree_refund_is_not_retried_after_a_network_error(
    fake: FakeDoudian, client: DoudianClient, token: str, sleeps: Sleeps
) -> None:
    info = pending_refund(fake)
    fake.drop_next = 1
    with pytest.raises(DoudianUnavailable):
        client.agree_refund(token, info["aftersale_id"])
    assert len(sent(fake, "afterSale/operate")) == 1 and sleeps == [] and fake.operations == []
