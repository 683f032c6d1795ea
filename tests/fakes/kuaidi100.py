"""A fake 快递100 on a real local HTTP server: ``/poll/query.do`` and ``/label/order`` (interceptOrder).

It checks what the documents describe, with the formulas written out again here so that the client is
checked against them: ``sign = upper(md5(param + key + customer))`` for a query, ``upper(md5(param + t +
key + secret))`` for an interception, and it signs its result callbacks with ``upper(md5(param + salt))``.
Its clock is ``now`` (Unix seconds), moved by tests with :meth:`FakeKuaidi100.advance`.

    with FakeKuaidi100() as fake:
        fake.track("YT8962646785389", "yuantong", "0", [("2026-05-18 08:00:00", "【杭州】已揽收")])
        client = Kuaidi100Client(fake.customer, fake.key, secret=fake.secret, base_url=fake.url,
                                 intercept_base_url=fake.url, clock=fake.clock)

Answers the documents give: 400, 408, 500, 501/502, 503, 601 with their messages. Stand-ins (nothing
published): the lock's answer (LOCKED), the interception's error codes (INTERCEPT_*), the shape of the
callback's ``param`` (CALLBACK fields below).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fakes.local_http import reply, serve, stop

LOCK_SECONDS = 30 * 60
KNOWN_COMS = frozenset({"shunfeng", "zhongtong", "yuantong", "yunda", "shentong", "jtexpress", "jd", "ems"})
PHONE_COMS = frozenset({"shunfeng", "shunfengkuaiyun", "zhongtong"})
NEEDS_CALLBACK = frozenset({"zhongtong", "jtexpress", "yuantong"})
INTERCEPT_TYPES = frozenset({"RETURN_SEND_STATION", "RETURN_SEND_ADDR", "MODIFY_ADDR"})
STATE_NAMES = {"0": "在途", "1": "揽收", "2": "疑难", "3": "签收", "4": "退签", "5": "派件", "6": "退回", "14": "拒签"}

BAD_PARAMS = ("400", "找不到对应公司")
PHONE_FAILED = ("408", "快递公司参数异常：验证码错误")
NO_RESULT = ("500", "查询无结果，请隔段时间再查")
BUSY = ("502", "服务器繁忙")
BAD_SIGN = ("503", "验证签名失败")
KEY_EXPIRED = ("601", "POLL:KEY已过期")
LOCKED = ("500", "该单号查询过于频繁，已被锁定，请半小时后再查")  # stand-in: the real answer is not published
INTERCEPT_BAD_SIGN = (30002, "签名错误")  # stand-ins: interception codes are not published
INTERCEPT_NO_BALANCE = (30004, "账户余额不足")
INTERCEPT_TOO_LATE = (30010, "快件已签收，无法拦截")
INTERCEPT_BAD_PARAM = (30001, "参数错误：{name}")


@dataclass
class Track:
    com: str
    state: str
    lines: list[tuple[str, str]]  # (time, context), newest first
    phone: str = ""
    ischeck: bool = False


@dataclass
class FakeKuaidi100:
    customer: str = "FAKECUSTOMER0001"
    key: str = "fake-kuaidi100-key"
    secret: str = "fake-kuaidi100-secret-不要外传"
    now: float = 1_779_066_000.0  # 2026-05-18 09:00 Beijing time
    account_ok: bool = True
    busy_next: int = 0  # answer this many queries with 502
    drop_next: int = 0  # close this many connections without an answer
    tracks: dict[str, Track] = field(default_factory=dict)
    queries: Counter[str] = field(default_factory=Counter)  # every query that named a number
    intercepts: list[dict[str, Any]] = field(default_factory=list)  # accepted interceptOrder params
    outcomes: dict[str, tuple[str, str]] = field(default_factory=dict)  # number → (status, message) to call back
    received: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (path, form) of every request
    _answered_at: dict[str, float] = field(default_factory=dict)
    _pending: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    # Running

    def __enter__(self) -> FakeKuaidi100:
        self._server, self._thread = serve(self._handle)
        return self

    def __exit__(self, *_: object) -> None:
        stop(self._server, self._thread)

    @property
    def url(self) -> str:
        assert self._server is not None, "use FakeKuaidi100 as a context manager"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def clock(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def track(
        self, number: str, com: str, state: str, lines: list[tuple[str, str]], *, phone: str = "", ischeck: bool = False
    ) -> None:
        self.tracks[number] = Track(com, state, lines, phone, ischeck)

    # The protocol

    def _handle(self, http: BaseHTTPRequestHandler) -> None:
        split = urlsplit(http.path)
        body = http.rfile.read(int(http.headers.get("Content-Length") or 0)).decode("utf-8")
        form = {name: values[-1] for name, values in parse_qs(body, keep_blank_values=True).items()}
        query = {name: values[-1] for name, values in parse_qs(split.query).items()}
        with self._lock:
            self.received.append((split.path, form))
            if self.drop_next > 0:
                self.drop_next -= 1
                http.close_connection = True
                return
            if split.path == "/poll/query.do":
                answer = self._query(form)
            elif split.path == "/label/order":
                answer = self._intercept({**query, **form})
            else:
                answer = {"result": False, "returnCode": "404", "message": "no such path"}
        reply(http, answer)

    def _query(self, form: dict[str, str]) -> dict[str, Any]:
        param, sign = form.get("param", ""), form.get("sign", "")
        if not param or not sign or form.get("customer") != self.customer:
            return failure(*BAD_PARAMS)
        if sign != md5_upper(param + self.key + self.customer):
            return failure(*BAD_SIGN)
        if not self.account_ok:
            return failure(*KEY_EXPIRED)
        if self.busy_next > 0:
            self.busy_next -= 1
            return failure(*BUSY)
        try:
            params = json.loads(param)
        except ValueError:
            return failure(*BAD_PARAMS)
        com, number = str(params.get("com", "")), str(params.get("num", ""))
        if com not in KNOWN_COMS or not number:
            return failure(*BAD_PARAMS)
        self.queries[number] += 1
        answered = self._answered_at.get(number)
        if answered is not None and self.now - answered < LOCK_SECONDS:
            return failure(*LOCKED)
        track = self.tracks.get(number)
        if track is None or track.com != com:
            return failure(*NO_RESULT)
        phone = str(params.get("phone", ""))
        if com in PHONE_COMS and (len(phone) < 4 or not track.phone.endswith(phone[-4:])):
            return failure(*PHONE_FAILED)
        self._answered_at[number] = self.now
        return self._tracking(number, track, params.get("resultv2") == "1")

    @staticmethod
    def _tracking(number: str, track: Track, with_status: bool) -> dict[str, Any]:
        lines = []
        for when, context in track.lines:
            line = {"time": when, "ftime": when, "context": context, "location": ""}
            if with_status:
                line["status"] = STATE_NAMES.get(track.state, "在途")
            lines.append(line)
        return {
            "message": "ok",
            "nu": number,
            "ischeck": "1" if track.ischeck else "0",
            "condition": "00",
            "com": track.com,
            "status": "200",
            "state": track.state,
            "data": lines,
        }

    def _intercept(self, form: dict[str, str]) -> dict[str, Any]:
        if form.get("method") != "interceptOrder":
            return label_failure(*INTERCEPT_BAD_PARAM, name="method")
        param, stamp = form.get("param", ""), form.get("t", "")
        if form.get("key") != self.key or not stamp.isdigit():
            return label_failure(*INTERCEPT_BAD_PARAM, name="key/t")
        if form.get("sign") != md5_upper(param + stamp + self.key + self.secret):
            # Echoes what it was sent, as error answers may: the client must blank the key and salt out.
            return label_failure(INTERCEPT_BAD_SIGN[0], INTERCEPT_BAD_SIGN[1] + "（key={key} param={param}）", **form)
        if not self.account_ok:
            return label_failure(*INTERCEPT_NO_BALANCE)
        try:
            params = json.loads(param)
        except ValueError:
            return label_failure(*INTERCEPT_BAD_PARAM, name="param")
        for name in ("kuaidicom", "kuaidinum", "interceptType"):
            if not params.get(name):
                return label_failure(*INTERCEPT_BAD_PARAM, name=name)
        if params["interceptType"] not in INTERCEPT_TYPES:
            return label_failure(*INTERCEPT_BAD_PARAM, name="interceptType")
        if params["kuaidicom"] in NEEDS_CALLBACK and not params.get("callbackUrl"):
            return label_failure(*INTERCEPT_BAD_PARAM, name="callbackUrl")
        track = self.tracks.get(params["kuaidinum"])
        if track is not None and track.state in ("3", "4", "14"):
            return label_failure(*INTERCEPT_TOO_LATE)
        self.intercepts.append(params)
        self._pending.append(params)
        task = secrets.token_hex(8)
        return {"success": True, "code": 200, "message": "success", "data": {"taskId": task}, "time": 12}

    # Callbacks

    def deliver_callbacks(self) -> list[dict[str, Any]]:
        """Posts each accepted interception's result to its callbackUrl, signed with its salt; returns the answers.

        The outcome is ``outcomes[number]`` (status, message), by default ("1", "拦截成功").
        """
        with self._lock:
            pending, self._pending = self._pending, []
        answers = []
        for params in pending:
            status, message = self.outcomes.get(params["kuaidinum"], ("1", "拦截成功"))
            content = {
                "kuaidicom": params["kuaidicom"],
                "kuaidinum": params["kuaidinum"],
                "interceptType": params["interceptType"],
                "status": status,
                "message": message,
            }
            form = callback_form(content, str(params.get("salt", "")))
            answers.append(post_form(str(params["callbackUrl"]), form))
        return answers


def callback_form(content: dict[str, Any], salt: str) -> dict[str, str]:
    """The form 快递100 posts to a callback URL: ``param`` and ``sign = upper(md5(param + salt))``."""
    param = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return {"param": param, "sign": md5_upper(param + salt)}


def post_form(url: str, form: dict[str, str]) -> dict[str, Any]:
    data = urlencode(form).encode("utf-8")
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=5) as response:
        answer: dict[str, Any] = json.loads(response.read().decode("utf-8"))
    return answer


def md5_upper(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


def failure(code: str, message: str) -> dict[str, Any]:
    return {"result": False, "returnCode": code, "message": message}


def label_failure(code: int, message: str, **fields: str) -> dict[str, Any]:
    return {"success": False, "code": code, "message": message.format_map(fields), "time": 3}


@dataclass
class CallbackReceiver:
    """A real local server standing in for lanjie's callback URL: it records the forms it receives and
    answers each with ``answer(form)`` (by default 快递100's documented "received" answer)."""

    answer: Callable[[dict[str, str]], dict[str, Any]] | None = None
    forms: list[dict[str, str]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def __enter__(self) -> CallbackReceiver:
        self._server, self._thread = serve(self._handle)
        return self

    def __exit__(self, *_: object) -> None:
        stop(self._server, self._thread)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/kuaidi100/intercept-callback"

    def _handle(self, http: BaseHTTPRequestHandler) -> None:
        body = http.rfile.read(int(http.headers.get("Content-Length") or 0)).decode("utf-8")
        form = {name: values[-1] for name, values in parse_qs(body, keep_blank_values=True).items()}
        self.forms.append(form)
        answer = self.answer(form) if self.answer else {"result": True, "returnCode": "200", "message": "成功"}
        reply(http, answer)
