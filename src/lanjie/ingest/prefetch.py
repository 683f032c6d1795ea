"""Open export files on a worker thread while the caller gets on with its own start-up.

Opening a file has two steps. The checks (limits, encoding) are Python work; parsing a workbook
is python-calamine's, in a worker process that starts with the checks. A caller with Python
work of its own (importing the database layer, validating settings, opening the ledger) does it
best after `wait_checked()`: then it runs beside the parse and costs no time, instead of taking
turns with the checks.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from lanjie.ingest.read import CheckedFile, Sheet, check_file, parse_checked


class Prefetch:
    def __init__(self, paths: Sequence[Path], *, encoding: str | None = None) -> None:
        self.paths = list(paths)
        self._encoding = encoding
        self._sheets: list[Sheet] = []
        self._error: BaseException | None = None
        self._checked = threading.Event()
        # A daemon thread: when the command stops early (bad settings …) nobody waits for it.
        self._thread = threading.Thread(target=self._open, name="lanjie-read", daemon=True)
        self._thread.start()

    def _open(self) -> None:
        checked: list[CheckedFile] = []
        try:
            try:
                for path in self.paths:
                    checked.append(check_file(path, encoding=self._encoding))
            finally:
                self._checked.set()
            self._sheets = [parse_checked(file) for file in checked]
        except BaseException as error:  # handed to the caller by sheets()
            for file in checked:
                file.discard()
            self._error = error

    def wait_checked(self) -> None:
        """Return once every file is checked (or refused); parsing may still be going on."""
        self._checked.wait()

    def sheets(self) -> list[Sheet]:
        """The opened sheets, in the order given; raises what opening them raised. They are
        handed over, not kept: a parsed sheet is the biggest thing in memory, freed once read."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        sheets, self._sheets = self._sheets, []
        return sheets
