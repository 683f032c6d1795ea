"""A fake 抖店 Open Platform on a real local HTTP server, speaking the documented protocol.

It checks every request as DOMAIN.md §2/§2a describes the platform: the query parameters, the
signature recomputed from the query and the body exactly as received, the timestamp within ±10 min
of its own clock, and an unexpired access token for every path but token/create and token/refresh.
Its clock is ``now`` (Unix seconds), moved by tests with :meth:`FakeDoudian.advance`.

    with FakeDoudian() as fake:
        client = DoudianClient(fake.app_key, fake.app_secret, fake.url, clock=fake.clock)

Codes the documents give: 30001, 30002 isv.invalid_ip, 40003 isv.access-token-expired /
isv.signature-invalid, 50002 isv.business-failed:11001. The throttling and timestamp answers are
not published: the ones here are stand-ins (see THROTTLE and BAD_TIMESTAMP).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

OK = 10000
TOKEN_PATHS = ("token/create", "token/refresh")
THROTTLE = (40009, "isv.api-flow-limited", "接口调用频率超限")  # stand-in: no published code
BAD_TIMESTAMP = (40003, "isv.timestamp-invalid", "时间戳无效")  # stand-in: no published sub_code
TIMESTAMP_WINDOW = 600  # seconds either side of the fake's clock


@dataclass(frozen=True)
class Received:
    """One request as the fake received it."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: str


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
    after_sales: dict[str, dict[str, Any]] = field(default_factory=dict)  # for afterSale/Detail
    received: list[Received] = field(default_factory=list)
    access_tokens: dict[str, float] = field(default_factory=dict)  # token → expires at
    refresh_tokens: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    # Running

    def __enter__(self) -> FakeDoudian:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        server = self._server
        self._thread = threading.Thread(target=lambda: server.serve_forever(poll_interval=0.02), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def url(self) -> str:
        assert self._server is not None, "use FakeDoudian as a context manager"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def clock(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

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
            answer = self._answer(path, query, body)
        payload = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        http.send_response(200)
        http.send_header("Content-Type", "application/json;charset=utf-8")
        http.send_header("Content-Length", str(len(payload)))
        http.end_headers()
        http.wfile.write(payload)

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
        if path == "afterSale/Detail":
            item = self.after_sales.get(str(params.get("after_sale_id")))
            if item is None:
                return error(50002, "isv.business-failed:11001", "售后单不存在")
            return ok({"process_info": {"after_sale_info": item}})
        return error(30001, "isv.permission-denied", "应用没有该接口的权限")

    def signature(self, method: str, param_json: str, timestamp: str) -> str:
        """The documented formula, written out again here so that the client is checked against it."""
        pattern = "app_key" + self.app_key + "method" + method + "param_json" + param_json
        pattern += "timestamp" + timestamp + "v" + "2"
        key = self.app_secret.encode("utf-8")
        return hmac.new(key, (self.app_secret + pattern + self.app_secret).encode("utf-8"), hashlib.sha256).hexdigest()

    def _create_token(self, params: dict[str, Any]) -> dict[str, Any]:
        grant = params.get("grant_type")
        if grant == "authorization_self":
            if params.get("shop_id") != self.shop_id:
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
