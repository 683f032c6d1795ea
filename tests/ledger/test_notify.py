"""A courier's list posted to its group robot (lanjie.delivery.notify, `lanjie notify`), against the
fake robots over real local HTTP, with the ledger on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from exports import aftersale, run_cli, write_xlsx
from fakes.robots import FakeRobot, FakeRobots
from lanjie.clients.robots import LIMITS, PART_LABEL, Robot, RobotKind, RobotSender
from lanjie.config import Settings, load_settings
from lanjie.delivery.notify import CLAIM_FOR, CourierList, NotifyReport, listed_courier_list, notify, notify_job
from lanjie.ledger.actions import record_sent
from lanjie.ledger.claims import claim
from lanjie.ledger.schema import events, interceptions
from lanjie.ledger.worklist import resolve_shops
from lanjie.model import SHANGHAI, Bucket
from lanjie.outputs.folder import output_files
from lanjie.outputs.messages import message_file
from lanjie.pipeline import analyse_ledger, import_and_analyse

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=SHANGHAI)
DAY1 = "2026-11-26T09:30:00+08:00"
SF = "SF1385628716739"


def zto(count: int) -> list[str]:
    return [f"73610{i:09d}" for i in range(1, count + 1)]


class Sleeps(list[float]):
    """Records each wait asked for and moves the fake robots' clock on by it, as a real sleep would."""

    def __init__(self, fake: FakeRobots) -> None:
        super().__init__()
        self.fake = fake

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        self.fake.advance(seconds)


@pytest.fixture
def robots() -> Iterator[FakeRobots]:
    with FakeRobots() as fake:
        yield fake


def imported(ledger: Engine, tmp_path: Path, numbers: list[str], **settings: Any) -> Settings:
    chosen = load_settings(partners="zhongtong", operator="小王", **settings)
    rows = [aftersale(发货物流单号=n) for n in numbers]
    rows.append(aftersale(发货物流单号=SF, 发货物流状态="已签收"))  # on the 核实 list of 顺丰
    path = write_xlsx(tmp_path / "售后单导出-2026-11-26-09-30-00.xlsx", rows)
    import_and_analyse([path], settings=chosen, now=NOW, ledger=ledger)
    return chosen


def the_list(
    ledger: Engine, settings: Settings, bucket: Bucket = Bucket.INTERCEPT, courier: str = "zhongtong"
) -> CourierList:
    analysis = analyse_ledger(ledger, settings=settings, now=NOW)
    return listed_courier_list(ledger, analysis, resolve_shops(ledger, []), bucket, courier)


def txt(ledger: Engine, settings: Settings, name: str = "拦截-中通.txt") -> str:
    return output_files(analyse_ledger(ledger, settings=settings, now=NOW))[name]


def post(
    ledger: Engine, fake: FakeRobots, robot: FakeRobot, listing: CourierList, sleeps: Sleeps | None = None
) -> NotifyReport:
    with RobotSender(clock=fake.clock, sleep=sleeps if sleeps is not None else Sleeps(fake)) as sender:
        return notify(ledger, sender, Robot.of(robot.url, secret=robot.secret), listing, operator="小王", now=NOW)


def requests(ledger: Engine) -> list[tuple[str, str]]:
    with ledger.connect() as conn:
        return [(r.tracking_no, r.via) for r in conn.execute(select(interceptions.c.tracking_no, interceptions.c.via))]


def logged(ledger: Engine, kind: str) -> list[str]:
    with ledger.connect() as conn:
        return [r.tracking_no for r in conn.execute(select(events.c.tracking_no).where(events.c.kind == kind))]


def test_the_group_gets_the_messages_of_the_txt_then_the_request_is_recorded(
    ledger: Engine, tmp_path: Path, robots: FakeRobots
) -> None:
    numbers = zto(120)
    settings = imported(ledger, tmp_path, numbers)  # 50 numbers a message: 3 messages
    group = robots.add("wecom")
    expected = txt(ledger, settings)

    report = post(ledger, robots, group, the_list(ledger, settings))

    assert report.complete and report.sent == (1, 2, 3) and report.recorded == 120
    assert message_file(group.messages) == expected  # exactly what the .txt holds, message by message
    assert sorted(requests(ledger)) == sorted((n, "chat") for n in numbers)
    assert sorted(logged(ledger, "intercept_requested")) == sorted(numbers)
    assert (
        report.describe(operator="小王") == "✓ 已发到中通的群（共 3 条消息），120 个单号记为「已发拦截」，操作人 小王。"
    )
    assert the_list(ledger, settings).numbers == []  # off the list: nothing to post twice


def test_a_robot_refusing_the_third_part_leaves_the_request_unrecorded_and_says_what_went_out(
    ledger: Engine, tmp_path: Path, robots: FakeRobots
) -> None:
    numbers = zto(300)
    settings = imported(ledger, tmp_path, numbers, chunk_size=1000)  # one message in the .txt, too long for 企业微信
    group = robots.add("wecom")
    group.fail_on = {3}
    header, *body = txt(ledger, settings).removesuffix("\n").split("\n")
    listing = the_list(ledger, settings)

    report = post(ledger, robots, group, listing)

    assert len(report.parts) >= 3 and report.sent == (1, 2) and report.failed == 3 and not report.complete
    assert report.recorded == 0 and requests(ledger) == [] and logged(ledger, "intercept_requested") == []
    assert "第 1–2 条已发到中通的群，第 3 条没有发出" in report.describe()
    assert "这次没有记录任何单号" in report.describe()
    assert len(group.messages) == 2
    assert the_list(ledger, settings).numbers == numbers  # still to send, all of it

    group.fail_on = set()
    again = post(ledger, robots, group, listing)
    assert again.complete and again.recorded == 300
    parts = group.messages[2:]
    total = len(parts)
    assert total == len(report.parts)
    for index, part in enumerate(parts, 1):  # split within the robot's limit, each part headed
        assert len(part.encode("utf-8")) <= LIMITS[RobotKind.WECOM].max_bytes
        assert part.split("\n")[0] == header + PART_LABEL.format(part=index, parts=total)
    assert [line for part in parts for line in part.split("\n")[1:]] == body == numbers


