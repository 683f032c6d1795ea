"""Work `lanjie serve` does in the background: a thread that wakes every minute and does one
round. Each round claims its interval in the ledger (lanjie.ledger.claims), so several servers
sharing a ledger do the work once per interval, not once each."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine

from lanjie.config import Settings
from lanjie.errors import LanjieError

WAKE_SECONDS = 60.0
Clock = Callable[[], datetime]


def server_name(owner: object) -> str:
    """Who claims a job: this machine, this process, this object."""
    return f"{socket.gethostname()}:{os.getpid()}:{id(owner):x}"[:200]


def loggable(error: Exception) -> str:
    """An error as it may be logged: its message key or its kind, never a text that could quote secrets."""
    return error.key if isinstance(error, LanjieError) else type(error).__name__


class BackgroundJob:
    """The thread; subclasses say what one round does (`run_once`) and how often (`interval`)."""

    thread_name = "lanjie-background"
    log = logging.getLogger("lanjie.background")

    def __init__(
        self, ledger: Engine, settings: Settings, *, clock: Clock, name: str | None = None, wake: float = WAKE_SECONDS
    ) -> None:
        self.ledger = ledger
        self.settings = settings
        self.clock = clock
        self.wake = wake
        self.name = (name or server_name(self))[:200]
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def interval(self) -> timedelta:
        raise NotImplementedError

    def run_once(self) -> object:
        raise NotImplementedError

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Ask the thread to stop and wait for it (a round under way finishes its current call)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.run_once()
            except Exception as error:  # the ledger or the service unreachable, say: try again at the next wake
                self.log.error("%s could not run: %s", self.thread_name, loggable(error))
            if self._stopping.wait(self.wake):
                return
