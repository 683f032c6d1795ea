"""The commands run in this process (Typer's CliRunner) on real files, so coverage sees them,
and in both languages. tests/e2e/test_run.py runs the same commands as real processes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from exports import aftersale, write_xlsx
from lanjie.cli import app
from lanjie.cli.common import is_the_program

NOW = "2026-11-26T09:30:00+08:00"
CJK = re.compile(r"[\u4e00-\u9fff]")


def lanjie(*args: object, env: dict[str, str] | None = None) -> Result:
    """`lanjie …` in this process; the ledger is a SQLite file in the test's own folder."""
    result = CliRunner().invoke(app, [str(a) for a in args], env=env, catch_exceptions=False)
    return result


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


@pytest.fixture
def export(tmp_path: Path) -> Path:
    rows = [
        aftersale(
            售后单号="7300000000000000001", 发货物流单号="73610555582883", 自动处理截止时间="2026-11-26 15:00:00"
        ),
        aftersale(售后单号="7300000000000000002", 发货物流单号="YT 4032699102374"),
        aftersale(售后单号="7300000000000000003", 发货物流单号="YT8962646785389", 发货物流状态="买家已签收"),
        aftersale(售后单号="7300000000000000004", 订单号="=1+1", 发货物流单号="JT5261988016578"),
        aftersale(售后单号="7300000000000000005", 售后类型="退货退款"),
        aftersale(售后单号="7300000000000000006", 发货物流单号="431234567890123", 自动处理截止时间=""),
        aftersale(售后单号="7300000000000000007", 发货物流单号="75000000000001", 退商品金额="八十九"),
    ]
    return write_xlsx(tmp_path / "售后单导出-2026-11-26-09-30-00.xlsx", rows)


