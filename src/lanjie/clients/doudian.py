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
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx2 as httpx

from lanjie.i18n import Lang, t

OK = 10000
API_VERSION = "2"
SIGN_METHOD = "hmac-sha256"
TOKEN_PATHS = frozenset({"token/create", "token/refresh"})  # sent without access_token
REDACTED = "***"
LIST_PAGE_SIZE = 100  # afterSale/List: at most 100 a page
LIST_WINDOW = 50_000  # afterSale/List: page × size may not pass this, whatever the filters
LIST_ORDER = ("status_deadline asc",)  # the nearest deadline first, as the back office sorts
REMARK_LIMIT = 60  # order/addOrderRemark: characters
OPERATE_AGREE_REFUND = 201  # afterSale/operate type: 同意仅退款
OP_FROM_MERCHANT = 1  # applyLogisticsIntercept op_from: 1 商家, 3 客服


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

    explanation: ClassVar[str] = "doudian_error"  # its key in lanjie.i18n.MESSAGES

    def __init__(self, code: int, sub_code: str = "", sub_msg: str = "", log_id: str = "", msg: str = "") -> None:
        self.code = code
        self.sub_code = sub_code
        self.sub_msg = sub_msg
        self.log_id = log_id
        self.msg = msg
        detail = sub_msg or msg or "-"
        super().__init__(f"抖店接口错误 code={code} sub_code={sub_code or '-'} sub_msg={detail} log_id={log_id or '-'}")

    def explain(self, lang: Lang = "zh") -> str:
        """What the after-sales staff should do, in their language."""
        return t(self.explanation, lang, **self.explanation_params())

    def explanation_params(self) -> dict[str, object]:
        return {}


class DoudianUnavailable(DoudianError):
    """A network error, a timeout or an HTTP status other than 200, after any retries."""

    explanation = "doudian_unavailable"


class TokenExpired(DoudianError):
    """40003 isv.access-token-expired (also an expired refresh token)."""

    explanation = "doudian_token_expired"


class SignatureInvalid(DoudianError):
    """40003 isv.signature-invalid."""

    explanation = "doudian_signature_invalid"


class IpNotWhitelisted(DoudianError):
    """30002 isv.invalid_ip."""

    explanation = "doudian_ip_not_whitelisted"


class NoPermission(DoudianError):
    """30001: no permission for this API, or the shop has not authorised the app."""

    explanation = "doudian_no_permission"


class BusinessFailed(DoudianError):
    """50002 isv.business-failed:…: to be handled by hand in the 抖店 back office."""

    explanation = "doudian_business_failed"


class Throttled(DoudianError):
    """The platform asks to call less often. No code is published: recognised by its sub_code."""

    explanation = "doudian_throttled"


class RemarkTooLong(DoudianError, ValueError):
    """An order remark longer than the platform takes: refused before anything is sent."""

    explanation = "doudian_remark_too_long"

    def __init__(self, length: int, limit: int = REMARK_LIMIT) -> None:
        super().__init__(0, "remark-too-long", f"备注 {length} 个字，超过 {limit} 个字")
        self.length = length
        self.limit = limit

    def explanation_params(self) -> dict[str, object]:
        return {"length": self.length, "limit": self.limit}


class ListWindowExceeded(DoudianError):
    """afterSale/List cannot page past page × size = 50,000: the query must be narrowed.

    Raised before the page that would pass the cap is asked for. ``total`` is what the platform
    counted for the query, ``reachable`` how many items paging could give."""

    explanation = "doudian_list_window"

    def __init__(self, total: int, reachable: int) -> None:
        super().__init__(0, "list-window", f"共 {total} 条，分页最多取到 {reachable} 条")
        self.total = total
        self.reachable = reachable

    def explanation_params(self) -> dict[str, object]:
        return {"total": self.total, "limit": self.reachable}


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


@dataclass(frozen=True)
class AfterSalePage:
    """One page of afterSale/List: the items as the platform sends them (``aftersale_info``,
    ``order_info``, ``text_part``, ``seller_logs``), ``total`` for the whole query."""

    page: int
    items: tuple[dict[str, Any], ...]
    total: int
    has_more: bool


