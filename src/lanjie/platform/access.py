"""What every 抖店 command needs: the app's client from the settings, the server's secret, and
the platform's errors as errors a user can act on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from lanjie.clients.doudian import DoudianClient, DoudianError
from lanjie.config import Settings
from lanjie.errors import BadInput, LanjieError
from lanjie.i18n import Text
from lanjie.web.secret import secret_key


class PlatformFailed(LanjieError):
    """The platform refused or could not be reached: its code, and what to do about it."""

    exit_code = 3
    http_status = 502

    @classmethod
    def of(cls, error: DoudianError) -> PlatformFailed:
        return cls("platform_failed", detail=str(error), advice=Text(error.explanation, **error.explanation_params()))


def client_from(settings: Settings) -> DoudianClient:
    if not settings.doudian_app_key or not settings.doudian_app_secret:
        raise BadInput("doudian_not_configured")
    return DoudianClient(settings.doudian_app_key, settings.doudian_app_secret, settings.doudian_base_url)


def server_secret(settings: Settings) -> str:
    """The key shop tokens are sealed with: the one that signs the web's cookies."""
    return secret_key(settings.secret_key)


@contextmanager
def platform_errors() -> Iterator[None]:
    try:
        yield
    except DoudianError as error:
        raise PlatformFailed.of(error) from None
