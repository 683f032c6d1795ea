"""Interception through 快递100 (lanjie.delivery.kuaidi100_intercept, /hooks/kuaidi100, `lanjie intercept
--kuaidi100`), against the fake 快递100 over real local HTTP, with the ledger on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from exports import aftersale, run_cli, write_xlsx
from fakes.kuaidi100 import CallbackReceiver, FakeKuaidi100, callback_form
from lanjie.clients.kuaidi100 import CALLBACK_OK, CALLBACK_REJECTED, InterceptStatus, parse_callback
from lanjie.config import Settings, load_settings
from lanjie.delivery.kuaidi100_intercept import (
    CALLBACK_PATH,
    CallbackEffect,
    callback_salt,
    callback_url,
    intercept_client,
    intercept_with_kuaidi100,
    record_callback,
)
from lanjie.errors import BadInput
from lanjie.ledger.actions import ParcelRef
from lanjie.ledger.schema import events, interceptions
from lanjie.ledger.worklist import listed_refs, resolve_shops
from lanjie.model import SHANGHAI, Bucket
from lanjie.pipeline import analyse_ledger, import_and_analyse
from lanjie.web.context import Web
from lanjie.web.routes import kuaidi100 as hook

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=SHANGHAI)
DAY1 = "2026-11-26T09:30:00+08:00"
SECRET = "a-server-secret-of-enough-length-for-lanjie-0123456789"
ZTO = ["73610555582881", "73610555582882", "73610555582883"]
ROUTE = [("2026-11-26 08:00:00", "【杭州】已签收")]


@pytest.fixture
def fake() -> Iterator[FakeKuaidi100]:
    with FakeKuaidi100() as running:
        yield running


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    """Stands in for lanjie serve's public address: keeps what 快递100 posts to it."""
    with CallbackReceiver() as running:
        yield running


def public(receiver: CallbackReceiver) -> str:
    parts = urlsplit(receiver.url)
    return f"{parts.scheme}://{parts.netloc}"


def settings_for(fake: FakeKuaidi100, receiver: CallbackReceiver, **more: Any) -> Settings:
    values: dict[str, Any] = {
        "partners": "zhongtong",
        "operator": "小王",
        "secret_key": SECRET,
        "public_url": public(receiver),
        "kuaidi100_customer": fake.customer,
        "kuaidi100_key": fake.key,
        "kuaidi100_secret": fake.secret,
        "kuaidi100_base_url": fake.url,
        "kuaidi100_api_url": fake.url,
    }
    return load_settings(**(values | more))


def imported(ledger: Engine, tmp_path: Path, settings: Settings) -> list[ParcelRef]:
    path = write_xlsx(tmp_path / "售后单导出-2026-11-26-09-30-00.xlsx", [aftersale(发货物流单号=n) for n in ZTO])
    import_and_analyse([path], settings=settings, now=NOW, ledger=ledger)
    return on_the_list(ledger, settings)


def on_the_list(ledger: Engine, settings: Settings) -> list[ParcelRef]:
    analysis = analyse_ledger(ledger, settings=settings, now=NOW)
    return listed_refs(analysis, resolve_shops(ledger, []), Bucket.INTERCEPT, frozenset({"zhongtong"}))


def chat_list(ledger: Engine, settings: Settings) -> set[str]:
    groups = analyse_ledger(ledger, settings=settings, now=NOW).groups(Bucket.INTERCEPT)
    return {number for group in groups for number in group.numbers}


def ask(ledger: Engine, settings: Settings, refs: list[ParcelRef]) -> Any:
    with intercept_client(settings) as client:
        return intercept_with_kuaidi100(
            ledger,
            client,
            refs,
            callback_url=callback_url(settings),
            salt=callback_salt(settings),
            operator="小王",
            now=NOW,
        )


def requests(ledger: Engine) -> dict[str, tuple[str, str]]:
    query = select(interceptions.c.tracking_no, interceptions.c.via, interceptions.c.outcome)
    with ledger.connect() as conn:
        return {r.tracking_no: (r.via, r.outcome) for r in conn.execute(query)}


def logged(ledger: Engine) -> list[tuple[str, str, str]]:
    query = select(events.c.kind, events.c.tracking_no, events.c.after).where(events.c.kind != "first_seen")
    with ledger.connect() as conn:
        return [(r.kind, r.tracking_no, r.after) for r in conn.execute(query.order_by(events.c.id))]


def hook_client(ledger: Engine, settings: Settings) -> TestClient:
    """The hook's router in an app of its own (lanjie.web.app wires it for lanjie serve)."""
    app = FastAPI()
    app.include_router(hook.router)
    app.state.web = Web(ledger, settings, False, lambda: NOW + timedelta(hours=2))
    return TestClient(app)


