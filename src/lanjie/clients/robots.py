"""Chat-group robots (企业微信, 钉钉, 飞书 webhooks): send a courier list, split and paced (DOMAIN.md §3a).

Public API
----------
- ``RobotKind``: ``WECOM``, ``DINGTALK``, ``FEISHU``; ``LIMITS[kind]`` its size and rate limits.
- ``detect_kind(url) -> RobotKind | None``: from the path shape (``/cgi-bin/webhook/send``,
  ``/robot/send``, ``/open-apis/bot/v2/hook/…``), so any host works (a local fake too).
- ``Robot.of(url, *, kind=None, secret="", name="") -> Robot``: a webhook; ``kind`` wins over
  detection; raises :class:`UnknownRobotUrl`. Its repr shows the kind, the host and the name, never
  the key, the token or the secret.
- ``split_message(text, kind, *, label=PART_LABEL) -> list[str]``: the courier's list (a header line,
  then one number per line) in parts within the robot's size limit. A line is never split; every part
  starts with the header, marked "（第 i/n 部分）" when there is more than one part. Raises
  :class:`LineTooLong` when one line cannot fit with the header.
- ``RobotSender(*, clock=time.time, sleep=time.sleep, timeout=10, transport=None, connect_retries=2,
  backoff=0.5)``; a context manager. It paces each robot (per webhook) to its rate limit with the
  injected clock and sleep, for as long as the sender lives:
  - ``send(robot, text) -> SendReport``: split, then ``send_parts``;
  - ``send_parts(robot, parts, *, start=1) -> SendReport``: posts parts ``start``… in order and stops
    at the first refused one (``start`` resumes after a failure);
  - ``post(robot, content) -> None``: one message; raises a :class:`RobotError`.
- ``SendReport``: ``parts``, ``sent`` (1-based numbers accepted by this call), ``failed`` (the number
  of the refused part or None), ``error``; ``complete`` is true when every part went out, which is
  when the caller may record the request. ``describe(lang)`` says it to a user.
- Errors, all :class:`RobotError` (``kind``, ``code``, ``message``, ``explain(lang)``; never the
  webhook key or secret): :class:`RobotUnavailable`, :class:`RobotRefused` (:class:`RobotThrottled`,
  :class:`RobotSecurityRefused`, :class:`RobotMessageTooLong`, :class:`RobotWebhookInvalid`);
  :class:`UnknownRobotUrl` and :class:`LineTooLong` are refused before anything is sent.

Protocol and limits (the robots' documentation)
-----------------------------------------------
- 企业微信: ``POST …/cgi-bin/webhook/send?key=K``, ``{"msgtype":"text","text":{"content":…}}``, text
  ≤ 2048 bytes UTF-8 (errcode 40058 beyond), 20 messages a minute (errcode 45009 beyond).
- 钉钉: ``POST …/robot/send?access_token=T``, same body shape, ≤ 20000 bytes, 20 a minute (errcode
  130101, then throttled 10 minutes). With a secret: ``timestamp`` (ms) and ``sign =
  urlencode(base64(HMAC-SHA256(secret, timestamp + "\\n" + secret)))`` added to the query (errcode
  310000 for a bad sign, a missing keyword or an IP off the whitelist).
- 飞书: ``POST …/open-apis/bot/v2/hook/TOKEN``, ``{"msg_type":"text","content":{"text":…}}``, body ≤
  20 KB, 100 a minute and 5 a second (code 11232). With a secret: ``timestamp`` (s) and ``sign =
  base64(HMAC-SHA256(key=timestamp + "\\n" + secret, msg=""))`` in the body (code 19021 when wrong).
- Success is ``errcode`` 0 (企业微信, 钉钉) or ``code`` 0 (飞书; older answers ``StatusCode`` 0).
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import json
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx2 as httpx

from lanjie.i18n import Lang, t

PART_LABEL = "（第 {part}/{parts} 部分）"
REDACTED = "***"
MINUTE = 60.0
SECOND = 1.0
PACING_MARGIN = 1.0  # seconds added to each window: the robot's clock and ours are not the same clock
FEISHU_SIGN_ROOM = 96  # bytes kept free in a 飞书 body for "timestamp" and "sign"


class RobotKind(enum.StrEnum):
    WECOM = "wecom"
    DINGTALK = "dingtalk"
    FEISHU = "feishu"


@dataclass(frozen=True)
class RobotLimits:
    max_bytes: int  # 企业微信/钉钉: the text's UTF-8 bytes; 飞书: the whole JSON body
    per_minute: int
    per_second: int | None = None


LIMITS: dict[RobotKind, RobotLimits] = {
    RobotKind.WECOM: RobotLimits(2048, 20),
    RobotKind.DINGTALK: RobotLimits(20000, 20),
    RobotKind.FEISHU: RobotLimits(20 * 1024, 100, 5),
}

PATHS: tuple[tuple[str, RobotKind], ...] = (
    ("/cgi-bin/webhook/send", RobotKind.WECOM),
    ("/robot/send", RobotKind.DINGTALK),
    ("/open-apis/bot/v2/hook/", RobotKind.FEISHU),
)


# Errors


class RobotError(Exception):
    """A robot refused a message or could not be reached. The text never holds the webhook's secrets."""

    key = "robot_error"

    def __init__(self, kind: str, code: int | str, message: str = "") -> None:
        self.kind = kind
        self.code = code
        self.message = message
        super().__init__(f"群机器人（{kind}）错误 code={code} message={message or '-'}")

    def explain(self, lang: Lang = "zh") -> str:
        return t(self.key, lang)


