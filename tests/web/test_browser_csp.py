"""The Content-Security-Policy in a real browser: every page works under it and the browser
reports no violation (inline scripts, styles or handlers the policy would block)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser as Chromium
from playwright.sync_api import ConsoleMessage
from sqlalchemy import Engine
from test_browser import _name, _page, chromium, loaded, served  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
PAGES = ("/", "/couriers", "/couriers/zhongtong", "/import", "/remarks", "/stats", "/downloads", "/no-such-page")


def test_no_page_breaks_the_content_security_policy(chromium: Chromium, loaded: Engine) -> None:  # noqa: F811
    with served(loaded) as base:
        page = _page(chromium, "laptop")
        complaints: list[str] = []

        def listen(message: ConsoleMessage) -> None:
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
                complaints.append(f"{page.url}: {message.text}")

        page.on("console", listen)
        _name(page, base)
        for path in PAGES:
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
        assert complaints == []
