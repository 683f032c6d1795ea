"""Team mode that really locks: sessions kept in the ledger, uploads refused before their body is
read, logins throttled per address and account in equal time, a Host allow-list, security
headers, and error pages in the user's language. In-process through Starlette's TestClient and
the raw ASGI interface, on SQLite and PostgreSQL."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from exports import run_cli
from lanjie.config import load_settings
from lanjie.ledger.accounts import add_user, remove_user, set_password
from lanjie.ledger.schema import interceptions, sessions
from lanjie.web.app import create_app
from lanjie.web.guard import CSP
from webtools import SECRET, Browser, Clock, make_app

PASSWORD = "correct horse battery"
MB = 1024 * 1024


def login(web: Browser, name: str = "小李", password: str = PASSWORD) -> object:
    web.get("/login")
    return web.post("/login", {"name": name, "password": password, "next": "/"})


def team_app(ledger: Engine, clock: Clock, **options: object) -> FastAPI:
    settings = options.pop("settings", None) or load_settings(partners="zhongtong")
    return create_app(ledger=ledger, settings=settings, team=True, secret=SECRET, clock=clock, **options)  # type: ignore[arg-type]


@pytest.fixture
def colleague(ledger: Engine, clock: Clock) -> str:
    add_user(ledger, "小李", PASSWORD, now=clock())
    return "小李"


def session_count(ledger: Engine) -> int:
    with ledger.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(sessions)).scalar_one())


# --- 1. sessions kept in the ledger


def test_logout_ends_the_session_even_for_a_copied_cookie(ledger: Engine, clock: Clock, colleague: str) -> None:
    app = team_app(ledger, clock)
    with TestClient(app, follow_redirects=False) as client:
        web = Browser(client)
        assert login(web).status_code == 303
        assert web.get("/remarks").status_code == 200
        copied, csrf = dict(client.cookies), web.csrf
        assert session_count(ledger) == 1
        assert web.post("/logout").status_code == 303
        assert session_count(ledger) == 0
    with TestClient(app, follow_redirects=False, cookies=copied) as replay:  # the old cookie, replayed
        assert replay.get("/remarks").headers["location"] == "/login?next=/remarks"
        sent = replay.post("/couriers/sent", data={"csrf": csrf, "parcel": ["1:73610555582881"]})
        assert sent.status_code == 401 and "请先登录" in sent.text
    with ledger.connect() as conn:
        assert conn.execute(select(func.count()).select_from(interceptions)).scalar_one() == 0


@pytest.mark.parametrize("how", ["remove", "password"])
def test_removing_an_account_or_changing_its_password_ends_its_sessions(
    ledger: Engine, clock: Clock, colleague: str, how: str
) -> None:
    with TestClient(team_app(ledger, clock), follow_redirects=False) as client:
        web = Browser(client)
        login(web)
        assert web.get("/").status_code == 200
        if how == "remove":
            assert remove_user(ledger, colleague)
        else:
            assert set_password(ledger, colleague, "another good password")
        assert client.get("/").headers["location"] == "/login?next=/"
        assert session_count(ledger) == 0
        if how == "password":
            assert login(web, password=PASSWORD).status_code == 401
            assert login(web, password="another good password").status_code == 303


def test_the_user_commands_end_sessions_at_once(ledger_url: str, ledger: Engine, clock: Clock, colleague: str) -> None:
    env = {"LANJIE_DATABASE_URL": ledger_url}
    with TestClient(team_app(ledger, clock), follow_redirects=False) as client:
        web = Browser(client)
        login(web)
        changed = run_cli("user", "password", colleague, "--password-stdin", env=env, stdin="another good password\n")
        assert changed.returncode == 0 and "登录都已退出" in changed.stdout, changed.stderr
        assert client.get("/").status_code == 303
        login(web, password="another good password")
        assert client.get("/").status_code == 200
        assert run_cli("user", "remove", colleague, env=env).returncode == 0
        assert client.get("/").status_code == 303


def test_a_ledger_with_accounts_asks_for_a_login_even_on_this_computer(
    ledger: Engine, clock: Clock, colleague: str
) -> None:
    with make_app(ledger, clock, team=False) as client:  # served on 127.0.0.1
        assert client.get("/").headers["location"] == "/login?next=/"
        assert client.get("/operator").headers["location"].startswith("/login")
        web = Browser(client)
        web.get("/operator")
        web.post("/operator", {"name": "冒名", "next": "/"})
        assert client.get("/").status_code == 303  # picking a name is not a login
        assert login(web).status_code == 303 and client.get("/").status_code == 200


def test_sessions_unused_for_two_weeks_end(ledger: Engine, clock: Clock, colleague: str) -> None:
    from datetime import timedelta

    with TestClient(team_app(ledger, clock), follow_redirects=False) as client:
        login(Browser(client))
        clock.moment += timedelta(days=13)
        assert client.get("/").status_code == 200  # seen again: the two weeks start over
        clock.moment += timedelta(days=13)
        assert client.get("/").status_code == 200
        clock.moment += timedelta(days=15)
        assert client.get("/").status_code == 303


# --- 2. uploads: who and how much before a byte is read


class Asgi:
    """One request straight through the ASGI interface, counting the body chunks the app read."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.reads = 0
        self.status = 0
        self.body = bytearray()

    def post(self, path: str, headers: dict[str, str], chunks: Iterator[bytes]) -> Asgi:
        anyio.run(self._post, path, headers, chunks)
        return self

    async def _post(self, path: str, headers: dict[str, str], chunks: Iterator[bytes]) -> None:
        pending = iter(chunks)
        following = next(pending, None)

        async def receive() -> dict[str, object]:
            nonlocal following
            if following is None:
                await anyio.sleep(3600)  # a client that sent everything and waits
            self.reads += 1
            body, following = following, next(pending, None)
            return {"type": "http.request", "body": body, "more_body": following is not None}

        async def send(message: dict[str, object]) -> None:
            if message["type"] == "http.response.start":
                self.status = int(message["status"])  # type: ignore[call-overload]
            elif message["type"] == "http.response.body":
                self.body += message.get("body", b"")  # type: ignore[operator]

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(k.lower().encode(), v.encode("latin-1")) for k, v in headers.items()],
            "client": ("192.0.2.7", 50000),
            "server": ("testserver", 80),
            "state": {},
        }
        await self.app(scope, receive, send)  # type: ignore[arg-type]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def endless(head: bytes = b"", chunk: int = 64 * 1024) -> Iterator[bytes]:
    """A body that never ends (200 MB and more): what matters is how much of it is read."""
    if head:
        yield head
    block = b"x" * chunk
    while True:
        yield block


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


