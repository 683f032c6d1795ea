"""Group robots (企业微信, 钉钉, 飞书) against one fake of the three over real local HTTP (tests/fakes/robots.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import traceback
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakes.robots import FakeRobots
from lanjie.clients.robots import (
    LIMITS,
    PART_LABEL,
    LineTooLong,
    Robot,
    RobotError,
    RobotKind,
    RobotMessageTooLong,
    RobotRefused,
    RobotSecurityRefused,
    RobotSender,
    RobotThrottled,
    RobotUnavailable,
    RobotWebhookInvalid,
    UnknownRobotUrl,
    body_of,
    detect_kind,
    dingtalk_sign,
    feishu_sign,
    robot_error_class,
    split_message,
)
from lanjie.i18n import MESSAGES, t

HEADER = "以下单号麻烦拦截退回，谢谢！（共{count}单）"


def courier_list(count: int, prefix: str = "YT") -> tuple[str, list[str]]:
    numbers = [f"{prefix}{8962646785389 + i:013d}" for i in range(count)]
    return "\n".join([HEADER.format(count=count), *numbers]), numbers


class Sleeps(list[float]):
    """Records each wait and moves the fake's clock on by it, as a real sleep would."""

    def __init__(self, fake: FakeRobots) -> None:
        super().__init__()
        self.fake = fake

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        self.fake.advance(seconds)


@pytest.fixture
def fake() -> Iterator[FakeRobots]:
    with FakeRobots() as running:
        yield running


@pytest.fixture
def sleeps(fake: FakeRobots) -> Sleeps:
    return Sleeps(fake)


@pytest.fixture
def sender(fake: FakeRobots, sleeps: Sleeps) -> Iterator[RobotSender]:
    with RobotSender(clock=fake.clock, sleep=sleeps, timeout=5) as running:
        yield running


# Kinds


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx", RobotKind.WECOM),
        ("https://oapi.dingtalk.com/robot/send?access_token=566cc69da782ec", RobotKind.DINGTALK),
        ("https://open.feishu.cn/open-apis/bot/v2/hook/xxxxxxxx-xxxx", RobotKind.FEISHU),
        ("https://open.larksuite.com/open-apis/bot/v2/hook/xxxxxxxx-xxxx", RobotKind.FEISHU),
        ("http://127.0.0.1:8123/cgi-bin/webhook/send?key=k", RobotKind.WECOM),
        ("http://127.0.0.1:8123/robot/send?access_token=t", RobotKind.DINGTALK),
        ("http://localhost/open-apis/bot/v2/hook/t", RobotKind.FEISHU),
        ("https://example.com/hook?key=k", None),
        ("https://open.feishu.cn/open-apis/bot/v2/hook/", None),
    ],
)
def test_the_kind_is_told_by_the_path(url: str, kind: RobotKind | None) -> None:
    assert detect_kind(url) is kind


def test_an_unknown_url_is_refused_without_its_key_and_an_explicit_kind_wins() -> None:
    with pytest.raises(UnknownRobotUrl) as unknown:
        Robot.of("https://example.com/hooks/secret-token-123?key=secret-key-456")
    assert "secret-key-456" not in str(unknown.value) and "example.com" in str(unknown.value)
    assert "企业微信" in unknown.value.explain()
    with pytest.raises(UnknownRobotUrl) as feishu_less:
        Robot.of("ftp://open.feishu.cn/open-apis/bot/v2/hook/secret-token-789")
    assert "secret-token-789" not in str(feishu_less.value)
    robot = Robot.of("https://example.com/hooks/abc", kind="dingtalk")
    assert robot.kind is RobotKind.DINGTALK
    with pytest.raises(UnknownRobotUrl):
        Robot.of("https://example.com/hooks/abc", kind="telegram")


