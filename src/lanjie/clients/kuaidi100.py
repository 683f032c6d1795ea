"""A typed client for 快递100: the real-time tracking query and the courier interception (DOMAIN.md §3).

Public API
----------
- ``Kuaidi100Client(customer, key, *, secret="", base_url=POLL_URL, intercept_base_url=API_URL, timeout=10,
  clock=time.time, sleep=time.sleep, retries=3, backoff=0.5, transport=None)``; a context manager.
- ``client.query(com, number, *, phone=None) -> Tracking``: ``POST {base_url}/poll/query.do``. Network
  errors and "service busy" answers are retried with backoff (a query changes nothing), but mind the
  lock: 快递100 locks a number queried more than once per 30 minutes (``MIN_QUERY_INTERVAL``), so a
  retry after a lost answer may meet :class:`QueryLocked`. The client keeps no schedule: callers do.
- ``client.intercept(com, number, *, callback_url, salt, intercept_type=RETURN_SEND_STATION, ...)
  -> InterceptReceipt``: ``POST {intercept_base_url}/label/order`` with ``method=interceptOrder``.
  Never retried: it costs money. The result arrives later at ``callback_url``.
- ``parse_callback(form, salt) -> InterceptOutcome``: verifies and reads the callback 快递100 posts to
  ``callback_url`` (raises :class:`CallbackInvalid`); answer it with ``CALLBACK_OK``.
- ``query_sign``, ``intercept_sign``, ``callback_sign``: the three signatures, as documented.
- ``logistics_of(state) -> tuple[LogisticsState, str]``: a 快递100 ``state`` as lanjie's state and its
  Chinese name (table below).
- Errors, all :class:`Kuaidi100Error` (``code`` = the service's returnCode/code, ``message``; never the
  key, the secret, the salt or the courier account's passwords; ``explain(lang)`` says what to do):
  :class:`Kuaidi100Unavailable` (:class:`InterceptUncertain`), :class:`BadSignature`,
  :class:`QueryLocked`, :class:`NoResultYet`, :class:`BadParameters` (:class:`PhoneRequired`),
  :class:`AccountProblem`, :class:`InterceptRefused`, :class:`CallbackInvalid`.

Protocol (快递100's documentation and its official php/python demos)
----------------------------------------------------------------------
- Query: form ``customer``, ``param`` (JSON ``{com, num, phone, resultv2, show, order}``), ``sign =
  upper(md5(param + key + customer))``. ``phone`` is required for 顺丰 and 中通 (the service answers 408
  otherwise); only its last 4 digits are sent. Answers: ``{message: "ok", state, ischeck, com, nu,
  data: [{time, ftime, context, status}]}`` (newest first), or ``{result: false, returnCode, message}``
  with 400 bad parameters / unknown courier, 408 phone check failed, 500 no result yet, 501/502 server
  error/busy, 503 bad signature, 601 key expired / no balance. The lock's answer is not published: it
  is recognised by its message (锁, 频繁 …).
- Interception: form ``method=interceptOrder``, ``key``, ``t`` (ms), ``param`` (JSON ``{kuaidicom,
  kuaidinum, interceptType, callbackUrl, salt, reason, orderId, partnerId, partnerKey, …}``), ``sign =
  upper(md5(param + t + key + secret))``. The documented param has no phone field. Answer ``{success,
  code (200 = ok), message, data, time}``; error codes are not published (classified by message).
- Callback: 快递100's callbacks are forms ``param`` + ``sign`` with ``sign = upper(md5(param + salt))``
  (its subscription push and print callbacks are documented so; the interception docs say the ``salt``
  is "用于回调拦截结果中验证签名sign"). The callback's ``param`` fields are not published: they are read
  tolerantly (``kuaidinum``/``num``, ``kuaidicom``/``com``, ``status``/``interceptStatus``/``success``,
  ``message``/``reason``).

快递100 ``state`` → lanjie
---------------------------
=====  ========  ==========  ===================================================================
state  name      lanjie      why
=====  ========  ==========  ===================================================================
0      在途      MOVING      on its way: interception works
1      揽收      MOVING      picked up: interception works from pickup on
2      疑难      PROBLEM     something is wrong: a person must look
3      签收      SIGNED      delivered: too late to intercept
4      退签      RETURNED    returned and signed for by the sender: back home
5      派件      DELIVERING  out for delivery: interception is a race
6      退回      RETURNING   on its way back to the sender
7      转投      MOVING      handed on to another outlet or courier, still moving
8      清关      MOVING      customs: still moving (10 待清关, 11 清关中, 12 已清关 likewise)
13     清关异常  PROBLEM     customs trouble
14     拒签      REJECTED    the buyer refused it
=====  ========  ==========  ===================================================================

Sub-states (DOMAIN.md §3): 301 本人签收, 303 代签, 304 投柜或站签收 → SIGNED; 501 投柜或驿站 → DELIVERING
(in a locker or station, not signed yet); 203 拒收 → REJECTED. Other 3-digit codes take their family's
state (the first digit): an inference, not documented. Unknown codes (and the 4-digit "advanced" states,
which only ``resultv2=4`` asks for) are UNKNOWN.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx2 as httpx

from lanjie.i18n import Lang, t
from lanjie.model import SHANGHAI, LogisticsState

POLL_URL = "https://poll.kuaidi100.com"
API_URL = "https://api.kuaidi100.com"
QUERY_PATH = "/poll/query.do"
INTERCEPT_PATH = "/label/order"
INTERCEPT_METHOD = "interceptOrder"
MIN_QUERY_INTERVAL = timedelta(minutes=30)  # a number queried more often is locked
PHONE_REQUIRED = frozenset({"shunfeng", "shunfengkuaiyun", "zhongtong"})
CALLBACK_REQUIRED = frozenset({"zhongtong", "jtexpress", "yuantong"})  # documented; lanjie always sends one
REDACTED = "***"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class InterceptType(enum.StrEnum):
    RETURN_SEND_STATION = "RETURN_SEND_STATION"  # 退回寄件网点
    RETURN_SEND_ADDR = "RETURN_SEND_ADDR"  # 退回寄件地址
    MODIFY_ADDR = "MODIFY_ADDR"  # 修改地址 (needs the new recipient)


STATES: dict[str, tuple[str, LogisticsState]] = {
    "0": ("在途", LogisticsState.MOVING),
    "1": ("揽收", LogisticsState.MOVING),
    "2": ("疑难", LogisticsState.PROBLEM),
    "3": ("签收", LogisticsState.SIGNED),
    "4": ("退签", LogisticsState.RETURNED),
    "5": ("派件", LogisticsState.DELIVERING),
    "6": ("退回", LogisticsState.RETURNING),
    "7": ("转投", LogisticsState.MOVING),
    "8": ("清关", LogisticsState.MOVING),
    "10": ("待清关", LogisticsState.MOVING),
    "11": ("清关中", LogisticsState.MOVING),
    "12": ("已清关", LogisticsState.MOVING),
    "13": ("清关异常", LogisticsState.PROBLEM),
    "14": ("拒签", LogisticsState.REJECTED),
    "301": ("本人签收", LogisticsState.SIGNED),
    "303": ("代签", LogisticsState.SIGNED),
    "304": ("投柜或站签收", LogisticsState.SIGNED),
    "501": ("投柜或驿站", LogisticsState.DELIVERING),
    "203": ("拒收", LogisticsState.REJECTED),
}


def logistics_of(state: str) -> tuple[LogisticsState, str]:
    """A 快递100 ``state`` code as lanjie's state and the code's Chinese name (see the table above)."""
    code = state.strip()
    if code in STATES:
        name, logistics = STATES[code]
        return logistics, name
    family = code[:1] if len(code) == 3 else ""
    if code.isdigit() and family in STATES:
        name, logistics = STATES[family]
        return logistics, name
    return LogisticsState.UNKNOWN, ""


# Signatures


def _md5_upper(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


def query_sign(param: str, key: str, customer: str) -> str:
    """upper(md5(param + key + customer)), over ``param`` exactly as sent."""
    return _md5_upper(param + key + customer)


def intercept_sign(param: str, t: str, key: str, secret: str) -> str:
    """upper(md5(param + t + key + secret)), over ``param`` and ``t`` exactly as sent."""
    return _md5_upper(param + t + key + secret)


def callback_sign(param: str, salt: str) -> str:
    """upper(md5(param + salt)): how 快递100 signs what it posts to a callback URL."""
    return _md5_upper(param + salt)


def compact_json(obj: Mapping[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


# Errors

QUERY_CODES: dict[str, str] = {
    "400": "BadParameters",
    "408": "PhoneRequired",
    "500": "NoResultYet",
    "501": "Kuaidi100Unavailable",
    "502": "Kuaidi100Unavailable",
    "503": "BadSignature",
    "601": "AccountProblem",
}
LOCK_HINTS = ("锁", "频繁", "lock", "frequen")
ACCOUNT_HINTS = ("余额", "充值", "过期", "欠费", "单量", "未授权", "expire", "balance")
SIGNATURE_HINTS = ("签名", "sign")
PARAMETER_HINTS = ("参数", "不支持", "编码", "找不到对应公司", "param")


class Kuaidi100Error(Exception):
    """快递100 answered with an error (or could not be reached: Kuaidi100Unavailable)."""

    key = "kuaidi100_error"

    def __init__(self, code: str = "", message: str = "") -> None:
        self.code = code
        self.message = message
        super().__init__(f"快递100 错误 code={code or '-'} message={message or '-'}")

    def explain(self, lang: Lang = "zh") -> str:
        """What the after-sales staff should do."""
        return t(self.key, lang)


class Kuaidi100Unavailable(Kuaidi100Error):
    """A network error, a timeout, an HTTP status other than 200, or 501/502 server error/busy."""

    key = "kuaidi100_unavailable"


class InterceptUncertain(Kuaidi100Unavailable):
    """The interception request was sent but no answer came back: it may have been carried out."""

    key = "kuaidi100_intercept_uncertain"


class BadSignature(Kuaidi100Error):
    """503 (query) or a signature complaint (interception): key, customer or secret are wrong."""

    key = "kuaidi100_bad_signature"


class QueryLocked(Kuaidi100Error):
    """The number was queried too often (more than once per 30 minutes) and is locked for a while."""

    key = "kuaidi100_query_locked"


class NoResultYet(Kuaidi100Error):
    """500: nothing known for this number yet (or the courier is wrong)."""

    key = "kuaidi100_no_result"


class BadParameters(Kuaidi100Error):
    """400: incomplete parameters or an unknown courier code."""

    key = "kuaidi100_bad_parameters"


class PhoneRequired(BadParameters):
    """408, or refused before sending: 顺丰/中通 need the right last 4 digits of a phone number."""

    key = "kuaidi100_phone_required"


class AccountProblem(Kuaidi100Error):
    """601 or a message about it: the key has expired or the account has no balance."""

    key = "kuaidi100_account"


class InterceptRefused(Kuaidi100Error):
    """The interception was refused (already signed, out for delivery, courier not supported …)."""

    key = "kuaidi100_intercept_refused"


class CallbackInvalid(Kuaidi100Error):
    """A callback whose signature does not match or whose content cannot be read: ignore it."""

    key = "kuaidi100_callback_invalid"


ERRORS: dict[str, type[Kuaidi100Error]] = {
    cls.__name__: cls
    for cls in (
        Kuaidi100Error,
        Kuaidi100Unavailable,
        InterceptUncertain,
        BadSignature,
        QueryLocked,
        NoResultYet,
        BadParameters,
        PhoneRequired,
        AccountProblem,
        InterceptRefused,
        CallbackInvalid,
    )
}


def _has(text: str, hints: tuple[str, ...]) -> bool:
    lowered = text.lower()
    return any(hint in lowered for hint in hints)


def query_error_class(return_code: str, message: str) -> type[Kuaidi100Error]:
    """The error for a query's returnCode and message (the lock is known by its message only)."""
    if _has(message, LOCK_HINTS):
        return QueryLocked
    if return_code == "400" and _has(message, ACCOUNT_HINTS):
        return AccountProblem  # one documented reading of 400 is "账号未充值"
    if return_code in QUERY_CODES:
        return ERRORS[QUERY_CODES[return_code]]
    return AccountProblem if _has(message, ACCOUNT_HINTS) else Kuaidi100Error