def post_form(client: TestClient, form: dict[str, str]) -> Any:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return client.post(CALLBACK_PATH, content=urlencode(form), headers=headers)


def test_an_accepted_request_leaves_the_chat_list_and_a_refusal_stays_with_its_reason(
    ledger: Engine, tmp_path: Path, fake: FakeKuaidi100, receiver: CallbackReceiver
) -> None:
    settings = settings_for(fake, receiver)
    refs = imported(ledger, tmp_path, settings)
    fake.track(ZTO[0], "zhongtong", "3", ROUTE)  # signed: too late to intercept

    report = ask(ledger, settings, refs)

    assert [r.tracking_no for r, _ in report.requested] == ZTO[1:]
    assert all(receipt.task_id for _, receipt in report.requested)
    assert [(r.tracking_no, why) for r, why in report.refused] == [(ZTO[0], "快件已签收，无法拦截")]
    assert report.stopped is None and report.uncertain == [] and report.busy == []
    assert [p["kuaidinum"] for p in fake.intercepts] == ZTO[1:]
    for params in fake.intercepts:
        assert params["callbackUrl"] == public(receiver) + "/hooks/kuaidi100"
        assert params["salt"] == callback_salt(settings) and params["kuaidicom"] == "zhongtong"
    assert requests(ledger) == {n: ("kuaidi100", "pending") for n in ZTO[1:]}
    assert ("intercept_refused", ZTO[0], "快递100拦截：快件已签收，无法拦截") in logged(ledger)
    assert ("intercept_requested", ZTO[1], "快递100拦截") in logged(ledger)
    assert chat_list(ledger, settings) == {ZTO[0]}

    again = ask(ledger, settings, on_the_list(ledger, settings))  # a second run asks nobody twice
    assert again.requested == [] and {e.parcel.tracking_no for e in again.already} == set(ZTO[1:])
    assert [p["kuaidinum"] for p in fake.intercepts] == ZTO[1:]


def test_the_results_come_back_to_the_hook_and_are_recorded_once(
    ledger: Engine, tmp_path: Path, fake: FakeKuaidi100, receiver: CallbackReceiver
) -> None:
    settings = settings_for(fake, receiver)
    ask(ledger, settings, imported(ledger, tmp_path, settings)[:2])
    fake.outcomes[ZTO[1]] = ("0", "快件已派送，拦截失败")
    fake.deliver_callbacks()
    assert len(receiver.forms) == 2
    client = hook_client(ledger, settings)

    for form in receiver.forms:
        answer = post_form(client, form)
        assert answer.status_code == 200 and answer.json() == CALLBACK_OK

    assert requests(ledger) == {ZTO[0]: ("kuaidi100", "success")}  # the failed one is no request any more
    assert ("intercept_succeeded", ZTO[0], "快递100拦截：拦截成功") in logged(ledger)
    assert ("intercept_refused", ZTO[1], "快递100拦截：快件已派送，拦截失败") in logged(ledger)
    assert chat_list(ledger, settings) == {ZTO[1], ZTO[2]}  # back on the courier's chat list
    before = logged(ledger)
    for form in receiver.forms:  # 快递100 posts a result again: nothing new
        assert post_form(client, form).json() == CALLBACK_OK
    assert logged(ledger) == before