def triage_json(export: Path, *extra: object, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = ok(lanjie("triage", export, "--json", "--now", NOW, "--partners", "zhongtong", *extra, env=env))
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def item(document: dict[str, Any], aftersale_id: str) -> dict[str, Any]:
    return next(i for i in document["items"] if i["aftersale_id"] == aftersale_id)


def test_commands_run_here_do_not_end_the_process() -> None:
    assert not is_the_program()  # so `run` and `triage` return to the test instead of os._exit


def test_a_batch_command_run_here_gives_the_garbage_collector_back(export: Path, tmp_path: Path) -> None:
    """`triage`, `run` and `import` switch the cyclic collector off while they work; a caller
    running them in-process gets it back on, also after a refused file."""
    import gc

    assert gc.isenabled()
    triage_json(export)
    assert gc.isenabled()
    picture = tmp_path / "截图.xlsx"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    assert lanjie("triage", picture, "--json").exit_code != 0
    assert gc.isenabled()


def test_run_in_chinese(tmp_path: Path, export: Path) -> None:
    out = tmp_path / "out"
    result = ok(lanjie("run", export, "--now", NOW, "--partners", "zhongtong", "--out", out, "--db", "l.sqlite3"))
    assert "售后处理汇总" in result.stdout and "待拦截" in result.stdout and "发到快递群拦截" in result.stdout
    assert "单号中间有空格" in result.stdout  # a data problem, with its row
    assert "台账：新增 7 个售后单" in result.stdout and str(out) in result.stdout
    document = json.loads((out / "decisions.json").read_text(encoding="utf-8"))
    assert document == triage_json(export, "--db", "l.sqlite3")  # the same decisions, the same words
    assert "拦截失败" not in json.dumps(document, ensure_ascii=False)
    assert any("空格" in reason for reason in item(document, "7300000000000000002")["reasons"])
    assert "订单号无法使用" in item(document, "7300000000000000004")["reasons"][1]


def test_run_in_english(tmp_path: Path, export: Path) -> None:
    out = tmp_path / "out"
    args = ("run", export, "--now", NOW, "--partners", "zhongtong", "--out", out, "--db", "l.sqlite3", "--lang", "en")
    result = ok(lanjie(*args))
    assert "After-sales summary" in result.stdout and "To intercept" in result.stdout
    assert "Send to the courier group to intercept" in result.stdout
    assert "A space inside the number" in result.stdout and "row 3" in result.stdout
    assert "Ledger: 7 new after-sales" in result.stdout
    said, files = result.stdout.split("Output written to:")  # the files written keep their Chinese names
    assert "拦截-未识别快递.txt" in files
    for chinese in ("待拦截", "发到快递群拦截", "紧急", "单号中间有空格", "未识别快递", "售后处理汇总"):
        assert chinese not in said
    tables = said.split("After-sales summary", 1)[1].split("data problems", 1)[0]
    assert not CJK.search(tables.replace("中通", "").replace("圆通", "")), tables  # couriers: proper nouns


def test_triage_json_in_english(export: Path) -> None:
    document = triage_json(export, "--lang", "en")
    said = [i["action"] for i in document["items"]] + [r for i in document["items"] for r in i["reasons"]]
    said += [p["message"] for p in document["problems"]]
    english = "\n".join(said)
    for value in ("抖店", "韵达", "申通", "买家已签收"):
        english = english.replace(value, "")  # data from the export and proper nouns stay as they are
    assert not CJK.search(english), english
    verify = item(document, "7300000000000000003")
    assert verify["action"].startswith("Check the delivery with the buyer")
    assert verify["reasons"][-1].startswith("Logistics says signed for (买家已签收)")
    assert (
        item(document, "7300000000000000001")["reasons"][0] == "Only 5.5 hours left before the auto-processing deadline"
    )
    assert "The order ID cannot be used: Not a 抖店 ID" in item(document, "7300000000000000004")["reasons"][1]
    messages = {p["value"]: p["message"] for p in document["problems"]}
    assert messages["YT 4032699102374"].startswith("A space inside the number")
    assert messages["八十九"] == "Cannot read the amount: it should be a number like 89.50"
    assert document["counts"] == triage_json(export)["counts"]  # the same decisions


def test_triage_summary_in_english_when_the_settings_file_says_so(tmp_path: Path, export: Path) -> None:
    """`lang = "en"` in lanjie.toml was accepted and ignored."""
    (tmp_path / "lanjie.toml").write_text('lang = "en"\n', encoding="utf-8")
    result = ok(lanjie("triage", export, "--now", NOW))
    assert "After-sales summary" in result.stdout and "售后处理汇总" not in result.stdout
    document = triage_json(export)
    assert item(document, "7300000000000000006")["reasons"][-1] == "No auto-processing deadline: check it in 抖店"


@pytest.mark.parametrize(
    ("toml", "env", "option", "english"),
    [
        ("en", None, None, True),
        ("en", "zh", None, False),  # LANJIE_LANG beats lanjie.toml
        ("zh", "en", None, True),
        ("en", "en", "zh", False),  # --lang beats both
        (None, None, "en", True),
        (None, None, None, False),  # Chinese by default
    ],
)
def test_the_language_is_the_option_else_the_variable_else_the_file(
    tmp_path: Path, export: Path, toml: str | None, env: str | None, option: str | None, english: bool
) -> None:
    if toml:
        (tmp_path / "lanjie.toml").write_text(f'lang = "{toml}"\n', encoding="utf-8")
    document = triage_json(export, *(("--lang", option) if option else ()), env={"LANJIE_LANG": env} if env else None)
    reason = item(document, "7300000000000000006")["reasons"][-1]
    assert reason == (
        "No auto-processing deadline: check it in 抖店" if english else "没有自动处理截止时间，请在抖店核对"
    )


def test_settings_errors_speak_the_language_asked(tmp_path: Path, export: Path) -> None:
    result = lanjie("triage", export, "--chunk-size", "0", "--lang", "en")
    assert result.exit_code == 2
    assert (
        "Invalid settings (command-line options or LANJIE_* variables): chunk_size: must be at least 1" in result.stderr
    )
    result = lanjie("triage", export, "--chunk-size", "0")
    assert (
        result.exit_code == 2 and "设置有误（命令行选项、LANJIE_* 环境变量）：chunk_size: 应不小于 1" in result.stderr
    )
    result = lanjie("triage", export, "--lang", "fr")
    assert result.exit_code == 2 and "提示语言只能是 zh（中文）或 en（英文），而不是「fr」" in result.stderr


def test_a_broken_settings_file_is_reported_in_the_language_of_the_option_or_variable(
    tmp_path: Path, export: Path
) -> None:
    """lanjie.toml cannot say its own language when it is what is broken."""
    (tmp_path / "lanjie.toml").write_text('lang = "en"\nchunk_size = 0\n', encoding="utf-8")
    result = lanjie("triage", export)
    assert result.exit_code == 2 and "设置有误" in result.stderr and "lanjie.toml" in result.stderr
    result = lanjie("triage", export, env={"LANJIE_LANG": "en"})
    assert result.exit_code == 2 and "Invalid settings" in result.stderr and "must be at least 1" in result.stderr


def test_history_of_an_unknown_number_in_english_is_a_clear_refusal() -> None:
    """It crashed with a KeyError: the English text asked for another placeholder."""
    result = lanjie("history", "X", "--lang", "en", "--db", "l.sqlite3")
    assert result.exit_code == 2
    assert 'Nothing in the ledger for "X"' in result.stderr
    chinese = lanjie("history", "X", "--db", "l.sqlite3")
    assert chinese.exit_code == 2 and "台账里没有「X」" in chinese.stderr


def test_the_ledger_commands_in_english(tmp_path: Path, export: Path) -> None:
    ok(lanjie("import", export, "--now", NOW, "--partners", "zhongtong", "--db", "l.sqlite3", "--operator", "Wang"))
    history = ok(lanjie("history", "73610555582883", "--lang", "en", "--db", "l.sqlite3"))
    assert "History of 73610555582883" in history.stdout and "First imported" in history.stdout
    assert "after-sale 7300000000000000001" in history.stdout and "首次导入" not in history.stdout
    sent = ok(lanjie("sent", "--courier", "zhongtong", "--now", NOW, "--db", "l.sqlite3", "--lang", "en"))
    assert "Recorded 2 interception requests" in sent.stdout
    remarks = ok(lanjie("remarks", "--now", NOW, "--db", "l.sqlite3", "--lang", "en"))
    assert "Remarks to write" in remarks.stdout and "Order" in remarks.stdout
    stats = ok(lanjie("stats", "--now", NOW, "--db", "l.sqlite3", "--lang", "en"))
    assert "Interceptions in the last 14 days, by courier" in stats.stdout and "Requested" in stats.stdout
    info = ok(lanjie("db", "info", "--db", "l.sqlite3", "--lang", "en"))
    assert "Ledger: sqlite" in info.stdout and "Schema version" in info.stdout


def test_usage_errors_read_the_language_from_the_arguments_given() -> None:
    result = lanjie("triage", "x.xlsx", "--urgnt-hours", "3", "--lang", "en")
    assert result.exit_code == 2 and "No such option: --urgnt-hours" in result.stderr
    result = lanjie("triage", "x.xlsx", "--urgent-hours", "abc")
    assert result.exit_code == 2 and "--urgent-hours 的值不对：应为数字" in result.stderr
    result = lanjie("triage", "x.xlsx", "--urgent-hours", "abc", "--lang", "en")
    assert result.exit_code == 2 and "Invalid value for --urgent-hours: should be a number" in result.stderr
