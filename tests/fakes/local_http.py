"""The local HTTP server every fake runs on: threaded, on a free port of 127.0.0.1, quiet."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def serve(handle: Callable[[BaseHTTPRequestHandler], None]) -> tuple[ThreadingHTTPServer, threading.Thread]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            handle(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=lambda: server.serve_forever(poll_interval=0.02), daemon=True)
    thread.start()
    return server, thread


def stop(server: ThreadingHTTPServer | None, thread: threading.Thread | None) -> None:
    assert server is not None and thread is not None
    server.shutdown()
    server.server_close()
    thread.join()


def reply(http: BaseHTTPRequestHandler, answer: dict[str, Any] | bytes) -> None:
    """Answer with JSON (`answer`, or a body already serialised)."""
    payload = answer if isinstance(answer, bytes) else json.dumps(answer, ensure_ascii=False).encode("utf-8")
    http.send_response(200)
    http.send_header("Content-Type", "application/json;charset=utf-8")
    http.send_header("Content-Length", str(len(payload)))
    http.end_headers()
    http.wfile.write(payload)
