"""One view of the day's work: the command line, the files and the web pages list the same
remarks, the same parcels per courier and the same problems, on both databases, with two shops."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from exports import aftersale, run_cli, write_xlsx
from webtools import Browser, Clock, make_app

NOW = "2026-11-26T09:30:00+08:00"
SENT = "2026-11-26T10:00:00+08:00"


def _exports(tmp_path: Path) -> list[Path]:
    one = [
        aftersale(售后单号="7301", 订单号="6901", 发货物流单号="73610555582881", 门店名称="一号店"),
        aftersale(售后单号="7302", 订单号="6902", 发货物流单号="73610555582882", 门店名称="一号店"),
        # one order, two after-sales: one parcel to intercept, one signed
        aftersale(售后单号="7303", 订单号="6903", 发货物流单号="YT8962646785389", 门店名称="一号店"),
        aftersale(
            售后单号="7304",
            订单号="6903",
            发货物流单号="SF1385628716739",
            发货物流状态="已签收",
            门店名称="一号店",
            自动处理截止时间="2026-11-26 12:00:00",
        ),
        aftersale(售后单号="7305", 订单号="6905", 发货物流单号=773012000000000.0, 门店名称="一号店"),
    ]
    two = [
        aftersale(售后单号="7401", 订单号="6941", 发货物流单号="73610555582891", 门店名称="二号店"),
        aftersale(售后单号="7402", 订单号="6942", 发货物流单号="431234567890123", 门店名称="二号店"),
        aftersale(
            售后单号="7403", 订单号="6943", 发货物流单号="JT5261988016578", 发货物流状态="快递退回中", 门店名称="二号店"
        ),
    ]
    return [
        write_xlsx(tmp_path / "售后单导出-2026-11-26-09-00-00.xlsx", one),
        write_xlsx(tmp_path / "售后单导出-2026-11-26-09-10-00.xlsx", two),
    ]


def _ok(result: Any) -> str:
    assert result.returncode == 0, result.stderr
    return str(result.stdout)


def _text(path_or_bytes: Path | bytes) -> str:
    raw = path_or_bytes.read_bytes() if isinstance(path_or_bytes, Path) else path_or_bytes
    return raw.decode("utf-8-sig").replace("\r\n", "\n")


def _remark_lines(text: str) -> set[str]:
    return {line for line in text.splitlines() if "\t" in line}


def _lists(files: dict[str, str]) -> dict[str, list[str]]:
    """Per list file (拦截-中通.txt …): its numbers."""
    return {
        name: sorted(line for line in text.splitlines()[1:] if re.fullmatch(r"[0-9A-Z]+", line))
        for name, text in files.items()
        if re.match(r"(拦截|催拦截|核实)-", name)
    }


def test_cli_files_and_web_agree(tmp_path: Path, ledger_url: str, ledger: Engine) -> None:
    env = {"LANJIE_DATABASE_URL": ledger_url, "LANJIE_OPERATOR": "小王", "LANJIE_PARTNERS": "zhongtong"}
    exports = _exports(tmp_path)
    _ok(run_cli("run", *exports, "--now", NOW, "--out", tmp_path / "day1", env=env))
    _ok(run_cli("sent", "--courier", "中通", "--shop", "一号店", "--now", SENT, env=env))
    _ok(run_cli("remarks", "--done", "--order", "6943", "--now", SENT, env=env))

    # The command line: the remarks still to write, and the folder of a run made now.
    cli = json.loads(_ok(run_cli("remarks", "--json", "--now", SENT, env=env)))["remarks"]
    cli_remarks = {(r["order_key"], r["text"], r["flag"]) for r in cli}
    _ok(run_cli("run", *exports, "--now", SENT, "--out", tmp_path / "now", env=env))
    folder = {p.name: _text(p) for p in (tmp_path / "now").iterdir() if p.suffix == ".txt"}
    decisions = json.loads((tmp_path / "now" / "decisions.json").read_text(encoding="utf-8"))

    # No 已拦截 remark without a recorded request: 一号店's 中通 parcels were sent, nothing else was.
    assert {key for key, text, _ in cli_remarks if "已拦截" in text} == {"6901", "6902"}
    assert ("6903", "11-26 已签收待核实 顺丰", "橙") in cli_remarks  # one remark for the order, by its nearest deadline
    assert all(text.startswith("11-26 ") for _, text, _ in cli_remarks)
    assert "6943" not in {key for key, _, _ in cli_remarks}  # written: gone everywhere

    with make_app(ledger, Clock(_moment(SENT)), settings=None) as client:
        web = Browser(client)
        web.get("/operator")
        web.post("/operator", {"name": "小王", "next": "/"})
        page = web.get("/remarks").text  # type: ignore[attr-defined]
        items = [json.loads(v.replace("&#34;", '"')) for v in re.findall(r"name=\"item\" value='([^']+)'", page)]
        web_remarks = {(i["order_key"], i["text"], i["flag"]) for i in items}
        assert web_remarks == cli_remarks
        assert _remark_lines(folder["备注.txt"]) == {f"{key}\t{text}" for key, text, _ in cli_remarks}

        downloaded = zipfile.ZipFile(io.BytesIO(web.get("/downloads/files/全部文件.zip").content))  # type: ignore[attr-defined]
        web_files = {name: _text(downloaded.read(name)) for name in downloaded.namelist() if name.endswith(".txt")}
        assert _lists(web_files) == _lists(folder) and _lists(folder)
        assert _remark_lines(web_files["备注.txt"]) == _remark_lines(folder["备注.txt"])
        one_file = web.get("/downloads/files/备注.txt")
        assert _text(one_file.content) == web_files["备注.txt"]  # type: ignore[attr-defined]

        for name, numbers in _lists(folder).items():
            if not name.startswith("拦截-") or "未识别" in name:
                continue
            code = {"拦截-中通.txt": "zhongtong", "拦截-圆通.txt": "yuantong", "拦截-顺丰.txt": "shunfeng"}[name]
            courier_page = web.get(f"/couriers/{code}").text  # type: ignore[attr-defined]
            assert sorted(re.findall(r'name="parcel" value="\d+:([0-9A-Z]+)"', courier_page)) == numbers

        web_decisions = json.loads(web.get("/downloads/files/decisions.json").content)  # type: ignore[attr-defined]
        problems = [(p["file"], p["row"], p["field"], p["value"]) for p in decisions["problems"]]
        assert (
            problems and [(p["file"], p["row"], p["field"], p["value"]) for p in web_decisions["problems"]] == problems
        )
        assert sorted(web_decisions["files"]) == sorted(decisions["files"])
        assert web_decisions["counts"] == decisions["counts"]

        for url in ("/remarks?shop=一号店", "/downloads?shop=二号店", "/remarks", "/downloads"):
            assert web.get(url).status_code == 200, url  # type: ignore[attr-defined]


def _moment(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text)