@dataclass(frozen=True)
class InterceptResult:
    """One parcel of afterSale/applyLogisticsIntercept. Amounts in 分."""

    company_code: str
    company_name: str
    tracking_no: str
    can_intercept: bool
    is_success: bool
    unavailable_reason_code: int
    unavailable_reason: str
    intercept_cost: int
    value_amount: int

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> InterceptResult:
        return cls(
            company_code=_text(raw.get("company_code")),
            company_name=_text(raw.get("company_name")),
            tracking_no=_text(raw.get("tracking_no")),
            can_intercept=raw.get("can_intercept") is True,
            is_success=raw.get("is_success") is True,
            unavailable_reason_code=_number(raw.get("unavailable_reason_code")),
            unavailable_reason=_text(raw.get("unavailable_reason")),
            intercept_cost=_number(raw.get("intercept_cost")),
            value_amount=_number(raw.get("value_amount")),
        )


@dataclass(frozen=True)
class InterceptAnswer:
    """The answer to one afterSale/applyLogisticsIntercept call. ``unavailable_reason`` at this
    level is only meaningful when exactly one parcel failed (as the SDK documents it)."""

    results: tuple[InterceptResult, ...]
    success_count: int
    failed_count: int
    unavailable_reason_code: int
    unavailable_reason: str

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> InterceptAnswer:
        raw_results = data.get("intercept_results")
        results = tuple(InterceptResult.of(r) for r in raw_results or () if isinstance(r, Mapping))
        return cls(
            results=results,
            success_count=_number(data.get("success_count")),
            failed_count=_number(data.get("failed_count")),
            unavailable_reason_code=_number(data.get("unavailable_reason_code")),
            unavailable_reason=_text(data.get("unavailable_reason")),
        )


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _number(value: object) -> int:
    if isinstance(value, int | float | str):
        try:
            return int(value)
        except ValueError:
            return 0
    return 0