def test_posting_is_paced_to_the_robots_rate_limit_with_the_injected_sleep(
    ledger: Engine, tmp_path: Path, robots: FakeRobots
) -> None:
    settings = imported(ledger, tmp_path, zto(110), chunk_size=5)  # 22 messages: more than 20 a minute
    group = robots.add("wecom")
    sleeps = Sleeps(robots)

    report = post(ledger, robots, group, the_list(ledger, settings), sleeps)

    assert report.complete and len(group.messages) == 22 and report.recorded == 110
    assert sleeps and sum(sleeps) >= 60  # the 21st message waited for the minute to pass
    times = group.request_times
    assert all(sum(1 for t in times if start <= t < start + 60) <= 20 for start in times)


def test_a_list_someone_else_is_posting_is_not_posted_again(ledger: Engine, tmp_path: Path, robots: FakeRobots) -> None:
    settings = imported(ledger, tmp_path, zto(3))
    group = robots.add("wecom")
    assert claim(ledger, notify_job(Bucket.INTERCEPT, "zhongtong"), by="小李", now=NOW, every=CLAIM_FOR)

    report = post(ledger, robots, group, the_list(ledger, settings))

    assert report.busy and not report.complete and group.messages == [] and requests(ledger) == []
    assert report.describe() == "中通的「待拦截」清单正由别人发送，这次没有发：稍后再看清单。"


def test_parcels_recorded_while_the_post_was_confirmed_are_left_out(
    ledger: Engine, tmp_path: Path, robots: FakeRobots
) -> None:
    numbers = zto(4)
    settings = imported(ledger, tmp_path, numbers)
    group = robots.add("dingtalk", secret="SEC-钉钉加签-0001")
    listing = the_list(ledger, settings)
    record_sent(ledger, listing.refs[:1], operator="小李", now=NOW)  # meanwhile, by hand

    with RobotSender(clock=robots.clock, sleep=Sleeps(robots)) as sender:
        report = notify(
            ledger,
            sender,
            Robot.of(group.url, secret=group.secret),
            listing,
            operator="小王",
            now=NOW,
            still_listed=lambda: the_list(ledger, settings).numbers,
        )

    assert report.complete and report.recorded == 3 and list(report.numbers) == numbers[1:]
    assert group.messages == ["以下单号麻烦拦截退回，谢谢！（共3单）\n" + "\n".join(numbers[1:])]
    assert dict(requests(ledger)) == dict.fromkeys(numbers, "chat")


def test_the_verify_list_is_recorded_as_asked(ledger: Engine, tmp_path: Path, robots: FakeRobots) -> None:
    settings = imported(ledger, tmp_path, zto(2))
    group = robots.add("feishu", secret="feishu-签名校验-secret")
    listing = the_list(ledger, settings, Bucket.VERIFY, "shunfeng")

    report = post(ledger, robots, group, listing)

    assert report.complete and report.recorded == 1
    assert group.messages == [txt(ledger, settings, "核实-顺丰.txt").removesuffix("\n")]
    assert logged(ledger, "verify_asked") == [SF] and requests(ledger) == []
    assert the_list(ledger, settings, Bucket.VERIFY, "shunfeng").numbers == []


# Through the real command


@pytest.fixture
def cli_env(ledger_url: str, tmp_path: Path, robots: FakeRobots) -> Iterator[tuple[dict[str, str], FakeRobot]]:
    group = robots.add("wecom")
    (tmp_path / "lanjie.toml").write_text(f'[robots]\n"中通" = "{group.url}"\n', encoding="utf-8")
    export = write_xlsx(tmp_path / "售后单导出-2026-11-26-09-30-00.xlsx", [aftersale(发货物流单号=n) for n in zto(2)])
    env = {"LANJIE_DATABASE_URL": ledger_url, "LANJIE_OPERATOR": "小王", "LANJIE_PARTNERS": "zhongtong"}
    done = run_cli("import", export, "--now", DAY1, env=env)
    assert done.returncode == 0, done.stderr
    yield env, group


def test_notify_without_yes_and_without_a_terminal_sends_nothing(cli_env: tuple[dict[str, str], FakeRobot]) -> None:
    env, group = cli_env
    refused = run_cli("notify", "--courier", "中通", "--now", DAY1, env=env, stdin="")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert "将用企业微信群机器人发到中通的群：2 个单号，共 1 条消息" in refused.stdout
    assert group.messages == []
    no_robot = run_cli("notify", "--courier", "圆通", "--yes", "--now", DAY1, env=env, stdin="")
    assert no_robot.returncode == 2 and "普通微信群没有接口" in no_robot.stderr


def test_notify_with_yes_posts_and_records(cli_env: tuple[dict[str, str], FakeRobot]) -> None:
    env, group = cli_env
    done = run_cli("notify", "--courier", "zhongtong", "--yes", "--json", "--now", DAY1, env=env, stdin="")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["recorded"] == 2 and answer["sent"] == [1] and answer["failed"] is None
    assert group.messages == ["以下单号麻烦拦截退回，谢谢！（共2单）\n" + "\n".join(zto(2))]
    again = run_cli("notify", "--courier", "中通", "--yes", "--now", DAY1, env=env, stdin="")
    assert again.returncode == 0 and "中通现在没有「待拦截」的单号，什么都没有发" in again.stdout
    assert len(group.messages) == 1