def intercept_error_class(message: str) -> type[Kuaidi100Error]:
    """The error for a refused interception: its codes are not published, so the message decides."""
    if _has(message, SIGNATURE_HINTS):
        return BadSignature
    if _has(message, ACCOUNT_HINTS):
        return AccountProblem
    if _has(message, PARAMETER_HINTS):
        return BadParameters
    return InterceptRefused


# Results


@dataclass(frozen=True)
class Tracking:
    """One number's state as 快递100 reported it. ``time`` is Beijing time; None when unreadable."""

    com: str
    number: str
    state: str  # 快递100's code as sent ("0", "3", "301" …)
    state_name: str  # its Chinese name (在途, 签收 …); the route line's own status when the code is unknown
    logistics: LogisticsState
    context: str  # the latest route line
    time: datetime | None
    signed: bool  # ischeck


@dataclass(frozen=True)
class InterceptReceipt:
    """快递100 took the interception request; the outcome comes later by callback."""

    com: str
    number: str
    task_id: str
    message: str
    data: Mapping[str, Any] = field(default_factory=dict)


class InterceptStatus(enum.StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    PENDING = "pending"  # a progress report, not the final word


@dataclass(frozen=True)
class InterceptOutcome:
    """What a verified callback says about one interception."""

    number: str
    com: str
    status: InterceptStatus
    reason: str
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def succeeded(self) -> bool:
        return self.status is InterceptStatus.SUCCEEDED


CALLBACK_OK: dict[str, Any] = {"result": True, "returnCode": "200", "message": "成功"}
CALLBACK_REJECTED: dict[str, Any] = {"result": False, "returnCode": "400", "message": "签名校验失败"}


@dataclass(frozen=True)
class Recipient:
    """The new recipient for ``MODIFY_ADDR`` (``recManInfo``)."""

    name: str
    mobile: str
    address: str  # printAddr

    def as_param(self) -> dict[str, str]:
        return {"name": self.name, "mobile": self.mobile, "printAddr": self.address}


# The client


def phone_suffix(phone: str) -> str:
    """The last 4 digits, which is all 快递100 needs (for a virtual number, the digits after "-")."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 4:
        raise PhoneRequired("local", "手机号不足 4 位")
    return digits[-4:]


class Kuaidi100Client:
    """Calls 快递100 over HTTP. The key, the secret and the salts never appear in a repr or an error."""

    def __init__(
        self,
        customer: str,
        key: str,
        *,
        secret: str = "",
        base_url: str = POLL_URL,
        intercept_base_url: str = API_URL,
        timeout: float = 10,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        retries: int = 3,
        backoff: float = 0.5,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not customer or not key:
            raise ValueError("快递100 customer 和 key 不能为空")
        self._customer = customer
        self._key = key
        self._secret = secret
        self.base_url = base_url.rstrip("/")
        self.intercept_base_url = intercept_base_url.rstrip("/")
        self._clock = clock
        self._sleep = sleep
        self._retries = retries
        self._backoff = backoff
        self._http = httpx.Client(timeout=timeout, transport=transport)

    def __repr__(self) -> str:
        return f"Kuaidi100Client(base_url={self.base_url!r}, intercept_base_url={self.intercept_base_url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Kuaidi100Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # Query

    def query(self, com: str, number: str, *, phone: str | None = None) -> Tracking:
        """The number's current state. 顺丰/中通 without a phone are refused before sending."""
        com, number = com.strip().lower(), number.strip()
        if not com or not number:
            raise BadParameters("local", "快递公司编码和单号不能为空")
        params: dict[str, str] = {"com": com, "num": number}
        if phone:
            params["phone"] = phone_suffix(phone)
        elif com in PHONE_REQUIRED:
            raise PhoneRequired("local", f"{com} 需要手机号后四位")
        params |= {"resultv2": "1", "show": "0", "order": "desc"}
        param = compact_json(params)
        form = {"customer": self._customer, "param": param, "sign": query_sign(param, self._key, self._customer)}
        answer = self._query_with_retries(
            lambda: self._post(self.base_url + QUERY_PATH, form, sent_means_uncertain=False)
        )
        return _tracking_of(answer, com, number)

    def _query_with_retries(self, send: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        attempt = 0
        while True:
            attempt += 1
            try:
                answer = send()
                self._raise_query_error(answer)
                return answer
            except Kuaidi100Unavailable:
                if attempt > self._retries:
                    raise
                self._sleep(self._backoff * 2 ** (attempt - 1))

    def _raise_query_error(self, answer: Mapping[str, Any]) -> None:
        if _is_tracking(answer):
            return
        code, message = self._clean(answer.get("returnCode")), self._clean(answer.get("message"))
        raise query_error_class(code, message)(code, message)

    # Interception

    def intercept(
        self,
        com: str,
        number: str,
        *,
        callback_url: str,
        salt: str,
        intercept_type: InterceptType | str = InterceptType.RETURN_SEND_STATION,
        reason: str = "",
        order_id: str = "",
        partner_id: str = "",
        partner_key: str = "",
        partner_secret: str = "",
        partner_name: str = "",
        net: str = "",
        recipient: Recipient | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> InterceptReceipt:
        """Asks the courier, through 快递100, to stop the parcel. Sent once: never retried (it costs money).

        ``salt`` signs the result callback (keep it to verify the callback); ``extra`` adds documented
        fields not named here (``orderRole``, ``interceptPayType``, ``appKey``/``appSecret`` …).
        """
        if not self._secret:
            raise ValueError("快递100 拦截需要 secret")
        if not callback_url or not salt:
            raise ValueError("拦截结果只通过回调返回：callback_url 和 salt 不能为空")
        intercept_type = InterceptType(intercept_type)
        if intercept_type is InterceptType.MODIFY_ADDR and recipient is None:
            raise ValueError("MODIFY_ADDR 需要新的收件人")
        optional = {
            "reason": reason,
            "orderId": order_id,
            "partnerId": partner_id,
            "partnerKey": partner_key,
            "partnerSecret": partner_secret,
            "partnerName": partner_name,
            "net": net,
        }
        params: dict[str, Any] = {"kuaidicom": com.strip().lower(), "kuaidinum": number.strip()}
        params |= {"interceptType": intercept_type.value, "callbackUrl": callback_url, "salt": salt}
        params |= {name: value for name, value in optional.items() if value}
        if recipient is not None:
            params["recManInfo"] = recipient.as_param()
        params |= dict(extra or {})
        hidden = (salt, partner_key, partner_secret, str((extra or {}).get("appSecret", "")))
        return self._send_intercept(params, hidden)

    def _send_intercept(self, params: Mapping[str, Any], hidden: tuple[str, ...]) -> InterceptReceipt:
        param = compact_json(params)
        stamp = str(int(self._clock() * 1000))
        form = {
            "method": INTERCEPT_METHOD,
            "key": self._key,
            "t": stamp,
            "param": param,
            "sign": intercept_sign(param, stamp, self._key, self._secret),
        }
        answer = self._post(self.intercept_base_url + INTERCEPT_PATH, form, sent_means_uncertain=True, hidden=hidden)
        code = self._clean(answer.get("code"), hidden)
        if answer.get("success") is True or (code == "200" and answer.get("success") is not False):
            data = answer.get("data")
            details = data if isinstance(data, dict) else {}
            task = details.get("taskId") or details.get("orderId") or ""
            message = self._clean(answer.get("message"), hidden)
            return InterceptReceipt(str(params["kuaidicom"]), str(params["kuaidinum"]), str(task), message, details)
        message = self._clean(answer.get("message"), hidden)
        raise intercept_error_class(message)(code, message)

    # HTTP

    def _post(
        self, url: str, form: Mapping[str, str], *, sent_means_uncertain: bool, hidden: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        try:
            response = self._http.post(url, data=dict(form))
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:  # never reached the service
            raise Kuaidi100Unavailable("network", type(exc).__name__) from None
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            error = InterceptUncertain if sent_means_uncertain else Kuaidi100Unavailable
            raise error("network", type(exc).__name__) from None
        if response.status_code != 200:
            raise Kuaidi100Unavailable(f"http-{response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            raise Kuaidi100Unavailable("bad-json") from None
        if not isinstance(answer, dict):
            raise Kuaidi100Unavailable("bad-json")
        return answer

    def _clean(self, value: object, hidden: tuple[str, ...] = ()) -> str:
        text = "" if value is None else str(value)
        for secret in (self._key, self._secret, self._customer, *hidden):
            if secret:
                text = text.replace(secret, REDACTED)
        return text


def _is_tracking(answer: Mapping[str, Any]) -> bool:
    if answer.get("result") is False or ("returnCode" in answer and str(answer.get("returnCode")) != "200"):
        return False
    return "state" in answer and isinstance(answer.get("data"), list)


def _tracking_of(answer: Mapping[str, Any], com: str, number: str) -> Tracking:
    state = str(answer.get("state", "")).strip()
    logistics, name = logistics_of(state)
    lines = [line for line in answer.get("data") or [] if isinstance(line, dict)]
    latest = _latest(lines)
    return Tracking(
        com=str(answer.get("com") or com),
        number=str(answer.get("nu") or number),
        state=state,
        state_name=name or str((latest or {}).get("status", "")),
        logistics=logistics,
        context=str((latest or {}).get("context", "")),
        time=_time_of(latest) if latest else None,
        signed=str(answer.get("ischeck", "0")) == "1",
    )


def _latest(lines: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The newest route line: by its time when readable (the order asked for is only a request)."""
    if not lines:
        return None
    timed = [(when, index) for index, line in enumerate(lines) if (when := _time_of(line)) is not None]
    if not timed:
        return lines[0]
    newest = max(timed, key=lambda pair: (pair[0], -pair[1]))
    return lines[newest[1]]


def _time_of(line: Mapping[str, Any]) -> datetime | None:
    for name in ("time", "ftime"):
        try:
            return datetime.strptime(str(line.get(name, "")).strip(), TIME_FORMAT).replace(tzinfo=SHANGHAI)
        except ValueError:
            continue
    return None


# Callback

SUCCESS_WORDS = frozenset({"1", "200", "success", "succeeded", "true", "拦截成功", "成功"})
FAILURE_WORDS = frozenset({"0", "2", "fail", "failed", "failure", "false", "拦截失败", "失败"})


def parse_callback(form: Mapping[str, str] | bytes | str, salt: str) -> InterceptOutcome:
    """Verifies ``sign == upper(md5(param + salt))`` and reads the outcome. Raises CallbackInvalid.

    ``form`` is the posted form (a mapping) or the raw urlencoded body.
    """
    fields = _form_of(form)
    param, sign = fields.get("param", ""), fields.get("sign", "")
    if not param or not sign:
        raise CallbackInvalid("callback", "缺少 param 或 sign")
    if not salt or not hmac.compare_digest(sign.upper(), callback_sign(param, salt)):
        raise CallbackInvalid("callback", "签名不符")
    try:
        content = json.loads(param)
    except ValueError:
        raise CallbackInvalid("callback", "param 不是 JSON") from None
    if not isinstance(content, dict):
        raise CallbackInvalid("callback", "param 不是 JSON 对象")
    merged = {**content, **(content["data"] if isinstance(content.get("data"), dict) else {})}
    number = _first(merged, "kuaidinum", "kuaidiNum", "num", "nu")
    if not number:
        raise CallbackInvalid("callback", "没有单号")
    return InterceptOutcome(
        number=number,
        com=_first(merged, "kuaidicom", "kuaidiCom", "com"),
        status=_status_of(merged),
        reason=_first(merged, "reason", "failReason", "message", "msg"),
        raw=content,
    )


def _form_of(form: Mapping[str, str] | bytes | str) -> dict[str, str]:
    if isinstance(form, Mapping):
        return {str(k): str(v) for k, v in form.items()}
    text = form.decode("utf-8", "replace") if isinstance(form, bytes) else form
    return {name: values[-1] for name, values in parse_qs(text, keep_blank_values=True).items()}


def _first(fields: Mapping[str, Any], *names: str) -> str:
    for name in names:
        value = fields.get(name)
        if value not in (None, ""):
            return str(value)
    return ""


def _status_of(fields: Mapping[str, Any]) -> InterceptStatus:
    for name in ("success", "interceptStatus", "status", "result"):
        value = fields.get(name)
        if value is None or value == "":
            continue
        word = str(value).strip().lower() if not isinstance(value, bool) else str(value).lower()
        if word in SUCCESS_WORDS:
            return InterceptStatus.SUCCEEDED
        if word in FAILURE_WORDS:
            return InterceptStatus.FAILED
        return InterceptStatus.PENDING
    return InterceptStatus.PENDING