def remark_length(remark: str) -> int:
    """A remark's length as the platform is assumed to count it: UTF-16 code units (an emoji is
    two), which is never less than the characters a person sees, so a remark passing here fits."""
    return len(remark.encode("utf-16-le")) // 2


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
        list_window: int = LIST_WINDOW,
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
        self.list_window = list_window
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
        """自用型 app: ``grant_type=authorization_self`` for its own shop. Not retried on a network error.

        As the official Go SDK sends it: ``shop_id`` a string, the empty ``code`` left out (omitempty)."""
        return self._token("token/create", {"grant_type": "authorization_self", "shop_id": str(shop_id)})

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

    # After-sales

    def list_after_sales(
        self,
        access_token: str,
        *,
        update_start: int | None = None,
        update_end: int | None = None,
        aftersale_type: int | None = None,
        statuses: Sequence[int] | None = None,
        page_size: int = LIST_PAGE_SIZE,
        start_page: int = 0,
    ) -> Iterator[AfterSalePage]:
        """afterSale/List page after page, nearest ``status_deadline`` first, until ``has_more`` is false.

        ``update_start``/``update_end`` (Unix seconds) filter on the last update, ``aftersale_type``
        on the type, ``statuses`` on ``standard_aftersale_status``. Empty filters are not sent (as
        the Go SDK omits them), so type 0 (退货退款) cannot be a filter: list without it and keep
        the items whose ``aftersale_info.aftersale_type`` is 0.

        The platform pages at most 50,000 items deep (page × size) whatever the query: before a
        page would pass that, :class:`ListWindowExceeded` is raised. Narrow the window then: split
        ``update_start``..``update_end`` into shorter ranges (the SDK also has the apply-time
        filters ``start_time``/``end_time``) until each query's ``total`` fits.

        An error (an expired token: :class:`TokenExpired`) ends the run; the caller refreshes the
        token and goes on with ``start_page`` = the last page it got + 1. The list may have moved
        meanwhile (it is sorted by deadline), so dedupe by ``aftersale_id`` and, to be sure, run
        again from page 0. Reads are retried after a network error.
        """
        if not 1 <= page_size <= LIST_PAGE_SIZE:
            raise ValueError(f"page_size 应在 1..{LIST_PAGE_SIZE} 之间")
        if aftersale_type == 0:
            raise ValueError("aftersale_type 0（退货退款）不能作为筛选条件发送：不带它查询，再按 aftersale_type 挑出")
        filters = _list_filters(update_start, update_end, aftersale_type, statuses)
        page, total = start_page, 0
        while True:
            if (page + 1) * page_size > self.list_window:
                raise ListWindowExceeded(total, page * page_size)
            params = {**filters, "order_by": list(LIST_ORDER), "page": page, "size": page_size}
            data = self.call("afterSale/List", params, access_token, safe=True)
            items = tuple(item for item in data.get("items") or () if isinstance(item, dict))
            total = _number(data.get("total"))
            has_more = data.get("has_more") is True and bool(items)  # an empty page never loops
            yield AfterSalePage(page, items, total, has_more)
            if not has_more:
                return
            page += 1

    def after_sale_detail(
        self, access_token: str, aftersale_id: str, *, need_operation_record: bool = False
    ) -> dict[str, Any]:
        """afterSale/Detail: ``data`` as sent (``process_info``, ``order_info``)."""
        params: dict[str, Any] = {"after_sale_id": str(aftersale_id)}
        if need_operation_record:
            params["need_operation_record"] = True
        return self.call("afterSale/Detail", params, access_token, safe=True)

    def add_order_remark(self, access_token: str, order_id: str, remark: str, star: int | None = None) -> None:
        """order/addOrderRemark on the parent order, with a flag (``star`` 0..5 = 灰 紫 青 绿 橙 红) or without.

        A remark over 60 characters raises :class:`RemarkTooLong` before anything is sent."""
        length = remark_length(remark)
        if length > REMARK_LIMIT:
            raise RemarkTooLong(length)
        if star is not None and not 0 <= star <= 5:
            raise ValueError("star 应为 0..5（灰 紫 青 绿 橙 红）")
        params = {"order_id": str(order_id), "remark": remark, "is_add_star": "false" if star is None else "true"}
        if star is not None:
            params["star"] = str(star)
        self.call("order/addOrderRemark", params, access_token)

    def apply_logistics_intercept(
        self,
        access_token: str,
        aftersale_id: str,
        targets: Sequence[tuple[str, str]],
        op_from: int = OP_FROM_MERCHANT,
    ) -> InterceptAnswer:
        """afterSale/applyLogisticsIntercept for the parcels ``(company_code, tracking_no)`` of one after-sale."""
        if not targets:
            raise ValueError("至少要有一个要拦截的包裹")
        params = {
            "after_sale_id": int(aftersale_id),
            "op_from": op_from,
            "intercept_targets": [{"company_code": code, "tracking_no": number} for code, number in targets],
        }
        return InterceptAnswer.of(self.call("afterSale/applyLogisticsIntercept", params, access_token))

    def agree_refund(self, access_token: str, aftersale_id: str, update_time: int | None = None) -> None:
        """afterSale/operate type 201 (同意仅退款) for one after-sale: one failure fails a whole batch.

        ``update_time`` (from afterSale/List or Detail, or a push) makes the platform refuse if the
        after-sale changed since: :class:`BusinessFailed`, to be looked at again."""
        item: dict[str, Any] = {"aftersale_id": str(aftersale_id)}
        if update_time is not None:
            item["update_time"] = update_time
        data = self.call("afterSale/operate", {"type": OPERATE_AGREE_REFUND, "items": [item]}, access_token)
        for result in data.get("items") or ():
            status = _number(result.get("status_code")) if isinstance(result, Mapping) else 0
            if status != 0:  # assumed: the SDK types status_code without saying which value is success
                raise BusinessFailed(OK, f"operate:{status}", _text(result.get("status_msg")))


def _list_filters(
    update_start: int | None, update_end: int | None, aftersale_type: int | None, statuses: Sequence[int] | None
) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    if update_start:
        filters["update_start_time"] = update_start
    if update_end:
        filters["update_end_time"] = update_end
    if aftersale_type:
        filters["aftersale_type"] = aftersale_type
    if statuses:
        filters["standard_aftersale_status"] = list(statuses)
    return filters
