"""The same locks against a real `lanjie serve` (uvicorn in its own process), on SQLite and
PostgreSQL: the Host allow-list, uploads refused before they reach the disk, and password
hashing that leaves the event loop free."""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import Engine

from exports import NOW
from lanjie.ledger.accounts import add_user

PASSWORD = "correct horse battery"
MB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    port: int
    temp: Path  # the server's TMPDIR

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def raw(self, request: bytes, body: Iterator[bytes], *, stop_after: int = MB // 4) -> str:
        """Send a request by hand (a body that may be far longer than what gets sent), then read
        the answer: its status line and page."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=15) as conn:
            conn.sendall(request)
            sent = 0
            for chunk in body:
                try:
                    conn.sendall(chunk)
                except OSError:
                    break
                sent += len(chunk)
                if sent >= stop_after:
                    break
            answer = bytearray()
            try:
                while data := conn.recv(65536):
                    answer += data
                    if b"</html>" in answer:
                        break
            except OSError:
                pass
        return answer.decode("utf-8", "replace")


@contextmanager
def serving(ledger_url: str, tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    server = Server(free_port(), tmp_path / "server-tmp")
    server.temp.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "lanjie", "serve", "--port", str(server.port), *args],
        env={**os.environ, "LANJIE_DATABASE_URL": ledger_url, "TMPDIR": str(server.temp), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(process.communicate()[1]) from None
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        process.communicate(timeout=20)


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def login(client: httpx.Client, name: str = "小李", password: str = PASSWORD) -> httpx.Response:
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf, page.text
    return client.post("/login", data={"csrf": csrf.group(1), "name": name, "password": password, "next": "/"})


@pytest.fixture
def colleague(ledger: Engine) -> str:
    add_user(ledger, "小李", PASSWORD, now=NOW)
    return "小李"


def test_serve_refuses_foreign_hosts_and_asks_for_a_login_on_this_computer(
    ledger_url: str, tmp_path: Path, colleague: str
) -> None:
    with serving(ledger_url, tmp_path, "--allowed-host", "Shop-PC") as server:
        for host in ("attacker.example", f"attacker.example:{server.port}", "127.0.0.2"):
            with httpx.Client(base_url=server.url, headers={"Host": host}) as rebound:
                page = rebound.get("/downloads/files/decisions.json")
                assert page.status_code == 400 and "这个地址打开工作台" in page.text, host
                assert rebound.post("/operator", data={"name": "x"}).status_code == 400
        for host in (f"127.0.0.1:{server.port}", f"localhost:{server.port}", f"shop-pc:{server.port}"):
            with httpx.Client(base_url=server.url, headers={"Host": host}) as allowed:
                home = allowed.get("/")
                assert home.status_code == 303 and home.headers["location"] == "/login?next=/", host
                assert "content-security-policy" in home.headers and "server" not in home.headers


def test_serve_refuses_big_uploads_before_they_reach_the_disk(ledger_url: str, tmp_path: Path, colleague: str) -> None:
    with serving(ledger_url, tmp_path, env={"LANJIE_MAX_UPLOAD_MB": "1"}) as server:
        head = (
            "POST /import HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: multipart/form-data; boundary=b\r\n"
            "{extra}\r\n"
        )
        endless = iter(lambda: b"x" * 65536, None)
        anonymous = server.raw(head.format(port=server.port, extra=f"Content-Length: {200 * MB}\r\n").encode(), endless)
        assert anonymous.startswith("HTTP/1.1 401") and "请先登录" in anonymous
        with httpx.Client(base_url=server.url) as client:
            assert login(client).status_code == 303
            csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/import").text)
            assert csrf
            cookie = f"Cookie: lanjie_session={client.cookies['lanjie_session']}\r\n"
        declared = server.raw(
            head.format(port=server.port, extra=f"{cookie}Content-Length: {200 * MB}\r\n").encode(), endless
        )
        assert declared.startswith("HTTP/1.1 413") and "文件太大" in declared
        form = (
            f'--b\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf.group(1)}\r\n'
            '--b\r\nContent-Disposition: form-data; name="files"; filename="big.csv"\r\n\r\n'
        ).encode()

        def chunked() -> Iterator[bytes]:  # no length said: counted while it streams in
            for piece in (form, *(b"x" * 65536 for _ in range(3200))):
                yield b"%x\r\n%s\r\n" % (len(piece), piece)

        streamed = server.raw(
            head.format(port=server.port, extra=f"{cookie}Transfer-Encoding: chunked\r\n").encode(),
            chunked(),
            stop_after=3 * MB // 2,
        )
        assert streamed.startswith("HTTP/1.1 413") and "文件太大" in streamed
        time.sleep(0.2)
        assert files_under(server.temp) == []


def test_logins_leave_the_server_free_for_others(ledger_url: str, tmp_path: Path, colleague: str) -> None:
    with serving(ledger_url, tmp_path) as server:
        with httpx.Client(base_url=server.url) as quiet:
            quiet.get("/static/app-1.css")
            before = [_timed(quiet, "/static/app-1.css") for _ in range(5)]
        stop = threading.Event()

        def flood() -> None:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                while not stop.is_set():
                    login(client, password="wrong password")

        threads = [threading.Thread(target=flood) for _ in range(8)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(1.0)
            with httpx.Client(base_url=server.url, timeout=30) as client:
                during = [_timed(client, "/static/app-1.css") for _ in range(10)]
        finally:
            stop.set()
            for thread in threads:
                thread.join()
    assert statistics.median(during) < 0.25, (before, during)


def _timed(client: httpx.Client, path: str) -> float:
    start = time.perf_counter()
    assert client.get(path).status_code == 200
    return time.perf_counter() - start
