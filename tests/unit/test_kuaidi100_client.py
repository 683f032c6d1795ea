"""The 快递100 client against a fake 快递100 on a real local HTTP server (tests/fakes/kuaidi100.py)."""

from __future__ import annotations

import hashlib
import json
import socket
import traceback
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from fakes.kuaidi100 import LOCK_SECONDS, CallbackReceiver, FakeKuaidi100, callback_form
from lanjie.clients.kuaidi100 import (
    CALLBACK_OK,
    CALLBACK_REJECTED,
    ERRORS,
    MIN_QUERY_INTERVAL,
    AccountProblem,
    BadParameters,
    BadSignature,
    CallbackInvalid,
    InterceptOutcome,
    InterceptRefused,
    InterceptStatus,
    InterceptType,
    InterceptUncertain,
    Kuaidi100Client,
    Kuaidi100Error,
    Kuaidi100Unavailable,
    NoResultYet,
    PhoneRequired,
    QueryLocked,
    Recipient,
    Tracking,
    callback_sign,
    intercept_sign,
    logistics_of,
    parse_callback,
    query_error_class,
    query_sign,
)
from lanjie.i18n import MESSAGES, t
from lanjie.model import SHANGHAI, LogisticsState

YT = "YT8962646785389"
SF = "SF1385628716739"
ZT = "73610555582883"
ROUTE = [
    ("2026-05-18 06:10:00", "【杭州转运中心】已发出，下一站【上海】"),
    ("2026-05-17 21:35:28", "【杭州余杭】已揽收"),
]
SALT = "salt-只有蓝杰知道-" + "q" * 6


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def fake() -> Iterator[FakeKuaidi100]:
    with FakeKuaidi100() as running:
        running.track(YT, "yuantong", "0", ROUTE)
        running.track(SF, "shunfeng", "5", ROUTE, phone="13812345678")
        running.track(ZT, "zhongtong", "1", ROUTE, phone="13900001111")
        yield running


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def client_of(fake: FakeKuaidi100, sleeps: Sleeps, **overrides: str) -> Kuaidi100Client:
    settings = {"customer": fake.customer, "key": fake.key, "secret": fake.secret} | overrides
    return Kuaidi100Client(
        settings["customer"],
        settings["key"],
        secret=settings["secret"],
        base_url=fake.url,
        intercept_base_url=fake.url,
        clock=fake.clock,
        sleep=sleeps,
        timeout=5,
    )


@pytest.fixture
def client(fake: FakeKuaidi100, sleeps: Sleeps) -> Iterator[Kuaidi100Client]:
    with client_of(fake, sleeps) as running:
        yield running


