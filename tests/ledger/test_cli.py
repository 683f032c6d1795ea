"""The ledger workflow through the real `lanjie` command, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exports import aftersale, run_cli, write_xlsx

DAY1 = "2026-11-26T09:30:00+08:00"
LATER = "2026-11-26T10:00:00+08:00"
DAY3 = "2026-11-28T12:00:00+08:00"
ZTO = ["73610555582881", "73610555582882"]
YTO = "YT8962646785389"


@pytest.fixture
def env(ledger_url: str) -> dict[str, str]:
    return {"LANJIE_DATABASE_URL": ledger_url, "LANJIE_OPERATOR": "小王", "LANJIE_PARTNERS": "zhongtong"}


@pytest.fixture
def export(tmp_path: Path) -> Path:
    rows = [
        aftersale(售后单号="101", 订单号="201", 发货物流单号=ZTO[0]),
        aftersale(售后单号="102", 订单号="202", 发货物流单号=ZTO[1]),
        aftersale(售后单号="103", 订单号="203", 发货物流单号=YTO),
        aftersale(售后单号="104", 订单号="204", 发货物流单号="SF1385628716739", 发货物流状态="已签收"),
    ]
    return write_xlsx(tmp_path / "售后单导出-2026-11-26-09-30-00.xlsx", rows)


def ok(result: object) -> str:
    assert result.returncode == 0, result.stderr  # type: ignore[attr-defined]
    return result.stdout  # type: ignore[attr-defined,no-any-return]


def test_sent_parcels_leave_the_list_and_come_back_as_chase(tmp_path: Path, env: dict[str, str], export: Path) -> None:
    ok(run_cli("run", export, "--now", DAY1, "--out", tmp_path / "d1", env=env))
    assert (tmp_path / "d1" / "拦截-中通.txt").exists()
    sent = ok(run_cli("sent", "--courier", "中通", "--now", LATER, env=env))
    assert "已记录 2 个拦截请求（中通），操作人 小王" in sent

    ok(run_cli("run", export, "--now", LATER, "--out", tmp_path / "d2", env=env))
    names = {p.name for p in (tmp_path / "d2").iterdir()}
    assert "拦截-中通.txt" not in names and "拦截-圆通.txt" in names
    document = json.loads((tmp_path / "d2" / "decisions.json").read_text(encoding="utf-8"))
    assert document["counts"]["intercepting"] == 2 and document["counts"]["intercept"] == 1

    ok(run_cli("run", export, "--now", DAY3, "--out", tmp_path / "d3", env=env))
    chase = (tmp_path / "d3" / "催拦截-中通.txt").read_text(encoding="utf-8-sig").splitlines()
    assert chase[1:] == ZTO and "再帮忙拦截" in chase[0]
    chased = ok(run_cli("sent", "--courier", "zhongtong", "--chase", "--now", DAY3, env=env))
    assert "已记录催拦截 2 个单号" in chased
    triaged = json.loads(ok(run_cli("triage", export, "--json", "--now", DAY3, env=env)))
    assert triaged["counts"]["chase"] == 0 and triaged["counts"]["intercepting"] == 2


def test_a_second_sender_is_told_who_sent_it(env: dict[str, str], export: Path) -> None:
    ok(run_cli("import", export, "--now", DAY1, env=env))
    ok(run_cli("sent", "--tracking-no", ZTO[0], "--now", LATER, env={**env, "LANJIE_OPERATOR": "小李"}))
    again = ok(run_cli("sent", "--courier", "zhongtong", "--now", LATER, env=env))
    assert "已记录 1 个拦截请求" in again
    assert f"{ZTO[0]} 已由 小李 在 11-26 10:00 发过拦截，没有重复记录" in again


def test_sent_refuses_unknown_numbers_and_records_nothing(env: dict[str, str], export: Path) -> None:
    ok(run_cli("import", export, "--now", DAY1, env=env))
    result = run_cli("sent", "--tracking-no", f"{ZTO[0]},99999999999999", env=env)
    assert result.returncode == 2 and "台账里没有这些单号：99999999999999" in result.stderr
    history = json.loads(ok(run_cli("history", ZTO[0], "--json", env=env)))
    assert [e["kind"] for e in history["events"]] == ["first_seen"]
    assert run_cli("sent", env=env).returncode == 2
    assert run_cli("sent", "--courier", "火星快递", env=env).returncode == 2


def test_remarks_follow_the_request_and_are_listed_until_written(env: dict[str, str], export: Path) -> None:
    ok(run_cli("import", export, "--now", DAY1, env=env))
    listed = json.loads(ok(run_cli("remarks", "--json", "--now", DAY1, env=env)))["remarks"]
    # Nothing was sent to a courier yet: no order may be remarked 已拦截.
    assert {r["order_id"]: (r["flag"], r["text"]) for r in listed} == {"204": ("橙", "11-26 已签收待核实 顺丰")}
    ok(run_cli("sent", "--courier", "中通", "--now", LATER, env=env))
    listed = json.loads(ok(run_cli("remarks", "--json", "--now", "2026-11-27T08:00:00+08:00", env=env)))["remarks"]
    assert {r["order_id"]: (r["flag"], r["text"]) for r in listed} == {
        "201": ("紫", "11-26 已拦截 中通"),  # dated by the request (11-26), not by the day it is listed
        "202": ("紫", "11-26 已拦截 中通"),
        "204": ("橙", "11-27 已签收待核实 顺丰"),
    }
    assert "已记录 1 个订单的备注为已写" in ok(run_cli("remarks", "--done", "--order", "201", "--now", DAY1, env=env))
    assert "已记录 2 个订单" in ok(run_cli("remarks", "--done", "--now", DAY1, env=env))
    assert json.loads(ok(run_cli("remarks", "--json", "--now", LATER, env=env)))["remarks"] == []
    assert "没有要写的备注" in ok(run_cli("remarks", env=env))


def test_history_and_stats(tmp_path: Path, env: dict[str, str], export: Path) -> None:
    ok(run_cli("import", export, "--now", DAY1, env=env))
    ok(run_cli("sent", "--all", "--now", LATER, env=env))
    day2 = [
        aftersale(售后单号="101", 订单号="201", 发货物流单号=ZTO[0], 发货物流状态="快递退回中"),
        aftersale(售后单号="102", 订单号="202", 发货物流单号=ZTO[1], 发货物流状态="买家已签收"),
        aftersale(售后单号="103", 订单号="203", 发货物流单号=YTO, 售后状态="商家拒绝"),
        aftersale(售后单号="104", 订单号="204", 发货物流单号="SF1385628716739", 发货物流状态="已签收"),
    ]
    day2_file = write_xlsx(tmp_path / "售后单导出-2026-11-27-09-30-00.xlsx", day2)
    imported = ok(run_cli("import", day2_file, "--now", "2026-11-27T09:30:00+08:00", env=env))
    assert "拦截结果：成功 1 个" in imported and "失败 1 个" in imported

    shown = ok(run_cli("history", "101", env=env))
    for fragment in ("首次导入", "已发拦截", "物流状态变化", "拦截成功", "小王"):
        assert fragment in shown
    events = json.loads(ok(run_cli("history", ZTO[0], "--json", env=env)))["events"]
    assert [e["kind"] for e in events] == [
        "first_seen",
        "intercept_requested",
        "logistics_changed",
        "intercept_succeeded",
    ]
    assert events[2]["before"] == "无物流状态" and events[2]["after"] == "快递退回中"
    assert run_cli("history", "NOPE", env=env).returncode == 2

    stats = json.loads(ok(run_cli("stats", "--json", "--now", "2026-11-27T12:00:00+08:00", env=env)))
    couriers = {c["courier"]: c for c in stats["couriers"]}
    assert couriers["zhongtong"] | {"median_hours_to_return": None} == {
        "courier": "zhongtong",
        "name": "中通",
        "requests": 2,
        "success": 1,
        "failed": 1,
        "pending": 0,
        "median_hours_to_return": None,
    }
    assert couriers["zhongtong"]["median_hours_to_return"] == 23.5  # sent 10:00, back at 09:30 next day
    assert couriers["yuantong"]["pending"] == 1 and stats["rejections"] == 1
    assert [d["date"] for d in stats["days"]] == ["2026-11-26", "2026-11-27"]
    assert stats["days"][0]["counts"]["intercept"] == 3
    assert "中通" in ok(run_cli("stats", "--now", "2026-11-27T12:00:00+08:00", env=env))


def test_shop_filters(tmp_path: Path, env: dict[str, str], export: Path) -> None:
    ok(run_cli("import", export, "--shop", "一号店", "--now", DAY1, env=env))
    other = write_xlsx(
        tmp_path / "售后单导出-2026-11-26-10-00-00.xlsx", [aftersale(售后单号="301", 发货物流单号=ZTO[0])]
    )
    ok(run_cli("import", other, "--shop", "二号店", "--now", DAY1, env=env))
    one = json.loads(ok(run_cli("remarks", "--json", "--shop", "一号店", "--now", DAY1, env=env)))["remarks"]
    two = json.loads(ok(run_cli("remarks", "--json", "--shop", "二号店", "--now", DAY1, env=env)))["remarks"]
    assert [(r["shop"], r["order_id"]) for r in one] == [("一号店", "204")] and two == []
    sent = ok(run_cli("sent", "--courier", "zhongtong", "--shop", "二号店", "--now", LATER, env=env))
    assert "已记录 1 个拦截请求" in sent  # the same number in 一号店 is a different parcel
    two = json.loads(ok(run_cli("remarks", "--json", "--shop", "二号店", "--now", DAY1, env=env)))["remarks"]
    assert [(r["shop"], r["text"]) for r in two] == [("二号店", "11-26 已拦截 中通")]
    missing = run_cli("stats", "--shop", "三号店", env=env)
    assert missing.returncode == 2 and "已有的店铺" in missing.stderr


def test_importing_the_same_file_again_says_so_at_once(env: dict[str, str], export: Path) -> None:
    ok(run_cli("import", export, "--now", DAY1, env={**env, "LANJIE_OPERATOR": "小李"}))
    again = ok(run_cli("import", export, "--now", LATER, env=env))
    assert f"{export.name} 已在 11-26 09:30 由 小李 导入过" in again and "台账没有变化" in again