def test_a_robot_shows_neither_its_key_nor_its_secret() -> None:
    robot = Robot.of("https://oapi.dingtalk.com/robot/send?access_token=tok-123456", secret="SEC-abcdef", name="中通群")
    assert "tok-123456" not in repr(robot) and "SEC-abcdef" not in repr(robot)
    assert "中通群" in repr(robot) and "oapi.dingtalk.com" in repr(robot)
    assert set(robot.secrets()) >= {"tok-123456", "SEC-abcdef"}


# Splitting


def test_a_message_within_the_limit_is_sent_as_it_is() -> None:
    text, _ = courier_list(10)
    assert split_message(text + "\n", RobotKind.WECOM) == [text]


@pytest.mark.parametrize("kind", list(RobotKind))
def test_a_long_list_is_split_whole_lines_under_the_limit_with_the_header_in_each_part(kind: RobotKind) -> None:
    text, numbers = courier_list(3000)
    parts = split_message(text, kind)
    assert len(parts) > 1
    header = HEADER.format(count=3000)
    seen: list[str] = []
    for index, part in enumerate(parts, 1):
        first, *lines = part.split("\n")
        assert first == header + PART_LABEL.format(part=index, parts=len(parts))
        assert lines and all(line in numbers for line in lines)
        seen += lines
        if kind is RobotKind.FEISHU:
            assert len(body_of(kind, part, timestamp="1779066000", sign="x" * 44)) <= LIMITS[kind].max_bytes
        else:
            assert len(part.encode("utf-8")) <= LIMITS[kind].max_bytes
    assert seen == numbers  # every number exactly once, in order


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.text(alphabet="0123456789ABCDEFJTYSZ京东", min_size=1, max_size=40), min_size=1, max_size=400),
    st.text(alphabet="以下单号麻烦拦截退回谢谢共单（）abc", min_size=1, max_size=60),
)
def test_splitting_never_loses_splits_or_overfills_a_line(lines: list[str], header: str) -> None:
    parts = split_message("\n".join([header, *lines]), RobotKind.WECOM)
    got = [line for part in parts for line in part.split("\n")[1:]]
    assert got == lines
    assert all(len(part.encode("utf-8")) <= 2048 for part in parts)
    assert all(part.split("\n")[0].startswith(header) for part in parts)


def test_a_line_that_cannot_fit_is_refused() -> None:
    with pytest.raises(LineTooLong) as too_long:
        split_message("标题\n" + "单" * 700, RobotKind.WECOM)
    with pytest.raises(LineTooLong):
        split_message("标" * 700 + "\nYT1", RobotKind.WECOM)
    assert "太长" in too_long.value.explain()


def test_the_part_label_can_be_changed() -> None:
    text, _ = courier_list(300)
    parts = split_message(text, RobotKind.WECOM, label="（第{part}/{parts}条）")
    assert parts[0].split("\n")[0].endswith(f"（第1/{len(parts)}条）")


# Sending


def test_parts_are_posted_in_the_robots_body_shape(fake: FakeRobots, sender: RobotSender) -> None:
    wecom, feishu = fake.add("wecom"), fake.add("feishu")
    text, _ = courier_list(300)
    report = sender.send(Robot.of(wecom.url), text)
    assert report.complete and report.sent == tuple(range(1, len(report.parts) + 1)) and len(report.parts) > 1
    assert wecom.messages == list(report.parts)
    assert sender.send(Robot.of(feishu.url), "标题\nJT5261988016578").complete
    assert feishu.messages == ["标题\nJT5261988016578"]
    assert report.describe() == t("robot_sent_all", parts=len(report.parts))


def test_21_parts_to_one_wecom_robot_wait_for_the_rate_limit(
    fake: FakeRobots, sender: RobotSender, sleeps: Sleeps
) -> None:
    count = 100
    while len(split_message(courier_list(count)[0], RobotKind.WECOM)) < 21:
        count += 20
    text, numbers = courier_list(count)
    group = fake.add("wecom")
    report = sender.send(Robot.of(group.url), text)
    assert len(report.parts) == 21 and report.complete
    assert len(sleeps) == 1 and 55 < sleeps[0] <= 61  # 20 went out at once, the 21st waited for the minute
    assert [line for part in group.messages for line in part.split("\n")[1:]] == numbers