def test_a_callback_with_a_wrong_signature_is_refused_and_changes_nothing(
    ledger: Engine, tmp_path: Path, fake: FakeKuaidi100, receiver: CallbackReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(fake, receiver)
    ask(ledger, settings, imported(ledger, tmp_path, settings)[:1])
    content = {"kuaidicom": "zhongtong", "kuaidinum": ZTO[0], "status": "1", "message": "拦截成功"}
    forged = callback_form(content, "another-salt")
    tampered = callback_form(content, callback_salt(settings)) | {"sign": "0" * 32}
    client = hook_client(ledger, settings)
    before = logged(ledger)

    for form in (forged, tampered, {"param": forged["param"]}):
        answer = post_form(client, form)
        assert answer.status_code == 400 and answer.json() == CALLBACK_REJECTED

    assert requests(ledger) == {ZTO[0]: ("kuaidi100", "pending")} and logged(ledger) == before
    assert forged["param"] not in caplog.text  # logged without the body
    other_server = settings_for(fake, receiver, secret_key="x" * 40)
    assert callback_salt(other_server) != callback_salt(settings)
    assert callback_salt(settings_for(fake, receiver)) == callback_salt(settings)  # every server alike


def test_a_lost_answer_is_neither_recorded_nor_asked_again_until_its_result_comes(
    ledger: Engine, tmp_path: Path, fake: FakeKuaidi100, receiver: CallbackReceiver
) -> None:
    settings = settings_for(fake, receiver)
    refs = imported(ledger, tmp_path, settings)
    fake.drop_next = 1  # the first request is received, and the connection closed without an answer

    report = ask(ledger, settings, refs)

    assert [r.tracking_no for r in report.uncertain] == [ZTO[0]] and report.stopped is not None
    assert [r.tracking_no for r in report.not_asked] == ZTO[1:] and report.requested == []
    assert requests(ledger) == {} and len(fake.received) == 1
    later = ask(ledger, settings, refs[:1])  # its claim is kept: nobody asks again at once
    assert [r.tracking_no for r in later.busy] == [ZTO[0]] and len(fake.received) == 1

    form = callback_form({"kuaidicom": "zhongtong", "kuaidinum": ZTO[0], "status": "1"}, callback_salt(settings))
    outcome = parse_callback(form, callback_salt(settings))
    assert outcome.status is InterceptStatus.SUCCEEDED
    result = record_callback(ledger, outcome, NOW)
    assert result.effect is CallbackEffect.SUCCEEDED
    assert requests(ledger) == {ZTO[0]: ("kuaidi100", "success")}
    assert ZTO[0] not in chat_list(ledger, settings)


def test_interception_needs_a_public_url_for_its_results(fake: FakeKuaidi100, receiver: CallbackReceiver) -> None:
    with pytest.raises(BadInput) as raised:
        callback_url(settings_for(fake, receiver, public_url=""))
    assert raised.value.key == "kuaidi100_no_public_url"
    assert callback_url(settings_for(fake, receiver, public_url="https://lanjie.example.com/")) == (
        "https://lanjie.example.com/hooks/kuaidi100"
    )


# Through the real command


@pytest.fixture
def cli_env(ledger_url: str, tmp_path: Path, fake: FakeKuaidi100, receiver: CallbackReceiver) -> dict[str, str]:
    env = {
        "LANJIE_DATABASE_URL": ledger_url,
        "LANJIE_OPERATOR": "小王",
        "LANJIE_PARTNERS": "zhongtong",
        "LANJIE_SECRET_KEY": SECRET,
        "LANJIE_PUBLIC_URL": public(receiver),
        "LANJIE_KUAIDI100_CUSTOMER": fake.customer,
        "LANJIE_KUAIDI100_KEY": fake.key,
        "LANJIE_KUAIDI100_SECRET": fake.secret,
        "LANJIE_KUAIDI100_API_URL": fake.url,
    }
    export = write_xlsx(tmp_path / "售后单导出-2026-11-26-09-30-00.xlsx", [aftersale(发货物流单号=n) for n in ZTO])
    done = run_cli("import", export, "--now", DAY1, env=env)
    assert done.returncode == 0, done.stderr
    return env


def test_intercept_kuaidi100_without_yes_and_without_a_terminal_asks_nothing(
    cli_env: dict[str, str], fake: FakeKuaidi100
) -> None:
    refused = run_cli("intercept", "--kuaidi100", "--courier", "中通", "--now", DAY1, env=cli_env, stdin="")
    assert refused.returncode == 2 and "--yes" in refused.stderr and "快递100" in refused.stderr
    assert all(number in refused.stdout for number in ZTO)
    both = run_cli("intercept", "--kuaidi100", "--platform", "--all", "--yes", env=cli_env, stdin="")
    assert both.returncode == 2 and "只能选一个" in both.stderr
    no_url = run_cli("intercept", "--kuaidi100", "--all", "--yes", env={**cli_env, "LANJIE_PUBLIC_URL": ""}, stdin="")
    assert no_url.returncode == 2 and "public_url" in no_url.stderr
    assert fake.received == []


def test_intercept_kuaidi100_with_yes_asks_and_records(cli_env: dict[str, str], fake: FakeKuaidi100) -> None:
    done = run_cli("intercept", "--kuaidi100", "--all", "--yes", "--json", "--now", DAY1, env=cli_env, stdin="")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert [r["tracking_no"] for r in answer["requested"]] == ZTO and answer["stopped"] is None
    salt = callback_salt(load_settings(secret_key=SECRET))
    assert [p["kuaidinum"] for p in fake.intercepts] == ZTO and {p["salt"] for p in fake.intercepts} == {salt}
    again = run_cli("intercept", "--kuaidi100", "--all", "--yes", "--now", DAY1, env=cli_env, stdin="")
    assert again.returncode == 0 and "已由 小王" in again.stdout and len(fake.intercepts) == 3
