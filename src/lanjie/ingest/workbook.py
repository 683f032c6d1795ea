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

# What a worker may hold (address space) until the limits scan has passed its file: the larger
# of UNCHECKED_BYTES and UNCHECKED_PER_FILE_BYTE × the file's size. An export's whole parse
# takes 21–26 × its size at its peak (100,000 rows: 17 MB, 440 MB; 1,000,000 rows: 168 MB,
# 3.5 GB); a hostile file asks for far more than its size. The scan usually passes a file first
# (it reads about three times as fast as the parse); a worker stopped by this limit (a legitimate
# file that compresses unusually well) is started again, without it, once the scan has passed.
UNCHECKED_BYTES = 512 << 20
UNCHECKED_PER_FILE_BYTE = 32

# Where a process's limit can be raised from outside (Linux), the parse runs beside the scan;
# elsewhere it starts once the scan has passed the file.
PARSES_BESIDE_SCAN = sys.platform == "linux"

_started_early: dict[Path, WorkbookReader] = {}


def start_early(paths: Iterable[str], head_rows: int) -> None:
    """Start parsing the workbooks among `paths` (the arguments of a command that reads
    exports) before the program has loaded the rest of itself, about 0.2 s sooner; the command
    finds them parsing (`WorkbookReader.start`). One it never asks for is killed at exit."""
    if not PARSES_BESIDE_SCAN:
        return
    for argument in paths:
        path = Path(argument)
        if path.suffix.lower() in WORKBOOK_SUFFIXES and path.is_file():
            _started_early.setdefault(path.resolve(), WorkbookReader(path, head_rows, checked=False))


class WorkbookReader:
    """Parses `path` in a worker process, started at once; `stop()` (or dropping the reader)
    kills it. A reader started before its file was checked holds little memory (UNCHECKED_BYTES)
    until `checked()`."""

    @classmethod
    def start(cls, path: Path, head_rows: int) -> WorkbookReader:
        """The reader already parsing `path` (started early), else a new one; not yet checked."""
        early = _started_early.pop(path.resolve(), None)
        if early is not None and early.head_rows == head_rows:
            return early
        return cls(path, head_rows, checked=False)

    def __init__(self, path: Path, head_rows: int, *, checked: bool) -> None:
        self.path = path
        self.head_rows = head_rows
        self._capped = not checked  # started with the limit (it may have stopped the worker)
        self._launch(0 if checked else max(UNCHECKED_BYTES, UNCHECKED_PER_FILE_BYTE * _size(path)))

    def _launch(self, unchecked: int) -> None:
        """Start a worker; with `unchecked` bytes, limited to them until `checked()` (the limits
        are set from here, so the worker cannot overwrite a raise that came before its own start)."""
        # -P: the worker's folder is not put on sys.path (it holds modules named like the stdlib's).
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-P",
                parse_worker.__file__,
                str(self.path),
                str(self.head_rows),
                "limited" if unchecked else "free",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._stop = weakref.finalize(self, _stop, self._process)
        if unchecked:
            ceiling = parse_worker.memory_ceiling() or unchecked
            _limit_memory(self._process.pid, min(unchecked, ceiling), ceiling)
        assert self._process.stdout is not None
        if sys.platform == "linux":  # a bigger pipe lets the worker run ahead by a few chunks
            import fcntl

            with contextlib.suppress(OSError):
                fcntl.fcntl(self._process.stdout.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)

    def checked(self) -> None:
        """The limits scan has passed the file: the worker may take what parsing it needs."""
        if self._capped:
            ceiling = parse_worker.memory_ceiling()
            if ceiling:
                _limit_memory(self._process.pid, ceiling, ceiling)

    def sheets(self) -> list[SheetHead]:
        """Every sheet's name, first used cell and first rows, once the whole workbook is parsed."""
        message = self._next()
        if message is None and self._capped:  # maybe stopped by the limit before the scan passed
            self.stop()
            self._capped = False
            self._launch(0)
            message = self._next()
        return list(self._expected(message)[1])

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
            while (message := self._expected(self._next()))[0] == "rows":
                yield message[1]
        finally:
            self.stop()

    def _next(self) -> tuple[Any, ...] | None:
        assert self._process.stdout is not None
        return parse_worker.receive(self._process.stdout)

    def _expected(self, message: tuple[Any, ...] | None) -> tuple[Any, ...]:
        """`message`, or the error the worker's ending or its answer means."""
        if message is not None and message[0] not in ("password", "corrupt"):
            return message
        self.stop()
        if message is None:
            raise BadInput("file_reader_stopped", path=self.path, detail=_how_it_ended(self._process.returncode))
        if message[0] == "password":
            raise BadInput("file_password", path=self.path)
        raise BadInput("file_corrupt", path=self.path, detail=message[1])


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # gone meanwhile: the scan says so
        return 0


def _limit_memory(pid: int, soft: int, hard: int) -> None:
    import resource  # only where PARSES_BESIDE_SCAN (Linux)

    with contextlib.suppress(ProcessLookupError, PermissionError, ValueError):  # an ended worker
        resource.prlimit(pid, resource.RLIMIT_AS, (soft, hard))


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
