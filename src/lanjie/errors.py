"""The errors lanjie reports to users: each knows its exit code and its message key."""

from __future__ import annotations

from typing import Any

from lanjie.i18n import Lang, t


class LanjieError(Exception):
    """An error the user can fix; rendered without a traceback, on the command line with its
    exit code and on the web with its HTTP status."""

    exit_code = 1
    http_status = 500

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def render(self, lang: Lang) -> str:
        return t(self.key, lang, **self.params)


class BadInput(LanjieError):
    """A file or an option the user gave cannot be used as it is."""

    exit_code = 2
    http_status = 400


class NotFound(LanjieError):
    exit_code = 2
    http_status = 404


class Forbidden(LanjieError):
    http_status = 403


class LedgerTrouble(LanjieError):
    """The ledger database could not finish the work (disk full, busy, connection lost).

    Not a bug and not bad input: the transaction was rolled back, nothing was written, and
    the message says what to do before trying again."""

    exit_code = 2
    http_status = 503


class LedgerFull(LedgerTrouble):
    http_status = 507  # Insufficient Storage


class LedgerBusy(LedgerTrouble):
    """Another writer held the ledger longer than the wait allowed (LANJIE_DB_TIMEOUT)."""


class LedgerConnectionLost(LedgerTrouble):
    pass
