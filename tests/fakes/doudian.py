"""A fake 抖店 Open Platform on a real local HTTP server, speaking the documented protocol.

It checks every request as DOMAIN.md §2/§2a describes the platform: the query parameters, the
signature recomputed from the query and the body exactly as received, the timestamp within ±10 min
of its own clock, and an unexpired access token for every path but token/create and token/refresh.
Its clock is ``now`` (Unix seconds), moved by tests with :meth:`FakeDoudian.advance`.

    with FakeDoudian() as fake:
        client = DoudianClient(fake.app_key, fake.app_secret, fake.url, clock=fake.clock)

Codes the documents give: 30001, 30002 isv.invalid_ip, 40003 isv.access-token-expired /
isv.signature-invalid, 50002 isv.business-failed:11001. The throttling and timestamp answers are
not published: the ones here are stand-ins (see THROTTLE and BAD_TIMESTAMP), like every other
answer named below with "stand-in".

After-sales live in ``after_sales`` (aftersale_id → an afterSale/List item). Tests drive it with:

    fake.seed_after_sales(3000)                      # realistic items, returned
    fake.fail_page(2)                                # the next afterSale/List for page 2 fails
    fake.set_intercept("YT…", "refused", "已签收，无法拦截")  # or "unsupported"; default: success
    fake.push(webhook_url, [fake.after_sale_message("200", aftersale_id)])  # a signed push
    fake.remarks, fake.remark_calls, fake.intercepted, fake.operations  # what was done
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import secrets
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, TypeGuard
from urllib.parse import parse_qs, urlsplit

import httpx2 as httpx

from fakes.local_http import reply, serve, stop

OK = 10000
TOKEN_PATHS = ("token/create", "token/refresh")
THROTTLE = (40009, "isv.api-flow-limited", "接口调用频率超限")  # stand-in: no published code
BAD_TIMESTAMP = (40003, "isv.timestamp-invalid", "时间戳无效")  # stand-in: no published sub_code
TIMESTAMP_WINDOW = 600  # seconds either side of the fake's clock
SERVICE_ERROR = (50000, "isp.service-error", "服务繁忙，请稍后重试")  # stand-in: what fail_page answers
WINDOW_EXCEEDED = (40004, "isv.parameter-invalid:page", "page*size 不能超过 50000")  # stand-in
STALE_VERSION = (50002, "isv.business-failed:aftersale-version-changed", "售后单已更新，请刷新后重试")  # stand-in
REMARK_TOO_LONG = (50002, "isv.business-failed:remark-length-limit", "备注不能超过60个字符")  # stand-in
LIST_WINDOW = 50_000
LIST_PAGE_SIZE = 100
REMARK_LIMIT = 60
Outcome = Literal["success", "refused", "unsupported"]


@dataclass(frozen=True)
class Received:
    """One request as the fake received it."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: str


@dataclass(frozen=True)
class Remark:
    """An order's seller remark as order/addOrderRemark left it (star None: no flag asked)."""

    remark: str
    star: int | None


@dataclass(frozen=True)
class Intercept:
    """How afterSale/applyLogisticsIntercept answers for one tracking number."""

    outcome: Outcome = "success"
    reason: str = ""
    reason_code: int = 0
    cost: int = 300  # 分


REFUSALS: dict[Outcome, tuple[int, str]] = {  # stand-in codes: none are published
    "refused": (1001, "已签收，无法拦截"),
    "unsupported": (1002, "该快递公司暂不支持拦截"),
}