@pytest.fixture
def temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system's temporary folder, for this test alone: uploads must leave nothing in it."""
    folder = tmp_path / "system-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


BOUNDARY = "----lanjieboundary"
MULTIPART = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}


def multipart_head(csrf: str, filename: str = "售后.csv") -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="{filename}"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()


def logged_in_cookie(app: FastAPI) -> tuple[str, str]:
    with TestClient(app, follow_redirects=False) as client:
        web = Browser(client)
        assert login(web).status_code == 303
        web.get("/import")
        return f"lanjie_session={client.cookies['lanjie_session']}", web.csrf


def test_an_anonymous_upload_is_refused_before_its_body_is_read(
    ledger: Engine, clock: Clock, colleague: str, temp_dir: Path
) -> None:
    app = team_app(ledger, clock)
    declared = Asgi(app).post("/import", {**MULTIPART, "content-length": str(200 * MB)}, endless())
    assert declared.status == 401 and declared.reads == 0 and "请先登录" in declared.text
    chunked = Asgi(app).post("/import", MULTIPART, endless())  # no length said
    assert chunked.status == 401 and chunked.reads == 0
    for post in ("/couriers/sent", "/remarks/done"):
        assert Asgi(app).post(post, {"content-length": str(200 * MB)}, endless()).reads == 0
    assert files_under(temp_dir) == []


def test_an_upload_over_the_limit_gets_413_and_leaves_no_files(
    ledger: Engine, clock: Clock, colleague: str, temp_dir: Path
) -> None:
    app = team_app(ledger, clock, settings=load_settings(partners="zhongtong", max_upload_mb=1))
    cookie, csrf = logged_in_cookie(app)
    headers = {**MULTIPART, "cookie": cookie}
    declared = Asgi(app).post("/import", {**headers, "content-length": str(200 * MB)}, endless(multipart_head(csrf)))
    assert declared.status == 413 and declared.reads == 0
    assert "文件太大（超过 1 MB）" in declared.text and "<html" in declared.text
    streamed = Asgi(app).post("/import", headers, endless(multipart_head(csrf)))  # chunked: counted as it comes
    assert streamed.status == 413 and "文件太大" in streamed.text
    assert streamed.reads * 64 * 1024 < 1.2 * MB  # stopped at the limit, not at the end of 200 MB
    assert files_under(temp_dir) == []