class RobotUnavailable(RobotError):
    """A network error, a timeout or an answer that is not the robot's JSON."""

    key = "robot_unavailable"


class RobotRefused(RobotError):
    """The robot answered with a code other than 0."""


class RobotThrottled(RobotRefused):
    """Too many messages: 企业微信 45009, 钉钉 130101, 飞书 11232, or HTTP 429."""

    key = "robot_throttled"


class RobotSecurityRefused(RobotRefused):
    """The robot's security settings refused it: 钉钉 310000 (sign, keyword, IP), 飞书 19021/19022/19024."""

    key = "robot_security"


class RobotMessageTooLong(RobotRefused):
    """企业微信 40058, or a message that says the content is too long."""

    key = "robot_too_long"


class RobotWebhookInvalid(RobotRefused):
    """The webhook is unknown (企业微信 93000, 飞书 19001, or a message saying so): the robot is gone."""

    key = "robot_webhook_invalid"


class UnknownRobotUrl(ValueError):
    """The URL is none of the three robots' shapes, and no kind was given."""

    key = "robot_unknown_url"

    def explain(self, lang: Lang = "zh") -> str:
        return t(self.key, lang)


class LineTooLong(ValueError):
    """One line of the message cannot fit in one part, even alone with the header."""

    key = "robot_line_too_long"

    def explain(self, lang: Lang = "zh") -> str:
        return t(self.key, lang)


THROTTLE_CODES = {RobotKind.WECOM: {45009}, RobotKind.DINGTALK: {130101}, RobotKind.FEISHU: {11232, 99991400}}
SECURITY_CODES = {RobotKind.WECOM: set(), RobotKind.DINGTALK: {310000}, RobotKind.FEISHU: {19021, 19022, 19024}}
TOO_LONG_CODES = {RobotKind.WECOM: {40058}, RobotKind.DINGTALK: set(), RobotKind.FEISHU: set()}
WEBHOOK_CODES = {RobotKind.WECOM: {93000}, RobotKind.DINGTALK: set(), RobotKind.FEISHU: {19001}}
TOO_LONG_HINTS = ("exceed max length", "too long", "too large", "过长", "超过长度")
WEBHOOK_HINTS = ("invalid webhook", "token is not exist", "access token invalid", "token not exist")


