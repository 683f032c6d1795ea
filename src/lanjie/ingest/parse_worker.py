"""The process that parses one workbook with python-calamine and hands its rows over a pipe.

python-calamine parses a whole sheet in one call that cannot be stopped, and a hostile file
makes it allocate at the end of that call. In a process of its own, the parse runs beside the
limits scan (on the other core) and is killed when the scan refuses the file; and it turns
cells into Python objects while the caller is already building records from the rows before.

Run as a script (`python -P parse_worker.py PATH HEAD_ROWS limited|free`), it imports only the standard
library and python-calamine. Messages go to stdout, framed by `send` and read by `receive`
(lists, text and numbers by marshal, anything else by pickle):
    ("sheets", [(name, start, head rows), …])   every sheet parsed, its first HEAD_ROWS rows
    ("rows", [row, …])                            the next rows of the sheet chosen on stdin
    ("end",)                                      no more rows
    ("password",) / ("corrupt", detail)           the workbook could not be read
The caller answers "sheets" with one line on stdin: the index of the sheet to stream (or -1),
then the columns it reads; the cells of the other columns are handed over blank.
"""

from __future__ import annotations

import itertools
import marshal
import os
import pickle
import sys
from typing import IO, Any

CHUNK_ROWS = 512
_LENGTH = 8
_MARSHAL, _PICKLE = b"m", b"p"


def send(out: IO[bytes], message: tuple[Any, ...]) -> None:
    # marshal is about three times as fast as pickle both ways, for text and numbers; pickle
    # carries what marshal cannot (cells the reader gives as dates and times).
    try:
        data, codec = marshal.dumps(message), _MARSHAL
    except ValueError:
        data, codec = pickle.dumps(message, pickle.HIGHEST_PROTOCOL), _PICKLE
    out.write(codec + len(data).to_bytes(_LENGTH, "little"))
    out.write(data)
    out.flush()


def receive(source: IO[bytes]) -> tuple[Any, ...] | None:
    """The next message, or None when the worker has stopped without finishing one."""
    frame = source.read(1 + _LENGTH)
    if len(frame) < 1 + _LENGTH:
        return None
    size = int.from_bytes(frame[1:], "little")
    data = source.read(size)
    if len(data) < size:
        return None
    # Both written by this module's `send`, in the worker this process started.
    message: tuple[Any, ...] = marshal.loads(data) if frame[:1] == _MARSHAL else pickle.loads(data)
    return message


def memory_ceiling() -> int | None:
    """The most a worker may hold (address space): three quarters of the machine's memory,
    so that a parse that goes wrong stops (the process aborts) before the machine runs out."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * 3 // 4
    except (ValueError, OSError, AttributeError):
        return None


def _cap_memory() -> None:
    ceiling = memory_ceiling()
    try:
        import resource  # not on Windows

        if ceiling:
            resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
    except (ImportError, ValueError, OSError):
        pass


def _kept(rows: list[list[Any]], columns: list[int]) -> list[list[Any]]:
    """The rows with only the cells of `columns`, the others blank; a row whose only values
    are in other columns is kept whole, so the caller still sees it is not empty."""
    width = len(rows[0])
    columns = [column for column in columns if column < width]
    blank = [""] * width
    kept = []
    shared: dict[str, str] = {}
    for row in rows:
        cells = blank.copy()
        for column in columns:
            value = row[column]
            # One object per distinct text: marshal sends it once, and the caller hashes it once.
            # Only text: as dict keys True, 1 and 1.0 would be one cell.
            cells[column] = shared.setdefault(value, value) if type(value) is str else value
        kept.append(cells if any(cells) or not any(row) else row)
    return kept


def main(path: str, head_rows: int, limited_by_caller: bool) -> None:
    if not limited_by_caller:
        _cap_memory()
    from python_calamine import CalamineWorkbook, PasswordError

    out = sys.stdout.buffer
    try:
        workbook = CalamineWorkbook.from_path(path)
        sheets = []
        for name in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(name)
            # iter_rows() pads the rows above the first used one, so it always starts at row 1;
            # the cells of a row start at the first used column.
            rows = sheet.iter_rows()
            sheets.append((name, sheet.start, list(itertools.islice(rows, head_rows)), rows))
    except PasswordError:
        send(out, ("password",))
        return
    except MemoryError:  # not the file's fault: the caller says so
        raise
    except BaseException as error:  # calamine raises plain errors, and panics, for some broken files
        send(out, ("corrupt", str(error)))
        return
    send(out, ("sheets", [sheet[:3] for sheet in sheets]))
    choice, *columns = map(int, (sys.stdin.readline() or "-1").split())
    if choice < 0:
        return
    rows = sheets[choice][3]
    del sheets, workbook  # the other sheets are not needed
    try:
        while chunk := list(itertools.islice(rows, CHUNK_ROWS)):
            send(out, ("rows", _kept(chunk, columns) if columns else chunk))
    except MemoryError:
        raise
    except BaseException as error:
        send(out, ("corrupt", str(error)))
        return
    send(out, ("end",))


if __name__ == "__main__":
    try:
        main(sys.argv[1], int(sys.argv[2]), sys.argv[3] == "limited")
    except BrokenPipeError:  # the caller stopped reading (it refused the file, or stopped early)
        sys.stderr.close()
    except MemoryError:  # ended without a message: the caller reports it stopped
        os._exit(3)