def md5_upper(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest().upper()


# Signatures


def test_the_three_signatures_follow_the_documented_formulas() -> None:
    param = '{"com":"yuantong","num":"YT1","resultv2":"1"}'
    assert query_sign(param, "k3y", "CUST") == md5_upper(param + "k3y" + "CUST")
    assert intercept_sign(param, "1779066000000", "k3y", "s3c") == md5_upper(param + "1779066000000k3ys3c")
    assert callback_sign(param, "pepper") == md5_upper(param + "pepper")
    assert len(query_sign(param, "k", "c")) == 32 and query_sign(param, "k", "c").isupper()


# The query


def test_query_is_sent_as_documented(fake: FakeKuaidi100, client: Kuaidi100Client) -> None:
    client.query("YuanTong ", f" {YT}")
    [(path, form)] = fake.received
    assert path == "/poll/query.do" and set(form) == {"customer", "param", "sign"}
    assert form["customer"] == fake.customer
    assert form["sign"] == md5_upper(form["param"] + fake.key + fake.customer)
    assert json.loads(form["param"]) == {"com": "yuantong", "num": YT, "resultv2": "1", "show": "0", "order": "desc"}


def test_query_reads_the_latest_line_in_beijing_time(client: Kuaidi100Client) -> None:
    tracking = client.query("yuantong", YT)
    assert tracking == Tracking(
        com="yuantong",
        number=YT,
        state="0",
        state_name="在途",
        logistics=LogisticsState.MOVING,
        context="【杭州转运中心】已发出，下一站【上海】",
        time=datetime(2026, 5, 18, 6, 10, tzinfo=SHANGHAI),
        signed=False,
    )
    assert tracking.time is not None and tracking.time.utcoffset() == SHANGHAI.utcoffset(None)


def test_the_newest_line_wins_whatever_the_order(fake: FakeKuaidi100, client: Kuaidi100Client) -> None:
    fake.track("YT0000000000001", "yuantong", "3", [*reversed(ROUTE), ("不是时间", "坏行")], ischeck=True)
    tracking = client.query("yuantong", "YT0000000000001")
    assert tracking.context == ROUTE[0][1] and tracking.signed
    assert tracking.logistics is LogisticsState.SIGNED


@pytest.mark.parametrize(
    ("state", "expected", "name"),
    [
        ("0", LogisticsState.MOVING, "在途"),
        ("1", LogisticsState.MOVING, "揽收"),
        ("2", LogisticsState.PROBLEM, "疑难"),
        ("3", LogisticsState.SIGNED, "签收"),
        ("4", LogisticsState.RETURNED, "退签"),
        ("5", LogisticsState.DELIVERING, "派件"),
        ("6", LogisticsState.RETURNING, "退回"),
        ("7", LogisticsState.MOVING, "转投"),
        ("8", LogisticsState.MOVING, "清关"),
        ("13", LogisticsState.PROBLEM, "清关异常"),
        ("14", LogisticsState.REJECTED, "拒签"),
        ("301", LogisticsState.SIGNED, "本人签收"),
        ("304", LogisticsState.SIGNED, "投柜或站签收"),
        ("501", LogisticsState.DELIVERING, "投柜或驿站"),
        ("203", LogisticsState.REJECTED, "拒收"),
    ],
)
def test_each_state_is_mapped(
    fake: FakeKuaidi100, client: Kuaidi100Client, state: str, expected: LogisticsState, name: str
) -> None:
    fake.track("YT1000000000000", "yuantong", state, ROUTE)
    tracking = client.query("yuantong", "YT1000000000000")
    assert (tracking.state, tracking.logistics, tracking.state_name) == (state, expected, name)
    assert logistics_of(state) == (expected, name)


def test_unlisted_states_take_their_family_or_are_unknown() -> None:
    assert logistics_of("302") == (LogisticsState.SIGNED, "签收")
    assert logistics_of("1001") == (LogisticsState.UNKNOWN, "")
    assert logistics_of("99") == (LogisticsState.UNKNOWN, "")
    assert logistics_of("") == (LogisticsState.UNKNOWN, "")


# The phone


def test_shunfeng_sends_only_the_last_four_digits(fake: FakeKuaidi100, client: Kuaidi100Client) -> None:
    tracking = client.query("shunfeng", SF, phone="138-1234-5678")
    assert tracking.logistics is LogisticsState.DELIVERING
    assert json.loads(fake.received[-1][1]["param"])["phone"] == "5678"
    assert "13812345678" not in fake.received[-1][1]["param"]


def test_zhongtong_without_a_phone_is_refused_before_sending(fake: FakeKuaidi100, client: Kuaidi100Client) -> None:
    with pytest.raises(PhoneRequired) as refused:
        client.query("zhongtong", ZT)
    assert fake.received == [] and isinstance(refused.value, BadParameters)
    assert "后四位" in refused.value.explain()


def test_a_wrong_phone_is_the_services_408(fake: FakeKuaidi100, client: Kuaidi100Client) -> None:
    with pytest.raises(PhoneRequired) as refused:
        client.query("zhongtong", ZT, phone="0000")
    assert refused.value.code == "408" and fake.queries[ZT] == 1
    assert client.query("zhongtong", ZT, phone="13900001111").logistics is LogisticsState.MOVING


# The lock


def test_a_number_queried_again_within_30_minutes_is_locked(fake: FakeKuaidi100, client: Kuaidi100Client) -> None:
    assert MIN_QUERY_INTERVAL.total_seconds() == LOCK_SECONDS
    client.query("yuantong", YT)
    fake.advance(LOCK_SECONDS - 60)
    with pytest.raises(QueryLocked) as locked:
        client.query("yuantong", YT)
    assert locked.value.code == "500" and "锁定" in locked.value.message
    assert "半小时" in locked.value.explain()
    fake.advance(61)
    assert client.query("yuantong", YT).state == "0"
    assert fake.queries[YT] == 3


# Errors


def test_no_result_yet(client: Kuaidi100Client) -> None:
    with pytest.raises(NoResultYet) as nothing:
        client.query("yunda", "463431409940372")
    assert nothing.value.code == "500" and "隔段时间" in nothing.value.message


def test_unknown_courier_is_bad_parameters(client: Kuaidi100Client) -> None:
    with pytest.raises(BadParameters) as bad:
        client.query("no-such-courier", YT)
    assert bad.value.code == "400" and type(bad.value) is BadParameters


def test_wrong_key_is_bad_signature(fake: FakeKuaidi100, sleeps: Sleeps) -> None:
    with client_of(fake, sleeps, key="not-the-key") as wrong, pytest.raises(BadSignature) as bad:
        wrong.query("yuantong", YT)
    assert bad.value.code == "503" and "secret" in bad.value.explain()


def test_expired_key_is_an_account_problem(fake: FakeKuaidi100, client: Kuaidi100Client) -> None:
    fake.account_ok = False
    with pytest.raises(AccountProblem) as account:
        client.query("yuantong", YT)
    assert account.value.code == "601" and "充值" in account.value.explain()


def test_busy_service_and_dropped_connections_are_retried(
    fake: FakeKuaidi100, client: Kuaidi100Client, sleeps: Sleeps
) -> None:
    fake.busy_next, fake.drop_next = 1, 1
    assert client.query("yuantong", YT).state == "0"
    assert sleeps == [0.5, 1.0] and len(fake.received) == 3


def test_a_service_busy_for_good_gives_up_after_the_retries(
    fake: FakeKuaidi100, client: Kuaidi100Client, sleeps: Sleeps
) -> None:
    fake.busy_next = 10
    with pytest.raises(Kuaidi100Unavailable) as busy:
        client.query("yuantong", YT)
    assert busy.value.code == "502" and sleeps == [0.5, 1.0, 2.0]
    assert "稍后再试" in busy.value.explain()


def test_unreachable_service_is_unavailable_without_secrets(sleeps: Sleeps) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    key = "unreachable-key-" + "k" * 6
    client = Kuaidi100Client("CUST", key, base_url=f"http://127.0.0.1:{port}", sleep=sleeps)
    with client, pytest.raises(Kuaidi100Unavailable) as unavailable:
        client.query("yuantong", YT)
    assert sleeps == [0.5, 1.0, 2.0]
    assert key not in "".join(traceback.format_exception(unavailable.value))


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        ("400", "找不到对应公司", BadParameters),
        ("400", "账号未充值", AccountProblem),
        ("408", "快递公司参数异常：验证码错误", PhoneRequired),
        ("500", "查询无结果，请隔段时间再查", NoResultYet),
        ("500", "查询过于频繁，单号已锁定", QueryLocked),
        ("501", "服务器错误", Kuaidi100Unavailable),
        ("502", "服务器繁忙", Kuaidi100Unavailable),
        ("503", "验证签名失败", BadSignature),
        ("601", "POLL:KEY已过期", AccountProblem),
        ("999", "余额不足", AccountProblem),
        ("999", "?", Kuaidi100Error),
    ],
)
def test_query_errors_are_chosen_by_code_and_message(code: str, message: str, expected: type) -> None:
    assert query_error_class(code, message) is expected