def test_twenty_parts_need_no_wait_and_feishu_keeps_to_five_a_second(
    fake: FakeRobots, sender: RobotSender, sleeps: Sleeps
) -> None:
    wecom, feishu = Robot.of(fake.add("wecom").url), Robot.of(fake.add("feishu").url)
    assert sender.send_parts(wecom, [f"标题\n{i}" for i in range(20)]).complete
    assert sleeps == []
    assert sender.send_parts(feishu, [f"标题\n{i}" for i in range(6)]).complete
    assert len(sleeps) == 1 and 1 < sleeps[0] <= 2


def test_a_second_sender_meets_the_robots_throttling(fake: FakeRobots, sender: RobotSender) -> None:
    group = fake.add("wecom")
    robot = Robot.of(group.url)
    assert sender.send_parts(robot, [f"标题\n{i}" for i in range(20)]).complete
    with RobotSender(clock=fake.clock) as other, pytest.raises(RobotThrottled) as throttled:
        other.post(robot, "标题\n21")
    assert throttled.value.code == 45009 and "几分钟" in throttled.value.explain()


def test_the_third_part_refused_stops_the_sending(fake: FakeRobots, sender: RobotSender) -> None:
    group = fake.add("dingtalk")
    group.fail_on = {3}
    parts = [f"以下单号麻烦拦截退回（第 {i}/5 部分）\nYT000000000000{i}" for i in range(1, 6)]
    report = sender.send_parts(Robot.of(group.url), parts)
    assert (report.sent, report.failed, report.complete) == ((1, 2), 3, False)
    assert isinstance(report.error, RobotRefused) and report.error.code == -1
    assert group.messages == parts[:2]
    assert report.describe() == t("robot_sent_partly", sent=2, failed=3, parts=5, reason=report.error.explain())
    resumed = sender.send_parts(Robot.of(group.url), parts, start=3)
    assert resumed.sent == (3, 4, 5) and resumed.complete and group.messages == parts


def test_dingtalk_signing_as_documented(fake: FakeRobots, sender: RobotSender) -> None:
    secret = "SEC" + "d" * 20
    group = fake.add("dingtalk", secret=secret)
    assert sender.send(Robot.of(group.url, secret=secret), "标题\nYT1").complete
    query = fake.queries[-1]
    assert query["access_token"] == group.token and query["timestamp"] == str(int(fake.now * 1000))
    by_hand = hmac.new(secret.encode(), f"{query['timestamp']}\n{secret}".encode(), hashlib.sha256).digest()
    assert query["sign"] == base64.b64encode(by_hand).decode() == dingtalk_sign(secret, query["timestamp"])
    assert group.messages == ["标题\nYT1"]


def test_a_wrong_dingtalk_secret_is_refused_by_security_without_secrets_in_the_error(
    fake: FakeRobots, sender: RobotSender
) -> None:
    secret, wrong = "SEC" + "r" * 20, "SEC" + "w" * 20
    group = fake.add("dingtalk", secret=secret)
    robot = Robot.of(group.url, secret=wrong)
    report = sender.send(robot, "标题\nYT1")
    assert report.failed == 1 and isinstance(report.error, RobotSecurityRefused) and report.error.code == 310000
    assert "加签" in report.error.explain()
    unsigned = sender.send(Robot.of(group.url), "标题\nYT1")
    assert isinstance(unsigned.error, RobotSecurityRefused) and group.messages == []
    for text in (str(report.error), repr(report.error), "".join(traceback.format_exception(report.error))):
        assert group.token not in text and wrong not in text and secret not in text