def robot_error_class(kind: RobotKind, code: int) -> type[RobotRefused]:
    """The error for a robot's answer code."""
    for codes, cls in (
        (THROTTLE_CODES, RobotThrottled),
        (SECURITY_CODES, RobotSecurityRefused),
        (TOO_LONG_CODES, RobotMessageTooLong),
        (WEBHOOK_CODES, RobotWebhookInvalid),
    ):
        if code in codes[kind]:
            return cls
    return RobotRefused


def _refined(kind: RobotKind, code: int, message: str) -> type[RobotRefused]:
    cls = robot_error_class(kind, code)
    lowered = message.lower()
    if cls is RobotRefused and any(hint in lowered for hint in TOO_LONG_HINTS):
        return RobotMessageTooLong
    if cls is RobotRefused and any(hint in lowered for hint in WEBHOOK_HINTS):
        return RobotWebhookInvalid
    return cls


# Robots


def detect_kind(url: str) -> RobotKind | None:
    """The robot a webhook URL belongs to, from its path (the host does not matter)."""
    path = urlsplit(url.strip()).path
    for shape, kind in PATHS:
        if path == shape.rstrip("/") or (shape.endswith("/") and path.startswith(shape) and len(path) > len(shape)):
            return kind
    return None


@dataclass(frozen=True)
class Robot:
    """One group robot's webhook. Build it with :meth:`Robot.of`."""

    webhook: str = field(repr=False)
    kind: RobotKind
    secret: str = field(default="", repr=False)
    name: str = ""
    host: str = ""

    @classmethod
    def of(cls, url: str, *, kind: RobotKind | str | None = None, secret: str = "", name: str = "") -> Robot:
        url = url.strip()
        parts = urlsplit(url)
        chosen = detect_kind(url) if kind is None else RobotKind._value2member_map_.get(str(kind))
        if not isinstance(chosen, RobotKind) or parts.scheme not in ("http", "https") or not parts.netloc:
            raise UnknownRobotUrl(f"认不出的群机器人地址：{parts.scheme}://{parts.netloc}{_masked_path(parts.path)}")
        return cls(webhook=url, kind=chosen, secret=secret.strip(), name=name, host=parts.netloc)

    def secrets(self) -> tuple[str, ...]:
        """Everything in the webhook that grants sending: blanked out of every error text."""
        parts = urlsplit(self.webhook)
        values = [value for _, value in parse_qsl(parts.query) if len(value) >= 4]
        if self.kind is RobotKind.FEISHU:
            values.append(parts.path.rsplit("/", 1)[-1])
        return tuple(v for v in (*values, self.secret, self.webhook) if v)


def _masked_path(path: str) -> str:
    for shape, _ in PATHS:
        if shape.endswith("/") and path.startswith(shape):
            return shape + REDACTED
    return path


# Splitting


def _content_bytes(kind: RobotKind, text: str) -> int:
    """What a piece of the text weighs against the limit (for 飞书, as it is written in the JSON body)."""
    if kind is RobotKind.FEISHU:
        return len(json.dumps(text, ensure_ascii=False).encode("utf-8")) - 2
    return len(text.encode("utf-8"))


def _budget(kind: RobotKind) -> int:
    limit = LIMITS[kind].max_bytes
    if kind is RobotKind.FEISHU:
        return limit - len(body_of(kind, "")) - FEISHU_SIGN_ROOM
    return limit