def test_a_forged_upload_writes_nothing(ledger: Engine, clock: Clock, colleague: str, temp_dir: Path) -> None:
    app = team_app(ledger, clock)
    cookie, _ = logged_in_cookie(app)
    forged = Asgi(app).post("/import", {**MULTIPART, "cookie": cookie}, endless(multipart_head("forged")))
    assert forged.status == 403 and forged.reads <= 2 and "页面已过期" in forged.text
    header = Asgi(app).post("/import", {**MULTIPART, "cookie": cookie, "x-csrf-token": "forged"}, endless())
    assert header.status == 403 and header.reads == 0
    assert files_under(temp_dir) == []


def test_other_posts_are_limited_too(browser: Browser) -> None:
    big = browser.client.post("/remarks/done", data={"csrf": browser.csrf, "item": "x" * (3 * MB)})
    assert big.status_code == 413 and "提交的内容太大" in big.text


# --- 4. logins throttled per address and account, in equal time


@pytest.fixture
def quick_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    """The delay every failed login costs, shortened where the test counts answers, not time."""
    monkeypatch.setattr("lanjie.web.routes.auth.FAILED_LOGIN_DELAY", 0.01)


@pytest.mark.usefixtures("quick_failures")
def test_a_stranger_cannot_lock_out_a_colleague(ledger: Engine, clock: Clock, colleague: str) -> None:
    app = team_app(ledger, clock)
    with TestClient(app, follow_redirects=False, client=("192.0.2.66", 4000)) as stranger:
        web = Browser(stranger)
        answers = [login(web, password=f"guess {i}").status_code for i in range(8)]  # type: ignore[attr-defined]
        assert answers[:3] == [401] * 3 and set(answers[3:]) == {429}
        assert login(web).status_code == 429  # even the right password waits, from there
    with TestClient(app, follow_redirects=False, client=("192.0.2.10", 4000)) as own_pc:
        assert login(Browser(own_pc)).status_code == 303


@pytest.mark.usefixtures("quick_failures")
def test_one_address_trying_many_names_is_slowed_down(ledger: Engine, clock: Clock, colleague: str) -> None:
    with TestClient(team_app(ledger, clock), follow_redirects=False, client=("192.0.2.66", 4000)) as stranger:
        web = Browser(stranger)
        answers = [login(web, f"名字{i}", "guess").status_code for i in range(11)]  # type: ignore[attr-defined]
        assert answers[:10] == [401] * 10 and answers[10] == 429


def test_known_and_unknown_names_answer_alike_and_in_equal_time(ledger: Engine, clock: Clock, colleague: str) -> None:
    with TestClient(team_app(ledger, clock), follow_redirects=False) as client:
        web = Browser(client)
        times: dict[str, list[float]] = {colleague: [], "没有这个人": []}
        statuses: dict[str, list[int]] = {colleague: [], "没有这个人": []}
        for _ in range(5):  # 3 free tries each, then both throttled: nothing tells the names apart
            for name in times:
                web.get("/login")
                start = time.perf_counter()
                response = web.post("/login", {"name": name, "password": "wrong password"})
                times[name].append(time.perf_counter() - start)
                statuses[name].append(response.status_code)  # type: ignore[attr-defined]
        assert statuses[colleague] == statuses["没有这个人"] == [401, 401, 401, 429, 429]
        known, unknown = (statistics.median(times[name]) for name in times)
        assert abs(known - unknown) < 0.1, (known, unknown)


# --- 5, 6. the Host allow-list, security headers, secure cookies


def test_a_foreign_host_gets_a_chinese_400(ledger: Engine, clock: Clock) -> None:
    app = create_app(
        ledger=ledger, settings=load_settings(), team=False, secret=SECRET, clock=clock, allowed_hosts=["127.0.0.1"]
    )
    with TestClient(app, base_url="http://attacker.example:8000", follow_redirects=False) as rebound:
        for response in (
            rebound.get("/"),
            rebound.get("/downloads/files/decisions.json"),
            rebound.get("/static/app-1.js"),
        ):
            assert response.status_code == 400
            assert "不能用「attacker.example」这个地址打开工作台" in response.text and "--allowed-host" in response.text
        assert rebound.post("/operator", data={"name": "x"}).status_code == 400
        assert "set-cookie" not in rebound.get("/").headers
    with TestClient(app, base_url="http://127.0.0.1:8000", follow_redirects=False) as local:
        assert local.get("/").status_code == 303