def test_every_error_explains_itself_in_both_languages() -> None:
    for cls in ERRORS.values():
        assert cls.key in MESSAGES, cls
        error = cls("1", "x")
        assert error.explain("zh") == t(cls.key, "zh") and error.explain("en") == t(cls.key, "en")
        assert str(error).startswith("快递100 错误 code=1")


# Interception


def test_intercept_is_sent_as_documented(fake: FakeKuaidi100, client: Kuaidi100Client) -> None:
    receipt = client.intercept("yuantong", YT, callback_url="https://lanjie.example/cb", salt=SALT, reason="买家退款")
    [(path, form)] = fake.received
    assert path == "/label/order"
    assert form["method"] == "interceptOrder" and form["key"] == fake.key
    assert form["t"] == str(int(fake.now * 1000))
    assert form["sign"] == md5_upper(form["param"] + form["t"] + fake.key + fake.secret)
    assert json.loads(form["param"]) == {
        "kuaidicom": "yuantong",
        "kuaidinum": YT,
        "interceptType": "RETURN_SEND_STATION",
        "callbackUrl": "https://lanjie.example/cb",
        "salt": SALT,
        "reason": "买家退款",
    }
    assert receipt.number == YT and receipt.com == "yuantong" and receipt.task_id
    assert fake.intercepts == [json.loads(form["param"])]