def test_feishu_signing(fake: FakeRobots, sender: RobotSender) -> None:
    secret = "feishu-" + "f" * 16
    group = fake.add("feishu", secret=secret)
    sender.post(Robot.of(group.url, secret=secret), "标题\nJT1")
    stamp = str(int(fake.now))
    by_hand = base64.b64encode(hmac.new(f"{stamp}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()
    assert feishu_sign(secret, stamp) == by_hand
    payload = json.loads(body_of(RobotKind.FEISHU, "x", timestamp=stamp, sign=by_hand))
    assert payload == {"timestamp": stamp, "sign": by_hand, "msg_type": "text", "content": {"text": "x"}}
    with pytest.raises(RobotSecurityRefused) as refused:
        sender.post(Robot.of(group.url, secret="nope"), "标题\nJT2")
    assert refused.value.code == 19021 and group.messages == ["标题\nJT1"]


def test_a_text_over_the_limit_is_refused_by_the_robot(fake: FakeRobots, sender: RobotSender) -> None:
    group = fake.add("wecom")
    with pytest.raises(RobotMessageTooLong) as too_long:
        sender.post(Robot.of(group.url), "标题\n" + "单" * 700)
    assert too_long.value.code == 40058 and group.messages == []


def test_an_unknown_webhook_is_invalid_and_its_key_is_blanked_out(fake: FakeRobots, sender: RobotSender) -> None:
    fake.add("wecom")
    key = "not-a-known-key-" + "n" * 6
    robot = Robot.of(f"{fake.base}/cgi-bin/webhook/send?key={key}")
    with pytest.raises(RobotWebhookInvalid) as invalid:
        sender.post(robot, "标题\nYT1")
    assert invalid.value.code == 93000 and "***" in invalid.value.message
    assert key not in str(invalid.value) and key not in "".join(traceback.format_exception(invalid.value))


def test_an_unreachable_robot_is_unavailable_after_the_connect_retries(fake: FakeRobots, sleeps: Sleeps) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    key = "unreachable-" + "u" * 8
    robot = Robot.of(f"http://127.0.0.1:{port}/cgi-bin/webhook/send?key={key}")
    with RobotSender(clock=fake.clock, sleep=sleeps) as sender:
        report = sender.send(robot, "标题\nYT1")
    assert isinstance(report.error, RobotUnavailable) and report.sent == () and report.failed == 1
    assert sleeps == [0.5, 1.0] and "稍后" in report.error.explain()
    assert key not in "".join(traceback.format_exception(report.error))


@pytest.mark.parametrize(
    ("kind", "code", "expected"),
    [
        (RobotKind.WECOM, 45009, RobotThrottled),
        (RobotKind.DINGTALK, 130101, RobotThrottled),
        (RobotKind.FEISHU, 11232, RobotThrottled),
        (RobotKind.DINGTALK, 310000, RobotSecurityRefused),
        (RobotKind.FEISHU, 19021, RobotSecurityRefused),
        (RobotKind.WECOM, 40058, RobotMessageTooLong),
        (RobotKind.WECOM, 93000, RobotWebhookInvalid),
        (RobotKind.WECOM, 310000, RobotRefused),
    ],
)
def test_answers_are_typed_by_kind_and_code(kind: RobotKind, code: int, expected: type[RobotError]) -> None:
    assert robot_error_class(kind, code) is expected


def test_every_error_explains_itself_in_both_languages() -> None:
    classes = [RobotError, RobotUnavailable, RobotRefused, RobotThrottled, RobotSecurityRefused]
    for cls in [*classes, RobotMessageTooLong, RobotWebhookInvalid]:
        assert cls.key in MESSAGES
        assert cls("wecom", 1, "x").explain("en") == t(cls.key, "en")
    for local in (UnknownRobotUrl, LineTooLong):
        assert local.key in MESSAGES and local("x").explain("en") == t(local.key, "en")