def test_every_answer_carries_the_security_headers(browser: Browser) -> None:
    for response in (browser.get("/"), browser.get("/static/app-1.css"), browser.get("/nothing-here")):
        headers = response.headers  # type: ignore[attr-defined]
        assert headers["content-security-policy"] == CSP
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
        assert "strict-transport-security" not in headers
    assert "script-src 'self'" in CSP and "'unsafe-inline'" not in CSP and "frame-ancestors 'none'" in CSP


def test_pages_have_no_inline_scripts_or_styles() -> None:
    """What the CSP forbids: inline <script>, style= and on…= attributes (one known exception)."""
    import re

    templates = Path(__file__).resolve().parents[2] / "src" / "lanjie" / "web" / "templates"
    found = []
    for template in sorted(templates.glob("*.html")):
        for number, line in enumerate(template.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=", line):
                found.append(f"{template.name}:{number}")
    allowed = {"_shops.html"}  # onchange="this.form.submit()", allowed by its hash in the CSP
    assert [f for f in found if f.split(":")[0] not in allowed] == []


def test_secure_cookies_behind_https(ledger: Engine, clock: Clock, colleague: str) -> None:
    app = team_app(ledger, clock, secure_cookies=True)
    with TestClient(app, base_url="https://shop.example", follow_redirects=False) as client:
        response = client.get("/login")
        assert "secure" in response.headers["set-cookie"].lower() and "httponly" in response.headers["set-cookie"]
        assert response.headers["strict-transport-security"].startswith("max-age=")
    with make_app(ledger, clock, team=True) as plain:
        assert "secure" not in plain.get("/login").headers["set-cookie"].lower()
    assert load_settings(secure_cookies=True).secure_cookies


# --- 7. error pages in the user's language


def test_errors_are_pages_that_say_what_to_do(ledger: Engine, clock: Clock) -> None:
    app = create_app(ledger=ledger, settings=load_settings(), team=False, secret=SECRET, clock=clock)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret detail in a traceback")

    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        web = Browser(client)
        web.get("/operator")
        web.post("/operator", {"name": "小王", "next": "/"})
        missing = client.get("/no-such-page")
        assert missing.status_code == 404 and "没有这个页面" in missing.text and "<html" in missing.text
        assert missing.headers["content-type"].startswith("text/html") and "detail" not in missing.text
        wrong = client.get("/?page=abc")
        assert wrong.status_code == 422 and "网址里的参数不对（page）" in wrong.text
        assert client.get("/logout").status_code == 405 and "不能这样打开" in client.get("/logout").text
        broken = client.get("/boom")
        assert broken.status_code == 500 and "工作台内部出错了" in broken.text
        assert "secret detail" not in broken.text and "Traceback" not in broken.text
        assert broken.headers["content-security-policy"] == CSP
        fragment = client.get("/no-such-page", headers={"HX-Request": "true"})
        assert fragment.status_code == 404 and "没有这个页面" in fragment.text and "<html" not in fragment.text


def test_error_pages_speak_english_when_asked(ledger: Engine, clock: Clock) -> None:
    app = create_app(ledger=ledger, settings=load_settings(lang="en"), team=False, secret=SECRET, clock=clock)
    with TestClient(app, follow_redirects=False) as client:
        web = Browser(client)
        web.get("/operator")
        web.post("/operator", {"name": "Wang", "next": "/"})
        missing = client.get("/no-such-page")
        assert missing.status_code == 404 and "There is no such page" in missing.text
        assert "Back to the workbench" in missing.text and "没有这个页面" not in missing.text
        assert "wrong parameter (page)" in client.get("/?page=abc").text


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "/\t/evil.example", "https://evil.example"])
def test_after_login_only_pages_of_this_site(ledger: Engine, clock: Clock, colleague: str, target: str) -> None:
    with TestClient(team_app(ledger, clock), follow_redirects=False) as client:
        web = Browser(client)
        web.get("/login")
        answer = web.post("/login", {"name": colleague, "password": PASSWORD, "next": target})
        assert answer.headers["location"] == "/"  # type: ignore[attr-defined]
