"""A small typed client for the 抖店 Open Platform (DOMAIN.md §2, §2a; the official Go SDK agrees).

Each call is ``POST {base_url}/{path}`` with the query ``app_key, method, timestamp, v=2, sign,
sign_method=hmac-sha256`` (and ``access_token`` except for token/create and token/refresh) and the
body ``param_json``. The signature is over ``param_json`` and the timestamp exactly as sent.

The app secret and the tokens never appear in a repr, a str or an error message: errors carry the
platform's code, sub_code, sub_msg and log_id only, with anything secret blanked out.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx2 as httpx

OK = 10000
API_VERSION = "2"
SIGN_METHOD = "hmac-sha256"
TOKEN_PATHS = frozenset({"token/create", "token/refresh"})  # sent without access_token
REDACTED = "***"

# How each error is explained to after-sales staff. Kept here until it moves to lanjie.i18n.
EXPLANATIONS: dict[str, str] = {
    "DoudianError": "抖店开放平台返回了错误，请把错误代码和 log_id 发给技术同事查看。",
    "DoudianUnavailable": "暂时连不上抖店开放平台（网络中断、超时或平台繁忙），请稍后再试。",
    "TokenExpired": "店铺授权已过期，请在抖店后台重新授权本应用（或刷新授权）后再试。",
    "SignatureInvalid": "签名校验失败：请核对设置中的 App Key、App Secret 与抖店开放平台一致，并确认本机时间准确。",
    "IpNotWhitelisted": "本机的出口 IP 不在应用的 IP 白名单里：请在抖店开放平台的应用设置中把它加入白名单。",
    "NoPermission": "本应用没有调用这个接口的权限，或店铺没有授权：请在抖店开放平台申请接口权限并让店铺重新授权。",
    "BusinessFailed": "抖店拒绝了这次操作，需要在抖店商家后台手动处理这笔售后。",
    "Throttled": "调用太频繁，被抖店限流了：请过几分钟再试。",
}


def canonical_param_json(obj: Mapping[str, Any]) -> str:
    """The business parameters as the platform signs them: keys sorted at every level, compact, UTF-8 unescaped."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def method_of(path: str) -> str:
    """``afterSale/List`` → ``afterSale.List`` (a leading slash is dropped, as the Go SDK does)."""
    return path.lstrip("/").replace("/", ".")


