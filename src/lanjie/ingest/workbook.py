"""A workbook parsed by a worker process (`parse_worker`): its sheets' first rows, then the
rows of the sheet chosen, streamed while the caller reads them."""

from __future__ import annotations

import contextlib
import itertools
import signal
import subprocess
import sys
import weakref
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from lanjie.errors import BadInput
from lanjie.ingest import parse_worker

Cells = Sequence[object]
_PIPE_BYTES = 1 << 20  # Linux's default ceiling for a pipe's size
SheetHead = tuple[str, "tuple[int, int] | None", list[Cells]]  # name, first used cell, first rows


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
_started_early: dict[Path, WorkbookReader] = {}


def start_early(paths: Iterable[str], head_rows: int) -> None:
    """Start parsing the workbooks among `paths` (the arguments of a command that reads
    exports) before the program has loaded the rest of itself, about 0.2 s sooner; the command
    finds them parsing (`WorkbookReader.start`). One it never asks for is killed at exit."""
    for argument in paths:
        path = Path(argument)
        if path.suffix.lower() in WORKBOOK_SUFFIXES and path.is_file():
            _started_early.setdefault(path.resolve(), WorkbookReader(path, head_rows))


class WorkbookReader:
    """Starts parsing `path` at once; `stop()` (or dropping the reader) kills the worker."""

    @classmethod
    def start(cls, path: Path, head_rows: int) -> WorkbookReader:
        """The reader already parsing `path` (started early), else a new one."""
        early = _started_early.pop(path.resolve(), None)
        if early is not None and early.head_rows == head_rows:
            return early
        return cls(path, head_rows)

    def __init__(self, path: Path, head_rows: int) -> None:
        self.path = path
        self.head_rows = head_rows
        # -P: the worker's folder is not put on sys.path (it holds modules named like the stdlib's).
        self._process = subprocess.Popen(
            [sys.executable, "-P", parse_worker.__file__, str(path), str(head_rows)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._stop = weakref.finalize(self, _stop, self._process)
        assert self._process.stdout is not None
        if sys.platform == "linux":  # a bigger pipe lets the worker run ahead by a few chunks
            import fcntl

            with contextlib.suppress(OSError):
                fcntl.fcntl(self._process.stdout.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)

    def sheets(self) -> list[SheetHead]:
        """Every sheet's name, first used cell and first rows, once the whole workbook is parsed."""
        message = self._receive()
        return list(message[1])

    def stream(self, index: int, first_row: int, columns: Iterable[int] = ()) -> Iterator[tuple[int, Cells]]:
        """The rows of sheet `index` from Excel row `first_row` on, as (row number, cells), with
        only the cells of `columns` (all when none are named); the worker starts handing them
        over now and stops when they are read or dropped."""
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(" ".join(map(str, (index, *columns))).encode() + b"\n")
            self._process.stdin.close()
        except BrokenPipeError:  # the worker has stopped: _chunks says how
            pass
        return enumerate(itertools.chain.from_iterable(self._chunks()), first_row)

    def stop(self) -> None:
        self._stop()

    def _chunks(self) -> Iterator[list[Cells]]:
        try:
            while (message := self._receive())[0] == "rows":
                yield message[1]
        finally:
            self.stop()

    def _receive(self) -> tuple[Any, ...]:
        assert self._process.stdout is not None
        message = parse_worker.receive(self._process.stdout)
        if message is None:
            self.stop()
            raise BadInput("file_reader_stopped", path=self.path, detail=_how_it_ended(self._process.returncode))
        if message[0] == "password":
            self.stop()
            raise BadInput("file_password", path=self.path)
        if message[0] == "corrupt":
            self.stop()
            raise BadInput("file_corrupt", path=self.path, detail=message[1])
        return message


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):  # a stdin the worker closed first
                pipe.close()


def _how_it_ended(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit {code}"
