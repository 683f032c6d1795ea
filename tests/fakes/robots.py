"""One fake of the three group robots (企业微信, 钉钉, 飞书) on a real local HTTP server.

Each robot is registered by a test and gets a webhook URL of its real path shape on this server:
``/cgi-bin/webhook/send?key=K``, ``/robot/send?access_token=T``, ``/open-apis/bot/v2/hook/T``. The fake
checks what the documents describe: the body's shape, the size limits (企业微信 text ≤ 2048 bytes →
errcode 40058; 钉钉 ≤ 20000 bytes; 飞书 body ≤ 20 KB), the rate limits on its own clock (20 a minute
per robot → 企业微信 45009, 钉钉 130101; 飞书 100 a minute and 5 a second → 11232), 钉钉's signature
(``timestamp`` in ms within an hour, ``sign = base64(HMAC-SHA256(secret, timestamp + "\\n" + secret))``,
URL-encoded → 310000 when wrong) and 飞书's (``sign = base64(HMAC-SHA256(timestamp + "\\n" + secret,
""))`` → 19021). Its clock is ``now``, moved with :meth:`FakeRobots.advance`.

    with FakeRobots() as fake:
        group = fake.add("wecom")
        sender = RobotSender(clock=fake.clock, sleep=fake.advance)

Stand-ins (not published): 钉钉's and 飞书's too-long answers (TOO_LONG), the unknown-webhook answers
(UNKNOWN), and the answer of a message a test makes fail (REFUSED, errcode/code -1 "系统繁忙").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fakes.local_http import reply, serve, stop

WECOM_PATH = "/cgi-bin/webhook/send"
DINGTALK_PATH = "/robot/send"
FEISHU_PREFIX = "/open-apis/bot/v2/hook/"
MAX_BYTES = {"wecom": 2048, "dingtalk": 20000, "feishu": 20 * 1024}
PER_MINUTE = {"wecom": 20, "dingtalk": 20, "feishu": 100}
FEISHU_PER_SECOND = 5
SIGN_WINDOW = 3600  # seconds: 钉钉 and 飞书 take a timestamp within an hour of their clock

TOO_LONG = {
    "wecom": (40058, "text.content exceed max length 2048"),
    "dingtalk": (460101, "message too long"),  # stand-in
    "feishu": (9499, "Bad Request: body too large"),  # stand-in
}
THROTTLED = {
    "wecom": (45009, "api freq out of limit"),
    "dingtalk": (130101, "send too fast, exceed 20 times per minute"),
    "feishu": (11232, "frequency limited"),
}
BAD_SIGN = {
    "dingtalk": (310000, "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"),
    "feishu": (19021, "sign match fail or timestamp is not within one hour from current time"),
}
UNKNOWN = {
    "wecom": (93000, "invalid webhook url, hint: [{token}]"),  # echoes the key: the client must blank it out
    "dingtalk": (300001, "token is not exist"),  # stand-in
    "feishu": (19001, "param invalid: incoming webhook access token invalid"),
}
REFUSED = (-1, "系统繁忙")
BAD_BODY = {
    "wecom": (40008, "invalid message type"),
    "dingtalk": (40035, "缺少参数 json"),
    "feishu": (9499, "Bad Request"),
}


@dataclass
class FakeRobot:
    kind: str  # "wecom", "dingtalk" or "feishu"
    token: str
    url: str
    secret: str = ""
    fail_on: set[int] = field(default_factory=set)  # the N-th message this robot receives (from 1) is refused
    received: int = 0
    messages: list[str] = field(default_factory=list)  # the texts it accepted, in order
    request_times: list[float] = field(default_factory=list)  # every request it counted against its limits


@dataclass
class FakeRobots:
    now: float = 1_779_066_000.0
    robots: dict[str, FakeRobot] = field(default_factory=dict)  # token → robot
    queries: list[dict[str, str]] = field(default_factory=list)  # the query of every request, in order
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def __enter__(self) -> FakeRobots:
        self._server, self._thread = serve(self._handle)
        return self

    def __exit__(self, *_: object) -> None:
        stop(self._server, self._thread)

    @property
    def base(self) -> str:
        assert self._server is not None, "use FakeRobots as a context manager"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def clock(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def add(self, kind: str, *, secret: str = "") -> FakeRobot:
        token = secrets.token_hex(16)
        paths = {"wecom": f"{WECOM_PATH}?key={token}", "dingtalk": f"{DINGTALK_PATH}?access_token={token}"}
        url = self.base + paths.get(kind, FEISHU_PREFIX + token)
        robot = FakeRobot(kind, token, url, secret)
        self.robots[token] = robot
        return robot

    @property
    def accepted(self) -> list[tuple[str, str]]:
        """(kind, text) of every accepted message, robot by robot."""
        return [(robot.kind, text) for robot in self.robots.values() for text in robot.messages]

    # The protocol

    def _handle(self, http: BaseHTTPRequestHandler) -> None:
        split = urlsplit(http.path)
        body = http.rfile.read(int(http.headers.get("Content-Length") or 0))
        query = {name: values[-1] for name, values in parse_qs(split.query, keep_blank_values=True).items()}
        with self._lock:
            self.queries.append(query)
            kind, token = self._route(split.path, query)
            answer = self._answer(kind, token, query, body)
        reply(http, answer)

    @staticmethod
    def _route(path: str, query: dict[str, str]) -> tuple[str, str]:
        if path == WECOM_PATH:
            return "wecom", query.get("key", "")
        if path == DINGTALK_PATH:
            return "dingtalk", query.get("access_token", "")
        if path.startswith(FEISHU_PREFIX):
            return "feishu", path[len(FEISHU_PREFIX) :]
        return "wecom", ""

    def _answer(self, kind: str, token: str, query: dict[str, str], body: bytes) -> dict[str, Any]:
        robot = self.robots.get(token)
        if robot is None or robot.kind != kind:
            code, message = UNKNOWN[kind]
            return answer_of(kind, code, message.format(token=token))
        try:
            payload = json.loads(body.decode("utf-8"))
        except ValueError:
            return answer_of(kind, *BAD_BODY[kind])
        text = text_of(kind, payload)
        if text is None:
            return answer_of(kind, *BAD_BODY[kind])
        if not self._signed(robot, query, payload):
            return answer_of(kind, *BAD_SIGN[kind])
        if self._over_rate(robot):
            return answer_of(kind, *THROTTLED[kind])
        robot.request_times.append(self.now)
        size = len(body) if kind == "feishu" else len(text.encode("utf-8"))
        if size > MAX_BYTES[kind]:
            return answer_of(kind, *TOO_LONG[kind])
        robot.received += 1
        if robot.received in robot.fail_on:
            return answer_of(kind, *REFUSED)
        robot.messages.append(text)
        return answer_of(kind, 0, "ok")

    def _signed(self, robot: FakeRobot, query: dict[str, str], payload: dict[str, Any]) -> bool:
        if not robot.secret:
            return True
        if robot.kind == "dingtalk":
            stamp, sign = query.get("timestamp", ""), query.get("sign", "")
            if not stamp.isdigit() or abs(int(stamp) / 1000 - self.now) > SIGN_WINDOW:
                return False
            key = robot.secret.encode("utf-8")
            expected = hmac.new(key, f"{stamp}\n{robot.secret}".encode(), hashlib.sha256).digest()
            return hmac.compare_digest(sign, base64.b64encode(expected).decode("ascii"))
        if robot.kind == "feishu":
            stamp, sign = str(payload.get("timestamp", "")), str(payload.get("sign", ""))
            if not stamp.isdigit() or abs(int(stamp) - self.now) > SIGN_WINDOW:
                return False
            expected = hmac.new(f"{stamp}\n{robot.secret}".encode(), b"", hashlib.sha256).digest()
            return hmac.compare_digest(sign, base64.b64encode(expected).decode("ascii"))
        return True  # 企业微信 robots have no signing

    def _over_rate(self, robot: FakeRobot) -> bool:
        in_minute = [at for at in robot.request_times if at > self.now - 60]
        if len(in_minute) >= PER_MINUTE[robot.kind]:
            return True
        in_second = [at for at in robot.request_times if at > self.now - 1]
        return robot.kind == "feishu" and len(in_second) >= FEISHU_PER_SECOND


def text_of(kind: str, payload: object) -> str | None:
    """The text of a text message of the robot's body shape; None for any other shape."""
    if not isinstance(payload, dict):
        return None
    if kind == "feishu":
        content = payload.get("content")
        ok = payload.get("msg_type") == "text" and isinstance(content, dict)
        text = content.get("text") if ok and isinstance(content, dict) else None
    else:
        inner = payload.get("text")
        ok = payload.get("msgtype") == "text" and isinstance(inner, dict)
        text = inner.get("content") if ok and isinstance(inner, dict) else None
    return text if isinstance(text, str) and text else None


def answer_of(kind: str, code: int, message: str) -> dict[str, Any]:
    if kind == "feishu":
        return {"code": code, "msg": "success" if code == 0 else message, "data": {}}
    return {"errcode": code, "errmsg": message}
