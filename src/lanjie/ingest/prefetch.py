"""Open export files on a worker thread while the caller gets on with its own start-up.

python-calamine parses a workbook without holding the GIL, so importing the database layer,
validating settings and opening the ledger cost no extra time when they happen meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from lanjie.ingest.read import Sheet, open_sheet


class Prefetch:
    def __init__(self, paths: Sequence[Path], *, encoding: str | None = None) -> None:
        self.paths = list(paths)
        self._encoding = encoding
        self._sheets: list[Sheet] = []
        self._error: BaseException | None = None
        # A daemon thread: when the command stops early (bad settings …) nobody waits for it.
        self._thread = threading.Thread(target=self._open, name="lanjie-read", daemon=True)
        self._thread.start()

    def _open(self) -> None:
        try:
            self._sheets = [open_sheet(path, encoding=self._encoding) for path in self.paths]
        except BaseException as error:  # handed to the caller by sheets()
            self._error = error

    def sheets(self) -> list[Sheet]:
        """The opened sheets, in the order given; raises what opening them raised."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._sheets
