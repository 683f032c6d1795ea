"""The 快递100 client from the settings."""

from __future__ import annotations

from lanjie.clients.kuaidi100 import Kuaidi100Client
from lanjie.config import Settings
from lanjie.errors import BadInput


def kuaidi100_from(settings: Settings) -> Kuaidi100Client:
    if not settings.kuaidi100_customer or not settings.kuaidi100_key:
        raise BadInput("kuaidi100_not_configured")
    return Kuaidi100Client(
        settings.kuaidi100_customer,
        settings.kuaidi100_key,
        secret=settings.kuaidi100_secret,
        base_url=settings.kuaidi100_base_url,
        intercept_base_url=settings.kuaidi100_api_url,
    )