def test_intercept_sends_the_new_address_and_extra_fields(fake: FakeKuaidi100, client: Kuaidi100Client) -> None:
    recipient = Recipient("张三", "13000000000", "广东省深圳市南山区科技南十二路")
    client.intercept(
        "jtexpress",
        "JT5261988016578",
        callback_url="https://lanjie.example/cb",
        salt=SALT,
        intercept_type=InterceptType.MODIFY_ADDR,
        recipient=recipient,
        partner_id="P1",
        extra={"orderRole": "1"},
    )
    param = fake.intercepts[-1]
    assert param["interceptType"] == "MODIFY_ADDR" and param["partnerId"] == "P1" and param["orderRole"] == "1"
    assert param["recManInfo"] == {
        "name": "张三",
        "mobile": "13000000000",
        "printAddr": "广东省深圳市南山区科技南十二路",
    }


def test_intercept_is_refused_locally_without_what_it_needs(fake: FakeKuaidi100, sleeps: Sleeps) -> None:
    with client_of(fake, sleeps) as client:
        with pytest.raises(ValueError):
            client.intercept("yuantong", YT, callback_url="", salt=SALT)
        with pytest.raises(ValueError):
            client.intercept("yuantong", YT, callback_url="https://x/cb", salt=SALT, intercept_type="MODIFY_ADDR")
    with client_of(fake, sleeps, secret="") as no_secret, pytest.raises(ValueError):
        no_secret.intercept("yuantong", YT, callback_url="https://x/cb", salt=SALT)
    assert fake.received == []


def test_a_signed_parcel_cannot_be_intercepted(fake: FakeKuaidi100, client: Kuaidi100Client) -> None:
    fake.track(YT, "yuantong", "3", ROUTE, ischeck=True)
    with pytest.raises(InterceptRefused) as refused:
        client.intercept("yuantong", YT, callback_url="https://x/cb", salt=SALT)
    assert "已签收" in refused.value.message and "快递群" in refused.value.explain()


def test_intercept_without_balance_is_an_account_problem(fake: FakeKuaidi100, client: Kuaidi100Client) -> None:
    fake.account_ok = False
    with pytest.raises(AccountProblem):
        client.intercept("yuantong", YT, callback_url="https://x/cb", salt=SALT)


