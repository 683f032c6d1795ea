"""`lanjie track` and `lanjie run --track` through the real command, against the fake 快递100."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from exports import aftersale, run_cli, write_xlsx
from fakes.kuaidi100 import FakeKuaidi100

YTO, JT = "YT8962646785389", "JT5261988016578"
NOW = "2026-11-26T09:30:00+08:00"


@pytest.fixture
def fake() -> Iterator[FakeKuaidi100]:
    with FakeKuaidi100() as running:
        running.track(YTO, "yuantong", "3", [("2026-11-26 09:10:00", "【北京】已签收")], ischeck=True)
        running.track(JT, "jtexpress", "0", [("2026-11-26 06:00:00", "【广州】运输中")])
        yield running


@pytest.fixture
def env(ledger_url: str, fake: FakeKuaidi100) -> dict[str, str]:
    return {
        "LANJIE_DATABASE_URL": ledger_url,
        "LANJIE_KUAIDI100_CUSTOMER": fake.customer,
        "LANJIE_KUAIDI100_KEY": fake.key,
        "LANJIE_KUAIDI100_BASE_URL": fake.url,
    }


def test_run_with_track_lists_only_parcels_still_on_the_road(
    tmp_path: Path, env: dict[str, str], fake: FakeKuaidi100
) -> None:
    export = write_xlsx(
        tmp_path / "售后单导出-2026-11-26-09-00-00.xlsx",
        [aftersale(售后单号="101", 发货物流单号=YTO), aftersale(售后单号="102", 发货物流单号=JT)],
    )
    out = tmp_path / "out"
    ran = run_cli("run", export, "--track", "--now", NOW, "--out", out, env=env)
    assert ran.returncode == 0, ran.stderr
    assert (out / "拦截-极兔.txt").exists() and not (out / "拦截-圆通.txt").exists()
    document = json.loads((out / "decisions.json").read_text(encoding="utf-8"))
    assert document["counts"]["verify"] == 1 and document["counts"]["intercept"] == 1

    again = run_cli("track", "--json", "--now", NOW, env=env)
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["asked"] == 0 and report["not_due"] >= 1 and set(fake.queries.values()) == {1}


def test_track_without_an_account_says_which_settings_to_set(env: dict[str, str]) -> None:
    bare = {k: v for k, v in env.items() if "KUAIDI100" not in k}
    result = run_cli("track", env=bare)
    assert result.returncode == 2 and "LANJIE_KUAIDI100_CUSTOMER" in result.stderr and "Traceback" not in result.stderr