def split_message(text: str, kind: RobotKind, *, label: str = PART_LABEL) -> list[str]:
    """The message in parts within ``kind``'s size limit, each starting with the header line."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n").split("\n")
    whole = "\n".join(lines)
    budget = _budget(kind)
    if _content_bytes(kind, whole) <= budget:
        return [whole]
    header, body = lines[0], lines[1:]
    widest = 9
    while True:  # the label's width depends on the count of parts: reserve for the widest count first
        groups = _pack(kind, header + label.format(part=widest, parts=widest), body, budget)
        if len(groups) <= widest:
            break
        widest = widest * 10 + 9
    total = len(groups)
    return ["\n".join([header + label.format(part=i, parts=total), *group]) for i, group in enumerate(groups, 1)]


def _pack(kind: RobotKind, header: str, body: list[str], budget: int) -> list[list[str]]:
    newline = _content_bytes(kind, "\n")
    base = _content_bytes(kind, header)
    if base > budget:
        raise LineTooLong(f"标题行有 {base} 字节，放不进一条消息（上限 {budget}）")
    groups: list[list[str]] = []
    current: list[str] = []
    size = base
    for line in body:
        weight = newline + _content_bytes(kind, line)
        if base + weight > budget:
            raise LineTooLong(f"一行有 {weight} 字节，加上标题放不进一条消息（上限 {budget}）")
        if size + weight > budget:
            groups.append(current)
            current, size = [], base
        current.append(line)
        size += weight
    if current or not groups:
        groups.append(current)
    return groups


# Sending


def body_of(kind: RobotKind, content: str, *, timestamp: str = "", sign: str = "") -> bytes:
    """The JSON body posted for one text message (飞书 carries its signature in the body)."""
    payload: dict[str, Any]
    if kind is RobotKind.FEISHU:
        payload = {"msg_type": "text", "content": {"text": content}}
        if sign:
            payload = {"timestamp": timestamp, "sign": sign, **payload}
    else:
        payload = {"msgtype": "text", "text": {"content": content}}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def dingtalk_sign(secret: str, timestamp_ms: str) -> str:
    """base64(HMAC-SHA256(secret, timestamp + "\\n" + secret)); the URL encoding is done when sent."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def feishu_sign(secret: str, timestamp_s: str) -> str:
    """base64(HMAC-SHA256(key=timestamp + "\\n" + secret, msg=""))."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _with_query(url: str, extra: dict[str, str]) -> str:
    """The URL with ``extra`` added to its query (the webhook's own key or token stays)."""
    parts = urlsplit(url)
    query = urlencode([*parse_qsl(parts.query, keep_blank_values=True), *extra.items()])
    return urlunsplit(parts._replace(query=query))


@dataclass(frozen=True)
class SendReport:
    """What :meth:`RobotSender.send_parts` did: the parts accepted, and the one refused if any."""

    parts: tuple[str, ...]
    sent: tuple[int, ...]
    failed: int | None = None
    error: RobotError | None = None

    @property
    def complete(self) -> bool:
        return self.failed is None

    def describe(self, lang: Lang = "zh") -> str:
        if self.failed is None:
            return t("robot_sent_all", lang, parts=len(self.parts))
        reason = self.error.explain(lang) if self.error is not None else ""
        return t(
            "robot_sent_partly", lang, sent=len(self.sent), failed=self.failed, parts=len(self.parts), reason=reason
        )


class _Pacer:
    """The robot's recent sends, to wait before one more would break its rate limit."""

    def __init__(self, limits: RobotLimits) -> None:
        self.limits = limits
        self.sent: deque[float] = deque()

    def wait(self, now: float) -> float:
        windows = [(self.limits.per_minute, MINUTE)]
        if self.limits.per_second:
            windows.append((self.limits.per_second, SECOND))
        waits = [0.0]
        for limit, window in windows:
            recent = [at for at in self.sent if at > now - window - PACING_MARGIN]
            if len(recent) >= limit:
                waits.append(recent[-limit] + window + PACING_MARGIN - now)
        while self.sent and self.sent[0] <= now - MINUTE - PACING_MARGIN:
            self.sent.popleft()
        return max(waits)


class RobotSender:
    """Posts to group robots, paced per robot. Holds no secrets of its own."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 10,
        transport: httpx.BaseTransport | None = None,
        connect_retries: int = 2,
        backoff: float = 0.5,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._connect_retries = connect_retries
        self._backoff = backoff
        self._pacers: dict[str, _Pacer] = {}
        self._http = httpx.Client(timeout=timeout, transport=transport)

    def __repr__(self) -> str:
        return f"RobotSender(robots={len(self._pacers)})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RobotSender:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def send(self, robot: Robot, text: str, *, label: str = PART_LABEL) -> SendReport:
        """Splits the message for the robot and sends every part (see :meth:`send_parts`)."""
        return self.send_parts(robot, split_message(text, robot.kind, label=label))

    def send_parts(self, robot: Robot, parts: Sequence[str], *, start: int = 1) -> SendReport:
        """Posts parts ``start``… (1-based) in order; stops at the first one refused."""
        sent: list[int] = []
        for number in range(start, len(parts) + 1):
            try:
                self.post(robot, parts[number - 1])
            except RobotError as error:
                return SendReport(tuple(parts), tuple(sent), number, error)
            sent.append(number)
        return SendReport(tuple(parts), tuple(sent))

    def post(self, robot: Robot, content: str) -> None:
        """Sends one text message, waiting first if the robot's rate limit asks for it."""
        pacer = self._pacers.setdefault(robot.webhook, _Pacer(LIMITS[robot.kind]))
        attempt = 0
        while True:
            attempt += 1
            while (pause := pacer.wait(self._clock())) > 0:
                self._sleep(pause)
            now = self._clock()
            pacer.sent.append(now)
            try:
                return self._post_once(robot, content, now)
            except _NotConnected as failure:
                if attempt > self._connect_retries:
                    raise RobotUnavailable(robot.kind, "network", failure.name) from None
                self._sleep(self._backoff * 2 ** (attempt - 1))

    def _post_once(self, robot: Robot, content: str, now: float) -> None:
        url, body = self._request(robot, content, now)
        try:
            response = self._http.post(url, content=body, headers={"Content-Type": "application/json; charset=utf-8"})
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:  # nothing was sent: safe to try again
            raise _NotConnected(type(exc).__name__) from None
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise RobotUnavailable(robot.kind, "network", type(exc).__name__) from None
        _check_answer(robot, response)

    def _request(self, robot: Robot, content: str, now: float) -> tuple[str, bytes]:
        if robot.kind is RobotKind.DINGTALK and robot.secret:
            stamp = str(int(now * 1000))
            url = _with_query(robot.webhook, {"timestamp": stamp, "sign": dingtalk_sign(robot.secret, stamp)})
            return url, body_of(robot.kind, content)
        if robot.kind is RobotKind.FEISHU and robot.secret:
            stamp = str(int(now))
            return robot.webhook, body_of(robot.kind, content, timestamp=stamp, sign=feishu_sign(robot.secret, stamp))
        return robot.webhook, body_of(robot.kind, content)


class _NotConnected(Exception):
    def __init__(self, name: str) -> None:
        self.name = name


def _check_answer(robot: Robot, response: httpx.Response) -> None:
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        if response.status_code == 429:
            raise RobotThrottled(robot.kind, 429, "HTTP 429")
        raise RobotUnavailable(robot.kind, f"http-{response.status_code}")
    code, message = _code_of(robot.kind, answer)
    if code == 0 and response.status_code == 200:
        return
    text = _clean(message, robot.secrets())
    if response.status_code == 429:
        raise RobotThrottled(robot.kind, code if code is not None else 429, text)
    if code is None:
        raise RobotUnavailable(robot.kind, f"http-{response.status_code}", text)
    raise _refined(robot.kind, code, text)(robot.kind, code, text)


def _code_of(kind: RobotKind, answer: dict[str, Any]) -> tuple[int | None, str]:
    names = ("code", "StatusCode") if kind is RobotKind.FEISHU else ("errcode",)
    for name in names:
        if name in answer:
            try:
                code = int(answer[name])
            except (TypeError, ValueError):
                return None, str(answer[name])
            message = answer.get("msg") or answer.get("StatusMessage") or answer.get("errmsg") or ""
            return code, str(message)
    return None, ""


def _clean(text: str, secrets: tuple[str, ...]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):  # the whole URL before the key inside it
        text = text.replace(secret, REDACTED)
    return text
