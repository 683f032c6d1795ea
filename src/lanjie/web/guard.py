"""What every request passes before a page sees it (pure ASGI, so nothing reads a body first).

`HostAndHeaders`, outermost: refuses a Host header not on the allow-list (DNS rebinding: a
page on attacker.example that resolves to 127.0.0.1 must not drive the workbench) and adds the
security headers to every answer. `Gate`, inside the session cookie: checks the login (team
mode: the session's token against the ledger, so logout and removed accounts end it at once)
and refuses an anonymous post or an oversized body before a byte of it is read; the body is
then counted while it streams in.
"""

from __future__ import annotations

from functools import partial

import anyio.to_thread
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lanjie.errors import LanjieError
from lanjie.i18n import t
from lanjie.ledger.accounts import session_user
from lanjie.web.context import USER, Web, error_page, get_web, who

MB = 1024 * 1024
FORM_LIMIT = 2 * MB  # any post but an upload: forms of a few hundred selected numbers at most
UPLOAD_ENVELOPE = MB  # multipart's headers and boundaries around the files
OPEN_POSTS = frozenset({"/login", "/logout", "/operator"})  # posted before anyone is known
# Posted by the 抖店 platform, never a browser: no login and no CSRF token, its signature checked instead.
HOOK_POSTS = frozenset({"/hooks/doudian", "/hooks/kuaidi100"})
SESSION_TOKEN = "sid"  # in the signed cookie: the random token whose hash the ledger keeps

# Pages use only their own scripts and styles: no inline <script>, style= or on…= attributes
# (htmx's own indicator <style> is turned off in base.html; app-1.css styles the indicators).
# tests/web/test_browser_csp.py fails on any violation Chromium reports.
CSP = (
    "default-src 'self'; "
    "script-src 'self'; "
    "style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
HSTS = "max-age=31536000"


class TooLarge(LanjieError):
    http_status = 413


def host_name(header: str) -> str:
    """The name in a Host header, without its port: "[::1]:8000" → "::1", "Shop-PC:80" → "shop-pc"."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def add_security_headers(headers: MutableHeaders, web: Web) -> None:
    for name, value in HEADERS.items():
        headers[name] = value
    if web.secure_cookies:
        headers["Strict-Transport-Security"] = HSTS


class HostAndHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        web = get_web(request)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(MutableHeaders(scope=message), web)
            await send(message)

        allowed = web.allowed_hosts
        if allowed is not None and "*" not in allowed:
            host = host_name(Headers(scope=scope).get("host", ""))
            if host not in allowed:
                message = t("host_not_allowed", web.settings.lang, host=host[:100])
                await error_page(request, 400, message)(scope, receive, send_with_headers)
                return
        await self.app(scope, receive, send_with_headers)


class Gate:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        web = get_web(request)
        if web.team:
            await _check_session(request, web)
        if scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            refusal = _refusal(request, web)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
            receive = _counting(receive, _limit(scope["path"], web)[0], _too_large(scope["path"], web))
        await self.app(scope, receive, send)


async def _check_session(request: Request, web: Web) -> None:
    """Who is logged in, by the session token checked against the ledger (off the event loop)."""
    token = request.session.get(SESSION_TOKEN)
    user = None
    if token:
        user = await anyio.to_thread.run_sync(partial(session_user, web.ledger, str(token), now=web.now()))
        if user is None:  # logged out, password changed, account removed, or unused too long
            request.session.pop(SESSION_TOKEN, None)
    setattr(request.state, USER, user.name if user is not None else None)


def _limit(path: str, web: Web) -> tuple[int, int]:
    """The most a post to this path may send, and the limit to name in the message (MB)."""
    if path == "/import":
        files = web.settings.max_upload_mb * MB
        return int(files * 1.1) + UPLOAD_ENVELOPE, web.settings.max_upload_mb
    return FORM_LIMIT, FORM_LIMIT // MB


def _too_large(path: str, web: Web) -> TooLarge:
    limit = _limit(path, web)[1]
    return TooLarge("upload_too_large", limit=limit) if path == "/import" else TooLarge("body_too_large", limit=limit)


def _refusal(request: Request, web: Web) -> Response | None:
    """The answer to a post refused before its body is read: nobody logged in, or too large."""
    lang = web.settings.lang
    path = request.url.path
    if path not in OPEN_POSTS and path not in HOOK_POSTS and who(request) is None:
        return error_page(request, 401, t("need_login" if web.team else "need_operator", lang))
    length = request.headers.get("content-length")
    if length is not None:
        try:
            size = int(length)
        except ValueError:
            return error_page(request, 400, t("bad_request", lang))
        if size > _limit(request.url.path, web)[0]:
            error = _too_large(request.url.path, web)
            return error_page(request, error.http_status, error.render(lang))
    return None


def _counting(receive: Receive, limit: int, error: TooLarge) -> Receive:
    """The body, counted as it streams in: past the limit, TooLarge (a 413 page), whatever
    Content-Length said (or did not say: chunked)."""
    received = 0

    async def counted() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise error
        return message

    return counted