def test_a_lost_answer_to_an_intercept_is_uncertain_and_never_retried(
    fake: FakeKuaidi100, client: Kuaidi100Client, sleeps: Sleeps
) -> None:
    fake.drop_next = 1
    with pytest.raises(InterceptUncertain) as uncertain:
        client.intercept("yuantong", YT, callback_url="https://x/cb", salt=SALT)
    assert len(fake.received) == 1 and sleeps == []
    assert isinstance(uncertain.value, Kuaidi100Unavailable) and "不要马上重发" in uncertain.value.explain()


# Secrets


def test_secrets_never_in_repr_str_or_errors(fake: FakeKuaidi100, sleeps: Sleeps) -> None:
    tampered, partner_key = "tampered-secret-" + "z" * 6, "partner-pass-" + "p" * 6  # not in the traceback's source
    with client_of(fake, sleeps, secret=tampered) as wrong, pytest.raises(BadSignature) as bad:
        wrong.intercept("yuantong", YT, callback_url="https://x/cb", salt=SALT, partner_key=partner_key)
    assert fake.key in fake.received[-1][1]["key"]  # it was sent, and the fake echoed it back in the message
    assert "***" in bad.value.message
    texts = [repr(wrong), str(wrong), str(bad.value), repr(bad.value), "".join(traceback.format_exception(bad.value))]
    for text in texts:
        for secret in (fake.key, tampered, SALT, partner_key, fake.customer):
            assert secret not in text


# The callback


def test_callbacks_are_delivered_signed_and_verified(fake: FakeKuaidi100, client: Kuaidi100Client) -> None:
    outcomes: list[InterceptOutcome] = []

    def answer(form: dict[str, str]) -> dict[str, Any]:
        try:
            outcomes.append(parse_callback(form, SALT))
        except CallbackInvalid:
            return CALLBACK_REJECTED
        return CALLBACK_OK

    fake.outcomes["JT5261988016578"] = ("0", "快件已派送，拦截失败")
    with CallbackReceiver(answer=answer) as receiver:
        client.intercept("yuantong", YT, callback_url=receiver.url, salt=SALT)
        client.intercept("jtexpress", "JT5261988016578", callback_url=receiver.url, salt=SALT)
        assert fake.deliver_callbacks() == [CALLBACK_OK, CALLBACK_OK]
    good, bad = outcomes
    assert (good.number, good.com, good.status, good.succeeded) == (YT, "yuantong", InterceptStatus.SUCCEEDED, True)
    assert (bad.number, bad.status, bad.reason) == ("JT5261988016578", InterceptStatus.FAILED, "快件已派送，拦截失败")
    assert fake.deliver_callbacks() == []  # each is delivered once


def test_a_tampered_or_unsigned_callback_is_refused() -> None:
    form = callback_form({"kuaidinum": YT, "kuaidicom": "yuantong", "status": "1"}, SALT)
    assert parse_callback(form, SALT).succeeded
    tampered = dict(form, param=form["param"].replace(YT, "YT0000000000000"))
    for bad_form, salt in ((tampered, SALT), (form, "another-salt"), ({"param": form["param"]}, SALT), (form, "")):
        with pytest.raises(CallbackInvalid) as invalid:
            parse_callback(bad_form, salt)
        assert "忽略" in invalid.value.explain()
        assert SALT not in str(invalid.value)


def test_a_callback_is_read_from_the_raw_body_too() -> None:
    form = callback_form({"data": {"kuaidiNum": YT, "interceptStatus": "拦截中"}}, SALT)
    body = "&".join(f"{k}={v}" for k, v in form.items()).replace("{", "%7B").replace("}", "%7D")
    outcome = parse_callback(body.encode(), SALT)
    assert (outcome.number, outcome.status) == (YT, InterceptStatus.PENDING)


def test_a_signed_callback_without_a_number_is_invalid() -> None:
    form = callback_form({"status": "1"}, SALT)
    with pytest.raises(CallbackInvalid):
        parse_callback(form, SALT)
    with pytest.raises(CallbackInvalid):
        parse_callback(dict(form, param="[1]", sign=callback_sign("[1]", SALT)), SALT)
