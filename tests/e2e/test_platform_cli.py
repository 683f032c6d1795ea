"""The README's 抖店 path through the real `lanjie` command: connect, sync, decide from the
ledger, write remarks into 抖店, intercept, agree; against the fake platform (its clock is real
time here, as the command's is)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from exports import run_cli
from fakes.doudian import FakeDoudian

SECRET = "a-server-secret-of-enough-length-for-lanjie-0123456789"


@pytest.fixture
def fake() -> Iterator[FakeDoudian]:
    with FakeDoudian(now=time.time()) as running:
        running.seed_after_sales(150)
        yield running


@pytest.fixture
def env(ledger_url: str, fake: FakeDoudian) -> dict[str, str]:
    return {
        "LANJIE_DATABASE_URL": ledger_url,
        "LANJIE_OPERATOR": "小王",
        "LANJIE_SECRET_KEY": SECRET,
        "LANJIE_DOUDIAN_APP_KEY": fake.app_key,
        "LANJIE_DOUDIAN_APP_SECRET": fake.app_secret,
        "LANJIE_DOUDIAN_BASE_URL": fake.url,
    }


def ok(result: object) -> str:
    assert result.returncode == 0, result.stderr  # type: ignore[attr-defined]
    return result.stdout  # type: ignore[attr-defined,no-any-return]


def test_from_shop_connect_to_remarks_written_into_the_platform(
    tmp_path: Path, env: dict[str, str], fake: FakeDoudian
) -> None:
    said = ok(run_cli("shop", "connect", "--shop-id", str(fake.shop_id), "--name", "示例旗舰店", env=env))
    assert "已连接店铺「示例旗舰店」" in said
    listed = json.loads(ok(run_cli("shop", "list", "--json", env=env)))
    assert [s["shop"] for s in listed["shops"]] == ["示例旗舰店"] and listed["shops"][0]["synced_at"] is None

    synced = json.loads(ok(run_cli("sync", "--json", env=env)))
    [shop] = synced["shops"]
    assert shop["shop"] == "示例旗舰店" and shop["errors"] == [] and shop["fetched"] == shop["new"] > 0
    assert set(shop) >= {"shop", "fetched", "new", "updated", "unchanged", "errors"}

    decided = json.loads(ok(run_cli("triage", "--ledger", "--json", env=env)))
    assert sum(decided["counts"].values()) == shop["fetched"] and decided["items"]

    due = json.loads(ok(run_cli("remarks", "--json", env=env)))["remarks"]
    assert due
    pushed = run_cli("remarks", "--push", env=env)  # no terminal, no --yes: nothing is written
    assert pushed.returncode != 0 and "--yes" in pushed.stderr and not fake.remark_calls
    ok(run_cli("remarks", "--push", "--yes", env=env))
    assert set(fake.remark_calls) == {r["order_id"] for r in due} and set(fake.remark_calls.values()) == {1}
    assert json.loads(ok(run_cli("remarks", "--json", env=env)))["remarks"] == []
    ok(run_cli("remarks", "--push", "--yes", env=env))  # nothing due: nothing sent again
    assert set(fake.remark_calls.values()) == {1}

    out = tmp_path / "out"
    ran = ok(run_cli("run", "--sync", "--out", out, env=env))
    assert "已同步" in ran and (out / "decisions.json").exists()
    for secret in (fake.app_secret, *fake.access_tokens, *fake.refresh_tokens):
        assert secret not in said + ran


def test_platform_interception_asks_first_and_records_what_the_platform_accepted(
    env: dict[str, str], fake: FakeDoudian
) -> None:
    ok(run_cli("shop", "connect", "--shop-id", str(fake.shop_id), "--name", "示例旗舰店", env=env))
    ok(run_cli("sync", env=env))
    refused = run_cli("intercept", "--platform", "--courier", "中通", env=env)
    assert refused.returncode != 0 and not fake.intercepted
    done = ok(run_cli("intercept", "--platform", "--all", "--yes", "--json", env=env))
    report = json.loads(done)
    assert report["requested"] and len(fake.intercepted) == len(report["requested"])
    again = json.loads(ok(run_cli("intercept", "--platform", "--all", "--yes", "--json", env=env)))
    assert again["requested"] == [] and len(fake.intercepted) == len(report["requested"])


def test_wrong_app_secret_is_explained_without_a_traceback_or_a_secret(env: dict[str, str], fake: FakeDoudian) -> None:
    wrong = {**env, "LANJIE_DOUDIAN_APP_SECRET": "not-the-secret"}
    result = run_cli("shop", "connect", "--shop-id", str(fake.shop_id), env=wrong)
    assert result.returncode == 3 and "Traceback" not in result.stderr
    assert "签名校验失败" in result.stderr and "not-the-secret" not in result.stderr
    english = run_cli("shop", "connect", "--shop-id", str(fake.shop_id), "--lang", "en", env=wrong)
    assert english.returncode == 3 and "signature" in english.stderr.lower()


def test_without_app_credentials_the_user_is_told_which_settings_to_set(env: dict[str, str]) -> None:
    bare = {k: v for k, v in env.items() if not k.startswith("LANJIE_DOUDIAN_APP")}
    result = run_cli("shop", "connect", "--shop-id", "4463798", env=bare)
    assert result.returncode == 2 and "LANJIE_DOUDIAN_APP_KEY" in result.stderr