def sign(app_key: str, app_secret: str, method: str, param_json: str, timestamp: str) -> str:
    """hex(HMAC-SHA256(secret, secret + "app_key"K"method"M"param_json"PJ"timestamp"TS"v2" + secret)), lowercase."""
    pattern = f"app_key{app_key}method{method}param_json{param_json}timestamp{timestamp}v{API_VERSION}"
    message = (app_secret + pattern + app_secret).encode("utf-8")
    return hmac.new(app_secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


class DoudianError(Exception):
    """The platform answered with a code other than 10000 (or could not be reached: DoudianUnavailable)."""

    def __init__(self, code: int, sub_code: str = "", sub_msg: str = "", log_id: str = "", msg: str = "") -> None:
        self.code = code
        self.sub_code = sub_code
        self.sub_msg = sub_msg
        self.log_id = log_id
        self.msg = msg
        detail = sub_msg or msg or "-"
        super().__init__(f"抖店接口错误 code={code} sub_code={sub_code or '-'} sub_msg={detail} log_id={log_id or '-'}")

    def explain(self) -> str:
        """What the after-sales staff should do, in Chinese."""
        return EXPLANATIONS.get(type(self).__name__, EXPLANATIONS["DoudianError"])


class DoudianUnavailable(DoudianError):
    """A network error, a timeout or an HTTP status other than 200, after any retries."""


class TokenExpired(DoudianError):
    """40003 isv.access-token-expired (also an expired refresh token)."""


class SignatureInvalid(DoudianError):
    """40003 isv.signature-invalid."""


class IpNotWhitelisted(DoudianError):
    """30002 isv.invalid_ip."""


class NoPermission(DoudianError):
    """30001: no permission for this API, or the shop has not authorised the app."""


class BusinessFailed(DoudianError):
    """50002 isv.business-failed:…: to be handled by hand in the 抖店 back office."""


class Throttled(DoudianError):
    """The platform asks to call less often. No code is published: recognised by its sub_code."""


THROTTLE_HINTS = ("limit", "frequen", "too-many", "too_many", "throttl")


def error_class(code: int, sub_code: str) -> type[DoudianError]:
    """The error class for an answer's code and sub_code."""
    lowered = sub_code.lower()
    if "token" in lowered and "expire" in lowered:  # isv.access-token-expired, and a refresh token's
        return TokenExpired
    if "signature-invalid" in lowered or ("sign" in lowered and "invalid" in lowered):
        return SignatureInvalid
    if code == 30002 or "invalid_ip" in lowered or "invalid-ip" in lowered:
        return IpNotWhitelisted
    if code == 50002 or lowered.startswith("isv.business-failed"):
        return BusinessFailed  # before the throttle hints: a business failure is never retried
    if code == 30001:
        return NoPermission
    if any(hint in lowered for hint in THROTTLE_HINTS):
        return Throttled
    return DoudianError


@dataclass(frozen=True)
class Token:
    """A shop's authorisation. Its repr shows the shop and the expiry, never the tokens."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime
    shop_id: str
    shop_name: str

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


class DoudianClient:
    """Calls the 抖店 Open Platform over HTTP. One instance per app; it holds no token itself.

    ``safe=True`` on :meth:`call` marks a call that may be sent again after a network error or a
    timeout (reads). A throttling answer is retried whatever ``safe`` says: the platform did nothing.
    """

    def __init__(
        self,
        app_key: str,
        app_secret: str,
        base_url: str,
        *,
        timeout: float = 10,
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
        retries: int = 3,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not app_key or not app_secret:
            raise ValueError("抖店 App Key 和 App Secret 不能为空")
        self.app_key = app_key
        self._app_secret = app_secret
        self.base_url = base_url.rstrip("/")
        self._clock = clock
        self._retries = retries
        self._backoff = backoff
        self._sleep = sleep
        self._http = httpx.Client(timeout=timeout, transport=transport)

    def __repr__(self) -> str:
        return f"DoudianClient(app_key={self.app_key!r}, base_url={self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> DoudianClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def call(
        self, path: str, params: Mapping[str, Any], access_token: str | None = None, *, safe: bool = False
    ) -> dict[str, Any]:
        """Sends one API call and returns the answer's ``data``; raises a DoudianError otherwise."""
        return self._call(path, params, access_token, safe=safe, secrets=())

    def _call(
        self, path: str, params: Mapping[str, Any], access_token: str | None, *, safe: bool, secrets: tuple[str, ...]
    ) -> dict[str, Any]:
        path = path.strip("/")
        if access_token is None and path not in TOKEN_PATHS:
            raise ValueError(f"{path} 需要 access_token")
        param_json = canonical_param_json(params)
        hidden = [s for s in (self._app_secret, access_token, *secrets) if s]
        attempt = 0
        while True:
            attempt += 1
            try:
                answer = self._send(path, param_json, access_token)
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                if safe and attempt <= self._retries:
                    self._pause(attempt)
                    continue
                raise DoudianUnavailable(0, "network", type(exc).__name__) from None
            error = self._error_of(answer, hidden)
            if error is None:
                data = answer.get("data")
                return data if isinstance(data, dict) else {}
            if isinstance(error, Throttled) and attempt <= self._retries:
                self._pause(attempt)
                continue
            raise error

    def _send(self, path: str, param_json: str, access_token: str | None) -> dict[str, Any]:
        method = method_of(path)
        timestamp = str(int(self._clock()))
        query = {
            "app_key": self.app_key,
            "method": method,
            "timestamp": timestamp,
            "v": API_VERSION,
            "sign": sign(self.app_key, self._app_secret, method, param_json, timestamp),
            "sign_method": SIGN_METHOD,
        }
        if access_token is not None and path not in TOKEN_PATHS:
            query["access_token"] = access_token
        response = self._http.post(
            f"{self.base_url}/{path}",
            params=query,
            content=param_json.encode("utf-8"),
            headers={"Content-Type": "application/json;charset=utf-8", "x-open-no-old-err-code": "1"},
        )
        if response.status_code != 200:
            raise DoudianUnavailable(0, f"http-{response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            raise DoudianUnavailable(0, "bad-json") from None
        if not isinstance(answer, dict):
            raise DoudianUnavailable(0, "bad-json")
        return answer

    @staticmethod
    def _error_of(answer: Mapping[str, Any], secrets: list[str]) -> DoudianError | None:
        code = answer.get("code")
        if code == OK:
            return None

        def clean(value: object) -> str:
            text = "" if value is None else str(value)
            for secret in secrets:
                text = text.replace(secret, REDACTED)
            return text

        number = code if isinstance(code, int) else 0
        sub_code = clean(answer.get("sub_code"))
        return error_class(number, sub_code)(
            number, sub_code, clean(answer.get("sub_msg")), clean(answer.get("log_id")), clean(answer.get("msg"))
        )

    def _pause(self, attempt: int) -> None:
        self._sleep(self._backoff * 2 ** (attempt - 1))

    # Tokens

    def create_token_self(self, shop_id: int | str) -> Token:
        """自用型 app: ``grant_type=authorization_self`` for its own shop. Not retried on a network error."""
        return self._token("token/create", {"code": "", "grant_type": "authorization_self", "shop_id": int(shop_id)})

    def create_token_code(self, code: str) -> Token:
        """工具型 app: ``grant_type=authorization_code`` with the code from the shop's authorisation."""
        return self._token("token/create", {"code": code, "grant_type": "authorization_code"}, secret=code)

    def refresh_token(self, refresh_token: str) -> Token:
        """A new token from the refresh token (the old refresh token stops working)."""
        params = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return self._token("token/refresh", params, secret=refresh_token)

    def _token(self, path: str, params: Mapping[str, Any], secret: str | None = None) -> Token:
        asked_at = self._clock()
        data = self._call(path, params, None, safe=False, secrets=(secret,) if secret else ())
        try:
            return Token(
                access_token=str(data["access_token"]),
                refresh_token=str(data["refresh_token"]),
                expires_at=datetime.fromtimestamp(asked_at + int(data["expires_in"]), tz=UTC),
                shop_id=str(data.get("shop_id", "")),
                shop_name=str(data.get("shop_name", "")),
            )
        except (KeyError, TypeError, ValueError):
            missing = "授权应答缺少 access_token、refresh_token 或 expires_in"
            raise DoudianError(OK, "bad-token-answer", missing) from None
