"""Bad input: a clear message (Chinese, or English with --lang en), exit 2, no traceback, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from exports import aftersale, run_cli, write_xlsx

NOW = "2026-11-26T09:30:00+08:00"


def assert_refused(result: object, *fragments: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)  # type: ignore[attr-defined]
    stderr: str = result.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in stderr and "Traceback" not in result.stdout  # type: ignore[attr-defined]
    for fragment in fragments:
        assert fragment in stderr, stderr


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "good.xlsx", [aftersale()])


def test_missing_file(tmp_path: Path) -> None:
    assert_refused(
        run_cli("run", tmp_path / "没有这个文件.xlsx", "--out", tmp_path / "out"), "找不到文件", "没有这个文件.xlsx"
    )
    assert not (tmp_path / "out").exists()


def test_picture_instead_of_export(tmp_path: Path) -> None:
    picture = tmp_path / "截图.xlsx"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    assert_refused(run_cli("run", picture, "--out", tmp_path / "out"), "图片", "导出")
    assert not (tmp_path / "out").exists()


def test_empty_and_truncated_files(tmp_path: Path, good: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert_refused(run_cli("triage", empty, "--json"), "文件是空的")
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(good.read_bytes()[:1500])
    assert_refused(run_cli("triage", cut, "--json"), "已损坏或不完整", "重新导出")


def test_missing_columns_are_named_with_the_headers_found(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "手工表.xlsx", [{"订单号": "1"}], headers=["订单号", "商品名称", "物流状态"])
    assert_refused(
        run_cli("run", path, "--out", tmp_path / "out"),
        "缺少必需的列：售后单号、售后类型、发货物流单号",
        "找到的列有：订单号、商品名称、物流状态",
    )
    assert not (tmp_path / "out").exists()


def test_english_messages(tmp_path: Path) -> None:
    result = run_cli("triage", tmp_path / "nope.xlsx", "--lang", "en")
    assert_refused(result, "File not found")
    result = run_cli("triage", tmp_path / "nope.xlsx", env={"LANJIE_LANG": "en"})
    assert_refused(result, "File not found")


def test_one_bad_file_among_good_ones_changes_nothing(tmp_path: Path, good: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7\n...")
    assert_refused(run_cli("run", good, bad, "--out", tmp_path / "out"), "PDF")
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (("--partners", "zhongtong,火星快递"), "不认识的快递：火星快递"),
        (("--now", "明天早上"), "--now 的时间看不懂"),
        (("--chunk-size", "0"), "chunk_size"),
        (("--intercept-template", "拦截{number}"), "可用的占位符"),
        (("--encoding", "klingon"), "不认识的编码"),
    ],
)
def test_bad_options(good: Path, options: tuple[str, ...], fragment: str) -> None:
    assert_refused(run_cli("triage", good, "--json", *options), fragment)


def test_usage_errors_exit_2() -> None:
    assert run_cli("run").returncode == 2
    assert run_cli("no-such-command").returncode == 2


@pytest.mark.parametrize(
    ("command", "panels"),
    [
        (("run",), ("参数", "选项")),
        (("triage",), ("参数", "选项")),
        (("import",), ("参数", "选项")),
        (("demo-export",), ("选项",)),
        (("sent",), ("选项",)),
        ((), ("选项", "命令")),
        (("db",), ("选项", "命令")),
    ],
)
def test_help_for_every_command_is_chinese(command: tuple[str, ...], panels: tuple[str, ...]) -> None:
    result = run_cli(*command, "--help")
    assert result.returncode == 0, result.stderr
    shown = result.stdout
    assert f"用法：lanjie {' '.join(command)}".rstrip() in shown and "[选项]" in shown
    for panel in panels:
        assert f"─ {panel} ─" in shown, shown
    assert "显示帮助并退出" in shown
    for english in ("Usage:", "[OPTIONS]", "Arguments", "Options", "Commands", "Show this message", "[required]"):
        assert english not in shown, english
    if "参数" in panels:
        assert "抖店导出文件" in shown  # the argument's help, in Chinese
        # the files may be left out of run (--sync) and triage (--ledger), never out of import
        assert ("[必填]" in shown) is (command == ("import",))
    if command and command[0] in ("run", "triage"):
        assert "提示语言：zh（默认）或 en" in shown and "把「现在」固定为这个时间" in shown


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("lanjie ")