@dataclass
class FakeDoudian:
    app_key: str = "fake-app-key"
    app_secret: str = "fake-app-secret-不要外传"
    shop_id: int = 4463798
    shop_name: str = "蓝杰测试小店"
    now: float = 1_764_300_000.0
    token_lifetime: int = 7 * 24 * 3600
    refresh_lifetime: int = 14 * 24 * 3600
    ip_whitelisted: bool = True
    throttle_next: int = 0  # answer this many requests with THROTTLE
    drop_next: int = 0  # close this many connections without an answer (a network error for the client)
    auth_codes: set[str] = field(default_factory=set)  # one-use codes for grant_type=authorization_code
    after_sales: dict[str, dict[str, Any]] = field(default_factory=dict)  # aftersale_id → afterSale/List item
    list_window: int = LIST_WINDOW  # afterSale/List refuses page × size beyond this
    fail_pages: dict[int, tuple[int, str, str]] = field(default_factory=dict)  # page → one error answer
    intercept_outcomes: dict[str, Intercept] = field(default_factory=dict)  # tracking_no → answer
    remarks: dict[str, Remark] = field(default_factory=dict)  # shop_order_id → its latest remark
    remark_calls: Counter[str] = field(default_factory=Counter)  # shop_order_id → addOrderRemark calls
    intercepted: list[tuple[str, str]] = field(default_factory=list)  # (aftersale_id, tracking_no) done
    operations: list[tuple[int, str]] = field(default_factory=list)  # (type, aftersale_id) done
    received: list[Received] = field(default_factory=list)
    access_tokens: dict[str, float] = field(default_factory=dict)  # token → expires at
    refresh_tokens: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    # Running

    def __enter__(self) -> FakeDoudian:
        self._server, self._thread = serve(self._handle)
        return self

    def __exit__(self, *_: object) -> None:
        stop(self._server, self._thread)

    @property
    def url(self) -> str:
        assert self._server is not None, "use FakeDoudian as a context manager"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def clock(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    # What tests set up

    def seed_after_sales(self, n: int, *, seed: int = 0) -> list[dict[str, Any]]:
        """Adds ``n`` realistic after-sales (see make_after_sales) and returns them."""
        items = make_after_sales(n, now=int(self.now), seed=seed, taken=set(self.after_sales))
        for item in items:
            self.add_after_sale(item)
        return items

    def add_after_sale(self, item: dict[str, Any]) -> None:
        with self._lock:
            self.after_sales[str(item["aftersale_info"]["aftersale_id"])] = item

    def change_after_sale(self, aftersale_id: str) -> None:
        """The after-sale changes on the platform (the buyer edits it …): a new update_time."""
        with self._lock:
            touch(self.after_sales[aftersale_id], self.now)

    def fail_page(self, page: int, answer: tuple[int, str, str] = SERVICE_ERROR) -> None:
        """The next afterSale/List asking for ``page`` gets ``answer`` (once)."""
        with self._lock:
            self.fail_pages[page] = answer

    def set_intercept(self, tracking_no: str, outcome: Outcome = "success", reason: str = "", cost: int = 300) -> None:
        """How the platform answers an interception of ``tracking_no`` (default for unknown numbers: success)."""
        code, default_reason = REFUSALS.get(outcome, (0, ""))
        with self._lock:
            self.intercept_outcomes[tracking_no] = Intercept(outcome, reason or default_reason, code, cost)

    def after_sale_message(self, tag: str, aftersale_id: str) -> dict[str, Any]:
        """A push message about a stored after-sale, with the fields the public Go SDK's structs name."""
        info = self.after_sales[aftersale_id]["aftersale_info"]
        order = self.after_sales[aftersale_id]["order_info"]
        data = {
            "aftersale_id": int(aftersale_id),
            "aftersale_status": info["aftersale_status"],
            "aftersale_type": info["aftersale_type"],
            "p_id": int(order["shop_order_id"]),
            "s_id": int(info["related_id"]),
            "shop_id": self.shop_id,
            "refund_amount": info["refund_amount"],
            "status_deadline": info["status_deadline"],
        }
        return {"tag": tag, "msg_id": secrets.token_hex(10), "data": data}

    def push(
        self, url: str, messages: Sequence[Mapping[str, Any]], *, sign_ok: bool = True, app_id: str | None = None
    ) -> httpx.Response:
        """POSTs a push to a webhook as the platform does: a JSON array of {tag, msg_id, data} with
        ``data`` a JSON string, headers ``app-id`` and ``event-sign`` = md5(app_key + body + app_secret)."""
        body = push_body(messages)
        signed = hashlib.md5(self.app_key.encode() + body + self.app_secret.encode()).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "app-id": self.app_key if app_id is None else app_id,
            "event-sign": signed if sign_ok else hashlib.md5(body).hexdigest(),
        }
        return httpx.post(url, content=body, headers=headers, timeout=5)

    # The protocol

    def _handle(self, http: BaseHTTPRequestHandler) -> None:
        split = urlsplit(http.path)
        body = http.rfile.read(int(http.headers.get("Content-Length") or 0)).decode("utf-8")
        query = {name: values[-1] for name, values in parse_qs(split.query, keep_blank_values=True).items()}
        path = split.path.strip("/")
        with self._lock:
            self.received.append(Received(path, query, {k.lower(): v for k, v in http.headers.items()}, body))
            if self.drop_next > 0:
                self.drop_next -= 1
                http.close_connection = True
                return
            # Serialised under the lock: the answer holds the stored after-sales themselves.
            payload = json.dumps(self._answer(path, query, body), ensure_ascii=False).encode("utf-8")
        reply(http, payload)

    def _answer(self, path: str, query: dict[str, str], body: str) -> dict[str, Any]:
        expected = {"app_key": self.app_key, "method": path.replace("/", "."), "v": "2", "sign_method": "hmac-sha256"}
        for name, value in expected.items():
            if query.get(name) != value:
                return error(40004, f"isv.parameter-invalid:{name}", f"参数 {name} 无效")
        if not query.get("timestamp", "").isdigit() or not query.get("sign"):
            return error(40004, "isv.parameter-invalid:timestamp", "缺少 timestamp 或 sign")
        if not hmac.compare_digest(query["sign"], self.signature(query["method"], body, query["timestamp"])):
            return error(40003, "isv.signature-invalid", "签名无效")
        if abs(int(query["timestamp"]) - self.now) > TIMESTAMP_WINDOW:
            return error(*BAD_TIMESTAMP)
        if not self.ip_whitelisted:
            return error(30002, "isv.invalid_ip", "IP 不在白名单中")
        if self.throttle_next > 0:
            self.throttle_next -= 1
            return error(*THROTTLE)
        try:
            params = json.loads(body)
        except ValueError:
            return error(40004, "isv.parameter-invalid:param_json", "param_json 不是 JSON")
        if path == "token/create":
            return self._create_token(params)
        if path == "token/refresh":
            return self._refresh_token(params)
        expires_at = self.access_tokens.get(query.get("access_token", ""))
        if expires_at is None or self.now >= expires_at:
            return error(40003, "isv.access-token-expired", f"access_token {query.get('access_token')} 已过期")
        handler = self._handlers().get(path)
        if handler is None or not isinstance(params, dict):
            return error(30001, "isv.permission-denied", "应用没有该接口的权限")
        return handler(params)

    def _handlers(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {
            "afterSale/List": self._list,
            "afterSale/Detail": self._detail,
            "order/addOrderRemark": self._add_order_remark,
            "afterSale/applyLogisticsIntercept": self._intercept,
            "afterSale/operate": self._operate,
        }

    # afterSale/List and afterSale/Detail

    def _list(self, params: dict[str, Any]) -> dict[str, Any]:
        page, size = params.get("page"), params.get("size")
        if not (is_int(page) and is_int(size) and page >= 0 and 1 <= size <= LIST_PAGE_SIZE):
            return invalid("page/size", "page 从 0 开始，size 为 1..100")
        if page * size > self.list_window:
            return error(*WINDOW_EXCEEDED)
        if page in self.fail_pages:
            return error(*self.fail_pages.pop(page))
        chosen = sort_items([i for i in self.after_sales.values() if matches(i, params)], params.get("order_by"))
        items = chosen[page * size : (page + 1) * size]
        has_more = (page + 1) * size < len(chosen)
        return ok({"items": items, "has_more": has_more, "total": len(chosen), "page": page, "size": len(items)})

    def _detail(self, params: dict[str, Any]) -> dict[str, Any]:
        item = self.after_sales.get(str(params.get("after_sale_id")))
        if item is None:
            return error(50002, "isv.business-failed:11001", "售后单不存在")
        return ok(detail_of(item, with_records=params.get("need_operation_record") is True))

    # order/addOrderRemark

    def _add_order_remark(self, params: dict[str, Any]) -> dict[str, Any]:
        order_id, remark = params.get("order_id"), params.get("remark")
        add_star, star = params.get("is_add_star", "false"), params.get("star")
        if not isinstance(order_id, str) or not isinstance(remark, str) or add_star not in ("true", "false"):
            return invalid("order_id/remark/is_add_star", 'order_id、remark 应为字符串，is_add_star 为 "true"/"false"')
        if add_star == "true" and not (isinstance(star, str) and star in "012345" and len(star) == 1):
            return invalid("star", 'star 应为 "0".."5"')
        if len(remark) > REMARK_LIMIT:
            return error(*REMARK_TOO_LONG)
        orders = [item for item in self.after_sales.values() if item["order_info"]["shop_order_id"] == order_id]
        if not orders:
            return error(50002, "isv.business-failed:11001", "订单不存在")
        flag = int(star) if add_star == "true" and isinstance(star, str) else None
        self.remarks[order_id] = Remark(remark, flag)
        self.remark_calls[order_id] += 1
        for item in orders:
            if flag is not None:
                item["order_info"]["order_flag"] = flag
            log = {"content": remark, "op_name": "开放平台", "create_time": beijing(self.now), "star": flag or 0}
            item["seller_logs"].append(log)
        return ok({})

    # afterSale/applyLogisticsIntercept

    def _intercept(self, params: dict[str, Any]) -> dict[str, Any]:
        aftersale_id, op_from = params.get("after_sale_id"), params.get("op_from")
        targets = params.get("intercept_targets")
        if not is_int(aftersale_id) or op_from not in (1, 3) or not isinstance(targets, list) or not targets:
            return invalid("after_sale_id/op_from/intercept_targets", "after_sale_id 为数字，op_from 为 1 或 3")
        if not all(isinstance(t, dict) and isinstance(t.get("tracking_no"), str) for t in targets):
            return invalid("intercept_targets", "intercept_targets 应为 {company_code, tracking_no}")
        item = self.after_sales.get(str(aftersale_id))
        if item is None:
            return error(50002, "isv.business-failed:11001", "售后单不存在")
        results = [self._intercept_one(item, target) for target in targets]
        failed = [r for r in results if not r["is_success"]]
        return ok(
            {
                "intercept_results": results,
                "success_count": len(results) - len(failed),
                "failed_count": len(failed),
                "unavailable_reason_code": failed[0]["unavailable_reason_code"] if len(failed) == 1 else 0,
                "unavailable_reason": failed[0]["unavailable_reason"] if len(failed) == 1 else "",
                "refund_amount": item["aftersale_info"]["refund_amount"],
            }
        )

    def _intercept_one(self, item: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
        info = item["aftersale_info"]
        number = target["tracking_no"]
        parcel = next((p for p in info["order_logistics"] if p["tracking_no"] == number), None)
        answer = self.intercept_outcomes.get(number, Intercept())
        if parcel is None:
            answer = Intercept("refused", "包裹不属于该售后单", 1003)  # stand-in code
        elif (info["aftersale_id"], number) in self.intercepted:
            answer = Intercept("refused", "已发起过拦截，请勿重复操作", 1004)  # stand-in code
        result = {
            "company_code": str(target.get("company_code") or ""),
            "company_name": parcel["company_name"] if parcel else "",
            "tracking_no": number,
            "value_amount": info["refund_amount"],
            "can_intercept": answer.outcome == "success",
            "is_success": answer.outcome == "success",
            "unavailable_reason_code": answer.reason_code,
            "unavailable_reason": answer.reason,
            "intercept_cost": answer.cost if answer.outcome == "success" else 0,
            "settlement_mode": 0,
        }
        if parcel is not None and answer.outcome == "success":
            parcel["logistics_state"], parcel["logistics_time"] = 3, int(self.now)  # 快递退回中（含拦截成功）
            self.intercepted.append((info["aftersale_id"], number))
            touch(item, self.now)
        return result

    # afterSale/operate

    def _operate(self, params: dict[str, Any]) -> dict[str, Any]:
        kind, items = params.get("type"), params.get("items")
        if kind != 201:
            return invalid("type", "假平台只支持 type=201（同意仅退款）")
        if not isinstance(items, list) or not 1 <= len(items) <= 20:
            return invalid("items", "items 应有 1..20 个")
        for wanted in items:  # one failure fails the whole batch, before anything changes
            refusal = self._refusal_to_agree(wanted)
            if refusal is not None:
                return refusal
        for wanted in items:
            item = self.after_sales[wanted["aftersale_id"]]
            item["aftersale_info"].update(aftersale_status=12, refund_status=3)
            item["text_part"]["aftersale_status_text"] = STATUS_TEXT[12]
            touch(item, self.now)
            self.operations.append((kind, wanted["aftersale_id"]))
        answers = [{"aftersale_id": int(w["aftersale_id"]), "status_code": 0, "status_msg": "success"} for w in items]
        return ok({"items": answers})

    def _refusal_to_agree(self, wanted: object) -> dict[str, Any] | None:
        if not isinstance(wanted, dict) or not isinstance(wanted.get("aftersale_id"), str):
            return invalid("items.aftersale_id", "aftersale_id 应为字符串")
        item = self.after_sales.get(wanted["aftersale_id"])
        if item is None:
            return error(50002, "isv.business-failed:11001", "售后单不存在")
        info = item["aftersale_info"]
        version = wanted.get("update_time")
        if version is not None and version != info["update_time"]:
            return error(*STALE_VERSION)
        if info["aftersale_status"] != 6 or info["aftersale_type"] not in (1, 2):
            return error(50002, "isv.business-failed:11001", "售后单当前状态不能同意仅退款")
        return None

    def signature(self, method: str, param_json: str, timestamp: str) -> str:
        """The documented formula, written out again here so that the client is checked against it."""
        pattern = "app_key" + self.app_key + "method" + method + "param_json" + param_json
        pattern += "timestamp" + timestamp + "v" + "2"
        key = self.app_secret.encode("utf-8")
        return hmac.new(key, (self.app_secret + pattern + self.app_secret).encode("utf-8"), hashlib.sha256).hexdigest()

    def _create_token(self, params: dict[str, Any]) -> dict[str, Any]:
        grant = params.get("grant_type")
        if grant == "authorization_self":
            if str(params.get("shop_id")) != str(self.shop_id):  # the SDK sends it as a string
                return error(30001, "isv.shop-not-authorized", "店铺未授权本应用")
        elif grant == "authorization_code":
            if params.get("code") not in self.auth_codes:
                return error(40004, "isv.parameter-invalid:code", "授权码无效或已使用")
            self.auth_codes.discard(params["code"])
        else:
            return error(40004, "isv.parameter-invalid:grant_type", "grant_type 无效")
        return self._issue()

    def _refresh_token(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("grant_type") != "refresh_token":
            return error(40004, "isv.parameter-invalid:grant_type", "grant_type 无效")
        expires_at = self.refresh_tokens.pop(str(params.get("refresh_token")), None)
        if expires_at is None or self.now >= expires_at:
            # Echoes what it was sent, as error answers may: the client must blank it out.
            return error(40003, "isv.refresh-token-expired", f"refresh_token {params.get('refresh_token')} 已过期")
        return self._issue()

    def _issue(self) -> dict[str, Any]:
        access, refresh = secrets.token_hex(16), secrets.token_hex(16)
        self.access_tokens[access] = self.now + self.token_lifetime
        self.refresh_tokens[refresh] = self.now + self.refresh_lifetime
        return ok(
            {
                "access_token": access,
                "expires_in": self.token_lifetime,
                "refresh_token": refresh,
                "scope": "SCOPE",
                "shop_id": str(self.shop_id),
                "shop_name": self.shop_name,
                "authority_id": str(self.shop_id),
            }
        )


def ok(data: dict[str, Any]) -> dict[str, Any]:
    return {"code": OK, "msg": "success", "sub_code": "", "sub_msg": "", "log_id": secrets.token_hex(8), "data": data}


def error(code: int, sub_code: str, sub_msg: str) -> dict[str, Any]:
    return {"code": code, "msg": "失败", "sub_code": sub_code, "sub_msg": sub_msg, "log_id": secrets.token_hex(8)}


def invalid(name: str, message: str) -> dict[str, Any]:
    return error(40004, f"isv.parameter-invalid:{name}", message)


def is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def beijing(now: float) -> str:
    return datetime.fromtimestamp(now, tz=timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M:%S")


def touch(item: dict[str, Any], now: float) -> None:
    """A change of the after-sale: a new, later update_time (its version for afterSale/operate)."""
    info = item["aftersale_info"]
    info["update_time"] = max(info["update_time"] + 1, int(now))


# afterSale/List: filters and order


def matches(item: dict[str, Any], params: Mapping[str, Any]) -> bool:
    info = item["aftersale_info"]
    if params.get("aftersale_type") and info["aftersale_type"] != params["aftersale_type"]:
        return False
    if params.get("standard_aftersale_status") and info["aftersale_status"] not in params["standard_aftersale_status"]:
        return False
    if params.get("update_start_time") and info["update_time"] < params["update_start_time"]:
        return False
    return not (params.get("update_end_time") and info["update_time"] > params["update_end_time"])


SORTABLE = ("status_deadline", "apply_time", "update_time")


def sort_items(items: list[dict[str, Any]], order_by: object) -> list[dict[str, Any]]:
    """By ``order_by`` ("<field> asc|desc", the first the strongest), ties by aftersale_id."""
    orders = [o.split() for o in order_by if isinstance(o, str)] if isinstance(order_by, list) else []
    orders = [o for o in orders if len(o) == 2 and o[0] in SORTABLE and o[1] in ("asc", "desc")]
    chosen = sorted(items, key=lambda i: i["aftersale_info"]["aftersale_id"])
    for name, direction in reversed(orders or [["status_deadline", "asc"]]):
        chosen.sort(key=_by(name), reverse=direction == "desc")
    return chosen


def _by(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda item: item["aftersale_info"][name]


def detail_of(item: dict[str, Any], *, with_records: bool) -> dict[str, Any]:
    """afterSale/Detail's data for a stored item, in the shape the Go SDK's structs give it."""
    info, order = item["aftersale_info"], item["order_info"]
    process: dict[str, Any] = {
        "after_sale_info": {
            "after_sale_id": int(info["aftersale_id"]),
            "after_sale_status": info["aftersale_status"],
            "after_sale_status_desc": item["text_part"]["aftersale_status_text"],
            "after_sale_type": info["aftersale_type"],
            "after_sale_type_text": item["text_part"]["aftersale_type_text"],
            "apply_time": info["apply_time"],
            "update_time": info["update_time"],
            "status_deadline": info["status_deadline"],
            "refund_total_amount": info["refund_amount"],
            "refund_status": info["refund_status"],
            "reason": item["text_part"]["reason_text"],
            "got_pkg": info["got_pkg"],
        },
        "logistics_info": {"order": [dict(parcel) for parcel in info["order_logistics"]]},
        "after_sale_shop_remarks": [],
    }
    if with_records:
        process["record_logs_list"] = []
    skus = [
        {"sku_order_id": int(r["sku_order_id"]), "order_status": r["order_status"], "product_name": r["product_name"]}
        for r in order["related_order_info"]
    ]
    return {
        "process_info": process,
        "order_info": {"shop_order_id": int(order["shop_order_id"]), "sku_order_infos": skus},
    }


# Realistic after-sales


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


COURIERS: tuple[tuple[str, str, Callable[[random.Random], str]], ...] = (
    ("zhongtong", "中通快递", lambda r: "7" + r.choice("3456") + _digits(r, 12)),
    ("yuantong", "圆通速递", lambda r: "YT" + _digits(r, 13)),
    ("shunfeng", "顺丰速运", lambda r: "SF" + _digits(r, 13)),
    ("yunda", "韵达快递", lambda r: "46" + _digits(r, 13)),
    ("jtexpress", "极兔速递", lambda r: "JT" + _digits(r, 13)),
)
TYPE_TEXT = {0: "退货退款", 1: "已发货仅退款", 2: "未发货仅退款"}
STATUS_TEXT = {6: "待商家处理", 7: "待买家退货", 12: "同意退款，退款成功", 27: "拒绝售后申请", 28: "售后关闭"}
STATUSES = {0: (6, 7, 12, 28), 1: (6, 12, 27, 28), 2: (6, 12, 27, 28)}
LOGISTICS_TEXT = {0: "已发货", 1: "买家已拒签", 2: "已签收", 3: "快递退回中", 4: "商家已签收"}
REASONS = ("不想要了", "快递一直未送到", "拍错/多拍", "商品与描述不符", "地址填错了")
PRODUCTS = (
    "加厚珊瑚绒四件套 1.8m",
    "儿童保温杯 316 不锈钢",
    "无线蓝牙耳机 降噪款",
    "冬季加绒卫衣 男款 XL",
    "厨房收纳置物架 三层",
)


def make_after_sales(n: int, *, now: int, seed: int = 0, taken: Iterable[str] = ()) -> list[dict[str, Any]]:
    """``n`` afterSale/List items: 19-digit ids, parcels with real-looking numbers of 中通 圆通 顺丰
    韵达 极兔, deadlines spread over the next five days, updates over the last four."""
    rng = random.Random(seed)
    used = set(taken)
    return [_after_sale(rng, now, used) for _ in range(n)]


def _unique_id(rng: random.Random, used: set[str], low: int) -> str:
    while True:
        candidate = str(rng.randrange(low, low + 10**17))
        if candidate not in used:
            used.add(candidate)
            return candidate


def _after_sale(rng: random.Random, now: int, used: set[str]) -> dict[str, Any]:
    kind = rng.choices((0, 1, 2), weights=(3, 5, 2))[0]
    status = rng.choices(STATUSES[kind], weights=(7, 1, 1, 1))[0]
    apply_time = now - rng.randrange(600, 4 * 86400)
    parcels = [_parcel(rng, apply_time) for _ in range(0 if kind == 2 else rng.choices((1, 2), weights=(9, 1))[0])]
    aftersale_id, sku_order_id = _unique_id(rng, used, 7_300 * 10**15), _unique_id(rng, used, 6_900 * 10**15)
    amount = rng.randrange(990, 39_900)
    info = {
        "aftersale_id": aftersale_id,
        "aftersale_type": kind,
        "aftersale_status": status,
        "related_id": sku_order_id,
        "apply_time": apply_time,
        "update_time": rng.randrange(apply_time, now + 1),
        "status_deadline": now + rng.randrange(1800, 5 * 86400),
        "refund_amount": amount,
        "refund_status": 3 if status == 12 else 1,
        "refund_type": 0,
        "got_pkg": 1 if kind == 0 else 0,
        "remark": "",
        "is_agree_refuse_sign": 2,
        "store_name": "",
        "order_logistics": parcels,
    }
    product = rng.choice(PRODUCTS)
    related = {
        "sku_order_id": sku_order_id,
        "order_status": 2 if kind == 2 else 3,
        "product_name": product,
        "logistics_code": parcels[0]["tracking_no"] if parcels else "",
        "item_num": 1,
        "aftersale_pay_amount": amount,
    }
    text = {
        "logistics_text": "未发货" if not parcels else LOGISTICS_TEXT[parcels[0]["logistics_state"]],
        "aftersale_status_text": STATUS_TEXT[status],
        "aftersale_type_text": TYPE_TEXT[kind],
        "reason_text": rng.choice(REASONS),
    }
    order = {"shop_order_id": _unique_id(rng, used, 6_920 * 10**15), "order_flag": 0, "related_order_info": [related]}
    return {"aftersale_info": info, "order_info": order, "text_part": text, "seller_logs": []}


def _parcel(rng: random.Random, apply_time: int) -> dict[str, Any]:
    code, name, number = rng.choice(COURIERS)
    return {
        "tracking_no": number(rng),
        "company_name": name,
        "company_code": code,
        "logistics_state": rng.choices((0, 1, 2, 3), weights=(6, 1, 2, 1))[0],
        "logistics_time": apply_time - rng.randrange(3600, 3 * 86400),
    }


def push_body(messages: Sequence[Mapping[str, Any]]) -> bytes:
    """The body of a push: ``data`` sent as a JSON string, as the platform does."""
    entries = []
    for message in messages:
        data = message.get("data", {})
        entries.append(
            {
                "tag": str(message["tag"]),
                "msg_id": str(message.get("msg_id") or secrets.token_hex(10)),
                "data": data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":")),
            }
        )
    return json.dumps(entries, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
